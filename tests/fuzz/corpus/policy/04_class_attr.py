class A:
    m = os
    def f(self):
        self.n = os
        self.n.system('x')
A.m.popen('x')

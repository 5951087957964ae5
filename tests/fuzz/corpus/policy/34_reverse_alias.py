def f():
    return q.system()
q = p
p = o
o = os

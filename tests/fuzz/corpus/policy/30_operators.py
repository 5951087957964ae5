a := b
x **= 2; y //= 3; z @= m; w >>= 1
f = lambda o=os: o.fork()

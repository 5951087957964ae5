a = b = os
c, d = sys, os
for m in [os]: m.kill(1, 9)
with ctx(os) as w: w.fork()

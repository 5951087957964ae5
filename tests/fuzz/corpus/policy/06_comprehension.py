[m.system('x') for m in (os,) if m for n in m.path]

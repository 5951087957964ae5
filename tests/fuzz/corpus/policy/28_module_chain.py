import pathlib, random
pathlib.os.system('x')
random._os.fork()

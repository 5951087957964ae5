getattr(os, name)
setattr(f, '__code__', g)

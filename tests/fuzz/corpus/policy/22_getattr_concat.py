getattr(os, 'sys' 'tem')('id')
hasattr(x, '__globals__')

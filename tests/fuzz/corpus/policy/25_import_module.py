import importlib
m = importlib.import_module
m('subprocess')

print(__builtins__)
import builtins
builtins.__import__('x')

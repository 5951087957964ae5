from . import system
from ..a.b import c as d
from ... import *

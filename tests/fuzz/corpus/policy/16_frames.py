import sys
sys._getframe().f_back.f_globals
g.gi_frame.f_locals

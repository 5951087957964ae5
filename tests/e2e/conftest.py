"""The e2e suites use the shared fixtures of fixtures.py."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from fixtures import make_stack, stack  # noqa: E402,F401

"""The compatibility suites use the e2e harness and fixtures."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from fixtures import make_stack, stack  # noqa: E402,F401

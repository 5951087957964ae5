"""The e2e suites use the shared fixtures (pyexec_test.fixtures)."""
from pyexec_test.fixtures import make_stack, stack  # noqa: F401

"""pyexec_test - what the Python test suites share (tests/README.md).

  waits     scaled bounds (PYEXEC_TEST_TIMEOUT_SCALE), wait_for,
            wait_for_status, in_background: how a test waits on any machine
  net       free loopback ports, waiting for a server to listen
  stack     a real pyexec-fcgi + lighttpd on a loopback port (Stack)
  fixtures  the stack and make_stack fixtures, and the leak check every
            stack gets when it stops
  docker    what a test asks dockerd about its own containers
  dockerd   stopping and starting dockerd (the fault suite)
  tap       the pytest plugin that prints TAP for automake

tests/run-suite and tests/pytest.ini put tests/ on the import path; no
test changes sys.path.
"""

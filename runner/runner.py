"""runner.py - the sandbox container's command; see PROTOCOL.md.

Started as `python3 -I -B /opt/pyexec/runner.py`.  -I leaves this file's
directory off sys.path, so it is put back here: the runner's package and
the matplotlib backend live next to it.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pyexec_runner import server  # noqa: E402  (needs the path above)

if __name__ == "__main__":
    server.main()

"""run.py - the browser suite (started by ./run).  Starts a real stack
(pyexec_test.stack:
pyexec-fcgi and lighttpd with the top-level lighttpd.conf on a free
loopback port), runs tests/browser/*.test.mjs with node's test runner in
Debian's Chromium against it, then stops the stack and fails if it left a
container behind.  Needs scripts/build-web to have run.  Screenshots go
to BUILD/tests/out/browser/.  Exits with node's status."""

import glob
import os
import shutil
import subprocess
import sys

from pyexec_test.fixtures import finish_stack
from pyexec_test.stack import OUT, SRC, Stack
from pyexec_test.waits import scaled

HERE = os.path.dirname(os.path.abspath(__file__))


def need(path, what):
    if not os.path.exists(path):
        sys.exit("browser tests: %s is missing (%s)" % (path, what))


def main():
    need(os.path.join(SRC, "web", "node_modules", "playwright-core"),
         "run scripts/build-web")
    need(os.path.join(SRC, "static", "static", "vendor", "editor.js"),
         "run scripts/build-web")
    need(os.environ.get("PYEXEC_CHROMIUM", "/usr/bin/chromium"),
         "apt-get install chromium")
    node = shutil.which("node") or sys.exit("browser tests: node is missing")
    version = subprocess.run([node, "--version"], capture_output=True,
                             text=True).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < 20:
        sys.exit("browser tests: playwright-core needs node 20 or later, "
                 "not " + version)
    out = os.path.join(OUT, "browser")
    shutil.rmtree(out, ignore_errors=True)
    st = Stack("browser", conf={"pool_min_idle": 2})
    try:
        st.start()
        st.wait_healthy()
        env = dict(os.environ, PYEXEC_SRCDIR=SRC, PYEXEC_URL=st.url,
                   PYEXEC_KEY=st.key, PYEXEC_BROWSER_OUT=out)
        tests = sorted(glob.glob(os.path.join(HERE, "*.test.mjs")))
        rc = subprocess.call([node, "--test", "--test-concurrency=1",
                              "--test-timeout=%d" % scaled(120000),
                              "--test-reporter=spec"] + tests, env=env)
    finally:
        finish_stack(st)
    print("screenshots: " + out)
    return rc


if __name__ == "__main__":
    sys.exit(main())

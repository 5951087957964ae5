"""attacklib - what every attack case shares: running an attack and
saying which layer stopped it, and checking that the service is healthy
afterwards.

An attack case gets `atk` (conftest.py), bound to a stack: every case
runs once with the policy on and once with it off.  A case runs its
attack with atk.run(code, blocked=(rule, name)):

  * with the policy on and `blocked` given, the policy must refuse the
    code (400 unsafe_code naming that rule and name): contained by the
    policy, and the case ends there;
  * otherwise the code must reach the sandbox (200), and the case checks
    that the specific harm did not happen, then says what held with
    atk.held("container: ...").

So with the policy off every case proves that the container alone holds.
After every case the fixture checks the service: /health is 200, a plain
print('ok') runs, no worker or keeper died, and every container of the
stack is one the pool or a session accounts for (the fixture checks for
leaks once more when it stops the stack).
"""

import os
import subprocess

from pyexec_test import docker
from pyexec_test.fixtures import session_containers
from pyexec_test.stack import Stack
from pyexec_test.waits import scaled, wait_for

# A marker planted in pyexec-fcgi's environment (and lighttpd's): user
# code must never be able to read it.
SECRET = "pyexec-attack-secret-%s" % os.urandom(8).hex()
SECRET_ENV = {"PYEXEC_TEST_SECRET": SECRET, "ATTACK_TEST_SECRET": SECRET}

# The limits every attack stack runs with (the defaults, spelled out:
# the cases check against them).
PIDS_LIMIT = 128
TMPFS_MB = 64
MAX_OUTPUT = 1 << 20
MAX_BODY = 1 << 20
MAX_FILES = 16
MAX_FILE_BYTES = 4 << 20
SUITE_CONF = {
    "workers": 4, "pool_min_idle": 2, "pool_max": 12, "max_sessions": 16,
    "pids_limit": PIDS_LIMIT, "tmpfs_mb": TMPFS_MB,
    "max_output_bytes": MAX_OUTPUT, "max_body_bytes": MAX_BODY,
    "images_per_execution": MAX_FILES, "image_max_bytes": MAX_FILE_BYTES,
}
# Generous: the machine may be shared with other test suites.
MARGIN = scaled(30)

# (nodeid, policy, isolation, layer) of every case that passed its
# attack; conftest.py prints them as a table at the end.
LAYERS = []


def procs_in(text):
    """The process lines a PROCS probe printed."""
    return [l for l in text.splitlines() if l.startswith("proc ")]


# t(f): 'ok' if f() succeeds, else the errno's name ("EPERM", ...).
TRY = r"""
import errno, os
def t(f):
    try:
        f()
        return 'ok'
    except OSError as e:
        return errno.errorcode[e.errno]
"""


# Lists every process the code can see but itself and its parent chain's
# root-owned runner: "proc PID UID CMDLINE".
PROCS = r"""
import os
def _procs():
    me = os.getpid()
    out = []
    for p in sorted(os.listdir('/proc'), key=lambda s: (len(s), s)):
        if not p.isdigit() or int(p) == me:
            continue
        try:
            with open('/proc/%s/status' % p) as f:
                uid = [l.split()[1] for l in f if l.startswith('Uid:')][0]
            with open('/proc/%s/cmdline' % p, 'rb') as f:
                cmd = f.read().replace(b'\0', b' ').decode(errors='replace')
        except OSError:
            continue
        out.append('proc %s %s %s' % (p, uid, cmd.strip()))
    return out
"""

# What an execution sees of the scratch directories and of other
# processes of the sandbox user.
SCRATCH_PROBE = PROCS + r"""
import glob
for d in ('/tmp', '/work', '/dev/shm', '/dev/mqueue'):
    try:
        print(d, sorted(os.listdir(d)))
    except OSError as e:
        print(d, 'error', e.errno)
for l in _procs():
    if l.split()[2] == str(os.getuid()):
        print(l)
print('sysv', [len(open('/proc/sysvipc/' + k).read().splitlines()) - 1
               for k in ('shm', 'sem', 'msg')])
"""


class Attack:
    """One attack case against one stack."""

    def __init__(self, st, nodeid):
        self.st = st
        self.nodeid = nodeid
        self.layers = []
        self.last = None        # the last attack's Response

    @property
    def policy(self):
        return self.st.policy_on

    def run(self, code, blocked=None, _key=True, **fields):
        """Runs the attack.  blocked: the (rule, name) the policy must
        report when it is on, or None when the policy lets the code
        through.  Returns the reply's JSON when the code ran, None when
        the policy refused it."""
        r = self.last = self.st.execute(code, _key=_key, **fields)
        if self.policy and blocked:
            assert r.status == 400, "policy on, %r expected: %r" % (
                blocked, r)
            j = r.json
            assert j["error"] == "unsafe_code", j
            got = [(v["rule"], v["name"]) for v in j["violations"]]
            assert tuple(blocked) in got, (blocked, got)
            self.stopped_by("policy: %s %s" % tuple(blocked))
            return None
        assert r.status == 200, r
        return r.json

    def ran(self, code, **fields):
        """Code that is part of the case but no attack (a probe): 200."""
        r = self.st.execute(code, **fields)
        assert r.status == 200, r
        return r.json

    def held(self, what):
        """What stopped the attack once it reached the sandbox."""
        self.stopped_by(what)

    def stopped_by(self, what):
        self.layers.append(what)

    def record(self):
        LAYERS.append((self.nodeid, "on" if self.policy else "off",
                       self.st.conf.get("isolation", "container"),
                       "; ".join(self.layers)))

    def healthy(self):
        healthy(self.st)


def healthy(st):
    """(b): the service answers and runs code, nothing of it died, and
    no container is unaccounted for."""
    assert st.master.poll() is None, "pyexec-fcgi exited"
    assert st.lighttpd.poll() is None, "lighttpd exited"
    r = st.get("/health", key=False)
    assert r.status == 200, r
    assert r.json["status"] == "healthy", r.json
    r = st.execute("print('ok')")
    assert r.status == 200, r
    assert r.json["status"] == "completed", r.json
    assert r.json["stdout"] == "ok\n", r.json
    # Workers come and go with the load; none may die unasked, and the
    # keeper, executors and deliverer stay.
    log = st.log()
    assert "died of signal" not in log and "exited with status" not in log, (
        "a child of the master died", log[-2000:])
    assert set(st.helpers()) == st.first_helpers, (
        "the keeper, an executor or the deliverer died", log[-2000:])
    assert wait_for(lambda: not unaccounted(st), 60), unaccounted(st)


def unaccounted(st):
    """Containers of this stack that neither the pool nor a session
    knows."""
    known = set(st.containers()) | session_containers(st)
    return set(docker.instance_containers(st.iid)) - known


def dir_size(path):
    """Bytes used under path (du -sb), following nothing."""
    out = subprocess.run(["du", "-sb", path], capture_output=True,
                         text=True).stdout
    return int(out.split()[0])


def new_stack(name, policy, isolation, conf=None):
    c = dict(SUITE_CONF, policy="on" if policy else "off",
             isolation=isolation)
    if isolation == "process":
        c["reuse_max"] = 1000
    c.update(conf or {})
    st = Stack(name, conf=c, env=SECRET_ENV)
    st.policy_on = policy
    st.isolation = isolation
    return st

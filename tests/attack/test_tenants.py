"""One tenant against another: sessions of the same key and of another
key share no file and no process and have no path to each other's
runner; another key's sessions, executions and records are 404 through
the API, however the ids are guessed."""

import os
import urllib.parse
import uuid

from pyexec_test.stack import KEY_A, KEY_B


def sid():
    return "atk-" + uuid.uuid4().hex[:12]


def session_call(st, session, code, key=KEY_A, **kw):
    r = st.post("/execute", dict(code=code, session_id=session, **kw),
                key=key)
    assert r.status == 200, r
    return r.json


def release(st, *pairs):
    for session, key in pairs:
        st.post("/release", {"session_id": session}, key=key)


# The victim session: files in each scratch dir, a file held open (so a
# process of its own points at it through /proc/PID/fd), a global.
VICTIM_SETUP = r"""
import os
for d in ('/tmp', '/work', '/dev/shm'):
    open('%s/%s' % (d, MARK), 'w').write(MARK)
held = open('/tmp/%s.held' % MARK, 'w')
secret = MARK
print('ready', os.getpid())
"""

# What another session can find of the victim: its files, anything in
# /proc that points at them or holds its mark, every socket path.
SNOOP = r"""
import os
found = []
for top in ('/tmp', '/work', '/dev/shm', '/dev/mqueue', '/run', '/var/tmp'):
    for d, dirs, files in os.walk(top):
        for n in dirs + files:
            if MARK in n:
                found.append(os.path.join(d, n))
procs = 0
for p in os.listdir('/proc'):
    if not p.isdigit():
        continue
    procs += 1
    for what in ('cmdline', 'environ'):
        try:
            if MARK.encode() in open('/proc/%s/%s' % (p, what), 'rb').read():
                found.append('/proc/%s/%s' % (p, what))
        except OSError:
            pass
    try:
        for fd in os.listdir('/proc/%s/fd' % p):
            try:
                if MARK in os.readlink('/proc/%s/fd/%s' % (p, fd)):
                    found.append('/proc/%s/fd/%s' % (p, fd))
            except OSError:
                pass
    except OSError:
        pass
socks = [r.split()[7] for r in open('/proc/net/unix').read().splitlines()[1:]
         if len(r.split()) > 7]
runner_socks = []
for d, dirs, files in os.walk('/'):
    if d.startswith(('/proc', '/sys')):
        dirs[:] = []
        continue
    for n in files:
        if n.startswith('runner.sock'):
            runner_socks.append(os.path.join(d, n))
print('found', found)
print('globals', 'secret' in globals(), 'held' in globals())
print('sockets', sorted(set(s for s in socks
                           if not s.startswith('/run/pyexec/'))))
print('runner socks', runner_socks)
print('procs', procs < 12)
"""

SNOOP_CLEAN = ["found []", "globals False False", "sockets []",
               "runner socks []", "procs True"]


def tenants(atk, other_key):
    st = atk.st
    mark = "mark%s" % uuid.uuid4().hex[:16]
    victim, intruder = sid(), sid()
    try:
        j = session_call(st, victim, VICTIM_SETUP, variables={"MARK": mark})
        assert j["stdout"].startswith("ready "), j
        j = atk.run(SNOOP, session_id=intruder, _key=other_key,
                    variables={"MARK": mark}, timeout=60)
        assert j["status"] == "completed", j
        assert j["stdout"].splitlines() == SNOOP_CLEAN, j["stdout"]
        # The victim still has everything.
        j = session_call(st, victim, "import os\nprint(secret == MARK, "
                         "os.path.exists('/work/' + MARK), held.closed)")
        assert j["stdout"] == "True True False\n", j
    finally:
        release(st, (victim, KEY_A), (intruder, other_key))
    atk.held("container: one container per session (own PID, mount, IPC "
             "and network namespaces); runner sockets live only in each "
             "container's /run/pyexec")


def test_sessions_of_one_key_share_nothing(atk):
    tenants(atk, KEY_A)


def test_sessions_of_two_keys_share_nothing(atk):
    tenants(atk, KEY_B)


def test_no_runner_socket_is_reachable(atk):
    """From a session: its own runner's socket is closed to it (the
    directory is root's 0770), and no other runner's exists in its
    world."""
    code = r"""
import errno, os, socket
for path in ('/run/pyexec/runner.sock', '/run/pyexec/runner.sock.tmp'):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        print(path, 'connected')
    except OSError as e:
        print(path, errno.errorcode[e.errno])
    s.close()
# abstract names: the runner binds none, and another container's would
# live in another network namespace
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect('\0runner')
    print('abstract connected')
except OSError as e:
    print('abstract', errno.errorcode[e.errno])
"""
    s = sid()
    try:
        j = atk.run(code, blocked=("import", "socket"), session_id=s)
    finally:
        release(atk.st, (s, KEY_A))
    if j is None:
        return
    assert j["stdout"].splitlines() == [
        "/run/pyexec/runner.sock EACCES", "/run/pyexec/runner.sock.tmp EACCES",
        "abstract ECONNREFUSED"], j
    atk.held("container: /run/pyexec closed to uid 10001; no other "
             "runner in the container's namespaces")


def test_another_keys_session_ids_are_404(atk):
    st = atk.st
    s = sid()
    try:
        session_call(st, s, "mine = 'A'")
        guesses = [s, s.upper(), s + "x", s[:-1], "atk-" + "0" * 12,
                   "../" + s, s + "/../" + s, "%2e%2e", "*", "%"]
        guesses += [sid() for _ in range(40)]
        for g in guesses:
            q = urllib.parse.quote(g, safe="")
            for method, path, body in (
                    ("GET", "/sessions/" + q, None),
                    ("DELETE", "/sessions/" + q, None),
                    ("POST", "/release", {"session_id": g}),
                    ("POST", "/release", {"user_uuid": g})):
                r = st.request(method, path, body, key=KEY_B)
                assert r.status in (404, 400), (method, g, r)
                if g == s:
                    assert r.status == 404, (method, g, r)
        # The same id under key B is B's own, new session: nothing of A's.
        j = session_call(st, s, "print('mine' in globals())", key=KEY_B)
        assert j["stdout"] == "False\n" and j["session_created"] is True, j
        r = st.post("/sessions/%s/execute" % s,
                    {"code": "print('mine' in globals())"}, key=KEY_B)
        assert r.status == 200 and r.json["stdout"] == "False\n", r
        # A's session is untouched.
        j = session_call(st, s, "print(mine)")
        assert j["stdout"] == "A\n" and j["session_created"] is False, j
        assert st.get("/sessions/" + s).status == 200
    finally:
        release(st, (s, KEY_A), (s, KEY_B))
    atk.held("host: sessions are scoped to their key (404)")


def test_another_keys_records_are_404(atk):
    st = atk.st
    secret = "rec-%s" % uuid.uuid4().hex
    j = atk.run("import matplotlib.pyplot as plt\n"
                "plt.plot([1, 2])\nplt.show()\n"
                "open('/work/output/secret.txt', 'w').write(S)\nprint(S)",
                variables={"S": secret}, timeout=60)
    assert j["status"] == "completed" and j["stdout"] == secret + "\n", j
    eid = j["execution_id"]
    assert st.get("/executions/" + eid).status == 200
    r = st.get("/executions/" + eid, key=KEY_B)
    assert r.status == 404, r
    r = st.get("/executions?limit=100", key=KEY_B)
    assert r.status == 200 and secret.encode() not in r.body
    assert eid.encode() not in r.body
    for guess in (eid.upper(), eid[:-1] + "0", "../" + eid, "%25", "*"):
        r = st.get("/executions/" + urllib.parse.quote(guess, safe=""),
                   key=KEY_B)
        assert r.status in (400, 404), (guess, r)
    # Reusing A's execution id under B neither shows nor overwrites A's
    # (ids are per key: B gets its own record, not a 409).
    r = st.execute("print('b')", execution_id=eid, _key=KEY_B)
    assert r.status == 200 and r.json["stdout"] == "b\n", r
    assert secret.encode() not in r.body
    assert st.get("/executions/" + eid).json["stdout"] == secret + "\n"
    # Images and files carry 128 random bits; guesses are 404.
    for i in j["images"] + j["files"]:
        ident = urllib.parse.urlparse(i["url"]).path.rsplit("/", 1)[-1]
        assert len(ident.split(".")[0]) >= 32, i
    for _ in range(30):
        r = st.get("/images/%s" % os.urandom(16).hex(), key=False)
        assert r.status == 404, r
    atk.held("host: records scoped to their key (404); image ids are "
             "unguessable")


def test_ipc_does_not_cross_sessions(atk):
    """Abstract unix sockets live in a network namespace and System V
    IPC in an IPC namespace: each session container has its own."""
    st = atk.st
    mark = "mark%s" % uuid.uuid4().hex[:12]
    key = int(uuid.uuid4().hex[:7], 16)
    setup = r"""
import ctypes, socket
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind('\0' + MARK)
listener.listen(5)
libc = ctypes.CDLL(None, use_errno=True)
print(libc.shmget(KEY, 4096, 0o1000 | 0o666) >= 0,
      libc.msgget(KEY, 0o1000 | 0o666) >= 0)
"""
    probe = r"""
import ctypes, errno, socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect('\0' + MARK)
    print('connected')
except OSError as e:
    print(errno.errorcode[e.errno])
libc = ctypes.CDLL(None, use_errno=True)
print(libc.shmget(KEY, 0, 0), libc.msgget(KEY, 0))
"""
    victim, intruder = sid(), sid()
    v = {"MARK": mark, "KEY": key}
    try:
        j = atk.run(setup, blocked=("import", "ctypes"), session_id=victim,
                    variables=v)
        if j is None:
            return
        assert j["stdout"] == "True True\n", j
        # the victim's own side works: its listener is there
        j = session_call(st, victim, probe, variables=v)
        assert j["stdout"].splitlines()[0] == "connected", j
        for key_ in (KEY_A, KEY_B):
            j = atk.run(probe, session_id=intruder, _key=key_,
                        variables=v)
            assert j["stdout"] == "ECONNREFUSED\n-1 -1\n", j
    finally:
        release(st, (victim, KEY_A), (intruder, KEY_A), (intruder, KEY_B))
    atk.held("container: own network and IPC namespaces per session")

"""A session cell against the interrupt that stops it (SPEC 9): a timeout
or a cancel sends SIGINT first and gives the interpreter a second to come
back with its state.  A cell that swallows the interrupt, or leaves a
child deaf to it, must not win more time: it is killed after the second,
the session is reset, and nothing of it runs on into the next call."""
import uuid

from attacklib import PROCS

# Catches every KeyboardInterrupt and goes on; a forked child ignores
# SIGINT and would outlive the cell if only the interpreter were killed.
SWALLOW = r"""
import os, signal, time
if os.fork() == 0:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        time.sleep(0.05)
secret = 'kept'
while True:
    try:
        while True:
            pass
    except KeyboardInterrupt:
        print('swallowed', flush=True)
"""

# Comes back from the interrupt, but runs on in a finally clause.
FINALLY = r"""
try:
    while True:
        pass
finally:
    while True:
        pass
"""


def sid():
    return "atk-int-" + uuid.uuid4().hex[:10]


def cell(atk, session, code, **kw):
    r = atk.st.post("/execute", dict(code=code, session_id=session, **kw))
    assert r.status == 200, r
    return r.json


def test_a_cell_cannot_outlive_its_timeout_by_swallowing_sigint(atk):
    for code, blocked in ((SWALLOW, ("call", "os.fork")),
                          (FINALLY, None)):
        s = sid()
        cell(atk, s, "x = 1")
        j = atk.run(code, blocked=blocked, session_id=s, timeout=1)
        if j is None:
            continue        # the policy refused it
        assert j["status"] == "timeout", j
        assert j["session_state"] == "reset" and j["session_reset"], j
        after = cell(atk, s, PROCS + "print('x' in globals(), "
                                     "len(_procs()))")
        # The interpreter is new and alone: its parent, docker-init and
        # the runner's root processes are all it sees, none of them the
        # sandbox user's.
        assert after["stdout"].startswith("False "), after
        procs = cell(atk, s, PROCS + "print([l for l in _procs() "
                                     "if l.split()[2] != '0'])")
        assert procs["stdout"] == "[]\n", procs
        atk.st.post("/release", {"session_id": s})
    atk.held("runner: SIGKILL one second after the SIGINT, then the clean "
             "of every sandbox process")

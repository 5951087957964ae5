"""Stateful sessions through lighttpd with real Docker (SPEC section 3)."""

import subprocess
import threading
import time
import uuid

from pyexec_test import docker
from pyexec_test.stack import KEY_B
from pyexec_test.waits import in_background, scaled, wait_for

STACK_CONF = {"workers": 6, "pool_min_idle": 2, "max_sessions": 64}


def sid():
    return "s-" + uuid.uuid4().hex[:12]


def call(stack, session, code, key=True, **kw):
    body = {"session_id": session, "code": code}
    body.update(kw)
    r = stack.post("/execute", body, key=key)
    assert r.status == 200, r
    return r.json


def test_state_persists_across_calls(stack):
    s = sid()
    j = call(stack, s, "import math\ncount = 1\n"
                       "def area(r):\n    return math.pi * r * r\n"
                       "class Box:\n    size = 3\n")
    assert j["status"] == "completed" and j["session_created"] is True
    j = call(stack, s, "count += 1\ncount")
    assert j["result_text"] == "2" and j["session_created"] is False
    j = call(stack, s, "print(round(area(2), 2), Box.size, count)")
    assert j["stdout"] == "12.57 3 2\n"
    assert j["session_reset"] is False
    assert stack.post("/release", {"session_id": s}).status == 200


def test_user_uuid_alias_and_path_form(stack):
    s = sid()
    call(stack, s, "v = 5", user_uuid=s)
    r = stack.post("/sessions/%s/execute" % s, {"code": "v * 2"})
    assert r.status == 200 and r.json["result_text"] == "10"
    assert r.json["session_id"] == s
    stack.post("/release", {"user_uuid": s})


def test_sessions_do_not_see_each_other(stack):
    a, b = sid(), sid()
    call(stack, a, "secret = 'a'\nopen('/work/mine', 'w').write('a')\n"
                   "open('/tmp/mine', 'w').write('a')")
    j = call(stack, b, "import os\nprint('secret' in globals(), "
                       "os.path.exists('/work/mine'), "
                       "os.path.exists('/tmp/mine'))")
    assert j["stdout"] == "False False False\n"
    j = call(stack, a, "print(open('/work/mine').read(), secret)")
    assert j["stdout"] == "a a\n"
    for s in (a, b):
        stack.post("/release", {"session_id": s})


def test_timeout_interrupts_the_cell_and_keeps_the_state(stack):
    s = sid()
    j = call(stack, s, "x = 41")
    assert j["session_state"] == "preserved"
    j = call(stack, s, "while True:\n    pass", timeout=1)
    assert j["status"] == "timeout"
    assert j["session_reset"] is False and j["session_state"] == "preserved"
    assert "KeyboardInterrupt" in j["stderr"]
    j = call(stack, s, "x + 1")
    assert j["status"] == "completed" and j["result_text"] == "42"
    stack.post("/release", {"session_id": s})


def test_timeout_of_a_cell_deaf_to_sigint_resets_the_session(stack):
    s = sid()
    call(stack, s, "x = 41")
    j = call(stack, s, "import signal\n"
                       "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                       "while True:\n    pass", timeout=1)
    assert j["status"] == "timeout"
    assert j["session_reset"] is True and j["session_state"] == "reset"
    j = call(stack, s, "print('x' in globals())")
    assert j["status"] == "completed"
    assert j["stdout"] == "False\n"
    assert j["session_reset"] is False
    stack.post("/release", {"session_id": s})


def test_memory_kill_resets_the_session(stack):
    s = sid()
    call(stack, s, "keep = 1", max_memory_mb=64)
    j = call(stack, s, "b = bytearray(300 * 1024 * 1024)", max_memory_mb=64)
    assert j["status"] == "memory_limit"
    j = call(stack, s, "print(1)")
    assert j["status"] == "completed"
    stack.post("/release", {"session_id": s})


def test_release_then_a_new_call_has_no_old_state(stack):
    s = sid()
    call(stack, s, "old = 1")
    r = stack.post("/release", {"session_id": s})
    assert r.status == 200
    assert r.json == {"status": "ok",
                      "detail": "Worker for user %s has been released." % s}
    j = call(stack, s, "print('old' in globals())")
    assert j["stdout"] == "False\n" and j["session_created"] is True
    stack.post("/release", {"session_id": s})


def test_release_destroys_the_container(stack):
    s = sid()
    call(stack, s, "1")
    info = stack.get("/sessions/" + s).json
    name = info["container"]
    assert info["container_state"] == "running"
    assert info["executions"] == 1
    assert stack.request("DELETE", "/sessions/" + s).status == 200
    assert not docker.exists(name)


def test_unknown_release_is_404(stack):
    r = stack.post("/release", {"session_id": "never-made"})
    assert r.status == 404 and r.json["error"] == "not_found"
    assert stack.request("DELETE", "/sessions/never-made").status == 404
    assert stack.get("/sessions/never-made").status == 404
    r = stack.post("/release", {})
    assert r.status == 400


def test_a_session_belongs_to_its_key(stack):
    s = sid()
    call(stack, s, "mine = 'A'")
    assert stack.get("/sessions/" + s, key=KEY_B).status == 404
    assert stack.post("/release", {"session_id": s}, key=KEY_B).status == 404
    # The same id under another key is another session.
    j = call(stack, s, "print('mine' in globals())", key=KEY_B)
    assert j["stdout"] == "False\n"
    j = call(stack, s, "print(mine)")
    assert j["stdout"] == "A\n"
    stack.post("/release", {"session_id": s})
    stack.post("/release", {"session_id": s}, key=KEY_B)


def test_concurrent_calls_are_serialised_in_order(stack):
    """Eight calls at once into one session: each runs alone, and each
    sees the state every earlier call left (the queue is first come,
    first served; under valgrind or load the arrival order at the
    workers may differ from the order the client sent them in)."""
    s = sid()
    call(stack, s, "seen = []")
    results = {}

    def one(i):
        r = stack.post("/execute", {
            "session_id": s,
            "code": "import time\nseen.append(%d)\ntime.sleep(0.05)\n"
                    "print(len(seen))" % i})
        results[i] = r

    threads = []
    for i in range(8):
        t = threading.Thread(target=one, args=(i,))
        t.start()
        threads.append(t)
        time.sleep(0.02)
    for t in threads:
        t.join()
    assert all(r.status == 200 for r in results.values()), results
    counts = {i: int(results[i].json["stdout"]) for i in range(8)}
    # No two calls overlapped: each saw a different length.
    assert sorted(counts.values()) == list(range(1, 9)), counts
    # The call that saw length n appended the n-th element.
    j = call(stack, s, "seen")
    order = sorted(range(8), key=lambda i: counts[i])
    assert j["result_text"] == str(order)
    stack.post("/release", {"session_id": s})


def test_plots_in_a_session(stack):
    s = sid()
    call(stack, s, "import matplotlib.pyplot as plt")
    j = call(stack, s, "plt.plot([1, 2, 3])\nplt.show()")
    assert len(j["images"]) == 1
    assert j["result_base64"]
    stack.post("/release", {"session_id": s})


def test_status_counts_sessions(stack):
    s = sid()
    call(stack, s, "1")
    st = stack.get("/status").json
    assert st["sessions"] >= 1
    assert st["busy_workers"] >= 1
    assert st["idle_workers_in_pool"] >= 0
    assert st["is_initializing"] is False
    stack.post("/release", {"session_id": s})


def test_idle_sessions_are_reclaimed(make_stack):
    st = make_stack("idle", conf={"session_idle_timeout": int(scaled(3)),
                                  "pool_min_idle": 1})
    st.wait_healthy()
    s = sid()
    call(st, s, "x = 1")
    assert st.get("/sessions/" + s).status == 200
    assert wait_for(lambda: st.get("/sessions/" + s).status == 404, 30)
    j = call(st, s, "print('x' in globals())")
    assert j["stdout"] == "False\n"


def test_a_session_busy_longer_than_the_idle_timeout_is_kept(make_stack):
    """Idle means no call in flight: a call that outlasts
    session_idle_timeout (a slow host makes any call long) must not have
    its session reclaimed, and its container removed, under it."""
    idle = int(scaled(2))
    st = make_stack("busyidle", conf={"session_idle_timeout": idle,
                                      "pool_min_idle": 1})
    st.wait_healthy()
    s = sid()
    j = call(st, s, "import time\ntime.sleep(%d)\nprint('done')"
             % (3 * idle), timeout=60)
    assert j["status"] == "completed" and j["stdout"] == "done\n", j
    assert st.get("/sessions/" + s).status == 200


def test_max_sessions_gives_503(make_stack):
    st = make_stack("maxs", conf={"max_sessions": 2, "pool_min_idle": 2})
    st.wait_healthy()
    call(st, "one", "1")
    call(st, "two", "1")
    r = st.post("/execute", {"session_id": "three", "code": "1"})
    assert r.status == 503
    assert r.json["error"] == "too_many_sessions"
    assert r.header("Retry-After")
    # The pool still has warm containers for stateless work.
    assert st.execute("print(1)").status == 200
    assert st.post("/release", {"session_id": "one"}).status == 200
    assert st.post("/execute", {"session_id": "three",
                                "code": "1"}).status == 200


def test_busy_session_gives_429(make_stack):
    st = make_stack("busy", conf={"session_wait_ms": 300})
    st.wait_healthy()
    call(st, "slow", "x = 1")
    # Busy for far longer than the second call waits (300 ms).
    slow = in_background(call, st, "slow", "import time\ntime.sleep(%d)"
                         % scaled(5), timeout=scaled(60))
    assert wait_for(st.running_execution, 30, 0.05)
    r = st.post("/execute", {"session_id": "slow", "code": "1"})
    assert r.status == 429, r
    assert r.json["error"] == "session_busy"
    assert slow()["status"] == "completed"


def test_restart_keeps_a_live_session(make_stack):
    st = make_stack("restart")
    st.wait_healthy()
    call(st, "keep", "kept = 'yes'")
    st.restart_master()
    st.wait_healthy()
    j = call(st, "keep", "print(kept)")
    assert j["stdout"] == "yes\n"
    assert j["session_reset"] is False


def test_session_whose_container_died_is_gone_not_500(make_stack):
    st = make_stack("died")
    st.wait_healthy()
    call(st, "doomed", "v = 1")
    name = st.get("/sessions/doomed").json["container"]
    st.stop_master()
    subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    st.start_master()
    st.wait_healthy()
    r = st.post("/release", {"session_id": "doomed"})
    assert r.status == 404
    call(st, "doomed2", "v = 1")
    name = st.get("/sessions/doomed2").json["container"]
    subprocess.run(["docker", "kill", name], capture_output=True)
    j = call(st, "doomed2", "print('v' in globals())")
    assert j["status"] == "completed"
    assert j["stdout"] == "False\n" and j["session_reset"] is True

"""POST /executions/{id}/cancel (SPEC 9): a queued execution ends
'cancelled' at once; a running one gets SIGINT, then SIGKILL a second
later, and ends 'cancelled' with its output so far; a session's cell is
interrupted and the session keeps its state when the interpreter comes
back; an ended one is 409; another key's is 404."""
import time
import uuid

from pyexec_test.stack import KEY_B
from pyexec_test.waits import in_background, scaled, wait_for

# One executor: a second async execution waits while the first runs.
STACK_CONF = {"workers": 4, "pool_min_idle": 2, "async_executors": 1}

SLEEPER = "import time\nprint('ready', flush=True)\ntime.sleep(120)"
DEAF = ("import signal, time\n"
        "signal.signal(signal.SIGINT, lambda *a: print('ignored', "
        "flush=True))\n"
        "print('ready', flush=True)\n"
        "while True:\n    time.sleep(0.01)")


def new_id():
    return "c-" + uuid.uuid4().hex[:12]


def cancel(st, eid, key=True):
    return st.request("POST", "/executions/%s/cancel" % eid, None, key=key)


def status(st, eid, key=True):
    r = st.get("/executions/" + eid, key=key)
    return r.json["status"] if r.status == 200 else None


def printed_ready(st, eid):
    return st.query("SELECT count(*) FROM execution_events WHERE"
                    " execution_id LIKE ? AND data LIKE '%ready%'",
                    "%/" + eid)[0][0] > 0


def running(st, eid, streamed=True):
    """Waits until eid runs and has printed "ready": seen in its stored
    events when it streams them (async and session executions), else
    given a second more."""
    assert wait_for(lambda: status(st, eid) == "running", 60, 0.05)
    if streamed:
        assert wait_for(lambda: printed_ready(st, eid), 60, 0.05)
    else:
        time.sleep(scaled(1))


def submit(st, code, **fields):
    r = st.request("POST", "/executions", dict(code=code, **fields))
    assert r.status == 202, r
    return r.json["execution_id"]


def test_unknown_or_another_keys_execution_is_404(stack):
    r = cancel(stack, new_id())
    assert r.status == 404 and r.json["error"] == "not_found", r
    eid = submit(stack, SLEEPER)
    running(stack, eid)
    r = cancel(stack, eid, key=KEY_B)
    assert r.status == 404, r
    assert status(stack, eid) == "running"
    assert cancel(stack, eid).status == 200


def test_an_ended_execution_is_409(stack):
    eid = new_id()
    r = stack.post("/execute", {"code": "print(1)", "execution_id": eid})
    assert r.status == 200 and r.json["status"] == "completed"
    r = cancel(stack, eid)
    assert r.status == 409 and r.json["error"] == "execution_finished", r
    assert status(stack, eid) == "completed"


def test_only_post(stack):
    r = stack.get("/executions/%s/cancel" % new_id())
    assert r.status == 405, r


def test_a_queued_execution_is_cancelled_at_once(stack):
    first = submit(stack, SLEEPER)
    running(stack, first)
    queued = submit(stack, "print('never')")
    assert status(stack, queued) == "queued"
    r = cancel(stack, queued)
    assert r.status == 200, r
    assert r.json["status"] == "cancelled" and r.json["stdout"] in ("", None)
    assert cancel(stack, queued).status == 409
    # The executor moves on; the cancelled one never runs.
    r = cancel(stack, first)
    assert r.status == 200 and r.json["status"] == "cancelled", r
    assert r.json["stdout"] == "ready\n"
    nxt = submit(stack, "print('next')")
    j = stack.get("/executions/%s?wait=30" % nxt).json
    assert j["status"] == "completed" and j["stdout"] == "next\n"
    assert stack.get("/executions/" + queued).json["stdout"] in ("", None)


def test_a_running_program_deaf_to_sigint_is_killed(stack):
    eid = submit(stack, DEAF)
    running(stack, eid)
    r = cancel(stack, eid)
    assert r.status == 200, r
    j = r.json
    assert j["status"] == "cancelled", j
    assert j["stdout"].startswith("ready\nignored\n"), j
    assert j["signal"] == 9


def cancelled_execute(stack, wait):
    """A plain /execute of SLEEPER, cancelled wait seconds after it is
    running; its answer."""
    eid = new_id()
    answer = in_background(stack.post, "/execute",
                           {"code": SLEEPER, "execution_id": eid,
                            "timeout": 60}, timeout=scaled(120))
    assert wait_for(lambda: status(stack, eid) == "running", 60, 0.002)
    time.sleep(wait)
    r = cancel(stack, eid)
    assert r.status == 200 and r.json["status"] == "cancelled", r
    j = answer().json
    assert j["status"] == "cancelled"
    # Ended by the KeyboardInterrupt, not by the kill a second later.
    assert j["stderr"].rstrip().endswith("KeyboardInterrupt"), j
    assert j["exit_code"] == 1 and j["signal"] is None, j
    return j


def test_a_running_execute_answers_cancelled_with_its_output(stack):
    # A plain /execute stores no events to tell when "ready" is out; a
    # slow machine may still be setting the fork up after a second, so
    # wait longer until the output is there.
    for wait in (1, 3, 9):
        j = cancelled_execute(stack, scaled(wait))
        if j["stdout"]:
            break
    assert j["stdout"] == "ready\n", j
    # The sandbox serves the next one.
    r = stack.post("/execute", {"code": "print('after')"})
    assert r.json["stdout"] == "after\n"


def test_a_cancel_while_the_fork_sets_up_still_interrupts(stack):
    """The fork is root until its program starts, out of the reaper's
    reach: the runner interrupts it itself, and it holds the SIGINT until
    the program runs, which then stops before its first line's output."""
    for _ in range(5):
        j = cancelled_execute(stack, 0)
        assert j["stdout"] in ("", "ready\n"), j


def test_a_session_cell_is_interrupted_and_the_state_kept(stack):
    s = "cs-" + uuid.uuid4().hex[:10]
    j = stack.post("/execute", {"session_id": s, "code": "x = 41"}).json
    assert j["status"] == "completed"
    eid = new_id()
    answer = in_background(stack.post, "/execute",
                           {"session_id": s, "code": SLEEPER,
                            "execution_id": eid, "timeout": 60},
                           timeout=scaled(120))
    running(stack, eid)
    assert cancel(stack, eid).json["status"] == "cancelled"
    j = answer().json
    assert j["status"] == "cancelled" and j["session_state"] == "preserved"
    j = stack.post("/execute", {"session_id": s, "code": "x + 1"}).json
    assert j["result_text"] == "42" and j["session_state"] == "preserved"
    stack.post("/release", {"session_id": s})

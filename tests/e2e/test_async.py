"""Asynchronous executions (SPEC 9): POST /executions answers 202 at once
and an executor runs the work through the same path as /execute; GET
/executions/{id} shows it queued, running, then final, and ?wait=N
long-polls.  Queued work survives a restart."""

import json

from pyexec_test.stack import KEY_A, KEY_B
from pyexec_test.waits import in_background, scaled, wait_for

STACK_CONF = {"workers": 4, "pool_min_idle": 2, "async_executors": 2}

FINAL = {"completed", "error", "timeout", "memory_limit", "killed",
         "blocked", "interrupted", "failed"}


def submit(st, code, key=True, headers=None, **fields):
    body = {"code": code}
    body.update(fields)
    return st.request("POST", "/executions", body, headers=headers, key=key)


def accepted(st, code, key=True, **fields):
    r = submit(st, code, key=key, **fields)
    assert r.status == 202, r
    j = r.json
    assert j["status"] == "queued"
    assert j["url"] == "/executions/" + j["execution_id"]
    assert r.header("Location") == j["url"]
    return j["execution_id"]


def restarted(st):
    return getattr(st, "restarted", False)


def final(st, eid, key=True, timeout=120):
    """The record once it is final, long-polling for it."""
    def ended():
        r = st.get("/executions/%s?wait=30" % eid, key=key,
                   timeout=scaled(60))
        if r.status == 503 and restarted(st):
            return None     # lighttpd, until it sees the new socket
        assert r.status == 200, r
        return r.json if r.json["status"] in FINAL else None
    j = wait_for(ended, timeout, 0.2)
    assert j, "execution %s did not end" % eid
    return j


# ---- bad input first ----

def test_unknown_id_is_404(stack):
    r = stack.get("/executions/no-such-execution")
    assert r.status == 404 and r.json["error"] == "not_found"
    r = stack.get("/executions/no-such-execution?wait=1")
    assert r.status == 404 and r.json["error"] == "not_found"


def test_bad_wait_is_400(stack):
    for w in ("31", "-1", "abc", "", "1e9", "nan"):
        r = stack.get("/executions/x?wait=" + w)
        assert r.status == 400, (w, r)
        assert r.json["error"] == "invalid_request"
        assert "wait" in r.json["detail"]


def test_bad_bodies(stack):
    r = stack.request("POST", "/executions", "{not json")
    assert r.status == 400 and r.json["error"] == "invalid_json"
    r = stack.request("POST", "/executions", {"language": "python"})
    assert r.status == 400 and "code" in r.json["detail"]
    r = submit(stack, "print(1)", timeout="soon")
    assert r.status == 400 and "timeout" in r.json["detail"]
    r = submit(stack, "x" * (300 * 1024))
    assert r.status == 413 and r.json["error"] == "payload_too_large"
    r = stack.request("POST", "/executions", {"code": "print(1)"}, key=False)
    assert r.status == 401


def test_unsafe_code_is_refused_at_submit(stack):
    r = submit(stack, "import os\nos.system('id')")
    assert r.status == 400 and r.json["error"] == "unsafe_code"
    rec = stack.get("/executions/" + r.json["execution_id"]).json
    assert rec["status"] == "blocked"


# ---- the life of one ----

def test_submit_then_poll_to_the_final_record(stack):
    eid = accepted(stack, "print('hello')\n6 * 7")
    first = stack.get("/executions/" + eid)
    assert first.status == 200
    assert first.json["status"] in {"queued", "running", "completed"}
    j = final(stack, eid)
    assert j["status"] == "completed"
    assert j["stdout"] == "hello\n"
    res = j["result"]
    assert res["execution_id"] == eid
    assert res["status"] == "completed"
    assert res["stdout"] == "hello\n" and res["output"] == "hello\n"
    assert res["result_text"] == "42"
    assert res["images"] == [] and res["exit_code"] == 0
    assert j["started_at"] >= j["created_at"]


def test_client_chosen_id_and_duplicates(stack):
    eid = accepted(stack, "print(1)", execution_id="async-chosen-1")
    assert eid == "async-chosen-1"
    r = submit(stack, "print(1)", execution_id="async-chosen-1")
    assert r.status == 409
    assert final(stack, eid)["status"] == "completed"


def test_long_poll_returns_when_it_ends(stack):
    eid = accepted(stack, "import time\ntime.sleep(1)\nprint('done')")
    r = stack.get("/executions/%s?wait=30" % eid, timeout=scaled(60))
    assert r.status == 200
    assert r.json["status"] == "completed", r.json
    assert r.json["result"]["stdout"] == "done\n"


def test_short_wait_returns_while_it_runs(stack):
    eid = accepted(stack, "import time\ntime.sleep(4)")
    r = stack.get("/executions/%s?wait=0.2" % eid)
    assert r.status == 200 and r.json["status"] in {"queued", "running"}
    assert final(stack, eid)["status"] == "completed"


def test_errors_and_timeouts_are_final_records(stack):
    e1 = accepted(stack, "1 / 0")
    e2 = accepted(stack, "while True:\n    pass", timeout=1)
    j1, j2 = final(stack, e1), final(stack, e2)
    assert j1["status"] == "error"
    assert "ZeroDivisionError" in j1["result"]["stderr"]
    assert j2["status"] == "timeout"


def test_twenty_from_two_keys_all_end(stack):
    jobs = []
    for i in range(20):
        key = KEY_A if i % 2 == 0 else KEY_B
        jobs.append((key, in_background(
            accepted, stack, "print(%d)" % i, key=key)))
    ids = [(key, wait()) for key, wait in jobs]
    assert len({eid for _, eid in ids}) == 20
    for i, (key, eid) in enumerate(ids):
        j = final(stack, eid, key=key)
        assert j["status"] == "completed", j
        assert j["result"]["stdout"] == "%d\n" % i
        # A key sees only its own.
        other = KEY_B if key == KEY_A else KEY_A
        assert stack.get("/executions/" + eid, key=other).status == 404


# ---- restarts ----

def test_queue_limit_then_restart_runs_the_queued(make_stack):
    st = make_stack("asyncqueue", conf={"async_executors": 0,
                                        "async_max_queued": 2})
    st.wait_healthy()
    a = accepted(st, "print('a')")
    b = accepted(st, "print('b')")
    r = submit(st, "print('c')")
    assert r.status == 503 and r.json["error"] == "queue_full", r
    assert r.header("Retry-After")
    assert st.get("/executions/" + a).json["status"] == "queued"
    st.stop_master()
    st.conf["async_executors"] = 1
    st.start_master()
    st.restarted = True
    assert final(st, a)["result"]["stdout"] == "a\n"
    assert final(st, b)["result"]["stdout"] == "b\n"


def test_crash_interrupts_the_running_and_runs_the_queued(make_stack):
    st = make_stack("asynccrash", conf={"async_executors": 1})
    st.wait_healthy()
    running = accepted(st, "import time\nprint('started', flush=True)\n"
                           "time.sleep(60)")
    assert wait_for(lambda: st.record(running)[0] == "running", 60)
    queued = [accepted(st, "print(%d)" % i) for i in range(3)]
    st.crash()
    st.start_master()
    st.restarted = True
    j = final(st, running)
    assert j["status"] == "interrupted"
    for i, eid in enumerate(queued):
        j = final(st, eid)
        assert j["status"] == "completed" and j["stdout"] == "%d\n" % i


# ---- Idempotency-Key ----

def runs_of(st, code):
    """How many records hold this exact code: how often it was run."""
    return st.query("SELECT count(*) FROM executions WHERE code = ?",
                    code)[0][0]


def idem(st, path, body, key_value, key=True):
    return st.request("POST", path, body, key=key,
                      headers={"Idempotency-Key": key_value})


def test_idempotent_execute_runs_once(stack):
    code = "import random\nprint(random.random())  # idem-1"
    r1 = idem(stack, "/execute", {"code": code}, "idem-key-1")
    r2 = idem(stack, "/execute", {"code": code}, "idem-key-1")
    assert r1.status == r2.status == 200
    assert r1.body == r2.body
    assert r2.header("Idempotent-Replayed") == "true"
    assert runs_of(stack, code) == 1


def test_a_repeat_while_running_waits_for_the_same_answer(stack):
    code = "import time, random\ntime.sleep(2)\nprint(random.random())"
    body = {"code": code + "  # idem-2"}
    first = in_background(idem, stack, "/execute", body, "idem-key-2")
    assert wait_for(lambda: runs_of(stack, body["code"]) == 1, 60, 0.05)
    r2 = idem(stack, "/execute", body, "idem-key-2")
    r1 = first()
    assert r1.status == r2.status == 200
    assert r1.body == r2.body and r1.json["status"] == "completed"
    assert runs_of(stack, body["code"]) == 1


def test_idempotent_submit_gets_the_same_202(stack):
    code = "print('once')  # idem-3"
    r1 = idem(stack, "/executions", {"code": code}, "idem-key-3")
    r2 = idem(stack, "/executions", {"code": code}, "idem-key-3")
    assert r1.status == r2.status == 202
    assert r1.body == r2.body
    eid = r1.json["execution_id"]
    assert final(stack, eid)["status"] == "completed"
    r3 = idem(stack, "/executions", {"code": code}, "idem-key-3")
    assert r3.status == 202 and r3.json["execution_id"] == eid
    assert runs_of(stack, code) == 1


def test_same_key_other_body_is_409(stack):
    r1 = idem(stack, "/execute", {"code": "print(1)  # idem-4"}, "idem-key-4")
    assert r1.status == 200
    r2 = idem(stack, "/execute", {"code": "print(2)  # idem-4"}, "idem-key-4")
    assert r2.status == 409
    assert r2.json["error"] == "idempotency_conflict"
    assert "Idempotency-Key" in r2.json["detail"]
    # The same body on the other route is another request too.
    r3 = idem(stack, "/executions", {"code": "print(1)  # idem-4"},
              "idem-key-4")
    assert r3.status == 409


def test_keys_belong_to_one_api_key(stack):
    code = "print('per key')  # idem-5"
    ra = idem(stack, "/execute", {"code": code}, "idem-key-5", key=KEY_A)
    rb = idem(stack, "/execute", {"code": code}, "idem-key-5", key=KEY_B)
    assert ra.status == rb.status == 200
    assert ra.json["execution_id"] != rb.json["execution_id"]
    assert rb.header("Idempotent-Replayed") is None
    assert runs_of(stack, code) == 2


def test_bad_idempotency_keys_are_400(stack):
    for bad in ("k" * 256, "tab\there"):
        r = idem(stack, "/execute", {"code": "print(1)"}, bad)
        assert r.status == 400, (bad, r)
        assert "Idempotency-Key" in r.json["detail"]
    r = idem(stack, "/execute", {"code": "print('ok')  # idem-6"}, "k" * 255)
    assert r.status == 200

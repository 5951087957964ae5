"""Asynchronous executions (SPEC 9): POST /executions answers 202 at once
and an executor runs the work through the same path as /execute; GET
/executions/{id} shows it queued, running, then final, and ?wait=N
long-polls.  Queued work survives a restart."""

import hashlib
import os
import subprocess
import time

import pytest

from pyexec_test.stack import BUILD, KEY_A, KEY_B, SRC
from pyexec_test.waits import in_background, scaled, wait_for
from pyexec_test.webhooks import Receiver, verify

# Webhooks to the receivers of this file, retried after 50 ms, 300 ms,
# 1.2 s... (a hundredth of the real back-off).
STACK_CONF = {"workers": 4, "pool_min_idle": 2, "async_executors": 2,
              "callback_allow": "127.0.0.1", "callback_retry_scale": 0.01,
              "callback_timeout": 5}

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
        if r.status in (500, 502, 503) and restarted(st) and \
                "json" not in (r.header("Content-Type") or ""):
            return None     # lighttpd's own, until it sees the new socket
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
    # Callbacks are off until callback_allow names a host.
    r = submit(st, "print('d')", callback_url="http://127.0.0.1:9/hook")
    assert r.status == 400 and "callback_allow" in r.json["detail"], r
    assert st.get("/executions/" + a).json["status"] == "queued"
    # The waiting work shows in /status and /metrics.
    assert st.get("/status").json["async_queued"] == 2
    assert "\npyexec_async_queued 2\n" in st.get("/metrics").body.decode()
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
    assert r2.header("Location") == r1.header("Location")
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


# ---- webhooks ----

@pytest.fixture
def receiver():
    made = []

    def make(answers=(200,), host="127.0.0.1"):
        r = Receiver(answers, host)
        made.append(r)
        return r
    yield make
    for r in made:
        r.close()


def secret_of(st, key=True):
    r = st.get("/webhook-secret", key=key)
    assert r.status == 200, r
    assert r.json["secret"].startswith("whsec_")
    return r.json["secret"]


def deliveries(st, eid, key=True):
    r = st.get("/executions/%s/deliveries" % eid, key=key)
    assert r.status == 200, r
    return r.json["deliveries"]


def delivered(st, eid):
    """The delivery of eid once it is delivered (waits for it)."""
    def done():
        ds = deliveries(st, eid)
        return ds[0] if ds and ds[0]["state"] == "delivered" else None
    d = wait_for(done, 60, 0.1)
    assert d, deliveries(st, eid)
    return d


def test_bad_callback_urls_are_400(stack):
    for url, words in (("ftp://127.0.0.1/x", "http or https"),
                       ("notaurl", "absolute URL"),
                       ("http://example.com/hook", "callback_allow"),
                       ("http://u:p@127.0.0.1/hook", "credentials"),
                       ("http://127.0.0.1/a b", "spaces")):
        for path in ("/executions", "/execute"):
            r = stack.request("POST", path, {"code": "print(1)",
                                             "callback_url": url})
            assert r.status == 400, (url, r)
            assert r.json["error"] == "invalid_request"
            assert "callback_url" in r.json["detail"] or \
                "callback_allow" in r.json["detail"], r.json
            assert words in r.json["detail"], (url, r.json)
    r = stack.request("POST", "/executions", {"code": "print(1)",
                                              "callback_url": 42})
    assert r.status == 400 and "callback_url" in r.json["detail"]


def test_webhook_is_signed_and_carries_the_final_record(stack, receiver):
    rx = receiver()
    secret = secret_of(stack)
    eid = accepted(stack, "print('hooked')", callback_url=rx.url)
    assert wait_for(lambda: rx.got(1), 60, 0.05)
    _, headers, body, _ = rx.calls[0]
    assert verify(secret, headers, body)
    assert headers["webhook-id"].startswith("msg_")
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 300
    assert headers["content-type"] == "application/json"
    j = rx.json(0)
    assert j["execution_id"] == eid and j["status"] == "completed"
    assert j["result"]["stdout"] == "hooked\n"
    assert j["callback_url"] == rx.url
    d = delivered(stack, eid)
    assert d["webhook_id"] == headers["webhook-id"] and d["url"] == rx.url
    assert [a["status_code"] for a in d["attempts"]] == [200]
    assert d["attempts"][0]["error"] is None
    # A wrong secret does not verify.
    assert not verify("whsec_" + "A" * 44, headers, body)
    # Nor does the README's recipe, which accepts the real one.
    readme_verify = readme_recipe()
    assert readme_verify(secret, headers, body)
    assert not readme_verify(secret, headers, body + b" ")


def readme_recipe():
    """The verify() the README shows, run as it is written there."""
    with open(os.path.join(SRC, "README.md")) as f:
        text = f.read()
    start = text.index("```python\nimport base64, hashlib, hmac, time")
    code = text[start + len("```python\n"):text.index("```", start + 9)]
    scope = {}
    exec(compile(code, "README.md", "exec"), scope)
    return scope["verify"]


def test_sync_execute_calls_back_too(stack, receiver):
    rx = receiver()
    r = stack.execute("print('sync')", callback_url=rx.url)
    assert r.status == 200 and r.json["stdout"] == "sync\n"
    assert wait_for(lambda: rx.got(1), 60, 0.05)
    assert verify(secret_of(stack), rx.calls[0][1], rx.calls[0][2])
    assert rx.json(0)["result"]["execution_id"] == r.json["execution_id"]


def test_fails_twice_then_delivered_on_the_third(stack, receiver):
    rx = receiver([500, 503, 200])
    eid = accepted(stack, "print(3)", callback_url=rx.url)
    d = delivered(stack, eid)
    codes = [a["status_code"] for a in d["attempts"]]
    assert codes == [500, 503, 200]
    assert [a["attempt"] for a in d["attempts"]] == [1, 2, 3]
    assert "500" in d["attempts"][0]["error"]
    calls = rx.got(3)
    assert len(calls) == 3
    assert len({c[1]["webhook-id"] for c in calls}) == 1
    assert len({c[2] for c in calls}) == 1      # the same payload
    secret = secret_of(stack)
    assert all(verify(secret, c[1], c[2]) for c in calls)
    # The back-off (scaled) was kept between attempts.
    assert calls[1][0] > calls[0][0] and calls[2][0] > calls[1][0]


def test_a_hanging_receiver_delays_nothing_else(stack, receiver):
    hang, quick = receiver(["hang"]), receiver()
    slow = accepted(stack, "print('to the hanging one')",
                    callback_url=hang.url)
    assert wait_for(lambda: hang.got(1), 60, 0.05)
    fast = accepted(stack, "print('to the quick one')",
                    callback_url=quick.url)
    assert wait_for(lambda: quick.got(1), 60, 0.05)
    assert quick.json(0)["execution_id"] == fast
    assert stack.execute("print('meanwhile')").status == 200
    # The hanging one is still held, so nothing waited for it.
    assert not hang.released.is_set()
    assert deliveries(stack, slow)[0]["state"] in {"sending", "pending"}
    hang.release()
    delivered(stack, slow)


def test_secret_rotation_and_per_key_secrets(stack, receiver):
    a1 = secret_of(stack)
    assert secret_of(stack) == a1
    b = secret_of(stack, key=KEY_B)
    assert b != a1
    r = stack.post("/webhook-secret")
    assert r.status == 200
    a2 = r.json["secret"]
    assert a2 != a1 and secret_of(stack) == a2
    rx = receiver()
    accepted(stack, "print('rotated')", callback_url=rx.url)
    assert wait_for(lambda: rx.got(1), 60, 0.05)
    assert verify(a2, rx.calls[0][1], rx.calls[0][2])
    assert not verify(a1, rx.calls[0][1], rx.calls[0][2])
    # The operator's view of the same secret.
    key_id = "cfg_" + hashlib.sha256(KEY_A.encode()).hexdigest()[:12]
    out = subprocess.run([os.path.join(BUILD, "pyexec-admin"), "--config",
                          stack.conf_path, "key", "webhook-secret", key_id],
                         capture_output=True, text=True, env=stack.env())
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == a2


def test_redirects_are_not_followed(stack, receiver):
    # callback_allow names 127.0.0.1 only: a receiver there must not be
    # able to send pyexec's POST on to a host that is not allowed.
    elsewhere = receiver(host="127.0.0.2")
    rx = receiver([(307, {"Location": elsewhere.url})])
    eid = accepted(stack, "print('redirected')", callback_url=rx.url)
    d = wait_for(lambda: [x for x in deliveries(stack, eid)
                          if len(x["attempts"]) >= 2], 60, 0.05)
    assert d, deliveries(stack, eid)
    assert d[0]["state"] in {"pending", "sending"}
    assert [a["status_code"] for a in d[0]["attempts"]][:2] == [307, 307]
    assert not elsewhere.calls


def test_deliveries_of_unknown_or_foreign_executions_are_404(stack):
    assert stack.get("/executions/nope/deliveries").status == 404
    eid = accepted(stack, "print(1)")
    assert stack.get("/executions/%s/deliveries" % eid,
                     key=KEY_B).status == 404
    final(stack, eid)
    assert deliveries(stack, eid) == []


def test_delivery_survives_a_restart(make_stack, receiver):
    rx = receiver([500])
    st = make_stack("asynchook", conf={"callback_allow": "127.0.0.1",
                                       "callback_retry_scale": 0.2})
    st.wait_healthy()
    eid = accepted(st, "print('later')", callback_url=rx.url)
    assert wait_for(lambda: rx.got(1), 60, 0.05)
    # Stopped once the failed attempt is stored (an attempt cut short by
    # the stop is retried and never stored, so it proves nothing here).
    assert wait_for(lambda: [x for x in deliveries_after_restart(st, eid)
                             if x["attempts"]], 60, 0.05)
    st.stop_master()
    rx.answers = [200]
    st.start_master()
    st.restarted = True
    d = wait_for(lambda: [x for x in deliveries_after_restart(st, eid)
                          if x["state"] == "delivered"], 120, 0.2)
    assert d, deliveries_after_restart(st, eid)
    codes = [a["status_code"] for a in d[0]["attempts"]]
    assert codes[0] == 500 and codes[-1] == 200
    assert len({c[1]["webhook-id"] for c in rx.calls}) == 1


def deliveries_after_restart(st, eid):
    r = st.get("/executions/%s/deliveries" % eid)
    return r.json["deliveries"] if r.status == 200 else []


def test_no_free_sandbox_keeps_it_queued(make_stack):
    # One sandbox for two executors: the second waits pool_wait_ms, gives
    # the execution back to the queue and takes it again later.
    st = make_stack("asyncpool", conf={"pool_min_idle": 1, "pool_max": 1,
                                       "pool_wait_ms": 300,
                                       "async_executors": 2})
    st.wait_healthy()
    ids = [accepted(st, "import time\ntime.sleep(1)\nprint(%d)" % i)
           for i in range(3)]
    for i, eid in enumerate(ids):
        j = final(st, eid)
        assert j["status"] == "completed", j
        assert j["stdout"] == "%d\n" % i


def test_graceful_restart_finishes_the_running_and_keeps_the_queued(
        make_stack):
    st = make_stack("asyncdrain", conf={"async_executors": 1})
    st.wait_healthy()
    first = accepted(st, "import time\ntime.sleep(2)\nprint('first')")
    assert wait_for(lambda: st.record(first)[0] == "running", 60, 0.05)
    rest = [accepted(st, "print(%d)" % i) for i in range(3)]
    st.stop_master()
    assert st.record(first)[0] == "completed"
    assert "queued" in [st.record(eid)[0] for eid in rest]
    st.start_master()
    st.restarted = True
    for i, eid in enumerate(rest):
        assert final(st, eid)["stdout"] == "%d\n" % i

"""The walking skeleton through real lighttpd: health, errors of the
request layer, and the process model (respawn, drain, reload)."""

import json
import os
import signal
import threading
import time

import pytest

from pyexec_test import docker
from pyexec_test.stack import KEY_A
from pyexec_test.waits import in_background, scaled, wait_for


def test_health_reports_database_and_docker(stack):
    r = stack.get("/health", key=False)
    assert r.status == 200, r
    body = r.json
    assert body["status"] == "healthy"
    assert body["database"] == "ok"
    assert body["docker"] == "connected"
    assert body["pool"]["min_idle"] == 2
    assert r.header("X-Request-Id")
    assert r.header("Content-Type") == "application/json"


def test_unknown_path_is_a_json_404(stack):
    r = stack.get("/no/such/endpoint")
    assert r.status == 404
    assert r.json["error"] == "not_found"
    assert "/no/such/endpoint" in r.json["detail"]


def test_wrong_method_is_405_with_allow(stack):
    r = stack.get("/execute")
    assert r.status == 405
    assert r.json["error"] == "method_not_allowed"
    assert "POST" in r.header("Allow")
    r = stack.request("DELETE", "/health")
    assert r.status == 405
    assert "GET" in r.header("Allow")


def test_body_over_the_cap_is_413(stack):
    body = b'{"code": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    r = stack.post("/execute", body, headers={"Content-Type":
                                              "application/json"})
    assert r.status == 413
    assert r.json["error"] == "payload_too_large"
    assert "max_body_bytes" in r.json["detail"]


@pytest.mark.parametrize("body,needle", [
    (b"{not json", "invalid"),
    (b"", "empty"),
    (b"[1, 2]", "object"),
    (b'{"code": 1}', "code must be a string"),
    (b'{"nocode": "x"}', "code is required"),
    (b'{"code": "x", "timeout": "5"}', "timeout must be a number"),
    (b'{"code": "x", "timeout": -1}', "timeout must be above 0"),
    (b'{"code": "x", "timeout": 100000}', "max_timeout"),
    (b'{"code": "x", "max_memory_mb": 1.5}', "max_memory_mb"),
    (b'{"code": "x", "max_memory_mb": 999999}', "max_memory_mb"),
    (b'{"code": "x", "language": "ruby"}', "not supported"),
    (b'{"code": "x", "stdin": 5}', "stdin must be a string"),
    (b'{"code": "x", "execution_id": "a b"}', "execution_id"),
    (b'{"code": "x", "session_id": ""}', "session_id"),
    (b'{"code": "x", "variables": [1]}', "variables must be"),
    (b'{"code": "x", "variables": {"1abc": 1}}', "'1abc'"),
    (b'{"code": "x", "variables": {"class": 1}}', "'class'"),
    (b'{"code": "x", "variables": {"a": 1, "b": 2, "a": 3}}',
     "'a' is given twice"),
    (b'{"code": "x", "test_cases": {}}', "test_cases must be an array"),
    (b'{"code": "x", "test_cases": [{"code": 1}]}', "test_cases[0].code"),
    (b'{"code": "x", "stop_on_first_failure": 1}', "stop_on_first_failure"),
])
def test_bad_json_is_a_400_naming_the_problem(stack, body, needle):
    r = stack.post("/execute", body, headers={"Content-Type":
                                              "application/json"})
    assert r.status == 400, r
    assert r.json["error"] in ("invalid_json", "invalid_request")
    assert needle in r.json["detail"], r.json


def test_request_id_is_echoed_and_logged(stack):
    r = stack.get("/status", headers={"X-Request-Id": "trace-abc-123"})
    assert r.status == 200
    assert r.header("X-Request-Id") == "trace-abc-123"
    assert wait_for(lambda: "req=trace-abc-123" in stack.log(), 10)
    assert "GET /status 200" in stack.log()


def dead(pid):
    """Gone, or a zombie: either way it takes no more connections."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def test_worker_killed_is_respawned(stack):
    before = set(stack.children())
    workers = [p for p in before
               if open("/proc/%d/comm" % p).read().strip() == "pyexec-worker"]
    # The pool may have grown past `workers` for an earlier test's load.
    extra = len(workers) - int(stack.conf["workers"])
    assert extra >= 0 and len(before) == stack.n_children() + extra
    victim = workers[0]
    os.kill(victim, signal.SIGKILL)
    # SIGKILL lands asynchronously: until the victim is dead it may still
    # take a connection from the shared socket and drop it with itself,
    # as any crashing worker would.  Once it is gone, nothing may fail.
    assert wait_for(lambda: dead(victim), 10, 0.01), "SIGKILL took long"
    # /status needs only the workers and SQLite (no Docker round trip).
    statuses = [stack.get("/status").status for _ in range(40)]
    assert statuses == [200] * 40, statuses
    # The victim is replaced; the pool may grow meanwhile (its spare
    # workers under those 40 requests), so the workers are counted at
    # least, and the helpers, which never come and go, exactly.
    helpers = set(before) - set(workers)

    def replaced():
        now = set(stack.children())
        return (victim not in now and set(stack.helpers()) == helpers
                and len(now - helpers) >= len(workers))

    assert wait_for(replaced, 10), (before, stack.children())


def test_sigterm_drains_a_request_in_flight(make_stack):
    st = make_stack("drain")
    st.wait_healthy()
    slow = in_background(st.execute, "import time\ntime.sleep(2)\n"
                         "print('done')", timeout=scaled(30))
    # In flight: a worker has it and its program runs.
    assert wait_for(st.running_execution, 30, 0.05)
    st.master.send_signal(signal.SIGTERM)
    r = slow()
    rc = st.master.wait(scaled(60))
    assert r.status == 200, r
    assert r.json["stdout"] == "done\n"
    assert rc == 0


def test_sighup_reloads_without_failing_requests(make_stack):
    st = make_stack("reload")
    st.wait_healthy()
    assert st.get("/status").json["max_sessions"] == 64
    failures = []
    stop = threading.Event()

    def load():
        while not stop.is_set():
            r = st.get("/health", key=False)
            if r.status != 200:
                failures.append(r)

    threads = [threading.Thread(target=load) for _ in range(3)]
    for t in threads:
        t.start()
    old = set(st.children())
    st.conf["max_sessions"] = 7
    st.write_conf()
    st.master.send_signal(signal.SIGHUP)
    wait_for(lambda: st.get("/status").json["max_sessions"] == 7
             and not (old & set(st.children())), 20, 0.2)
    stop.set()
    for t in threads:
        t.join()
    assert st.get("/status").json["max_sessions"] == 7
    assert not (old & set(st.children())), "old workers still running"
    assert failures == []


def test_a_drain_during_a_reload_leaves_no_container(make_stack):
    """SIGTERM at several points of a SIGHUP roll (workers, then the
    keeper, which leaves its pool to a successor): whatever the point,
    a keeper removes the pool before the master exits.  The pauses only
    pick the points; what is checked is what Docker holds after."""
    st = make_stack("rolldrain", conf={"workers": 2, "pool_min_idle": 2})
    for pause in (0.05, 0.15, 0.3, 0.6, 1.2):
        if st.master.poll() is not None:
            st.start_master()
        st.wait_healthy()
        # The keeper is making a replacement when its turn comes.
        assert st.execute("print(1)").status == 200
        st.master.send_signal(signal.SIGHUP)
        time.sleep(pause)
        assert st.stop_master() == 0
        left = docker.instance_containers(st.iid)
        assert not left, (pause, left, st.log()[-3000:])


def test_bad_config_on_sighup_keeps_running(make_stack):
    st = make_stack("badreload")
    st.wait_healthy()
    with open(st.conf_path, "a") as f:
        f.write("no_such_key = 1\n")
    st.master.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "no_such_key: unknown key" in st.log(), 10)
    assert st.master.poll() is None
    assert st.get("/health", key=False).status == 200


def test_bad_config_stops_startup_naming_key_and_line(make_stack):
    st = make_stack("badconf", start=False)
    st.conf["workers"] = "lots"
    with pytest.raises(RuntimeError) as e:
        st.start_master()
    assert "workers" in str(e.value)
    assert "pyexec.conf:" in str(e.value)


def test_first_start_without_keys_generates_one(make_stack):
    st = make_stack("genkey", keys=(), start=False)
    st.start()
    st.wait_healthy()
    path = os.path.join(st.data, "api_key")
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    key = open(path).read().strip()
    assert key.startswith("pyx_") and len(key) > 30
    assert key in st.log()              # printed once ...
    assert st.get("/status", key=key).status == 200
    assert st.get("/status", key=KEY_A).status == 401
    db = st.db()
    stored = [r[0] for r in db.execute("SELECT hash FROM api_keys")]
    db.close()
    assert key not in json.dumps(stored)  # ... and stored hashed
    st.restart_master()
    assert st.log().count(key) == 1       # not printed again

"""The queue of SPEC section 8 through lighttpd with real Docker (issue
15, item 4): one queue shared by all workers, round robin across keys,
queue_max with Retry-After, no place stuck by a killed worker or a client
that hung up, and the queue in /status and /metrics."""

import json
import os
import re
import signal
import socket
import struct
import threading

import pytest

from pyexec_test.stack import KEY_A, KEY_B, UNSCOPED
from pyexec_test.waits import in_background, scaled, wait_for

SLEEP = "import time\ntime.sleep(%s)\nprint('done')"


def status(st):
    return st.get("/status").json


def depth(st):
    return status(st)["queue_depth"]


def metric(st, name):
    text = st.get("/metrics").body.decode()
    m = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
    return float(m.group(1)) if m else None


def hold_the_only_sandbox(st, seconds):
    """Runs a long execution on the stack's only container; returns its
    result getter once it runs."""
    holder = in_background(st.execute, SLEEP % seconds, timeout=seconds + 30)
    assert wait_for(st.running_execution, 60, 0.05), st.log()[-2000:]
    return holder


def test_flooding_key_does_not_starve_another(make_stack):
    """Key A floods with 40 requests; B's requests, sent one after the
    other while A's wait, are each served within a round or two.  The
    stack starts 4 workers: the pool grows so that A's requests wait in
    pyexec's queue, not in the socket's backlog ahead of B's."""
    st = make_stack("fair", conf={"isolation": "process", "pool_min_idle": 1,
                                  "pool_max": 3,
                                  "queue_wait": scaled(600)})
    st.wait_healthy()
    done = []                   # completion order: ("A"|"B", response)
    lock = threading.Lock()

    def one(key, tag, code):
        r = st.execute(code, _key=key, timeout=30)
        with lock:
            done.append((tag, r))

    flood = [threading.Thread(target=one, args=(KEY_A, "A", SLEEP % 0.3))
             for _ in range(40)]
    for t in flood:
        t.start()
    assert wait_for(lambda: depth(st) >= 20, 60, 0.1), status(st)
    behind = []
    for i in range(3):
        with lock:
            before = sum(1 for tag, _ in done if tag == "A")
        one(KEY_B, "B", "print(%d)" % i)
        with lock:
            after = sum(1 for tag, _ in done if tag == "A")
        behind.append(after - before)
    for t in flood:
        t.join()
    assert len(done) == 43
    assert all(r.status == 200 for _, r in done), [
        (r.status, r.body[:200]) for _, r in done if r.status != 200]
    assert all(r.json["stdout"] == "done\n" for tag, r in done
               if tag == "A"), [r.json for tag, r in done
                                if r.json["stdout"] != "done\n" and tag == "A"]
    b_out = [r.json["stdout"] for tag, r in done if tag == "B"]
    assert b_out == ["0\n", "1\n", "2\n"]
    # First come, first served would put each B behind ~20 of A's; a
    # turn each lets at most a few of A's (those running) finish first.
    assert max(behind) <= 8, behind
    assert depth(st) == 0


@pytest.mark.parametrize("isolation", ["process", "container"])
def test_queue_max_gives_503_with_retry_after(make_stack, isolation):
    st = make_stack("qmax-" + isolation,
                    conf={"isolation": isolation, "pool_min_idle": 1,
                          "pool_max": 1, "workers": 16, "queue_max": 3,
                          "queue_wait": scaled(600)})
    st.wait_healthy()
    holder = hold_the_only_sandbox(st, scaled(8))
    waiting = [in_background(st.execute, "print(%d)" % i)
               for i in range(3)]
    assert wait_for(lambda: depth(st) == 3, 60, 0.05), status(st)
    over = [st.execute("print('over')") for _ in range(2)]
    for r in over:
        assert r.status == 503, r
        assert r.json["error"] == "sandbox_unavailable"
        assert "queue_max" in r.json["detail"]
        assert int(r.header("Retry-After")) >= 1
    assert holder().status == 200
    # Within queue_max nothing is dropped.
    outs = sorted(w().json["stdout"] for w in waiting)
    assert outs == ["0\n", "1\n", "2\n"]
    assert metric(st, 'pyexec_queue_left_total{reason="full"}') == 2
    assert depth(st) == 0


def queued_execution(st):
    rows = st.query("SELECT " + UNSCOPED + ", worker_pid FROM executions"
                    " WHERE status = 'queued'")
    return rows[0] if rows else None


def test_worker_killed_while_queued_leaves_no_stuck_place(make_stack):
    st = make_stack("qkill", conf={"pool_min_idle": 1, "pool_max": 1,
                                   "workers": 8, "queue_wait": scaled(600)})
    st.wait_healthy()
    holder = hold_the_only_sandbox(st, scaled(6))
    victim = in_background(st.execute, "print('victim')")
    row = wait_for(lambda: depth(st) == 1 and queued_execution(st), 60, 0.05)
    assert row, status(st)
    later = in_background(st.execute, "print('later')")
    assert wait_for(lambda: depth(st) == 2, 60, 0.05), status(st)
    os.kill(row[1], signal.SIGKILL)
    # Its place goes at once, not when its wait would have ended.
    assert wait_for(lambda: depth(st) == 1, 30, 0.05), status(st)
    assert victim().status >= 500
    assert wait_for(lambda: st.record(row[0])[0] == "interrupted", 30), \
        st.record(row[0])
    assert holder().status == 200
    r = later()
    assert r.status == 200 and r.json["stdout"] == "later\n", r
    assert depth(st) == 0
    r = st.execute("print('after')")
    assert r.status == 200 and r.json["stdout"] == "after\n"


def fcgi_record(kind, content=b""):
    """One FastCGI record of request 1 (version 1, no padding)."""
    return struct.pack(">BBHHBx", 1, kind, 1, len(content), 0) + content


def fcgi_pairs(params):
    out = b""
    for k, v in params.items():
        k, v = k.encode(), v.encode()
        out += bytes([len(k), len(v)]) + k + v   # all shorter than 128
    return out


def fcgi_execute(socket_path, code):
    """Sends POST /execute straight to pyexec's FastCGI socket, as a web
    server would, and leaves the answer unread: the socket.  Bypassing the
    web server makes the hang-up exact: whether and when a web server
    passes a client's hang-up on is the web server's business."""
    body = json.dumps({"code": code}).encode()
    params = {"REQUEST_METHOD": "POST", "REQUEST_URI": "/execute",
              "SCRIPT_NAME": "/execute", "QUERY_STRING": "",
              "CONTENT_TYPE": "application/json",
              "CONTENT_LENGTH": str(len(body)),
              "HTTP_AUTHORIZATION": "Bearer " + KEY_A,
              "REMOTE_ADDR": "127.0.0.1"}
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(socket_path)
    s.sendall(fcgi_record(1, struct.pack(">HB5x", 1, 0))    # BEGIN, responder
              + fcgi_record(4, fcgi_pairs(params)) + fcgi_record(4)
              + fcgi_record(5, body) + fcgi_record(5))
    return s


def test_client_that_hangs_up_gives_its_place_up(make_stack):
    st = make_stack("qgone", conf={"pool_min_idle": 1, "pool_max": 1,
                                   "workers": 8, "queue_wait": scaled(600)})
    st.wait_healthy()
    holder = hold_the_only_sandbox(st, scaled(10))
    s = fcgi_execute(st.socket_path, "print('gone')")
    assert wait_for(lambda: depth(st) == 1, 60, 0.05), status(st)
    s.close()
    assert wait_for(lambda: depth(st) == 0, 30, 0.05), status(st)
    # ... while the only sandbox is still held: the place was given up.
    assert st.running_execution()
    assert metric(st, 'pyexec_queue_left_total{reason="client_gone"}') == 1
    assert holder().status == 200
    r = st.execute("print('next')")
    assert r.status == 200 and r.json["stdout"] == "next\n"


def test_status_and_metrics_show_the_queue(make_stack):
    st = make_stack("qstat", conf={"pool_min_idle": 1, "pool_max": 1,
                                   "workers": 8, "queue_max": 100,
                                   "queue_wait": scaled(600)})
    st.wait_healthy()
    s = status(st)
    assert s["queue_depth"] == 0 and s["queue_oldest_wait_ms"] == 0
    assert s["queue_max"] == 100
    holder = hold_the_only_sandbox(st, scaled(4))
    waiter = in_background(st.execute, "print(1)")
    assert wait_for(lambda: depth(st) == 1, 60, 0.05)
    assert wait_for(lambda: status(st)["queue_oldest_wait_ms"] > 0, 30, 0.05)
    assert metric(st, "pyexec_queue_depth") == 1
    assert metric(st, "pyexec_queue_oldest_wait_seconds") > 0
    assert holder().status == 200
    r = waiter()
    assert r.status == 200 and r.json["timings"]["queue_ms"] > 0
    assert status(st)["queue_drain_per_s"] > 0
    assert metric(st, "pyexec_queue_drain_per_second") > 0
    assert metric(st, 'pyexec_queue_left_total{reason="served"}') >= 2


def test_worker_pool_grows_under_load_and_shrinks_when_idle(make_stack):
    """Two workers to start: 12 requests at once all reach pyexec's queue
    (the pool grows), and the idle workers go again afterwards."""
    st = make_stack("grow", conf={"isolation": "process", "pool_min_idle": 1,
                                  "pool_max": 1, "workers": 2,
                                  "workers_min": 1, "workers_spare_min": 1,
                                  "workers_spare_max": 2,
                                  "queue_wait": scaled(600)})
    st.wait_healthy()
    assert status(st)["fcgi_workers"] <= 3
    calls = [in_background(st.execute, SLEEP % 0.5) for _ in range(12)]
    # All but the running one wait in the queue, each in its own worker.
    assert wait_for(lambda: depth(st) >= 11, 60, 0.05), status(st)
    assert status(st)["fcgi_workers"] >= 13
    assert all(c().status == 200 for c in calls)
    assert wait_for(lambda: status(st)["fcgi_workers"] <= 3, 60, 0.2), \
        status(st)

"""A cell lost and restored (SPEC §10): b dies under a stream of work
through HAProxy and only what was in flight on it fails, nothing twice;
while b is down its sessions answer 410 at once and its records 503, and
a's own work goes on; b's Litestream copy restored on a serves b's
records and images read-only; b back, HAProxy gives it work again and
its ids go to it.  Runs last: it kills b, then restarts it."""

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from conftest import admin, start_replication
from pyexec_test.stack import UNSCOPED
from pyexec_test.waits import wait_for

def node(r):
    return r.header("X-Pyexec-Node")


PLOT = "import matplotlib.pyplot as plt\nplt.plot([3, 1, 2])\nplt.show()\n"


def kill(st):
    """Host b dies: its front end and pyexec, at once (a lighttpd left
    up would answer 503 itself for the moment pyexec takes to die)."""
    st.lighttpd.kill()
    st.crash()
    st.lighttpd.wait()
    st.replication.kill()
    st.replication.wait()


def storm(front, b, n=200, kill_after=60):
    """n executions through HAProxy, four at a time; b dies after
    kill_after of them answered.  Their answers, by index (None: no
    HTTP answer at all)."""
    answers = [None] * n
    done = threading.Semaphore(0)

    def one(i):
        try:
            answers[i] = front.execute("print(%d)" % i,
                                       execution_id="storm-%d" % i)
        finally:
            done.release()

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(one, i) for i in range(n)]
        for _ in range(kill_after):
            done.acquire()
        kill(b)
        for f in futures:
            f.exception()
    return answers


def stored_storm_ids(st):
    return [r[0] for r in st.query("SELECT " + UNSCOPED + " FROM executions"
                                   " WHERE " + UNSCOPED + " LIKE '%.storm-%'")]


def test_a_lost_cell_is_restored_on_a_survivor(cells, front):
    a, b = cells["a"], cells["b"]
    old = [b.execute("print(%d)" % i).json["execution_id"] for i in range(5)]
    plot = b.execute(PLOT).json
    assert plot["images"], plot
    r = b.execute("x = 1", session_id="kept")
    assert r.status == 200, r
    before = {e: b.get("/executions/" + e).json for e in old}
    image = b.get("/images/%s.png" % plot["images"][0]["id"], key=False)
    assert image.status == 200
    # Litestream syncs every second: these are in the copy...
    time.sleep(3)
    # ...and these, written right before the loss, may not be.
    last = [b.execute("print('last %d')" % i).json["execution_id"]
            for i in range(10)]
    answers = storm(front, b)

    # Only what was in flight on b when it died failed; every answer is
    # right and came from one cell; nothing ran twice.
    failed = [i for i, r in enumerate(answers)
              if r is None or r.status != 200]
    assert len(failed) <= 4, [(i, answers[i]) for i in failed]
    for i, r in enumerate(answers):
        if i not in failed:
            assert r.json["stdout"] == "%d\n" % i, r
            assert r.json["execution_id"] == "%s.storm-%d" % (node(r), i)
    ran = stored_storm_ids(a) + stored_storm_ids(b)
    assert len(ran) == len(set(r.split(".", 1)[1] for r in ran)), \
        "an execution ran on both cells"
    print("failed while b died: %d of %d; on a after: %d" % (
        len(failed), len(answers),
        sum(1 for r in answers[100:] if r and node(r) == "a")))

    # Never a hang: the client's timeout would fail these.
    r = a.get("/sessions/b.kept", timeout=30)
    assert r.status == 410 and r.json["error"] == "session_lost", r
    r = a.request("POST", "/execute", {"code": "x", "session_id": "b.kept"},
                  timeout=30)
    assert r.status == 410, r
    r = a.get("/executions/" + old[0])
    assert r.status == 503 and r.json["error"] == "cell_unavailable", r
    assert r.header("Retry-After")
    own = a.execute("print('a goes on')")
    assert own.status == 200 and own.json["stdout"] == "a goes on\n", own

    out = admin(a, "restore-cell", "b",
                os.path.join(b.conf["replica_dir"], "b"), timeout=120)
    assert out.returncode == 0, out.stderr
    assert "restored cell b" in out.stdout, out.stdout
    for e in old:
        r = a.get("/executions/" + e)
        assert r.status == 200, r
        assert r.header("X-Pyexec-Copy-Of") == "b", r.headers
        assert r.json == before[e]
    r = a.get("/images/%s.png" % plot["images"][0]["id"], key=False)
    assert r.status == 200 and r.body == image.body, r
    # Read-only: nothing of b's is changed while b is away.
    r = a.post("/executions/%s/cancel" % old[0])
    assert r.status == 503, r
    r = a.get("/sessions/b.kept")
    assert r.status == 410, r
    lost = [e for e in last if a.get("/executions/" + e).status != 200]
    print("records written in the last moments before the loss and not "
          "in the copy: %d of %d" % (len(lost), len(last)))

    # b comes back: HAProxy gives it new work within its checks, and its
    # ids go to it again, not to the copy.
    b.start()
    start_replication(b)
    b.wait_healthy()
    assert wait_for(lambda: node(front.execute("print(1)")) == "b", 30,
                    0.2), "HAProxy sends no work to b after it is back"
    r = a.get("/executions/" + old[0])
    assert r.status == 200 and r.header("X-Pyexec-Node") == "b", r
    assert r.header("X-Pyexec-Copy-Of") is None
    assert r.json == before[old[0]]
    # Its records of the last moments are all there, on its own disk.
    for e in last:
        assert b.get("/executions/" + e).status == 200

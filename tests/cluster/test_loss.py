"""A cell lost and restored (SPEC §10): while b is down its sessions
answer 410 at once and its records 503; a's own work goes on; b's
Litestream copy restored on a serves b's records and images read-only;
b back, its ids go to it again.  Runs last: it kills b, then restarts
it."""

import os
import time

from conftest import admin, start_replication

PLOT = "import matplotlib.pyplot as plt\nplt.plot([3, 1, 2])\nplt.show()\n"


def kill(st):
    """Host b dies: pyexec and its front end, at once."""
    st.crash()
    st.lighttpd.kill()
    st.lighttpd.wait()
    st.replication.kill()
    st.replication.wait()


def test_a_lost_cell_is_restored_on_a_survivor(cells):
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
    kill(b)

    t0 = time.monotonic()
    r = a.get("/sessions/b.kept")
    assert r.status == 410 and r.json["error"] == "session_lost", r
    r = a.execute("x", session_id="b.kept")
    assert r.status == 410, r
    assert time.monotonic() - t0 < 10, "a lost cell must not hang"
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

    # b comes back: its ids go to it again, not to the copy.
    b.start()
    start_replication(b)
    b.wait_healthy()
    r = a.get("/executions/" + old[0])
    assert r.status == 200 and r.header("X-Pyexec-Node") == "b", r
    assert r.header("X-Pyexec-Copy-Of") is None
    assert r.json == before[old[0]]
    # Its records of the last moments are all there, on its own disk.
    for e in last:
        assert b.get("/executions/" + e).status == 200

"""Fault injection through the real stack: a worker killed mid-execution,
SQLite held busy by another process, a full disk, dockerd stopped and
restarted, pyexec-fcgi restarted or crashed with work in flight.  Each
test checks that nothing is lost or leaked and that the service recovers.
dockerd is stopped on purpose here, so this suite runs alone, last."""

import os
import signal
import sqlite3
import subprocess
import threading
import time

import pytest

import dockerctl


def wait_for(pred, timeout=30, step=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def running_execution(st):
    db = st.db()
    try:
        return db.execute("SELECT id, worker_pid, container FROM executions "
                          "WHERE status = 'running'").fetchone()
    finally:
        db.close()


def record(st, eid):
    db = st.db()
    try:
        return db.execute("SELECT status, error FROM executions WHERE id = ?",
                          (eid,)).fetchone()
    finally:
        db.close()


def container_exists(name):
    out = subprocess.run(["docker", "ps", "-a", "--filter", "name=" + name,
                          "--format", "{{.Names}}"], capture_output=True,
                         text=True).stdout
    return name in out.split()


def in_background(fn, *args, **kw):
    box = {}

    def run():
        box["r"] = fn(*args, **kw)

    t = threading.Thread(target=run)
    t.start()
    return t, box


def test_worker_killed_mid_execution(make_stack):
    st = make_stack("killworker")
    st.wait_healthy()
    t, box = in_background(st.execute, "import time\ntime.sleep(5)",
                           timeout=10)
    row = wait_for(lambda: running_execution(st), 10, 0.05)
    assert row, "no running execution seen"
    eid, pid, container = row
    os.kill(pid, signal.SIGKILL)
    t.join(30)
    assert 500 <= box["r"].status < 600, box["r"]
    assert wait_for(lambda: record(st, eid)[0] == "interrupted"), \
        record(st, eid)
    assert wait_for(lambda: not container_exists(container))
    # the worker is replaced and the service goes on
    assert wait_for(lambda: len(st.children()) == 5)
    r = st.execute("print('after')")
    assert r.status == 200 and r.json["stdout"] == "after\n"


def test_sqlite_busy_gives_503_then_recovers(make_stack):
    st = make_stack("busy", conf={"busy_timeout_ms": 300})
    st.wait_healthy()
    assert st.execute("print(1)").status == 200
    hold = sqlite3.connect(os.path.join(st.data, "pyexec.db"),
                           isolation_level=None, timeout=30)
    hold.execute("BEGIN EXCLUSIVE")
    try:
        t0 = time.time()
        r = st.execute("print(2)")
        assert r.status == 503, r
        assert r.json["error"] in ("database_busy", "database_unavailable")
        assert r.header("Retry-After")
        assert time.time() - t0 < 10
    finally:
        hold.execute("ROLLBACK")
        hold.close()
    r = st.execute("print(3)")
    assert r.status == 200 and r.json["stdout"] == "3\n"
    db = st.db()
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM executions WHERE status IN "
                      "('queued', 'running')").fetchone()[0] == 0
    db.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_disk_full_gives_507_then_recovers(make_stack):
    st = make_stack("diskfull", start=False, conf={"pool_min_idle": 1})
    os.makedirs(st.data, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs",
                    st.data], check=True)
    try:
        st.start()
        st.wait_healthy()
        assert st.execute("print(1)").status == 200
        filler = os.path.join(st.data, "filler")
        subprocess.run(["dd", "if=/dev/zero", "of=" + filler, "bs=64k"],
                       capture_output=True)
        r = st.execute("print('x' * 100000)")
        assert r.status in (507, 503), r
        assert r.json["error"] in ("insufficient_storage",
                                   "sandbox_unavailable",
                                   "database_unavailable")
        os.unlink(filler)
        r = wait_for(lambda: (lambda r: r if r.status == 200 else None)(
            st.execute("print(2)")), 30, 0.5)
        assert r and r.json["stdout"] == "2\n"
    finally:
        st.stop()
        subprocess.run(["umount", "-l", st.data])


def test_crash_with_work_in_flight_then_restart(make_stack):
    st = make_stack("crash")
    st.wait_healthy()
    r = st.post("/execute", {"session_id": "survivor", "code": "v = 7"})
    assert r.status == 200
    t, box = in_background(st.execute, "import time\ntime.sleep(5)",
                           timeout=10)
    row = wait_for(lambda: running_execution(st), 10, 0.05)
    eid = row[0]
    st.crash()
    t.join(30)
    assert box["r"].status >= 500
    st.start_master()
    st.wait_healthy()
    assert wait_for(lambda: record(st, eid)[0] == "interrupted")
    r = st.post("/execute", {"session_id": "survivor", "code": "print(v)"})
    assert r.status == 200 and r.json["stdout"] == "7\n", r


def test_docker_down_then_back(make_stack):
    st = make_stack("dockerdown")
    st.wait_healthy()
    with dockerctl.stopped():
        r = wait_for(lambda: (lambda r: r if r.status == 503 else None)(
            st.get("/health", key=False)), 15)
        assert r and r.json["status"] == "unhealthy"
        assert r.json["docker"] == "unreachable"
        r = st.execute("print(1)")
        assert r.status == 503, r
        assert r.json["error"] in ("docker_unavailable",
                                   "sandbox_unavailable")
        assert r.header("Retry-After")
    # back, without restarting pyexec
    assert wait_for(lambda: st.get("/health", key=False).status == 200, 60)
    r = wait_for(lambda: (lambda r: r if r.status == 200 else None)(
        st.execute("print('back')")), 60, 0.5)
    assert r and r.json["stdout"] == "back\n"


def test_dockerd_restarted_mid_execution(make_stack):
    st = make_stack("dockerrestart")
    st.wait_healthy()
    t, box = in_background(st.execute, "import time\ntime.sleep(4)\n"
                           "print('finished')", timeout=20)
    wait_for(lambda: running_execution(st), 10, 0.05)
    dockerctl.restart()
    t.join(60)
    r = box["r"]
    # The run was cut short: a clear answer, not a hang or a 500.
    assert r.status in (200, 503), r
    if r.status == 200:
        assert r.json["status"] in ("killed", "completed", "error")
    r = wait_for(lambda: (lambda r: r if r.status == 200 else None)(
        st.execute("print('again')")), 90, 0.5)
    assert r and r.json["stdout"] == "again\n"

"""Fault injection through the real stack: a worker killed mid-execution,
SQLite held busy by another process, a full disk, dockerd stopped and
restarted, pyexec-fcgi restarted or crashed with work in flight.  Each
test checks that nothing is lost or leaked and that the service recovers.
dockerd is stopped on purpose here, so this suite runs alone, last."""

import os
import signal
import sqlite3
import subprocess
import time

import pytest

from pyexec_test import docker, dockerd
from pyexec_test.waits import in_background, scaled, wait_for, wait_for_status

# Long enough that what a test does to the service (kill a worker, crash
# it, restart dockerd) happens while the program still runs, however
# slow the machine; the test never waits for it to end.
LONG_SLEEP = "import time\ntime.sleep(%d)\nprint('finished')" % scaled(60)


def test_worker_killed_mid_execution(make_stack):
    st = make_stack("killworker")
    st.wait_healthy()
    reply = in_background(st.execute, LONG_SLEEP, timeout=scaled(120))
    row = wait_for(st.running_execution, 30, 0.05)
    assert row, "no running execution seen"
    eid, pid, container = row
    os.kill(pid, signal.SIGKILL)
    r = reply()
    assert 500 <= r.status < 600, r
    assert wait_for(lambda: st.record(eid)[0] == "interrupted"), \
        st.record(eid)
    assert wait_for(lambda: not docker.exists(container))
    # the worker is replaced and the service goes on
    assert wait_for(lambda: len(st.children()) >= st.n_children())
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
        # busy_timeout_ms is 300: the worker gave up, it did not hang.
        assert time.time() - t0 < scaled(10)
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
    # An 8 MB disk: below any free-space floor, so none (it is the write
    # failing that is tested here; the floor has its own test).
    st = make_stack("diskfull", start=False, conf={"pool_min_idle": 1,
                                                   "min_free_disk_mb": 0})
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
        r = wait_for_status(lambda: st.execute("print(2)"))
        assert r and r.json["stdout"] == "2\n"
    finally:
        st.stop()
        subprocess.run(["umount", "-l", st.data])


def test_crash_with_work_in_flight_then_restart(make_stack):
    st = make_stack("crash")
    st.wait_healthy()
    r = st.post("/execute", {"session_id": "survivor", "code": "v = 7"})
    assert r.status == 200
    reply = in_background(st.execute, LONG_SLEEP, timeout=scaled(120))
    row = wait_for(st.running_execution, 30, 0.05)
    assert row, "no running execution seen"
    eid = row[0]
    st.crash()
    assert reply().status >= 500
    st.start_master()
    st.wait_healthy()
    assert wait_for(lambda: st.record(eid)[0] == "interrupted")
    r = st.post("/execute", {"session_id": "survivor", "code": "print(v)"})
    assert r.status == 200 and r.json["stdout"] == "7\n", r


def test_docker_down_then_back(make_stack):
    st = make_stack("dockerdown")
    st.wait_healthy()
    with dockerd.stopped():
        r = wait_for_status(lambda: st.get("/health", key=False), 503, 15,
                            0.2)
        assert r and r.json["status"] == "unhealthy"
        assert r.json["docker"] == "unreachable"
        r = st.execute("print(1)")
        assert r.status == 503, r
        assert r.json["error"] in ("docker_unavailable",
                                   "sandbox_unavailable")
        assert r.header("Retry-After")
    # back, without restarting pyexec
    assert wait_for(lambda: st.get("/health", key=False).status == 200, 60)
    r = wait_for_status(lambda: st.execute("print('back')"), timeout=60)
    assert r and r.json["stdout"] == "back\n"


def test_dockerd_restarted_mid_execution(make_stack):
    """What a dockerd restart does to a program that is running depends
    on one setting of the daemon.  Without live-restore dockerd stops
    every container as it goes down: the runner dies with its container,
    and the host answers 200 "killed" (the program had started, so
    something ran: no 503, no retry).  With live-restore the container
    and the runner's socket, which dockerd is not on, carry on: the
    program completes."""
    st = make_stack("dockerrestart")
    st.wait_healthy()
    restores = docker.live_restore()
    reply = in_background(st.execute, LONG_SLEEP, timeout=scaled(120))
    row = wait_for(st.running_execution, 30, 0.05)
    assert row, "no running execution seen"
    # Running means the record says so; the program has started once a
    # process of the sandbox user (uid 10001) is in the container.
    assert wait_for(lambda: 10001 in docker.process_uids(row[2]), 30)
    dockerd.restart()
    r = reply()
    assert r.status == 200, r
    if restores:
        assert r.json["status"] == "completed", r.json
        assert r.json["stdout"] == "finished\n"
    else:
        assert r.json["status"] == "killed", r.json
        assert r.json["stdout"] == ""
    assert st.record(row[0])[0] == r.json["status"]
    r = wait_for_status(lambda: st.execute("print('again')"), timeout=90)
    assert r and r.json["stdout"] == "again\n"

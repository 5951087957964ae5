"""The warm pool and the two isolation modes, through lighttpd with real
Docker (issue: warm container pool and in-container runner)."""

import subprocess
import threading
import time

import pytest

from pyexec_test import docker
from pyexec_test.stack import KEY_A, KEY_B
from pyexec_test.waits import in_background, scaled, wait_for, wait_for_status

# The sandbox user's processes, not all: a heavy container has one more of
# the runner's (its own fork, kept ready) than a light one.
LEAK_PROBE = ("import os, glob\n"
              "def mine(pid):\n"
              "    try:\n"
              "        return os.stat('/proc/' + pid).st_uid == os.getuid()\n"
              "    except OSError:\n"
              "        return False\n"
              "print(sorted(glob.glob('/tmp/*') + glob.glob('/work/*') +"
              " glob.glob('/dev/shm/*')), 'marker' in globals(),"
              " len([p for p in os.listdir('/proc') if p.isdigit()"
              " and mine(p)]))")
# os.fork is on the policy's list: these stacks run with the policy off,
# so the container and the runner alone are shown to wipe everything.
LEAVE_TRACES = (
    "open('/tmp/left', 'w').write('x')\n"
    "open('/work/left', 'w').write('x')\n"
    "open('/dev/shm/left', 'w').write('x')\n"
    "marker = 1\n"
    "import os, time\n"
    "if os.fork() == 0:\n"
    "    os.setsid()\n"
    "    time.sleep(60)\n"
    "    os._exit(0)\n"
    "print('left traces')\n")


def check_isolation(st):
    """What a fresh execution sees (the runner's own files, and of the
    sandbox user's processes itself) is all the next one sees after
    traces were left."""
    clean = st.execute(LEAK_PROBE).json["stdout"]
    assert clean.endswith("False 1\n"), clean
    r = st.execute(LEAVE_TRACES, timeout=10)
    assert r.status == 200 and r.json["stdout"] == "left traces\n", r
    first = st.container_of(r.json["execution_id"])
    for _ in range(3):
        r = st.execute(LEAK_PROBE)
        assert r.status == 200
        assert r.json["stdout"] == clean, r.json
    return first, st.container_of(r.json["execution_id"])


def test_container_mode_fresh_container_each_time(make_stack):
    st = make_stack("cmode", conf={"pool_min_idle": 2, "policy": "off"})
    st.wait_healthy()
    first, last = check_isolation(st)
    assert first != last
    ids = [st.execute("print(1)").json["execution_id"] for _ in range(3)]
    names = {st.container_of(i) for i in ids}
    assert len(names) == 3


def test_process_mode_reuses_per_key_and_wipes(make_stack):
    st = make_stack("pmode", conf={"pool_min_idle": 2,
                                   "isolation": "process", "reuse_max": 50,
                                   "policy": "off"})
    st.wait_healthy()
    first, last = check_isolation(st)
    assert first == last            # reused, yet nothing survived


def test_process_mode_never_shares_across_keys(make_stack):
    st = make_stack("pkeys", conf={"pool_min_idle": 2,
                                   "isolation": "process"})
    st.wait_healthy()
    a = {st.container_of(st.execute("print(1)", _key=KEY_A)
                      .json["execution_id"]) for _ in range(4)}
    b = {st.container_of(st.execute("print(1)", _key=KEY_B)
                      .json["execution_id"]) for _ in range(4)}
    assert a and b and not (a & b), (a, b)


def test_process_mode_retires_after_reuse_max(make_stack):
    st = make_stack("preuse", conf={"pool_min_idle": 1,
                                    "isolation": "process", "reuse_max": 3})
    st.wait_healthy()
    names = [st.container_of(st.execute("print(1)").json["execution_id"])
             for _ in range(7)]
    assert max(names.count(n) for n in names) <= 3, names


def test_exhausted_pool_gives_503_with_retry_after(make_stack):
    st = make_stack("exhaust", conf={"pool_min_idle": 1, "pool_max": 1,
                                     "queue_wait": 0.5})
    st.wait_healthy()
    # The holder keeps the only container well past the probe's wait.
    holder = in_background(st.execute, "import time\ntime.sleep(%d)"
                           % scaled(6), timeout=scaled(60))
    assert wait_for(st.running_execution, 30, 0.05)
    t0 = time.time()
    r = st.execute("print(1)")
    waited = time.time() - t0
    assert r.status == 503, r
    assert r.json["error"] == "sandbox_unavailable"
    assert r.header("Retry-After")
    # It waited queue_wait for a container, and not much longer.
    assert 0.4 < waited < scaled(5), waited
    assert holder().status == 200
    # ... and it recovers once the holder is done.
    r = wait_for_status(lambda: st.execute("print(2)"))
    assert r and r.json["stdout"] == "2\n"


def test_empty_pool_waits_fairly_instead_of_failing(make_stack):
    st = make_stack("queue", conf={"pool_min_idle": 1, "pool_max": 3,
                                   "queue_wait": scaled(60)})
    st.wait_healthy()
    out = []

    def one():
        out.append(st.execute("print('q')"))

    threads = [threading.Thread(target=one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status for r in out] == [200] * 6
    assert all(r.json["stdout"] == "q\n" for r in out)


def test_pool_disabled_cold_starts(make_stack):
    st = make_stack("cold", conf={"pool_min_idle": 0})
    st.wait_healthy()
    assert st.get("/health", key=False).json["pool"]["idle"] == 0
    r = st.execute("print('cold')")
    assert r.status == 200 and r.json["stdout"] == "cold\n"
    assert r.json["timings"]["sandbox_ms"] > 50     # it made a container


def test_first_requests_are_not_taken_for_leftovers(make_stack):
    """Start-up marks what a previous run left in flight as over.  It must
    never take what the new workers start for that: with the pool off, a
    request sent the moment the service listens makes its own container
    while the other processes are still starting (on a slow host, the
    keeper used to retire it as a leftover: 503, record interrupted)."""
    for i in range(3):
        st = make_stack("first%d" % i, conf={"pool_min_idle": 0})
        r = st.execute("print('first')")
        assert r.status == 200 and r.json["stdout"] == "first\n", r
        assert st.record(r.json["execution_id"])[0] == "completed"
        assert "were running when pyexec stopped" not in st.log()
        st.stop()


def test_killed_container_is_detected_and_replaced(make_stack):
    st = make_stack("killed", conf={"pool_min_idle": 2})
    st.wait_healthy()
    for n in st.containers("idle"):
        subprocess.run(["docker", "kill", n], capture_output=True)
    r = st.execute("print('after kill')")
    assert r.status == 200 and r.json["stdout"] == "after kill\n", r
    st.wait_idle(2)


def test_runner_that_stalls_gets_its_container_killed(make_stack):
    st = make_stack("stall", conf={"pool_min_idle": 1})
    st.wait_healthy()
    # The only idle container, so the next execution gets it.
    [name] = st.containers("idle")
    # Freeze the whole container: the runner can't answer at all.
    subprocess.run(["docker", "pause", name], capture_output=True)
    try:
        t0 = time.time()
        r = st.execute("print(1)", timeout=1)
        assert r.status == 200
        assert st.container_of(r.json["execution_id"]) == name
        assert r.json["status"] == "timeout", r.json
        # The host's own deadline (the timeout and a 10 s grace) ended it.
        assert time.time() - t0 < 1 + 10 + scaled(10)
        assert wait_for(lambda: not docker.exists(name), 30), name
    finally:
        subprocess.run(["docker", "unpause", name], capture_output=True)


def test_restart_leaves_no_orphan(make_stack):
    st = make_stack("orphans", conf={"pool_min_idle": 3})
    st.wait_healthy()
    st.crash()                       # no chance to clean up
    before = set(docker.instance_containers(st.iid))
    assert len(before) >= 3
    st.start_master()
    st.wait_healthy()
    # The old containers go in the background, after the new ones came.
    assert wait_for(lambda: not (before & set(
        docker.instance_containers(st.iid))), 60), before
    after = docker.instance_containers(st.iid)
    assert set(after) <= set(st.containers())


def test_stop_while_the_pool_fills_leaves_nothing(make_stack):
    st = make_stack("stopfill", conf={"pool_min_idle": 6})

    def states():
        return {r[0] for r in st.query("SELECT state FROM containers")}
    # Catch the keeper with creations in flight and some ready.
    assert wait_for(lambda: {"creating", "idle"} <= states(), 60, 0.01), \
        states()
    assert st.stop() == 0
    assert docker.instance_containers(st.iid) == []


def test_stop_removes_a_container_the_table_does_not_know(make_stack):
    """A container Docker made after its create call had given up (so no
    row names it) is removed at stop, not left to the next start."""
    st = make_stack("stopsweep", conf={"pool_min_idle": 1})
    st.wait_healthy()
    stray = "pyexec-%s-stray0000000" % st.iid[:12]
    subprocess.run(["docker", "create", "--name", stray, "--label",
                    "pyexec.instance=" + st.iid, st.conf["image"], "true"],
                   check=True, capture_output=True)
    try:
        assert stray in docker.instance_containers(st.iid)
        assert st.stop() == 0
        assert docker.instance_containers(st.iid) == []
    finally:
        subprocess.run(["docker", "rm", "-f", stray], capture_output=True)


@pytest.mark.parametrize("isolation", ["process", "container"])
def test_light_and_heavy_interpreters(make_stack, isolation):
    """Code that names no heavy package forks from the runner's light
    interpreter; the reply and the record say which one ran it."""
    st = make_stack("interp-" + isolation,
                    conf={"pool_min_idle": 1, "isolation": isolation,
                          "policy": "off"})
    st.wait_healthy()

    def interpreter(code, **kw):
        r = st.execute(code, **kw)
        assert r.status == 200 and r.json["status"] == "completed", r
        rec = st.get("/executions/" + r.json["execution_id"]).json
        assert rec["timings"]["interpreter"] \
            == r.json["timings"]["interpreter"]
        return r.json["stdout"], r.json["timings"]["interpreter"]

    assert interpreter("print('hi')") == ("hi\n", "light")
    assert interpreter("import numpy as np\nprint(np.arange(3).sum())") \
        == ("3\n", "heavy")
    assert interpreter("from pandas import Series\nprint(len(Series([1])))") \
        == ("1\n", "heavy")
    # A name built at run time: the light path loads it on demand.
    assert interpreter("import importlib\n"
                       "m = importlib.import_module('nu' + 'mpy')\n"
                       "print(m.int64(6) * 7)") == ("42\n", "light")
    r = st.execute("import sys\nprint('numpy' in sys.modules)",
                   session_id="interp-" + isolation)
    assert r.status == 200 and r.json["timings"]["interpreter"] == "heavy"


def test_container_mode_keeps_each_kind_as_demand_asks(make_stack):
    """Light demand makes light containers (no preloading, cheaper), heavy
    demand heavy ones; either kind runs any code.  The pool follows
    demand as it is used: a container made while the share was still
    high may serve a few more requests first, hence the loops."""
    st = make_stack("kinds", conf={"pool_min_idle": 1, "policy": "off"})
    st.wait_healthy()

    def settled_kinds():
        """(idle, idle heavy) once the pool is back to its one idle
        container."""
        assert wait_for(lambda: st.get("/status").json[
            "idle_workers_in_pool"] >= 1, scaled(60))
        s = st.get("/status").json
        return s["idle_workers_in_pool"], s["idle_heavy"]

    def run_until(code, out, kinds):
        for _ in range(20):
            r = st.execute(code)
            assert r.status == 200 and r.json["stdout"] == out, r
            if settled_kinds() == kinds:
                return r
        raise AssertionError("the pool did not follow: %r" % (
            settled_kinds(),))

    # Until requests say otherwise, containers preload.
    assert settled_kinds() == (1, 1)
    run_until("print('x')", "x\n", (1, 0))
    light = st.containers("idle")
    assert len(light) == 1 and "PYEXEC_PRELOAD=0" in docker.env(light[0])
    # Heavy code in the light container: it imports what it needs.
    r = st.execute("import numpy\nprint(numpy.arange(4).sum())")
    assert r.status == 200 and r.json["stdout"] == "6\n", r
    assert st.container_of(r.json["execution_id"]) == light[0]
    assert r.json["timings"]["interpreter"] == "heavy"
    run_until("import pandas\nprint(pandas.Series([1, 2]).sum())", "3\n",
              (1, 1))
    heavy = st.containers("idle")
    assert "PYEXEC_PRELOAD=0" not in docker.env(heavy[0])


def test_process_mode_replaces_light_and_keeps_a_heavy_one(make_stack):
    """Process isolation: a key's container is replaced every reuse_max
    executions; after light demand the replacements are light (no
    preload to pay), while the pool keeps one heavy container that heavy
    code takes before the key's own light one (the floor of one heavy
    container is tests/unit/test_demand.c's)."""
    st = make_stack("pkinds", conf={"isolation": "process",
                                    "pool_min_idle": 2, "reuse_max": 2,
                                    "policy": "off"})
    st.wait_healthy()

    def preloads(name):
        return "PYEXEC_PRELOAD=0" not in docker.env(name)

    def idle_heavy():
        return st.get("/status").json["idle_heavy"]

    light = None
    for _ in range(40):
        r = st.execute("print('x')")
        assert r.status == 200 and r.json["stdout"] == "x\n", r
        name = st.container_of(r.json["execution_id"])
        if not preloads(name):
            light = name
            break
    assert light, "no light container served the light requests"
    # One at least: those made while the share was high stay heavy.
    assert wait_for(lambda: idle_heavy() >= 1, scaled(60)), \
        st.get("/status").json
    r = st.execute("import numpy\nprint(numpy.arange(4).sum())")
    assert r.status == 200 and r.json["stdout"] == "6\n", r
    heavy = st.container_of(r.json["execution_id"])
    assert heavy != light and preloads(heavy)


def test_a_heavy_container_joins_the_pool_preloaded(make_stack):
    """Process isolation: the pool takes a heavy container once its runner
    listens, so that runner preloads first: heavy code that comes at once
    still forks with numpy, pandas and matplotlib loaded, and waits for no
    import."""
    st = make_stack("preload", conf={"isolation": "process",
                                     "pool_min_idle": 1, "policy": "off"})
    probe = ("import sys  # numpy\n"
             "print([m for m in ('numpy', 'pandas', 'matplotlib')"
             " if m not in sys.modules])")
    st.wait_idle(1)
    r = st.execute(probe)
    assert r.status == 200 and r.json["stdout"] == "[]\n", r.json
    assert r.json["timings"]["interpreter"] == "heavy"
    assert "PYEXEC_PRELOAD=first" in docker.env(
        st.container_of(r.json["execution_id"]))

"""soak.py - a bounded soak test on loopback, run by scripts/soak (not in
CI).  A mixed workload (hello, errors, timeouts, plots, stdin, test cases,
session calls) at concurrency 8 for N minutes against a real stack, then
a report: requests by status, p50/p99, executions lost, containers
leaked, worker RSS and open fds at start and end."""

import argparse
import collections
import json
import os
import random
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
sys.path.insert(0, HERE)
import stack as stack_mod  # noqa: E402
from bench import Client, pct  # noqa: E402

WORKLOAD = [
    ("hello", 30, {"code": "print('hello')"}),
    ("error", 10, {"code": "raise ValueError('soak')"}),
    ("timeout", 3, {"code": "while True: pass", "timeout": 1}),
    # A fresh container under saturation imports matplotlib on a CPU
    # shared eight ways: give it room, the soak checks answers, not speed.
    ("plot", 8, {"code": "import matplotlib.pyplot as plt\n"
                         "plt.plot([1, 2, 3]); plt.show()", "timeout": 30}),
    ("stdin", 10, {"code": "print(input()[::-1])", "stdin": "abc"}),
    ("tests", 8, {"code": "def f(x):\n    return x * 2",
                  "test_cases": [{"code": "print(f(4))",
                                  "expected_output": "8"},
                                 {"code": "print(f(5))",
                                  "expected_output": "8"}]}),
    ("session", 20, None),
    ("numpy", 8, {"code": "import numpy as np\nprint(np.ones(1000).sum())"}),
]


def expected(kind, j):
    if kind == "hello":
        return j["stdout"] == "hello\n"
    if kind == "error":
        return j["status"] == "error" and "soak" in j["stderr"]
    if kind == "timeout":
        return j["status"] == "timeout"
    if kind == "plot":
        return len(j["images"]) == 1
    if kind == "stdin":
        return j["stdout"] == "cba\n"
    if kind == "tests":
        return j["test_summary"] == {"passed": 1, "failed": 1, "total": 2}
    if kind == "session":
        return j["status"] == "completed"
    if kind == "numpy":
        return j["stdout"] == "1000.0\n"
    return False


def proc_stats(st):
    out = []
    for p in st.children():
        try:
            comm = open("/proc/%d/comm" % p).read().strip()
            rss = [int(l.split()[1]) for l in open("/proc/%d/status" % p)
                   if l.startswith("VmRSS:")][0]
            fds = len(os.listdir("/proc/%d/fd" % p))
            out.append((comm, rss, fds))
        except OSError:
            pass
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--concurrency", type=int, default=8)
    args = ap.parse_args()

    st = stack_mod.Stack("soak", conf={"workers": 8, "pool_min_idle": 4,
                                       "pool_max": 24, "log_level": "warn"})
    st.start()
    st.wait_healthy(180)
    start_stats = proc_stats(st)
    stop = time.time() + args.minutes * 60
    lock = threading.Lock()
    by_status = collections.Counter()
    wrong = collections.Counter()
    lat = collections.defaultdict(list)
    accepted = []
    kinds = [k for k, w, _ in WORKLOAD for _ in range(w)]
    bodies = {k: b for k, _, b in WORKLOAD}

    def run(n):
        c = Client(st.port, st.key)
        sid = "soak-%d" % n
        while time.time() < stop:
            kind = random.choice(kinds)
            body = bodies[kind] or {"session_id": sid,
                                    "code": "n = globals().get('n', 0) + 1"}
            status, raw, ms = c.post("/execute", body)
            ok = False
            if status == 200:
                j = json.loads(raw)
                ok = expected(kind, j)
                with lock:
                    accepted.append(j["execution_id"])
            with lock:
                by_status[status] += 1
                lat[kind].append(ms)
                if not ok:
                    wrong[(kind, status)] += 1
        c.post("/release", {"session_id": sid})

    threads = [threading.Thread(target=run, args=(i,))
               for i in range(args.concurrency)]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.time() - t0
    end_stats = proc_stats(st)

    db = st.db()
    final = {r[0]: r[1] for r in db.execute("SELECT id, status FROM "
                                            "executions")}
    db.close()
    lost = [e for e in accepted if final.get(e) in (None, "queued",
                                                    "running")]
    iid = st.instance_id()
    st.stop()
    left = subprocess.run(["docker", "ps", "-a", "--filter",
                           "label=pyexec.instance=" + iid, "--format",
                           "{{.Names}}"], capture_output=True,
                          text=True).stdout.split()
    if left:
        subprocess.run(["docker", "rm", "-f"] + left, capture_output=True)

    total = sum(by_status.values())
    all_lat = [x for v in lat.values() for x in v]
    print("soak: %.1f min at concurrency %d: %d requests, %.1f/s" % (
        wall / 60, args.concurrency, total, total / wall))
    print("HTTP statuses: %s" % dict(sorted(by_status.items())))
    print("answers not as expected: %s" % (dict(wrong) or "none"))
    print("latency all: p50 %.1f ms, p99 %.1f ms" % (pct(all_lat, 50),
                                                      pct(all_lat, 99)))
    for k in sorted(lat):
        print("  %-8s n=%-6d p50 %7.1f ms  p99 %8.1f ms" % (
            k, len(lat[k]), pct(lat[k], 50), pct(lat[k], 99)))
    print("executions lost: %d" % len(lost))
    print("containers leaked: %d" % len(left))
    for name, before in (("start", start_stats), ("end", end_stats)):
        workers = [s for s in before if s[0] == "pyexec-worker"]
        print("%-5s worker RSS %s kB, open fds %s" % (
            name, sorted(s[1] for s in workers),
            sorted(s[2] for s in workers)))
    sys.exit(1 if lost or left or wrong else 0)


if __name__ == "__main__":
    main()

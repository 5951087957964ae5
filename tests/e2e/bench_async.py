"""bench_async - what asynchronous executions cost, on loopback, run by
hand (not a test):

    PYTHONPATH=tests /usr/bin/python3 tests/e2e/bench_async.py [N]

For print('hello'): the latency of POST /execute, of the 202 of POST
/executions and of POST /executions until its end (long-polled), the
CPU time pyexec's processes spend per execution in each mode, and the
time from the end of an execution (its finished_at) to the webhook's
arrival at a receiver on 127.0.0.1."""

import os
import statistics
import subprocess
import sys
import time

from pyexec_test.fixtures import finish_stack
from pyexec_test.stack import UNSCOPED, Stack
from pyexec_test.webhooks import Receiver

HELLO = {"code": "print('hello')"}


def cpu_seconds(st):
    """utime + stime of the master and its children, from /proc."""
    pids = [st.master.pid] + st.children()
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def row(name, xs, cpu):
    print("%-36s p50 %7.1f ms  p90 %7.1f ms  cpu/exec %6.1f ms"
          % (name, pct(xs, 50), pct(xs, 90), cpu * 1000))


def measure(st, n, fn):
    lat = []
    c0 = cpu_seconds(st)
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        lat.append((time.perf_counter() - t0) * 1000)
    return lat, (cpu_seconds(st) - c0) / n


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    st = Stack("bench-async", conf={"callback_allow": "127.0.0.1",
                                    "pool_min_idle": 4})
    rx = Receiver()
    try:
        st.start()
        st.wait_healthy()
        for _ in range(5):              # warm up
            st.post("/execute", HELLO)

        def sync():
            assert st.post("/execute", HELLO).status == 200

        def accepted():
            r = st.post("/executions", HELLO)
            assert r.status == 202
            return r.json["execution_id"]

        def to_end():
            eid = accepted()
            r = st.get("/executions/%s?wait=30" % eid)
            assert r.json["status"] not in ("queued", "running"), r.json

        lat, cpu = measure(st, n, sync)
        row("POST /execute", lat, cpu)
        ids = []
        lat, cpu = measure(st, n, lambda: ids.append(accepted()))
        for eid in ids:
            st.get("/executions/%s?wait=30" % eid)
        row("POST /executions (the 202)", lat, cpu)
        lat, cpu = measure(st, n, to_end)
        row("POST /executions + ?wait to the end", lat, cpu)

        body = dict(HELLO, callback_url=rx.url)
        gaps = []
        for _ in range(n):
            k = len(rx.calls)
            r = st.post("/executions", body)
            eid = r.json["execution_id"]
            while len(rx.calls) <= k:
                time.sleep(0.001)
            arrived = rx.calls[k][0]
            fin = st.query("SELECT finished_at FROM executions WHERE "
                           + UNSCOPED + " = ?",
                           eid)[0][0]
            gaps.append(arrived * 1000 - fin)
        print("%-36s p50 %7.1f ms  p90 %7.1f ms  max %7.1f ms"
              % ("execution end -> webhook received", pct(gaps, 50),
                 pct(gaps, 90), max(gaps)))
        print("(%d each; load average %s)" % (
            n, open("/proc/loadavg").read().split()[0]))
    finally:
        rx.close()
        finish_stack(st)


if __name__ == "__main__":
    main()

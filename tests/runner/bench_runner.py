"""Latency of the runner as the host sees it: connect, request, r frame.

Usage:
    PYTHONPATH=tests /usr/bin/python3 tests/runner/bench_runner.py [EXECUTIONS]

Starts containers as the host does, and prints: the time from
`docker run` to the socket; the runner's memory once it has preloaded; and
p50/p99 of an execution of print('hello'), of one importing numpy, pandas and
matplotlib, and of a plot, each sequentially in one container.  Back to
back, an execution also waits for the previous one's clean-up; with a 20 ms gap
(a pool of containers) it does not.  A benchmark, not a test: numbers
depend on the machine and on what else it is doing.
"""
import statistics
import subprocess
import sys
import time

import runner_client as rc
from containers import Container

PROGRAMS = {
    "hello": "print('hello')",
    "numpy+pandas+mpl import": "import numpy, pandas, matplotlib\n"
                               "print(numpy.arange(3).sum())",
    "plot": "import matplotlib.pyplot as plt\nplt.plot([1, 2]); plt.show()",
}


def percentiles(samples):
    samples = sorted(samples)
    p99 = samples[min(len(samples) - 1, round(len(samples) * 0.99) - 1)]
    return statistics.median(samples) * 1000, p99 * 1000


def time_executions(container, code, n, gap):
    samples = []
    for _ in range(n):
        time.sleep(gap)
        start = time.perf_counter()
        reply = rc.execute(container.socket, code)
        samples.append(time.perf_counter() - start)
        assert reply.result["exit_code"] == 0, (reply.err, reply.result)
    return percentiles(samples)


def wait_preloaded(container):
    while rc.call(container.socket, {"op": "ping"}).result["preloaded"] \
            != ["numpy", "pandas", "matplotlib"]:
        time.sleep(0.05)


def memory_usage(container):
    """The container's cgroup memory usage, in MB (cgroup v1 or v2)."""
    out = subprocess.run(
        ["docker", "exec", container.name, "sh", "-c",
         "cat /sys/fs/cgroup/memory/memory.usage_in_bytes 2>/dev/null"
         " || cat /sys/fs/cgroup/memory.current"],
        capture_output=True, text=True, check=True).stdout
    return int(out) / 1e6


def process_rss(container):
    """RSS of each process: init, runner, reaper, its helper, the standby
    (which shares most of its pages with the runner)."""
    out = subprocess.run(["docker", "top", container.name, "-o", "pid,rss"],
                         capture_output=True, text=True, check=True).stdout
    return " ".join(line.split()[1] for line in out.splitlines()[1:])


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    starts = []
    for _ in range(5):
        c = Container()
        try:
            starts.append(c.wait_ready())
        finally:
            c.remove()
    print(f"docker run -> socket: median {statistics.median(starts):.3f} s"
          f" (of {len(starts)})")
    c = Container()
    try:
        c.wait_ready()
        wait_preloaded(c)
        time.sleep(0.5)
        print(f"warm container memory (cgroup): {memory_usage(c):.0f} MB; "
              f"processes (RSS, KiB): {process_rss(c)}")
        for name, code in PROGRAMS.items():
            for gap in (0.0, 0.02):
                p50, p99 = time_executions(c, code, n, gap)
                how = (f"{gap * 1000:.0f} ms gap" if gap
                       else "back to back")
                print(f"{name:26} {how:13} p50 {p50:6.2f} ms  "
                      f"p99 {p99:6.2f} ms  (n={n})")
    finally:
        c.remove()


if __name__ == "__main__":
    main()

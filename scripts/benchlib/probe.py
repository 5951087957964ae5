"""probe - the floors measured inside the sandbox image, in one container.

Run as `python3 -I -c <this file> SECONDS`; prints one JSON object.  Each
measure calls its operation for SECONDS (in bursts, see measure()).  In
order:

  bare    fork + exit of a bare Python (child os._exit(0), parent waits),
          then the same with the child leaving through sys.exit(0)
  heavy   the same after importing what the runner preloads (numpy,
          pandas, matplotlib.pyplot with a font drawn once) and
          gc.freeze(), as sandbox/pyexec_sandbox/server.py does; then
          through sys.exit(0) too
  plot    PLOT_BODY rendered to PNG in this warm process
          (matplotlib imported and one plot drawn before timing)

For each: CPU per operation from /proc/stat around the loop (the whole
machine: page-table copies and teardown land in the kernel, some of it
in kernel threads), from the container's own cgroup, and from this
process and its children; and the wall time.  The container sees the
host's /proc/stat (there is no lxcfs here), so the machine figure
includes whatever else the machine did meanwhile.
"""

import gc
import glob
import json
import os
import sys
import time

# The plot pyexec is asked to draw and the floor renders: 640x480 at the
# default 100 dpi, with axes, a title and tick labels.
PLOT_BODY = """\
import matplotlib.pyplot as plt
fig = plt.figure(figsize=(6.4, 4.8))
plt.plot([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 2, 5, 4, 6, 5, 8, 7, 9])
plt.title("pyexec bench")
plt.xlabel("x")
plt.ylabel("y")
"""
PLOT_SAVE = """\
import io
buf = io.BytesIO()
fig.savefig(buf, format="png")
plt.close(fig)
"""

TICK_MS = 1000.0 / os.sysconf("SC_CLK_TCK")
BURST_S = 0.5
IDLE_S = 0.25


def machine_ms():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) * TICK_MS


def cgroup_ms():
    for path in ("/sys/fs/cgroup/cpuacct/cpuacct.usage",
                 "/sys/fs/cgroup/cpu,cpuacct/cpuacct.usage"):
        try:
            with open(path) as f:
                return int(f.read()) / 1e6
        except OSError:
            pass
    try:
        with open("/sys/fs/cgroup/cpu.stat") as f:
            for line in f:
                k, v = line.split()
                if k == "usage_usec":
                    return int(v) / 1e3
    except OSError:
        pass
    return float("nan")


def process_ms():
    t = os.times()
    return (t.user + t.system + t.children_user + t.children_system) * 1000


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def measure(seconds, once):
    """Calls once() in bursts of BURST_S, each followed by IDLE_S asleep,
    until the bursts add up to `seconds`.  CPU per call three ways, wall
    per call.  The machine's busy time while this container sleeps is
    the rest of the machine (other users, on a shared host): it is
    subtracted at the same rate from the bursts ("net").  Kernel work a
    burst leaves behind that runs during the sleep is subtracted too, so
    net errs low by that; the cgroup figure bounds it from below."""
    walls, busy, idle = [], [0.0, 0.0], [0.0, 0.0]   # [cpu ms, wall s]
    c0, p0 = cgroup_ms(), process_ms()
    while busy[1] < seconds:
        m, t = machine_ms(), time.perf_counter()
        end = t + BURST_S
        while True:
            s = time.perf_counter()
            once()
            e = time.perf_counter()
            walls.append((e - s) * 1000)
            if e >= end:
                break
        busy[0] += machine_ms() - m
        busy[1] += time.perf_counter() - t
        m, t = machine_ms(), time.perf_counter()
        time.sleep(IDLE_S)
        idle[0] += machine_ms() - m
        idle[1] += time.perf_counter() - t
    n = len(walls)
    background = idle[0] / idle[1] if idle[1] else 0.0     # ms per s
    return {"n": n, "machine_ms": busy[0] / n,
            "net_ms": (busy[0] - background * busy[1]) / n,
            "background_pct": background / 10.0 / os.cpu_count(),
            "cgroup_ms": (cgroup_ms() - c0) / n,
            "process_ms": (process_ms() - p0) / n,
            "wall_ms": walls, "rss_mb": rss_mb()}


def fork_exit():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


def fork_finalize():
    """The child leaves through sys.exit(): the interpreter's finalization
    touches its objects, and every page it touches is copied."""
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        sys.exit(0)
    os.waitpid(pid, 0)


def preload():
    # matplotlib wants a writable config dir; link the image's font cache
    # into it, as the runner does for every job.
    os.makedirs("/tmp/matplotlib", exist_ok=True)
    for path in glob.glob("/opt/pyexec/mplconfig/fontlist-*.json"):
        dst = os.path.join("/tmp/matplotlib", os.path.basename(path))
        if not os.path.exists(dst):
            os.symlink(path, dst)
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import matplotlib.pyplot as plt
    plt.switch_backend("agg")
    figure = plt.figure(figsize=(1, 1))
    figure.text(0.5, 0.5, "0")
    figure.canvas.draw()
    plt.close(figure)
    gc.freeze()


def main(seconds):
    out = {}
    for _ in range(3):
        fork_exit()
    out["bare"] = measure(seconds, fork_exit)
    out["bare_finalize"] = measure(seconds / 2, fork_finalize)
    t = time.perf_counter()
    preload()
    out["preload_s"] = time.perf_counter() - t
    for _ in range(3):
        fork_exit()
    out["heavy"] = measure(seconds, fork_exit)
    out["heavy_finalize"] = measure(seconds / 2, fork_finalize)
    plot = compile(PLOT_BODY + PLOT_SAVE, "<plot>", "exec")
    exec(plot, {})                      # the one plot drawn before timing
    out["plot"] = measure(seconds, lambda: exec(plot, {}))
    print(json.dumps(out))


if __name__ == "__main__":
    main(float(sys.argv[1]))

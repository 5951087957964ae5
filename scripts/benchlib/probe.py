"""probe - the floors measured inside the sandbox image, in one container.

Run as `python3 -I -c <this file> SECONDS`.  Each measure calls its
operation in a loop for SECONDS, announced on stdout so that the host
(floors.in_image) brackets it with its CPU meter, as it does a row:

  begin NAME            then HANDOVER_S asleep, then the loop
  end NAME {json}       the loop's count and its own figures; then
                        HANDOVER_S asleep before the next step

In order:

  bare    fork + exit of a bare Python (child os._exit(0), parent waits),
  bare_finalize   the same, the child leaving through sys.exit(0)
  heavy   fork + exit after importing what the runner preloads (numpy,
          pandas, matplotlib.pyplot with a font drawn once) and
          gc.freeze(), as runner/pyexec_runner/server.py does
  heavy_finalize  the same through sys.exit(0)
  plot    PLOT_BODY rendered to PNG in this warm process (matplotlib
          imported and one plot drawn before timing)

The JSON of each: n, CPU per call from the container's own cgroup and
from this process and its children, and the wall time of each call.  The
machine's CPU (page-table copies and teardown land in the kernel, some
of it in kernel threads outside the cgroup) is the host's to measure:
from in here /proc/stat cannot tell the neighbours' work from ours.
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

HANDOVER_S = 0.3               # s for the host to start or stop its meter


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


def measure(name, seconds, once):
    """Calls once() for `seconds`, between a begin and an end line."""
    print("begin " + name, flush=True)
    time.sleep(HANDOVER_S)
    walls = []
    c0, p0 = cgroup_ms(), process_ms()
    stop = time.perf_counter() + seconds
    while True:
        s = time.perf_counter()
        once()
        e = time.perf_counter()
        walls.append((e - s) * 1000)
        if e >= stop:
            break
    n = len(walls)
    got = {"n": n, "cgroup_ms": (cgroup_ms() - c0) / n,
           "process_ms": (process_ms() - p0) / n,
           "wall_ms": walls, "rss_mb": rss_mb()}
    print("end %s %s" % (name, json.dumps(got)), flush=True)
    time.sleep(HANDOVER_S)


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
    for _ in range(3):
        fork_exit()
    measure("bare", seconds, fork_exit)
    measure("bare_finalize", seconds / 2, fork_finalize)
    t = time.perf_counter()
    preload()
    print("preload %.3f" % (time.perf_counter() - t), flush=True)
    for _ in range(3):
        fork_exit()
    measure("heavy", seconds, fork_exit)
    measure("heavy_finalize", seconds / 2, fork_finalize)
    plot = compile(PLOT_BODY + PLOT_SAVE, "<plot>", "exec")
    exec(plot, {})                      # the one plot drawn before timing
    measure("plot", seconds, lambda: exec(plot, {}))


if __name__ == "__main__":
    main(float(sys.argv[1]))

"""bench.py - pyexec's benchmark (SPEC section 7, issue 15), run by
scripts/bench.

Brings up real stacks (pyexec-fcgi + lighttpd with the project's own
lighttpd.conf, the machine's dockerd) on loopback, one per mode, and
measures every request through lighttpd.  Every answer is checked; errors
and 503s are counted, not hidden.  Every row gets the machine's CPU per
execution and the part of it spent outside the containers
(benchlib/cpu.py says how), next to latency and throughput, and its ratio
to a floor measured in the same run (benchlib/floors.py).  Then every
target of issue 15, met or not, and where the CPU outside the containers
went, by process.

pyexec runs with its built-in defaults (a new user's), except the
isolation mode under test and what --conf sets.  Each phase starts once
the pool is full and pyexec is quiet, and ends once the pool is full and
quiet again, so a phase pays for the containers it used up.
"""

import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
from pyexec_test import stack as stack_mod  # noqa: E402
from benchlib import cpu, engine, floors as floors_mod, load  # noqa: E402
from benchlib import report  # noqa: E402
from benchlib.probe import PLOT_BODY  # noqa: E402

HELLO, HELLO_OUT = "print('hello')", "hello\n"
IMPORTS = ("import numpy, pandas\n"
           "df = pandas.DataFrame({'a': numpy.arange(10)})\n"
           "print(int(df['a'].sum()) + len(df))")
IMPORTS_OUT = "55\n"
PLOT = PLOT_BODY + "plt.show()\n"
QUIET_MS_PER_S = 30.0       # pyexec is settled below 3% of a core

# Phase sizes: (quick, full).
SIZES = {
    "process": {"hello_b2b": (100, 300), "hello_light": (5, 15),
                "imports_b2b": (20, 50), "plot": (5, 20)},
    "container": {"hello_b2b": (10, 30), "hello_light": (6, 15),
                  "imports_b2b": (5, 10), "plot": (5, 10), "session": (5, 20)},
    "cold": {"hello_b2b": (0, 10)},
}
LIGHT_GAP_S = 2.0


class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.meter = cpu.Meter(cpu.Cgroups(), cpu.Labels(engine.Engine()))
        self.rows = []
        self.leftovers = []
        self.run_id = "%d-%d" % (os.getpid(), int(time.time()))

    def size(self, mode, key):
        return SIZES[mode][key][0 if self.quick else 1]

    # ---- a stack ----

    def start_stack(self, mode, conf):
        st = stack_mod.Stack("bench-" + mode, conf=dict(
            conf, image=self.args.image))
        # Stack's test defaults out: pyexec's own defaults in.
        for k in ("workers", "pool_min_idle", "pool_max", "pool_wait_ms",
                  "queue_wait", "log_level"):
            if k not in conf:
                st.conf.pop(k, None)
        for kv in self.args.conf:
            k, _, v = kv.partition("=")
            st.conf[k.strip()] = v.strip()
        try:
            st.start()
            iid = st.iid
        except BaseException:
            self.stop_stack(st, None)
            raise
        self.meter.watch(lambda lb: lb.get("pyexec.instance") == iid,
                         {st.lighttpd.pid: "lighttpd",
                          st.master.pid: "pyexec-fcgi"})
        return st, iid

    def stop_stack(self, st, iid):
        try:
            st.stop()
        finally:
            self.remove_leftovers(st, iid)

    def remove_leftovers(self, st, iid):
        """Removes what pyexec left behind after its stop (none, when it
        is right) and says so."""
        if iid is None:
            iid = st.iid
            if iid is None:         # never started: no container either
                return
        left = remove_labelled("pyexec.instance=" + iid)
        if left:
            self.leftovers.append("%d container(s) of %s" % (left, st.name))
            say("warning: pyexec left %d container(s) behind; removed"
                % left)

    def settle(self, st, timeout):
        """Waits for a full pool, then for pyexec to go quiet."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = st.get("/health", key=False)
            if r.status == 200:
                p = r.json["pool"]
                if p["idle"] >= p["min_idle"] and p["starting"] == 0:
                    break
            time.sleep(0.25)
        while time.monotonic() < deadline:
            if self.meter.is_quiet(0.5, QUIET_MS_PER_S):
                return True
        return False

    # ---- a phase ----

    def phase(self, st, mode, key, measure, run, cpu_floor, lat_floor,
              note=""):
        settle_s = 15 if self.quick else 40
        settled = self.settle(st, settle_s)
        self.meter.start()
        res = run()
        settled = self.settle(st, settle_s) and settled
        acct = self.meter.stop()
        n = res.n
        per = (lambda v: v / n) if n else (lambda v: None)
        row = {"mode": mode, "key": key, "measure": measure, "n": n,
               "errors": res.errors, "n503": res.n503,
               "p50_ms": load.pct(res.lat, 50), "p99_ms": load.pct(res.lat, 99),
               "rate": res.rate if key.startswith("c") else None,
               "wall_s": res.wall,
               "cpu_ms": per(acct["cpu_ms"]),
               "outside_ms": per(acct["outside_ms"]),
               "neighbours_ms": per(acct["neighbours_ms"]),
               "machine_ms": per(acct["machine_ms"]),
               "containers_ms": per(acct["containers_ours_ms"]),
               "cpu_floor": cpu_floor, "lat_floor": lat_floor,
               "acct": acct, "bad_samples": res.samples}
        extra = []
        if acct["containers_new"]:
            extra.append("%d new containers seen" % acct["containers_new"])
        extra.append("busy %.0f%%" % acct["busy_pct"])
        if not settled:
            extra.append("pyexec not quiet within %d s" % settle_s)
        row["note"] = "; ".join(([note] if note else []) + extra)
        self.rows.append(row)
        say("%s %s: n=%d p50=%s CPU/ex=%s outside=%s errs=%d 503=%d" % (
            mode, measure, n, report.fmt(row["p50_ms"]),
            report.fmt(row["cpu_ms"]), report.fmt(row["outside_ms"]),
            res.errors, res.n503))
        return row

    def mode(self, mode):
        conf = {"isolation": "process" if mode == "process" else "container"}
        if mode == "cold":
            conf["pool_min_idle"] = 0
        hello_floor = "bare" if mode == "process" else "churn"
        heavy_floor = "heavy" if mode == "process" else "churn"
        say("starting the %s stack" % mode)
        st, iid = self.start_stack(mode, conf)
        try:
            st.wait_healthy(180)
            # The first pool preloads: a minute on a busy small machine.
            self.settle(st, 90)
            self.mode_phases(st, mode, hello_floor, heavy_floor)
            if mode != "cold":
                self.memory_rows(st, mode, iid)
        finally:
            self.stop_stack(st, iid)

    def idle(self, st, mode, seconds):
        """pyexec with nothing to do: CPU per second."""
        self.settle(st, 15 if self.quick else 40)
        self.meter.start()
        time.sleep(seconds)
        acct = self.meter.stop()

        def per(v):
            return v / acct["wall_s"]
        self.rows.append({
            "mode": mode, "key": "idle", "measure": "idle, per second",
            "seconds": acct["wall_s"], "cpu_ms": per(acct["cpu_ms"]),
            "outside_ms": per(acct["outside_ms"]),
            "neighbours_ms": per(acct["neighbours_ms"]),
            "containers_ms": per(acct["containers_ours_ms"]),
            "acct": acct, "note": "CPU-ms per second over %.0f s without "
            "requests" % acct["wall_s"]})
        say("%s idle: %.1f CPU-ms/s" % (mode, per(acct["cpu_ms"])))

    def mode_phases(self, st, mode, hello_floor, heavy_floor):
        port, key = st.port, st.key
        if mode != "cold":
            self.idle(st, mode, 5 if self.quick else 15)
        seq = load.sequential
        n = self.size(mode, "hello_b2b")
        self.phase(st, mode, "hello_b2b", "hello back-to-back",
                   lambda: seq(port, key, HELLO, HELLO_OUT, n),
                   hello_floor, "python")
        if mode == "cold":
            return
        n = self.size(mode, "hello_light")
        self.phase(st, mode, "hello_light", "hello, 1 every %g s" % LIGHT_GAP_S,
                   lambda: seq(port, key, HELLO, HELLO_OUT, n, LIGHT_GAP_S),
                   hello_floor, "python")
        n = self.size(mode, "imports_b2b")
        self.phase(st, mode, "imports_b2b", "numpy+pandas back-to-back",
                   lambda: seq(port, key, IMPORTS, IMPORTS_OUT, n),
                   heavy_floor, None)
        n = self.size(mode, "plot")
        self.phase(st, mode, "plot", "plot 640x480, 1 every 0.5 s",
                   lambda: seq(port, key, PLOT, None, n, 0.5),
                   "plot", "plot")
        secs = self.args.seconds
        for c in ((8,) if self.quick else (4, 8)):
            s = secs if c == 8 else max(secs // 2, 10)
            self.phase(st, mode, "c%d" % c, "hello concurrency %d, %d s"
                       % (c, s),
                       lambda c=c, s=s: load.concurrent(port, key, HELLO,
                                                        HELLO_OUT, c, s),
                       hello_floor, None)
        if mode == "container":
            n = self.size(mode, "session")
            sid = "bench-%s" % self.run_id
            first = []

            def session():
                f, res = load.session_calls(port, key, n, sid)
                first.append(f)
                return res
            self.phase(st, mode, "session", "session call", session,
                       None, "python")
            f = first[0]
            self.rows.append({"mode": mode, "key": "session_first",
                              "measure": "session first call", "n": f.n,
                              "errors": f.errors, "n503": f.n503,
                              "p50_ms": load.pct(f.lat, 50),
                              "p99_ms": load.pct(f.lat, 99),
                              "cpu_ms": None, "outside_ms": None,
                              "lat_floor": "python"})

    def memory_rows(self, st, mode, iid):
        workers = [p for p in st.children()
                   if read(p, "comm") == "pyexec-worker"]
        rss = sorted(rss_kb(p) for p in workers)
        if rss:
            self.rows.append({"mode": mode, "key": "worker_rss",
                              "measure": "RSS per FastCGI worker",
                              "note": "%.1f MB" % (rss[len(rss) // 2] / 1024)})
        mem = container_memory_mb(self.meter, iid)
        if mem:
            self.rows.append({"mode": mode, "key": "container_memory",
                              "measure": "memory of an idle warm container",
                              "note": "%.0f MB" % mem})


# ---- helpers ----

T0 = time.monotonic()


def say(msg):
    print("==> [%4.0fs] %s" % (time.monotonic() - T0, msg), file=sys.stderr,
          flush=True)


def read(pid, name):
    try:
        with open("/proc/%d/%s" % (pid, name)) as f:
            return f.read().strip()
    except OSError:
        return ""


def rss_kb(pid):
    for line in read(pid, "status").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def container_memory_mb(meter, iid):
    """Median memory charged to the cgroup of our idle containers."""
    vals = []
    for cid in meter.cgroups.containers():
        if meter.labels.get(cid).get("pyexec.instance") != iid:
            continue
        for path in ("/sys/fs/cgroup/memory/docker/%s/memory.usage_in_bytes",
                     "/sys/fs/cgroup/system.slice/docker-%s.scope/"
                     "memory.current",
                     "/sys/fs/cgroup/docker/%s/memory.current"):
            v = cpu.read_int(path % cid)
            if v is not None:
                vals.append(v / 2**20)
                break
    vals.sort()
    return vals[len(vals) // 2] if vals else None


def remove_labelled(label):
    """Removes every container with the label; returns how many."""
    e = engine.Engine()
    try:
        ids = e.list_ids(label)
        for cid in ids:
            e.remove(cid)
    finally:
        e.close()
    return len(ids)


def git_commit():
    try:
        return subprocess.run(["git", "-C", HERE, "rev-parse", "--short",
                               "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def parse_args():
    ap = argparse.ArgumentParser(
        description="pyexec's benchmark: latency, throughput and CPU per "
        "execution beside floors measured in the same run (issue 15).")
    ap.add_argument("--quick", action="store_true",
                    help="fewer samples and 20 s concurrency phases "
                         "(about 2-3 minutes)")
    ap.add_argument("--only", default="floors,process,container,cold",
                    help="comma list of floors, process, container, cold "
                         "(default: all; --quick leaves cold out)")
    ap.add_argument("--seconds", type=int, default=None,
                    help="concurrency 8 phase length (60, --quick 20)")
    ap.add_argument("--image", default=os.environ.get(
        "PYEXEC_TEST_IMAGE", "pyexec-sandbox:latest"))
    ap.add_argument("--conf", action="append", default=[],
                    metavar="KEY=VALUE", help="a pyexec.conf key for the "
                    "stacks (repeatable)")
    ap.add_argument("--floors", metavar="FILE",
                    help="take the floors from an earlier --json FILE "
                         "instead of measuring them")
    ap.add_argument("--json", metavar="FILE",
                    help="also write every row and target as JSON")
    args = ap.parse_args()
    if args.seconds is None:
        args.seconds = 20 if args.quick else 60
    args.only = [m.strip() for m in args.only.split(",") if m.strip()]
    bad = set(args.only) - {"floors", "process", "container", "cold"}
    if bad:
        ap.error("--only: unknown %s" % ", ".join(sorted(bad)))
    if args.quick and "cold" in args.only and "--only" not in sys.argv:
        args.only.remove("cold")
    return args


def main():
    args = parse_args()
    t0 = time.monotonic()
    b = Bench(args)
    label = {"pyexec.bench": b.run_id}
    floors = {}
    try:
        if args.floors:
            floors = report.load_floors(args.floors)
        elif "floors" in args.only:
            say("measuring the floors")
            floors = floors_mod.measure_all(b.meter, args.image, label,
                                            args.quick)
            for name, f in floors.items():
                f["note"] = floors_mod.describe(name, f)
        for mode in ("process", "container", "cold"):
            if mode in args.only:
                b.mode(mode)
    finally:
        remove_labelled("pyexec.bench=" + b.run_id)
    image = (engine.Engine().get_json("/images/%s/json" % args.image)
             or {}).get("Id", "?")
    meta = {"commit": git_commit(), "date": time.strftime("%Y-%m-%d %H:%M"),
            "cores": os.cpu_count(), "image": args.image, "image_id": image,
            "quick": args.quick, "c8_seconds": args.seconds,
            "cgroups": b.meter.cgroups.describe(),
            "conf": args.conf, "wall_s": round(time.monotonic() - t0, 1),
            "leftovers": b.leftovers}
    tgts = report.targets(floors, b.rows, meta)
    report.print_table(meta, floors, b.rows, sys.stdout)
    report.print_targets(tgts, sys.stdout)
    report.print_breakdown(floors, b.rows, sys.stdout)
    if b.leftovers:
        print("\npyexec left containers behind at its stop (the bench "
              "removed them): " + ", ".join(b.leftovers))
    print("\nbench took %.0f s" % meta["wall_s"])
    if args.json:
        report.write_json(args.json, meta, floors, b.rows, tgts)


if __name__ == "__main__":
    main()

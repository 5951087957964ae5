"""bench.py - pyexec's benchmark (SPEC section 7), run by scripts/bench.

Brings up real stacks (pyexec-fcgi + lighttpd, the project's own
lighttpd.conf, real dockerd) on loopback, one per mode, and measures every
request through lighttpd.  Every answer is checked; errors are counted, not
hidden.  Prints one table, with each figure's ratio to the machine's floors
measured in the same run: a bare python3, and fresh containers per second
through the Engine API with 4 parallel clients.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import stack as stack_mod  # noqa: E402

HELLO = "print('hello')"
IMPORTS = ("import numpy, pandas, matplotlib\n"
           "print(numpy.arange(10).sum() + len(pandas.DataFrame({'a': [1]})))")
IMPORTS_OUT = "46\n"
PLOT = ("import matplotlib.pyplot as plt\n"
        "plt.figure(figsize=(6.4, 4.8))\nplt.plot([1, 3, 2])\nplt.show()")


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = (len(xs) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


class Client:
    """One keep-alive connection through lighttpd."""

    def __init__(self, port, key):
        self.port, self.key = port, key
        self.conn = None

    def post(self, path, body):
        data = json.dumps(body).encode()
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(
                        "127.0.0.1", self.port, timeout=120)
                t0 = time.perf_counter()
                self.conn.request("POST", path, data, {
                    "Authorization": "Bearer " + self.key,
                    "Content-Type": "application/json"})
                r = self.conn.getresponse()
                raw = r.read()
                ms = (time.perf_counter() - t0) * 1000
                return r.status, raw, ms
            except (http.client.HTTPException, OSError):
                self.conn = None
                if attempt == 2:
                    return 0, b"", 0.0


def ok_hello(status, raw, want="hello\n"):
    if status != 200:
        return False
    try:
        j = json.loads(raw)
    except ValueError:
        return False
    return j.get("status") == "completed" and j.get("stdout") == want


def sequential(st, code, want, n, gap_s=0.0, body_extra=None):
    c = Client(st.port, st.key)
    lat, errors = [], 0
    for _ in range(n):
        body = {"code": code}
        body.update(body_extra or {})
        status, raw, ms = c.post("/execute", body)
        if ok_hello(status, raw, want):
            lat.append(ms)
        else:
            errors += 1
        if gap_s:
            time.sleep(gap_s)
    return lat, errors


def concurrent(st, code, want, clients, seconds):
    lat, errors = [], [0]
    lock = threading.Lock()
    stop = time.time() + seconds

    def run():
        c = Client(st.port, st.key)
        while time.time() < stop:
            status, raw, ms = c.post("/execute", {"code": code})
            with lock:
                if ok_hello(status, raw, want):
                    lat.append(ms)
                else:
                    errors[0] += 1

    t0 = time.time()
    threads = [threading.Thread(target=run) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.time() - t0
    return lat, errors[0], len(lat) / wall


def session_calls(st, n):
    c = Client(st.port, st.key)
    sid = "bench-%d" % os.getpid()
    t0 = time.perf_counter()
    status, raw, first_ms = c.post("/execute", {"session_id": sid,
                                                "code": "x = 1\nx"})
    first_ok = status == 200
    lat, errors = [], 0
    for _ in range(n):
        status, raw, ms = c.post("/execute", {"session_id": sid,
                                              "code": "x += 1\nprint('hello')"})
        if ok_hello(status, raw):
            lat.append(ms)
        else:
            errors += 1
    c.post("/release", {"session_id": sid})
    return first_ms if first_ok else float("nan"), lat, errors


def wait_pool(st, idle, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = st.get("/health", key=False)
        if r.status == 200 and r.json["pool"]["idle"] >= idle:
            return
        time.sleep(0.2)


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def container_memory_mb(st):
    """Memory charged to the cgroup of one idle pool container."""
    iid = st.instance_id()
    names = subprocess.run(
        ["docker", "ps", "--filter", "label=pyexec.instance=" + iid,
         "--format", "{{.ID}}"], capture_output=True, text=True).stdout.split()
    vals = []
    for cid in names[:3]:
        full = subprocess.run(["docker", "inspect", "-f", "{{.Id}}", cid],
                              capture_output=True, text=True).stdout.strip()
        for path in ("/sys/fs/cgroup/memory/docker/%s/memory.usage_in_bytes",
                     "/sys/fs/cgroup/system.slice/docker-%s.scope/memory.current"):
            try:
                with open(path % full) as f:
                    vals.append(int(f.read()) / 2**20)
                break
            except OSError:
                continue
    return statistics.median(vals) if vals else float("nan")


# ---- floors ----

def floor_python(n=50):
    py = "/usr/bin/python3"
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run([py, "-c", HELLO], stdout=subprocess.DEVNULL)
        lat.append((time.perf_counter() - t0) * 1000)
    return lat


def floor_containers(image, clients=4, seconds=20):
    """Fresh containers per second through the Engine API (create, start,
    wait, remove) with `clients` parallel clients, as the seeds do it."""
    import socket as sk

    def call(method, path, body=None):
        s = sk.socket(sk.AF_UNIX, sk.SOCK_STREAM)
        s.connect("/var/run/docker.sock")
        data = json.dumps(body).encode() if body is not None else b""
        req = ("%s %s HTTP/1.0\r\nHost: docker\r\nContent-Type: "
               "application/json\r\nContent-Length: %d\r\n\r\n"
               % (method, path, len(data))).encode() + data
        s.sendall(req)
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
        s.close()
        raw = b"".join(chunks)
        head, _, body = raw.partition(b"\r\n\r\n")
        return int(head.split()[1]), body

    lat, errors, lock = [], [0], threading.Lock()
    stop = time.time() + seconds

    def run():
        while time.time() < stop:
            t0 = time.perf_counter()
            st, body = call("POST", "/v1.41/containers/create", {
                "Image": image, "Entrypoint": ["python3", "-c", HELLO],
                "User": "10001:10001",
                "Labels": {"pyexec.bench": "1"},
                "HostConfig": {"NetworkMode": "none", "CapDrop": ["ALL"],
                               "ReadonlyRootfs": True,
                               "Memory": 256 << 20,
                               "MemorySwap": 256 << 20}})
            if st != 201:
                with lock:
                    errors[0] += 1
                continue
            cid = json.loads(body)["Id"]
            ok = call("POST", "/v1.41/containers/%s/start" % cid)[0] == 204
            ok = ok and call("POST", "/v1.41/containers/%s/wait" % cid)[0] == 200
            call("DELETE", "/v1.41/containers/%s?force=1" % cid)
            with lock:
                if ok:
                    lat.append((time.perf_counter() - t0) * 1000)
                else:
                    errors[0] += 1

    t0 = time.time()
    threads = [threading.Thread(target=run) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat, errors[0], len(lat) / (time.time() - t0)


# ---- the run ----

ROWS = []


def row(mode, what, lat=None, errors=0, rate=None, note=""):
    ROWS.append((mode, what, lat, errors, rate, note))


def bench_mode(mode, conf, args):
    st = stack_mod.Stack("bench-" + mode, conf=conf)
    st.start()
    try:
        st.wait_healthy(180)
        idle = conf.get("pool_min_idle", 4)
        if idle:
            wait_pool(st, idle)
            time.sleep(2)               # let the runners preload
        n = args.sequential
        lat, e = sequential(st, HELLO, "hello\n", n)
        row(mode, "hello back-to-back", lat, e)
        if idle:
            wait_pool(st, idle)
            time.sleep(1)
        lat, e = sequential(st, HELLO, "hello\n", args.light, gap_s=0.5)
        row(mode, "hello light load (1 / 500 ms)", lat, e)
        if idle:
            wait_pool(st, idle)
            time.sleep(2)
        lat, e = sequential(st, IMPORTS, IMPORTS_OUT, min(n, 50))
        row(mode, "numpy+pandas+mpl back-to-back", lat, e)
        if idle:
            wait_pool(st, idle)
            time.sleep(2)
        lat, e = sequential(st, IMPORTS, IMPORTS_OUT, args.light, gap_s=0.5)
        row(mode, "numpy+pandas+mpl light load", lat, e)
        if mode == "container":
            time.sleep(2)
            lat, e = sequential(st, PLOT, "", 10, gap_s=0.5)
            row(mode, "plot 640x480 light load", lat, e)
        for c in (4, 8):
            if idle:
                wait_pool(st, idle)
            lat, e, rate = concurrent(st, HELLO, "hello\n", c, args.seconds)
            row(mode, "hello concurrency %d, %ds" % (c, args.seconds), lat,
                e, rate)
        if mode == "container":
            wait_pool(st, idle)
            time.sleep(2)
            first, lat, e = session_calls(st, args.light)
            row(mode, "session call", lat, e)
            row(mode, "session first result (idle pool)", [first], 0)
            workers = [p for p in st.children()
                       if open("/proc/%d/comm" % p).read().strip()
                       == "pyexec-worker"]
            rss = statistics.median([rss_kb(p) for p in workers]) / 1024
            row(mode, "RSS per FastCGI worker", None, 0, None,
                "%.1f MB" % rss)
            row(mode, "memory of a warm container", None, 0, None,
                "%.0f MB" % container_memory_mb(st))
    finally:
        st.stop()


def fmt(x):
    return "%.1f" % x if x == x else "-"


def print_table(floors):
    py_p50 = floors["python_p50"]
    churn = floors["containers_per_s"]
    print()
    print("pyexec benchmark: %s, %d cores" % (time.strftime("%Y-%m-%d %H:%M"),
                                              os.cpu_count()))
    print("floors: bare python3 p50 %.1f ms; fresh containers %.2f/s "
          "(p50 %.0f ms each, 4 clients)" % (py_p50, churn,
                                            floors["container_p50"]))
    print()
    hdr = "%-10s %-36s %7s %8s %8s %9s %6s  %s" % (
        "mode", "measure", "n", "p50 ms", "p99 ms", "rate/s", "errs", "vs floor")
    print(hdr)
    print("-" * len(hdr))
    for mode, what, lat, errors, rate, note in ROWS:
        if lat is None:
            print("%-10s %-36s %7s %8s %8s %9s %6s  %s" % (
                mode, what, "", "", "", "", "", note))
            continue
        p50, p99 = pct(lat, 50), pct(lat, 99)
        if rate is not None:
            vs = "%.2fx churn" % (rate / churn) if churn else ""
        else:
            vs = "%.2fx python3" % (p50 / py_p50) if py_p50 else ""
        print("%-10s %-36s %7d %8s %8s %9s %6d  %s" % (
            mode, what, len(lat), fmt(p50), fmt(p99),
            fmt(rate) if rate is not None else "", errors, vs))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--sequential", type=int, default=200)
    ap.add_argument("--light", type=int, default=20)
    ap.add_argument("--modes", default="process,container,cold")
    ap.add_argument("--workers", type=int, default=8)
    args = ap.parse_args()

    floors = {}
    lat = floor_python()
    floors["python_p50"] = pct(lat, 50)
    lat, _, rate = floor_containers(stack_mod.IMAGE)
    floors["containers_per_s"] = rate
    floors["container_p50"] = pct(lat, 50)
    row("floor", "bare python3 -c print('hello')", floor_python(), 0)
    row("floor", "fresh container create+start+wait+rm", lat, 0)

    base = {"workers": args.workers, "pool_max": 32, "pool_wait_ms": 60000,
            "log_level": "warn"}
    modes = {
        "process": dict(base, isolation="process", pool_min_idle=4),
        "container": dict(base, isolation="container", pool_min_idle=4),
        "cold": dict(base, isolation="container", pool_min_idle=0),
    }
    for m in args.modes.split(","):
        if m == "cold":
            conf = modes[m]
            st_args = argparse.Namespace(**vars(args))
            st_args.sequential = min(args.sequential, 30)
            st_args.light = min(args.light, 10)
            st_args.seconds = min(args.seconds, 20)
            bench_mode(m, conf, st_args)
        else:
            bench_mode(m, modes[m], args)
    print_table(floors)


if __name__ == "__main__":
    main()

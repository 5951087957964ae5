"""floors - what this machine costs without pyexec, measured in the same run.

  python   bare `python3 -c "print('hello')"` on the host, one after another
  bare     fork + exit of a bare Python inside the sandbox image
  heavy    fork + exit of the preloaded interpreter inside the image
  *_finalize  the same, the child leaving through sys.exit() (for
           reference: no target uses them)
  churn    docker create + start + wait + rm of the image running
           `python3 -c "print('hello')"` with pyexec's container options,
           through the Engine API, 4 clients
  plot     one 640x480 line plot rendered to PNG in a warm process inside
           the image

Every floor is a dict with at least cpu_ms (machine CPU per operation),
p50_ms and p99_ms (wall per operation), n, and a note for the table.
"""

import json
import resource
import subprocess
import threading
import time

from . import engine, probe
from .load import pct

PROBE_SRC = open(probe.__file__).read()
HELLO = "print('hello')"


def host_python(seconds, min_n=20):
    """Runs one after another for `seconds`.  CPU is the runs' own (they
    are this process's children): the machine's busy time over a few
    seconds of a shared host says more about the neighbours."""
    lat = []
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    stop = time.monotonic() + seconds
    while len(lat) < min_n or time.monotonic() < stop:
        t0 = time.perf_counter()
        subprocess.run(["/usr/bin/python3", "-c", HELLO],
                       stdout=subprocess.DEVNULL, check=True)
        lat.append((time.perf_counter() - t0) * 1000)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1000
    return {"n": len(lat), "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99),
            "cpu_ms": own / len(lat)}


def in_image(meter, image, labels, seconds):
    """The probe's floors, from one container, each bracketed by the
    meter as a row is: CPU per operation is the machine's, less the
    bench's and the neighbours'."""
    body = engine.create_body(
        image, ["python3", "-I", "-c", PROBE_SRC, str(seconds)],
        labels, env={"MPLBACKEND": "agg",
                     "MPLCONFIGDIR": "/tmp/matplotlib",
                     "OPENBLAS_NUM_THREADS": "1"})
    key, value = next(iter(labels.items()))
    meter.watch(lambda lb: lb.get(key) == value)
    e, logs = engine.Engine(), engine.Engine()
    floors, errors, preload_s = {}, [], None
    try:
        cid = e.create(body)
        try:
            e.start(cid)
            for stream, line in logs.follow(cid):
                word, _, rest = line.partition(" ")
                if stream != 1:
                    errors.append(line)
                elif word == "begin":
                    meter.start()
                elif word == "end":
                    acct = meter.stop()
                    name, _, raw = rest.partition(" ")
                    floors[name] = probe_floor(json.loads(raw), acct)
                elif word == "preload":
                    preload_s = float(rest)
            code = e.wait(cid)
        finally:
            e.remove(cid)
    finally:
        e.close()
        logs.close()
    if code != 0 or len(floors) != 5:
        raise RuntimeError("floor probe exited %s:\n%s" % (
            code, "\n".join(errors)[-2000:]))
    floors["heavy"]["preload_s"] = preload_s
    return floors


def probe_floor(m, acct):
    n = m["n"]
    return {"n": n, "cpu_ms": acct["cpu_ms"] / n,
            "machine_ms": acct["machine_ms"] / n,
            "neighbours_ms": acct["neighbours_ms"] / n,
            "outside_ms": acct["outside_ms"] / n,
            "cgroup_ms": m["cgroup_ms"], "process_ms": m["process_ms"],
            "p50_ms": pct(m["wall_ms"], 50), "p99_ms": pct(m["wall_ms"], 99),
            "rss_mb": m["rss_mb"], "busy_pct": acct["busy_pct"],
            "acct": acct}


def churn(meter, image, labels, seconds, clients=4):
    """Fresh containers through the Engine API, `clients` at a time."""
    body = engine.create_body(image, ["python3", "-c", HELLO], labels)
    lat, errors, lock = [], [], threading.Lock()
    stop, interrupted = time.monotonic() + seconds, threading.Event()

    def run():
        e = engine.Engine()
        try:
            while time.monotonic() < stop and not interrupted.is_set():
                t0 = time.perf_counter()
                try:
                    code, out, _ = engine.run_once(e, body)
                    ok = code == 0 and out == "hello\n"
                except (engine.EngineError, OSError) as ex:
                    ok, out = False, str(ex)
                with lock:
                    if ok:
                        lat.append((time.perf_counter() - t0) * 1000)
                    else:
                        errors.append(out[:200])
        finally:
            e.close()

    key, value = next(iter(labels.items()))
    meter.watch(lambda lb: lb.get(key) == value)
    meter.start()
    t0 = time.monotonic()
    threads = [threading.Thread(target=run) for _ in range(clients)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        # On Ctrl-C, each client ends its cycle, which removes its
        # container, before the caller looks for leftovers.
        interrupted.set()
        for t in threads:
            t.join()
    wall = time.monotonic() - t0
    acct = meter.stop()
    n = max(len(lat), 1)
    return {"n": len(lat), "errors": len(errors), "clients": clients,
            "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99),
            "rate": len(lat) / wall,
            "cpu_ms": (acct["machine_ms"] - acct["bench_ms"]) / n,
            "container_ms": acct["containers_ours_ms"] / n,
            "busy_pct": acct["busy_pct"], "acct": acct,
            "error_sample": errors[:3]}


def measure_all(meter, image, labels, quick):
    """Every floor, in a fixed order; returns {name: floor}."""
    floors = {}
    floors["python"] = host_python(2 if quick else 5)
    floors.update(in_image(meter, image, labels, 2 if quick else 5))
    floors["churn"] = churn(meter, image, labels, 10 if quick else 30)
    return floors


def describe(name, f):
    """One line of notes for the floor's row."""
    if name in ("bare", "bare_finalize", "heavy", "heavy_finalize", "plot"):
        s = ("in its cgroup %.2f, outside %.2f; neighbours %.1f; "
             "RSS %.0f MB" % (f["cgroup_ms"], f["outside_ms"],
                              f["neighbours_ms"], f["rss_mb"]))
        if "preload_s" in f:
            s += "; preload %.1f s" % f["preload_s"]
        return s
    if name == "churn":
        return "%d clients, %.0f ms in the containers each, busy %.0f%%" % (
            f["clients"], f["container_ms"], f["busy_pct"])
    if name == "python":
        return "CPU: the processes' own (rusage)"
    return ""

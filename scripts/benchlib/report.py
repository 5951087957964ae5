"""report - the bench's table, the targets of issue 15, and its JSON.

A row is a dict (see bench.py's phase()); a floor is a dict from
floors.py.  A row's CPU is cpu.Meter's "cpu" (the machine's busy time
less the bench's own and the neighbours') per completed execution; the
targets use it.
"""

import json

from .cpu import CATEGORIES

FLOOR_NAMES = {
    "python": "bare python3 -c print('hello') (host)",
    "bare": "fork+exit, bare python (image)",
    "bare_finalize": "  same, child ends in sys.exit()",
    "heavy": "fork+exit, preloaded python (image)",
    "heavy_finalize": "  same, child ends in sys.exit()",
    "churn": "docker create+start+wait+rm (image)",
    "plot": "plot 640x480 to PNG, warm (image)",
}
FLOOR_SHORT = {"python": "python3", "bare": "bare-fork",
               "heavy": "preloaded-fork", "churn": "churn",
               "bare_finalize": "bare-fork+finalize",
               "heavy_finalize": "preloaded-fork+finalize",
               "plot": "render"}


def fmt(x, digits=1):
    return "%.*f" % (digits, x) if x is not None and x == x else "-"


def ratio(a, b):
    if a is None or b is None or b != b or a != a or not b:
        return None
    return a / b


def vs_floor(row, floors):
    parts = []
    for what, floor_key, value_key in (("CPU", "cpu_floor", "cpu_ms"),
                                       ("p50", "lat_floor", "p50_ms")):
        name = row.get(floor_key)
        f = floors.get(name) if name else None
        r = ratio(row.get(value_key), f and f.get(value_key))
        if r is not None:
            parts.append("%s %.2fx %s" % (what, r, FLOOR_SHORT[name]))
    return ", ".join(parts)


HEAD = "%-10s %-38s %5s %7s %7s %7s %8s %8s %8s %4s %4s  %s"


def print_table(meta, floors, rows, out):
    w = out.write
    w("\npyexec benchmark %s: %s, %d cores, image %s, %s%s\n" % (
        meta["commit"], meta["date"], meta["cores"], meta["image"],
        meta["cgroups"], ", --quick" if meta["quick"] else ""))
    w("CPU/ex: the machine's busy CPU (/proc/stat, all CPUs) over the phase, "
      "less the bench's own and the neighbours',\n"
      "per completed execution; outside: CPU/ex less our containers' "
      "(cgroups); neigh: the neighbours' (other users'\ncontainers and "
      "processes on a shared machine), left out of CPU/ex.  Times in ms."
      "\n\n")
    hdr = HEAD % ("mode", "measure", "n", "p50", "p99", "rate/s",
                  "CPU/ex", "outside", "neigh", "errs", "503",
                  "vs floor / notes")
    w(hdr + "\n" + "-" * len(hdr) + "\n")
    for name in (n for n in FLOOR_NAMES if n in floors):
        f = floors[name]
        w(HEAD % ("floor", FLOOR_NAMES[name], f["n"], fmt(f["p50_ms"]),
                  fmt(f["p99_ms"]), fmt(f.get("rate"), 2),
                  fmt(f["cpu_ms"], 2), "", "", "", "", f.get("note", ""))
          + "\n")
    for r in rows:
        if r.get("n") is None:
            w(HEAD % (r["mode"], r["measure"], "", "", "", "",
                      fmt(r.get("cpu_ms")), fmt(r.get("outside_ms")),
                      fmt(r.get("neighbours_ms")), "", "",
                      r.get("note", "")) + "\n")
            continue
        notes = [vs_floor(r, floors)] + ([r["note"]] if r.get("note") else [])
        w(HEAD % (r["mode"], r["measure"], r["n"], fmt(r["p50_ms"]),
                  fmt(r["p99_ms"]), fmt(r.get("rate"), 1), fmt(r["cpu_ms"]),
                  fmt(r["outside_ms"]), fmt(r.get("neighbours_ms")),
                  r["errors"], r["n503"],
                  "; ".join(n for n in notes if n)) + "\n")


def print_breakdown(floors, rows, out):
    """CPU per execution by category, one line per phase."""
    w = out.write
    rows = [dict(f, mode="floor", measure=FLOOR_NAMES[name].strip())
            for name, f in floors.items() if "acct" in f] + list(rows)
    outside = tuple(c for c in CATEGORIES if c != "other")
    cols = ("ours",) + outside + ("unattrib", "irq+sirq", "neigh ps",
                                  "neigh ct")
    short = {"containerd-shim": "shim", "kernel threads": "kthreads",
             "pyexec-fcgi": "pyexec", "containerd": "contnrd"}
    w("\nwhere the CPU went, ms per execution (idle: per second).  ours: "
      "our containers (cgroups); lighttpd..unattrib add up\nto outside; "
      "unattrib is mostly runc (its short runs under the shims; perf "
      "agrees); irq+sirq is inside the\nothers; neigh ps/ct: the "
      "neighbours' processes and containers, left out.  dockerd, "
      "containerd and kthreads\nserve the neighbours too: with neigh ct "
      "high, they are overstated.\n")
    hdr = "%-10s %-28s" % ("mode", "measure") + "".join(
        "%9s" % short.get(c, c)[:9] for c in cols)
    w(hdr + "\n" + "-" * len(hdr) + "\n")
    for r in rows:
        a = r.get("acct")
        n = r.get("n") or r.get("seconds")
        if not a or not n:
            continue
        vals = [a["containers_ours_ms"]] + \
            [a["by_category_ms"][c] for c in outside] + \
            [a["unattributed_ms"], a["irq_softirq_ms"],
             a["by_category_ms"]["other"], a["containers_other_ms"]]
        w("%-10s %-28s" % (r["mode"], r["measure"][:28]) +
          "".join("%9s" % fmt(v / n) for v in vals) + "\n")
    for r in rows:
        a = r.get("acct")
        n = r.get("n") or r.get("seconds")
        if a and n:
            top = [kv for kv in a["by_name_ms"].items()
                   if kv[1] / n >= 0.05][:8]
            w("top host processes outside, %s / %s: %s\n" % (
                r["mode"], r["measure"], ", ".join(
                    "%s %.1f" % (k, v / n) for k, v in top)))


# ---- targets ----

def targets(floors, rows, meta):
    """Every target of issue 15: dicts with name, measured, limit, met
    (None when something it needs was not measured) and how."""
    by = {(r["mode"], r["key"]): r for r in rows}
    f = floors
    out = []

    def get(mode, key, field):
        r = by.get((mode, key))
        return r.get(field) if r else None

    def fl(name, field):
        return f[name][field] if name in f else None

    def add(name, measured, limit, cmp, how, unit="x"):
        met = None
        if measured is not None and limit is not None and measured == measured:
            met = measured <= limit if cmp == "<=" else measured >= limit
        out.append({"target": name, "measured": measured, "limit": limit,
                    "cmp": cmp, "unit": unit, "met": met, "how": how})

    cpu_hello = get("process", "hello_b2b", "cpu_ms")
    add("process hello: CPU/ex <= 2.5x bare-fork floor",
        ratio(cpu_hello, fl("bare", "cpu_ms")), 2.5, "<=",
        "back-to-back row's CPU/ex over the bare fork+exit floor")
    add("process hello: back-to-back p50 <= 0.8x python3 -c",
        ratio(get("process", "hello_b2b", "p50_ms"), fl("python", "p50_ms")),
        0.8, "<=", "wall p50 ratio")
    rate = get("process", "c8", "rate")
    ideal = (meta["cores"] * 1000.0 / cpu_hello) if cpu_hello else None
    add("process hello: c8 throughput >= 0.8 x (%d cores / CPU/ex)"
        % meta["cores"], ratio(rate, ideal), 0.8, ">=",
        "c8 rate over cores / back-to-back CPU/ex")
    add("process numpy+pandas: CPU/ex <= 1.5x preloaded-fork floor",
        ratio(get("process", "imports_b2b", "cpu_ms"), fl("heavy", "cpu_ms")),
        1.5, "<=", "back-to-back row's CPU/ex")
    add("container hello: CPU/ex <= 1.2x docker churn floor",
        ratio(get("container", "hello_b2b", "cpu_ms"), fl("churn", "cpu_ms")),
        1.2, "<=", "back-to-back row's CPU/ex over CPU per churned container")
    add("container hello, 1 per 2 s: p50 <= 1.2x python3 -c",
        ratio(get("container", "hello_light", "p50_ms"),
              fl("python", "p50_ms")), 1.2, "<=", "wall p50 ratio")
    secs = meta["c8_seconds"]
    for mode in ("process", "container"):
        r = by.get((mode, "c8"))
        bad = (r["n503"] + r["errors"]) if r else None
        add("%s: c8 for %d s, zero 503s and errors" % (mode, secs), bad, 0,
            "<=", "%s 503s, %s errors" % (r["n503"], r["errors"])
            if r else "not run", unit="")
        mean = (8000.0 / r["rate"]) if r and r["rate"] else None
        add("%s: c8 p99 <= 1.5 x 8 / throughput" % mode,
            ratio(r and r["p99_ms"], mean), 1.5, "<=",
            "p99 over 8/rate (the mean latency a saturated closed loop of 8 "
            "clients has)")
    for mode in ("process", "container"):
        for what, field, floor_field in (("CPU", "cpu_ms", "cpu_ms"),
                                         ("p50", "p50_ms", "p50_ms")):
            hello = get(mode, "hello_b2b", field)
            render = fl("plot", floor_field)
            limit = (render + 1.5 * hello) if None not in (hello, render) \
                else None
            add("%s plot 640x480: %s <= warm render + 1.5x hello"
                % (mode, what),
                ratio(get(mode, "plot", field), limit), 1.0, "<=",
                "%s of the plot row over the render floor's %s + 1.5 x the "
                "back-to-back hello row's" % (what, what))
    add("process: CPU outside the containers <= 3 ms/ex",
        get("process", "hello_b2b", "outside_ms"), 3.0, "<=",
        "back-to-back hello row; per-process breakdown below", unit=" ms")
    return out


def print_targets(tgts, out):
    w = out.write
    w("\ntargets (issue 15)\n")
    for t in tgts:
        if t["met"] is None:
            verdict, m = "n/a (not measured)", "-"
        else:
            verdict = "met" if t["met"] else "NOT met"
            m = "%.2f%s" % (t["measured"], t["unit"]) if t["unit"] \
                else "%d" % t["measured"]
        lim = "%s %.2f%s" % (t["cmp"], t["limit"], t["unit"]) if t["unit"] \
            else "%s %d" % (t["cmp"], t["limit"])
        w("  %-58s %10s %10s  %-8s %s\n" % (t["target"], m, lim, verdict,
                                            t["how"]))


def write_json(path, meta, floors, rows, tgts):
    with open(path, "w") as f:
        json.dump({"meta": meta, "floors": floors, "rows": rows,
                   "targets": tgts}, f, indent=1, sort_keys=True,
                  default=str)
        f.write("\n")


def load_floors(path):
    with open(path) as f:
        return json.load(f)["floors"]


#!/usr/bin/env python3
"""bench_cluster - what the cells cost (SPEC section 10): print('hello')
through HAProxy to two cells, to one cell, and straight to one cell,
with wrk -t2 -c8 on loopback, each with the machine's CPU per request;
then the extra hop alone: GET /health and a record read directly, through
HAProxy, and forwarded by the other cell.  Process isolation.  A
benchmark, not a test: run it by hand on a quiet machine,

    PYTHONPATH=tests:tests/cluster /usr/bin/python3 \\
        tests/cluster/bench_cluster.py [SECONDS]
"""

import json
import os
import re
import subprocess
import sys
import tempfile

from conftest import Front, make_cells
from pyexec_test.fixtures import finish_stack
from pyexec_test.stack import OUT

SECONDS = int(sys.argv[1]) if len(sys.argv) > 1 else 15
# pyexec's own defaults, as scripts/bench runs them.
CONF = {"workers": 8, "pool_min_idle": 4, "pool_max": 32}


def cpu_jiffies():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return sum(fields) - fields[3] - fields[4]     # all but idle, iowait


def wrk(url, key, body=None, conns=8, seconds=SECONDS):
    """(requests/s, errors, CPU ms per request, p50 ms, p99 ms)."""
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write('wrk.headers["Authorization"] = "Bearer %s"\n' % key)
    if body is not None:
        script.write('wrk.method = "POST"\nwrk.body = %s\n'
                     'wrk.headers["Content-Type"] = "application/json"\n'
                     % json.dumps(json.dumps(body)))
    script.write('done = function(summary, latency, requests)\n'
                 '  io.write(string.format("p50 %.2f p99 %.2f\\n",'
                 ' latency:percentile(50) / 1000,'
                 ' latency:percentile(99) / 1000))\nend\n')
    script.close()
    t0 = cpu_jiffies()
    out = subprocess.run(["wrk", "-t2", "-c%d" % conns, "-d%ds" % seconds,
                          "-s", script.name, url], capture_output=True,
                         text=True, check=True).stdout
    used_ms = (cpu_jiffies() - t0) * 1000.0 / os.sysconf("SC_CLK_TCK")
    os.unlink(script.name)
    n = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(m.group(1)) if m else 0
    p = re.search(r"p50 ([\d.]+) p99 ([\d.]+)", out)
    return rps, errors, used_ms / max(n, 1), float(p.group(1)), \
        float(p.group(2))


def main():
    os.makedirs(OUT, exist_ok=True)
    cells = make_cells(tempfile.mkdtemp(prefix="replicas-", dir=OUT))
    for st in cells.values():
        st.conf.update(CONF)
        st.conf.pop("replica_dir")
    fronts = []
    rows = []
    try:
        for st in cells.values():
            st.start()
        for st in cells.values():
            st.wait_healthy()
        a, b = cells["a"], cells["b"]
        both = Front(cells)
        one = Front({"a": a})
        fronts += [both, one]
        hello = {"code": "print('hello')"}
        for name, url in (("HAProxy, 2 cells", both.url),
                          ("HAProxy, 1 cell", one.url),
                          ("1 cell, no HAProxy", a.url)):
            a.wait_healthy()
            b.wait_healthy()
            wrk(url + "/execute", a.key, hello, seconds=10)    # warm-up
            rows.append(("POST /execute print('hello')", name)
                        + wrk(url + "/execute", a.key, hello))
        rec = b.execute("print(1)").json["execution_id"]
        for what, path in (("GET /health", "/health"),
                           ("GET /executions/{b's id}", "/executions/" + rec)):
            for name, url in (("direct to its cell", b.url),
                              ("through HAProxy", both.url),
                              ("forwarded by cell a", a.url)):
                if what == "GET /health" and name.startswith("forwarded"):
                    continue
                rows.append((what, name) + wrk(url + path, a.key))
    finally:
        for f in fronts:
            f.stop()
        for st in cells.values():
            finish_stack(st)
    print("| request | path | req/s | errors | CPU ms/req | p50 ms "
          "| p99 ms |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print("| %s | %s | %.1f | %d | %.2f | %.1f | %.1f |" % r)


if __name__ == "__main__":
    main()

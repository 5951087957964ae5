#!/usr/bin/env python3
"""bench_frontends - requests/s of GET /health through each front end,
next to the same front end serving a static file of the same size, with
wrk -t2 -c8 -d10s on loopback.  Prints a Markdown table.  A benchmark,
not a test: run it by hand on a quiet machine,

    PYTHONPATH=tests /usr/bin/python3 tests/deploy/bench_frontends.py [SECONDS]

It installs the tree into build-deploy/inst as the deployment suite does
(and removes it at the end)."""

import os
import re
import shutil
import subprocess
import sys

import deploy
from pyexec_test.waits import wait_for

SECONDS = int(sys.argv[1]) if len(sys.argv) > 1 else 10


def wrk(url):
    out = subprocess.run(["wrk", "-t2", "-c8", "-d%ds" % SECONDS, url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", out)
    return rps, errors, m.group(1) if m else ""


def main():
    tree = deploy.Tree()
    tree.configure_and_build()
    tree.install()
    tree.set_conf(image=deploy.IMAGE, api_keys=deploy.KEY, workers=8,
                  pool_min_idle=1, pool_max=8, log_level="info")
    work = deploy.workdir()
    cert = deploy.make_cert(work)
    static = os.path.join(tree.pkgdata, "static", "static")
    os.makedirs(static, exist_ok=True)
    rows = []
    try:
        for name in sorted(deploy.FRONT_ENDS):
            cls = deploy.FRONT_ENDS[name]
            fe = cls(tree, work, *cert)
            # wrk uses the plain port only, so one mod_fcgid class runs.
            fe.plain_serves_api = True
            d = None
            if fe.spawns:
                tree.chown_data(deploy.WEB_USER, deploy.SPAWN_GROUP)
            else:
                tree.chown_data("root", "root")
                d = deploy.Daemon(tree, fe.dir)
                d.start()
            fe.start()
            try:
                wait_for(lambda: fe.request("GET", "/health",
                                            key=False)[0] == 200, 60)
                status, _, body = fe.request("GET", "/health", key=False)
                assert status == 200, body
                with open(os.path.join(static, "health.json"), "wb") as f:
                    f.write(body)
                os.chmod(os.path.join(static, "health.json"), 0o644)
                base = "http://127.0.0.1:%d" % fe.port
                h = wrk(base + "/health")
                s = wrk(base + "/static/health.json")
                rows.append((name, h, s))
            finally:
                fe.stop()
                if d:
                    d.stop()
                tree.remove_containers()
    finally:
        tree.remove()
        shutil.rmtree(work, ignore_errors=True)
    print("| front end | GET /health req/s | static file req/s | ratio |")
    print("|---|---:|---:|---:|")
    for name, h, s in rows:
        note = ""
        if h[1] or h[2] or s[1] or s[2]:
            note = " (errors: %s %s / %s %s)" % (h[1], h[2], s[1], s[2])
        print("| %s | %.0f | %.0f | %.2f%s |" % (name, h[0], s[0],
                                                 h[0] / s[0], note))


if __name__ == "__main__":
    main()

"""scripts/cluster as a user runs it (with the tests' build): two cells
and HAProxy on loopback, one key, work spread over both, Litestream
copying each cell's database; SIGTERM leaves no process and no
container behind."""

import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.request

from pyexec_test import docker
from pyexec_test.net import free_port
from pyexec_test.stack import BUILD, OUT, SRC, read_instance_id
from pyexec_test.waits import scaled, wait_for


def post(url, key, body):
    req = urllib.request.Request(
        url + "/execute", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": "Bearer " + key,
                 "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=scaled(60)) as r:
        return r.headers.get("X-Pyexec-Node"), json.loads(r.read())


def read_banner(proc, deadline):
    """The cell:, key: and ready: lines, up to ready:."""
    lines = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("ready: "):
            return lines
    raise AssertionError("no ready: line from scripts/cluster:\n%s"
                         % "\n".join(lines))


def leftovers(data):
    out = subprocess.run(["pgrep", "-af", data], capture_output=True,
                         text=True).stdout
    return [l for l in out.splitlines() if "pgrep" not in l]


def test_scripts_cluster_runs_and_stops_clean():
    os.makedirs(OUT, exist_ok=True)
    data = tempfile.mkdtemp(prefix="cluster-", dir=OUT)
    port = free_port()
    env = dict(os.environ, PYEXEC_BUILDDIR=BUILD, PYEXEC_ISOLATION="process",
               PYEXEC_POOL_MIN_IDLE="1", PYEXEC_WORKERS="2")
    env.pop("PYEXEC_API_KEYS", None)
    proc = subprocess.Popen(
        [os.path.join(SRC, "scripts", "cluster"), "--no-setup", "--cells",
         "2", "--port", str(port), "--data-dir", data, "--replicas"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env=env, start_new_session=True)
    iids = []
    try:
        lines = read_banner(proc, time.monotonic() + scaled(180))
        url = [l.split()[1] for l in lines if l.startswith("ready: ")][0]
        key = [l.split()[1] for l in lines if l.startswith("key: ")][0]
        cells = [l.split() for l in lines if l.startswith("cell: ")]
        assert url == "http://127.0.0.1:%d" % port
        assert [(c[1], c[2]) for c in cells] == [
            ("a", "http://127.0.0.2:%d" % port),
            ("b", "http://127.0.0.3:%d" % port)], lines
        assert len(key) >= 32
        with open(os.path.join(data, "api_key")) as f:
            assert f.read().strip() == key
        iids = [read_instance_id(os.path.join(c[3], "pyexec.db"))
                for c in cells]
        seen = set()
        for i in range(20):
            name, j = post(url, key, {"code": "print(%d)" % i})
            assert j["stdout"] == "%d\n" % i
            assert j["execution_id"].startswith(name + ".")
            seen.add(name)
        assert seen == {"a", "b"}
        # Each cell's database is copied by Litestream.
        for name in ("a", "b"):
            rep = os.path.join(data, "replicas", name)
            assert wait_for(lambda: os.path.isdir(
                os.path.join(rep, "generations")), 30), os.listdir(data)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(scaled(120))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    assert proc.returncode is not None
    assert wait_for(lambda: not leftovers(data), 30), leftovers(data)
    for iid in iids:
        left = docker.instance_containers(iid)
        docker.remove(left)
        assert not left, left

"""Containers left behind (issue 16, orphans): session containers
outlive a stop on purpose and a SIGKILL leaves the pool's, so
`pyexec-admin sweep` removes a data dir's containers without the
service, and `scripts/run` removes what it started when it exits."""

import os
import shutil
import signal
import subprocess
import tempfile

from pyexec_test import docker
from pyexec_test.fixtures import session_containers
from pyexec_test.net import free_port
from pyexec_test.stack import BUILD, IMAGE, KEY_A, SRC, read_instance_id
from pyexec_test.waits import scaled, wait_for


def admin(st, *args):
    return subprocess.run([os.path.join(BUILD, "pyexec-admin"), "--config",
                           st.conf_path] + list(args), capture_output=True,
                          text=True)


def test_sweep_after_a_sigkill(make_stack):
    st = make_stack("sweep", conf={"pool_min_idle": 2})
    st.wait_healthy()
    r = st.post("/sessions/kept/execute", {"code": "x = 1"})
    assert r.status == 200, r
    kept = session_containers(st)
    assert len(kept) == 1
    # Never under a running service: its containers are in use.
    r = admin(st, "sweep")
    assert r.returncode == 1 and "stop it first" in r.stderr, r
    st.crash()
    left = set(docker.instance_containers(st.iid))
    assert left - kept, "the pool should outlive a SIGKILL: %s" % left
    # The lock goes with the last process of the killed service.
    assert wait_for(lambda: admin(st, "sweep", "--keep-sessions")
                    .returncode == 0, 30)
    assert set(docker.instance_containers(st.iid)) == kept
    r = admin(st, "sweep")
    assert r.returncode == 0 and "removed 1 container" in r.stdout, r
    assert docker.instance_containers(st.iid) == []


def run_script(data, port, *args):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYEXEC_")}
    env.update({"PYEXEC_BUILDDIR": BUILD, "PYEXEC_IMAGE": IMAGE,
                "PYEXEC_WORKERS": "2", "PYEXEC_POOL_MIN_IDLE": "1",
                "PYEXEC_API_KEYS": KEY_A,
                "PATH": env.get("PATH", "") + ":/usr/sbin:/sbin"})
    log = open(os.path.join(data, "run.log"), "ab")
    # Its own process group: Ctrl-C reaches the script and its children.
    return subprocess.Popen([os.path.join(SRC, "scripts", "run"),
                             "--no-setup", "--port", str(port),
                             "--data-dir", data] + list(args),
                            stdout=log, stderr=log, env=env,
                            start_new_session=True)


def session_call(port):
    import http.client
    import json
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=scaled(120))
    try:
        c.request("POST", "/sessions/demo/execute",
                  json.dumps({"code": "print(1)"}),
                  {"Authorization": "Bearer " + KEY_A,
                   "Content-Type": "application/json"})
        return c.getresponse().status
    except OSError:
        return None
    finally:
        c.close()


def test_scripts_run_removes_its_containers_on_ctrl_c():
    data = tempfile.mkdtemp(prefix="pyexec-run-")
    port = free_port()
    p = run_script(data, port)
    iid = None
    try:
        assert wait_for(lambda: session_call(port) == 200, 120), \
            open(os.path.join(data, "run.log")).read()[-3000:]
        iid = read_instance_id(os.path.join(data, "pyexec.db"))
        assert docker.instance_containers(iid)
        os.killpg(p.pid, signal.SIGINT)
        p.wait(scaled(120))
        assert docker.instance_containers(iid) == [], \
            open(os.path.join(data, "run.log")).read()[-3000:]
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        if iid:
            docker.remove(docker.instance_containers(iid))
        shutil.rmtree(data, ignore_errors=True)

"""Per-key limits set with pyexec-admin, and /metrics, through lighttpd."""

import os
import re
import subprocess

from pyexec_test.stack import BUILD
from pyexec_test.waits import in_background, scaled, wait_for


def admin(st, *args):
    out = subprocess.run([os.path.join(BUILD, "pyexec-admin"), "--config",
                          st.conf_path] + list(args),
                         capture_output=True, text=True, timeout=scaled(30))
    assert out.returncode == 0, out.stderr
    return out.stdout


def new_key(st, name):
    key = admin(st, "key", "create", name).strip()
    kid = [l.split()[0] for l in admin(st, "key", "list").splitlines()
           if l.rstrip().endswith(name)][0]
    return key, kid


def test_concurrency_limit_per_key(make_stack):
    st = make_stack("conc")
    st.wait_healthy()
    key, kid = new_key(st, "one-at-a-time")
    admin(st, "key", "limits", kid, "1", "-")
    # Running for far longer than the two calls below take.
    slow = in_background(st.execute, "import time\ntime.sleep(%d)"
                         % scaled(5), _key=key, timeout=scaled(60))
    assert wait_for(st.running_execution, 30, 0.05)
    r = st.execute("print(1)", _key=key)
    other = st.execute("print(1)")           # another key is unaffected
    assert slow().status == 200
    assert r.status == 429, r
    assert r.json["error"] == "rate_limited"
    assert "1 executions at once" in r.json["detail"]
    assert r.header("Retry-After")
    assert other.status == 200
    assert st.execute("print(1)", _key=key).status == 200


def test_rate_limit_per_minute(make_stack):
    st = make_stack("rate")
    st.wait_healthy()
    key, kid = new_key(st, "three-a-minute")
    admin(st, "key", "limits", kid, "-", "3")
    codes = [st.execute("print(1)", _key=key).status for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    admin(st, "key", "limits", kid, "-", "-")
    assert st.execute("print(1)", _key=key).status == 200


def test_revoked_key_stops_at_once(make_stack):
    st = make_stack("revoke")
    st.wait_healthy()
    key, kid = new_key(st, "short-lived")
    assert st.execute("print(1)", _key=key).status == 200
    admin(st, "key", "revoke", kid)
    assert st.execute("print(1)", _key=key).status == 401
    assert "revoked" in admin(st, "key", "list")


def metric(text, name, **labels):
    want = ",".join('%s="%s"' % kv for kv in sorted(labels.items()))
    for line in text.splitlines():
        m = re.match(r"^(\w+)(\{[^}]*\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        got = ",".join(sorted((m.group(2) or "{}")[1:-1].split(",")))
        if got == want or (not labels and not m.group(2)):
            return float(m.group(3))
    return None


def test_metrics(make_stack):
    st = make_stack("metrics")
    st.wait_healthy()
    assert st.get("/metrics", key=False).status == 401
    before = st.get("/metrics").body.decode()
    st.execute("print(1)")
    st.execute("1/0")
    st.execute("import os\nos.system('id')")
    r = st.get("/metrics")
    assert r.status == 200
    assert r.header("Content-Type").startswith("text/plain")
    text = r.body.decode()
    assert metric(text, "pyexec_http_requests_total", route="execute",
                  code="200") >= 2
    assert metric(text, "pyexec_http_requests_total", route="execute",
                  code="400") >= 1
    for status, at_least in (("completed", 1), ("error", 1),
                             ("blocked", 1)):
        after = metric(text, "pyexec_executions_total", status=status)
        was = metric(before, "pyexec_executions_total", status=status) or 0
        assert after - was >= at_least, status
    for phase in ("queue", "sandbox", "run", "total"):
        assert metric(text, "pyexec_execution_phase_seconds_count",
                      phase=phase) >= 2
        assert metric(text, "pyexec_execution_phase_seconds_bucket",
                      phase=phase, le="+Inf") >= 2
    assert metric(text, "pyexec_pool_containers", state="idle") is not None
    assert metric(text, "pyexec_docker_up") == 1
    assert metric(text, "pyexec_fcgi_workers", state="idle") >= 1
    assert metric(text, "pyexec_sessions") == 0

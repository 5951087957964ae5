"""What the service showed that it need not (issue 16, finding 7): the
host's boot arguments in /proc/cmdline, any Origin echoed in CORS
headers, the client's Host header copied into image URLs, instance-wide
counts to every key, and images cacheable by shared caches."""

import os
import urllib.parse

import attacklib
from pyexec_test.fixtures import make_stack  # noqa: F401 (a fixture)
from pyexec_test.stack import KEY_A

PLOT = "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()\n"


def host_cmdline():
    with open("/proc/cmdline") as f:
        return f.read().strip()


def test_proc_cmdline_is_masked(atk):
    j = atk.run("print(repr(open('/proc/cmdline').read()))")
    assert j["status"] == "completed", j
    assert j["stdout"] == "''\n", j
    assert host_cmdline() not in j["stdout"]
    atk.held("container: /proc/cmdline masked (MaskedPaths)")


def test_any_origin_is_not_echoed(atk):
    evil = "https://evil-%s.example" % os.urandom(4).hex()
    r = atk.st.get("/health", key=False, headers={"Origin": evil})
    assert r.status == 200, r
    assert r.header("Access-Control-Allow-Origin") == "*", r.headers
    assert r.header("Access-Control-Allow-Credentials") is None
    atk.held("host: CORS answers '*' without credentials, never the Origin")


def test_host_header_is_not_in_image_urls(atk):
    evil = "evil-%s.example" % os.urandom(4).hex()
    r = atk.st.post("/execute", {"code": PLOT, "timeout": 60},
                    headers={"Host": evil})
    assert r.status == 200, r
    j = r.json
    assert j["images"], j
    for img in j["images"]:
        assert evil not in img["url"], img
        assert img["url"] == "/images/" + img["id"], img
    rec = atk.st.get("/executions/" + j["execution_id"],
                     headers={"Host": evil}).json
    assert all(evil not in i["url"] for i in rec["images"]), rec
    # Images are user content: no shared cache keeps them.
    got = atk.st.get(j["images"][0]["url"], key=False)
    assert got.status == 200, got
    assert got.header("Cache-Control").startswith("private"), got.headers
    atk.held("host: image URLs are relative (public_url unset), "
             "Cache-Control private")


def test_public_url_and_metrics_key(make_stack):  # noqa: F811
    st = make_stack("exposure", conf=dict(
        attacklib.SUITE_CONF, pool_min_idle=1,
        public_url="https://py.example/api/", metrics_key="m-secret-42"))
    st.wait_healthy()
    j = st.post("/execute", {"code": PLOT, "timeout": 60},
                headers={"Host": "evil.example"}).json
    url = j["images"][0]["url"]
    assert url == "https://py.example/api/images/" + j["images"][0]["id"]
    assert st.get(urllib.parse.urlparse(url).path[len("/api"):],
                  key=False).status == 200
    # /metrics and /status: the metrics key only.
    for path in ("/metrics", "/status"):
        r = st.get(path)
        assert r.status == 401, r
        assert "metrics_key" in r.json["detail"], r.json
        assert st.get(path, key="m-secret-42").status == 200
    # ... which is no API key.
    assert st.execute("print(1)", _key="m-secret-42").status == 401
    assert st.execute("print(1)", _key=KEY_A).status == 200

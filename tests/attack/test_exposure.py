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


# Reads every file under /proc/self (and the namespace-wide mount
# tables) a program may read; prints those holding a needle.
PROC_SCAN = r"""
import os
SKIP = {'mem', 'pagemap', 'clear_refs', 'kpageflags', 'kpagecount'}
def scan(d, depth):
    for n in sorted(os.listdir(d)):
        p = d + '/' + n
        if n in SKIP or os.path.islink(p) and depth:
            continue
        try:
            if os.path.isdir(p) and not os.path.islink(p):
                if depth < 2 and n not in ('task', 'fd', 'fdinfo', 'map_files'):
                    scan(p, depth + 1)
                continue
            with open(p, 'rb') as f:
                data = f.read(1 << 20)
        except OSError:
            continue
        for needle in NEEDLES:
            if needle.encode() in data:
                print('found', needle, 'in', p)
scan('/proc/self', 0)
for p in ('/proc/mounts', '/proc/1/mountinfo', '/proc/self/mountinfo'):
    text = open(p).read()
    for needle in NEEDLES:
        if needle in text:
            print('found', needle, 'in', p)
print('runner mount', [l.split()[3] for l in open('/proc/self/mountinfo')
                       if ' /run/pyexec ' in l])
"""


def test_mounts_do_not_name_the_data_dir(atk):
    """The host side of the /run/pyexec bind mount used to be
    DATA/run/<id>: mountinfo named the data dir.  It is now a random
    directory under runner_dir."""
    data = os.path.realpath(atk.st.data)
    top = os.path.realpath(atk.st.dir)
    # The paths, and their random (unique) components.
    needles = [data, top, os.path.basename(top)]
    if not data.startswith(top + "/"):
        needles.append(os.path.basename(data))
    j = atk.run("NEEDLES = %r\n" % needles + PROC_SCAN, timeout=60)
    assert j["status"] == "completed", j
    out = j["stdout"].splitlines()
    assert [l for l in out if l.startswith("found")] == [], out
    root = out[-1]
    assert root.startswith("runner mount ['/") and "pyexec-runner" in root, \
        out
    atk.held("host: runner sockets under runner_dir/<random>, nothing "
             "of the data dir's path in /proc")

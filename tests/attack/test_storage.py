"""Filling the host's disk through outputs (issue 16, finding 2): one
request used to keep 15 files of 4 MB in the database for 30 days.
Outputs are capped per execution (execution_storage_max) and per key
(key_storage_max), nothing is kept under the free-space floor
(min_free_disk_mb), and the database's size and the free space show in
/health and /metrics."""

import os
import re
import subprocess

import attacklib
from attacklib import MAX_FILE_BYTES
from pyexec_test.fixtures import make_stack  # noqa: F401 (a fixture)
from pyexec_test.stack import BUILD, KEY_B

# execution_storage_max's default.
EXECUTION_STORAGE_MAX = 16 << 20


def files_code(n, size):
    """Writes n files of size random bytes to /work/output."""
    return ("import os\nfor i in range(%d):\n"
            "    with open('output/f%%02d.bin' %% i, 'wb') as f:\n"
            "        f.write(os.urandom(%d))\n" % (n, size))


def admin(st, *args):
    out = subprocess.run([os.path.join(BUILD, "pyexec-admin"), "--config",
                          st.conf_path] + list(args), capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def kept(j):
    return sum(f["size"] for f in j["files"] + j["images"])


def test_outputs_over_the_execution_storage_cap(atk):
    # 40 MB of incompressible files, each under image_max_bytes.
    size = MAX_FILE_BYTES - 100000
    before = atk.st.get("/health", key=False).json["disk"]
    j = atk.run(files_code(10, size), timeout=60, max_memory_mb=512)
    assert j["status"] == "completed", j
    assert j["storage_limited"] is True, j
    assert kept(j) <= EXECUTION_STORAGE_MAX, kept(j)
    assert len(j["files"]) == EXECUTION_STORAGE_MAX // size, j["files"]
    assert j["storage_bytes"] == kept(j)
    assert j["images_dropped"] == 10 - len(j["files"])
    # The database grew by what was kept, not by the 40 MB.
    after = atk.st.get("/health", key=False).json["disk"]
    assert after["database_bytes"] - before["database_bytes"] \
        < EXECUTION_STORAGE_MAX + (4 << 20)
    atk.held("host: execution_storage_max (outputs dropped, "
             "storage_limited)")


def test_small_outputs_are_not_limited(atk):
    j = atk.run(files_code(2, 1000))
    assert j["storage_limited"] is False, j
    assert len(j["files"]) == 2 and j["storage_bytes"] == 2000, j
    atk.held("nothing to stop: within the limits")


def test_key_storage_cap_and_disk_floor(make_stack):  # noqa: F811
    st = make_stack("storage", conf=dict(
        attacklib.SUITE_CONF, pool_min_idle=1, key_storage_max="6M"))
    st.wait_healthy()
    code = files_code(2, 2 << 20)
    first = st.execute(code, timeout=60)
    assert first.status == 200, first
    assert first.json["storage_limited"] is False, first.json
    # The key has 4 MB of its 6 MB: one more file of 2 MB fits.
    second = st.execute(code, timeout=60).json
    assert second["storage_limited"] is True, second
    assert len(second["files"]) == 1, second
    third = st.execute(code, timeout=60).json
    assert third["storage_limited"] is True and third["files"] == [], third
    # Another key has its own share, counted in its usage.
    key = admin(st, "key", "create", "storage").strip()
    other = st.execute(code, timeout=60, _key=key).json
    assert other["storage_limited"] is False, other
    assert len(other["files"]) == 2, other
    row = [l.split() for l in admin(st, "key", "list").splitlines()
           if l.rstrip().endswith(" storage")][0]
    assert row[4] == str(4 << 20), row
    # What was kept is still served.
    r = st.get(first.json["files"][0]["url"].split(st.url, 1)[-1])
    assert r.status == 200 and len(r.body) == 2 << 20
    metrics = st.get("/metrics").body.decode()
    db = int(re.search(r"^pyexec_database_bytes (\d+)$", metrics,
                       re.M).group(1))
    assert db > 10 << 20, metrics
    assert re.search(r"^pyexec_disk_free_bytes \d+$", metrics, re.M)
    health = st.get("/health", key=False)
    assert health.status == 200 and health.json["disk"]["status"] == "ok"
    st.stop()

    # Under the floor: unhealthy, and nothing is kept.
    st.conf["min_free_disk_mb"] = 1 << 24      # 16 TB
    st.start()
    health = st.get("/health", key=False)
    assert health.status == 503, health
    assert health.json["status"] == "unhealthy", health.json
    assert health.json["disk"]["status"] == "low", health.json
    j = st.execute(files_code(1, 1000), timeout=60, _key=KEY_B).json
    assert j["status"] == "completed", j
    assert j["storage_limited"] is True and j["files"] == [], j

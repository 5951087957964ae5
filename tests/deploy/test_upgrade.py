"""Upgrades: migrations run at start; a database newer than the program
is refused with a clear message and exit status 1, by the daemon, by
pyexec-admin, and named by doctor."""

import os
import sqlite3
import subprocess

import pytest

import deploy


@pytest.fixture
def data(tree, workdir):
    d = os.path.join(workdir, "upgrade-data")
    os.makedirs(d, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYEXEC_")}
    env.update(PYEXEC_DATA_DIR=d, PYEXEC_LISTEN="unix:%s/pyexec.sock" % d)
    return d, env


def test_a_database_newer_than_the_program_is_refused(tree, data):
    d, env = data
    # pyexec-admin creates and migrates the database, like a first start.
    deploy.run([tree.prog("pyexec-admin"), "key", "list"], env=env)
    db = sqlite3.connect(os.path.join(d, "pyexec.db"))
    latest = db.execute("SELECT max(version) FROM schema_version"
                        ).fetchone()[0]
    assert latest >= 1
    db.execute("INSERT INTO schema_version VALUES (?, 'from_the_future', 0)",
               (latest + 1,))
    db.commit()
    db.close()
    r = subprocess.run([tree.prog("pyexec-fcgi")], env=env,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, r
    assert ("database schema version %d is newer than this pyexec "
            "understands (%d)" % (latest + 1, latest)) in r.stderr
    assert "restore a backup" in r.stderr
    assert not os.path.exists(os.path.join(d, "pyexec.sock"))
    r = subprocess.run([tree.prog("pyexec-admin"), "key", "list"], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 1 and "newer than this pyexec" in r.stderr
    r = subprocess.run([tree.prog("pyexec-admin"), "doctor"], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 1
    line = [x for x in r.stdout.splitlines() if x.startswith("database")][0]
    assert "FAIL" in line and "newer than this pyexec" in line, line

"""Fixtures shared by the end-to-end, compatibility and attack suites:
stacks that are always stopped, and a leak check on every stack's
containers.  Each suite's conftest.py imports them."""

import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import stack as stack_mod  # noqa: E402


def docker_names(label):
    out = subprocess.run(
        ["docker", "ps", "-a", "--filter", "label=" + label,
         "--format", "{{.Names}}"],
        capture_output=True, text=True)
    return [n for n in out.stdout.split() if n]


def session_container_names(st):
    try:
        db = st.db()
        rows = db.execute("SELECT container FROM sessions WHERE container"
                          " IS NOT NULL").fetchall()
        db.close()
        return {r[0] for r in rows}
    except Exception:
        return set()


def finish_stack(st):
    """Stops st and fails if it left a container that is not a live
    session's (sessions outlive a restart on purpose); then removes the
    sessions' containers so the suite leaves nothing behind."""
    iid = None
    try:
        iid = st.instance_id()
    except Exception:
        pass
    rc = st.stop()
    if not iid:
        return rc
    left = docker_names("pyexec.instance=" + iid)
    leaked = sorted(set(left) - session_container_names(st))
    why = leak_report(st, leaked) if leaked else ""
    if left:
        subprocess.run(["docker", "rm", "-f"] + left,
                       capture_output=True)
    assert not leaked, "containers leaked by %s: %s%s" % (st.name, leaked,
                                                          why)
    return rc


def leak_report(st, names):
    """What Docker and pyexec's log say of each leaked container, so a
    failure on a CI machine can be understood without it."""
    lines = []
    for n in names:
        out = subprocess.run(
            ["docker", "inspect", "--format",
             "{{.State.Status}} created {{.Created}} started "
             "{{.State.StartedAt}} finished {{.State.FinishedAt}}", n],
            capture_output=True, text=True)
        lines.append("\n%s: %s" % (n, out.stdout.strip() or out.stderr))
        lines += ["\n  " + l for l in st.log().splitlines() if n in l]
    try:
        db = st.db()
        rows = db.execute("SELECT name, state, claimed_by FROM containers"
                          ).fetchall()
        db.close()
        lines.append("\ncontainers table after stop: %r" % (rows,))
    except Exception as e:
        lines.append("\ncontainers table: %s" % e)
    return "".join(lines)


@pytest.fixture
def make_stack(request):
    made = []

    def make(name=None, conf=None, env=None, start=True, **kw):
        st = stack_mod.Stack(name or request.node.name[:40], conf=conf,
                             env=env, **kw)
        made.append(st)
        if start:
            st.start()
        return st

    yield make
    for st in made:
        finish_stack(st)


@pytest.fixture(scope="module")
def stack(request):
    st = stack_mod.Stack(request.module.__name__.split(".")[-1],
                         conf=getattr(request.module, "STACK_CONF", None))
    st.start()
    if getattr(request.module, "NEEDS_HEALTHY", True):
        st.wait_healthy()
    yield st
    finish_stack(st)

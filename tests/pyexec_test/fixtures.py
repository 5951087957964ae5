"""Fixtures shared by the end-to-end, compatibility and attack suites:
stacks that are always stopped, and a leak check on every stack's
containers.  Each suite's conftest.py imports them."""

import os

import pytest

from . import docker
from .stack import Stack, read_instance_id


def session_containers(st):
    """The containers of the stack's live sessions."""
    return {r[0] for r in st.query("SELECT container FROM sessions WHERE"
                                   " container IS NOT NULL")}


def finish_stack(st):
    """Stops st and fails if it left a container that is not a live
    session's (sessions outlive a restart on purpose); then removes the
    sessions' containers so the suite leaves nothing behind.  Containers
    are labelled with the instance id from the database: a stack that
    never got as far as making its database cannot have made one, and
    for any other the id must be readable, or the check fails."""
    rc = st.stop()
    if st.iid is None and not os.path.exists(st.db_path):
        return rc
    left = docker.instance_containers(st.iid or read_instance_id(st.db_path))
    leaked = sorted(set(left) - session_containers(st)) if left else []
    why = leak_report(st, leaked) if leaked else ""
    docker.remove(left)
    assert not leaked, "containers leaked by %s: %s%s" % (st.name, leaked,
                                                          why)
    return rc


def leak_report(st, names):
    """What Docker and pyexec's log say of each leaked container, so a
    failure on a CI machine can be understood without it."""
    lines = []
    for n in names:
        lines.append("\n%s: %s" % (n, docker.describe(n)))
        lines += ["\n  " + l for l in st.log().splitlines() if n in l]
    lines.append("\ncontainers table after stop: %r" % (st.query(
        "SELECT name, state, claimed_by FROM containers"),))
    return "".join(lines)


@pytest.fixture
def make_stack(request):
    made = []

    def make(name=None, conf=None, env=None, start=True, **kw):
        st = Stack(name or request.node.name[:40], conf=conf, env=env, **kw)
        made.append(st)
        if start:
            st.start()
        return st

    yield make
    for st in made:
        finish_stack(st)


@pytest.fixture(scope="module")
def stack(request):
    st = Stack(request.module.__name__.split(".")[-1],
               conf=getattr(request.module, "STACK_CONF", None))
    try:
        st.start()
        if getattr(request.module, "NEEDS_HEALTHY", True):
            st.wait_healthy()
        yield st
    finally:
        finish_stack(st)

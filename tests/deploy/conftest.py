"""Fixtures of the deployment suite: one installed tree for the session
(removed at the end), a throwaway TLS certificate, and each front end
with what it needs behind it."""

import os
import shutil

import pytest

import deploy


@pytest.fixture(scope="session")
def tree():
    t = deploy.Tree()
    t.configure_and_build()
    t.install()
    t.set_conf(image=deploy.IMAGE, api_keys=deploy.KEY, workers=3,
               pool_min_idle=1, pool_max=8, log_level="info")
    yield t
    t.remove_containers()
    t.remove()


@pytest.fixture(scope="session")
def workdir():
    d = deploy.workdir()
    yield d
    if not os.environ.get("PYEXEC_KEEP_LOGS"):
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def cert(workdir):
    return deploy.make_cert(workdir)


def finish(t, stop):
    """Runs stop() and fails when containers of the instance are left."""
    stop()
    left = t.remove_containers()
    assert not left, "containers left behind: %s" % left


@pytest.fixture
def daemon(tree, workdir):
    """pyexec-fcgi, socket-activated as the systemd units say."""
    tree.chown_data("root", "root")
    d = deploy.Daemon(tree, workdir)
    d.start()
    yield d
    finish(tree, lambda: d.stop())


@pytest.fixture(scope="module", params=sorted(deploy.FRONT_ENDS))
def front(request, tree, workdir, cert):
    """Each front end in turn, on a plain and a TLS port, with pyexec
    behind it: a socket-activated daemon, or spawned by the front end
    itself as www-data in group docker."""
    cls = deploy.FRONT_ENDS[request.param]
    fe = cls(tree, workdir, *cert)
    d = None
    if fe.spawns:
        tree.chown_data(deploy.WEB_USER, deploy.SPAWN_GROUP)
    else:
        tree.chown_data("root", "root")
        d = deploy.Daemon(tree, os.path.join(workdir))
        d.log_path = os.path.join(fe.dir, "pyexec.log")
        d.start()
    fe.daemon = d
    fe.start()

    def stop():
        fe.stop()
        if d:
            d.stop()
    try:
        yield fe
    finally:
        finish(tree, stop)

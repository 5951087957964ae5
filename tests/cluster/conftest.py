"""Two cells, a and b, that name each other as peers (SPEC §10), shared
by the cluster suite.  Cell c is a peer both know that never runs: the
owner that cannot be reached.  Process isolation keeps one runner
container per cell, so the suite costs little."""

import os
import subprocess
import tempfile

import pytest

from pyexec_test.fixtures import finish_stack
from pyexec_test.net import free_port, wait_listening
from pyexec_test.stack import BUILD, OUT, SRC, Stack

CELL_CONF = {"isolation": "process", "pool_min_idle": 1, "pool_max": 4,
             "workers": 4}


def make_cells(replicas, names=("a", "b")):
    cells = {n: Stack("cell-" + n, conf=dict(CELL_CONF)) for n in names}
    down = "http://127.0.0.1:%d" % free_port()
    peers = ",".join(["%s=%s" % (n, st.url) for n, st in cells.items()]
                     + ["c=" + down])
    for n, st in cells.items():
        st.conf.update({"node_name": n, "peers": peers,
                        "replica_dir": replicas})
    return cells


def admin(st, *args, **kw):
    """pyexec-admin on a cell's config."""
    return subprocess.run([os.path.join(BUILD, "pyexec-admin"), "--config",
                           st.conf_path] + list(args), capture_output=True,
                          text=True, **kw)


def start_replication(st):
    """Litestream beside the cell, as scripts/run starts it."""
    log = open(os.path.join(st.dir, "litestream.log"), "ab")
    st.replication = subprocess.Popen(
        [os.path.join(BUILD, "pyexec-admin"), "--config", st.conf_path,
         "replicate"], stdout=log, stderr=log)
    log.close()


def stop_replication(st):
    if st.replication.poll() is None:
        st.replication.terminate()
        st.replication.wait(30)


@pytest.fixture(scope="session")
def cells():
    os.makedirs(OUT, exist_ok=True)
    replicas = tempfile.mkdtemp(prefix="replicas-", dir=OUT)
    made = make_cells(replicas)
    try:
        for st in made.values():
            st.start()
            start_replication(st)
        for st in made.values():
            st.wait_healthy()
        yield made
    finally:
        for st in made.values():
            if getattr(st, "replication", None):
                stop_replication(st)
            finish_stack(st)


class Front:
    """HAProxy with the project's config (deploy/haproxy), rendered by
    scripts/lib.sh as scripts/cluster renders it, in front of cells.
    Requests go to it as to a Stack (its methods are borrowed)."""

    def __init__(self, cells):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.key = next(iter(cells.values())).key
        self.dir = tempfile.mkdtemp(prefix="haproxy-", dir=OUT)
        self.cfg = os.path.join(self.dir, "haproxy.cfg")
        spec = ["%s=127.0.0.1:%d" % (n, st.port) for n, st in cells.items()]
        with open(self.cfg, "w") as f:
            subprocess.run(["bash", "-c", '. "$1"; shift; render_haproxy "$@"',
                            "render", os.path.join(SRC, "scripts", "lib.sh"),
                            os.path.join(SRC, "deploy", "haproxy",
                                         "haproxy.cfg.in"),
                            "127.0.0.1:%d" % self.port] + spec,
                           stdout=f, check=True)
        log = open(os.path.join(self.dir, "haproxy.log"), "ab")
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", self.cfg],
                                     stdout=log, stderr=log)
        log.close()
        if not wait_listening(self.port, self.proc):
            raise RuntimeError("haproxy did not start: see %s" % self.dir)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)

    request = Stack.request
    get = Stack.get
    post = Stack.post
    execute = Stack.execute


@pytest.fixture(scope="session")
def front(cells):
    f = Front(cells)
    try:
        yield f
    finally:
        f.stop()

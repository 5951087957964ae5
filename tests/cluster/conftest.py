"""Two cells, a and b, that name each other as peers (SPEC §10), shared
by the cluster suite.  Cell c is a peer both know that never runs: the
owner that cannot be reached.  Process isolation keeps one runner
container per cell, so the suite costs little."""

import pytest

from pyexec_test.fixtures import finish_stack
from pyexec_test.net import free_port
from pyexec_test.stack import Stack

CELL_CONF = {"isolation": "process", "pool_min_idle": 1, "pool_max": 4,
             "workers": 4}


def make_cells(names=("a", "b")):
    cells = {n: Stack("cell-" + n, conf=dict(CELL_CONF)) for n in names}
    down = "http://127.0.0.1:%d" % free_port()
    peers = ",".join(["%s=%s" % (n, st.url) for n, st in cells.items()]
                     + ["c=" + down])
    for n, st in cells.items():
        st.conf.update({"node_name": n, "peers": peers})
    return cells


@pytest.fixture(scope="session")
def cells():
    made = make_cells()
    try:
        for st in made.values():
            st.start()
        for st in made.values():
            st.wait_healthy()
        yield made
    finally:
        for st in made.values():
            finish_stack(st)

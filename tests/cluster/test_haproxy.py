"""The cells behind HAProxy with the project's config (deploy/haproxy):
new work spread over both, a session kept on its cell whether its id is
in the path, a header or the body, and records and images the same
through any entry point."""

from concurrent.futures import ThreadPoolExecutor

PLOT = "import matplotlib.pyplot as plt\nplt.plot([2, 3, 1])\nplt.show()\n"


def node(r):
    return r.header("X-Pyexec-Node")


def test_new_work_is_spread_over_the_cells(front):
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda i: front.execute("print(%d)" % i),
                                range(20)))
    assert all(r.status == 200 for r in answers), answers
    assert [r.json["stdout"] for r in answers] == \
        ["%d\n" % i for i in range(20)]
    assert {node(r) for r in answers} == {"a", "b"}
    for r in answers:
        assert r.json["execution_id"].startswith(node(r) + ".")


def test_a_session_stays_on_its_cell(front, cells):
    r = front.execute("x = 0", session_id="through-haproxy")
    assert r.status == 200, r
    owner = node(r)
    sid = r.json["session_id"]
    assert sid == owner + ".through-haproxy", r.json
    got = []
    for i in range(10):
        if i % 3 == 0:
            r = front.post("/sessions/%s/execute" % sid,
                           {"code": "x += 1\nprint(x)"})
        elif i % 3 == 1:
            r = front.execute("x += 1\nprint(x)", session_id=sid)
        else:
            # The header routes (no body to read); the body names it.
            r = front.post("/execute", {"code": "x += 1\nprint(x)",
                                        "session_id": sid},
                           headers={"X-Pyexec-Session": sid})
        assert r.status == 200 and node(r) == owner, r
        got.append(int(r.json["stdout"]))
    assert got == list(range(1, 11))
    # The other cell, asked directly, forwards to the owner.
    other = cells["b" if owner == "a" else "a"]
    r = other.execute("x += 1\nprint(x)", session_id=sid)
    assert r.status == 200 and r.json["stdout"] == "11\n", r


def test_an_untagged_session_id_sticks(front):
    """A seed client sends its own user_uuid, untagged, every time: the
    first cell to see it keeps it."""
    first = front.execute("y = 100", user_uuid="seed-client-7")
    assert first.status == 200, first
    for i in range(6):
        r = front.execute("y += 1\nprint(y)", user_uuid="seed-client-7")
        assert r.status == 200 and node(r) == node(first), r
        assert r.json["stdout"] == "%d\n" % (101 + i)
    r = front.post("/release", {"user_uuid": "seed-client-7"})
    assert r.status == 200 and node(r) == node(first), r


def test_records_and_images_are_the_same_through_any_entry(front, cells):
    made = [front.execute(PLOT) for _ in range(4)]
    assert {node(r) for r in made} == {"a", "b"}, made
    for r in made:
        eid = r.json["execution_id"]
        owner = cells[node(r)]
        views = [front.get("/executions/" + eid)] + \
            [st.get("/executions/" + eid) for st in cells.values()]
        assert all(v.status == 200 for v in views), views
        assert all(v.body == views[0].body for v in views)
        assert all(node(v) == node(r) for v in views)
        img = r.json["images"][0]["id"]
        pngs = [front.get("/images/%s.png" % img, key=False)] + \
            [st.get("/images/%s.png" % img, key=False)
             for st in cells.values()]
        assert all(p.status == 200 and p.body == pngs[0].body for p in pngs)
        assert owner.get("/executions/" + eid).json == views[0].json

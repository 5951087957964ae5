"""Cells (SPEC §10) talked to directly: every id a cell makes carries its
name, every answer names its cell, and a request for another cell's id
is forwarded to it, once, or answered 410/503 when that cell is down."""

from pyexec_test.sse import EventStream
from pyexec_test.stack import KEY_B

PLOT = "import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()\n"


def node(r):
    return r.header("X-Pyexec-Node")


def test_every_answer_names_its_cell(cells):
    for name, st in cells.items():
        for path in ("/health", "/nothing-here", "/executions"):
            r = st.get(path)
            assert node(r) == name, (path, r.headers)


def test_ids_a_cell_makes_carry_its_name(cells):
    a = cells["a"]
    r = a.execute("print(6*7)")
    assert r.status == 200, r
    assert r.json["execution_id"].startswith("a."), r.json
    assert r.json["stdout"] == "42\n"
    rec = a.get("/executions/" + r.json["execution_id"])
    assert rec.status == 200 and rec.json["stdout"] == "42\n", rec


def test_a_client_chosen_id_gets_the_tag(cells):
    a, b = cells["a"], cells["b"]
    r = a.execute("print(1)", execution_id="run-tag-1")
    assert r.status == 200, r
    assert r.json["execution_id"] == "a.run-tag-1", r.json
    # The untagged name still finds it on its cell; the tagged one
    # finds it from any cell.
    assert a.get("/executions/run-tag-1").json["execution_id"] \
        == "a.run-tag-1"
    via_b = b.get("/executions/a.run-tag-1")
    assert via_b.status == 200, via_b
    assert node(via_b) == "a"
    assert via_b.json["execution_id"] == "a.run-tag-1"
    # b names the same client id as its own: two different records.
    r = b.execute("print(2)", execution_id="run-tag-1")
    assert r.status == 200 and r.json["execution_id"] == "b.run-tag-1", r
    too_long = a.execute("print(1)", execution_id="x" * 63)
    assert too_long.status == 400, too_long
    assert "execution_id" in too_long.json["detail"], too_long.json


def test_records_and_images_read_the_same_through_any_cell(cells):
    a, b = cells["a"], cells["b"]
    r = b.execute(PLOT)
    assert r.status == 200 and r.json["status"] == "completed", r
    eid = r.json["execution_id"]
    direct = b.get("/executions/" + eid)
    other = a.get("/executions/" + eid)
    assert direct.status == other.status == 200, (direct, other)
    assert direct.body == other.body
    assert node(other) == "b"
    image_ids = [i["id"] for i in r.json["images"]]
    assert image_ids and all(i.startswith("b.") for i in image_ids), \
        direct.json
    for iid in image_ids:
        own = b.get("/images/%s.png" % iid, key=False)
        fwd = a.get("/images/%s.png" % iid, key=False)
        assert own.status == fwd.status == 200, (own, fwd)
        assert own.body == fwd.body and own.body[:8] == b"\x89PNG\r\n\x1a\n"
        assert fwd.header("Content-Type") == "image/png"


def test_a_session_answers_from_either_cell(cells):
    a, b = cells["a"], cells["b"]
    r = a.execute("x = 0", session_id="counter")
    assert r.status == 200, r
    sid = "a.counter"
    seen = []
    for i in range(10):
        st = (a, b)[i % 2]
        if i % 4 < 2:
            r = st.post("/sessions/%s/execute" % sid,
                        {"code": "x += 1\nprint(x)"})
        else:
            r = st.execute("x += 1\nprint(x)", session_id=sid)
        assert r.status == 200, r
        assert node(r) == "a", r.headers
        seen.append(int(r.json["stdout"]))
    assert seen == list(range(1, 11))
    got = b.get("/sessions/" + sid)
    assert got.status == 200 and got.json["session_id"] == sid, got
    assert b.request("DELETE", "/sessions/" + sid).status == 200
    assert a.get("/sessions/" + sid).status == 404


def test_a_forwarded_stream_stays_live(cells):
    a, b = cells["a"], cells["b"]
    sub = a.post("/executions", {"code": "import time\nfor i in range(3):\n"
                                 "    print(i, flush=True)\n"
                                 "    time.sleep(0.3)"})
    assert sub.status == 202, sub
    eid = sub.json["execution_id"]
    assert eid.startswith("a.")
    es = EventStream(b, "GET", "/executions/%s/events" % eid)
    try:
        assert es.status == 200, es.status
        assert es.header("X-Pyexec-Node") == "a"
        kinds = [e.kind for e in es.rest()]
    finally:
        es.close()
    assert "stdout" in kinds and kinds[-1] == "result", kinds


def test_the_owner_down_answers_at_once(cells):
    a = cells["a"]
    # A hang would fail on the client's timeout, not wait for a peer.
    r = a.get("/sessions/c.lost", timeout=30)
    assert r.status == 410 and r.json["error"] == "session_lost", r
    r = a.request("POST", "/execute", {"code": "print(1)",
                                       "session_id": "c.lost"}, timeout=30)
    assert r.status == 410 and r.json["error"] == "session_lost", r
    assert "cell c" in r.json["detail"], r.json
    r = a.get("/executions/c.0123", timeout=30)
    assert r.status == 503 and r.json["error"] == "cell_unavailable", r
    assert r.header("Retry-After"), r.headers
    r = a.get("/images/c.%s.png" % ("0" * 32), key=False, timeout=30)
    assert r.status == 503, r


def test_a_request_is_forwarded_once(cells):
    a = cells["a"]
    r = a.get("/executions/b.anything",
              headers={"X-Pyexec-Forwarded": "b"})
    assert r.status == 503 and "forwarded once" in r.json["detail"], r


def test_forwarding_keeps_the_key_check_with_the_owner(cells):
    a, b = cells["a"], cells["b"]
    r = a.execute("print(1)")
    eid = r.json["execution_id"]
    for key in (False, "wrong-key-0123456789"):
        r = b.get("/executions/" + eid, key=key)
        assert r.status == 401 and node(r) == "a", r
    # Another key of the same service: the record is not its own.
    r = b.get("/executions/" + eid, key=KEY_B)
    assert r.status == 404 and node(r) == "a", r


def test_bad_bodies_are_answered_by_the_entry_cell(cells):
    b = cells["b"]
    for body in ("{", "[]", ""):
        r = b.post("/execute", body,
                   headers={"Content-Type": "application/json"})
        assert r.status == 400 and node(r) == "b", r
        assert r.json["error"] == "invalid_json", r.json
    r = b.execute("print(1)", session_id="bad id!")
    assert r.status == 400 and "session_id" in r.json["detail"], r


def test_one_list_of_every_cells_records(cells):
    a, b = cells["a"], cells["b"]
    made = []
    for st in (a, b, a, b):
        r = st.execute("print(1)")
        assert r.status == 200, r
        made.append(r.json["execution_id"])
    own = a.get("/executions?limit=100").json["executions"]
    assert all(e["execution_id"].startswith("a.") for e in own)
    r = b.get("/executions?cells=all&limit=100")
    assert r.status == 200, r
    merged = r.json["executions"]
    ids = [e["execution_id"] for e in merged]
    assert set(made) <= set(ids), (made, ids)
    stamps = [e["created_at"] for e in merged]
    assert stamps == sorted(stamps, reverse=True)
    # Cell c is down: the list says so, and is partial.
    assert r.json["cells"]["a"] == r.json["cells"]["b"] == "ok", r.json
    assert r.json["cells"]["c"].startswith("unreachable"), r.json
    assert r.json["partial"] is True
    # Pages: the cursor walks the merged list without repeats.
    first = b.get("/executions?cells=all&limit=2").json
    assert len(first["executions"]) == 2 and first["next_before"]
    second = b.get("/executions?cells=all&limit=2&before=%d"
                   % first["next_before"]).json
    assert not {e["execution_id"] for e in first["executions"]} \
        & {e["execution_id"] for e in second["executions"]}
    assert ids[:4] == [e["execution_id"] for e in
                       first["executions"] + second["executions"]]
    bad = b.get("/executions?cells=some")
    assert bad.status == 400 and "cells" in bad.json["detail"], bad

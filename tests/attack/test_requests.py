"""Request fields the runner would refuse (issue 16, finding 3): the host
used to accept them and the runner then closed the connection without a
reply, so the record said `killed`, the worker waited and in process
mode the key's warm container was thrown away.  The host refuses them
with a 400 naming the variable; nothing reaches a sandbox."""

import os

import pytest

from pyexec_test.stack import KEY_A, KEY_B

ISOLATIONS = ("container", "process")

CASES = [
    # A name given twice: JSON allows it, Python's json keeps the last.
    (b'{"code": "print(a)", "variables": {"a": 1, "a": 2}}',
     "'a' is given twice"),
    # Not an identifier although its ASCII part is one.
    ('{"code": "print(1)", "variables": {"a\u20ac": 1}}'.encode(),
     "is not a valid Python identifier"),
    # An identifier to str.isidentifier(), but not the name the code's
    # `ﬁx` is folded to (NFKC: `fix`).
    ('{"code": "print(1)", "variables": {"\ufb01x": 1}}'.encode(),
     "is not a valid Python identifier"),
    (b'{"code": "print(1)", "variables": {"None": 1}}', "'None'"),
    # A repeated key deeper down.
    (b'{"code": "print(v)", "variables": {"v": [{"x": 1, "x": 2}]}}',
     "'v' holds an object with the key 'x' twice"),
]


@pytest.mark.parametrize("body,needle", CASES,
                         ids=["duplicate", "not-identifier", "nfkc",
                              "keyword", "nested-duplicate"])
def test_variables_the_runner_refuses(atk, body, needle):
    st = atk.st
    n = st.query("SELECT count(*) FROM executions")[0][0]
    r = st.post("/execute", body, headers={"Content-Type":
                                           "application/json"})
    assert r.status == 400, r
    assert r.json["error"] == "invalid_request", r.json
    assert needle in r.json["detail"], r.json
    assert "variables" in r.json["detail"], r.json
    # Refused before anything was recorded or a sandbox taken.
    assert st.query("SELECT count(*) FROM executions")[0][0] == n
    atk.held("host: variables validated before a sandbox is taken")


def test_execution_ids_are_per_key(atk):
    """Finding 4: a client-chosen execution_id taken by another key was
    a 409, which told whether the id existed and let a key squat ids."""
    st = atk.st
    eid = "shared-" + os.urandom(6).hex()
    mine = ("import os\nos.makedirs('output', exist_ok=True)\n"
            "open('output/a.txt', 'w').write('A')\nprint('alpha')")
    r = st.execute(mine, execution_id=eid, _key=KEY_A)
    assert r.status == 200 and len(r.json["files"]) == 1, r
    # Another key: the same id is free, and it is its own record.
    j = atk.run("print('bravo')", execution_id=eid, _key=KEY_B)
    assert j["execution_id"] == eid and j["stdout"] == "bravo\n", j
    theirs = st.get("/executions/" + eid, key=KEY_B).json
    assert theirs["stdout"] == "bravo\n" and theirs["images"] == [], theirs
    ours = st.get("/executions/" + eid, key=KEY_A).json
    assert ours["stdout"] == "alpha\n" and len(ours["images"]) == 1, ours
    listed = st.get("/executions?limit=100", key=KEY_B).json["executions"]
    assert len([e for e in listed if e["execution_id"] == eid]) == 1
    # Within one key an id is still used once.
    r = st.execute("print(1)", execution_id=eid, _key=KEY_B)
    assert r.status == 409, r
    assert r.json["error"] == "duplicate_execution_id", r.json
    atk.held("host: execution ids scoped per key (no 409, no record)")

"""Request fields the runner would refuse (issue 16, finding 3): the host
used to accept them and the runner then closed the connection without a
reply, so the record said `killed`, the worker waited and in process
mode the key's warm container was thrown away.  The host refuses them
with a 400 naming the variable; nothing reaches a sandbox."""

import pytest

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

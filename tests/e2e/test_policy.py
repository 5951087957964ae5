"""The policy through /execute: blocked code gets 400 unsafe_code with
the rule, name, line and column of each violation, runs nothing, and is
recorded as blocked; text in strings and comments passes; policy = off
lets the same code reach the container."""

import pytest

BLOCKED = [
    ("import os\nos.system('id')", "call", "os.system", 2, 1),
    ("import subprocess\n", "import", "subprocess", 1, 8),
    ("from os import system as run\nrun('id')", "call", "os.system", 1, 16),
    ("import os as o\nx = 1\no.popen('id')", "call", "os.popen", 3, 1),
    ("s = ().__class__.__bases__[0].__subclasses__()", "attribute",
     "__subclasses__", 1, 31),
    ("import os\nf = getattr(os, 'system')", "call", "os.system", 2, 5),
    ("x = f\"{__import__('socket')}\"", "import", "socket", 1, 8),
    ("import os\nos.\\\n    execv('/bin/sh', [])", "call", "os.execv", 2, 1),
]


@pytest.mark.parametrize("code,rule,name,line,col", BLOCKED)
def test_blocked_code_is_refused_with_its_position(stack, code, rule,
                                                   name, line, col):
    r = stack.execute(code)
    assert r.status == 400, r
    j = r.json
    assert j["error"] == "unsafe_code"
    assert j["detail"].startswith("Unsafe code detected: ")
    v = j["violations"][0]
    assert (v["rule"], v["name"]) == (rule, name), j
    assert (v["line"], v["col"]) == (line, col), j
    rec = stack.get("/executions/" + j["execution_id"])
    assert rec.status == 200
    assert rec.json["status"] == "blocked"
    assert rec.json["violations"][0]["name"] == name
    assert rec.json["stdout"] is None          # nothing ran


def test_text_in_strings_and_comments_passes(stack):
    code = ('s = "os.system(\'rm -rf /\')"  # import subprocess\n'
            '"""import socket"""\n'
            'print(f"{len(s)} os.popen")\n')
    r = stack.execute(code)
    assert r.status == 200
    assert r.json["stdout"] == "21 os.popen\n"


def test_safe_use_of_a_module_with_blocked_members(stack):
    r = stack.execute("import os\nprint(os.path.join('a', 'b'), os.getpid() > 0)")
    assert r.status == 200 and r.json["stdout"] == "a/b True\n"


def test_blocked_test_case_code_is_refused(stack):
    r = stack.execute("x = 1", test_cases=[{"code": "import ctypes",
                                            "expected_output": ""}])
    assert r.status == 400
    assert r.json["violations"][0]["test_case"] == 0


def test_policy_off_lets_the_container_decide(make_stack):
    st = make_stack("nopolicy", conf={"policy": "off"})
    st.wait_healthy()
    r = st.execute("import subprocess\n"
                   "print(subprocess.run(['id', '-u'], capture_output=True,"
                   " text=True).stdout.strip())")
    assert r.status == 200
    assert r.json["stdout"] == "10001\n"

"""Seed 004 (code executor): {code, language, execution_id, timeout,
max_memory_mb} -> execution_id, status, stdout, stderr, execution_time,
exit_code; unsafe code -> 400 whose detail starts "Unsafe code detected"."""

import requests

STACK_CONF = {"anonymous": "on"}


def post(stack, body):
    return requests.post(stack.url + "/execute", json=body)


def test_simple_script(stack):
    r = post(stack, {"code": "print(\"Test\")", "language": "python"})
    assert r.status_code == 200
    j = r.json()
    assert j["status"] == "completed"
    assert j["stdout"] == "Test\n" and j["stderr"] == ""
    assert j["exit_code"] == 0
    assert isinstance(j["execution_time"], float)
    assert len(j["execution_id"]) == 36


def test_custom_id_timeout_and_memory(stack):
    r = post(stack, {"code": "import pandas as pd; df = pd.DataFrame("
                             "{\"A\": [1, 2, 3]}); print(df.mean())",
                     "language": "python", "execution_id": "seed4-custom",
                     "timeout": 60, "max_memory_mb": 2048})
    j = r.json()
    assert j["execution_id"] == "seed4-custom"
    assert j["stdout"] == "A    2.0\ndtype: float64\n"


def test_missing_module_is_an_error_with_exit_code_1(stack):
    j = post(stack, {"code": "import tensorflow; print(\"Hi\")",
                     "language": "python"}).json()
    assert j["exit_code"] == 1
    assert "No module named 'tensorflow'" in j["stderr"]


def test_unsafe_code(stack):
    r = post(stack, {"code": "import os; os.system(\"ls\")",
                     "language": "python"})
    assert r.status_code == 400
    assert r.json()["detail"].startswith("Unsafe code detected")


def test_timeout_status(stack):
    j = post(stack, {"code": "while True: pass", "language": "python",
                     "timeout": 1}).json()
    assert j["status"] == "timeout"

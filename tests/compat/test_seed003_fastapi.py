"""Seed 003 (FastAPI service): its client posts {code, timeout} and reads
output, error and execution_time; /health answers {"status": "healthy"}.
It sends no key: with anonymous = on it works unchanged."""

import requests

STACK_CONF = {"anonymous": "on"}


def execute_code(url, code, timeout=5):
    response = requests.post(url + "/execute",
                             json={"code": code, "timeout": timeout})
    return response


def test_the_documented_example(stack):
    code = """
print("Hello, World!")
result = sum(range(10))
print(f"Sum: {result}")
"""
    r = execute_code(stack.url, code)
    assert r.status_code == 200
    j = r.json()
    assert j["output"] == "Hello, World!\nSum: 45\n"
    assert j["error"] == ""
    assert isinstance(j["execution_time"], float)


def test_errors_and_timeouts_come_back_in_error(stack):
    j = execute_code(stack.url, "1/0").json()
    assert "ZeroDivisionError" in j["error"]
    j = execute_code(stack.url, "while True: pass", timeout=1).json()
    assert "timed out" in j["error"]


def test_health(stack):
    r = requests.get(stack.url + "/health")
    assert r.status_code == 200
    assert r.json()["status"] == "healthy"


def test_anonymous_callers_share_one_identity(stack):
    j = execute_code(stack.url, "print(1)").json()
    r = requests.get(stack.url + "/executions/" + j["execution_id"])
    assert r.status_code == 200
    # a real key does not see the anonymous records
    r = requests.get(stack.url + "/executions/" + j["execution_id"],
                     headers={"X-API-Key": stack.key})
    assert r.status_code == 404

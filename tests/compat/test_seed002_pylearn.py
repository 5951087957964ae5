"""Seed 002 (pylearn): its TypeScript client (run here under node, as
tests/compat/seed002_client.mjs) sends X-API-Key, an Origin header and
{code, test_cases}; it reads output, error, execution_time and
test_results[].message.  The service only accepts its origin."""

import json
import os
import subprocess

import requests

from pyexec_test.waits import scaled

STACK_CONF = {"allowed_origins": "https://pylearn.net"}
HERE = os.path.dirname(__file__)


def run_client(stack, request):
    out = subprocess.run(
        ["node", os.path.join(HERE, "seed002_client.mjs")],
        input=json.dumps(request), capture_output=True, text=True,
        timeout=scaled(120),
        env={**os.environ, "CODE_EXECUTION_API_URL": stack.url,
             "NEXT_PUBLIC_CODE_EXECUTION_API_KEY": stack.key})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_the_components_request(stack):
    result = run_client(stack, {
        "code": "def add(a, b):\n    return a + b\n",
        "test_cases": [{"input": "add(5, 3)", "expected_output": "8",
                        "code": "result = add(5, 3)\nprint(result)"}]})
    assert result["output"] == ""
    assert result["error"] == ""
    assert isinstance(result["execution_time"], (int, float))
    [t] = result["test_results"]
    assert t["passed"] is True
    assert t["message"].startswith("\u2705 Test passed: add(5, 3)")
    assert t["input"] == "add(5, 3)" and t["expected_output"] == "8"


def test_a_wrong_answer_fails_exactly(stack):
    result = run_client(stack, {
        "code": "def add(a, b):\n    return a + b + 10\n",
        "test_cases": [{"input": "add(5, 3)", "expected_output": "8",
                        "code": "print(add(-2, 0))"},
                       {"input": "add(5, 3)", "expected_output": "8",
                        "code": "print(add(5, 3))"}]})
    assert [t["passed"] for t in result["test_results"]] == [True, False]


def test_input_data_and_errors(stack):
    result = run_client(stack, {"code": "print(input()[::-1])",
                                "input_data": "olleh", "timeout": 5})
    assert result["output"] == "hello\n"
    result = run_client(stack, {"code": "raise SystemExit('boom')"})
    assert "boom" in result["error"]


def test_other_origins_are_refused(stack):
    r = requests.post(stack.url + "/execute",
                      headers={"X-API-Key": stack.key,
                               "Origin": "https://evil.example"},
                      json={"code": "print(1)"})
    assert r.status_code == 403
    r = requests.options(stack.url + "/execute",
                         headers={"Origin": "https://pylearn.net",
                                  "Access-Control-Request-Method": "POST"})
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == "https://pylearn.net"
    assert "X-API-Key" in r.headers["Access-Control-Allow-Headers"]

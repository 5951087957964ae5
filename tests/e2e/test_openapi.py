"""GET /openapi.json stays true: its paths and methods are the router's,
and real responses through lighttpd -- successes and errors of every
endpoint -- carry exactly the fields it documents, of the types it says,
with the status codes and media types it lists."""

import copy
import json
import os
import uuid

import pytest

import oas
from pyexec_test.stack import SRC

# default_timeout: the 504 of /runcode comes quickly, and a figure still
# draws in time in a light container on a loaded machine.
STACK_CONF = {"workers": 4, "pool_min_idle": 2, "default_timeout": 5}

PLOT = ("import matplotlib.pyplot as plt\n"
        "plt.plot([1, 3, 2])\nplt.show()\n")
FILE = ("import os\nos.makedirs('output', exist_ok=True)\n"
        "open('output/table.csv', 'w').write('a,b\\n1,2\\n')\n")


@pytest.fixture(scope="module")
def doc(stack):
    r = stack.get("/openapi.json", key=False)
    assert r.status == 200, r
    assert r.header("Content-Type") == "application/json"
    with open(os.path.join(SRC, "docs", "openapi.json")) as f:
        assert r.json == json.load(f), "the binary serves a stale document"
    return r.json


@pytest.fixture(scope="module")
def routes():
    return oas.router_routes(os.path.join(SRC, "fcgi-app", "http",
                                          "routes.c"))


def operation(doc, method, template):
    op = doc["paths"].get(template, {}).get(method)
    assert op, "%s %s is not documented" % (method.upper(), template)
    return op


def conforms(doc, r, method, template, status):
    """Asserts r has the status, that the operation documents it with r's
    media type, and that r's body matches the documented schema.
    Returns the parsed body (JSON) or the bytes."""
    assert r.status == status, r
    op = operation(doc, method, template)
    resp = op["responses"].get(str(status))
    assert resp, "%s %s: status %d is not documented" % (
        method.upper(), template, status)
    resp = oas.resolve(doc, resp)
    ctype = (r.header("Content-Type") or "").split(";")[0].strip()
    content = resp.get("content", {})
    if ctype not in content and "*/*" in content:
        ctype = "*/*"
    assert ctype in content, "%s %s %d: %s is not documented (%s)" % (
        method.upper(), template, status, ctype, list(content))
    if ctype != "application/json":
        return r.body
    body = r.json
    problems = oas.check(doc, body, content[ctype]["schema"])
    assert not problems, "%s %s %d:\n  %s" % (
        method.upper(), template, status, "\n  ".join(problems))
    return body


def execute(stack, doc, code, status=200, **fields):
    r = stack.execute(code, **fields)
    return conforms(doc, r, "post", "/execute", status)


# ---- the document itself ----

def test_the_document_is_openapi_3_1_with_the_three_key_headers(doc):
    assert doc["openapi"].startswith("3.1.")
    schemes = doc["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= \
        schemes["bearerAuth"].items()
    headers = {(s["type"], s.get("in"), s.get("name"))
               for s in schemes.values()}
    assert ("apiKey", "header", "X-API-Key") in headers
    assert ("apiKey", "header", "X-Auth-Token") in headers
    assert len(doc["security"]) == 3


def test_paths_and_methods_are_the_routers(doc, routes):
    documented = {(m, p) for p, item in doc["paths"].items() for m in item}
    assert documented == set(routes)


def test_public_routes_and_only_they_need_no_key(doc, routes):
    for (method, path), public in routes.items():
        op = operation(doc, method, path)
        assert (op.get("security") == []) == public, (method, path)
        if not public:
            assert {"401", "403"} <= set(op["responses"]), (method, path)


def test_every_property_has_a_type_and_a_description(doc):
    for path, prop in oas.walk_schemas(doc):
        prop = oas.resolve(doc, prop)
        assert prop.get("description"), path + " has no description"
        assert any(k in prop for k in ("type", "oneOf", "anyOf", "allOf",
                                       "const", "enum")), path


def test_the_checker_catches_a_missing_or_undocumented_field(stack, doc):
    body = execute(stack, doc, "print('x')")
    broken = copy.deepcopy(doc)
    del broken["components"]["schemas"]["Timings"]["properties"]["run_ms"]
    schema = {"$ref": "#/components/schemas/ExecuteResponse"}
    problems = oas.check(broken, body, schema)
    assert any("'run_ms' is not documented" in p for p in problems), problems
    del body["stdout"]
    body["images"] = [{"id": "x", "url": "u", "mime": "image/png"}]
    problems = oas.check(doc, body, schema)
    assert any("'stdout' is missing" in p for p in problems), problems
    assert any("images[0]: required field 'size'" in p
               for p in problems), problems


# ---- real responses ----

def test_execute_with_output_and_a_value(stack, doc):
    j = execute(stack, doc, "print('hi')\n6 * 7", stdin="", timeout=2)
    assert j["stdout"] == "hi\n" and j["result_text"] == "42"


def test_execute_with_an_exception(stack, doc):
    j = execute(stack, doc, "1 / 0")
    assert j["status"] == "error" and "ZeroDivisionError" in j["stderr"]


def test_execute_timeout(stack, doc):
    j = execute(stack, doc, "while True:\n    pass", timeout=0.5)
    assert j["status"] == "timeout" and j["error"]


def test_execute_with_a_plot_and_a_file_and_their_records(stack, doc):
    j = execute(stack, doc, PLOT + FILE)
    assert j["images"][0]["width"] > 0 and j["files"][0]["name"]
    img = j["images"][0]
    r = stack.get("/images/" + img["id"] + ".png", key=False)
    assert conforms(doc, r, "get", "/images/{id}", 200)[:4] == b"\x89PNG"
    r = stack.get("/image/" + img["id"], key=False)
    conforms(doc, r, "get", "/image/{id}", 200)
    r = stack.get("/images/" + j["files"][0]["id"], key=False)
    assert conforms(doc, r, "get", "/images/{id}", 200) == b"a,b\n1,2\n"
    r = stack.get("/executions/" + j["execution_id"])
    rec = conforms(doc, r, "get", "/executions/{id}", 200)
    assert {i["kind"] for i in rec["images"]} == {"plot", "file"}


def test_execute_with_test_cases_and_its_record(stack, doc):
    j = execute(stack, doc, "def add(a, b):\n    return a + b", test_cases=[
        {"input": "5 3", "code": "print(add(5, 3))", "expected_output": "8"},
        {"code": "print(add(1, 1))", "expected_output": "3"},
    ])
    assert j["test_summary"] == {"passed": 1, "failed": 1, "total": 2}
    r = stack.get("/executions/" + j["execution_id"])
    assert conforms(doc, r, "get", "/executions/{id}", 200)["test_results"]


def test_a_session_from_start_to_end(stack, doc):
    sid = "oas-" + uuid.uuid4().hex[:8]
    j = execute(stack, doc, "x = 41", session_id=sid)
    assert j["session_created"] is True
    r = stack.post("/sessions/%s/execute" % sid, {"code": "x + 1"})
    j = conforms(doc, r, "post", "/sessions/{id}/execute", 200)
    assert j["result_text"] == "42" and j["session_reset"] is False
    r = stack.get("/sessions/" + sid)
    assert conforms(doc, r, "get", "/sessions/{id}", 200)["executions"] == 2
    r = stack.post("/release", {"session_id": sid})
    conforms(doc, r, "post", "/release", 200)
    r = stack.post("/release", {"user_uuid": sid})
    conforms(doc, r, "post", "/release", 404)
    execute(stack, doc, "y = 1", user_uuid=sid)
    r = stack.request("DELETE", "/sessions/" + sid)
    conforms(doc, r, "delete", "/sessions/{id}", 200)
    r = stack.get("/sessions/" + sid)
    conforms(doc, r, "get", "/sessions/{id}", 404)


def test_status_health_metrics(stack, doc):
    conforms(doc, stack.get("/status"), "get", "/status", 200)
    conforms(doc, stack.get("/health", key=False), "get", "/health", 200)
    text = conforms(doc, stack.get("/metrics"), "get", "/metrics", 200)
    assert b"pyexec_http_requests_total" in text


def test_executions_list_and_a_blocked_record(stack, doc):
    j = execute(stack, doc, "import os\nos.system('id')", status=400)
    assert j["error"] == "unsafe_code" and j["violations"]
    r = stack.get("/executions?limit=2")
    page = conforms(doc, r, "get", "/executions", 200)
    assert len(page["executions"]) == 2 and page["next_before"]
    blocked = page["executions"][0]
    assert blocked["status"] == "blocked"
    r = stack.get("/executions/" + blocked["execution_id"])
    assert conforms(doc, r, "get", "/executions/{id}", 200)["violations"]


def test_async_execution_deliveries_and_webhook_secret(stack, doc):
    r = stack.post("/executions", {"code": "print('bg')"},
                   headers={"Idempotency-Key": "oas-async-1"})
    eid = conforms(doc, r, "post", "/executions", 202)["execution_id"]
    r = stack.get("/executions/%s?wait=30" % eid)
    rec = conforms(doc, r, "get", "/executions/{id}", 200)
    assert rec["status"] == "completed" and rec["result"]["stdout"] == "bg\n"
    r = stack.post("/executions", {"code": "print('other')"},
                   headers={"Idempotency-Key": "oas-async-1"})
    assert conforms(doc, r, "post", "/executions", 409)["error"] == \
        "idempotency_conflict"
    r = stack.get("/executions/%s?wait=99" % eid)
    conforms(doc, r, "get", "/executions/{id}", 400)
    r = stack.get("/executions/%s/deliveries" % eid)
    assert conforms(doc, r, "get", "/executions/{id}/deliveries",
                    200)["deliveries"] == []
    r = stack.get("/executions/nope/deliveries")
    conforms(doc, r, "get", "/executions/{id}/deliveries", 404)
    for method in ("get", "post"):
        r = stack.request(method.upper(), "/webhook-secret")
        assert conforms(doc, r, method, "/webhook-secret",
                        200)["secret"].startswith("whsec_")
    r = stack.post("/executions", {"code": "print(1)",
                                   "callback_url": "http://127.0.0.1:9/"})
    conforms(doc, r, "post", "/executions", 400)


def test_runcode_get_post_and_timeout(stack, doc):
    r = stack.get("/runcode?code=print(1)&languageType=python")
    assert conforms(doc, r, "get", "/runcode", 200)["output"] == "1\n"
    r = stack.post("/runcode", {"code": PLOT, "variables": {"n": 1}})
    assert conforms(doc, r, "post", "/runcode", 200)["images"]
    r = stack.post("/runcode", {"code": "while True:\n    pass"})
    assert conforms(doc, r, "post", "/runcode", 504)["error"] == "timeout"


@pytest.mark.parametrize("method,path,body,key,status,template", [
    ("post", "/execute", {"code": "1"}, False, 401, "/execute"),
    ("post", "/execute", b"{not json", True, 400, "/execute"),
    ("post", "/execute", {"code": "1", "timeout": "5"}, True, 400,
     "/execute"),
    ("post", "/execute", {"code": "#" * (300 * 1024)}, True, 413,
     "/execute"),
    ("post", "/sessions/s1/execute",
     {"code": "1", "test_cases": [{"code": "print(1)"}]}, True,
     400, "/sessions/{id}/execute"),
    ("post", "/release", {}, True, 400, "/release"),
    ("get", "/executions?limit=0", None, True, 400, "/executions"),
    ("get", "/executions/nope", None, True, 404, "/executions/{id}"),
    ("get", "/images/" + "0" * 32, None, False, 404, "/images/{id}"),
    ("get", "/runcode", None, True, 400, "/runcode"),
    ("get", "/status", None, "wrong-key", 401, "/status"),
    ("get", "/metrics", None, False, 401, "/metrics"),
])
def test_error_responses(stack, doc, method, path, body, key, status,
                         template):
    headers = {"Content-Type": "application/json"} \
        if isinstance(body, bytes) else None
    r = stack.request(method.upper(), path, body, headers=headers, key=key)
    j = conforms(doc, r, method, template, status)
    assert j["error"] and j["detail"]


def test_a_reused_execution_id_is_409(stack, doc):
    eid = "oas-" + uuid.uuid4().hex
    execute(stack, doc, "pass", execution_id=eid)
    j = execute(stack, doc, "pass", status=409, execution_id=eid)
    assert j["error"] == "duplicate_execution_id"


def test_a_foreign_origin_is_403(make_stack, doc):
    st = make_stack(conf={"allowed_origins": "https://ok.example",
                          "pool_min_idle": 0})
    for method, template, path in [("get", "/health", "/health"),
                                   ("get", "/status", "/status")]:
        r = st.request(method.upper(), path,
                       headers={"Origin": "https://evil.example"})
        conforms(doc, r, method, template, 403)


def test_an_unhealthy_service_is_a_documented_503(make_stack, doc):
    st = make_stack(conf={"docker_host": "unix:///nonexistent.sock",
                          "pool_min_idle": 0})
    r = st.get("/health", key=False)
    j = conforms(doc, r, "get", "/health", 503)
    assert j["status"] == "unhealthy" and j["docker_error"]
    j = conforms(doc, st.execute("print(1)"), "post", "/execute", 503)
    assert j["error"] == "docker_unavailable", json.dumps(j)

"""Plots, output files, test cases, variables and /runcode through
lighttpd with real Docker."""

import base64
import struct
import urllib.parse

from pyexec_test.stack import query

STACK_CONF = {"images_per_execution": 3}

PNG_SIG = b"\x89PNG\r\n\x1a\n"


def png_size(data):
    assert data[:8] == PNG_SIG, data[:16]
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def path_of(url):
    return urllib.parse.urlparse(url).path


def run(stack, code, **kw):
    r = stack.execute(code, **kw)
    assert r.status == 200, r
    return r.json


def test_a_plot_is_a_real_png_served_byte_for_byte(stack):
    j = run(stack, "import matplotlib.pyplot as plt\n"
                   "plt.figure(figsize=(6.4, 4.8))\n"
                   "plt.plot([1, 3, 2])\nplt.show()")
    assert j["status"] == "completed"
    assert len(j["images"]) == 1
    img = j["images"][0]
    assert img["mime"] == "image/png"
    assert (img["width"], img["height"]) == (640, 480)
    inline = base64.b64decode(j["result_base64"])
    assert png_size(inline) == (640, 480)
    r = stack.get(path_of(img["url"]), key=False)
    assert r.status == 200
    assert r.body == inline
    assert r.header("Content-Type") == "image/png"
    assert int(r.header("Content-Length")) == len(inline)
    assert "max-age" in r.header("Cache-Control")
    # .png is optional
    r2 = stack.get("/images/" + img["id"], key=False)
    assert r2.status == 200 and r2.body == inline
    assert len(img["id"]) == 32


def test_figures_left_open_are_captured(stack):
    j = run(stack, "import matplotlib.pyplot as plt\n"
                   "plt.figure(); plt.plot([1, 2])\n"
                   "plt.figure(); plt.bar([1, 2], [3, 4])\n"
                   "print('two')")
    assert j["stdout"] == "two\n"
    assert len(j["images"]) == 2
    sizes = [png_size(stack.get(path_of(i["url"]), key=False).body)
             for i in j["images"]]
    assert all(w > 0 and h > 0 for w, h in sizes)
    assert j["images"][0]["id"] != j["images"][1]["id"]


def test_image_limit_flags_drops(stack):
    j = run(stack, "import matplotlib.pyplot as plt\n"
                   "for i in range(5):\n"
                   "    plt.figure(); plt.plot([i, i + 1])\n"
                   "plt.show()")
    assert len(j["images"]) == 3
    assert j["images_dropped"] == 2


def test_unknown_image_is_404(stack):
    assert stack.get("/images/" + "0" * 32, key=False).status == 404
    assert stack.get("/images/nope", key=False).status == 404
    assert stack.get("/images/../../etc/passwd", key=False).status == 404


def test_output_files_come_back(stack):
    j = run(stack, "import os, pandas as pd\n"
                   "os.makedirs('output', exist_ok=True)\n"
                   "pd.DataFrame({'a': [1, 2]}).to_csv('output/t.csv',"
                   " index=False)\n"
                   "open('output/notes.txt', 'w').write('hi')")
    files = {f["name"]: f for f in j["files"]}
    assert set(files) == {"t.csv", "notes.txt"}, j["files"]
    assert files["t.csv"]["mime"] == "text/csv"
    r = stack.get(path_of(files["t.csv"]["url"]), key=False)
    assert r.status == 200 and r.body == b"a\n1\n2\n"
    assert "attachment" in r.header("Content-Disposition")
    assert r.header("X-Content-Type-Options") == "nosniff"
    assert files["notes.txt"]["size"] == 2


def test_test_cases_judged_exactly(stack):
    j = run(stack, "def add(a, b):\n    return a + b\n", test_cases=[
        {"input": "add(5, 3)", "code": "print(add(5, 3))",
         "expected_output": "8"},
        {"code": "print(add(10, 8))", "expected_output": "8"},
        {"code": "print(add(4, 4))  \nprint()\n", "expected_output": "8\n"},
        {"stdin": "7\n", "code": "print(add(int(input()), 1))",
         "expected_output": "8"},
        {"code": "raise ValueError('no')", "expected_output": ""},
    ])
    res = j["test_results"]
    assert [t["passed"] for t in res] == [True, False, True, True, False]
    assert res[1]["stdout"] == "18\n"             # 18 is not 8
    assert res[4]["status"] == "error"
    assert "ValueError: no" in res[4]["stderr"]
    assert res[0]["message"].startswith("\u2705 Test passed: add(5, 3)")
    assert res[1]["message"].startswith("\u274c Test failed")
    assert j["test_summary"] == {"passed": 3, "failed": 2, "total": 5}
    assert all("execution_time" in t for t in res)


def test_test_cases_stop_on_first_failure(stack):
    j = run(stack, "x = 1", stop_on_first_failure=True, test_cases=[
        {"code": "print(x)", "expected_output": "2"},
        {"code": "print(x)", "expected_output": "1"},
    ])
    assert [t["status"] for t in j["test_results"]] == ["completed",
                                                        "skipped"]
    assert j["test_summary"]["failed"] == 1


def test_each_test_case_runs_in_a_fresh_process(stack):
    j = run(stack, "import sys", test_cases=[
        {"code": "sys.counter = 1\nprint(sys.counter)",
         "expected_output": "1"},
        {"code": "print(hasattr(sys, 'counter'))",
         "expected_output": "False"},
    ])
    assert [t["passed"] for t in j["test_results"]] == [True, True]


def test_variables_become_globals(stack):
    j = run(stack, "print(n * 2, names[1], cfg['on'], nothing)",
            variables={"n": 21, "names": ["a", "b"], "cfg": {"on": True},
                       "nothing": None})
    assert j["stdout"] == "42 b True None\n"


def test_runcode_post(stack):
    r = stack.post("/runcode", {"languageType": "python",
                                "variables": {"who": "World"},
                                "code": "print(f'Hello, {who}!')"})
    assert r.status == 200
    assert r.json["output"] == "Hello, World!\n"


def test_runcode_get_with_a_query_string(stack):
    q = query({"languageType": "python", "variables": "{}",
               "code": "print('Hello, World!')"})
    r = stack.get("/runcode?" + q)
    assert r.status == 200
    assert r.json["output"] == "Hello, World!\n"


def test_runcode_errors(stack):
    assert stack.get("/runcode?" + query({"code": "print(1)"}),
                     key=False).status == 401
    assert stack.request("PUT", "/runcode").status == 405
    r = stack.get("/runcode?" + query({"languageType": "cobol",
                                       "code": "x"}))
    assert r.status == 400
    r = stack.get("/runcode?" + query({"code": "print(1)",
                                       "variables": "{bad"}))
    assert r.status == 400 and "variables" in r.json["detail"]
    r = stack.post("/runcode", b"{", headers={"Content-Type":
                                              "application/json"})
    assert r.status == 400


def test_runcode_timeout_is_504(stack):
    r = stack.post("/runcode", {"languageType": "python",
                                "code": "print('start', flush=True)\n"
                                        "while True: pass"})
    assert r.status == 504
    assert r.json["error"] == "timeout"
    assert r.json["output"].startswith("start\n")


def test_runcode_images(stack):
    r = stack.post("/runcode", {"languageType": "python",
                                "code": "import matplotlib.pyplot as plt\n"
                                        "plt.plot([1, 2]); plt.show()"})
    assert r.status == 200
    [url] = r.json["images"]
    assert "/image/" in url
    img = stack.get(path_of(url), key=False)
    assert img.status == 200 and img.body[:8] == PNG_SIG

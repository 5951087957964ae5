"""Floods through the HTTP API: 100 MB on stdout and on stderr, a huge
last expression, request bodies past max_body_bytes and past the front
end's limit, stdin just under the cap.  Each stays bounded and leaves
the worker fine (the fixture checks that no worker died)."""

import socket
import time

from attacklib import MARGIN, MAX_BODY, MAX_OUTPUT
from pyexec_test.stack import KEY_A

# stdout comes back three times (stdout, output, result_text) and stderr
# twice (stderr, error): the duplicated fields that the seed APIs' clients
# read (SPEC section 2).
COPIES = 5


def flood(stream, byte):
    return ("import os\nb = %r * (1 << 20)\nfor i in range(100):\n"
            "    os.write(%d, b)\n" % (byte, stream))


def test_100_mb_on_stdout(atk):
    t0 = time.time()
    j = atk.run(flood(1, b"x"), timeout=60)
    r = atk.last
    assert time.time() - t0 < 60 + MARGIN
    assert j["status"] == "completed" and j["truncated"] is True, j
    assert j["stdout"] == "x" * MAX_OUTPUT
    assert len(r.body) < 3 * MAX_OUTPUT + 65536, len(r.body)
    atk.held("runner and host: max_output_bytes per stream (truncated)")


def test_100_mb_on_stderr(atk):
    j = atk.run(flood(2, b"y"), timeout=60)
    r = atk.last
    assert j["status"] == "completed" and j["truncated"] is True, j
    assert j["stderr"] == "y" * MAX_OUTPUT and j["stdout"] == ""
    assert len(r.body) < 2 * MAX_OUTPUT + 65536, len(r.body)
    atk.held("runner and host: max_output_bytes per stream (truncated)")


def test_100_mb_on_both_with_the_worst_escaping(atk):
    """Control characters cost six bytes each in JSON (\\u0001): the
    reply is still bounded, by the copies times six."""
    code = ("import os\nb = b'\\x01' * (1 << 20)\nfor i in range(100):\n"
            "    os.write(1, b)\n    os.write(2, b)\n")
    j = atk.run(code, timeout=60)
    r = atk.last
    assert j["truncated"] is True
    assert len(j["stdout"]) == MAX_OUTPUT and len(j["stderr"]) == MAX_OUTPUT
    assert len(r.body) < COPIES * 6 * MAX_OUTPUT + 65536, len(r.body)
    rec = atk.st.get("/executions/" + j["execution_id"])
    assert rec.status == 200
    assert len(rec.body) < COPIES * 6 * MAX_OUTPUT + 65536, len(rec.body)
    atk.held("runner and host: max_output_bytes per stream (truncated)")


def test_a_huge_last_expression(atk):
    j = atk.run("'z' * (200 * 1024 * 1024)", max_memory_mb=1024, timeout=60)
    r = atk.last
    assert j["status"] in ("completed", "memory_limit"), j
    assert len(j["result_text"] or "") <= MAX_OUTPUT + 2, len(j["result_text"])
    if j["status"] == "completed":
        assert j["truncated"] is True
    assert len(r.body) < COPIES * MAX_OUTPUT + 65536
    atk.held("runner and host: the last expression's repr is capped "
             "like a stream")


def test_body_past_max_body_bytes_is_a_prompt_json_413(atk):
    for size in (MAX_BODY + 4096, 16 * MAX_BODY):
        t0 = time.time()
        r = atk.st.execute("print(len(input()))", stdin="a" * size)
        assert time.time() - t0 < MARGIN
        assert r.status == 413, r
        assert r.json["error"] == "payload_too_large", r.json
        assert str(MAX_BODY) in r.json["detail"]
    atk.held("host: max_body_bytes (413 before parsing)")


def test_body_past_the_front_end_limit_is_refused_at_once(atk):
    """A Content-Length of 1 GB, never sent: the front end refuses it
    from the headers (its own 413 page), and nobody waits for the
    body."""
    s = socket.create_connection(("127.0.0.1", atk.st.port),
                                 timeout=MARGIN)
    try:
        t0 = time.time()
        s.sendall(b"POST /execute HTTP/1.1\r\nHost: localhost\r\n"
                  b"Authorization: Bearer " + KEY_A.encode() + b"\r\n"
                  b"Content-Type: application/json\r\n"
                  b"Content-Length: 1000000000\r\n\r\n{\"code\": \"")
        head = s.recv(200)
        assert time.time() - t0 < MARGIN
    finally:
        s.close()
    assert head.startswith(b"HTTP/1.1 413"), head
    atk.held("front end: request size limit (413)")


def test_stdin_just_under_the_cap(atk):
    n = MAX_BODY - 400
    j = atk.run("import sys\nprint(len(sys.stdin.read()))", stdin="s" * n,
                timeout=60)
    assert j["status"] == "completed" and j["stdout"] == "%d\n" % n, j
    # ... and a program that never reads it does not hang on it.
    j = atk.run("print('ignored')", stdin="s" * n, timeout=60)
    assert j["status"] == "completed" and j["stdout"] == "ignored\n", j
    atk.held("nothing to stop: a body under the cap works")

"""The pure parts of the sandboxed process's side (pyexec_runner.program)
and of the runner's request reading (pyexec_runner.server), on the
host's python3: how code runs like `python3 file.py`, what the report
says, and the meta pipe's framing within the limits."""
import json
import os
import socket

import pytest

from pyexec_runner import frames, program, request, server


def run(code):
    return program.run_code(code, {"__builtins__": __builtins__}, "<code>")


def test_a_final_expression_is_kept_as_its_repr():
    assert run("x = 6\nx * 7")["last_repr"] == "42"
    assert run("'a'")["last_repr"] == "'a'"
    assert run("None")["last_repr"] is None
    assert run("x = 1")["last_repr"] is None
    assert run("")["exit_code"] == 0


def test_the_namespace_is_the_programs_globals():
    ns = {"__builtins__": __builtins__, "given": 2}
    program.run_code("def f():\n    return given * 3\nresult = f()", ns,
                     "<code>")
    assert ns["result"] == 6


@pytest.mark.parametrize("code,status,printed", [
    ("import sys\nsys.exit()", 0, ""),
    ("import sys\nsys.exit(None)", 0, ""),
    ("import sys\nsys.exit(3)", 3, ""),
    ("import sys\nsys.exit(256 + 7)", 7, ""),
    ("import sys\nsys.exit(-1)", 255, ""),
    ("import sys\nsys.exit(2 ** 70)", 255, ""),
    ("import sys\nsys.exit('bye')", 1, "bye\n"),
    ("raise SystemExit(True)", 1, ""),
])
def test_system_exit_as_the_interpreter_does(code, status, printed, capsys):
    report = run(code)
    assert report["exit_code"] == status
    assert report["error"] is None
    assert capsys.readouterr().err == printed


def test_an_exception_prints_a_traceback_without_the_runners_frames(capsys):
    report = run("def f(x):\n    return 1 / x\n\nf(0)\n")
    err = capsys.readouterr().err
    assert report["exit_code"] == 1
    assert report["error"] == "ZeroDivisionError: division by zero"
    assert err.startswith("Traceback (most recent call last):\n"
                          '  File "<code>", line 4, in <module>\n'
                          "    f(0)\n")
    assert '  File "<code>", line 2, in f\n    return 1 / x\n' in err
    assert "program.py" not in err


def test_a_syntax_error_prints_as_the_interpreter_prints_it(capsys):
    report = run("print('a'\n")
    err = capsys.readouterr().err
    assert report["exit_code"] == 1
    assert report["error"].startswith("SyntaxError: ")
    assert "Traceback" not in err and "SyntaxError" in err


def test_memory_error_is_said_so(capsys):
    report = run("raise MemoryError")
    assert report["memory_error"] is True
    assert report["error"] == "MemoryError"
    assert run("raise ValueError")["memory_error"] is False


@pytest.mark.parametrize("exc,line", [
    (ValueError("bad"), "ValueError: bad"),
    (ValueError(), "ValueError"),
    (json.JSONDecodeError("x", "", 0), "json.decoder.JSONDecodeError: "
                                       "x: line 1 column 1 (char 0)"),
])
def test_error_line_names_the_exception_as_python_does(exc, line):
    assert program._error_line(exc) == line


class Broken(Exception):
    def __str__(self):
        raise RuntimeError


def test_error_line_survives_a_broken_str():
    assert program._error_line(Broken()) == \
        "test_program.Broken: <exception str() failed>"


def meta_frames(send):
    """What send(channel) writes on the meta pipe, as frames."""
    r, w = os.pipe()
    try:
        send(program.Channel(w, {"max_images": 2, "max_image_bytes": 10,
                                 "max_files": 1, "max_output": 5}))
    finally:
        os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read()
    caps = dict.fromkeys((frames.IMAGE, frames.FILE, frames.META,
                          frames.DROPPED), 1 << 20)
    return frames.FrameReader(caps).feed(data)


def test_channel_stops_rendering_at_max_images_and_leaves_the_rest_to_the_runner():
    def send(ch):
        ch.image(lambda: b"png")
        ch.image(lambda: b"png2")
        ch.image(lambda: pytest.fail("rendered past max_images"))
        ch.file("a.txt", b"a")
        ch.file("c.txt", None)                      # unreadable
        ch.report({"exit_code": 0, "last_repr": "123456789",
                   "error": None, "memory_error": False})
    out = meta_frames(send)
    assert out[:5] == [(frames.IMAGE, b"png"), (frames.IMAGE, b"png2"),
                       (frames.DROPPED, frames.IMAGE),
                       (frames.FILE, frames.file_payload("a.txt", b"a")),
                       (frames.DROPPED, frames.FILE)]
    kind, payload = out[5]
    assert kind == frames.META and len(out) == 6
    # One character past max_output tells the runner to say "truncated".
    assert json.loads(payload) == {"exit_code": 0, "last_repr": "123456",
                                   "error": None, "memory_error": False}


def test_a_channel_whose_pipe_is_gone_does_not_raise():
    program.Channel(-1, {"max_output": 1}).report(
        {"exit_code": 0, "last_repr": None})


def request_over(data, close=True):
    """server._read_request on a socket the bytes data arrive on."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(data)
        if close:
            theirs.shutdown(socket.SHUT_WR)
        return server._read_request(ours)


def framed(payload):
    return request.LENGTH.pack(len(payload)) + payload


def test_read_request():
    r = request_over(framed(b'{"op": "ping", "id": "p"}'), close=False)
    assert (r.op, r.id) == ("ping", "p")


@pytest.mark.parametrize("data,reason", [
    (b"", "cut at 0 of 4"),
    (b"\x00\x00", "cut at 2 of 4"),
    (b"\x00\x00\x00\x00", "bad length 0"),
    (request.LENGTH.pack(request.MAX_REQUEST + 1), "bad length"),
    (b"\x00\x00\x00\x10{not json", "cut at 9 of 16"),
    (framed(b"{not json"), "not JSON"),
])
def test_read_request_refuses_what_is_not_a_request(data, reason):
    with pytest.raises(request.BadRequest, match=reason):
        request_over(data)

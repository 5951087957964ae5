"""The runner's request parsing (pyexec_runner.request), on the host's
python3: no container, no Docker.  What the host sends is checked field
by field, and anything the protocol does not allow is refused."""
import json

import pytest

from pyexec_runner import request


def parse(fields):
    return request.parse(json.dumps(fields).encode())


def test_an_exec_request_with_every_field():
    r = parse({"op": "exec", "id": "e1", "code": "print(1)", "stdin": "é",
               "variables": {"a": [1, 2]}, "session": True,
               "keep_warm": False, "stream": True, "timeout_ms": 1500,
               "memory_mb": 64,
               "max_output": 10, "max_images": 2, "max_image_bytes": 3,
               "max_files": 4, "max_file_bytes": 5})
    assert (r.op, r.id, r.code) == ("exec", "e1", "print(1)")
    assert r.stdin == "é".encode("utf-8")
    assert r.variables == {"a": [1, 2]}
    assert r.session is True and r.keep_warm is False and r.stream is True
    assert r.limits() == {"timeout_ms": 1500, "memory_mb": 64,
                          "max_output": 10, "max_images": 2,
                          "max_image_bytes": 3, "max_files": 4,
                          "max_file_bytes": 5}


def test_light_only_when_asked_and_never_for_a_session():
    assert parse({"op": "exec", "code": "1"}).light is False
    assert parse({"op": "exec", "code": "1", "interpreter": "heavy"}
                 ).light is False
    assert parse({"op": "exec", "code": "1", "interpreter": "light"}
                 ).light is True
    assert parse({"op": "exec", "code": "1", "interpreter": "light",
                  "session": True}).light is False


def test_defaults_fill_in_what_is_not_sent():
    r = parse({"op": "exec", "code": "1"})
    assert (r.id, r.stdin, r.variables) == ("", b"", {})
    assert r.session is False and r.keep_warm is True and r.stream is False
    assert r.limits() == {name: default for name, (default, _, _)
                          in request.LIMITS.items()}
    assert parse({"op": "exec", "code": "1", "variables": None}
                 ).variables == {}


@pytest.mark.parametrize("op", ["ping", "reset"])
def test_ping_and_reset_take_only_an_id(op):
    assert parse({"op": op, "id": "x"}).op == op
    with pytest.raises(request.BadRequest, match="unknown fields"):
        parse({"op": op, "code": "1"})


@pytest.mark.parametrize("name,lo,hi", [
    (name, lo, hi) for name, (_, lo, hi) in request.LIMITS.items()])
def test_limits_are_clamped_to_their_range(name, lo, hi):
    assert getattr(parse({"op": "exec", "code": "1", name: lo - 10**15}),
                   name) == lo
    assert getattr(parse({"op": "exec", "code": "1", name: hi + 10**15}),
                   name) == hi
    assert getattr(parse({"op": "exec", "code": "1", name: lo}), name) == lo


@pytest.mark.parametrize("payload,reason", [
    (b"{not json", "not JSON"),
    (b"\xff\xfe{}", "not JSON"),
    (b"[]", "not a JSON object"),
    (b'"exec"', "not a JSON object"),
    (b'{"op": "shell", "code": "1"}', "bad op"),
    (b'{"code": "1"}', "bad op"),
    (b'{"op": "exec"}', "code missing"),
    (b'{"op": "exec", "code": "1", "colour": "red"}', "unknown fields"),
    (b'{"op": "ping", "op": "ping"}', "duplicate key"),
    (b'{"op": "exec", "code": "1", "timeout_ms": NaN}', "NaN is not JSON"),
    (b'{"op": "exec", "code": "1", "timeout_ms": Infinity}', "not JSON"),
    (b'{"op": "exec", "code": 1}', "code must be a string"),
    (b'{"op": "exec", "code": "\\ud800"}', "code is not valid Unicode"),
    (b'{"op": "exec", "code": "1", "id": 7}', "id must be a string"),
    (b'{"op": "exec", "code": "1", "id": "' + b"i" * 129 + b'"}',
     "id must be a string"),
    (b'{"op": "exec", "code": "1", "stdin": null}', "stdin must be"),
    (b'{"op": "exec", "code": "1", "timeout_ms": "5"}', "must be an integer"),
    (b'{"op": "exec", "code": "1", "timeout_ms": true}',
     "must be an integer"),
    (b'{"op": "exec", "code": "1", "timeout_ms": 1.5}',
     "must be an integer"),
    (b'{"op": "exec", "code": "1", "session": 1}', "must be a boolean"),
    (b'{"op": "exec", "code": "1", "keep_warm": 0}', "must be a boolean"),
    (b'{"op": "exec", "code": "1", "stream": "yes"}', "must be a boolean"),
    (b'{"op": "exec", "code": "1", "interpreter": "fast"}',
     'interpreter must be "light" or "heavy"'),
    (b'{"op": "exec", "code": "1", "interpreter": null}',
     'interpreter must be "light" or "heavy"'),
    (b'{"op": "exec", "code": "1", "variables": [1]}',
     "variables must be an object"),
    (b'{"op": "exec", "code": "1", "variables": {"1x": 1}}',
     "'1x' is not an identifier"),
    (b'{"op": "exec", "code": "1", "variables": {"class": 1}}',
     "'class' is not an identifier"),
    (b'{"op": "exec", "code": "1", "variables": {"a": 1, "a": 2}}',
     "duplicate key"),
])
def test_what_the_protocol_does_not_allow_is_refused(payload, reason):
    with pytest.raises(request.BadRequest, match=reason):
        request.parse(payload)


def test_deep_nesting_is_refused_not_a_crash():
    with pytest.raises(request.BadRequest, match="not JSON"):
        request.parse(b'{"op": "exec", "code": "1", "variables": {"a": '
                      + b"[" * 100000 + b"]" * 100000 + b"}}")


def test_to_json_is_what_the_sandboxed_process_needs():
    r = parse({"op": "exec", "code": "x", "variables": {"v": 1},
               "session": True, "stream": True, "memory_mb": 32,
               "stdin": "secret"})
    sent = json.loads(r.to_json())
    assert sent == {"code": "x", "variables": {"v": 1}, "session": True,
                    "stream": True, "memory_mb": 32, "limits": r.limits()}


def test_the_length_prefix_is_four_bytes_big_endian():
    assert request.LENGTH.pack(0x01020304) == b"\x01\x02\x03\x04"
    assert request.LENGTH.size == 4
    assert request.MAX_REQUEST == 64 << 20

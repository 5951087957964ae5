"""The request: a 4-byte big-endian length and one JSON object (PROTOCOL.md).

The host is trusted to send what the protocol says, but what it sends is
mostly the user's: so every field is type-checked, unknown fields are
refused, numbers are clamped to sane ranges, and strings must be valid
Unicode (no lone surrogates) because they end up encoded as UTF-8.
"""
import json
import keyword
import struct

MAX_REQUEST = 64 << 20
LENGTH = struct.Struct(">I")

# name: (default, smallest, largest)
LIMITS = {
    "timeout_ms": (5000, 1, 3_600_000),
    "memory_mb": (256, 1, 1 << 20),
    "max_output": (1 << 20, 0, 64 << 20),
    "max_images": (16, 0, 1024),
    "max_image_bytes": (4 << 20, 0, 64 << 20),
    "max_files": (16, 0, 1024),
    "max_file_bytes": (4 << 20, 0, 64 << 20),
}
STRINGS = {"id": 128, "code": MAX_REQUEST, "stdin": MAX_REQUEST}
FIELDS = {
    "exec": {"op", "id", "code", "stdin", "variables", "session",
             "keep_warm", "interpreter", "stream", *LIMITS},
    "ping": {"op", "id"},
    "reset": {"op", "id"},
}


class BadRequest(Exception):
    pass


class Request:
    """A checked request.  Every field of every op is set: the defaults
    fill in what the op does not use."""

    def __init__(self, fields):
        self.op = fields["op"]
        self.id = fields.get("id", "")
        self.code = fields.get("code", "")
        self.stdin = fields.get("stdin", "").encode("utf-8")
        self.variables = fields.get("variables") or {}
        self.session = fields.get("session", False)
        self.keep_warm = fields.get("keep_warm", True)
        self.stream = fields.get("stream", False)
        # Sessions always get the heavy one: a later call may import.
        self.light = (fields.get("interpreter") == "light"
                      and not self.session)
        for name, (default, lo, hi) in LIMITS.items():
            setattr(self, name, min(max(fields.get(name, default), lo), hi))

    def limits(self):
        return {name: getattr(self, name) for name in LIMITS}

    def to_json(self):
        """What the sandboxed process needs of it (program.serve)."""
        return json.dumps({"code": self.code, "variables": self.variables,
                           "session": self.session,
                           "stream": self.stream,
                           "memory_mb": self.memory_mb,
                           "limits": self.limits()})


def parse(payload):
    """A Request from the bytes after the length, or BadRequest."""
    try:
        fields = json.loads(payload.decode("utf-8"),
                            object_pairs_hook=_no_duplicates,
                            parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise BadRequest(f"not JSON: {e}") from None
    if not isinstance(fields, dict):
        raise BadRequest("not a JSON object")
    op = fields.get("op")
    if op not in FIELDS:
        raise BadRequest(f"bad op {op!r}")
    unknown = fields.keys() - FIELDS[op]
    if unknown:
        raise BadRequest(f"unknown fields for {op}: {sorted(unknown)}")
    if op == "exec" and "code" not in fields:
        raise BadRequest("code missing")
    for name, value in fields.items():
        _check(name, value)
    return Request(fields)


def _check(name, value):
    if name in LIMITS:
        if type(value) is not int:
            raise BadRequest(f"{name} must be an integer")
    elif name in STRINGS:
        if type(value) is not str or len(value) > STRINGS[name]:
            raise BadRequest(f"{name} must be a string")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest(f"{name} is not valid Unicode") from None
    elif name in ("session", "keep_warm", "stream"):
        if type(value) is not bool:
            raise BadRequest(f"{name} must be a boolean")
    elif name == "interpreter":
        if value not in ("light", "heavy"):
            raise BadRequest("interpreter must be \"light\" or \"heavy\"")
    elif name == "variables":
        _check_variables(value)


def _check_variables(value):
    if value is None:
        return
    if not isinstance(value, dict):
        raise BadRequest("variables must be an object or null")
    for key in value:
        if not key.isidentifier() or keyword.iskeyword(key):
            raise BadRequest(f"variable name {key!r} is not an identifier")


def _no_duplicates(pairs):
    fields = {}
    for key, value in pairs:
        if key in fields:
            raise ValueError(f"duplicate key {key!r}")
        fields[key] = value
    return fields


def _no_constants(name):
    raise ValueError(f"{name} is not JSON")

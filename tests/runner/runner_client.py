"""A client of the runner protocol (runner/PROTOCOL.md), for the tests
and the latency measurements.  Parses replies strictly: any frame out of
place, a bad length or trailing bytes raise ProtocolError."""
import json
import socket
import struct

from pyexec_test.waits import scaled

HEADER = struct.Struct(">cI")
FILE_NAME = struct.Struct(">H")
KINDS = {b"o", b"e", b"i", b"f", b"r"}
MAX_FRAME = 256 << 20


class ProtocolError(Exception):
    pass


class Reply:
    """What one request got back."""

    def __init__(self):
        self.stdout = b""
        self.stderr = b""
        self.images = []        # PNG bytes
        self.files = {}         # name: bytes
        self.result = None      # the r object
        self.frames = []        # (type, length) in order

    def __getitem__(self, name):
        return self.result[name]

    @property
    def out(self):
        return self.stdout.decode("utf-8", "replace")

    @property
    def err(self):
        return self.stderr.decode("utf-8", "replace")


def encode_request(fields):
    payload = json.dumps(fields).encode("utf-8")
    return struct.pack(">I", len(payload)) + payload


def connect(path, fields, timeout=None, raw=None):
    """Connects and sends one request (or the bytes raw); returns the
    socket, to read the reply from with read_reply."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout or scaled(30))
        s.connect(path)
        s.sendall(raw if raw is not None else encode_request(fields))
    except BaseException:
        s.close()
        raise
    return s


def call(path, fields, timeout=None, raw=None):
    """Sends one request (or the bytes raw) and reads the whole reply."""
    with connect(path, fields, timeout, raw) as s:
        return read_reply(s)


def execute(path, code, timeout=None, **fields):
    return call(path, {"op": "exec", "id": "test", "code": code, **fields},
                timeout=timeout)


def read_reply(s):
    reply = Reply()
    while True:
        head = _recv_exact(s, HEADER.size, allow_eof=not reply.frames)
        if head is None:
            raise ProtocolError("connection closed without a reply")
        kind, length = HEADER.unpack(head)
        if kind not in KINDS or length > MAX_FRAME:
            raise ProtocolError(f"bad frame {kind!r} of {length} bytes")
        payload = _recv_exact(s, length)
        reply.frames.append((kind, length))
        if kind == b"o":
            reply.stdout += payload
        elif kind == b"e":
            reply.stderr += payload
        elif kind == b"i":
            reply.images.append(payload)
        elif kind == b"f":
            name, data = _split_file(payload)
            reply.files[name] = data
        else:
            reply.result = json.loads(payload)
            if not isinstance(reply.result, dict):
                raise ProtocolError("r is not an object")
            if s.recv(1) != b"":
                raise ProtocolError("bytes after the r frame")
            return reply


def _split_file(payload):
    if len(payload) < FILE_NAME.size:
        raise ProtocolError("short f frame")
    (n,) = FILE_NAME.unpack_from(payload)
    if len(payload) < FILE_NAME.size + n:
        raise ProtocolError("f frame name overruns")
    name = payload[FILE_NAME.size:FILE_NAME.size + n].decode("utf-8")
    if not name or "/" in name or name in (".", ".."):
        raise ProtocolError(f"bad file name {name!r}")
    return name, payload[FILE_NAME.size + n:]


def _recv_exact(s, n, allow_eof=False):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            if allow_eof and not buf:
                return None
            raise ProtocolError(f"short read: {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)

"""Frames: a type byte, a 4-byte big-endian payload length, the payload.

The reply to the host is made of them, and so is what a sandboxed program
sends the runner on its meta pipe.  The meta pipe is written by code the
user controls, so FrameReader trusts nothing it reads: every type has a
size cap, and a frame over it is skipped as it streams by, never buffered.
"""
import struct

HEADER = struct.Struct(">cI")

STDOUT = b"o"
STDERR = b"e"
IMAGE = b"i"
FILE = b"f"
RESULT = b"r"
META = b"m"     # meta pipe only: the program's own report (a JSON object)
DROPPED = b"d"  # meta pipe only: a figure ("i") or file ("f") not sent

FILE_NAME = struct.Struct(">H")
ERROR_MAX = 16384       # characters of the error line in a META report


def header(kind, length):
    return HEADER.pack(kind, length)


def file_payload(name, data):
    """The payload of an f frame: name length, UTF-8 name, contents."""
    raw = name.encode("utf-8")
    return FILE_NAME.pack(len(raw)) + raw + data


def split_file_payload(payload):
    """(name, data) of an f frame payload, or None when it is malformed."""
    if len(payload) < FILE_NAME.size:
        return None
    (n,) = FILE_NAME.unpack_from(payload)
    end = FILE_NAME.size + n
    if len(payload) < end:
        return None
    try:
        name = payload[FILE_NAME.size:end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    return name, payload[end:]


class FrameReader:
    """Parses frames out of an untrusted stream fed in arbitrary pieces.

    caps maps each accepted type to its largest payload.  feed() returns
    the frames completed so far as (type, payload); a frame over its cap
    comes out as (type, None) once it has been skipped.  An unknown type
    means the stream is garbage: the reader goes deaf (broken = True).
    """

    def __init__(self, caps):
        self.caps = caps
        self.buf = bytearray()
        self.kind = None        # type of the frame being read, if any
        self.need = 0           # payload bytes still to come
        self.skipping = False
        self.broken = False

    def feed(self, data):
        out = []
        if self.broken:
            return out
        self.buf += data
        while True:
            if self.kind is None:
                if len(self.buf) < HEADER.size:
                    return out
                kind, length = HEADER.unpack_from(self.buf)
                del self.buf[:HEADER.size]
                cap = self.caps.get(kind)
                if cap is None:
                    self.broken = True
                    self.buf.clear()
                    return out
                self.kind, self.need = kind, length
                self.skipping = length > cap
            if self.skipping:
                dropped = min(self.need, len(self.buf))
                del self.buf[:dropped]
                self.need -= dropped
                if self.need:
                    return out
                out.append((self.kind, None))
            else:
                if len(self.buf) < self.need:
                    return out
                out.append((self.kind, bytes(self.buf[:self.need])))
                del self.buf[:self.need]
            self.kind = None

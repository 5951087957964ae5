"""The runner's side of one execution: pipes, relaying, limits, the result.

ExecutionIO owns the runner's ends of the four pipes of an execution
(stdin, stdout, stderr, meta) and the client connection.  pump() moves
bytes until the program's process exits (a session call: until it
reports), runs out of time, or the client goes away: stdin is fed without
blocking, stdout and stderr are forwarded as o/e frames up to max_output
each and drained past it, and what the program sends on the meta pipe is
checked and forwarded as i/f frames or kept as its report.  The client's
connection is read too: a CANCEL byte from the host ends pump() with
CANCELLED (once), and end of file means the host is gone.

Everything from the pipes is untrusted, and the meta pipe is the user's
as much as stdout is: user code may write any frame to it.  So nothing
on it decides the verdict.  The exit status, signal, timeout and OOM kill
come from the runner's own observation (waitpid, its clock, the cgroup),
the drop counts from its own checks of each figure and file; the report
only adds text about the program (last_repr, error) and whether a
MemoryError ended a program that did fail.
"""
import json
import os
import re
import selectors
import struct
import time

from . import frames

EXITED, REPORTED, TIMED_OUT, CLIENT_GONE, CANCELLED = "exited", \
    "reported", "timed out", "client gone", "cancelled"
CONTROL = "control"         # the client's connection, read for a cancel
CANCEL = b"c"               # the host's byte: stop this execution

CHUNK = 65536
DRAIN_READS = 256           # reads per pipe once the execution is over
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_IHDR = struct.Struct(">I4sII")     # length, "IHDR", width, height
MAX_PIXELS = 50_000_000                # a larger figure is dropped
MAX_NAME = 255


class ExecutionIO:
    def __init__(self, client, req):
        self.client = client
        self.limits = req.limits()
        self.sel = selectors.DefaultSelector()
        self.sent = {frames.STDOUT: 0, frames.STDERR: 0}
        self.truncated = False
        self.images = self.files = 0
        self.images_dropped = self.files_dropped = 0
        self.report = None
        self.client_gone = False
        self.cancel = None          # "asked", then "acted" once pump saw it
        self.stdin = memoryview(req.stdin)

        stdin_r, self.stdin_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        meta_r, meta_w = os.pipe()
        self.child_fds = [stdin_r, out_w, err_w, meta_w]
        self.meta = frames.FrameReader(self._meta_caps())
        for fd, kind in ((out_r, frames.STDOUT), (err_r, frames.STDERR),
                         (meta_r, frames.META)):
            os.set_blocking(fd, False)
            self.sel.register(fd, selectors.EVENT_READ, kind)
        os.set_blocking(self.stdin_w, False)
        if self.stdin:
            self.sel.register(self.stdin_w, selectors.EVENT_WRITE, None)
        else:
            self._close_stdin()
        if hasattr(client, "fileno"):
            self.sel.register(client, selectors.EVENT_READ, CONTROL)

    def _meta_caps(self):
        lim = self.limits
        # A report holds at most max_output + 1 characters of repr and
        # ERROR_MAX of error, at most 12 bytes each once JSON-escaped.
        text = lim["max_output"] + 1 + frames.ERROR_MAX
        return {
            frames.IMAGE: lim["max_image_bytes"],
            frames.FILE: frames.FILE_NAME.size + MAX_NAME
            + lim["max_file_bytes"],
            frames.DROPPED: 1,
            frames.META: 12 * text + 4096,
        }

    def close_child_fds(self):
        """After the fork: the child has its copies."""
        for fd in self.child_fds:
            os.close(fd)
        self.child_fds = []

    def pump(self, deadline, pidfd, until_report):
        """Relays until the process behind pidfd exits (EXITED), the
        deadline passes (TIMED_OUT), the client fails (CLIENT_GONE) or
        first asks to cancel (CANCELLED); with until_report (a session
        call, whose process lives on) also until the program's report
        arrives (REPORTED)."""
        self.sel.register(pidfd, selectors.EVENT_READ, EXITED)
        try:
            while True:
                if until_report and self.report is not None:
                    return REPORTED
                if self.client_gone:
                    return CLIENT_GONE
                if self.cancel == "asked":
                    self.cancel = "acted"
                    return CANCELLED
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return TIMED_OUT
                exited = False
                for key, _ in self.sel.select(remaining):
                    if key.data == EXITED:
                        exited = True
                    elif key.data == CONTROL:
                        self._on_control()
                    elif key.data is None:
                        self._feed_stdin()
                    else:
                        self._read(key.fd, key.data)
                if exited:
                    return EXITED
        finally:
            self.sel.unregister(pidfd)

    def drain(self):
        """Once the execution is over: what is left in the pipes, without
        waiting (a process that outlived the program may hold them open)."""
        for key in list(self.sel.get_map().values()):
            if key.data in (None, EXITED, CONTROL):
                continue
            for _ in range(DRAIN_READS):
                if not self._read(key.fd, key.data):
                    break

    def close(self):
        for key in list(self.sel.get_map().values()):
            self.sel.unregister(key.fd)
            if key.fd != self.stdin_w and key.data != CONTROL:
                os.close(key.fd)
        if self.stdin_w is not None:
            os.close(self.stdin_w)
            self.stdin_w = None
        for fd in self.child_fds:
            os.close(fd)
        self.child_fds = []
        self.sel.close()

    def _read(self, fd, kind):
        """One read; False when there is nothing (more) to read now."""
        try:
            data = os.read(fd, CHUNK)
        except BlockingIOError:
            return False
        if not data:
            self.sel.unregister(fd)
            os.close(fd)
            return False
        if kind == frames.META:
            for frame in self.meta.feed(data):
                self._on_meta(*frame)
        else:
            self._forward(kind, data)
        return True

    def _on_control(self):
        """What the host sent during the execution: a cancel, or nothing
        more ever (end of file: it is gone)."""
        try:
            data = self.client.recv(64)
        except (BlockingIOError, TimeoutError):
            return
        except OSError:
            data = b""
        if not data:
            self.sel.unregister(self.client)
            self.client_gone = True
        elif CANCEL in data and self.cancel is None:
            self.cancel = "asked"

    def _feed_stdin(self):
        try:
            n = os.write(self.stdin_w, self.stdin[:CHUNK])
        except BlockingIOError:
            return
        except OSError:         # the program closed its stdin: fine
            n = len(self.stdin)
        self.stdin = self.stdin[n:]
        if not self.stdin:
            self.sel.unregister(self.stdin_w)
            self._close_stdin()

    def _close_stdin(self):
        os.close(self.stdin_w)
        self.stdin_w = None

    def _forward(self, kind, data):
        room = self.limits["max_output"] - self.sent[kind]
        if len(data) > room:
            self.truncated = True
            data = data[:max(room, 0)]
        if data:
            self.sent[kind] += len(data)
            self.send(kind, data)

    def _on_meta(self, kind, payload):
        if kind == frames.IMAGE:
            self._on_image(payload)
        elif kind == frames.FILE:
            self._on_file(payload)
        elif kind == frames.DROPPED:
            self._on_dropped(payload)
        elif self.report is None and payload is not None:
            self.report = parse_report(payload)

    def _on_dropped(self, what):
        """The program says it did not send a figure past max_images
        (believed only once max_images figures did arrive) or a file it
        could not send (not a regular file, too large: the user's word,
        about the user's own files)."""
        if what == frames.IMAGE:
            if self.images >= self.limits["max_images"]:
                self.images_dropped = min(self.images_dropped + 1, 1 << 20)
        elif what == frames.FILE:
            self.files_dropped = min(self.files_dropped + 1, 1 << 20)

    def _on_image(self, png):
        if (png is None or self.images >= self.limits["max_images"]
                or not png_fits(png)):
            self.images_dropped += 1
            return
        self.images += 1
        self.send(frames.IMAGE, png)

    def _on_file(self, payload):
        parsed = payload and frames.split_file_payload(payload)
        if (not parsed or not _plain_name(parsed[0])
                or len(parsed[1]) > self.limits["max_file_bytes"]
                or self.files >= self.limits["max_files"]):
            self.files_dropped += 1
            return
        self.files += 1
        self.send(frames.FILE, payload)

    def send(self, kind, payload):
        """A frame to the client; a client that fails is gone for good."""
        if self.client_gone:
            return
        try:
            self.client.sendall(frames.header(kind, len(payload)))
            self.client.sendall(payload)
        except OSError:
            self.client_gone = True

    def result(self, **fields):
        """The r object: fields from the runner (exit_code, signal,
        timed_out, oom, time_ms, session_reset, cancelled) plus the text
        the program reported of itself."""
        report = self.report or {}
        last_repr = report.get("last_repr")
        if last_repr is not None:
            raw = _valid_unicode(last_repr).encode("utf-8")
            if len(raw) > self.limits["max_output"]:
                self.truncated = True
                raw = raw[:self.limits["max_output"]]
            # "ignore": a character the cut went through.
            last_repr = raw.decode("utf-8", "ignore")
        error = report.get("error")
        return {
            "exit_code": fields["exit_code"],
            "signal": fields["signal"],
            "timed_out": fields["timed_out"],
            # A MemoryError counts only for a program that did fail.
            "oom": fields["oom"] or (report.get("memory_error", False)
                                     and fields["exit_code"] not in (0, None)),
            "last_repr": last_repr,
            "error": error and _valid_unicode(error),
            "truncated": self.truncated,
            "images_dropped": self.images_dropped,
            "files_dropped": self.files_dropped,
            "time_ms": fields["time_ms"],
            "session_reset": fields["session_reset"],
            "cancelled": fields.get("cancelled", False),
        }


_SURROGATE = re.compile("[\ud800-\udfff]")


def _valid_unicode(text):
    """text with lone surrogates (JSON allows them, the host may not)
    replaced."""
    return _SURROGATE.sub("\ufffd", text)


def png_fits(png):
    """A PNG (signature, then the IHDR chunk) of at most MAX_PIXELS."""
    if not png.startswith(PNG_SIGNATURE):
        return False
    try:
        _, chunk, width, height = PNG_IHDR.unpack_from(png,
                                                       len(PNG_SIGNATURE))
    except struct.error:
        return False
    return chunk == b"IHDR" and 0 < width * height <= MAX_PIXELS


def _plain_name(name):
    return (0 < len(name.encode("utf-8", "surrogatepass")) <= MAX_NAME
            and "/" not in name and "\0" not in name
            and name not in (".", ".."))


# The report's fields, their types, and how to bound them.
_REPORT = {
    "exit_code": (int, lambda v: min(max(v, 0), 255)),
    "last_repr": (str, None),
    "error": (str, lambda v: v[:frames.ERROR_MAX]),
    "memory_error": (bool, None),
}


def parse_report(payload):
    """The program's report, keeping only well-typed known fields."""
    try:
        raw = json.loads(payload)
    except (ValueError, RecursionError):
        return {}
    report = {}
    if isinstance(raw, dict):
        for name, (kind, bound) in _REPORT.items():
            value = raw.get(name)
            if type(value) is kind:
                report[name] = bound(value) if bound else value
    return report


def wait_status(status):
    """(exit_code, signal) of a waitpid status."""
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    return os.WEXITSTATUS(status), None


class Fatal(Exception):
    """The sandbox can no longer be trusted to be clean: stop serving."""


def must_kill(reaper):
    if not reaper.kill_all():
        raise Fatal("cannot kill the sandbox's processes")


def _oom_counter_path():
    for path in ("/sys/fs/cgroup/memory/memory.oom_control",   # v1
                 "/sys/fs/cgroup/memory.events"):              # v2
        if os.path.exists(path):
            return path
    return None


_OOM_COUNTER = _oom_counter_path()


def oom_kills():
    """How many processes the container's OOM killer has killed so far
    (0 when the kernel does not say)."""
    if _OOM_COUNTER is None:
        return 0
    try:
        with open(_OOM_COUNTER, "rb") as f:
            for line in f:
                if line.startswith(b"oom_kill "):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0

"""The runner's main loop: the socket, preloading, one connection = one
execution.

Theory of operation.  The runner is the container's only long-lived
process besides docker-init.  It runs as uid 0 with CAP_SETUID and
CAP_SETGID only, so it cannot read the sandbox user's files or signal its
processes (the reaper does both, as that user), and nothing the sandbox
user runs can signal it.  It serves one connection at a time.  While idle it
imports the heavy modules one by one, so that forks inherit them, and keeps
two forks ready for the next execution (child.py): one of itself, and one
of the zygote (zygote.py), the light interpreter forked before the heavy
imports, for code the host found to import none of them.
It never trusts a request beyond its checks, never waits on a client
without a timeout, and when it cannot make the sandbox clean again it
exits rather than serve the next execution in a dirty one.
"""
import gc
import json
import os
import select
import signal
import socket
import sys
import time
import traceback

from . import execution, frames, request, sandbox_user
from .child import Child
from .reaper import Reaper
from .zygote import Zygote

SOCKET_DIR = "/run/pyexec"
SOCKET_PATH = SOCKET_DIR + "/runner.sock"
BACKLOG = 64
MPL_BACKEND = "module://pyexec_mpl"
IDLE_BEFORE_PRELOAD = 0.1       # s without an execution before importing more
REQUEST_TIMEOUT = 10.0          # s to receive a whole request
CLIENT_TIMEOUT = 10.0           # s for one send to the client


def _preload_matplotlib():
    import io
    import matplotlib.pyplot as plt
    plt.switch_backend(MPL_BACKEND)
    # One figure drawn and saved as a program's would be: the fonts, the
    # glyph and text caches and the PNG writer (Pillow) are then loaded
    # here, once, and a fork's first plot does not pay for them.
    figure = plt.figure(figsize=(6.4, 4.8))
    axes = figure.add_subplot()
    axes.plot([0, 1, 2], [0.5, 2.5, 1.5], label="y")
    axes.set_title("Title")
    axes.set_xlabel("x")
    axes.set_ylabel("y")
    axes.legend()
    figure.savefig(io.BytesIO(), format="png")
    plt.close(figure)


PRELOADS = (
    ("numpy", lambda: __import__("numpy")),
    ("pandas", lambda: __import__("pandas")),
    ("matplotlib", _preload_matplotlib),
)


# Per-execution log lines only when asked: each line costs dockerd and
# the disk under its json-file log driver more than the execution itself.
DEBUG = bool(os.environ.get("PYEXEC_RUNNER_DEBUG"))


def log(message):
    print(f"runner: {message}", file=sys.stderr, flush=True)


class Server:
    def __init__(self, listener, reaper, zygote):
        self.listener = listener
        self.reaper = reaper
        self.zygote = zygote
        # A light container (PYEXEC_PRELOAD=0) serves code that needs
        # none of the heavy modules: it neither loads them nor keeps a
        # fork of itself ready, only the zygote's.
        self.heavy = os.environ.get("PYEXEC_PRELOAD") != "0"
        self.to_preload = list(PRELOADS) if self.heavy else []
        self.preloaded = []
        self.last_execution = time.monotonic()
        self.standby = None     # a Child for the next execution
        self.light_standby = None   # a Child of the zygote, the same
        self.session = None     # the Child serving the session
        self.dirty = False      # a session left state behind
        self.keep_warm = True   # more executions may come: preload, fork ahead

    def serve_forever(self):
        while True:
            ready, _, _ = select.select([self.listener], [], [],
                                        self._idle_timeout())
            if ready:
                conn, _ = self.listener.accept()
                with conn:
                    self._serve(conn)
            elif self._should_fork_light():
                self._fork_light_standby()
            elif self._should_fork():
                self._fork_standby()
            elif self._should_preload():
                self._preload_one()

    def _should_fork(self):
        # Not while modules are still to come: the fork would lack them.
        # Until then executions fork on demand.
        return (self.standby is None and self.session is None
                and not self.to_preload and self.keep_warm and self.heavy)

    def _fork_standby(self):
        try:
            self.standby = Child()
        except OSError as e:
            # The pids limit, most likely, with the last execution's processes
            # still there: the next execution forks on demand.
            log(f"no standby: {e}")
            return
        _rehearse()

    def _take_standby(self):
        child = self.standby or Child()
        self.standby = None
        return child

    def _should_fork_light(self):
        # Not held back by the preloading: the zygote has none of it.
        return (self.light_standby is None and self.session is None
                and self.zygote.alive and self.keep_warm)

    def _fork_light_standby(self):
        try:
            self.light_standby = Child(self.zygote)
        except OSError as e:
            log(f"no light standby: {e}")

    def _take(self, light):
        """The fork for a stateless execution: a light one when asked
        for and the zygote can give one, else a heavy one."""
        if light:
            child, self.light_standby = self.light_standby, None
            if child is None and self.zygote.alive:
                try:
                    child = Child(self.zygote)
                except OSError as e:
                    log(f"light fork failed, forking heavy: {e}")
            if child is not None:
                return child
        return self._take_standby()

    def _should_preload(self):
        # A session interpreter has its own copy of the runner already;
        # importing more here would only cost CPU.
        return bool(self.to_preload) and self.session is None

    def _idle_timeout(self):
        if self._should_fork_light() or self._should_fork():
            return 0.0
        if not self._should_preload():
            return None
        return max(0.0, self.last_execution + IDLE_BEFORE_PRELOAD
                   - time.monotonic())

    def preload_all(self):
        while self.to_preload:
            self._preload_one()

    def _preload_one(self):
        name, load = self.to_preload.pop(0)
        start = time.monotonic()
        try:
            load()
            self.preloaded.append(name)
        except Exception as e:
            log(f"preloading {name}: {e!r}")
        log(f"preloaded {name} in {(time.monotonic() - start) * 1000:.0f} ms")
        if not self.to_preload:
            # Keep the collector off the preloaded objects in the forks:
            # it would write to (and so copy) every page they are on.
            gc.collect()
            gc.freeze()

    def _serve(self, conn):
        try:
            req = _read_request(conn)
        except Refused as e:
            # Whole but not acceptable: the host hears why (and can tell
            # its client), and nothing ran.
            log(f"refused a request: {e}")
            conn.settimeout(CLIENT_TIMEOUT)
            _send_result(conn, {"refused": str(e)})
            return
        except (request.BadRequest, OSError) as e:
            log(f"bad request: {e}")
            return
        conn.settimeout(CLIENT_TIMEOUT)
        if req.op != "ping":    # a health check is not work
            self.last_execution = time.monotonic()
        if req.op == "exec" and not req.keep_warm:
            # The host destroys this container after the call: CPU spent
            # on warming it would be taken from the next execution's.
            self.keep_warm = False
            self.to_preload = []
        try:
            if req.op == "ping":
                _send_result(conn, {"ok": True, "preloaded": self.preloaded,
                                    "light": self.zygote.alive})
            elif req.op == "reset":
                self._reset()
                _send_result(conn, {"ok": True})
            elif req.session:
                self._exec_session(conn, req)
            else:
                self._exec_stateless(conn, req)
        except execution.Fatal:
            raise
        except Exception:
            log(f"execution {req.id!r} failed:\n{traceback.format_exc()}")

    def _exec_stateless(self, conn, req):
        if self.dirty:
            self._reset()
        child = self._take(req.light)
        try:
            result, how = child.execute(conn, req, self.reaper)
            _finish(conn, req, result, how)
        finally:
            conn.close()    # the host need not wait for the cleaning
            # The next fork first: the kernel tears the old one down
            # meanwhile.
            if self._should_fork_light():
                self._fork_light_standby()
            elif self._should_fork():
                self._fork_standby()
            child.finish(self.reaper)
            self._clean()

    def _exec_session(self, conn, req):
        if self.session is None:
            self.session = self._take_standby()
            self.dirty = True
        result, how = self.session.execute(conn, req, self.reaper)
        if result["session_reset"]:
            self.session = None
        _finish(conn, req, result, how)
        if result["session_reset"]:
            conn.close()
            self._clean()

    def _reset(self):
        """Ends the session, if any, and leaves a clean sandbox."""
        if self.session is not None:
            self.session.stop(self.reaper)
            self.session = None
        self._clean()

    def _clean(self):
        if not self.reaper.clean():
            raise execution.Fatal("cannot clean the sandbox")
        self.dirty = False


class _Nowhere:
    def sendall(self, data):
        pass


_REHEARSAL = json.dumps({"op": "exec", "id": "rehearsal", "code": "1",
                         "stdin": "", "variables": None, "session": False,
                         "timeout_ms": 5000}).encode()
_REPORT = json.dumps({"exit_code": 0, "last_repr": "1", "error": None,
                      "memory_error": False}).encode()


def _rehearse():
    """The runner's side of program._warm_up: after a fork, each page the
    runner writes to is copied on its first write, a few hundred page
    faults along an execution's path.  Taking that path once on dummy data
    moves them out of the next execution's time."""
    req = request.parse(_REHEARSAL)
    io = execution.ExecutionIO(_Nowhere(), req)
    try:
        io.send(frames.STDOUT, b"1")
        io.report = execution.parse_report(_REPORT)
        result = io.result(exit_code=0, signal=None, timed_out=False,
                           oom=execution.oom_kills() > 0, time_ms=0.0,
                           session_reset=False)
        json.dumps(result, ensure_ascii=False).encode("utf-8")
    finally:
        io.close()


def _finish(conn, req, result, how):
    if DEBUG:
        log(f"execution {req.id!r}: {how}, exit {result['exit_code']}, "
            f"signal {result['signal']}, {result['time_ms']:.1f} ms"
            + (", session" if req.session else ""))
    if how != execution.CLIENT_GONE:
        _send_result(conn, result)


class Refused(request.BadRequest):
    """A request received whole that request.parse refuses."""


def _read_request(conn):
    deadline = time.monotonic() + REQUEST_TIMEOUT
    (length,) = request.LENGTH.unpack(_recv_exact(conn, 4, deadline))
    if not 0 < length <= request.MAX_REQUEST:
        raise request.BadRequest(f"bad length {length}")
    payload = _recv_exact(conn, length, deadline)
    try:
        return request.parse(payload)
    except request.BadRequest as e:
        raise Refused(str(e)) from None


def _recv_exact(conn, n, deadline):
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise request.BadRequest("request too slow")
        conn.settimeout(remaining)
        k = conn.recv_into(view[got:])
        if k == 0:
            raise request.BadRequest(f"request cut at {got} of {n} bytes")
        got += k
    return bytes(buf)


def _send_result(conn, obj):
    payload = json.dumps(obj, ensure_ascii=False).encode("utf-8")
    try:
        conn.sendall(frames.header(frames.RESULT, len(payload)) + payload)
    except OSError as e:
        log(f"client gone before the result: {e}")


def _listen():
    """Binds the socket under a temporary name and renames it into place:
    the socket appearing means ready (PROTOCOL.md, Start-up).  It belongs
    to the group of /run/pyexec, the host's, that the runner is given."""
    tmp = SOCKET_PATH + ".tmp"
    for stale in (SOCKET_PATH, tmp):    # a restarted container's
        try:
            os.unlink(stale)
        except FileNotFoundError:
            pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(tmp)
    os.chown(tmp, -1, os.stat(SOCKET_DIR).st_gid)
    os.chmod(tmp, 0o660)
    listener.listen(BACKLOG)
    os.rename(tmp, SOCKET_PATH)
    return listener


def _ensure_std_fds():
    """Pipes must never land on 0-2, which the children rewire."""
    for fd in range(3):
        try:
            os.fstat(fd)
        except OSError:
            os.open(os.devnull, os.O_RDWR)


def main():
    _ensure_std_fds()
    # SIGINT is for the program only (a cancel, a session's timeout): held
    # back here and so in every fork until program.run_code lets it in, so
    # one sent while a fork still sets up waits for its program.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    # matplotlib reads a matplotlibrc in the current directory: not /work.
    os.chdir("/")
    # The runner depends on both, whatever the container was given.
    os.environ["MPLBACKEND"] = MPL_BACKEND
    os.environ["MPLCONFIGDIR"] = sandbox_user.MPL_CONFIG_DIR
    reaper = Reaper()
    if not reaper.clean():
        sys.exit("runner: cannot prepare the sandbox")
    # Before the listener and any heavy import: neither is the zygote's.
    zygote = Zygote()
    server = Server(None, reaper, zygote)
    if os.environ.get("PYEXEC_PRELOAD") == "first":
        # A pool's container: nobody waits for it yet, and the host takes
        # it once it listens, so preloaded it never makes an execution
        # wait for an import.
        server.preload_all()
    server.listener = _listen()
    log(f"ready, pid {os.getpid()}, sandbox uid {sandbox_user.UID}")
    try:
        server.serve_forever()
    except execution.Fatal as e:
        log(f"{e}; exiting")
        sys.exit(1)

"""The sandbox user's side of an execution.  Runs in forks of the runner,
never in it.

The runner keeps a fork of itself ready (serve): it waits, still root, on
its control socket (fd 4 once set up) for its first call, which brings
the call's pipes (stdin, stdout, stderr, meta) and says what the fork is
to become.  It then sets itself up (set_up) and runs the program like
`python3 file.py` would (run_code); after it, it sends its figures, its
output files and last a report on the meta pipe (fd 3).  A stateless
execution's fork then exits; the session interpreter waits for the next
call and runs it in the same namespace.

The runner trusts nothing that comes out of here: user code shares the
process and can write anything to fd 3.  The limits applied here only
save the work of sending what the runner would drop anyway.
"""
import _signal
import ast
import atexit
import builtins
import fcntl
import json
import linecache
import os
import resource
import select
import signal
import socket
import stat
import struct
import sys
import traceback
import types

from . import frames, sandbox_user

META_FD = 3
CTRL_FD = 4
CODE_FILE = "<code>"
SETUP_FAILED = 126
WARM_UP_AFTER = 0.02    # s without a call before a fork rehearses one
CALL_HEADER = struct.Struct(">I")

_channel = None         # where figures go during an execution
# The session program's own SIGINT handler, set aside between its calls.
_user_sigint = signal.default_int_handler


def set_up(fds, memory_mb):
    """Turns this fork of the runner into a sandboxed process.

    fds: stdin, stdout, stderr, meta and the control socket, which become
    descriptors 0 to 4; every other descriptor is closed.  The order
    matters: the OOM score and the limits are set while still root, and the
    privilege drop comes after the last thing that needs root.
    """
    os.setsid()
    with open("/proc/self/oom_score_adj", "w") as f:
        f.write("1000")     # the kernel's victim is this, not the runner
    limit = _data_size() + (memory_mb << 20)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _place_fds(fds)
    os.closerange(len(fds), sandbox_user.MAX_FD)
    sandbox_user.drop_privileges()
    os.chdir(sandbox_user.WORK_DIR)
    os.environ.update(HOME=sandbox_user.WORK_DIR, USER="sandbox",
                      LOGNAME="sandbox")
    sys.argv = [CODE_FILE]
    # As for a script in /work: the program can import its own modules.
    sys.path.insert(0, sandbox_user.WORK_DIR)


def _place_fds(fds):
    """Puts fds[i] on descriptor i, whatever numbers they have now, and
    closes the originals."""
    lowest = len(fds)
    copies = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, lowest) for fd in fds]
    for target, copy in enumerate(copies):
        # 0-2 are inherited by what the program runs, as usual; the meta
        # pipe and the control socket are not.
        os.dup2(copy, target, inheritable=target <= 2)
    for fd in set(copies) | set(fds):
        if fd >= lowest:
            os.close(fd)


def _data_size():
    """VmData of this process, in bytes: what RLIMIT_DATA measures."""
    with open("/proc/self/status", "rb") as f:
        for line in f:
            if line.startswith(b"VmData:"):
                return int(line.split()[1]) * 1024
    raise OSError("no VmData in /proc/self/status")


def _open_stdio(stream):
    """New sys.std* on fds 0-2, buffered as for `python3 file.py` with
    pipes, or stdout line by line (as on a terminal) for a stream that a
    client watches; new ones so no read-ahead of a previous session call
    remains."""
    sys.stdin = sys.__stdin__ = open(0, "r", encoding="utf-8",
                                     closefd=False)
    sys.stdout = sys.__stdout__ = open(1, "w", buffering=1 if stream else -1,
                                       encoding="utf-8", closefd=False)
    sys.stderr = sys.__stderr__ = open(2, "w", buffering=1,
                                       encoding="utf-8",
                                       errors="backslashreplace",
                                       closefd=False)


def _flush_stdio():
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except BaseException:
            pass        # the program broke or replaced it


def _fresh_main():
    """A new __main__ whose namespace is the program's globals."""
    main = types.ModuleType("__main__")
    main.__builtins__ = builtins
    sys.modules["__main__"] = main
    return main


def run_code(code, namespace, filename, interruptible=True):
    """Runs code in namespace as `python3 file.py` would, except that the
    value of a final expression statement is kept (Jupyter).  Returns the
    report fields: exit_code, last_repr, error, memory_error.
    interruptible: let SIGINT in first (server.main holds it back), so an
    interrupt that came while the fork set up lands on the program."""
    report = {"exit_code": 0, "last_repr": None, "error": None,
              "memory_error": False}
    # Tracebacks show source lines through linecache.  No mtime: never
    # checked against a file.
    linecache.cache[filename] = (len(code), None, code.splitlines(True),
                                 filename)
    try:
        body, last = _compile(code, filename)
    except (SyntaxError, ValueError) as e:
        # Like the interpreter's: no traceback, the compiler is not news.
        return _failed(report, e.with_traceback(None))
    try:
        if interruptible:
            # _signal's, not signal.py's: no frame of it in a traceback
            _signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        exec(body, namespace)
        if last is not None:
            value = eval(last, namespace)
            if value is not None:
                report["last_repr"] = repr(value)
    except SystemExit as e:
        report["exit_code"] = _exit_status(e)
    except BaseException as e:
        _failed(report, e)
    return report


def _failed(report, e):
    _print_exception(e)
    report.update(exit_code=1, error=_error_line(e)[:frames.ERROR_MAX],
                  memory_error=isinstance(e, MemoryError))
    return report


def _compile(code, filename):
    """The module's code without its final expression statement, if any,
    and that expression's code."""
    tree = ast.parse(code, filename)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = compile(ast.Expression(tree.body.pop().value), filename,
                       "eval", dont_inherit=True)
    return compile(tree, filename, "exec", dont_inherit=True), last


def _exit_status(e):
    """What the interpreter does with an uncaught SystemExit: an integer is
    the status (as a C long, cut to 8 bits by exit()), None is 0, anything
    else is printed to stderr and the status is 1."""
    code = e.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF if -2**63 <= code < 2**63 else 0xFF
    try:
        print(code, file=sys.stderr)
    except BaseException:
        pass
    return 1


def _print_exception(e):
    """A traceback like the interpreter's, without the runner's frames.
    The pure Python printer, since the C one does not read linecache."""
    tb = e.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    e.__traceback__ = tb
    try:
        if sys.excepthook is not sys.__excepthook__:
            sys.excepthook(type(e), e, tb)
        else:
            traceback.print_exception(type(e), e, tb)
    except BaseException:
        pass


def _error_line(e):
    """"ExcType: message", named as the interpreter names it."""
    kind = type(e)
    name = kind.__qualname__
    if kind.__module__ not in ("builtins", "__main__"):
        name = f"{kind.__module__}.{name}"
    try:
        message = str(e)
    except BaseException:
        message = "<exception str() failed>"
    return f"{name}: {message}" if message else name


class Channel:
    """The meta pipe: figures and files, then one report.  The runner
    applies the limits and counts what it drops (user code can write to
    this pipe too, so it is the runner's count that is trusted).  A
    program that closed or replaced fd 3 just loses them."""

    def __init__(self, fd, limits):
        self.fd = fd
        self.limits = limits
        self.images = 0

    def image(self, render):
        """Sends render()'s PNG; past max_images only says so, rather
        than render a figure the runner would drop."""
        if self.images >= self.limits["max_images"]:
            self._send(frames.DROPPED, frames.IMAGE)
            return
        self.images += 1
        self._send(frames.IMAGE, render())

    def file(self, name, data):
        """Sends a file; data None: one that cannot be sent."""
        if data is None:
            self._send(frames.DROPPED, frames.FILE)
        else:
            self._send(frames.FILE, frames.file_payload(name, data))

    def report(self, fields):
        fields = dict(fields)
        repr_ = fields["last_repr"]
        if repr_ is not None:
            # One character more than fits tells the runner to say
            # "truncated".
            fields["last_repr"] = repr_[:self.limits["max_output"] + 1]
        self._send(frames.META, json.dumps(fields).encode("utf-8",
                                                          "replace"))

    def _send(self, kind, payload):
        try:
            _write_all(self.fd, frames.header(kind, len(payload)))
            _write_all(self.fd, payload)
        except OSError:
            pass


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def send_image(render):
    """For pyexec_mpl: one figure, as the PNG render() returns."""
    if _channel is not None:
        _channel.image(render)


def _send_open_figures():
    mpl = sys.modules.get("pyexec_mpl")
    if mpl is not None:
        try:
            mpl.send_figures()
        except BaseException as e:
            print(f"pyexec: a figure could not be sent: {e!r}",
                  file=sys.stderr)


def _output_snapshot():
    """{name: signature} of the regular files in /work/output."""
    snapshot = {}
    try:
        with os.scandir(sandbox_user.OUTPUT_DIR) as entries:
            for entry in entries:
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(st.st_mode):
                    snapshot[entry.name] = (st.st_ino, st.st_size,
                                            st.st_mtime_ns)
    except OSError:
        pass        # no /work/output: nothing to send
    return snapshot


def _send_files(channel, before):
    """Sends the regular files of /work/output that are new or changed
    since the snapshot before, in name order."""
    after = _output_snapshot()
    names = [name for name in sorted(after) if before.get(name) != after[name]]
    if not names:
        return
    try:
        dir_fd = os.open(sandbox_user.OUTPUT_DIR,
                         os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return
    try:
        cap = channel.limits["max_file_bytes"]
        for name in names:
            try:
                name.encode("utf-8")
            except UnicodeEncodeError:
                channel.file(name, None)    # the protocol wants UTF-8
                continue
            channel.file(name, _read_file(dir_fd, name, cap))
    finally:
        os.close(dir_fd)


def _read_file(dir_fd, name, cap):
    """Contents of the regular file name, or None when it is not one or is
    larger than cap.  Never follows a link, never blocks on a FIFO."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
    try:
        fd = os.open(name, flags, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > cap:
            return None
        chunks, size = [], 0
        while size <= cap:
            chunk = os.read(fd, cap + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks) if size <= cap else None
    except OSError:
        return None
    finally:
        os.close(fd)


def serve(ctrl_fd):
    """A fork of the runner, waiting for its first call on ctrl_fd.
    Never returns."""
    status = SETUP_FAILED
    try:
        ctrl = socket.socket(fileno=ctrl_fd)
        if not select.select([ctrl], [], [], WARM_UP_AFTER)[0]:
            _warm_up()
        call = _receive_call(ctrl)
        if call is None:
            os._exit(0)         # discarded unused
        fields, fds = call
        set_up(fds + [ctrl.detach()], fields["memory_mb"])
        main = _fresh_main()
        if fields["session"]:
            _serve_session(socket.socket(fileno=CTRL_FD), main, fields)
        else:
            status = _run_call(main, fields, CODE_FILE, final=True)
    except BaseException as e:
        _last_words(e)
    finally:
        os._exit(status)


def _warm_up():
    """Takes, on dummy data, the paths an execution takes, before it comes.

    A fork shares the runner's pages until it writes to them, and Python
    writes wherever it touches an object (reference counts): the first
    execution in a fork would copy hundreds of pages, one page fault each.
    Done here, that happens while the fork waits.  Only when it does wait
    (serve): under load the call comes at once, and the rehearsal's own
    work would cost more CPU than the faults it moves."""
    fields = json.loads(json.dumps({"code": "x = 1\nx", "variables": {},
                                    "limits": {"max_output": 0}}))
    report = run_code(fields["code"], {"__builtins__": builtins}, "<warm>",
                      interruptible=False)
    linecache.cache.pop("<warm>", None)
    _error_line(ValueError("warm"))
    Channel(-1, fields["limits"]).report(report)   # fd -1: goes nowhere
    _output_snapshot()
    with open(os.devnull, "w", encoding="utf-8", closefd=True) as f:
        f.flush()
    # What set_up calls: a reference is enough to write its page.
    for _ in (os.setsid, os.dup2, os.closerange, os.setgroups,
              os.setresgid, os.setresuid, os.getresuid, os.chdir,
              os.environ, sys.path, resource.setrlimit, fcntl.fcntl,
              types.ModuleType, sys.modules, sandbox_user.LIBC.prctl):
        pass


def _serve_session(ctrl, main, fields):
    """The session interpreter: calls until the runner closes ctrl."""
    calls = 1
    while True:
        _run_call(main, fields, f"<code-{calls}>", final=False)
        call = _receive_call(ctrl)
        if call is None:
            return
        fields, fds = call
        _place_fds(fds)
        calls += 1


def _run_call(main, fields, filename, final):
    """Runs one call on the descriptors 0-3; its exit status.  The call is
    over for the runner when the report is on the meta pipe: by then this
    process has let go of the call's stdout and stderr, so everything it
    wrote to them is in the pipes.  final: the process exits after it, so
    do what the interpreter does before exiting, and send every file."""
    global _channel
    _open_stdio(fields.get("stream", False))
    _channel = Channel(META_FD, fields["limits"])
    before = {} if final else _output_snapshot()
    main.__dict__.update(fields["variables"])
    if final:
        report = run_code(fields["code"], main.__dict__, filename)
    else:
        report = _run_interruptible(fields["code"], main.__dict__, filename)
    if final:
        _wait_for_threads()
    _send_open_figures()
    if final:
        _run_atexit()   # after the figures: pyplot's closes them all
    _flush_stdio()
    _send_files(_channel, before)
    _detach_fds()
    _channel.report(report)
    _channel = None
    # /dev/null on the meta pipe's number too, so that no file of the
    # program's lands on 3 and is replaced by the next call's meta pipe.
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, META_FD)
    os.close(null)
    return report["exit_code"]


def _run_interruptible(code, namespace, filename):
    """A session call.  The runner's SIGINT (a cancel, a timeout) reaches
    the program's code only, as Ctrl-C does in a REPL; between calls the
    interpreter ignores it, so one that comes late cannot end the session."""
    global _user_sigint
    try:
        try:
            signal.signal(signal.SIGINT, _user_sigint)
            return run_code(code, namespace, filename)
        finally:
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            _user_sigint = (signal.default_int_handler if previous is None
                            else previous)
    except KeyboardInterrupt as e:     # came after run_code's own handler
        return _failed({"exit_code": 0, "last_repr": None, "error": None,
                        "memory_error": False}, e)


def _detach_fds():
    """/dev/null on 0-2: the call's pipes are the runner's again."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in range(3):
        os.dup2(null, fd)
    os.close(null)


def _wait_for_threads():
    """As the interpreter does before it exits: non-daemon threads end
    first."""
    threading = sys.modules.get("threading")
    if threading is not None:
        try:
            threading._shutdown()
        except BaseException as e:
            _print_exception(e)


def _run_atexit():
    try:
        atexit._run_exitfuncs()
    except BaseException as e:
        _print_exception(e)


def _last_words(e):
    try:
        os.write(2, f"pyexec: sandbox failure: {e!r}\n".encode())
    except OSError:
        pass


def _receive_call(ctrl):
    """(fields, [stdin, stdout, stderr, meta]) of the next call, or None
    when the runner has closed the socket."""
    data, fds, _, _ = socket.recv_fds(ctrl, CALL_HEADER.size, 4)
    while data and len(data) < CALL_HEADER.size:
        more = ctrl.recv(CALL_HEADER.size - len(data))
        if not more:
            return None
        data += more
    if not data:
        return None
    if len(fds) != 4:
        raise OSError(f"call with {len(fds)} descriptors")
    (length,) = CALL_HEADER.unpack(data)
    payload = bytearray()
    while len(payload) < length:
        more = ctrl.recv(min(length - len(payload), 1 << 20))
        if not more:
            return None
        payload += more
    return json.loads(payload), fds

"""The runner against runner/PROTOCOL.md, in real containers.

Run: /usr/bin/python3 -m pytest tests/runner (needs dockerd and the image
from scripts/build-sandbox-image).  Most tests share one container: every
execution must find it clean, which is itself under test.
"""
import os
import socket
import struct
import time

import pytest

import runner_client as rc
from pyexec_test.waits import scaled, wait_for

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(container, code, **fields):
    return rc.execute(container.socket, code, **fields)


def assert_png(data):
    assert data.startswith(PNG_SIGNATURE)
    length, kind, width, height = struct.unpack(">I4sII", data[8:24])
    assert (length, kind) == (13, b"IHDR")
    assert width > 0 and height > 0


# ---- the basics ---------------------------------------------------------

def ping(container):
    reply = rc.call(container.socket, {"op": "ping", "id": "p"})
    assert reply.result["ok"] is True
    assert [kind for kind, _ in reply.frames] == [b"r"]
    return reply.result["preloaded"]


def test_ping_reports_preloaded_modules(runner):
    assert wait_for(lambda: ping(runner) == ["numpy", "pandas",
                                             "matplotlib"], 30, 0.2), \
        ping(runner)


def test_hello(runner):
    r = run(runner, "print('hello')")
    assert r.out == "hello\n"
    assert r.err == ""
    assert r.result == {
        "exit_code": 0, "signal": None, "timed_out": False, "oom": False,
        "last_repr": None, "error": None, "truncated": False,
        "images_dropped": 0, "files_dropped": 0,
        "time_ms": r["time_ms"], "session_reset": False,
        "cancelled": False, "interpreter": "heavy",
    }
    assert [kind for kind, _ in r.frames] == [b"o", b"r"]


def test_stdin(runner):
    r = run(runner, "import sys\nprint(sys.stdin.read().upper())",
            stdin="abc\ndef\n")
    assert r.out == "ABC\nDEF\n\n"


def test_stdin_larger_than_a_pipe(runner):
    data = "x" * 300_000 + "\n"
    r = run(runner, "import sys\nprint(len(sys.stdin.read()))", stdin=data)
    assert r.out == f"{len(data)}\n"


def test_stdin_ignored_by_program(runner):
    r = run(runner, "print(1)", stdin="y" * 500_000)
    assert r.out == "1\n" and r["exit_code"] == 0


def test_traceback_looks_like_pythons(runner):
    code = "def f(x):\n    return 1 / x\n\nf(0)\n"
    r = run(runner, code)
    assert r["exit_code"] == 1
    assert r["error"] == "ZeroDivisionError: division by zero"
    assert r.err.startswith("Traceback (most recent call last):\n")
    assert 'File "<code>", line 4, in <module>\n    f(0)\n' in r.err
    assert 'File "<code>", line 2, in f\n    return 1 / x\n' in r.err
    assert r.err.endswith("ZeroDivisionError: division by zero\n")
    assert "pyexec" not in r.err and "runner" not in r.err


def test_syntax_error(runner):
    r = run(runner, "print('a'\n")
    assert r["exit_code"] == 1
    assert r["error"].startswith("SyntaxError: ")
    assert r.err.startswith('  File "<code>", line 1\n')
    assert "Traceback" not in r.err


def test_exception_of_a_module_is_qualified(runner):
    r = run(runner, "import json\njson.loads('{')")
    assert r["error"].startswith("json.decoder.JSONDecodeError: ")


@pytest.mark.parametrize("code, status, stderr", [
    ("import sys\nsys.exit(3)", 3, ""),
    ("import sys\nsys.exit('msg')", 1, "msg\n"),
    ("import sys\nsys.exit()", 0, ""),
    ("raise SystemExit(256 + 7)", 7, ""),
])
def test_sys_exit(runner, code, status, stderr):
    r = run(runner, code)
    assert (r["exit_code"], r.err, r["error"]) == (status, stderr, None)


def test_last_expression(runner):
    assert run(runner, "x = 6\nx * 7")["last_repr"] == "42"
    assert run(runner, "'a' + 'b'")["last_repr"] == "'ab'"
    assert run(runner, "None")["last_repr"] is None
    assert run(runner, "print(1)")["last_repr"] is None
    assert run(runner, "x = 1")["last_repr"] is None
    assert run(runner, "")["last_repr"] is None


def test_last_repr_is_cut_at_max_output(runner):
    r = run(runner, "'é' * 1000", max_output=101)
    assert len(r["last_repr"].encode()) <= 101
    assert r["truncated"] is True


def test_variables(runner):
    r = run(runner, "print(a + 1, b['k'], c)",
            variables={"a": 41, "b": {"k": [1, 2]}, "c": None})
    assert r.out == "42 [1, 2] None\n"


def test_main_module_is_the_program(runner):
    r = run(runner, "import sys\nx = 5\n"
                    "print(sys.modules['__main__'].x, __name__)")
    assert r.out == "5 __main__\n"


def test_output_cap(runner):
    r = run(runner, "print('x' * 5_000_000)\nprint('done')",
            max_output=1000)
    assert r.stdout == b"x" * 1000
    assert r["truncated"] is True
    assert r["exit_code"] == 0


def test_stderr_cap_is_separate(runner):
    r = run(runner, "import sys\nprint('o' * 50)\n"
                    "sys.stderr.write('e' * 5000)", max_output=100)
    assert r.stdout == b"o" * 50 + b"\n"
    assert r.stderr == b"e" * 100
    assert r["truncated"] is True


# ---- limits -------------------------------------------------------------

def test_timeout(runner):
    r = run(runner, "while True: pass", timeout_ms=500)
    assert r["timed_out"] is True
    assert r["exit_code"] is None and r["signal"] == 9
    assert 500 <= r["time_ms"] < scaled(2000)


@pytest.mark.parametrize("timeout_ms", [1, 2, 3, 5, 8, 13])
def test_timeout_during_set_up(runner, timeout_ms):
    # The fork may still be root when the time is up: killed all the same.
    r = run(runner, "while True: pass", timeout_ms=timeout_ms)
    assert r["timed_out"] is True and r["signal"] == 9
    assert run(runner, "print('next')").out == "next\n"


def test_timeout_ignoring_sigterm(runner):
    code = ("import signal, time\n"
            "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "print('started', flush=True)\n"
            "while True: time.sleep(0.01)\n")
    r = run(runner, code, timeout_ms=500)
    assert r["timed_out"] is True and r.out == "started\n"
    assert run(runner, "print('next')").out == "next\n"


def test_memory_error_from_rlimit(runner):
    r = run(runner, "x = bytearray(10**9)")
    assert r["oom"] is True
    assert r["error"] == "MemoryError"
    assert r["exit_code"] == 1


def test_numpy_memory_error(runner):
    r = run(runner, "import numpy as np\nx = np.ones(10**9)")
    assert r["oom"] is True
    assert "MemoryError" in r["error"]


def test_cgroup_oom_kill(fresh):
    # More than the container has, within RLIMIT_DATA: the kernel's OOM
    # killer, not a MemoryError; it must pick the program, not the runner.
    code = "x = bytearray(400 * 2**20)\nprint('survived')"
    r = run(fresh, code, memory_mb=4096)
    assert r["oom"] is True
    assert r["signal"] == 9 and r.out == ""
    assert run(fresh, "print('next')").out == "next\n"
    assert fresh.is_running()


def test_fork_bomb(runner):
    code = ("import os\n"
            "while True:\n"
            "    try:\n        os.fork()\n"
            "    except OSError:\n        pass\n")
    r = run(runner, code, timeout_ms=1000)
    assert r["timed_out"] is True
    assert run(runner, "print('next')").out == "next\n"


# ---- nothing survives an execution -------------------------------------

# uid(pid): the real uid of a process, as a string.
UID_OF = (
    "import os\n"
    "def uid(p):\n"
    "    with open(f'/proc/{p}/status') as f:\n"
    "        return f.read().split('Uid:')[1].split()[0]\n"
)
SANDBOX_PIDS = UID_OF + (
    "print(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()\n"
    "             and int(p) != os.getpid() and uid(p) == '10001'))\n"
)


def test_background_process_is_killed(runner):
    code = ("import os, time\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            "    time.sleep(60)\n"
            "    os._exit(0)\n"
            "print('parent done')\n")
    assert run(runner, code).out == "parent done\n"
    assert run(runner, SANDBOX_PIDS).out == "[]\n"


def test_processes_up_to_the_pids_limit(runner):
    # The runner cannot fork its standby while they live: it must still
    # clean up, and fork later.
    code = ("import os, time\n"
            "n = 0\n"
            "try:\n"
            "    while n < 200:\n"
            "        if os.fork() == 0:\n"
            "            time.sleep(60)\n"
            "            os._exit(0)\n"
            "        n += 1\n"
            "except OSError:\n"
            "    pass\n"
            "print(n > 100)\n")
    # 100 forks of a preloaded interpreter take seconds on a slow host.
    assert run(runner, code, timeout_ms=60000).out == "True\n"
    assert run(runner, SANDBOX_PIDS).out == "[]\n"


def test_an_execution_starts_alone(runner):
    # Not even the reaper's helper, exiting after the last clean-up.
    for _ in range(10):
        assert run(runner, SANDBOX_PIDS).out == "[]\n"


def test_background_process_holding_stdout(runner):
    code = ("import os, time\n"
            "if os.fork() == 0:\n"
            "    time.sleep(60)\n"
            "print('done')\n")
    start = time.monotonic()
    r = run(runner, code)
    # Not after the background process's 60 s.
    assert r.out == "done\n" and time.monotonic() - start < scaled(5)


def test_files_do_not_survive(runner):
    code = ("import os\n"
            "for d in ('/tmp', '/work', '/dev/shm'):\n"
            "    open(f'{d}/left', 'w').write('x')\n"
            "os.makedirs('/work/a/b/c')\n"
            "os.chmod('/work/a/b', 0)\n"
            "os.chmod('/work', 0)\n")
    assert run(runner, code)["exit_code"] == 0
    r = run(runner, "import os\n"
                    "print(sorted(os.listdir('/work')), os.listdir('/tmp'),"
                    " os.listdir('/dev/shm'))")
    assert r.out == "['output'] ['matplotlib'] []\n"


def test_deep_directory_tree_is_removed(runner):
    code = ("import os\n"
            "os.chdir('/work')\n"
            "for i in range(3000):\n"
            "    os.mkdir('d')\n"
            "    os.chdir('d')\n")
    assert run(runner, code)["exit_code"] == 0
    assert run(runner, "import os\nprint(os.listdir('/work'))").out == \
        "['output']\n"


def test_globals_do_not_survive(runner):
    run(runner, "import json\njson.leftover = 1\nx = 1")
    r = run(runner, "import json\nprint(hasattr(json, 'leftover'), "
                    "'x' in globals())")
    assert r.out == "False False\n"


def test_sysv_shared_memory_is_removed(runner):
    code = ("import ctypes\n"
            "libc = ctypes.CDLL(None)\n"
            "print(libc.shmget(0x1234, 4096, 0o1600) >= 0)\n")
    assert run(runner, code).out == "True\n"
    r = run(runner, "print(open('/proc/sysvipc/shm').read().count('\\n'))")
    assert r.out == "1\n"


# ---- what user code can and cannot do -------------------------------

def test_identity_and_capabilities(runner):
    r = run(runner, "import os\n"
                    "s = open('/proc/self/status').read()\n"
                    "caps = {l.split(':')[0]: l.split()[1]\n"
                    "        for l in s.splitlines() if l.startswith('Cap')}\n"
                    "print(os.getuid(), os.getgid(), os.getgroups())\n"
                    "print(caps['CapEff'], caps['CapPrm'], caps['CapAmb'])\n"
                    "print(os.getcwd(), os.environ['HOME'])\n"
                    "st = os.stat('/work')\n"
                    "print(st.st_uid, st.st_gid, oct(st.st_mode & 0o7777))\n")
    assert r.out == ("10001 10001 []\n"
                     "0000000000000000 0000000000000000 0000000000000000\n"
                     "/work /work\n"
                     "10001 10001 0o700\n")


def test_runner_socket_dir_is_closed(runner):
    code = ("import os, socket\n"
            "for f in (lambda: os.listdir('/run/pyexec'),\n"
            "          lambda: socket.socket(socket.AF_UNIX).connect(\n"
            "              '/run/pyexec/runner.sock')):\n"
            "    try:\n        f()\n        print('open')\n"
            "    except PermissionError:\n        print('denied')\n")
    assert run(runner, code).out == "denied\ndenied\n"


def test_cannot_signal_the_runner(runner):
    # Every root process: docker-init, the runner, its reaper, the fork
    # waiting for the next execution.
    code = UID_OF + (
            "import signal\n"
            "pids = [int(p) for p in os.listdir('/proc') if p.isdigit()\n"
            "        and uid(p) == '0']\n"
            "print(len(pids) >= 3)\n"
            "for pid in pids:\n"
            "    for sig in (signal.SIGKILL, signal.SIGSTOP):\n"
            "        try:\n            os.kill(pid, sig)\n"
            "            print('signalled', pid)\n"
            "        except PermissionError:\n            pass\n"
            "print('ok')\n")
    assert run(runner, code).out == "True\nok\n"
    assert run(runner, "print(1)").out == "1\n"


def test_root_filesystem_is_read_only(runner):
    r = run(runner, "import os\n"
                    "print(bool(os.statvfs('/').f_flag & os.ST_RDONLY))")
    assert r.out == "True\n"


def test_no_network_but_loopback(runner):
    r = run(runner, "import socket\n"
                    "print([n for _, n in socket.if_nameindex()])\n"
                    "print([l.split(':')[0].strip() for l in\n"
                    "       open('/proc/net/dev').read().splitlines()[2:]])")
    assert r.out == "['lo']\n['lo']\n"


# ---- figures and files -----------------------------------------------

def test_plot_show(runner):
    r = run(runner, "import matplotlib.pyplot as plt\n"
                    "plt.plot([1, 2])\nplt.show()")
    assert len(r.images) == 1
    assert_png(r.images[0])
    assert r.err == ""


def test_matplotlib_configuration(runner):
    r = run(runner, "import os, matplotlib\n"
                    "print(matplotlib.get_backend())\n"
                    "print(matplotlib.get_configdir())\n"
                    "print(sorted(os.listdir(matplotlib.get_cachedir())))")
    assert r.out == ("module://pyexec_mpl\n/tmp/matplotlib\n"
                     "['fontlist-v330.json']\n")


def test_open_figures_are_sent_at_the_end(runner):
    r = run(runner, "import matplotlib.pyplot as plt\n"
                    "plt.figure(); plt.plot([1, 2])\n"
                    "plt.figure(); plt.plot([2, 1])\n")
    assert len(r.images) == 2
    for png in r.images:
        assert_png(png)


def test_max_images(runner):
    r = run(runner, "import matplotlib.pyplot as plt\n"
                    "for i in range(4):\n"
                    "    plt.figure(); plt.plot([i])\n"
                    "    plt.show()\n", max_images=2)
    assert len(r.images) == 2 and r["images_dropped"] == 2


def test_max_image_bytes(runner):
    r = run(runner, "import matplotlib.pyplot as plt\n"
                    "plt.plot([1, 2]); plt.show()", max_image_bytes=100)
    assert r.images == [] and r["images_dropped"] == 1


def test_output_file(runner):
    r = run(runner, "open('/work/output/x.csv', 'w').write('a,b\\n1,2\\n')")
    assert r.files == {"x.csv": b"a,b\n1,2\n"}


def test_output_file_limits(runner):
    code = ("import os\n"
            "for i in range(3):\n"
            "    open(f'/work/output/f{i}', 'w').write('x' * (i * 100))\n"
            "os.symlink('/etc/passwd', '/work/output/link')\n"
            "os.mkfifo('/work/output/fifo')\n")
    r = run(runner, code, max_files=1, max_file_bytes=150)
    assert r.files == {"f0": b""}
    assert r["files_dropped"] == 2


def test_idle_runner_preloads_after_an_execution(fresh):
    assert run(fresh, "print(1)").out == "1\n"
    assert wait_for(lambda: ping(fresh) != [], 30, 0.2)


def test_no_warming_once_told_the_container_is_done(fresh):
    # A fresh container per execution: what it would preload or fork
    # after the call only takes CPU from the next execution.
    assert run(fresh, "print(1)", keep_warm=False).out == "1\n"
    # An absence can only be watched for a while: longer than an idle
    # runner takes to preload its first module.
    time.sleep(scaled(3))
    assert ping(fresh) == []
    # Further executions (test cases) still run.
    assert run(fresh, "import numpy; print(numpy.int64(2) * 3)",
               keep_warm=False).out == "6\n"


def test_matplotlib_without_preloading(fresh):
    # At once after start-up, before any preloading: still no warning
    # and no writing on the read-only root.
    r = run(fresh, "import matplotlib.pyplot as plt\n"
                   "plt.plot([1, 2]); plt.show()")
    assert r.err == ""
    assert len(r.images) == 1


# ---- sessions ----------------------------------------------------------

def test_session_keeps_state(fresh):
    r1 = run(fresh, "def f(x):\n    return x * 2\ny = 10", session=True)
    r2 = run(fresh, "y += 1\ny", session=True)
    r3 = run(fresh, "print(f(y))", session=True)
    assert r1["exit_code"] == 0 and r2["last_repr"] == "11"
    assert r3.out == "22\n"
    assert not any(r["session_reset"] for r in (r1, r2, r3))


def test_session_traceback_names_the_call(fresh):
    run(fresh, "def f():\n    return 1 / 0", session=True)
    r = run(fresh, "f()", session=True)
    assert 'File "<code-1>", line 2, in f\n    return 1 / 0\n' in r.err
    assert 'File "<code-2>", line 1, in <module>\n    f()\n' in r.err


def test_session_plots_and_files(fresh):
    r = run(fresh, "import matplotlib.pyplot as plt\n"
                   "plt.plot([1, 2]); plt.show()\n"
                   "open('/work/output/a.txt', 'w').write('a')",
            session=True)
    assert len(r.images) == 1 and r.files == {"a.txt": b"a"}
    # Only new or changed files come back on later calls.
    r = run(fresh, "open('/work/output/b.txt', 'w').write('b')",
            session=True)
    assert r.files == {"b.txt": b"b"}


def test_session_stdin_and_exit(fresh):
    r = run(fresh, "import sys\nprint(sys.stdin.read())", stdin="in1",
            session=True)
    assert r.out == "in1\n"
    r = run(fresh, "import sys\nprint(sys.stdin.read())", stdin="in2",
            session=True)
    assert r.out == "in2\n"
    r = run(fresh, "import sys\nsys.exit(4)", session=True)
    assert r["exit_code"] == 4 and r["session_reset"] is False
    assert run(fresh, "print(sys.version_info[0])", session=True).out == "3\n"


def test_session_crash_resets(fresh):
    run(fresh, "x = 1", session=True)
    r = run(fresh, "import os\nos._exit(5)", session=True)
    assert r["exit_code"] == 5 and r["session_reset"] is True
    assert run(fresh, "print('x' in globals())", session=True).out == \
        "False\n"


def test_reset_op(fresh):
    run(fresh, "x = 1\nopen('/work/keep', 'w').write('k')", session=True)
    assert rc.call(fresh.socket, {"op": "reset"}).result == {"ok": True}
    r = run(fresh, "import os\nprint('x' in globals(), os.listdir('/work'))",
            session=True)
    assert r.out == "False ['output']\n"


def test_stateless_execution_after_session_sees_nothing(fresh):
    run(fresh, "x = 1\nopen('/work/keep', 'w').write('k')", session=True)
    r = run(fresh, "import os\nprint(os.listdir('/work'))")
    assert r.out == "['output']\n"


# ---- the connection ----------------------------------------------------

def _framed(payload):
    return struct.pack(">I", len(payload)) + payload


def _raw(container, data):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(scaled(15))
        s.connect(container.socket)
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        return s.recv(1 << 16)


@pytest.mark.parametrize("data", [
    b"\xff\xff\xff\xff",                               # over 64 MiB
    b"\x00\x00\x00\x00",
    b"\x00\x00\x00\x10{not json",                      # cut short
])
def test_request_that_never_came_whole_is_dropped(runner, data):
    assert _raw(runner, data) == b""
    assert run(runner, "print('next')").out == "next\n"


@pytest.mark.parametrize("data,why", [
    (struct.pack(">I", 9) + b"{not json", "not JSON"),
    (rc.encode_request({"op": "exec", "code": "1",
                        "variables": {"a\u20ac": 1}}), "'a\u20ac'"),
    (_framed(b'{"op": "exec", "code": "1", "variables": {"a": 1, "a": 2}}'),
     "duplicate key 'a'"),
])
def test_refused_request_is_answered(runner, data, why):
    """Issue 16, finding 3: a request received whole but refused gets an
    r frame saying why, never a silent close; nothing runs."""
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(runner.socket)
        s.sendall(data)
        reply = rc.read_reply(s)
    assert [k for k, _ in reply.frames] == [b"r"]
    assert why in reply.result["refused"], reply.result
    assert run(runner, "print('next')").out == "next\n"


@pytest.mark.parametrize("data", [
    struct.pack(">I", 9) + b"{not json",
    struct.pack(">I", 2) + b"[]",
    rc.encode_request({"op": "exec", "code": 1}),
    rc.encode_request({"op": "exec", "code": "1", "timeout_ms": "5"}),
    rc.encode_request({"op": "exec", "code": "1", "timeout_ms": True}),
    rc.encode_request({"op": "exec", "code": "1", "colour": "red"}),
    rc.encode_request({"op": "exec", "code": "1", "keep_warm": 0}),
    rc.encode_request({"op": "exec", "code": "1", "variables": {"1x": 1}}),
    rc.encode_request({"op": "exec"}),
    rc.encode_request({"op": "shell", "code": "1"}),
    _framed(b'{"op": "ping", "op": "ping"}'),
    _framed(b'{"op": "exec", "code": "\\ud800"}'),
    _framed(b'{"op": "exec", "code": "1", "timeout_ms": NaN}'),
    _framed('{"op": "exec", "code": "1"}'.encode("utf-16")),
])
def test_malformed_request_is_refused(runner, data):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(runner.socket)
        s.sendall(data)
        reply = rc.read_reply(s)
    assert list(reply.result) == ["refused"], reply.result
    assert run(runner, "print('next')").out == "next\n"


def test_stalled_client_does_not_block_forever(runner):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(runner.socket)
        s.sendall(b"\x00\x00\x01")          # and then nothing
        time.sleep(0.2)
    assert run(runner, "print('next')").out == "next\n"


def test_limits_are_clamped(runner):
    r = run(runner, "print(1)", timeout_ms=10**12, max_output=10**12,
            memory_mb=10**9, max_images=-1)
    assert r.out == "1\n"
    r = run(runner, "print(1)", max_output=-1)
    assert r.out == "" and r["truncated"] is True
    assert run(runner, "while True: pass", timeout_ms=-5)["timed_out"]


def test_second_connection_waits_its_turn(runner):
    # Connected first, so first in the listen queue.
    with rc.connect(runner.socket, {"op": "exec", "id": "slow",
                                    "code": "import time\ntime.sleep(1)\n"
                                            "print('slow')"}) as first:
        fast = run(runner, "print('fast')")
        # The runner finished the first reply before it took the second
        # connection: all of it is here already, nothing to wait for.
        first.settimeout(0)
        slow = rc.read_reply(first)
    assert slow.out == "slow\n" and fast.out == "fast\n"


def test_result_has_no_lone_surrogates(runner):
    # JSON lets them through as escapes; the host's parser need not.
    r = run(runner, "raise ValueError(v)", variables={"v": "\ud800"})
    assert r["error"] == "ValueError: \ufffd"


def test_socket_permissions(runner):
    st = os.stat(runner.socket)
    assert oct(st.st_mode & 0o777) == "0o660"
    assert st.st_gid == 4321

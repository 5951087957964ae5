"""The light interpreter (runner/pyexec_runner/zygote.py): executions the
host marks `"interpreter": "light"` fork from the zygote, with the same
verdicts, limits and clean-up as the heavy forks.  Shares one container
with the module, like test_runner.py: every execution must find it clean.
"""
import time

import pytest

import runner_client as rc
from pyexec_test.waits import scaled, wait_for
from test_runner import SANDBOX_PIDS, UID_OF, assert_png, ping


def light(container, code, **fields):
    return rc.execute(container.socket, code, interpreter="light", **fields)


def test_hello_is_light(runner):
    r = light(runner, "print('hello')")
    assert (r.out, r["exit_code"], r["interpreter"]) == ("hello\n", 0,
                                                          "light")


def test_the_light_fork_has_not_loaded_the_heavy_packages(runner):
    code = ("import sys\n"
            "print(sorted(m for m in ('numpy', 'pandas', 'matplotlib')\n"
            "             if m in sys.modules))")
    assert light(runner, code).out == "[]\n"
    assert wait_for(lambda: len(ping(runner)) == 3, 30, 0.2)
    assert light(runner, code).out == "[]\n"
    r = rc.execute(runner.socket, code, interpreter="heavy")
    assert (r.out, r["interpreter"]) == (
        "['matplotlib', 'numpy', 'pandas']\n", "heavy")


def test_without_the_field_it_is_heavy(runner):
    assert rc.execute(runner.socket, "1")["interpreter"] == "heavy"


def test_a_session_is_always_heavy(fresh):
    r = light(fresh, "import sys\nprint('numpy' in sys.modules)",
              session=True)
    assert r["interpreter"] == "heavy"


def test_dynamic_imports_load_on_demand(runner):
    r = light(runner, "import importlib\n"
                      "np = importlib.import_module('nu' + 'mpy')\n"
                      "print(np.arange(4).sum())")
    assert (r.out, r.err, r["interpreter"]) == ("6\n", "", "light")


def test_a_plot_from_a_dynamic_import(runner):
    r = light(runner, "import importlib\n"
                      "plt = importlib.import_module('matplotlib.pyplot')\n"
                      "plt.plot([1, 2])\nplt.show()")
    assert r.err == "" and len(r.images) == 1
    assert_png(r.images[0])


@pytest.mark.parametrize("code, status, signal", [
    ("import sys\nsys.exit(3)", 3, None),
    ("raise SystemExit(256 + 7)", 7, None),
    ("import os\nos._exit(5)", 5, None),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)", None, 11),
])
def test_the_verdict_is_the_zygotes_waitpid(runner, code, status, signal):
    r = light(runner, code)
    assert (r["exit_code"], r["signal"], r["interpreter"]) == (
        status, signal, "light")


def test_timeout(runner):
    r = light(runner, "while True: pass", timeout_ms=500)
    assert r["timed_out"] is True and r["signal"] == 9
    assert light(runner, "print('next')").out == "next\n"


@pytest.mark.parametrize("timeout_ms", [1, 3, 8])
def test_timeout_during_set_up(runner, timeout_ms):
    r = light(runner, "while True: pass", timeout_ms=timeout_ms)
    assert r["timed_out"] is True and r["signal"] == 9
    assert light(runner, "print('next')").out == "next\n"


def test_memory_error_from_rlimit(runner):
    r = light(runner, "x = bytearray(10**9)")
    assert r["oom"] is True and r["error"] == "MemoryError"


def test_fork_bomb(runner):
    code = ("import os\n"
            "while True:\n"
            "    try:\n        os.fork()\n"
            "    except OSError:\n        pass\n")
    r = light(runner, code, timeout_ms=1000)
    assert r["timed_out"] is True
    assert light(runner, SANDBOX_PIDS).out == "[]\n"


def test_a_leftover_is_killed_and_files_are_wiped(runner):
    code = ("import os, time\n"
            "open('/work/left', 'w').write('x')\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            "    time.sleep(60)\n"
            "    os._exit(0)\n"
            "print('parent done')\n")
    assert light(runner, code).out == "parent done\n"
    r = light(runner, SANDBOX_PIDS + "print(os.listdir('/work'))")
    assert r.out == "[]\n['output']\n"


def test_the_zygote_cannot_be_signalled_or_traced(runner):
    # Every root process, the zygote (the parent of this one) among them.
    code = UID_OF + (
            "import ctypes, signal\n"
            "libc = ctypes.CDLL(None, use_errno=True)\n"
            "parent = os.getppid()\n"
            "print(uid(parent))\n"
            "pids = [int(p) for p in os.listdir('/proc') if p.isdigit()\n"
            "        and uid(p) == '0']\n"
            "for pid in pids:\n"
            "    for sig in (signal.SIGKILL, signal.SIGSTOP):\n"
            "        try:\n            os.kill(pid, sig)\n"
            "            print('signalled', pid)\n"
            "        except PermissionError:\n            pass\n"
            "    if libc.ptrace(0x4206, pid, 0, 0) == 0:\n"   # PTRACE_SEIZE
            "        print('traced', pid)\n"
            "print('ok')\n")
    assert light(runner, code).out == "0\nok\n"
    r = light(runner, "print(1)")
    assert (r.out, r["interpreter"]) == ("1\n", "light")


def test_identity_capabilities_and_descriptors_as_heavy(runner):
    code = ("import os\n"
            "s = open('/proc/self/status').read()\n"
            "caps = {l.split(':')[0]: l.split()[1] for l in\n"
            "        s.splitlines() if l.startswith('Cap')}\n"
            "print(os.getuid(), os.getgid(), os.getgroups())\n"
            "print(caps['CapEff'], caps['CapBnd'])\n"
            "print(sorted(os.listdir('/proc/self/fd')))\n")
    r = light(runner, code)
    assert r.out.splitlines()[:2] == ["10001 10001 []",
                                      "0000000000000000 0000000000000000"]
    # No descriptor of the zygote's (its socket to the runner) is left.
    assert r.out == rc.execute(runner.socket, code).out


def test_a_light_container_never_preloads(container_factory):
    c = container_factory(env=["PYEXEC_PRELOAD=0"])
    try:
        r = light(c, "print('hi')")
        assert (r.out, r["interpreter"]) == ("hi\n", "light")
        # Heavy code still runs: it imports what it needs.
        r = rc.execute(c.socket, "import numpy\nprint(numpy.arange(4).sum())")
        assert (r.out, r.err) == ("6\n", "")
        # Longer than a heavy container takes to start preloading.
        time.sleep(scaled(3))
        assert ping(c) == []
        r = rc.execute(c.socket, "import sys\nprint('pandas' in sys.modules)",
                       interpreter="heavy")
        assert (r.out, r["interpreter"]) == ("False\n", "heavy")
    finally:
        c.remove()

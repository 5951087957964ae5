"""Cancel and interrupt (PROTOCOL.md, "Cancel"): the host's cancel byte
and a session call's timeout interrupt the program with SIGINT first; a
session that comes back keeps its state, anything else is killed after
the grace second."""
import signal

import pytest

import runner_client as rc

SLEEPER = "import time\nprint('started', flush=True)\ntime.sleep(60)"
DEAF = ("import signal, time\n"
        "signal.signal(signal.SIGINT, lambda *a: None)\n"
        "print('started', flush=True)\n"
        "while True:\n    time.sleep(0.01)")


def run(container, code, **fields):
    return rc.execute(container.socket, code, **fields)


def cancel_after_start(container, code, **fields):
    """Starts code, waits for its first line ("started"), sends the
    cancel byte and reads the rest of the reply."""
    with rc.connect(container.socket, {"op": "exec", "id": "c", "code": code,
                                       **fields}) as s:
        kind, length = rc.HEADER.unpack(rc._recv_exact(s, rc.HEADER.size))
        assert (kind, rc._recv_exact(s, length)) == (b"o", b"started\n")
        s.sendall(b"c")
        return rc.read_reply(s)


def test_cancel_interrupts_a_running_program(runner):
    r = cancel_after_start(runner, SLEEPER)
    assert r["cancelled"] is True and r["timed_out"] is False
    assert r["exit_code"] == 1 and r["signal"] is None
    assert r.err.rstrip().endswith("KeyboardInterrupt"), r.err
    assert run(runner, "print('next')").out == "next\n"


def test_a_watched_program_prints_line_by_line(runner):
    """stream: its line reaches the host while it runs, unflushed."""
    r = cancel_after_start(runner, "import time\nprint('started')\n"
                                   "time.sleep(60)", stream=True)
    assert r["cancelled"] is True


def test_cancel_kills_a_program_deaf_to_sigint(runner):
    r = cancel_after_start(runner, DEAF)
    assert r["cancelled"] is True
    assert r["signal"] == signal.SIGKILL and r["exit_code"] is None
    assert run(runner, "print('next')").out == "next\n"


def test_cancel_byte_after_the_end_changes_nothing(runner):
    with rc.connect(runner.socket, {"op": "exec", "id": "c",
                                    "code": "print(1)"}) as s:
        r = rc.read_reply(s)
    assert r["cancelled"] is False and r.out == "1\n"


def test_session_cancel_keeps_the_state(fresh):
    run(fresh, "x = 41", session=True)
    r = cancel_after_start(fresh, SLEEPER, session=True)
    assert r["cancelled"] is True and r["session_reset"] is False
    assert "KeyboardInterrupt" in r.err
    r = run(fresh, "x + 1", session=True)
    assert r["last_repr"] == "42" and r["session_reset"] is False


def test_session_timeout_interrupts_and_keeps_the_state(fresh):
    run(fresh, "x = 41", session=True)
    r = run(fresh, "while True: pass", session=True, timeout_ms=500)
    assert r["timed_out"] is True and r["session_reset"] is False
    assert r["cancelled"] is False
    assert r.err.rstrip().endswith("KeyboardInterrupt"), r.err
    assert run(fresh, "x + 1", session=True)["last_repr"] == "42"


@pytest.mark.parametrize("deaf", [
    "signal.signal(signal.SIGINT, signal.SIG_IGN)",
    "signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])",
])
def test_session_deaf_to_sigint_is_reset(fresh, deaf):
    run(fresh, "x = 41", session=True)
    r = run(fresh, f"import signal\n{deaf}\nwhile True: pass",
            session=True, timeout_ms=500)
    assert r["timed_out"] is True and r["session_reset"] is True
    r = run(fresh, "print('x' in globals())", session=True)
    assert r.out == "False\n"


def test_session_program_keeps_its_own_sigint_handler(fresh):
    """The interpreter ignores SIGINT between calls, but a handler the
    program set is back for its next call."""
    run(fresh, "import os, signal\nhits = []\n"
               "signal.signal(signal.SIGINT, lambda *a: hits.append(1))",
        session=True)
    r = run(fresh, "os.kill(os.getpid(), signal.SIGINT)\nhits", session=True)
    assert r["last_repr"] == "[1]" and r["session_reset"] is False

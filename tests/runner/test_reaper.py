"""The runner's own check after a clean (pyexec_runner.reaper, issue 16
finding 1): whatever the reaper answers, a process with the sandbox uid
as any of its uids fails the clean, and the runner retires the container.
On the host's python3; the sandbox user is faked with a fork that takes
the uid (as root) or skipped."""
import os
import time

import pytest

from pyexec_runner import reaper, sandbox_user


class Answers(reaper.Reaper):
    """A reaper whose process always answers "done"."""

    def __init__(self):
        pass

    def _call(self, command):
        return True


def test_a_clean_with_nothing_left_succeeds(monkeypatch):
    monkeypatch.setattr(sandbox_user, "sandbox_pids", lambda: set())
    assert Answers().clean() is True


def test_a_process_left_fails_the_clean_whatever_the_reaper_said(
        monkeypatch):
    monkeypatch.setattr(sandbox_user, "sandbox_pids", lambda: {4242})
    assert Answers().clean() is False


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to take a uid")
@pytest.mark.parametrize("uids", [
    (sandbox_user.UID,) * 3,                                # the user
    (sandbox_user.HELPER_UID, sandbox_user.UID, 0),         # acting as it
    (0, 0, sandbox_user.UID),                               # saved only
])
def test_sandbox_pids_sees_every_uid_field(uids):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            os.setresuid(*uids)
            os.write(w, b"x")
            time.sleep(30)
        finally:
            os._exit(0)
    os.close(w)
    try:
        assert os.read(r, 1) == b"x"
        assert pid in sandbox_user.sandbox_pids()
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(r)

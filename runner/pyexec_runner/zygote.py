"""The light interpreter: forks for code that imports none of the heavy
packages.

Theory of operation.  A fork costs what the forked process has mapped:
a fork of the runner once numpy, pandas and matplotlib are loaded (85 MB)
costs several times a fork of a bare Python, and the execution then
copies every preloaded page it touches.  Most programs import none of
them.  So the runner forks the zygote at start-up, before it preloads
anything, and the zygote forks the processes for such programs: each is
a Child like the runner's own forks (program.serve waits on its control
socket as root), only its parent is the zygote.

The zygote is root like the runner and never runs user code; its forks
close every descriptor but their call's before they drop to the sandbox
user, so nothing the sandbox user runs can reach it, signal it or trace
it.  The runner asks for a fork with one byte; the zygote answers with the
fork's pid, its control socket and a pidfd (SCM_RIGHTS), and when a fork
ends, reaps it and sends its wait status: the status comes from waitpid in
a process user code cannot touch, as for the runner's own forks.  If the
zygote is gone the runner forks heavy processes for everything.
"""
import gc
import os
import select
import signal
import socket
import struct
import time

from . import program
from .helper import fork_helper

FORK = b"f"
FORKED = struct.Struct(">ci")       # b"f", pid
NO_FORK = b"e"                      # fork failed (the pids limit)
EXITED = struct.Struct(">cii")      # b"x", pid, wait status
ANSWER_TIMEOUT = 5.0                # s for a fork or a status


class ZygoteGone(OSError):
    """The zygote died or stopped answering."""


class Zygote:
    """The runner's handle on the zygote process."""

    def __init__(self):
        self.pid, self.sock = fork_helper(_main, ANSWER_TIMEOUT)
        self.statuses = {}      # pid -> wait status, reported ahead

    def fork(self):
        """(pid, control socket, pidfd) of a new light fork waiting for
        its call, or None when it could not fork."""
        try:
            self.sock.send(FORK)
            deadline = time.monotonic() + ANSWER_TIMEOUT
            while True:
                msg, fds = self._receive(deadline)
                if msg[:1] == FORK and len(fds) == 2:
                    _, pid = FORKED.unpack(msg)
                    return pid, socket.socket(fileno=fds[0]), fds[1]
                for fd in fds:
                    os.close(fd)
                if msg == NO_FORK:
                    return None
        except OSError as e:
            self.close()
            raise ZygoteGone(f"zygote: {e}") from None

    def wait(self, pid):
        """The wait status of pid, one of its forks, once it is reaped."""
        deadline = time.monotonic() + ANSWER_TIMEOUT
        try:
            while pid not in self.statuses:
                msg, fds = self._receive(deadline)
                for fd in fds:
                    os.close(fd)
        except OSError as e:
            self.close()
            raise ZygoteGone(f"zygote: {e}") from None
        return self.statuses.pop(pid)

    def _receive(self, deadline):
        """One message; an exit status is filed away as it comes."""
        self.sock.settimeout(max(deadline - time.monotonic(), 0.001))
        msg, fds, _, _ = socket.recv_fds(self.sock, EXITED.size, 2)
        if not msg:
            raise ZygoteGone("closed")
        if msg[:1] == b"x" and len(msg) == EXITED.size:
            _, pid, status = EXITED.unpack(msg)
            self.statuses[pid] = status
        return msg, fds

    def close(self):
        """Ends it (the zygote exits when its socket closes) and reaps it."""
        if self.sock is None:
            return
        self.sock.close()
        self.sock = None
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass

    @property
    def alive(self):
        return self.sock is not None


def _main(sock):
    # What every fork would load or build on its way is built here once,
    # and the collector is kept off it, as in the runner after preloading:
    # a fork copies each page it writes to.
    program._warm_up()
    gc.collect()
    gc.freeze()
    forks = {}      # pidfd -> pid
    while True:
        ready, _, _ = select.select([sock, *forks], [], [])
        for fd in ready:
            if fd is sock:
                if sock.recv(1) != FORK:
                    os._exit(0)     # the runner is gone
                try:
                    pidfd, pid = _fork(sock, forks)
                    forks[pidfd] = pid
                except OSError:
                    sock.send(NO_FORK)
            else:
                pid = forks.pop(fd)
                _, status = os.waitpid(pid, 0)
                os.close(fd)
                sock.send(EXITED.pack(b"x", pid, status))


def _fork(sock, forks):
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        sock.close()
        for fd in forks:
            os.close(fd)
        ours.close()
        program.serve(theirs.detach())      # never returns
    theirs.close()
    pidfd = os.pidfd_open(pid)
    socket.send_fds(sock, [FORKED.pack(FORK, pid)], [ours.fileno(), pidfd])
    ours.close()
    return pidfd, pid

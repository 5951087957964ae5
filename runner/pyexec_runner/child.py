"""The runner's handle on a fork of itself (program.serve on the other side).

The runner forks ahead of time, while idle, so that an execution does not wait
for the fork (several milliseconds once numpy, pandas and matplotlib are
in memory).  The fork waits as root, where user code cannot reach it,
until its first call says what it becomes: the process of one stateless
execution, or the session interpreter.  Every call brings its own pipes, passed
with SCM_RIGHTS, so nothing a call leaves running writes into the next
call's output.  A stateless execution is over when its process exits, and
its exit status is what waitpid says, never what the program reported; a
session call is over when the interpreter's report arrives (it lives on).
A fork that runs out of time or loses its client is killed, and the
runner cleans the sandbox before the next execution.

A cancel (the host's byte, execution.CANCEL) and a session call's timeout
first interrupt the program, as Ctrl-C would: SIGINT to every sandbox
process.  A session interpreter that reports within INTERRUPT_GRACE keeps
its state; otherwise, and for a stateless fork that has not exited by
then, the kill follows.
"""
import os
import select
import signal
import socket
import time

from . import execution, program

EXIT_WAIT = 0.5     # s for a fork that reported to be gone before killing
KILL_POLL = 0.05    # s to wait for a kill to take before trying again
KILL_WAIT = 5.0     # s before giving up on a fork that will not die
INTERRUPT_GRACE = 1.0   # s from SIGINT to SIGKILL


class Child:
    def __init__(self, zygote=None):
        """A fork of the runner, or with zygote one of the light
        interpreter's, whose wait status the zygote reports."""
        self.zygote = zygote
        if zygote is None:
            ours, theirs = socket.socketpair()
            self.pid = os.fork()
            if self.pid == 0:
                program.serve(theirs.detach())
            theirs.close()
            self.ctrl = ours
            self.pidfd = os.pidfd_open(self.pid)
        else:
            forked = zygote.fork()
            if forked is None:
                raise OSError("the zygote could not fork")
            self.pid, self.ctrl, self.pidfd = forked
        self.status = None      # wait status, once reaped

    @property
    def interpreter(self):
        return "heavy" if self.zygote is None else "light"

    def execute(self, client, req, reaper):
        """Runs req in this fork.  Returns (result, how).  Unless req is a
        session call that reported, the fork is finished afterwards: the
        caller reaps it (finish) and cleans the sandbox."""
        io = execution.ExecutionIO(client, req)
        try:
            oom_before = execution.oom_kills()
            start = time.monotonic()
            deadline = start + req.timeout_ms / 1000
            how = self._send(req, io.child_fds, deadline)
            io.close_child_fds()
            interrupted = None
            if how is None:
                how = io.pump(deadline, self.pidfd, req.session)
            if how == execution.CANCELLED or (how == execution.TIMED_OUT
                                              and req.session):
                interrupted, how = how, self._interrupt(io, reaper, req)
            elapsed = time.monotonic() - start
            if how == execution.REPORTED:
                # A session call is over; the interpreter waits for the
                # next one.  Its status is the session's own business.
                exit_code, sig = io.report.get("exit_code", 0), None
            else:
                exit_code, sig = execution.wait_status(self.stop(reaper))
            io.drain()
            result = io.result(exit_code=exit_code, signal=sig,
                               timed_out=interrupted == execution.TIMED_OUT
                               or (interrupted is None
                                   and how == execution.TIMED_OUT),
                               oom=execution.oom_kills() > oom_before,
                               time_ms=round(elapsed * 1000, 3),
                               session_reset=req.session
                               and how != execution.REPORTED,
                               cancelled=interrupted == execution.CANCELLED)
            result["interpreter"] = self.interpreter
            return result, how
        finally:
            io.close()

    def _interrupt(self, io, reaper, req):
        """SIGINT, then relaying for INTERRUPT_GRACE: how it ended then
        (TIMED_OUT: it did not, and is killed next)."""
        try:
            # A fork still root has no program running yet, and the reaper
            # cannot signal it, but we can: it holds the SIGINT until its
            # program runs.  Once, or the second would break the first's
            # traceback.
            signal.pidfd_send_signal(self.pidfd, signal.SIGINT)
        except PermissionError:     # the sandbox user's: the reaper's part
            if not reaper.interrupt():
                return execution.TIMED_OUT
        except ProcessLookupError:
            pass                    # gone; the pump sees it
        return io.pump(time.monotonic() + INTERRUPT_GRACE, self.pidfd,
                       req.session)

    def _send(self, req, fds, deadline):
        """Hands the call over; None, or why it could not be."""
        payload = req.to_json().encode("utf-8")
        try:
            self.ctrl.settimeout(max(deadline - time.monotonic(), 0.001))
            socket.send_fds(self.ctrl,
                            [program.CALL_HEADER.pack(len(payload))], fds)
            self.ctrl.sendall(payload)
        except socket.timeout:
            return execution.TIMED_OUT
        except OSError:
            return execution.EXITED       # it is gone; stop() tells how
        return None

    def finish(self, reaper):
        """Reaps a stateless fork, killing it if it is still there (a
        client that went away)."""
        if self.status is None:
            self._exits_within(EXIT_WAIT)
            self.stop(reaper)

    def stop(self, reaper):
        """Kills and reaps it; its wait status.  It may be on either side
        of its privilege drop: still root, the runner can kill it; the
        sandbox user's, only the reaper can (and kills every sandbox
        process with it)."""
        deadline = time.monotonic() + KILL_WAIT
        while self.status is None and not self._exits_within(0):
            try:
                os.kill(self.pid, signal.SIGKILL)
            except PermissionError:
                execution.must_kill(reaper)
            if self._exits_within(KILL_POLL):
                break
            if time.monotonic() > deadline:
                raise execution.Fatal(f"fork {self.pid} survives SIGKILL")
        if self.status is None:
            self._reap()
        return self.status

    def _exits_within(self, seconds):
        ready, _, _ = select.select([self.pidfd], [], [], seconds)
        return bool(ready)

    def _reap(self):
        if self.zygote is None:
            _, self.status = os.waitpid(self.pid, 0)
        else:
            try:
                self.status = self.zygote.wait(self.pid)
            except OSError as e:
                # Killed above, and the zygote that would reap it is gone
                # with it: the clean must not trust this sandbox.
                raise execution.Fatal(str(e)) from None
        self.ctrl.close()
        os.close(self.pidfd)

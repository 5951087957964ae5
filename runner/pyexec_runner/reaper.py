"""The reaper: kills sandbox processes and empties the sandbox's directories.

Theory of operation.  The runner is root without CAP_KILL or
CAP_DAC_OVERRIDE, so it can neither signal uid 10001 nor read what 10001
keeps in the 0700 /work.  Both are done by the reaper, a small root
process forked before the runner preloads anything, which takes the
sandbox user's uid as its effective uid for each command and root back
afterwards (sandbox_user.act_as_sandbox): its real and saved uids are never
the sandbox user's, so no process of the sandbox user can signal or trace
it, stop it half way, or answer in its place.  It needs no fork to do its
work, so a fork bomb that used up the pids limit cannot stop it either.
The runner sends it one command byte and gets one status byte back:

  k  kill every sandbox process (one pass; kill(-1) is atomic against fork)
  i  interrupt every sandbox process (SIGINT, one pass): Ctrl-C, for a
     cancel or a session's timeout, before the kill
  c  kill, wait until none is left, then empty /work, /tmp, /dev/shm and
     /dev/mqueue, remove System V IPC objects, and recreate /work/output
     and the matplotlib directory

Its answer is not taken on trust either: after a clean the runner looks
through /proc itself, and any process of the sandbox user still there
retires the container.  While the reaper acts, a sandbox process could
renice it or move it (those calls go by the effective uid): it checks
afterwards that nothing of the kind happened and fails the command if it
did.

Before a `c` the runner must have reaped its own sandbox children: a
zombie of the runner's counts as "still there".
"""
import errno
import os
import signal
import stat
import sys
import time

from . import sandbox_user
from .helper import fork_helper

KILL = b"k"
INTERRUPT = b"i"
CLEAN = b"c"
OK = b"\0"
FAILED = b"\1"

CALL_TIMEOUT = 10.0     # s the runner waits for an answer
KILL_WAIT = 5.0         # s for killed processes to be reaped by init


class Reaper:
    """The runner's handle on the reaper process."""

    def __init__(self):
        self.pid = None
        self.sock = None
        self._start()

    def kill_all(self):
        """Kill every sandbox process.  True on success."""
        return self._call(KILL)

    def interrupt(self):
        """SIGINT to every sandbox process.  True on success."""
        return self._call(INTERRUPT)

    def clean(self):
        """Kill every sandbox process, wait for them, empty the sandbox's
        directories.  True on success, which the runner checks itself: no
        process may be left with the sandbox uid as any of its uids."""
        if not self._call(CLEAN):
            return False
        left = sandbox_user.sandbox_pids()
        if left:
            print(f"runner: reaper: sandbox processes {sorted(left)} "
                  "outlived the clean", file=sys.stderr)
            return False
        return True

    def _start(self):
        self.pid, self.sock = fork_helper(_reaper_main, CALL_TIMEOUT)

    def _call(self, command):
        for _ in range(2):
            try:
                self.sock.send(command)
                if self.sock.recv(1) == OK:
                    return True
                print(f"runner: reaper: {command.decode()} failed",
                      file=sys.stderr)
                return False
            except OSError as e:
                # Dead or stuck: it is root like us, so we can end it.
                print(f"runner: reaper: {e}; restarting it", file=sys.stderr)
                self._restart()
        return False

    def _restart(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        self.sock.close()
        self._start()


def _reaper_main(sock):
    sandbox_user.leave_groups()
    untouched = _scheduling()
    while True:
        command = sock.recv(1)
        if command not in (KILL, INTERRUPT, CLEAN):
            os._exit(0)     # the runner is gone (or confused)
        ok = _run(command)
        if _scheduling() != untouched:
            print("runner: reaper: its scheduling was changed",
                  file=sys.stderr)
            ok = False
        sock.send(OK if ok else FAILED)


def _scheduling():
    """What a process with our effective uid may change of us."""
    return (os.getpriority(os.PRIO_PROCESS, 0), os.sched_getscheduler(0),
            os.sched_getaffinity(0))


def _run(command):
    try:
        sandbox_user.act_as_sandbox()
        try:
            if command == INTERRUPT:
                return _signal_all(signal.SIGINT)
            ok = _kill_all(wait=command == CLEAN)
            if ok and command == CLEAN:
                ok = _clean()
        finally:
            sandbox_user.act_as_root()
        return ok
    except Exception as e:
        print(f"runner: reaper: {e!r}", file=sys.stderr)
        return False


def _signal_all(sig):
    try:
        os.kill(-1, sig)
    except ProcessLookupError:
        pass            # nobody left to interrupt: fine
    return True


def _kill_all(wait):
    """SIGKILL every process of ours but ourselves; with wait, until none
    is left (init reaps them).  kill(-1) succeeds as long as any other
    process exists at all, root's included, so /proc tells when we are
    done."""
    me = os.getpid()
    deadline = time.monotonic() + KILL_WAIT
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            return True
        if not wait:
            return True
        if not sandbox_user.sandbox_pids() - {me}:
            return True
        if time.monotonic() > deadline:
            print("runner: reaper: sandbox processes survive SIGKILL",
                  file=sys.stderr)
            return False
        time.sleep(0.001)


def _clean():
    ok = True
    for path in sandbox_user.SCRATCH_DIRS:
        if os.path.isdir(path):
            ok &= _empty_dir(path)
    _remove_ipc_objects()
    ok &= _prepare_dirs()
    return ok


def _empty_dir(top):
    """Remove everything under top, however deep, with a fixed number of
    descriptors and no recursion: every directory found inside another is
    first moved up into top, so only top's direct children are ever
    opened.  Modes are restored first, as the owner may, so that a
    directory made unreadable or unwritable gives way too."""
    ok = True
    try:
        if os.lstat(top).st_uid == sandbox_user.UID:
            os.chmod(top, 0o700)    # /work; /tmp and the others are root's
        top_fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as e:
        print(f"runner: reaper: {top}: {e}", file=sys.stderr)
        return False
    try:
        names = os.listdir(top_fd)
        taken = set(names)
        pending = list(names)
        serial = 0
        while pending:
            name = pending.pop()
            try:
                if not _is_dir(name, top_fd):
                    os.unlink(name, dir_fd=top_fd)
                    continue
                for child in _open_dir_entries(name, top_fd):
                    sub, child_name = child
                    if _is_dir(child_name, sub):
                        while f".pyexec-rm-{serial}" in taken:
                            serial += 1
                        new = f".pyexec-rm-{serial}"
                        taken.add(new)
                        os.chmod(child_name, 0o700, dir_fd=sub)
                        os.rename(child_name, new, src_dir_fd=sub,
                                  dst_dir_fd=top_fd)
                        pending.append(new)
                    else:
                        os.unlink(child_name, dir_fd=sub)
                os.rmdir(name, dir_fd=top_fd)
            except FileNotFoundError:
                pass
            except OSError as e:
                # Not ours (a root-owned file in /tmp), or worse.
                if e.errno not in (errno.EPERM, errno.EACCES):
                    print(f"runner: reaper: {top}/{name}: {e}",
                          file=sys.stderr)
                ok = ok and _owner(name, top_fd) != sandbox_user.UID
    finally:
        os.close(top_fd)
    return ok


def _is_dir(name, dir_fd):
    return stat.S_ISDIR(os.stat(name, dir_fd=dir_fd,
                                follow_symlinks=False).st_mode)


def _owner(name, dir_fd):
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_uid
    except OSError:
        return None


def _open_dir_entries(name, parent_fd):
    """Yields (dir fd, entry name) for each entry of parent/name, after
    making the directory usable."""
    os.chmod(name, 0o700, dir_fd=parent_fd)
    fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW,
                 dir_fd=parent_fd)
    try:
        for child in os.listdir(fd):
            yield fd, child
    finally:
        os.close(fd)


# /proc/sysvipc/<kind>: the id column, and the call that removes one.
_IPC_RMID = 0
_IPC_KINDS = (
    ("shm", lambda ident: sandbox_user.LIBC.shmctl(ident, _IPC_RMID, None)),
    ("sem", lambda ident: sandbox_user.LIBC.semctl(ident, 0, _IPC_RMID)),
    ("msg", lambda ident: sandbox_user.LIBC.msgctl(ident, _IPC_RMID, None)),
)


def _remove_ipc_objects():
    """System V IPC objects outlive their creators (the container has its
    own IPC namespace, shared by all executions).  Remove all we may: ours."""
    for kind, remove in _IPC_KINDS:
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                rows = f.readlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) > 1 and fields[1].isdigit():
                remove(int(fields[1]))


def _prepare_dirs():
    """What every execution starts with: /work/output, and matplotlib's
    configuration directory with the image's font cache linked in."""
    try:
        os.mkdir(sandbox_user.OUTPUT_DIR, 0o700)
        os.mkdir(sandbox_user.MPL_CONFIG_DIR)
        # The runner (root, but without CAP_DAC_OVERRIDE) imports
        # matplotlib too, and matplotlib insists on a writable directory.
        os.chmod(sandbox_user.MPL_CONFIG_DIR, 0o777)
        for name in os.listdir(sandbox_user.MPL_FONT_CACHE_DIR):
            os.symlink(os.path.join(sandbox_user.MPL_FONT_CACHE_DIR, name),
                       os.path.join(sandbox_user.MPL_CONFIG_DIR, name))
    except OSError as e:
        print(f"runner: reaper: {e}", file=sys.stderr)
        return False
    return True

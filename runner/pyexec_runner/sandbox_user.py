"""The sandbox user and how a process becomes it.

User code runs as uid/gid 10001 (PYEXEC_UID), with no supplementary
groups: the runner's extra group is the one that opens /run/pyexec, and
with uid 0 left behind no capability survives either.  Its bounding set is
emptied first (CAP_SETPCAP), so not even a capability that could never be
regained is listed.

The reaper acts on the sandbox user's processes and files but must never
be reachable by them.  For each command it takes the sandbox uid as its
effective uid only (kill permission and file access go by it), with
HELPER_UID as its real uid and 0 as its saved uid, and goes back to root
afterwards.  The kernel lets a process signal or trace another only when
its uids match the target's real or saved uid (and, to trace, all of
them), so uid 10001 can do neither to the reaper at any time, and the
reaper's kill(-1) reaches the sandbox user's processes and no root one.
Every change of the effective uid leaves it non-dumpable, so its /proc
entries stay root's.
"""
import ctypes
import os

WORK_DIR = "/work"
OUTPUT_DIR = "/work/output"
# Everything the sandbox user can write to, emptied after every execution.
# /dev/mqueue is where POSIX message queues live, when it is mounted.
SCRATCH_DIRS = (WORK_DIR, "/tmp", "/dev/shm", "/dev/mqueue")
# matplotlib refuses a configuration directory it cannot write to (it
# makes a temporary one, warns, and rebuilds its font cache: half a
# second), and the root filesystem is read-only.  So MPLCONFIGDIR is a
# directory on /tmp that the reaper makes for every execution, holding a
# link to the font cache built into the image.
MPL_CONFIG_DIR = "/tmp/matplotlib"
MPL_FONT_CACHE_DIR = "/opt/pyexec/mplconfig"
# A process closes every descriptor it need not pass on below this before
# it becomes the sandbox user (nothing in the container opens more).
MAX_FD = 1 << 20

PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2

# The C library, for prctl and the System V IPC calls the stdlib lacks.
LIBC = ctypes.CDLL(None, use_errno=True)


def sandbox_uid():
    """The sandbox uid/gid from PYEXEC_UID; never root."""
    value = os.environ.get("PYEXEC_UID", "10001")
    if not value.isdigit() or not 0 < int(value) < 2**31 - 1:
        raise SystemExit(f"runner: bad PYEXEC_UID {value!r}")
    return int(value)


UID = GID = sandbox_uid()
# The reaper's real uid while it acts: nothing else runs as it.
HELPER_UID = UID + 1 if UID + 1 < 2**31 - 1 else UID - 1

PR_CAPBSET_DROP = 24


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte),
                ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort),
                ("filter", ctypes.POINTER(_SockFilter))]


# BPF opcodes and seccomp return values (linux/filter.h, linux/seccomp.h).
_LD_ABS, _JEQ, _AND, _RET = 0x20, 0x15, 0x54, 0x06
_ALLOW, _EPERM = 0x7FFF0000, 0x00050000 | 1

# Refuses io_uring_setup/enter/register (425 to 427 on x86_64, i386,
# aarch64 and arm, the x32 bit masked) with EPERM and allows the rest.
# Docker before 25.0 allows io_uring in its default profile, a large kernel
# attack surface no Python program needs; this filter stacks on that
# profile (filters only ever narrow).  Jumps count from the next insn.
_IO_URING_FILTER = (
    (_LD_ABS, 0, 0, 4),             # 0: the audit architecture
    (_JEQ, 3, 0, 0xC000003E),       # 1: x86_64 -> 5
    (_JEQ, 2, 0, 0x40000003),       # 2: i386 -> 5
    (_JEQ, 1, 0, 0xC00000B7),       # 3: aarch64 -> 5
    (_JEQ, 0, 5, 0x40000028),       # 4: arm -> 5, any other -> 10
    (_LD_ABS, 0, 0, 0),             # 5: the syscall number
    (_AND, 0, 0, 0xBFFFFFFF),       # 6: without the x32 bit
    (_JEQ, 3, 0, 425),              # 7: io_uring_setup -> 11
    (_JEQ, 2, 0, 426),              # 8: io_uring_enter -> 11
    (_JEQ, 1, 0, 427),              # 9: io_uring_register -> 11
    (_RET, 0, 0, _ALLOW),           # 10
    (_RET, 0, 0, _EPERM),           # 11
)

# Built once (the fprog keeps its array alive): the fork that installs it
# only makes one prctl call.
_FILTER = _SockFprog(len(_IO_URING_FILTER),
                     (_SockFilter * len(_IO_URING_FILTER))(*_IO_URING_FILTER))


def _bounding_set():
    """The capabilities in this process's bounding set, as numbers."""
    with open("/proc/self/status", "rb") as f:
        for line in f:
            if line.startswith(b"CapBnd:"):
                mask = int(line.split()[1], 16)
                return [n for n in range(64) if mask >> n & 1]
    raise OSError("no CapBnd in /proc/self/status")


def empty_bounding_set():
    """Drops every capability from the bounding set (needs CAP_SETPCAP,
    which is dropped last); raises if one stays."""
    caps = _bounding_set()
    for cap in sorted(caps, key=lambda n: n == 8):     # 8: CAP_SETPCAP
        if LIBC.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), f"prctl(PR_CAPBSET_DROP, {cap})")
    if _bounding_set():
        raise OSError("bounding set not empty")


def leave_groups():
    """The reaper's start: no supplementary groups, not dumpable."""
    os.setgroups([])
    if LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE)")


def act_as_sandbox():
    """Effective uid/gid the sandbox user's, real HELPER_UID, saved 0
    (module comment).  Raises if it did not take."""
    os.setresgid(HELPER_UID, GID, 0)
    os.setresuid(HELPER_UID, UID, 0)
    if (os.getresuid() != (HELPER_UID, UID, 0)
            or os.getresgid() != (HELPER_UID, GID, 0)):
        raise OSError("reaper identity did not take")


def act_as_root():
    """Back from act_as_sandbox (the saved uid 0 allows it)."""
    os.setresuid(0, 0, 0)
    os.setresgid(0, 0, 0)


def sandbox_pids():
    """Pids of every process with the sandbox uid as any of its real,
    effective, saved or file-system uids, zombies included."""
    pids = set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", "rb") as f:
                for line in f:
                    if line.startswith(b"Uid:"):
                        if UID in map(int, line.split()[1:5]):
                            pids.add(int(name))
                        break
        except (OSError, ValueError):
            pass        # gone meanwhile
    return pids


def drop_privileges():
    """Become the sandbox user for good (real, effective and saved ids),
    with an empty bounding set.

    The kernel clears the dumpable flag on a uid change, which makes
    /proc/self root's; setting it back lets the program read its own /proc
    entries.  Last, the io_uring filter.  Raises if anything did not take.
    """
    empty_bounding_set()
    os.setgroups([])
    os.setresgid(GID, GID, GID)
    os.setresuid(UID, UID, UID)
    if os.getresuid() != (UID, UID, UID) or os.getgroups():
        raise OSError("privilege drop did not take")
    if LIBC.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE)")
    if (LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
            or LIBC.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER,
                          ctypes.byref(_FILTER), 0, 0) != 0):
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")

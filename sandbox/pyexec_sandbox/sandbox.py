"""The sandbox user and how a process becomes it.

User code and the reaper's helpers run as uid/gid 10001 (PYEXEC_UID), with
no supplementary groups: the runner's extra group is the one that opens
/run/pyexec, and with uid 0 left behind no capability survives either.
"""
import ctypes
import os

WORK_DIR = "/work"
OUTPUT_DIR = "/work/output"
# Everything the sandbox user can write to, emptied after every job.
# /dev/mqueue is where POSIX message queues live, when it is mounted.
SCRATCH_DIRS = (WORK_DIR, "/tmp", "/dev/shm", "/dev/mqueue")
# matplotlib refuses a configuration directory it cannot write to (it
# makes a temporary one, warns, and rebuilds its font cache: half a
# second), and the root filesystem is read-only.  So MPLCONFIGDIR is a
# directory on /tmp that the reaper makes for every job, holding a link to
# the font cache built into the image.
MPL_CONFIG_DIR = "/tmp/matplotlib"
MPL_FONT_CACHE_DIR = "/opt/pyexec/mplconfig"

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


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte),
                ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort),
                ("filter", ctypes.POINTER(_SockFilter))]


def _io_uring_filter():
    """A seccomp program that refuses io_uring_setup/enter/register (425 to
    427 on every architecture below) with EPERM and allows the rest.

    Docker before 25.0 allows io_uring in its default profile, a large
    kernel attack surface no Python program needs; this filter stacks on
    that profile (filters only ever narrow).  The x32 bit is masked so the
    x32 numbers are caught too.
    """
    ld, jeq, and_, ret = 0x20, 0x15, 0x54, 0x06
    arches = (0xC000003E, 0x40000003, 0xC00000B7, 0x40000028)  # x86_64,
    # i386, aarch64, arm: where 425-427 are io_uring
    prog = [(ld, 0, 0, 4)]                              # arch
    for i, arch in enumerate(arches):
        last = i == len(arches) - 1
        prog.append((jeq, len(arches) - 1 - i, 5 if last else 0, arch))
    prog += [(ld, 0, 0, 0),                             # syscall number
             (and_, 0, 0, 0xBFFFFFFF),
             (jeq, 3, 0, 425), (jeq, 2, 0, 426), (jeq, 1, 0, 427),
             (ret, 0, 0, 0x7FFF0000),                   # allow
             (ret, 0, 0, 0x00050000 | 1)]               # errno EPERM
    insns = (_SockFilter * len(prog))(*prog)
    return insns, _SockFprog(len(prog), insns)


# Built once: the fork that installs it only makes one prctl call.
_FILTER_INSNS, _FILTER = _io_uring_filter()


def drop_privileges():
    """Become the sandbox user for good (real, effective and saved ids).

    The kernel clears the dumpable flag on a uid change, which makes
    /proc/self root's; setting it back lets the program read its own /proc
    entries.  Last, the io_uring filter.  Raises if anything did not take.
    """
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

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

# The C library, for prctl and the System V IPC calls the stdlib lacks.
LIBC = ctypes.CDLL(None, use_errno=True)


def sandbox_uid():
    """The sandbox uid/gid from PYEXEC_UID; never root."""
    value = os.environ.get("PYEXEC_UID", "10001")
    if not value.isdigit() or not 0 < int(value) < 2**31 - 1:
        raise SystemExit(f"runner: bad PYEXEC_UID {value!r}")
    return int(value)


UID = GID = sandbox_uid()


def drop_privileges():
    """Become the sandbox user for good (real, effective and saved ids).

    The kernel clears the dumpable flag on a uid change, which makes
    /proc/self root's; setting it back lets the program read its own /proc
    entries.  Raises if anything did not take.
    """
    os.setgroups([])
    os.setresgid(GID, GID, GID)
    os.setresuid(UID, UID, UID)
    if os.getresuid() != (UID, UID, UID) or os.getgroups():
        raise OSError("privilege drop did not take")
    if LIBC.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE)")

"""The runner's root helper processes (the reaper, the zygote): each a
fork of the runner that talks to it over one SEQPACKET socket and keeps
no other descriptor of the runner's."""
import os
import socket

from . import sandbox_user


def fork_helper(main, timeout):
    """Forks a helper that runs main(sock) and exits; returns its pid and
    the runner's end of the socket, with timeout for each call on it."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    pid = os.fork()
    if pid == 0:
        try:
            ours.close()
            keep = theirs.fileno()
            os.closerange(3, keep)
            os.closerange(keep + 1, sandbox_user.MAX_FD)
            main(theirs)
        finally:
            os._exit(1)
    theirs.close()
    ours.settimeout(timeout)
    return pid, ours

"""net - loopback ports for the servers a test starts."""

import socket

from .waits import wait_for


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


def wait_listening(port, proc, timeout=30):
    """Waits until something accepts on port, while proc (a Popen) runs.
    False when proc exited or the wait timed out."""
    return wait_for(lambda: accepts(port) or proc.poll() is not None,
                    timeout, 0.05) and proc.poll() is None

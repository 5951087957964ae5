"""dockerd - stops and starts the local dockerd for fault-injection
tests, the way it was started (systemd, or a plain process whose command
line we reuse)."""

import contextlib
import os
import signal
import subprocess

from .waits import scaled, wait_for

SOCK = "/var/run/docker.sock"


def answers():
    r = subprocess.run(["curl", "-sf", "--max-time", "2", "--unix-socket",
                        SOCK, "http://localhost/_ping"],
                       capture_output=True)
    return r.returncode == 0


def _systemd_managed():
    r = subprocess.run(["systemctl", "is-active", "docker"],
                       capture_output=True, text=True)
    return r.returncode == 0 and r.stdout.strip() == "active"


def _pid():
    r = subprocess.run(["pidof", "dockerd"], capture_output=True, text=True)
    pids = r.stdout.split()
    return int(pids[0]) if pids else None


def stop():
    """Stops dockerd; returns how to start it again."""
    if _systemd_managed():
        subprocess.run(["systemctl", "stop", "docker.socket", "docker"],
                       check=True)
        return "systemd"
    pid = _pid()
    assert pid, "no dockerd running"
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        cmd = [a.decode() for a in f.read().split(b"\0") if a]
    os.kill(pid, signal.SIGTERM)
    assert wait_for(lambda: not os.path.exists("/proc/%d" % pid), 60), \
        "dockerd did not stop"
    assert not answers()
    return cmd


def start(how):
    if how == "systemd":
        subprocess.run(["systemctl", "start", "docker"], check=True)
    else:
        log = open("/tmp/dockerd-restarted.log", "ab")
        subprocess.Popen(how, stdout=log, stderr=log,
                         start_new_session=True)
    if not wait_for(answers, 60, 0.2):
        raise RuntimeError("dockerd did not come back in %d s" % scaled(60))


def restart():
    start(stop())


@contextlib.contextmanager
def stopped():
    how = stop()
    try:
        yield
    finally:
        start(how)

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


def _same_pid_namespace(pid):
    try:
        return (os.readlink("/proc/%d/ns/pid" % pid)
                == os.readlink("/proc/self/ns/pid"))
    except OSError:
        return False


def _pid():
    """Our dockerd: a daemon in a nested pid namespace (another test run
    with a dockerd of its own) shows up in pidof too, and is not ours."""
    r = subprocess.run(["pidof", "dockerd"], capture_output=True, text=True)
    pids = [int(p) for p in r.stdout.split() if _same_pid_namespace(int(p))]
    return pids[0] if pids else None


def _gone(pid):
    """Exited, zombies included: a daemon whose parent is an init that
    reaps late (some VMs' pid 1) stays a zombie for a while."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


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
    assert wait_for(lambda: _gone(pid), 60), \
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

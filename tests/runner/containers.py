"""Sandbox containers started the way the host starts them
(runner/PROTOCOL.md, The container), for the tests and the benchmark."""
import os
import shutil
import subprocess
import tempfile
import time
import uuid

from pyexec_test.waits import scaled, wait_for

IMAGE = os.environ.get("PYEXEC_TEST_IMAGE", "pyexec-sandbox:latest")
# The run directory's group: not root's, so that the runner can only get
# in through --group-add, as with the host's pyexec group.
RUN_GID = 4321


def docker_flags(run_dir, memory="352m"):
    """The flags of PROTOCOL.md, as the host sets them through the API."""
    return [
        "--init", "--network", "none",
        "--cap-drop", "ALL", "--cap-add", "SETUID", "--cap-add", "SETGID",
        "--cap-add", "SETPCAP",
        "--security-opt", "no-new-privileges", "--read-only",
        "--user", "0:0", "--group-add", str(RUN_GID),
        "--tmpfs", "/tmp:rw,size=64m,mode=1777",
        "--tmpfs", "/work:rw,size=64m,uid=10001,gid=10001,mode=0700",
        "--shm-size", "64m", "--pids-limit", "128",
        "--memory", memory, "--memory-swap", memory, "--cpus", "1",
        "--ipc", "private", "--label", "pyexec.test=1",
        "-v", f"{run_dir}:/run/pyexec",
    ]


class Container:
    def __init__(self, memory="352m", env=()):
        self.name = f"pyexec-test-{uuid.uuid4().hex[:12]}"
        self.run_dir = tempfile.mkdtemp(prefix="pyexec-run-")
        os.chown(self.run_dir, 0, RUN_GID)
        os.chmod(self.run_dir, 0o770)
        self.socket = os.path.join(self.run_dir, "runner.sock")
        self.started = time.monotonic()
        subprocess.run(["docker", "run", "-d", "--name", self.name,
                        *docker_flags(self.run_dir, memory),
                        *(f for e in env for f in ("-e", e)), IMAGE],
                       check=True, stdout=subprocess.DEVNULL)

    def wait_ready(self):
        """Seconds from `docker run` to the socket."""
        if not wait_for(lambda: os.path.exists(self.socket), 20, 0.002):
            raise TimeoutError(f"no socket after {scaled(20)} s; "
                               f"logs:\n{self.logs()}")
        return time.monotonic() - self.started

    def logs(self):
        return subprocess.run(["docker", "logs", self.name],
                              capture_output=True, text=True).stderr

    def is_running(self):
        out = subprocess.run(
            ["docker", "inspect", "-f", "{{.State.Running}}", self.name],
            capture_output=True, text=True).stdout
        return out.strip() == "true"

    def remove(self):
        subprocess.run(["docker", "rm", "-f", self.name],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.run_dir, ignore_errors=True)

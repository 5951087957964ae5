"""engine - Docker's Engine API over its unix socket, as pyexec calls it.

create_body() mirrors the HostConfig that fcgi-app/sandbox.c and docker.c
give a sandbox (no network, every capability dropped, read-only root,
tmpfs /tmp and /work, pids and memory limits, an init), so a floor pays
what a pyexec container pays.  Two differences, both cheaper for the
floor: the command runs as the sandbox user from the start (the runner
starts as root with SETUID/SETGID to switch), and there is no bind mount
of the runner's socket directory.
"""

import http.client
import json
import socket
import struct
import urllib.parse

SOCK = "/var/run/docker.sock"
SANDBOX_UID = 10001
MEMORY_MB = 256 + 96            # default_memory_mb + RUNNER_OVERHEAD_MB
TMPFS_MB = 64
PIDS_LIMIT = 128


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class EngineError(Exception):
    pass


class Engine:
    """One keep-alive connection to dockerd; not thread-safe."""

    def __init__(self, sock=SOCK, timeout=300):
        self.conn = UnixHTTPConnection(sock, timeout)

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data else {}
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, data, headers)
                r = self.conn.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                if attempt == 2:
                    raise

    def get_json(self, path):
        try:
            status, raw = self.call("GET", path)
        except (http.client.HTTPException, OSError):
            return None
        return json.loads(raw) if status == 200 else None

    def create(self, body):
        status, raw = self.call("POST", "/containers/create", body)
        if status != 201:
            raise EngineError("create: %d %s" % (status, raw[:200]))
        return json.loads(raw)["Id"]

    def start(self, cid):
        status, raw = self.call("POST", "/containers/%s/start" % cid)
        if status not in (204, 304):
            raise EngineError("start: %d %s" % (status, raw[:200]))

    def wait(self, cid):
        status, raw = self.call("POST", "/containers/%s/wait" % cid)
        if status != 200:
            raise EngineError("wait: %d %s" % (status, raw[:200]))
        return json.loads(raw).get("StatusCode")

    def logs(self, cid):
        """(stdout, stderr) of a container without a TTY."""
        status, raw = self.call(
            "GET", "/containers/%s/logs?stdout=1&stderr=1" % cid)
        if status != 200:
            raise EngineError("logs: %d" % status)
        out, err, i = [], [], 0
        while i + 8 <= len(raw):
            kind, size = raw[i], struct.unpack(">I", raw[i + 4:i + 8])[0]
            (out if kind == 1 else err).append(raw[i + 8:i + 8 + size])
            i += 8 + size
        return b"".join(out).decode(), b"".join(err).decode()

    def follow(self, cid):
        """Yields (stream, line) as the container writes them, until it
        exits; stream 1 is stdout, 2 stderr.  Takes the connection."""
        self.conn.request("GET", "/containers/%s/logs?follow=1&stdout=1"
                          "&stderr=1" % cid)
        r = self.conn.getresponse()
        if r.status != 200:
            raise EngineError("logs: %d" % r.status)
        partial = {1: b"", 2: b""}
        while True:
            head = r.read(8)
            if len(head) < 8:
                break
            kind, size = head[0], struct.unpack(">I", head[4:8])[0]
            data = partial.get(kind, b"") + r.read(size)
            *lines, partial[kind] = data.split(b"\n")
            for line in lines:
                yield kind, line.decode("utf-8", "replace")
        self.conn.close()

    def remove(self, cid):
        status, _ = self.call("DELETE", "/containers/%s?force=1&v=1" % cid)
        return status in (204, 404)

    def list_ids(self, label):
        """Ids of every container, running or not, with label k=v."""
        q = urllib.parse.quote(json.dumps({"label": [label]}))
        got = self.get_json("/containers/json?all=1&filters=" + q) or []
        return [c["Id"] for c in got]

    def close(self):
        self.conn.close()


def create_body(image, cmd, labels, env=None):
    """A create request with pyexec's sandbox options."""
    tmp = "rw,nosuid,nodev,size=%dm" % TMPFS_MB
    return {
        "Image": image,
        "Entrypoint": [cmd[0]],
        "Cmd": list(cmd[1:]),
        "Env": ["%s=%s" % kv for kv in (env or {}).items()],
        "User": "%d:%d" % (SANDBOX_UID, SANDBOX_UID),
        "WorkingDir": "/work",
        "Labels": labels,
        "NetworkDisabled": True,
        "AttachStdin": False,
        "Tty": False,
        "HostConfig": {
            "NetworkMode": "none",
            "CapDrop": ["ALL"],
            "SecurityOpt": ["no-new-privileges"],
            "ReadonlyRootfs": True,
            "IpcMode": "private",
            "Memory": MEMORY_MB << 20,
            "MemorySwap": MEMORY_MB << 20,
            "NanoCpus": 10 ** 9,
            "PidsLimit": PIDS_LIMIT,
            "ShmSize": TMPFS_MB << 20,
            "Init": True,
            "LogConfig": {"Type": "json-file",
                          "Config": {"max-size": "1m", "max-file": "1"}},
            "Tmpfs": {"/tmp": tmp + ",mode=1777",
                      "/work": tmp + ",uid=%d,gid=%d,mode=0700"
                      % (SANDBOX_UID, SANDBOX_UID)},
        },
    }


def run_once(engine, body):
    """create, start, wait, logs, remove: (exit code, stdout, stderr)."""
    cid = engine.create(body)
    try:
        engine.start(cid)
        code = engine.wait(cid)
        out, err = engine.logs(cid)
    finally:
        engine.remove(cid)
    return code, out, err

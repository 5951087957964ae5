"""stack - starts a real pyexec stack for end-to-end tests: pyexec-fcgi
with a temporary data dir and config, and lighttpd with the project's own
lighttpd.conf on a free loopback port.  Requests go through lighttpd over
real HTTP.  Nothing here fakes a part of the product."""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse

SRC = os.environ.get("PYEXEC_SRCDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("PYEXEC_BUILDDIR") or os.path.join(SRC, "build")
LIGHTTPD = os.environ.get("PYEXEC_LIGHTTPD") or shutil.which(
    "lighttpd", path="/usr/sbin:/usr/bin:/sbin:/bin")
OUT = os.environ.get("PYEXEC_TEST_OUT") or os.path.join(BUILD, "tests", "out")
DOCKER_SOCK = "/var/run/docker.sock"
IMAGE = os.environ.get("PYEXEC_TEST_IMAGE", "pyexec-sandbox:latest")

KEY_A = "test-key-alpha-0123456789"
KEY_B = "test-key-bravo-9876543210"

# Program wrappers such as valgrind (PYEXEC_WRAPPER="valgrind --error-exitcode=99")
WRAPPER = os.environ.get("PYEXEC_WRAPPER", "").split()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<Response %d %r>" % (self.status, self.body[:300])


class Stack:
    """One pyexec + lighttpd pair.  conf: extra pyexec.conf keys."""

    def __init__(self, name="stack", conf=None, env=None, keys=(KEY_A, KEY_B)):
        os.makedirs(OUT, exist_ok=True)
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=name + "-", dir=OUT)
        self.data = os.path.join(self.dir, "data")
        # DATA/run/<sandbox>/runner.sock must fit a unix socket path (108
        # bytes): a source tree unpacked at a long path (a release
        # tarball in a home directory) gets its data dirs in /tmp.
        if len(self.data) > 56:
            self.data = tempfile.mkdtemp(prefix="pyexec-e2e-")
        self.keys = list(keys)
        self.key = self.keys[0] if self.keys else None
        self.conf = {
            "data_dir": self.data,
            "workers": 4,
            "image": IMAGE,
            "pool_min_idle": 2,
            "pool_max": 16,
            # A loaded CI machine can take seconds to start a container.
            "pool_wait_ms": 15000,
            "log_level": "info",
        }
        if self.keys:
            self.conf["api_keys"] = ",".join(self.keys)
        self.conf.update(conf or {})
        self.extra_env = env or {}
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.master = None
        self.lighttpd = None

    # ---- life cycle ----

    @property
    def conf_path(self):
        return os.path.join(self.dir, "pyexec.conf")

    @property
    def socket_path(self):
        return os.path.join(self.data, "pyexec.sock")

    @property
    def log_path(self):
        return os.path.join(self.dir, "pyexec.log")

    def write_conf(self):
        with open(self.conf_path, "w") as f:
            f.write("# written by tests/e2e/stack.py\n")
            for k, v in self.conf.items():
                f.write("%s = %s\n" % (k, v))

    def env(self):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("PYEXEC_")}
        env.update(self.extra_env)
        return env

    def start_master(self):
        self.write_conf()
        log = open(self.log_path, "ab")
        cmd = WRAPPER + [os.path.join(BUILD, "pyexec-fcgi"),
                         "--config", self.conf_path]
        # Its own process group, so a test can kill -9 the whole service.
        self.master = subprocess.Popen(cmd, stdout=log, stderr=log,
                                       env=self.env(),
                                       start_new_session=True)
        log.close()
        deadline = time.time() + 30
        while not os.path.exists(self.socket_path):
            if self.master.poll() is not None:
                raise RuntimeError("pyexec-fcgi exited %d:\n%s" % (
                    self.master.returncode, self.log()))
            if time.time() > deadline:
                raise RuntimeError("no socket after 30 s:\n" + self.log())
            time.sleep(0.02)

    def start_lighttpd(self):
        ldir = os.path.join(self.dir, "lighttpd")
        os.makedirs(os.path.join(ldir, "upload"), exist_ok=True)
        env = self.env()
        env.update({
            "PYEXEC_HTTP_BIND": "127.0.0.1",
            "PYEXEC_HTTP_PORT": str(self.port),
            "PYEXEC_STATIC_DIR": os.path.join(SRC, "static"),
            "PYEXEC_FCGI_SOCKET": self.socket_path,
            "PYEXEC_LIGHTTPD_DIR": ldir,
            "PYEXEC_MAX_BODY_KB": str(64 * 1024),
        })
        self.lighttpd = subprocess.Popen(
            [LIGHTTPD, "-D", "-f", os.path.join(SRC, "lighttpd.conf")],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                if self.lighttpd.poll() is not None or time.time() > deadline:
                    raise RuntimeError("lighttpd did not start")
                time.sleep(0.02)

    def start(self):
        self.start_master()
        self.start_lighttpd()
        return self

    def wait_healthy(self, timeout=90):
        """Waits for /health 200 and a full warm pool."""
        deadline = time.time() + timeout
        last = None
        want = int(self.conf.get("pool_min_idle", 0))
        while time.time() < deadline:
            last = self.get("/health")
            if last.status == 200 and last.json["pool"]["idle"] >= want:
                return last
            time.sleep(0.1)
        raise RuntimeError("not healthy after %ds: %r\n%s" % (
            timeout, last, self.log()[-3000:]))

    def stop_master(self, timeout=60):
        if self.master and self.master.poll() is None:
            self.master.send_signal(signal.SIGTERM)
            try:
                self.master.wait(timeout)
            except subprocess.TimeoutExpired:
                self.master.kill()
                self.master.wait()
                raise RuntimeError("pyexec-fcgi did not drain in %ds" % timeout)
        return self.master.returncode if self.master else None

    def stop(self):
        rc = None
        try:
            rc = self.stop_master()
        finally:
            if self.lighttpd and self.lighttpd.poll() is None:
                self.lighttpd.terminate()
                self.lighttpd.wait(10)
        return rc

    def crash(self):
        """kill -9 of the master, its workers and its keeper at once."""
        os.killpg(self.master.pid, signal.SIGKILL)
        self.master.wait()

    def restart_master(self):
        self.stop_master()
        self.start_master()

    # ---- introspection ----

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def children(self):
        """pids of the master's children (workers and keeper)."""
        out = subprocess.run(["ps", "-o", "pid=", "--ppid",
                              str(self.master.pid)],
                             capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def instance_id(self):
        import sqlite3
        db = sqlite3.connect(os.path.join(self.data, "pyexec.db"))
        try:
            return db.execute("SELECT value FROM meta WHERE key = "
                              "'instance_id'").fetchone()[0]
        finally:
            db.close()

    def db(self):
        import sqlite3
        return sqlite3.connect(os.path.join(self.data, "pyexec.db"),
                               timeout=30)

    # ---- HTTP ----

    def request(self, method, path, body=None, headers=None, key=True,
                timeout=120):
        h = {}
        if key is True and self.key:
            h["Authorization"] = "Bearer " + self.key
        elif isinstance(key, str):
            h["Authorization"] = "Bearer " + key
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        elif isinstance(body, str):
            body = body.encode()
        h.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            return Response(r.status, r.getheaders(), r.read())
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def execute(self, code, **fields):
        key = fields.pop("_key", True)
        body = {"code": code}
        body.update(fields)
        return self.post("/execute", body, key=key)


def query(params):
    return urllib.parse.urlencode(params)

"""stack - starts a real pyexec stack for end-to-end tests: pyexec-fcgi
with a temporary data dir and config, and lighttpd with the project's own
lighttpd.conf on a free loopback port.  Requests go through lighttpd over
real HTTP.  Nothing here fakes a part of the product."""

import http.client
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import urllib.parse

from .net import free_port, wait_listening
from .waits import scaled, wait_for

SRC = os.environ.get("PYEXEC_SRCDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("PYEXEC_BUILDDIR") or os.path.join(SRC, "build")
LIGHTTPD = os.environ.get("PYEXEC_LIGHTTPD") or shutil.which(
    "lighttpd", path="/usr/sbin:/usr/bin:/sbin:/bin")
OUT = os.environ.get("PYEXEC_TEST_OUT") or os.path.join(BUILD, "tests", "out")
DOCKER_SOCK = "/var/run/docker.sock"
IMAGE = os.environ.get("PYEXEC_TEST_IMAGE", "pyexec-sandbox:latest")

# executions.id is "<key id>/<id>" (ids are unique per key): the id a
# client knows.
UNSCOPED = "substr(id, length(key_id) + 2)"

KEY_A = "test-key-alpha-0123456789"
KEY_B = "test-key-bravo-9876543210"

# A program wrapper, such as
# PYEXEC_WRAPPER="valgrind --error-exitcode=99"
WRAPPER = os.environ.get("PYEXEC_WRAPPER", "").split()


def read_log(path):
    """A log file's text so far ("" before it exists)."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def read_instance_id(db_path):
    """The instance id a pyexec data dir's database holds (its containers
    carry it as the label pyexec.instance).  Raises when there is none."""
    if not os.path.exists(db_path):
        raise FileNotFoundError(db_path)
    db = sqlite3.connect(db_path, timeout=30)
    try:
        return db.execute("SELECT value FROM meta WHERE key = "
                          "'instance_id'").fetchone()[0]
    finally:
        db.close()


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
            "queue_wait": scaled(15),
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
        self.iid = None         # the instance id, once started

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
            f.write("# written by tests/pyexec_test/stack.py\n")
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
        wait_for(lambda: os.path.exists(self.socket_path)
                 or self.master.poll() is not None, 30, 0.02)
        if self.master.poll() is not None:
            raise RuntimeError("pyexec-fcgi exited %d:\n%s" % (
                self.master.returncode, self.log()))
        if not os.path.exists(self.socket_path):
            raise RuntimeError("no socket after %d s:\n%s" % (
                scaled(30), self.log()))
        # The database exists by now: the leak check at the end needs
        # the instance id, whatever state the stack is in then.
        self.iid = read_instance_id(self.db_path)

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
        if not wait_listening(self.port, self.lighttpd):
            raise RuntimeError("lighttpd did not start")

    def start(self):
        self.start_master()
        self.start_lighttpd()
        return self

    def wait_healthy(self, timeout=90):
        """Waits for /health 200 and a full warm pool."""
        return self.wait_idle(int(self.conf.get("pool_min_idle", 0)),
                              timeout)

    def wait_idle(self, n, timeout=90):
        """Waits for /health 200 with at least n idle containers."""
        def ready():
            r = self.get("/health", key=False)
            return r if r.status == 200 and r.json["pool"]["idle"] >= n \
                else None
        r = wait_for(ready, timeout)
        if not r:
            raise RuntimeError("not healthy with %d idle after %d s: %r\n%s"
                               % (n, scaled(timeout),
                                  self.get("/health", key=False),
                                  self.log()[-3000:]))
        return r

    def stop_master(self, timeout=60):
        if self.master and self.master.poll() is None:
            self.master.send_signal(signal.SIGTERM)
            try:
                self.master.wait(scaled(timeout))
            except subprocess.TimeoutExpired:
                self.master.kill()
                self.master.wait()
                raise RuntimeError("pyexec-fcgi did not drain in %d s"
                                   % scaled(timeout))
        return self.master.returncode if self.master else None

    def stop(self):
        rc = None
        try:
            rc = self.stop_master()
        finally:
            if self.lighttpd and self.lighttpd.poll() is None:
                self.lighttpd.terminate()
                self.lighttpd.wait(scaled(10))
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
        return read_log(self.log_path)

    def n_children(self):
        """How many children the master keeps: the workers, the keeper,
        the async executors (default 2) and the webhook deliverer."""
        return int(self.conf["workers"]) + 1 \
            + int(self.conf.get("async_executors", 2)) + 1

    def children(self):
        """pids of the master's children (workers and keeper)."""
        out = subprocess.run(["ps", "-o", "pid=", "--ppid",
                              str(self.master.pid)],
                             capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def helpers(self):
        """pids of the master's children other than workers (keeper,
        executors, deliverer): the pool grows and shrinks its workers
        under load, these stay for the master's life."""
        out = []
        for pid in self.children():
            try:
                with open("/proc/%d/comm" % pid) as f:
                    if f.read().strip() != "pyexec-worker":
                        out.append(pid)
            except FileNotFoundError:
                pass
        return out

    @property
    def db_path(self):
        return os.path.join(self.data, "pyexec.db")

    def db(self):
        return sqlite3.connect(self.db_path, timeout=30)

    def query(self, sql, *args):
        """All rows of one SELECT on the stack's database."""
        db = self.db()
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    def running_execution(self):
        """(id, worker_pid, container) of an execution that is running,
        or None."""
        rows = self.query("SELECT " + UNSCOPED + ", worker_pid, container"
                          " FROM executions WHERE status = 'running'")
        return rows[0] if rows else None

    def record(self, execution_id):
        """(status, error) of an execution's record."""
        return self.query("SELECT status, error FROM executions WHERE "
                          + UNSCOPED + " = ?", execution_id)[0]

    def container_of(self, execution_id):
        """The container an execution ran in, or None."""
        rows = self.query("SELECT container FROM executions WHERE "
                          + UNSCOPED + " = ?", execution_id)
        return rows[0][0] if rows else None

    def containers(self, state=None):
        """Names of the containers the pool table knows (in one state)."""
        if state is None:
            return [r[0] for r in self.query("SELECT name FROM containers")]
        return [r[0] for r in self.query(
            "SELECT name FROM containers WHERE state = ?", state)]

    # ---- HTTP ----

    def request(self, method, path, body=None, headers=None, key=True,
                timeout=None):
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
                                          timeout=timeout or scaled(120))
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

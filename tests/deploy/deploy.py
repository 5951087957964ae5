"""deploy - the harness of the deployment suite.  Everything runs from an
installed tree ("make install" of a build configured with
--prefix=BUILD/inst), with the front-end configs and systemd units that
tree installed: real lighttpd, Apache 2.4 and nginx on loopback ports,
with TLS from a throwaway certificate, in front of a real pyexec-fcgi and
dockerd.  Nothing talks to anything but 127.0.0.1."""

import grp
import http.client
import json
import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile

from pyexec_test import docker
from pyexec_test.net import free_port, wait_listening
from pyexec_test.stack import read_instance_id, read_log
from pyexec_test.waits import scaled, wait_for

SRC = os.environ.get("PYEXEC_SRCDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("PYEXEC_DEPLOY_BUILDDIR") or os.path.join(
    SRC, "build-deploy")
IMAGE = os.environ.get("PYEXEC_TEST_IMAGE", "pyexec-sandbox:latest")
KEY = "deploy-test-key-0123456789abcdef"
WEB_USER = "www-data"
# The user a spawning front end (bin-path, mod_fcgid) runs pyexec as:
# the web server's user with docker as its group, as the configs say.
SPAWN_GROUP = "docker"
# Clients connect from this loopback address, so that pyexec's access
# log shows the client's address rather than the front end's.
CLIENT_ADDR = "127.0.0.7"

LIGHTTPD = shutil.which("lighttpd", path="/usr/sbin:/usr/bin")
APACHE = shutil.which("apache2", path="/usr/sbin:/usr/bin")
NGINX = shutil.which("nginx", path="/usr/sbin:/usr/bin")
APACHE_MODULES = "/usr/lib/apache2/modules"


def run(cmd, **kw):
    kw.setdefault("check", True)
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run(cmd, **kw)


# ---- the installed tree ----

class Tree:
    """BUILD configured with --prefix=BUILD/inst; the GNU defaults give
    the rest of the layout."""

    def __init__(self, build=BUILD):
        self.build = build
        self.prefix = os.path.join(build, "inst")
        self.sbin = os.path.join(self.prefix, "sbin")
        self.etc = os.path.join(self.prefix, "etc", "pyexec")
        self.conf = os.path.join(self.etc, "pyexec.conf")
        self.pkgdata = os.path.join(self.prefix, "share", "pyexec")
        self.deploy = os.path.join(self.pkgdata, "deploy")
        self.man = os.path.join(self.prefix, "share", "man")
        self.data = os.path.join(self.prefix, "var", "lib", "pyexec")
        self.run = os.path.join(self.prefix, "var", "run")
        self.units = os.path.join(self.prefix, "lib", "systemd", "system")

    def prog(self, name):
        return os.path.join(self.sbin, name)

    def configure_and_build(self):
        os.makedirs(self.build, exist_ok=True)
        if not os.path.exists(os.path.join(self.build, "Makefile")):
            if not os.path.exists(os.path.join(SRC, "configure")):
                run(["./autogen.sh"], cwd=SRC)
            run([os.path.join(SRC, "configure"), "-q",
                 "--prefix=" + self.prefix, "--disable-e2e",
                 "--disable-fuzz"], cwd=self.build)
        run(["make", "-s", "-j%d" % (os.cpu_count() or 2)], cwd=self.build)

    def make(self, *args, **kw):
        return run(["make", "-s", "-C", self.build] + list(args), **kw)

    def install(self):
        self.remove()
        self.make("install")

    def remove(self):
        if os.path.isdir(self.prefix):
            shutil.rmtree(self.prefix)

    def set_conf(self, **keys):
        """Appends keys to the installed pyexec.conf, as an admin would."""
        with open(self.conf, "a") as f:
            f.write("\n# set by tests/deploy\n")
            for k, v in keys.items():
                f.write("%s = %s\n" % (k, v))

    def unit(self, name):
        """The [Section] Key=value lines of an installed unit."""
        out = {}
        with open(os.path.join(self.units, name)) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith(("#", "[")) and "=" in line:
                    k, v = line.split("=", 1)
                    out.setdefault(k, v)
        return out

    def chown_data(self, user, group):
        uid = int(run(["id", "-u", user]).stdout)
        gid = grp.getgrnam(group).gr_gid
        for root, dirs, files in os.walk(self.data):
            for n in dirs + files:
                os.lchown(os.path.join(root, n), uid, gid)
        os.chown(self.data, uid, gid)
        os.chmod(self.data, 0o750)

    def remove_containers(self):
        """Removes the containers of the installed instance; returns their
        names.  Without a database pyexec never ran, so none can exist; a
        database without an instance id raises."""
        path = os.path.join(self.data, "pyexec.db")
        if not os.path.exists(path):
            return []
        names = docker.instance_containers(read_instance_id(path))
        docker.remove(names)
        return names


def descendants(pid):
    """pid and every process under it, with their comm names."""
    rows = run(["ps", "-e", "-o", "pid=,ppid=,comm="]).stdout.splitlines()
    kids, comm = {}, {}
    for r in rows:
        p, pp, c = r.split(None, 2)
        kids.setdefault(int(pp), []).append(int(p))
        comm[int(p)] = c.strip()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append((p, comm.get(p, "?")))
        todo.extend(kids.get(p, []))
    return out


# ---- pyexec-fcgi as systemd starts it ----

class Daemon:
    """pyexec-fcgi started the way pyexec.socket + pyexec.service start
    it: the socket is made from the installed socket unit (path, group,
    mode, backlog) and handed over on stdin, and the command line is the
    service's ExecStart.  Runs as root here (the suite can't make the
    pyexec user); the spawning front ends run it as www-data."""

    def __init__(self, tree, workdir):
        self.tree = tree
        self.log_path = os.path.join(workdir, "pyexec.log")
        self.proc = None
        sock = tree.unit("pyexec.socket")
        self.socket_path = sock["ListenStream"]
        self.socket_group = sock["SocketGroup"]
        self.socket_mode = int(sock["SocketMode"], 8)
        self.backlog = int(sock.get("Backlog", "128"))
        self.argv = shlex.split(tree.unit("pyexec.service")["ExecStart"])

    def start(self):
        os.makedirs(os.path.dirname(self.socket_path), exist_ok=True)
        if os.path.exists(self.socket_path):
            os.unlink(self.socket_path)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(self.socket_path)
        os.chown(self.socket_path, 0, grp.getgrnam(self.socket_group).gr_gid)
        os.chmod(self.socket_path, self.socket_mode)
        s.listen(self.backlog)
        log = open(self.log_path, "ab")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("PYEXEC_")}
        self.proc = subprocess.Popen(self.argv, stdin=s.fileno(), stdout=log,
                                     stderr=log, env=env)
        s.close()
        log.close()
        wait_for(lambda: "workers on fd 0" in self.log()
                 or self.proc.poll() is not None, 20, 0.05)
        if "workers on fd 0" not in self.log() or self.proc.poll() is not None:
            raise RuntimeError("pyexec-fcgi did not start:\n" + self.log())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(scaled(60))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        if os.path.exists(self.socket_path):
            os.unlink(self.socket_path)
        return self.proc.returncode if self.proc else None

    def log(self):
        return read_log(self.log_path)


# ---- front ends ----

class FrontEnd:
    """One web server with a plain and a TLS port on 127.0.0.1, including
    the installed config snippet.  spawns: it starts pyexec-fcgi itself
    (else a Daemon must be running)."""

    name = "?"
    spawns = False
    # True when the front end sends pyexec one request at a time.
    serializes = False
    # False when the plain port only redirects to the TLS one.
    plain_serves_api = True
    # What answers a body over max_body_bytes: pyexec's JSON 413.
    server = None

    def __init__(self, tree, workdir, cert, key):
        self.tree = tree
        self.dir = os.path.join(workdir, self.name)
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        # lighttpd opens its logs after dropping to its user.
        shutil.chown(self.dir, WEB_USER)
        self.cert, self.key = cert, key
        self.port = free_port()
        self.tls_port = free_port()
        self.proc = None
        self.error_log = os.path.join(self.dir, "error.log")

    def snippet(self, *parts):
        return os.path.join(self.tree.deploy, *parts)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def start(self):
        argv = self.configure()
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(
                                         self.dir, "stderr.log"), "ab"),
                                     cwd=self.dir)
        for port in (self.port, self.tls_port):
            if not wait_listening(port, self.proc):
                raise RuntimeError("%s did not start: %s" % (
                    self.name, self.logs()[-3000:]))

    def stop(self):
        """Stops the server and waits for a pyexec it spawned to drain."""
        if not self.proc or self.proc.poll() is not None:
            return
        ours = [p for p, c in descendants(self.proc.pid)
                if c.startswith("pyexec-")]
        self.proc.send_signal(self.stop_signal)
        try:
            self.proc.wait(scaled(60))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if not wait_for(lambda: not any(os.path.exists("/proc/%d" % p)
                                        for p in ours), 60):
            raise RuntimeError("pyexec did not drain after %s stopped"
                               % self.name)

    stop_signal = signal.SIGTERM

    def logs(self):
        """The front end's error log (where a spawned pyexec writes)."""
        return "".join(read_log(os.path.join(self.dir, n))
                       for n in ("error.log", "stderr.log"))

    # ---- HTTP ----

    def connection(self, tls=False, timeout=None):
        timeout = timeout or scaled(120)
        if tls:
            ctx = ssl.create_default_context(cafile=self.cert)
            return http.client.HTTPSConnection(
                "127.0.0.1", self.tls_port, timeout=timeout, context=ctx,
                source_address=(CLIENT_ADDR, 0))
        return http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout,
                                          source_address=(CLIENT_ADDR, 0))

    def request(self, method, path, body=None, headers=None, tls=False,
                key=True):
        h = {}
        if key:
            h["Authorization"] = "Bearer " + KEY
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        conn = self.connection(tls)
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            return r.status, dict((k.lower(), v) for k, v in
                                  r.getheaders()), r.read()
        finally:
            conn.close()

    def base_url(self, tls):
        return "%s://127.0.0.1:%d" % ("https" if tls else "http",
                                      self.tls_port if tls else self.port)


class Lighttpd(FrontEnd):
    name = "lighttpd"
    include = ("lighttpd", "pyexec-fastcgi.conf")

    def configure(self):
        os.makedirs(os.path.join(self.dir, "upload"), exist_ok=True)
        shutil.chown(os.path.join(self.dir, "upload"), WEB_USER)
        conf = self.write("lighttpd.conf", """
server.modules = ( "mod_access", "mod_accesslog", "mod_openssl" )
server.bind = "127.0.0.1"
server.port = %(port)d
server.username = "%(user)s"
server.groupname = "%(group)s"
server.errorlog = "%(dir)s/error.log"
server.upload-dirs = ( "%(dir)s/upload" )
mimetype.assign = ( ".html" => "text/html",
                    ".json" => "application/json" )
$SERVER["socket"] == "127.0.0.1:%(tls_port)d" {
    ssl.engine = "enable"
    ssl.pemfile = "%(cert)s"
    ssl.privkey = "%(key)s"
}
include "%(snippet)s"
""" % dict(port=self.port, tls_port=self.tls_port, dir=self.dir,
           cert=self.cert, key=self.key, user=WEB_USER,
           group=SPAWN_GROUP if self.spawns else WEB_USER,
           snippet=self.snippet(*self.include)))
        return [LIGHTTPD, "-D", "-f", conf]

    stop_signal = signal.SIGINT


class LighttpdBinPath(Lighttpd):
    name = "lighttpd-binpath"
    spawns = True
    include = ("lighttpd", "pyexec-binpath.conf")

    def configure(self):
        d = os.path.join(self.tree.run, "lighttpd")
        os.makedirs(d, exist_ok=True)
        shutil.chown(d, WEB_USER, SPAWN_GROUP)
        return super().configure()


class Apache(FrontEnd):
    name = "apache-proxy-fcgi"
    include = ("apache", "pyexec-proxy-fcgi.conf")
    modules = ("mpm_event", "authz_core", "dir", "mime", "ssl",
               "socache_shmcb", "proxy", "proxy_fcgi", "setenvif")
    stop_signal = signal.SIGTERM

    def extra(self):
        return ""

    def configure(self):
        loads = "\n".join("LoadModule %s_module %s/mod_%s.so" % (
            m, APACHE_MODULES, m) for m in self.modules)
        vhost = """    ServerName 127.0.0.1
    Include %s
""" % self.snippet(*self.include)
        plain = vhost if self.plain_serves_api else \
            "    Redirect permanent / https://127.0.0.1:%d/\n" % self.tls_port
        conf = self.write("apache2.conf", """
ServerRoot "%(dir)s"
%(loads)s
Listen 127.0.0.1:%(port)d
Listen 127.0.0.1:%(tls_port)d
PidFile "%(dir)s/apache2.pid"
DefaultRuntimeDir "%(dir)s"
Mutex file:%(dir)s default
ErrorLog "%(dir)s/error.log"
LogLevel warn
User %(user)s
Group %(group)s
ServerName 127.0.0.1
TypesConfig /etc/mime.types
SSLSessionCache "shmcb:%(dir)s/ssl_scache(512000)"
%(extra)s
<VirtualHost 127.0.0.1:%(port)d>
%(plain)s</VirtualHost>
<VirtualHost 127.0.0.1:%(tls_port)d>
    SSLEngine on
    SSLCertificateFile "%(cert)s"
    SSLCertificateKeyFile "%(key)s"
%(vhost)s</VirtualHost>
""" % dict(dir=self.dir, loads=loads, port=self.port,
           tls_port=self.tls_port, user=WEB_USER,
           group=SPAWN_GROUP if self.spawns else WEB_USER,
           extra=self.extra(), vhost=vhost, plain=plain, cert=self.cert,
           key=self.key))
        return [APACHE, "-f", conf, "-DFOREGROUND"]


class ApacheFcgid(Apache):
    name = "apache-fcgid"
    spawns = True
    serializes = True
    # One virtual host only (one mod_fcgid class, one master): the
    # plain-HTTP one redirects, as the snippet says.
    plain_serves_api = False
    include = ("apache", "pyexec-fcgid.conf")
    modules = ("mpm_event", "authz_core", "dir", "mime", "ssl",
               "socache_shmcb", "alias", "fcgid")

    def extra(self):
        # Server-wide settings Debian's fcgid.conf makes.
        ipc = os.path.join(self.dir, "fcgid")
        os.makedirs(ipc, exist_ok=True)
        shutil.chown(ipc, WEB_USER, SPAWN_GROUP)
        return ('FcgidIPCDir "%s"\nFcgidProcessTableFile "%s/fcgid_shm"\n'
                % (ipc, self.dir))


class Nginx(FrontEnd):
    name = "nginx"

    def configure(self):
        conf = self.write("nginx.conf", """
user %(user)s;
worker_processes 2;
daemon off;
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log warn;
events { worker_connections 512; }
http {
    types { text/html html; application/json json; }
    access_log off;
    client_body_temp_path %(dir)s/body;
    proxy_temp_path %(dir)s/proxy;
    fastcgi_temp_path %(dir)s/fastcgi;
    uwsgi_temp_path %(dir)s/uwsgi;
    scgi_temp_path %(dir)s/scgi;
    server {
        listen 127.0.0.1:%(port)d;
        server_name 127.0.0.1;
        include %(snippet)s;
    }
    server {
        listen 127.0.0.1:%(tls_port)d ssl;
        server_name 127.0.0.1;
        ssl_certificate %(cert)s;
        ssl_certificate_key %(key)s;
        include %(snippet)s;
    }
}
""" % dict(user=WEB_USER, dir=self.dir, port=self.port,
           tls_port=self.tls_port, cert=self.cert, key=self.key,
           snippet=self.snippet("nginx", "pyexec.conf")))
        return [NGINX, "-p", self.dir, "-c", conf]

    stop_signal = signal.SIGQUIT


FRONT_ENDS = {c.name: c for c in (Lighttpd, LighttpdBinPath, Apache,
                                  ApacheFcgid, Nginx)}


def make_cert(workdir):
    cert = os.path.join(workdir, "cert.pem")
    key = os.path.join(workdir, "key.pem")
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", key, "-out", cert])
    os.chmod(key, 0o600)
    return cert, key


def workdir():
    out = os.path.join(BUILD, "deploy-out")
    os.makedirs(out, exist_ok=True)
    d = tempfile.mkdtemp(prefix="run-", dir=out)
    os.chmod(d, 0o755)
    return d


def access_line(text, request_id):
    """pyexec's access-log line of one request, or None."""
    for line in text.splitlines():
        if "req=%s" % request_id in line and re.search(
                r"\d+\.\d+ms key=", line):
            return line
    return None

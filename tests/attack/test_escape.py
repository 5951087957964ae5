"""Escape attempts: reading the host's secrets, reaching dockerd,
writing outside the work dir, the network, privilege gain through
/proc/self/exe, setuid binaries, setuid(2), ptrace, signals, user
namespaces and keyrings.  Each runs with the policy on and off."""

import errno

import attacklib
from attacklib import PROCS, SECRET, TRY
from pyexec_test.stack import KEY_A, KEY_B

# errno names as the probes print them
EACCES, EROFS, EPERM = "EACCES", "EROFS", "EPERM"


def lines_of(j):
    assert j["status"] == "completed", j
    return j["stdout"].splitlines()


def test_etc_shadow_is_not_readable(atk):
    j = atk.run("import errno\n"
                "try:\n    print(open('/etc/shadow').read())\n"
                "except OSError as e:\n    print(errno.errorcode[e.errno])\n")
    assert lines_of(j) == [EACCES]
    atk.held("container: /etc/shadow is root's 0640, code runs as uid 10001")


def test_host_environment_is_unreadable(atk):
    """The planted marker (and the API keys) appear in nothing the code
    can read: its environment, every /proc/*/environ and cmdline it may
    open, and the small files of /etc, /run, /tmp, /work and /dev/shm."""
    code = PROCS + r"""
import os, sys
needles = [n.encode() for n in NEEDLES]
found, read, denied = [], 0, 0
def look(path, data):
    for n in needles:
        if n in data:
            found.append(path)
for k, v in os.environ.items():
    look('environ:' + k, (k + '=' + v).encode())
for p in os.listdir('/proc'):
    if not (p.isdigit() or p == 'self'):
        continue
    for f in ('environ', 'cmdline'):
        try:
            with open('/proc/%s/%s' % (p, f), 'rb') as fh:
                look('/proc/%s/%s' % (p, f), fh.read())
                read += 1
        except OSError:
            denied += 1
for top in ('/etc', '/run', '/tmp', '/work', '/dev/shm', '/opt/pyexec'):
    for d, dirs, files in os.walk(top):
        for name in files:
            path = os.path.join(d, name)
            try:
                if os.path.islink(path) or os.path.getsize(path) > 1 << 20:
                    continue
                with open(path, 'rb') as fh:
                    look(path, fh.read())
            except OSError:
                pass
with open('/proc/1/cmdline', 'rb') as f:
    print('pid1', f.read().split(b'\0')[0].decode())
try:
    open('/proc/1/environ', 'rb').read()
    print('pid1 environ readable')
except OSError as e:
    print('pid1 environ', e.errno)
print('read', read > 0, 'found', found)
"""
    j = atk.run(code, variables={"NEEDLES": [SECRET, KEY_A, KEY_B]})
    out = lines_of(j)
    # PID 1 is the container's docker-init, not the host's init, and its
    # environment is root's.
    assert out[0] == "pid1 /sbin/docker-init", out
    assert out[1] == "pid1 environ %d" % errno.EACCES, out
    assert out[2] == "read True found []", out
    assert SECRET not in j["stdout"]
    atk.held("container: own PID namespace and environment; root's "
             "/proc/PID/environ unreadable by uid 10001")


def test_no_host_process_is_visible(atk):
    j = atk.run(PROCS + "for l in _procs():\n    print(l)\n")
    procs = attacklib.procs_in(j["stdout"])
    cmds = [l.split(None, 3)[3] if len(l.split()) > 3 else "" for l in procs]
    assert cmds[0].startswith("/sbin/docker-init"), procs
    # docker-init, the runner and its helpers (root), the program: no
    # pyexec-fcgi, lighttpd, dockerd or anything else of the host.
    for c in cmds:
        # ("" is a process between its exit and its reaping)
        assert c == "" or c.startswith((
            "/sbin/docker-init", "python3 -I -B /opt/pyexec/runner.py")), procs
    assert len(procs) < 12, procs
    atk.held("container: own PID namespace")


def test_docker_socket_is_absent(atk):
    code = r"""
import os, stat
for p in ('/var/run/docker.sock', '/run/docker.sock',
          '/run/containerd/containerd.sock', '/var/run/docker',
          '/run/containerd'):
    print(p, os.path.exists(p))
socks = []
for top in ('/run', '/var', '/tmp', '/dev', '/opt', '/etc', '/usr', '/work'):
    for d, dirs, files in os.walk(top):
        for name in dirs + files:
            try:
                if stat.S_ISSOCK(os.lstat(os.path.join(d, name)).st_mode):
                    socks.append(os.path.join(d, name))
            except OSError:
                pass
print('sockets', socks)
# Every unix socket in the container's network namespace (abstract ones
# too) is the runner's own.
rows = open('/proc/net/unix').read().splitlines()[1:]
paths = [r.split()[7] for r in rows if len(r.split()) > 7]
print('unix', sorted(set(p for p in paths
                         if not p.startswith('/run/pyexec/'))))
"""
    # Walking /usr takes seconds on a loaded machine.
    out = lines_of(atk.run(code, timeout=60))
    assert all(l.endswith(" False") for l in out[:5]), out
    assert out[5] == "sockets []", out
    assert out[6] == "unix []", out
    atk.held("container: no Docker socket mounted; own network namespace "
             "(no abstract socket of the host)")


def test_runner_socket_dir_is_closed_to_user_code(atk):
    code = TRY + r"""
print(t(lambda: os.listdir('/run/pyexec')))
print(t(lambda: os.stat('/run/pyexec/runner.sock')))
print(t(lambda: open('/run/pyexec/x', 'w')))
print(t(lambda: os.mkdir('/run/pyexec/x')))
print(t(lambda: os.chmod('/run/pyexec', 0o777)))
"""
    out = lines_of(atk.run(code))
    assert out == [EACCES, EACCES, EACCES, EACCES, EPERM], out
    atk.held("container: /run/pyexec is 0770 root and uid 10001 has no "
             "supplementary group")


def test_writing_outside_the_work_dir_fails(atk):
    code = TRY + r"""
for d in ('/', '/usr', '/usr/lib/python3.11', '/etc', '/opt/pyexec',
          '/opt/pyexec/pyexec_runner', '/var/tmp', '/root', '/run', '/home',
          '/dev', '/sys/fs/cgroup'):
    print(d, t(lambda: open(os.path.join(d, 'pwned'), 'w').close()))
print('runner.py', t(lambda: open('/opt/pyexec/runner.py', 'a').close()))
print('chmod', t(lambda: os.chmod('/opt/pyexec/runner.py', 0o777)))
print('unlink', t(lambda: os.unlink('/opt/pyexec/runner.py')))
print('python', t(lambda: open('/usr/bin/python3', 'r+b').close()))
print('passwd', t(lambda: open('/etc/passwd', 'a').close()))
print('link', t(lambda: os.link('/etc/passwd', '/work/passwd')))
print('work', t(lambda: open('/work/fine', 'w').close()))
"""
    out = dict(l.rsplit(" ", 1) for l in lines_of(atk.run(code)))
    for d in ("/", "/usr", "/usr/lib/python3.11", "/etc", "/opt/pyexec",
              "/opt/pyexec/pyexec_runner", "/var/tmp", "/run", "/home"):
        assert out[d] == EROFS, (d, out)
    for d in ("/root", "/dev", "/sys/fs/cgroup"):
        assert out[d] in (EACCES, EROFS), (d, out)
    assert out["runner.py"] in (EACCES, EROFS), out
    assert out["chmod"] in (EPERM, EROFS), out
    assert out["unlink"] in (EACCES, EROFS), out
    assert out["python"] in (EACCES, EROFS), out
    assert out["passwd"] in (EACCES, EROFS), out
    assert out["link"] == "EXDEV", out          # no hard link into tmpfs
    assert out["work"] == "ok", out
    atk.held("container: read-only root (EROFS), root-owned files (EACCES)")


def test_only_loopback_and_no_routes(atk):
    """Interfaces and routes as the kernel lists them: no packet is sent."""
    code = r"""
def rows(path, skip):
    try:
        return open(path).read().splitlines()[skip:]
    except OSError:
        return []
print('dev', sorted(l.split(':')[0].strip() for l in rows('/proc/net/dev', 2)))
print('route', rows('/proc/net/route', 1))
print('if_inet6', sorted(l.split()[-1] for l in rows('/proc/net/if_inet6', 0)))
v6 = [l.split() for l in rows('/proc/net/ipv6_route', 0)]
print('ipv6_route', sorted(set(r[-1] for r in v6)))
import os
print('sys', sorted(os.listdir('/sys/class/net')))
"""
    out = lines_of(atk.run(code))
    assert out[0] == "dev ['lo']", out
    assert out[1] == "route []", out
    assert out[2] in ("if_inet6 ['lo']", "if_inet6 []"), out
    assert out[3] in ("ipv6_route ['lo']", "ipv6_route []"), out
    assert out[4] == "sys ['lo']", out
    atk.held("container: network none (only lo, no route)")


def test_if_nameindex_is_loopback_only(atk):
    j = atk.run("import socket\nprint(socket.if_nameindex())",
                blocked=("import", "socket"))
    if j is None:
        return
    assert lines_of(j) == ["[(1, 'lo')]"]
    atk.held("container: network none")


def test_service_port_is_not_reachable_on_loopback(atk):
    """The lighttpd port of this very stack, on 127.0.0.1 and ::1: the
    container's loopback is its own, so nothing listens there."""
    code = r"""
import errno, socket
for fam, host in ((socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect((host, PORT))
        print(host, 'connected')
    except OSError as e:
        print(host, errno.errorcode.get(e.errno, e.errno))
    finally:
        s.close()
"""
    j = atk.run(code, variables={"PORT": atk.st.port},
                blocked=("import", "socket"))
    if j is None:
        return
    out = lines_of(j)
    assert out[0] == "127.0.0.1 ECONNREFUSED", out
    assert out[1] in ("::1 ECONNREFUSED", "::1 EADDRNOTAVAIL",
                      "::1 ENETUNREACH"), out
    atk.held("container: own network namespace (its loopback is its own)")


CAPS = r"""
import os
def caps():
    st = dict(l.split(':', 1) for l in open('/proc/self/status')
              if ':' in l)
    return {k: st[k].strip() for k in ('CapInh', 'CapPrm', 'CapEff',
                                       'CapAmb', 'CapBnd', 'NoNewPrivs')}
"""


def test_reexecuting_the_interpreter_gains_nothing(atk):
    code = CAPS + r"""
import os, sys
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.dup2(w, 1)
    os.execv('/proc/self/exe', ['python3', '-c',
        'import os; s = dict(l.split(":", 1)'
        ' for l in open("/proc/self/status")'
        ' if ":" in l); print(os.getresuid(), os.getresgid(), os.getgroups(),'
        ' s["CapEff"].strip(), s["CapPrm"].strip(), s["NoNewPrivs"].strip())'])
os.close(w)
print(os.read(r, 4096).decode().strip())
os.waitpid(pid, 0)
"""
    j = atk.run(code, blocked=("call", "os.fork"))
    if j is None:
        return
    assert lines_of(j) == ["(10001, 10001, 10001) (10001, 10001, 10001) [] "
                           "0000000000000000 0000000000000000 1"], j
    atk.held("container: uid 10001, empty capability sets, "
             "no-new-privileges survive exec")


def test_setuid_binaries_give_no_privilege(atk):
    """Every setuid/setgid file of the image, tried: no-new-privileges
    means the kernel ignores the bit."""
    code = r"""
import os, stat, subprocess
found = []
for top in ('/usr', '/bin', '/sbin', '/opt', '/etc', '/var'):
    for d, dirs, files in os.walk(top):
        for n in files:
            p = os.path.join(d, n)
            try:
                m = os.lstat(p).st_mode
            except OSError:
                continue
            if stat.S_ISREG(m) and m & (stat.S_ISUID | stat.S_ISGID):
                found.append(p)
print('found', len(found), ' '.join(sorted(found)))
def run(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, input='\n',
                           timeout=20)
        return r.returncode
    except OSError as e:
        return 'oserror'
print('su', run(['su', 'root', '-c', 'touch /tmp/pwned-su']))
print('mount', run(['mount', '-t', 'tmpfs', 'x', '/mnt']))
print('umount', run(['umount', '/work']))
print('passwd', run(['passwd', '-d', 'root']))
print('newgrp', run(['newgrp', 'root']))
print('pwned', os.path.exists('/tmp/pwned-su'))
# Whatever a setuid binary would run as: ask /proc of one that waits.
p = subprocess.Popen(['su', 'root'], stdin=subprocess.PIPE,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
import time
time.sleep(0.5)
try:
    uids = [l for l in open('/proc/%d/status' % p.pid)
            if l.startswith(('Uid:', 'CapEff:'))]
except OSError:
    uids = ['gone']
p.kill()
p.wait()
print('suproc', ' '.join(' '.join(u.split()) for u in uids))
"""
    # su and newgrp wait seconds after a wrong password (pam_faildelay)
    j = atk.run(code, blocked=("import", "subprocess"), timeout=60)
    if j is None:
        return
    out = dict(l.split(" ", 1) for l in lines_of(j))
    assert int(out["found"].split()[0]) > 0, out
    assert "/usr/bin/su" in out["found"], out
    for cmd in ("su", "mount", "umount", "passwd", "newgrp"):
        assert out[cmd] not in ("0", "oserror"), (cmd, out)
    assert out["pwned"] == "False", out
    # su is waiting for a password, as uid 10001 with no capabilities
    # (or has already given up)
    if out["suproc"] != "gone":
        assert "Uid: 10001 10001 10001 10001" in out["suproc"], out
        assert "CapEff: 0000000000000000" in out["suproc"], out
    atk.held("container: no-new-privileges (setuid bits ignored)")


def test_setuid_zero_fails_and_capabilities_are_empty(atk):
    code = CAPS + TRY + r"""
print('setuid', t(lambda: os.setuid(0)))
print('seteuid', t(lambda: os.seteuid(0)))
print('setresuid', t(lambda: os.setresuid(0, 0, 0)))
print('setgid', t(lambda: os.setgid(0)))
print('setgroups', t(lambda: os.setgroups([0])))
print('chroot', t(lambda: os.chroot('/tmp')))
print('mknod', t(lambda: os.mknod('/tmp/sda', 0o600 | 0o060000,
                                  os.makedev(8, 0))))
print('ids', os.getresuid(), os.getresgid(), os.getgroups())
for k, v in sorted(caps().items()):
    print(k, v)
"""
    out = dict(l.split(" ", 1) for l in lines_of(atk.run(code)))
    for call in ("setuid", "seteuid", "setresuid", "setgid", "setgroups",
                 "chroot", "mknod"):
        assert out[call] == EPERM, (call, out)
    assert out["ids"] == "(10001, 10001, 10001) (10001, 10001, 10001) []"
    for k in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
        assert out[k] == "0000000000000000", (k, out)
    # The runner empties the bounding set before the drop (issue 16).
    assert out["CapBnd"] == "0000000000000000", out
    assert out["NoNewPrivs"] == "1", out
    atk.held("container: uid 10001 with empty permitted/effective sets")


KERNEL = r"""
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
def res(r):
    return 'ok' if r >= 0 else errno.errorcode.get(ctypes.get_errno())
def root_pids():
    out = []
    for p in os.listdir('/proc'):
        if p.isdigit():
            try:
                with open('/proc/%s/status' % p) as f:
                    uid = [l for l in f if l.startswith('Uid:')][0]
                    if uid.split()[1] == '0':
                        out.append(int(p))
            except (OSError, IndexError):
                pass
    return sorted(out)
"""


def test_ptrace_and_signals_to_the_runner_fail(atk):
    """PID 1 (docker-init) and every root process (the runner, its
    reaper and its forks) can be neither traced nor signalled, nor
    their memory, fds or root read."""
    code = KERNEL + r"""
import signal
PTRACE_ATTACH, PTRACE_SEIZE = 16, 0x4206
pids = root_pids()
print('roots', len(pids), 1 in pids)
for p in pids:
    out = [res(libc.ptrace(PTRACE_ATTACH, p, 0, 0)),
           res(libc.ptrace(PTRACE_SEIZE, p, 0, 0)),
           res(libc.kill(p, 0)), res(libc.kill(p, signal.SIGKILL)),
           res(libc.kill(p, signal.SIGSTOP))]
    for f in ('mem', 'environ', 'fd', 'root', 'cwd', 'map_files'):
        path = '/proc/%d/%s' % (p, f)
        try:
            if f in ('mem', 'environ'):
                open(path, 'rb').read(1)
            else:
                os.listdir(path)
            out.append(f + ':ok')
        except OSError as e:
            out.append(errno.errorcode[e.errno])
    print('pid', p, ' '.join(out))
print('killpg', res(libc.kill(-1, 0)), res(libc.kill(0, 0)))
print('after', root_pids() == pids)
"""
    j = atk.run(code, blocked=("import", "ctypes"))
    if j is None:
        return
    out = lines_of(j)
    assert out[0].startswith("roots ") and out[0].endswith(" True"), out
    assert int(out[0].split()[1]) >= 2, out       # docker-init, runner
    rows = [l.split()[2:] for l in out if l.startswith("pid ")]
    assert len(rows) == int(out[0].split()[1])
    for r in rows:
        assert r[:5] == [EPERM] * 5, out
        assert all(x in (EACCES, EPERM, "ENOENT") for x in r[5:]), out
    assert out[-1] == "after True", out
    atk.held("container: uid 10001 may not trace or signal root's "
             "processes (EPERM)")


def test_dangerous_system_calls_are_refused(atk):
    """unshare(CLONE_NEWUSER) would give a user namespace with every
    capability in it; keyrings would outlive the process; perf and bpf
    are kernel attack surface; the rest would touch the host's clock,
    kernel log, modules, swap or power.  The default seccomp profile and
    the empty capability set refuse them all."""
    code = KERNEL + r"""
CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID = \
    0x10000000, 0x20000, 0x40000000, 0x20000000
print('userns', res(libc.unshare(CLONE_NEWUSER)))
print('mntns', res(libc.unshare(CLONE_NEWNS)))
print('netns', res(libc.unshare(CLONE_NEWNET)))
print('pidns', res(libc.unshare(CLONE_NEWPID)))
ns = '/proc/1/ns/mnt'
print('setns', res(libc.setns(os.open(ns, os.O_RDONLY)
                              if os.access(ns, os.R_OK) else -1, 0)))
print('add_key', res(libc.syscall(248, b'user', b'k', b'v', 1, -4)))
print('keyctl', res(libc.syscall(250, 0, -4, 0)))
print('perf', res(libc.syscall(298, 0, 0, -1, -1, 0)))
print('bpf', res(libc.syscall(321, 0, 0, 0)))
print('mount', res(libc.mount(b'x', b'/mnt', b'tmpfs', 0, None)))
ts = (ctypes.c_long * 2)(0, 0)
print('clock_settime', res(libc.clock_settime(0, ts)))
print('settimeofday', res(libc.settimeofday(ts, None)))
print('sethostname', res(libc.sethostname(b'pwned', 5)))
print('syslog', res(libc.klogctl(3, ctypes.create_string_buffer(64), 64)))
print('init_module', res(libc.syscall(175, None, 0, b'')))
print('kexec_load', res(libc.syscall(246, 0, 0, None, 0)))
print('reboot', res(libc.syscall(169, 0xfee1dead, 672274793, 0x4321fedc,
                                 None)))
print('swapon', res(libc.swapon(b'/tmp/x', 0)))
print('acct', res(libc.acct(b'/tmp/acct')))
print('uid', os.getuid())
"""
    j = atk.run(code, blocked=("import", "ctypes"))
    if j is None:
        return
    out = dict(l.split(" ", 1) for l in lines_of(j))
    for call in ("userns", "mntns", "netns", "pidns", "add_key", "keyctl",
                 "perf", "bpf", "mount", "clock_settime", "settimeofday",
                 "sethostname", "syslog", "init_module", "kexec_load",
                 "reboot", "swapon", "acct"):
        assert out[call] in (EPERM, "ENOSYS", EACCES), (call, out)
    assert out["setns"] in ("EBADF", EPERM, "EINVAL", EACCES), out
    assert out["uid"] == "10001"
    atk.held("container: default seccomp profile and no capabilities")


def test_io_uring_is_refused(atk):
    """Docker before 25.0 (Debian 12 ships 20.10) allows io_uring in its
    default seccomp profile; the runner stacks a filter of its own that
    refuses it (sandbox_user.py), so this holds on every Docker."""
    code = KERNEL + r"""
params = ctypes.create_string_buffer(120)
fd = libc.syscall(425, 8, params)
print('io_uring_setup', res(fd))
if fd >= 0:
    os.close(fd)
"""
    j = atk.run(code, blocked=("import", "ctypes"))
    if j is None:
        return
    out = lines_of(j)
    assert out[0] in ("io_uring_setup EPERM", "io_uring_setup ENOSYS"), out
    atk.held("runner: seccomp filter refusing io_uring")


def test_limits_cannot_be_lifted(atk):
    """The program cannot raise its own cgroup limits, rlimits, priority
    or OOM protection, nor poke the host kernel through /proc."""
    code = TRY + r"""
import resource
def t_or_eperm(f):
    try:
        return t(f)
    except ValueError:      # setrlimit above the hard limit
        return 'EPERM'
def write(path, text):
    def f():
        with open(path, 'w') as fh:
            fh.write(text)
    return f
for path, text in (
        ('/sys/fs/cgroup/memory/memory.limit_in_bytes', '-1'),
        ('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes', '-1'),
        ('/sys/fs/cgroup/pids/pids.max', 'max'),
        ('/sys/fs/cgroup/cpu/cpu.cfs_quota_us', '-1'),
        ('/sys/fs/cgroup/memory.max', 'max'),
        ('/sys/fs/cgroup/pids.max', 'max'),
        ('/sys/fs/cgroup/cpu.max', 'max'),
        ('/proc/sysrq-trigger', 'c'),
        ('/proc/sys/kernel/core_pattern', '|/tmp/x'),
        ('/proc/sys/vm/drop_caches', '3'),
        ('/proc/self/oom_score_adj', '-1000')):
        print(path, t(write(path, text)))
soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
print('rlimit_data', t_or_eperm(lambda: resource.setrlimit(
    resource.RLIMIT_DATA, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))),
    hard != resource.RLIM_INFINITY)
print('nice', t(lambda: os.setpriority(os.PRIO_PROCESS, 0, -10)))
"""
    out = {}
    for l in lines_of(atk.run(code)):
        k, v = l.split(" ", 1)
        out[k] = v
    for path in ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                 "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes",
                 "/sys/fs/cgroup/pids/pids.max",
                 "/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
                 "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/pids.max",
                 "/sys/fs/cgroup/cpu.max", "/proc/sysrq-trigger",
                 "/proc/sys/kernel/core_pattern", "/proc/sys/vm/drop_caches"):
        assert out[path] in (EROFS, EACCES, "ENOENT"), (path, out)
    assert out["/proc/self/oom_score_adj"] == EACCES, out
    assert out["rlimit_data"] == "EPERM True", out
    assert out["nice"] in (EACCES, EPERM), out
    atk.held("container: cgroup and /proc/sys read-only, no capabilities "
             "(rlimits, priority)")

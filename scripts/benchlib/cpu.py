"""cpu - where the machine's CPU goes during one phase of the bench.

Theory of operation.  A Meter brackets a phase (start() ... stop()) and
reports, in CPU-ms:

  machine     /proc/stat over all CPUs: user+nice+system+irq+softirq+steal
              (not idle, not iowait; guest time is already inside user)
  bench       this process (the load generator and the sampler)
  containers  from the containers' cgroups (cgroup v1 cpuacct.usage or v2
              cpu.stat usage_usec), split into ours (labelled by the stack
              or the floor being measured) and other containers
  processes   host processes by category, from /proc/<pid>/stat
  neighbours  other containers and "other" processes: on a machine shared
              with other users (helpers building and fuzzing) their work
              is not pyexec's
  cpu         machine - bench - neighbours: what a row charges to pyexec
  outside     cpu - our containers: lighttpd, pyexec-fcgi, dockerd,
              containerd, the shims, runc, kernel threads, unattributed

Containers come and go inside a phase (container mode makes one per
execution; process mode replaces one every reuse_max runs), so a sampler
thread reads every container cgroup every INTERVAL s and keeps the last
value it saw; a container removed between two samples loses its last
INTERVAL, and one that lived less than INTERVAL is not seen at all
(container mode's and the churn floor's live about 0.1-0.5 s).  Where
Docker's containers share a parent cgroup of their own (the cgroupfs
driver: /sys/fs/cgroup/cpuacct/docker on v1, /sys/fs/cgroup/docker on
v2), that parent's usage counts every container, removed ones included,
exactly: v1's cpuacct charges a task's time to all its ancestors as it
runs, and v2 folds a removed child into its parent.  Then "all
containers" is the parent's delta, exact, and ours is that less the other
containers sampled (whatever sampling missed of the neighbours' lands in
ours: on a host shared with other test stacks, "ours" is an upper bound
and containers_sampled_ours_ms a lower one).  Under systemd's driver the
parent (system.slice) holds other services too, so the sampled sums are
all there is.

Host processes.  A process's utime+stime+cutime+cstime is conserved when
a child exits: the child's whole time moves into its reaper's cutime.  So
the sum over live processes of that value, taken at the start and at the
end, counts even a process that lived a millisecond between two samples,
charged to its reaper's category (a `sh -c` of pyexec's to pyexec-fcgi, a
"shim start" to containerd, a compiler run to "other").  Three kinds
count their own time only, and keep their last sampled value when they
vanish: kernel threads (kworkers doing writeback, jbd2, ksoftirqd: they
reap nothing), the shims (what they reap includes each container's init,
whose time the cgroups already count) and the shims' reaper (pid 1 here),
for the same reason.  Their short-lived children (runc create, start and
delete under a shim) are therefore mostly missed: what the categories do
not explain is printed as "unattributed".  The categories come from the
process's ancestry (the stack's lighttpd and pyexec-fcgi, dockerd and
containerd are roots) or its name; a shim serving another user's
container is the neighbours'.  dockerd, containerd and the kernel threads
serve everyone: with neighbours making containers, they are overstated.

The kernel here may count ticks (CONFIG_TICK_CPU_ACCOUNTING): then /proc/stat
and irq+softirq are sampled at HZ, and a tick spent in an interrupt is also
charged to the task it interrupted, so irq+softirq is shown apart, as a
part of the rest, not beside it.
"""

import json
import os
import re
import threading
import time

TICK_MS = 1000.0 / os.sysconf("SC_CLK_TCK")
PF_KTHREAD = 0x00200000
INTERVAL = 0.1                  # s between two samples (a scan: ~1 ms)
ID_RE = re.compile(r"^(?:docker-)?([0-9a-f]{64})(?:\.scope)?$")

# Categories of host processes, in the order the breakdown prints them.
TREES = ("lighttpd", "pyexec-fcgi", "dockerd", "containerd")
SAMPLED = ("containerd-shim", "runc", "kernel threads", "other")
CATEGORIES = TREES + SAMPLED


def machine_ms():
    """(busy, irq+softirq, steal) of all CPUs since boot, in ms."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = v
    busy = user + nice + system + irq + softirq + steal
    return busy * TICK_MS, (irq + softirq) * TICK_MS, steal * TICK_MS


def uptime_ticks():
    with open("/proc/uptime") as f:
        return float(f.read().split()[0]) * 1000.0 / TICK_MS


def read_stat(pid):
    """(comm, ppid, flags, self ticks, children ticks, starttime, state)
    or None."""
    try:
        with open("/proc/%s/stat" % pid, "rb") as f:
            raw = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    lp, rp = raw.find("("), raw.rfind(")")
    rest = raw[rp + 2:].split()
    # rest[k - 3] is field k of proc(5).
    return (raw[lp + 1:rp], int(rest[1]), int(rest[6]),
            int(rest[11]) + int(rest[12]), int(rest[13]) + int(rest[14]),
            int(rest[19]), rest[0])


def shim_container(pid):
    """The container id a shim serves (containerd-shim-runc-v2 -namespace
    moby -id ID ...), or None."""
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            args = f.read().decode("utf-8", "replace").split("\0")
    except OSError:
        return None
    for i, a in enumerate(args[:-1]):
        if a == "-id" and ID_RE.match(args[i + 1]):
            return args[i + 1]
    return None


def self_ms():
    """This process's own CPU (all its threads), in ms."""
    t = os.times()
    return (t.user + t.system) * 1000.0


def in_container(pid):
    try:
        with open("/proc/%s/cgroup" % pid) as f:
            text = f.read()
    except OSError:
        return False
    return "/docker/" in text or "/docker-" in text


def read_int(path):
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def read_usage_usec(path):
    try:
        with open(path) as f:
            for line in f:
                k, v = line.split()
                if k == "usage_usec":
                    return int(v)
    except (OSError, ValueError):
        pass
    return None


class Cgroups:
    """Where this host keeps the containers' CPU usage."""

    def __init__(self, root="/sys/fs/cgroup"):
        self.version, self.dirs, self.parent = None, [], None
        self.paths = {}
        if os.path.exists(os.path.join(root, "cgroup.controllers")):
            self.version = 2
            cands = [os.path.join(root, "docker"),
                     os.path.join(root, "system.slice")]
        else:
            self.version = 1
            cands = [os.path.join(root, c, s)
                     for c in ("cpuacct", "cpu,cpuacct")
                     for s in ("docker", "system.slice")]
        self.dirs = [d for d in cands if os.path.isdir(d)]
        for d in self.dirs:
            if os.path.basename(d) == "docker":
                self.parent = d
                break

    def describe(self):
        how = "parent %s" % self.parent if self.parent else "no docker-only parent"
        return "cgroup v%d (%s)" % (self.version, how)

    def _usage_ms(self, d):
        if self.version == 1:
            ns = read_int(os.path.join(d, "cpuacct.usage"))
            return None if ns is None else ns / 1e6
        us = read_usage_usec(os.path.join(d, "cpu.stat"))
        return None if us is None else us / 1e3

    def parent_ms(self):
        return self._usage_ms(self.parent) if self.parent else None

    def containers(self):
        """{container id: CPU-ms} of every running container."""
        out = {}
        for d in self.dirs:
            try:
                names = os.listdir(d)
            except OSError:
                continue
            for name in names:
                m = ID_RE.match(name)
                if m:
                    ms = self._usage_ms(os.path.join(d, name))
                    if ms is not None:
                        out[m.group(1)] = ms
                        self.paths[m.group(1)] = os.path.join(d, name)
        return out

    def running(self, cid):
        """How many of the container's threads are running or want to."""
        name = "tasks" if self.version == 1 else "cgroup.threads"
        try:
            with open(os.path.join(self.paths[cid], name)) as f:
                tids = f.read().split()
        except (OSError, KeyError):
            return 0
        n = 0
        for tid in tids:
            st = read_stat(tid)
            n += bool(st and st[6] == "R")
        return n


class Labels:
    """Container labels, read from Docker's own files (no call to dockerd,
    whose CPU is being measured), falling back to the Engine API."""

    def __init__(self, engine):
        self.engine = engine        # used by the sampler thread alone
        self.root = None
        self.cache = {}

    def get(self, cid):
        if cid in self.cache:
            return self.cache[cid]
        labels = None
        if self.root is None:
            info = self.engine.get_json("/info") or {}
            self.root = info.get("DockerRootDir", "/var/lib/docker")
        try:
            with open(os.path.join(self.root, "containers", cid,
                                   "config.v2.json")) as f:
                labels = json.load(f)["Config"].get("Labels") or {}
        except (OSError, ValueError, KeyError):
            j = self.engine.get_json("/containers/%s/json" % cid)
            if j:
                labels = j["Config"].get("Labels") or {}
        if labels is not None:
            self.cache[cid] = labels
        return labels or {}


class Proc:
    """One host process seen during a phase (pid + start time).

    Its value is utime+stime, plus cutime+cstime (its reaped children)
    unless it is `own_only`: a kernel thread, a shim (its reaped children
    include the container's init, whose time the cgroups count), or a
    shim's reaper (pid 1 here).  When it vanishes, its whole value moves
    into its reaper's cutime: if the reaper counts its children, it
    contributes nothing more (0 - first); if not, it keeps its last value.
    """
    __slots__ = ("category", "own_only", "name", "comm", "first", "last",
                 "alive", "frozen", "ppid")

    def __init__(self, category, own_only, comm, first, last, ppid):
        self.category, self.own_only = category, own_only
        self.comm, self.name = comm, short_name(comm)
        self.first, self.last, self.ppid = first, last, ppid
        self.alive, self.frozen = True, False

    def value(self, own, kids):
        return (own if self.own_only else own + kids) * TICK_MS

    def delta(self, reaper_counts):
        if self.alive or self.frozen or not reaper_counts:
            return self.last - self.first
        return -self.first


def by_size(d):
    """Largest first, without the processes that took nothing."""
    return dict(sorted(((k, v) for k, v in d.items() if abs(v) >= 0.01),
                       key=lambda kv: -kv[1]))


def short_name(comm):
    """kworker/u4:2-events_unbound -> kworker/uN:N-events_unbound"""
    return re.sub(r"\d+", "N", comm)


class Meter:
    """Brackets a phase; see the theory of operation above."""

    def __init__(self, cgroups, labels):
        self.cgroups, self.labels = cgroups, labels
        self.owned = lambda labels: False
        self.roots = {}             # pid -> tree category
        self._lock = threading.Lock()
        self._thread = None

    def watch(self, owned, roots=None):
        """owned(labels) says which containers are ours; roots maps the
        stack's own processes (lighttpd, pyexec-fcgi) to categories."""
        self.owned = owned
        self.roots = dict(roots or {})

    # ---- sampling ----

    def _classify(self, pid, comm, flags, ppids):
        """(category or None for a container's process, own_only)"""
        if flags & PF_KTHREAD:
            return "kernel threads", True
        if comm.startswith("containerd-shim"):
            cid = shim_container(pid)
            if cid and not self.owned(self.labels.get(cid)):
                return "other", True        # a neighbour's container
            return "containerd-shim", True
        if in_container(pid):
            return None, True
        seen, p = set(), pid
        while p > 1 and p not in seen:
            seen.add(p)
            if p in self.roots:
                return self.roots[p], False
            p = ppids.get(p, 0)
        if pid in self.reapers:
            return "other", True
        if comm.startswith("runc"):
            return "runc", False
        return "other", False

    def _read_procs(self):
        stats = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                st = read_stat(name)
                if st:
                    stats[int(name)] = st
        return stats

    def _scan_procs(self, initial):
        stats = self._read_procs()
        ppids = {pid: st[1] for pid, st in stats.items()}
        if initial:
            for pid, st in stats.items():
                if st[0] in ("dockerd", "containerd"):
                    self.roots.setdefault(pid, st[0])
            self.reapers = {1} | {st[1] for st in stats.values()
                                  if st[0].startswith("containerd-shim")
                                  and st[1] not in self.roots}
        alive = set()
        for pid, (comm, ppid, flags, own, kids, start, _) in stats.items():
            if pid == self.pid:
                continue
            key = (pid, start)
            alive.add(key)
            rec = self.procs.get(key)
            if rec is None:
                cat, own_only = self._classify(pid, comm, flags, ppids)
                born = not initial and start >= self.start_ticks
                rec = Proc(cat, own_only, comm, 0.0, 0.0, ppid)
                rec.last = rec.value(own, kids)
                rec.first = 0.0 if born else rec.last
                self.procs[key] = rec
                self.by_pid[pid] = rec
                continue
            if rec.category is None or rec.frozen:
                continue
            if comm != rec.comm and in_container(pid):
                # runc init became the container's init: from here on its
                # time is the container's.
                rec.frozen = True
                continue
            rec.last, rec.ppid = rec.value(own, kids), ppid
        for key, rec in self.procs.items():
            if key not in alive:
                rec.alive = False

    def _reaper_counts(self, rec):
        parent = self.by_pid.get(rec.ppid)
        return (parent is not None and rec.ppid != self.pid
                and parent.category is not None and not parent.own_only)

    def _scan_containers(self, initial):
        for cid, ms in self.cgroups.containers().items():
            rec = self.cont.get(cid)
            if rec is None:
                # Classified now: a removed container's labels are gone.
                ours = bool(self.owned(self.labels.get(cid)))
                self.cont[cid] = [ms if initial else 0.0, ms, ours]
            else:
                rec[1] = ms

    def _scan(self, initial=False):
        with self._lock:
            self._scan_containers(initial)
            self._scan_procs(initial)

    def _run(self):
        while not self._stop.wait(INTERVAL):
            self._scan()

    # ---- a phase ----

    def start(self):
        self.pid = os.getpid()
        self.cont, self.procs, self.by_pid = {}, {}, {}
        self.start_ticks = uptime_ticks()
        self.t0 = time.monotonic()
        self.m0 = machine_ms()
        self.b0 = self_ms()
        self.p0 = self.cgroups.parent_ms()
        self._scan(initial=True)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join()
        self._scan()
        m1, p1 = machine_ms(), self.cgroups.parent_ms()
        wall = time.monotonic() - self.t0
        busy, irq, steal = (b - a for a, b in zip(self.m0, m1))
        bench = self_ms() - self.b0
        ours = other = 0.0
        new_ours = 0
        for first, last, is_ours in self.cont.values():
            if is_ours:
                ours += last - first
                new_ours += first == 0.0
            else:
                other += last - first
        cats, names, neighbour_names = {c: 0.0 for c in CATEGORIES}, {}, {}
        for rec in self.procs.values():
            if rec.category is None:
                continue
            d = rec.delta(self._reaper_counts(rec))
            cats[rec.category] += d
            into = neighbour_names if rec.category == "other" else names
            into[rec.name] = into.get(rec.name, 0.0) + d
        sampled = ours + other
        all_cont = sampled
        if self.p0 is not None:
            # Exact for all of them; short-lived ones (a churned container
            # lives ~0.1 s) escape sampling, and on a shared host they are
            # more likely ours than the neighbours'.
            all_cont = p1 - self.p0
            ours = all_cont - other
        outside = busy - bench - all_cont - cats["other"]
        explained = sum(v for c, v in cats.items() if c != "other")
        return {
            "wall_s": wall,
            "machine_ms": busy,
            "busy_pct": 100.0 * busy / (wall * 1000.0 * os.cpu_count()),
            "irq_softirq_ms": irq,
            "steal_ms": steal,
            "bench_ms": bench,
            "neighbours_ms": cats["other"] + other,
            "cpu_ms": busy - bench - cats["other"] - other,
            "containers_ours_ms": ours,
            "containers_other_ms": other,
            "containers_unsampled_ms": all_cont - sampled,
            "containers_sampled_ours_ms": sampled - other,
            "containers_new": new_ours,
            "outside_ms": outside,
            "by_category_ms": cats,
            "unattributed_ms": outside - explained,
            "by_name_ms": by_size(names),
            "neighbours_by_name_ms": by_size(neighbour_names),
        }

    def _ours_total(self):
        total = sum(ms for cid, ms in self.cgroups.containers().items()
                    if self.owned(self.labels.get(cid)))
        stats = self._read_procs()
        stack = {p for p, c in self.roots.items()
                 if c in ("pyexec-fcgi", "lighttpd")}
        grew = True
        while grew:
            more = {p for p, st in stats.items()
                    if st[1] in stack and p not in stack}
            grew = bool(more)
            stack |= more
        return total + sum((stats[p][3] + stats[p][4]) * TICK_MS
                           for p in stack if p in stats)

    def is_quiet(self, seconds, ms_per_s):
        """Whether pyexec (our containers and the stack's processes) takes
        less than ms_per_s over the next `seconds`, with no thread of our
        containers waiting to run: on a saturated machine a preloading
        runner gets little CPU, but it stays runnable."""
        a = self._ours_total()
        ours = [cid for cid in self.cgroups.containers()
                if self.owned(self.labels.get(cid))]
        runnable = 0
        for _ in range(5):
            time.sleep(seconds / 5)
            runnable += sum(self.cgroups.running(cid) for cid in ours)
        return runnable == 0 and \
            (self._ours_total() - a) / seconds < ms_per_s

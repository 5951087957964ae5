"""docker - what a test asks dockerd about containers, through the docker
CLI.  A test only ever touches the containers of its own pyexec instance
(label pyexec.instance=<id>) or ones it made itself: dockerd is shared."""

import json
import subprocess


def _docker(*args):
    return subprocess.run(["docker"] + list(args), capture_output=True,
                          text=True)


def names(*filters):
    """Names of the containers, running or not, that match every filter
    ("label=...", "name=...")."""
    args = ["ps", "-a", "--format", "{{.Names}}"]
    for f in filters:
        args += ["--filter", f]
    return _docker(*args).stdout.split()


def instance_containers(instance_id):
    """The containers of one pyexec instance."""
    return names("label=pyexec.instance=" + instance_id)


def exists(name):
    return name in names("name=^/%s$" % name)


def remove(container_names):
    if container_names:
        _docker("rm", "-f", *container_names)


def describe(name):
    """State and times of a container, for a failure message."""
    out = _docker("inspect", "--format",
                  "{{.State.Status}} created {{.Created}} started "
                  "{{.State.StartedAt}} finished {{.State.FinishedAt}}", name)
    return out.stdout.strip() or out.stderr.strip()


def process_uids(name):
    """The uids of the processes running in a container (docker top,
    which wants the pid column too)."""
    rows = _docker("top", name, "-o", "pid,uid").stdout.splitlines()[1:]
    return [int(r.split()[1]) for r in rows if len(r.split()) == 2]


def live_restore():
    """Whether dockerd keeps containers running while it restarts."""
    out = _docker("info", "--format", "{{.LiveRestoreEnabled}}").stdout
    return out.strip() == "true"


def env(name):
    """The environment a container was created with ("K=V" strings)."""
    out = _docker("inspect", "--format", "{{json .Config.Env}}", name)
    return json.loads(out.stdout or "[]") or []

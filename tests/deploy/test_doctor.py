"""pyexec-admin doctor, installed, against a socket-activated pyexec:
all ok when healthy; a FAIL line and exit status 1 for each broken part."""

import os
import re

import deploy

CHECKS = ["config", "docker", "docker-socket", "image", "runtime",
          "data-dir", "runner-dir", "database", "listen", "policy"]


def doctor(tree, **env):
    e = {k: v for k, v in os.environ.items() if not k.startswith("PYEXEC_")}
    e.update(env)
    # No --config: the installed program reads the installed file.
    r = deploy.run([tree.prog("pyexec-admin"), "doctor"], env=e,
                   check=False)
    verdicts = {}
    for line in r.stdout.splitlines():
        m = re.match(r"^(\S+)\s+(ok|warn|FAIL)\s+(.*)$", line)
        assert m, "not a check line: %r" % line
        verdicts[m.group(1)] = (m.group(2), m.group(3))
    assert list(verdicts) == CHECKS, r.stdout
    return r.returncode, verdicts


def test_healthy_stack_is_all_ok(tree, daemon):
    rc, v = doctor(tree)
    assert rc == 0, v
    assert all(verdict == "ok" for verdict, _ in v.values()), v
    assert tree.conf in v["config"][1]
    assert re.search(r"Docker \S+, API 1\.\d+", v["docker"][1])
    assert "schema version" in v["database"][1]
    assert "accepts connections" in v["listen"][1]


def test_missing_image_fails_that_line(tree, daemon):
    rc, v = doctor(tree, PYEXEC_IMAGE="pyexec-no-such-image:0")
    assert rc == 1
    assert v["image"][0] == "FAIL"
    assert "build-sandbox-image" in v["image"][1]
    assert [k for k, (verdict, _) in v.items() if verdict != "ok"] == \
        ["image"]


def test_unknown_runtime_fails_that_line(tree, daemon):
    rc, v = doctor(tree, PYEXEC_RUNTIME="no-such-runtime")
    assert rc == 1 and v["runtime"][0] == "FAIL", v
    assert "runc" in v["runtime"][1]          # what Docker does have


def test_unreachable_docker_fails_the_docker_line(tree, daemon):
    for host in ("unix:///nonexistent/docker.sock", "tcp://127.0.0.1:9"):
        rc, v = doctor(tree, PYEXEC_DOCKER_HOST=host)
        assert rc == 1, v
        assert v["docker"][0] == "FAIL", v
        assert v["image"][0] == "warn" and "not checked" in v["image"][1]


def test_nothing_listening_fails_the_listen_line(tree):
    rc, v = doctor(tree)
    assert rc == 1
    assert v["listen"][0] == "FAIL", v
    assert "systemctl start pyexec.socket" in v["listen"][1]


def test_a_runner_dir_too_long_for_its_sockets_fails(tree):
    rc, v = doctor(tree, PYEXEC_RUNNER_DIR="/run/" + "r" * 90)
    assert rc == 1
    assert v["runner-dir"][0] == "FAIL" and "too long" in v["runner-dir"][1]


def test_a_runner_dir_that_is_a_file_warns_of_the_fallback(tree, tmp_path):
    f = tmp_path / "not-a-folder"
    f.write_text("")
    rc, v = doctor(tree, PYEXEC_RUNNER_DIR=str(f))
    assert v["runner-dir"][0] == "warn", v
    assert "data dir" in v["runner-dir"][1]


def test_a_data_dir_too_long_for_runner_sockets_fails(tree):
    rc, v = doctor(tree, PYEXEC_DATA_DIR="/tmp/" + "d" * 80)
    assert rc == 1
    assert v["data-dir"][0] == "FAIL" and "too long" in v["data-dir"][1]

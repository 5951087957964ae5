"""Fixtures: sandbox containers (containers.py), always removed."""
import shutil
import subprocess

import pytest

from containers import IMAGE, Container


def _docker_ready():
    if shutil.which("docker") is None:
        return "docker CLI missing"
    probe = subprocess.run(["docker", "image", "inspect", IMAGE],
                           capture_output=True)
    if probe.returncode != 0:
        return f"{IMAGE} missing: run scripts/build-sandbox-image"
    return None


@pytest.fixture(scope="session")
def container_factory():
    reason = _docker_ready()
    if reason:
        pytest.skip(reason)
    made = []

    def make(memory="352m", wait=True, env=()):
        c = Container(memory, env)
        made.append(c)
        if wait:
            c.wait_ready()
        return c

    yield make
    for c in made:
        c.remove()


@pytest.fixture(scope="module")
def runner(container_factory):
    """One container for a whole module: each execution must find it clean,
    which is part of what is being tested."""
    c = container_factory()
    yield c
    assert c.is_running(), c.logs()


@pytest.fixture
def fresh(container_factory):
    """A container of its own, for tests that break or time things."""
    c = container_factory()
    yield c
    c.remove()

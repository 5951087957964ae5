"""scripts/install-config and scripts/install-tree, run directly on a
scratch directory: a changed config survives install, upgrade and
uninstall; an unchanged one follows the defaults.  (tests/deploy checks
the same through make install, on a whole installed tree.)"""
import os
import subprocess

import pytest

from pyexec_test.stack import SRC


def script(name, *args):
    out = subprocess.run(["sh", os.path.join(SRC, "scripts", name)]
                         + [str(a) for a in args],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


class Conf:
    """One config file NAME shipped as dist/NAME, installed in etc/ with
    its last default recorded in defaults/."""

    def __init__(self, tmp_path, name="pyexec.conf"):
        self.name = name
        self.src = tmp_path / "dist" / name
        self.etc = tmp_path / "etc"
        self.defaults = tmp_path / "defaults"
        self.conf = self.etc / name
        self.dist = self.etc / (name + ".dist")
        self.src.parent.mkdir()

    def ship(self, text):
        self.src.write_text(text)

    def run(self, mode):
        return script("install-config", mode, self.etc, self.defaults,
                      self.src, self.name)

    def upgrade_after_a_change(self):
        """Installs v1, changes the config to "mine", installs v2."""
        self.ship("v1\n")
        self.run("install")
        self.conf.write_text("mine\n")
        self.ship("v2\n")
        return self.run("install")


@pytest.fixture
def conf(tmp_path):
    return Conf(tmp_path)


def test_a_first_install_puts_the_default(conf):
    conf.ship("workers = 4\n")
    conf.run("install")
    assert conf.conf.read_text() == "workers = 4\n"
    assert not conf.dist.exists()
    assert (conf.defaults / conf.name).read_text() == "workers = 4\n"


def test_an_unchanged_config_follows_a_new_default(conf):
    conf.ship("v1\n")
    conf.run("install")
    conf.ship("v2\n")
    conf.run("install")
    assert conf.conf.read_text() == "v2\n"
    assert not conf.dist.exists()


def test_a_changed_config_is_kept_and_the_new_default_put_next_to_it(conf):
    out = conf.upgrade_after_a_change()
    assert conf.conf.read_text() == "mine\n"
    assert conf.dist.read_text() == "v2\n"
    assert "kept your changed %s" % conf.conf in out
    # Installing the same again changes nothing.
    conf.run("install")
    assert conf.conf.read_text() == "mine\n"
    assert conf.dist.read_text() == "v2\n"


def test_a_config_changed_back_to_the_default_follows_again(conf):
    conf.upgrade_after_a_change()
    conf.conf.write_text("v2\n")        # the admin took the new default
    conf.ship("v3\n")
    conf.run("install")
    assert conf.conf.read_text() == "v3\n"
    assert not conf.dist.exists()


def test_a_config_present_before_any_install_is_kept(conf):
    conf.etc.mkdir()
    conf.conf.write_text("hand made\n")
    conf.ship("v1\n")
    conf.run("install")
    assert conf.conf.read_text() == "hand made\n"
    assert conf.dist.read_text() == "v1\n"


def test_uninstall_removes_an_unchanged_config(conf):
    conf.ship("v1\n")
    conf.run("install")
    conf.run("uninstall")
    assert not conf.conf.exists()
    assert not (conf.defaults / conf.name).exists()


def test_uninstall_keeps_a_changed_config_and_drops_the_dist(conf):
    conf.upgrade_after_a_change()
    out = conf.run("uninstall")
    assert conf.conf.read_text() == "mine\n"
    assert not conf.dist.exists()
    assert not (conf.defaults / conf.name).exists()
    assert "kept your changed" in out


def test_several_files_at_once(tmp_path):
    a, b = Conf(tmp_path, "a.conf"), tmp_path / "dist" / "b.conf"
    a.ship("a\n")
    b.write_text("b\n")
    script("install-config", "install", a.etc, a.defaults,
           a.src, "a.conf", b, "b.conf")
    assert sorted(os.listdir(a.etc)) == ["a.conf", "b.conf"]
    assert (a.etc / "b.conf").read_text() == "b\n"


@pytest.mark.parametrize("args", [[], ["install"], ["remove", "e", "d"],
                                  ["install", "e", "d", "only-a-source"]])
def test_install_config_refuses_bad_usage(tmp_path, args):
    out = subprocess.run(["sh", os.path.join(SRC, "scripts",
                                             "install-config")] + args,
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 2 and "Usage:" in out.stderr


def files_under(top):
    return sorted(os.path.relpath(os.path.join(d, f), top)
                  for d, _, fs in os.walk(top) for f in fs)


def test_install_tree_copies_a_tree_whole_and_removes_it(tmp_path):
    src, dest = tmp_path / "src", tmp_path / "dest"
    (src / "recipe" / "pkg" / "__pycache__").mkdir(parents=True)
    (src / "recipe" / "Dockerfile").write_text("FROM x\n")
    (src / "recipe" / "pkg" / "a.py").write_text("a = 1\n")
    (src / "recipe" / "pkg" / "__pycache__" / "a.pyc").write_text("")
    (src / "recipe" / "pkg" / "b.pyc").write_text("")
    script("install-tree", "install", src, dest, "recipe", "missing")
    assert files_under(dest) == ["recipe/Dockerfile", "recipe/pkg/a.py"]
    assert oct((dest / "recipe" / "Dockerfile").stat().st_mode & 0o777) == \
        "0o644"
    (dest / "recipe" / "pkg" / "mine.txt").write_text("an admin's file")
    script("install-tree", "uninstall", src, dest, "recipe", "missing")
    assert files_under(dest) == ["recipe/pkg/mine.txt"]

"""make install / uninstall: the layout, config files never overwritten
once changed, uninstall removing exactly what install put there, the
installed config listing every key with its real default, man pages,
and the systemd units, sysusers.d and tmpfiles.d snippets."""

import os
import re
import shutil
import subprocess
import tempfile

import pytest

import deploy


@pytest.fixture
def destdir(tree):
    d = tempfile.mkdtemp(prefix="destdir-", dir=os.path.dirname(tree.prefix))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def staged(destdir, tree, *parts):
    return os.path.join(destdir + tree.prefix, *parts)


def files_under(root):
    out = set()
    for d, _, files in os.walk(root):
        for f in files:
            out.add(os.path.relpath(os.path.join(d, f), root))
    return out


def test_install_puts_everything_in_its_place(tree, destdir):
    tree.make("install", "DESTDIR=" + destdir)
    p = lambda *a: staged(destdir, tree, *a)  # noqa: E731
    for prog in ("pyexec-fcgi", "pyexec-admin"):
        assert os.access(p("sbin", prog), os.X_OK)
    expect = ["etc/pyexec/pyexec.conf",
              "share/pyexec/conf-defaults/pyexec.conf",
              "share/pyexec/runner/PROTOCOL.md",
              "share/pyexec/deploy/lighttpd/pyexec-fastcgi.conf",
              "share/pyexec/deploy/lighttpd/pyexec-binpath.conf",
              "share/pyexec/deploy/apache/pyexec-proxy-fcgi.conf",
              "share/pyexec/deploy/apache/pyexec-fcgid.conf",
              "share/pyexec/deploy/nginx/pyexec.conf",
              "share/man/man8/pyexec-fcgi.8", "share/man/man8/pyexec-admin.8",
              "share/man/man5/pyexec.conf.5",
              "lib/systemd/system/pyexec.service",
              "lib/systemd/system/pyexec.socket",
              "lib/systemd/system/pyexec-replicate.service",
              "lib/sysusers.d/pyexec.conf", "lib/tmpfiles.d/pyexec.conf"]
    for sql in sorted(os.listdir(os.path.join(deploy.SRC, "sql"))):
        if sql.endswith(".sql"):
            expect.append("share/pyexec/sql/" + sql)
    # The recipe is copied whole, as the image build script hashes it.
    src_runner = os.path.join(deploy.SRC, "runner")
    for f in files_under(src_runner):
        if "__pycache__" not in f and not f.endswith(".pyc"):
            expect.append("share/pyexec/runner/" + f)
    script = os.path.join(deploy.SRC, "scripts", "build-sandbox-image")
    if os.path.exists(script):
        expect.append("share/pyexec/scripts/build-sandbox-image")
        assert os.access(p("share/pyexec/scripts/build-sandbox-image"),
                         os.X_OK)
    expect.append("etc/pyexec/policy.conf")
    for f in expect:
        assert os.path.isfile(p(f)), f
    st = os.stat(p("var/lib/pyexec"))
    assert oct(st.st_mode & 0o777) == "0o750"
    # Every @placeholder@ was replaced by a path of this prefix.  The
    # trees copied verbatim (the image recipe, the bundled pages) are
    # not templates: minified JavaScript may hold "@x@" of its own.
    verbatim = ("sbin/", "share/pyexec/runner/", "share/pyexec/static/")
    for f in files_under(staged(destdir, tree)):
        if f.startswith(verbatim):
            continue
        with open(p(f), errors="replace") as fh:
            text = fh.read()
        assert not re.search(r"@[a-zA-Z_]+@", text), f
    conf = open(p("etc/pyexec/pyexec.conf")).read()
    assert "#data_dir = %s/var/lib/pyexec\n" % tree.prefix in conf


def test_a_changed_config_is_never_overwritten_and_survives_uninstall(
        tree, destdir):
    tree.make("install", "DESTDIR=" + destdir)
    installed = set(files_under(destdir))
    conf = staged(destdir, tree, "etc/pyexec/pyexec.conf")
    default = open(conf).read()
    with open(conf, "a") as f:
        f.write("workers = 2\n")
    mine = open(conf).read()
    out = tree.make("install", "DESTDIR=" + destdir).stdout
    assert "kept your changed" in out
    assert open(conf).read() == mine
    assert open(conf + ".dist").read() == default
    tree.make("uninstall", "DESTDIR=" + destdir)
    left = files_under(destdir)
    assert left == {os.path.relpath(conf, destdir)}, left
    # Install again: nothing of the earlier default is left over, and
    # the set of files is the same as the first time.
    os.unlink(conf)
    tree.make("install", "DESTDIR=" + destdir)
    assert files_under(destdir) == installed


def test_an_unedited_old_default_is_replaced_by_the_new_one(tree, destdir):
    tree.make("install", "DESTDIR=" + destdir)
    conf = staged(destdir, tree, "etc/pyexec/pyexec.conf")
    old = staged(destdir, tree, "share/pyexec/conf-defaults/pyexec.conf")
    new = open(conf).read()
    # What an older release installed, and nobody edited.
    for f in (conf, old):
        with open(f, "w") as fh:
            fh.write("# an older default\nworkers = 8\n")
    out = tree.make("install", "DESTDIR=" + destdir).stdout
    assert "kept your changed" not in out
    assert open(conf).read() == new
    assert not os.path.exists(conf + ".dist")


def print_config(tree, conf):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYEXEC_")}
    r = deploy.run([tree.prog("pyexec-fcgi"), "--config", conf,
                    "--print-config"], env=env)
    return r.stdout


def test_installed_config_shows_every_key_with_its_real_default(
        tree, destdir):
    tree.make("install", "DESTDIR=" + destdir)
    conf = staged(destdir, tree, "etc/pyexec/pyexec.conf")
    text = open(conf).read()
    shown = re.findall(r"^#?([a-z_]+) =", text, re.M)
    printed = re.findall(r"^([a-z_]+) =", print_config(tree, conf), re.M)
    assert sorted(shown) == sorted(printed)
    # Uncommenting every default changes nothing.
    uncommented = os.path.join(destdir, "uncommented.conf")
    with open(uncommented, "w") as f:
        f.write(re.sub(r"^#([a-z_]+ =)", r"\1", text, flags=re.M))
    assert print_config(tree, uncommented) == print_config(tree, conf)


def test_man_pages_are_clean_mdoc(tree):
    if not shutil.which("mandoc"):
        pytest.skip("mandoc is not installed (scripts/install-deps --test)")
    pages = [os.path.join(tree.man, s, p) for s, p in
             (("man8", "pyexec-fcgi.8"), ("man8", "pyexec-admin.8"),
              ("man5", "pyexec.conf.5"))]
    r = deploy.run(["mandoc", "-Tlint", "-W", "warning"] + pages,
                   check=False)
    lines = [line for line in (r.stdout + r.stderr).splitlines()
             if "mandoc.db" not in line]
    assert lines == [], lines
    text = deploy.run(["mandoc", "-Tutf8", pages[2]]).stdout
    text = re.sub(".\b", "", text)
    assert "max_body_bytes (default: 1M)" in text, text


def test_systemd_units_verify(tree):
    units = [os.path.join(tree.units, u) for u in (
        "pyexec.socket", "pyexec.service", "pyexec-replicate.service")]
    env = dict(os.environ, MANPATH=tree.man)
    r = subprocess.run(["systemd-analyze", "verify"] + units, env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout + r.stderr == "", r.stderr
    svc = tree.unit("pyexec.service")
    assert svc["ExecStart"].split()[0] == tree.prog("pyexec-fcgi")
    assert svc["StandardInput"] == "socket"
    assert svc["ReadWritePaths"] == tree.data
    assert tree.unit("pyexec.socket")["ListenStream"] == \
        os.path.join(tree.run, "pyexec.sock")
    rep = tree.unit("pyexec-replicate.service")
    assert rep["ExecStart"].split()[0] == tree.prog("pyexec-admin")
    assert rep["ExecStart"].split()[-1] == "replicate"


def test_sysusers_and_tmpfiles_snippets_apply(tree):
    root = tempfile.mkdtemp(prefix="sysroot-",
                            dir=os.path.dirname(tree.prefix))
    try:
        os.makedirs(os.path.join(root, "etc"))
        deploy.run(["systemd-sysusers", "--root=" + root,
                    os.path.join(tree.prefix, "lib/sysusers.d/pyexec.conf")])
        passwd = open(os.path.join(root, "etc/passwd")).read()
        group = open(os.path.join(root, "etc/group")).read()
        assert re.search(r"^pyexec:x:\d+:\d+:pyexec code runner:%s:" %
                         re.escape(tree.data), passwd, re.M), passwd
        assert re.search(r"^docker:x:\d+:(.*,)?pyexec(,|$)", group,
                         re.M), group
        deploy.run(["systemd-tmpfiles", "--root=" + root, "--create",
                    os.path.join(tree.prefix, "lib/tmpfiles.d/pyexec.conf")])
        st = os.stat(root + tree.data)
        assert oct(st.st_mode & 0o777) == "0o750"
    finally:
        shutil.rmtree(root)

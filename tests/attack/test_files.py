"""Filesystem and output-file attacks: filling the tmpfs directories,
an inode flood, links, FIFOs and sparse files in /work/output, forged
file names on the runner's meta pipe, ten thousand output files, a file
over the size cap, and plots of absurd sizes."""

import os
import time
import urllib.parse

import attacklib
from attacklib import (MARGIN, MAX_FILES, SCRATCH_PROBE, TMPFS_MB,
                       dir_size)



def clean_scratch(atk):
    """What a fresh execution sees: the runner's /work/output and
    matplotlib directory, nothing else, and no other process of its
    user."""
    out = atk.ran(SCRATCH_PROBE)["stdout"].splitlines()
    assert out[0] == "/tmp ['matplotlib']", out
    assert out[1] == "/work ['output']", out
    assert out[2] == "/dev/shm []", out
    assert out[3].startswith("/dev/mqueue") and "]" in out[3], out
    assert attacklib.procs_in("\n".join(out)) == [], out
    return out


def test_filling_tmp_work_and_dev_shm(atk):
    before = dir_size(atk.st.data)
    code = r"""
import errno, os
for d in ('/tmp', '/work', '/dev/shm'):
    n = 0
    try:
        with open(d + '/fill', 'wb') as f:
            while True:
                f.write(b'\0' * (1 << 20))
                f.flush()
                n += 1
    except OSError as e:
        print(d, n, errno.errorcode[e.errno])
"""
    j = atk.run(code, timeout=60, max_memory_mb=512)
    assert j["status"] == "completed", j
    out = dict((l.split()[0], l.split()[1:]) for l in j["stdout"].splitlines())
    for d in ("/tmp", "/work", "/dev/shm"):
        n, err = out[d]
        assert err == "ENOSPC", out
        assert TMPFS_MB - 8 <= int(n) <= TMPFS_MB, out
    # 192 MB were written; the host's disk did not get them.
    assert dir_size(atk.st.data) - before < 16 << 20
    atk.held("container: tmpfs size cap (ENOSPC), in memory, not on disk")
    clean_scratch(atk)


def test_inode_flood(atk):
    """Millions of empty files: no byte of data, but inodes and dentries
    are kernel memory, charged to the container's memory cgroup."""
    code = ("import errno, os\nn = 0\ntry:\n    while True:\n"
            "        open('/tmp/f%d' % n, 'w').close()\n        n += 1\n"
            "except OSError as e:\n"
            "    print('stopped', n, errno.errorcode[e.errno])\n")
    t0 = time.time()
    j = atk.run(code, timeout=20)
    assert time.time() - t0 < 20 + MARGIN
    assert j["status"] in ("memory_limit", "timeout", "completed"), j
    if j["status"] == "completed":
        assert j["stdout"].split()[-1] in ("ENOSPC", "ENOMEM"), j
    atk.held("container: %s" % {
        "memory_limit": "memory cgroup (kernel memory of the inodes)",
        "timeout": "timeout", "completed": "tmpfs inode cap"}[j["status"]])
    clean_scratch(atk)


def test_links_fifos_and_sparse_files_in_output(atk):
    code = r"""
import os
o = '/work/output'
os.symlink('/etc/passwd', o + '/passwd')
os.symlink('/etc/shadow', o + '/shadow')
os.symlink('/proc/1/environ', o + '/environ')
os.symlink('/dev/zero', o + '/zero')
os.symlink('..', o + '/up')
os.mkfifo(o + '/fifo')
with open(o + '/sparse', 'wb') as f:
    f.truncate(10 ** 12)
for src in ('/etc/passwd', '/usr/bin/su'):
    try:
        os.link(src, o + '/hard-' + os.path.basename(src))
    except OSError as e:
        print('link', e.errno)
try:
    os.mknod(o + '/disk', 0o600 | 0o060000, os.makedev(8, 0))
except OSError as e:
    print('mknod', e.errno)
open(o + '/plain.txt', 'w').write('fine')
"""
    t0 = time.time()
    j = atk.run(code, timeout=30)
    assert time.time() - t0 < 30 + MARGIN
    assert j["status"] == "completed", j
    assert j["stdout"] == "link 18\nlink 18\nmknod 1\n", j    # EXDEV, EPERM
    names = [f["name"] for f in j["files"]]
    assert names == ["plain.txt"], j["files"]
    assert j["files"][0]["size"] == 4
    passwd = open("/etc/passwd", "rb").read()
    for f in j["files"]:
        body = atk.st.get(urllib.parse.urlparse(f["url"]).path,
                          key=False).body
        assert b"root:" not in body and body != passwd
    atk.held("runner: only regular files of /work/output, opened with "
             "O_NOFOLLOW|O_NONBLOCK; sparse file over the size cap dropped")


def test_output_dir_replaced_by_a_link(atk):
    code = ("import os\nos.rmdir('/work/output')\n"
            "os.symlink('/etc', '/work/output')\nprint('swapped')")
    j = atk.run(code, timeout=30)
    assert j["status"] == "completed" and j["stdout"] == "swapped\n", j
    assert j["files"] == [], j["files"]
    atk.held("runner: /work/output opened with O_NOFOLLOW")


def test_forged_file_names_on_the_meta_pipe(atk):
    """The program owns the pipe its files travel on (fd 3) and can
    write any frame: names with a path in them are refused by the runner
    and by the host, and nothing is written outside the database."""
    code = r"""
import json, os, struct
def frame(kind, payload):
    return kind + struct.pack('>I', len(payload)) + payload
def file_frame(name, data):
    return frame(b'f', struct.pack('>H', len(name)) + name + data)
for name in (b'../../pwned-attack', b'/etc/pwned-attack', b'..', b'.',
             b'', b'a/../../pwned-attack', b'nul\0pwned-attack',
             b'x' * 300):
    os.write(3, file_frame(name, b'evil'))
os.write(3, frame(b'f', b'\xff\xff' + b'short'))
print('forged')
"""
    top = os.path.dirname(atk.st.dir)
    j = atk.run(code, timeout=30)
    assert j["status"] in ("completed", "error", "killed"), j
    assert j["files"] == [], j["files"]
    for d in (atk.st.dir, atk.st.data, top, "/", "/etc", "/tmp"):
        assert not [n for n in os.listdir(d) if "pwned-attack" in n], d
    atk.held("runner and host: file names must be plain names")


def test_ten_thousand_output_files(atk):
    code = ("for i in range(10000):\n"
            "    open('/work/output/f%05d' % i, 'w').write(str(i))\n"
            "print('made')")
    j = atk.run(code, timeout=60)
    assert j["status"] == "completed", j
    assert len(j["files"]) <= MAX_FILES, len(j["files"])
    assert j["images_dropped"] >= 10000 - MAX_FILES, j["images_dropped"]
    assert len(atk.last.body) < 1 << 20
    atk.held("runner and host: images_per_execution caps the files")


def test_output_file_over_the_size_cap(atk):
    code = ("open('/work/output/big.bin', 'wb').write(b'b' * (8 << 20))\n"
            "open('/work/output/small.txt', 'w').write('s')\n")
    j = atk.run(code, timeout=60)
    assert j["status"] == "completed", j
    assert [f["name"] for f in j["files"]] == ["small.txt"], j["files"]
    assert j["images_dropped"] >= 1
    atk.held("runner and host: image_max_bytes caps each file")


def test_plots_of_absurd_size(atk):
    """A 100,000 px square figure is refused by Agg; a 30,000 px one
    needs 3.6 GB and meets the memory limit."""
    j = atk.run("import matplotlib.pyplot as plt\n"
                "plt.figure(figsize=(1000, 1000))\nplt.plot([1, 2])\n"
                "plt.show()", timeout=60)
    assert j["status"] == "error" and "too large" in j["stderr"], j
    assert j["images"] == []
    j = atk.run("import matplotlib.pyplot as plt\n"
                "plt.figure(figsize=(300, 300))\nplt.plot([1, 2])\n"
                "plt.show()", timeout=60)
    assert j["status"] in ("memory_limit", "error"), j
    assert j["images"] == []
    j = atk.run("import matplotlib.pyplot as plt\n"
                "for i in range(100):\n    plt.figure()\n"
                "    plt.plot([i, i + 1])\n", timeout=120)
    assert j["status"] == "completed", j
    assert len(j["images"]) <= MAX_FILES
    atk.held("sandbox: Agg's 2^16 px cap, the memory limit, and "
             "images_per_execution")


def test_file_names_that_would_inject_headers(atk):
    """An output file's name ends up in a Content-Disposition header of
    a page served from our origin: names that would break out of it
    (CR, LF, quotes) are refused, and a .html or .svg is an attachment
    under a sandbox CSP, never a page."""
    code = r"""
names = ['a\r\nX-Injected: 1\r\n.txt', 'q"; filename="evil.html',
         'esc\x1b[31m.txt', 'evil.html', 'evil.svg', 'semi;colon.txt']
for n in names:
    open('/work/output/' + n, 'w').write('<script>alert(1)</script>')
"""
    j = atk.run(code, timeout=30)
    assert j["status"] == "completed", j
    names = sorted(f["name"] for f in j["files"])
    assert names == ["evil.html", "evil.svg", "semi;colon.txt"], names
    for f in j["files"]:
        r = atk.st.get(urllib.parse.urlparse(f["url"]).path, key=False)
        assert r.status == 200
        headers = {k.lower(): v for k, v in r.headers}
        assert "x-injected" not in headers
        assert headers["content-disposition"].startswith("attachment;")
        assert headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in headers["content-security-policy"]
    atk.held("host: file names with control characters or quotes refused;"
             " other files are attachments under a sandbox CSP")

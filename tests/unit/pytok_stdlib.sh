#!/bin/sh
# pytok_stdlib.sh - the differential test behind the promise in policy.h:
# pytok must not reject any source that Python compiles, since the policy
# lets such code run.  Every .py file under the standard library and
# dist-packages that python3 compiles (and that is UTF-8, like all code the
# service receives) must tokenize without error.  Prints TAP.
#
# PYEXEC_PYTHON, PYEXEC_BUILDDIR: set by make check.  PYTOK_STDLIB_DIRS
# overrides the directories (the first one must exist).
set -u
py=${PYEXEC_PYTHON:-/usr/bin/python3}
scan=${PYEXEC_BUILDDIR:-.}/pytok_scan

echo "1..1"
if [ ! -x "$py" ]; then
    echo "ok 1 # SKIP no python3 at '$py'"
    exit 0
fi
# Whichever release python3 is: its standard library, which must be
# there, and the package directories it has.
dirs=${PYTOK_STDLIB_DIRS:-$("$py" -c 'import site, sysconfig
print(sysconfig.get_path("stdlib"), *site.getsitepackages())')}
stdlib=${dirs%% *}
if [ ! -d "$stdlib" ]; then
    echo "not ok 1 - no standard library at '$stdlib' ($py)"
    exit 0
fi
existing=""
for d in $dirs; do
    [ -d "$d" ] && existing="$existing $d"
done

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# Python decides which files count: UTF-8, and compile() accepts them.
find $existing -name '*.py' -type f | LC_ALL=C sort > "$tmp/all"
"$py" -c '
import sys, warnings
warnings.simplefilter("ignore")
ok = bad = other = 0
for line in sys.stdin:
    path = line.rstrip("\n")
    try:
        data = open(path, "rb").read()
        data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        other += 1
        continue
    try:
        compile(data, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        bad += 1
        continue
    ok += 1
    print(path)
sys.stderr.write("# %s compiles %d files (%d rejected by it, %d not read "
                 "or not UTF-8)\n" % (sys.executable, ok, bad, other))
' < "$tmp/all" > "$tmp/ok" 2> "$tmp/py.log"
cat "$tmp/py.log"
n=$(wc -l < "$tmp/ok")
if [ "$n" -eq 0 ]; then
    echo "not ok 1 - python3 compiled no files"
    exit 0
fi

"$scan" - < "$tmp/ok" > "$tmp/scan.log" 2>&1
rc=$?
summary=$(tail -n 1 "$tmp/scan.log")
echo "$summary"
if [ "$rc" -eq 0 ]; then
    echo "ok 1 - pytok tokenizes all $n files python3 compiles"
else
    grep -v '^#' "$tmp/scan.log" | head -n 20 | sed 's/^/# /'
    echo "not ok 1 - pytok rejects files python3 compiles"
fi

#!/usr/bin/env python3
# pytok_compare.py - compares pytok's tokens with CPython's tokenize module,
# token by token with positions, for files CPython compiles.  Needs Python
# 3.12 or later (PEP 701 f-string tokens); not part of make check because
# Debian 12 ships 3.11.  FSTRING_MIDDLE is left out: CPython splits it at
# '{{' and reports unescaped text, pytok keeps the source bytes.
#
#   python3.12 tests/unit/pytok_compare.py build/pytok_scan FILE... | -
import io
import subprocess
import sys
import tokenize
import warnings

CHECK_TEXT = {'NAME', 'NUMBER', 'STRING', 'OP', 'COMMENT', 'FSTRING_START',
              'FSTRING_END'}


def python_tokens(data):
    out = []
    for t in tokenize.tokenize(io.BytesIO(data).readline):
        name = tokenize.tok_name[t.type]
        if name in ('ENCODING', 'FSTRING_MIDDLE'):
            continue
        text = t.string if name in CHECK_TEXT else ''
        out.append((name, t.start[0], t.start[1] + 1, text))
    return out


def unquote(s):
    # pytok_scan -d writes text in single quotes with \\ \' and \xNN.
    s = s[1:-1]
    b = bytearray()
    i = 0
    raw = s.encode('utf-8', 'surrogateescape')
    while i < len(raw):
        c = raw[i]
        if c == 0x5c:
            n = raw[i + 1]
            if n == ord('x'):
                b.append(int(raw[i + 2:i + 4], 16))
                i += 4
                continue
            b.append(n)
            i += 2
            continue
        b.append(c)
        i += 1
    return b.decode('utf-8', 'replace')


def our_tokens(scan, path):
    r = subprocess.run([scan, '-d', path], capture_output=True)
    if r.returncode != 0:
        lines = r.stdout.decode('utf-8', 'replace').splitlines()
        return None, lines[-1] if lines else 'exit %d' % r.returncode
    out = []
    for line in r.stdout.decode('utf-8', 'surrogateescape').splitlines():
        parts = line.split(' ', 3)
        if len(parts) < 4:
            return None, line
        name, ln, col, text = parts
        if name == 'FSTRING_MIDDLE':
            continue
        text = unquote(text) if name in CHECK_TEXT else ''
        out.append((name, int(ln), int(col), text))
    return out, None


def main():
    warnings.simplefilter('ignore')
    scan = sys.argv[1]
    paths = sys.argv[2:]
    if paths == ['-']:
        paths = [p.strip() for p in sys.stdin if p.strip()]
    nsame = ndiff = nskip = 0
    for path in paths:
        with open(path, 'rb') as f:
            data = f.read()
        try:
            compile(data, path, 'exec')
            want = python_tokens(data)
        except (SyntaxError, ValueError, UnicodeDecodeError,
                tokenize.TokenError):
            nskip += 1
            continue
        got, err = our_tokens(scan, path)
        if got is None:
            print('%s: pytok rejected it: %s' % (path, err))
            ndiff += 1
            continue
        if got == want:
            nsame += 1
            continue
        ndiff += 1
        for i, (a, b) in enumerate(zip(got, want)):
            if a != b:
                print('%s: token %d: pytok %r, python %r' % (path, i, a, b))
                break
        else:
            print('%s: %d tokens, python %d' % (path, len(got), len(want)))
    print('# %d same, %d different, %d skipped (python rejects)'
          % (nsame, ndiff, nskip))
    return 1 if ndiff else 0


if __name__ == '__main__':
    sys.exit(main())

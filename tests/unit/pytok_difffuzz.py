#!/usr/bin/env python3
# pytok_difffuzz.py - differential mutation fuzzing of pytok against
# CPython: takes the source snippets embedded as string constants in
# CPython's own tests (f-strings, tokenizer, grammar...), mutates them,
# keeps the mutants this Python compiles, and requires pytok to give the
# same tokens (pytok_compare.py's comparison).  Needs Python 3.12 or later
# with its test suite; not part of make check.
#
#   python3.13 tests/unit/pytok_difffuzz.py build/pytok_scan \
#       /path/to/lib/python3.13/test [ITERATIONS] [SEED]
#
# Mutants with a CR or a coding declaration are skipped: there the
# tokenize module (the judge) and compile() disagree (the module keeps CR
# in f-string text and does not end lines at a lone CR), and pytok follows
# compile(), which turns every CR and CRLF into a line end first.
import ast
import os
import random
import re
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pytok_compare as pc  # noqa: E402

TEST_FILES = ['test_fstring.py', 'test_tokenize.py', 'test_syntax.py',
              'test_grammar.py', 'test_string_literals.py', 'test_eof.py',
              'test_unparse.py', 'test_ast.py', 'test_compile.py',
              'test_unicode_identifiers.py', 'test_exceptions.py']
PIECES = [b"f'", b'f"', b"'", b'"', b'{', b'}', b'{{', b'}}', b':', b'!r',
          b'=', b'\\', b'\n', b'#', b' ', b'\t', b'(', b')', b'[',
          b']', b'"""', b"'''", b'rb', b'Rf', b'0x', b'1_0', b'.', b'...',
          b'\\N{BULLET}', b'x', b'os', b'\xc3\xa9', b'\xef\xbd\x8f', b'\f',
          b';', b',']
SKIP = re.compile(rb'\r|^[ \t\f]*#.*?coding[:=]', re.M)


def harvest(test_dir):
    seeds = set()
    for name in TEST_FILES:
        path = os.path.join(test_dir, name)
        if not os.path.exists(path):
            continue
        with open(path, 'rb') as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                try:
                    b = node.value.encode('utf-8')
                except UnicodeEncodeError:
                    continue
                if 0 < len(b) < 400:
                    seeds.add(b)
    return sorted(seeds)


def mutate(rnd, seeds):
    s = bytearray(rnd.choice(seeds))
    for _ in range(rnd.randint(1, 3)):
        op, pos = rnd.random(), rnd.randint(0, len(s))
        if op < 0.5:
            s[pos:pos] = rnd.choice(PIECES)
        elif op < 0.8 and s:
            del s[pos:pos + rnd.randint(1, 3)]
        else:
            other = rnd.choice(seeds)
            a = rnd.randint(0, len(other))
            s[pos:pos] = other[a:a + rnd.randint(1, 20)]
    return bytes(s)


def main():
    warnings.simplefilter('ignore')
    scan, test_dir = sys.argv[1], sys.argv[2]
    iterations = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    rnd = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    seeds = harvest(test_dir)
    tmp = '/tmp/pytok_difffuzz.%d.py' % os.getpid()
    ncompiled = nsame = ndiff = 0
    for _ in range(iterations):
        data = mutate(rnd, seeds)
        if SKIP.search(data):
            continue
        try:
            data.decode('utf-8')
            compile(data, 'x', 'exec')
            want = pc.python_tokens(data)
        except Exception:
            continue
        ncompiled += 1
        with open(tmp, 'wb') as f:
            f.write(data)
        got, err = pc.our_tokens(scan, tmp)
        if got == want:
            nsame += 1
            continue
        ndiff += 1
        print('difference on %r: %s' % (data, err or
              next((a, b) for a, b in zip(got + [None], want + [None])
                   if a != b)))
    os.unlink(tmp) if os.path.exists(tmp) else None
    print('# %d seeds; %d mutants compile; %d identical, %d different'
          % (len(seeds), ncompiled, nsame, ndiff))
    return 1 if ndiff else 0


if __name__ == '__main__':
    sys.exit(main())

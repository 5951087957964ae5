/* test_pytok.c - the tokenizer: token types, text and positions for
 * tricky input (every valid case here was checked token by token against
 * CPython 3.12 and 3.13's tokenize module), error messages with positions,
 * nesting limits, identifier folding, string values, coding declarations,
 * and that garbage always ends in a token stream or an error. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/buf.h"
#include "base/util.h"
#include "policy/pytok.h"

/* Tokenizes src into "TYPE(text)@line:col ..." (no text for layout
 * tokens).  Returns 0, or -1 with the error in err. */
static int dump(const char *src, size_t len, struct buf *out, char *err)
{
    struct pytok *t = pytok_new(src, len);
    struct pytok_token tok;
    int rc = 0;

    buf_reset(out);
    for (;;) {
        if (pytok_next(t, &tok) < 0) {
            snprintf(err, ERR_LEN, "%s", pytok_error(t, NULL, NULL));
            rc = -1;
            break;
        }
        if (out->len)
            buf_append_char(out, ' ');
        switch (tok.type) {
        case PYTOK_NEWLINE:
        case PYTOK_NL:
        case PYTOK_INDENT:
        case PYTOK_DEDENT:
        case PYTOK_ENDMARKER:
            buf_appendf(out, "%s@%d:%d", pytok_type_name(tok.type),
                        tok.line, tok.col);
            break;
        default:
            buf_appendf(out, "%s(%.*s)@%d:%d", pytok_type_name(tok.type),
                        (int)tok.len, src + tok.off, tok.line, tok.col);
            break;
        }
        if (tok.type == PYTOK_ENDMARKER)
            break;
    }
    pytok_free(t);
    return rc;
}

static const struct {
    const char *name;
    const char *src;
    const char *want;
} streams[] = {
    { "simple",
      "import os\n",
      "NAME(import)@1:1 NAME(os)@1:8 NEWLINE@1:10 ENDMARKER@2:1" },
    { "non_ascii_name",
      "é = 1\nπ_2 = é\n",
      "NAME(é)@1:1 OP(=)@1:3 NUMBER(1)@1:5 NEWLINE@1:6 NAME(π_2)@2:1 "
      "OP(=)@2:5 NAME(é)@2:7 NEWLINE@2:8 ENDMARKER@3:1" },
    { "numbers",
      "x = [1_000, 0x_ff, 0o17, 0b1_0, 1e-3j, .5, "
      "1., 1.e5, 1J, 0_0, 00, 1E+5]\n",
      "NAME(x)@1:1 OP(=)@1:3 OP([)@1:5 NUMBER(1_000)@1:6 OP(,)@1:11 "
      "NUMBER(0x_ff)@1:13 OP(,)@1:18 NUMBER(0o17)@1:20 OP(,)@1:24 "
      "NUMBER(0b1_0)@1:26 OP(,)@1:31 NUMBER(1e-3j)@1:33 OP(,)@1:38 "
      "NUMBER(.5)@1:40 OP(,)@1:42 NUMBER(1.)@1:44 OP(,)@1:46 "
      "NUMBER(1.e5)@1:48 OP(,)@1:52 NUMBER(1J)@1:54 OP(,)@1:56 "
      "NUMBER(0_0)@1:58 OP(,)@1:61 NUMBER(00)@1:63 OP(,)@1:65 "
      "NUMBER(1E+5)@1:67 OP(])@1:71 NEWLINE@1:72 ENDMARKER@2:1" },
    { "number_keyword",
      "x = 1if y else 0x1for z in w\n",
      "NAME(x)@1:1 OP(=)@1:3 NUMBER(1)@1:5 NAME(if)@1:6 NAME(y)@1:9 "
      "NAME(else)@1:11 NUMBER(0x1f)@1:16 NAME(or)@1:20 NAME(z)@1:23 "
      "NAME(in)@1:25 NAME(w)@1:28 NEWLINE@1:29 ENDMARKER@2:1" },
    { "number_exponent_backoff",
      "x = y if 1else z\n",
      "NAME(x)@1:1 OP(=)@1:3 NAME(y)@1:5 NAME(if)@1:7 NUMBER(1)@1:10 "
      "NAME(else)@1:11 NAME(z)@1:16 NEWLINE@1:17 ENDMARKER@2:1" },
    { "operators",
      "def f(a) -> c: pass\nif (a := b): pass\n"
      "x **= 2; x //= 2; x @= m; x >>= 1; x <<= 1\nx != y ** z // w\n",
      "NAME(def)@1:1 NAME(f)@1:5 OP(()@1:6 NAME(a)@1:7 OP())@1:8 "
      "OP(->)@1:10 NAME(c)@1:13 OP(:)@1:14 NAME(pass)@1:16 NEWLINE@1:20 "
      "NAME(if)@2:1 OP(()@2:4 NAME(a)@2:5 OP(:=)@2:7 NAME(b)@2:10 "
      "OP())@2:11 OP(:)@2:12 NAME(pass)@2:14 NEWLINE@2:18 NAME(x)@3:1 "
      "OP(**=)@3:3 NUMBER(2)@3:7 OP(;)@3:8 NAME(x)@3:10 OP(//=)@3:12 "
      "NUMBER(2)@3:16 OP(;)@3:17 NAME(x)@3:19 OP(@=)@3:21 NAME(m)@3:24 "
      "OP(;)@3:25 NAME(x)@3:27 OP(>>=)@3:29 NUMBER(1)@3:33 OP(;)@3:34 "
      "NAME(x)@3:36 OP(<<=)@3:38 NUMBER(1)@3:42 NEWLINE@3:43 NAME(x)@4:1 "
      "OP(!=)@4:3 NAME(y)@4:6 OP(**)@4:8 NAME(z)@4:11 OP(//)@4:13 "
      "NAME(w)@4:16 NEWLINE@4:17 ENDMARKER@5:1" },
    { "ellipsis",
      "a[...] = ...\n",
      "NAME(a)@1:1 OP([)@1:2 OP(...)@1:3 OP(])@1:6 OP(=)@1:8 OP(...)@1:10 "
      "NEWLINE@1:13 ENDMARKER@2:1" },
    { "prefixes",
      "x = [rb'x', Rb\"y\", bR'z', BR\"\"\"w\"\"\", u'a', "
      "U\"b\", F'', rF\"\", Rf'']\n",
      "NAME(x)@1:1 OP(=)@1:3 OP([)@1:5 STRING(rb'x')@1:6 OP(,)@1:11 "
      "STRING(Rb\"y\")@1:13 OP(,)@1:18 STRING(bR'z')@1:20 OP(,)@1:25 "
      "STRING(BR\"\"\"w\"\"\")@1:27 OP(,)@1:36 STRING(u'a')@1:38 "
      "OP(,)@1:42 STRING(U\"b\")@1:44 OP(,)@1:48 FSTRING_START(F')@1:50 "
      "FSTRING_END(')@1:52 OP(,)@1:53 FSTRING_START(rF\")@1:55 "
      "FSTRING_END(\")@1:58 OP(,)@1:59 FSTRING_START(Rf')@1:61 "
      "FSTRING_END(')@1:64 OP(])@1:65 NEWLINE@1:66 ENDMARKER@2:1" },
    { "raw_escaped_quote",
      "r'\\'' + r\"\\\\\"\n",
      "STRING(r'\\'')@1:1 OP(+)@1:7 STRING(r\"\\\\\")@1:9 NEWLINE@1:14 "
      "ENDMARKER@2:1" },
    { "triple_multiline",
      "s = '''a\nb''' + \"\"\"\n\"\"\"\nx\n",
      "NAME(s)@1:1 OP(=)@1:3 STRING('''a\nb''')@1:5 OP(+)@2:6 "
      "STRING(\"\"\"\n\"\"\")@2:8 NEWLINE@3:4 NAME(x)@4:1 NEWLINE@4:2 "
      "ENDMARKER@5:1" },
    { "string_continuation",
      "s = 'a\\\nb'\nx\n",
      "NAME(s)@1:1 OP(=)@1:3 STRING('a\\\nb')@1:5 NEWLINE@2:3 NAME(x)@3:1 "
      "NEWLINE@3:2 ENDMARKER@4:1" },
    { "fstring_spec",
      "f\"{x:{width}.{prec}}\"\n",
      "FSTRING_START(f\")@1:1 OP({)@1:3 NAME(x)@1:4 OP(:)@1:5 OP({)@1:6 "
      "NAME(width)@1:7 OP(})@1:12 FSTRING_MIDDLE(.)@1:13 OP({)@1:14 "
      "NAME(prec)@1:15 OP(})@1:19 OP(})@1:20 FSTRING_END(\")@1:21 "
      "NEWLINE@1:22 ENDMARKER@2:1" },
    { "fstring_conversion",
      "f'{x!r} {y!s:>10} {z=}'\n",
      "FSTRING_START(f')@1:1 OP({)@1:3 NAME(x)@1:4 OP(!)@1:5 NAME(r)@1:6 "
      "OP(})@1:7 FSTRING_MIDDLE( )@1:8 OP({)@1:9 NAME(y)@1:10 OP(!)@1:11 "
      "NAME(s)@1:12 OP(:)@1:13 FSTRING_MIDDLE(>10)@1:14 OP(})@1:17 "
      "FSTRING_MIDDLE( )@1:18 OP({)@1:19 NAME(z)@1:20 OP(=)@1:21 "
      "OP(})@1:22 FSTRING_END(')@1:23 NEWLINE@1:24 ENDMARKER@2:1" },
    { "fstring_escapes",
      "f'{{}} {{{x}}}'\n",
      "FSTRING_START(f')@1:1 FSTRING_MIDDLE({{}} {{)@1:3 OP({)@1:10 "
      "NAME(x)@1:11 OP(})@1:12 FSTRING_MIDDLE(}})@1:13 "
      "FSTRING_END(')@1:15 NEWLINE@1:16 ENDMARKER@2:1" },
    { "fstring_reused_quote",
      "f\"{d[\"key\"]}\"\n",
      "FSTRING_START(f\")@1:1 OP({)@1:3 NAME(d)@1:4 OP([)@1:5 "
      "STRING(\"key\")@1:6 OP(])@1:11 OP(})@1:12 FSTRING_END(\")@1:13 "
      "NEWLINE@1:14 ENDMARKER@2:1" },
    { "fstring_nested",
      "f\"{f'{x}' + f\"{y}\"}\"\n",
      "FSTRING_START(f\")@1:1 OP({)@1:3 FSTRING_START(f')@1:4 OP({)@1:6 "
      "NAME(x)@1:7 OP(})@1:8 FSTRING_END(')@1:9 OP(+)@1:11 "
      "FSTRING_START(f\")@1:13 OP({)@1:15 NAME(y)@1:16 OP(})@1:17 "
      "FSTRING_END(\")@1:18 OP(})@1:19 FSTRING_END(\")@1:20 NEWLINE@1:21 "
      "ENDMARKER@2:1" },
    { "fstring_named_escape",
      "f'\\N{BULLET} {x}' + rf'\\N{y}'\n",
      "FSTRING_START(f')@1:1 FSTRING_MIDDLE(\\N{BULLET} )@1:3 OP({)@1:14 "
      "NAME(x)@1:15 OP(})@1:16 FSTRING_END(')@1:17 OP(+)@1:19 "
      "FSTRING_START(rf')@1:21 FSTRING_MIDDLE(\\N)@1:24 OP({)@1:26 "
      "NAME(y)@1:27 OP(})@1:28 FSTRING_END(')@1:29 NEWLINE@1:30 "
      "ENDMARKER@2:1" },
    { "fstring_walrus_spec",
      "f'{x:=5}' f'{(y:=5)}'\n",
      "FSTRING_START(f')@1:1 OP({)@1:3 NAME(x)@1:4 OP(:)@1:5 "
      "FSTRING_MIDDLE(=5)@1:6 OP(})@1:8 FSTRING_END(')@1:9 "
      "FSTRING_START(f')@1:11 OP({)@1:13 OP(()@1:14 NAME(y)@1:15 "
      "OP(:=)@1:16 NUMBER(5)@1:18 OP())@1:19 OP(})@1:20 "
      "FSTRING_END(')@1:21 NEWLINE@1:22 ENDMARKER@2:1" },
    { "fstring_spec_newline",
      "f'{x:abc\n}'\n",
      "FSTRING_START(f')@1:1 OP({)@1:3 NAME(x)@1:4 OP(:)@1:5 "
      "FSTRING_MIDDLE(abc)@1:6 NL@1:9 OP(})@2:1 FSTRING_END(')@2:2 "
      "NEWLINE@2:3 ENDMARKER@3:1" },
    { "fstring_triple_multiline",
      "f'''a\n{x\n+ y}\nb'''\n",
      "FSTRING_START(f''')@1:1 FSTRING_MIDDLE(a\n)@1:5 OP({)@2:1 "
      "NAME(x)@2:2 NL@2:3 OP(+)@3:1 NAME(y)@3:3 OP(})@3:4 "
      "FSTRING_MIDDLE(\nb)@3:5 FSTRING_END(''')@4:2 NEWLINE@4:5 "
      "ENDMARKER@5:1" },
    { "fstring_backslash_brace",
      "rf'\\{x}'\n",
      "FSTRING_START(rf')@1:1 FSTRING_MIDDLE(\\)@1:4 OP({)@1:5 "
      "NAME(x)@1:6 OP(})@1:7 FSTRING_END(')@1:8 NEWLINE@1:9 ENDMARKER@2:1" },
    { "fstring_text_only",
      "f'os.system(1)'\n",
      "FSTRING_START(f')@1:1 FSTRING_MIDDLE(os.system(1))@1:3 "
      "FSTRING_END(')@1:15 NEWLINE@1:16 ENDMARKER@2:1" },
    { "comment_and_nl",
      "x = (1,  # c\n     2)\n# own line\n",
      "NAME(x)@1:1 OP(=)@1:3 OP(()@1:5 NUMBER(1)@1:6 OP(,)@1:7 COMMENT(# "
      "c)@1:10 NL@1:13 NUMBER(2)@2:6 OP())@2:7 NEWLINE@2:8 COMMENT(# own "
      "line)@3:1 NL@3:11 ENDMARKER@4:1" },
    { "explicit_join",
      "x = 1 + \\\n    2\n",
      "NAME(x)@1:1 OP(=)@1:3 NUMBER(1)@1:5 OP(+)@1:7 NUMBER(2)@2:5 "
      "NEWLINE@2:6 ENDMARKER@3:1" },
    { "indent_dedent",
      "if x:\n    y\nz\n",
      "NAME(if)@1:1 NAME(x)@1:4 OP(:)@1:5 NEWLINE@1:6 INDENT@2:1 "
      "NAME(y)@2:5 NEWLINE@2:6 DEDENT@3:1 NAME(z)@3:1 NEWLINE@3:2 "
      "ENDMARKER@4:1" },
    { "multi_dedent",
      "if a:\n  if b:\n    c\nd\n",
      "NAME(if)@1:1 NAME(a)@1:4 OP(:)@1:5 NEWLINE@1:6 INDENT@2:1 "
      "NAME(if)@2:3 NAME(b)@2:6 OP(:)@2:7 NEWLINE@2:8 INDENT@3:1 "
      "NAME(c)@3:5 NEWLINE@3:6 DEDENT@4:1 DEDENT@4:1 NAME(d)@4:1 "
      "NEWLINE@4:2 ENDMARKER@5:1" },
    { "crlf",
      "if x:\r\n    y = 'é'\r\nz\r\n",
      "NAME(if)@1:1 NAME(x)@1:4 OP(:)@1:5 NEWLINE@1:6 INDENT@2:1 "
      "NAME(y)@2:5 OP(=)@2:7 STRING('é')@2:9 NEWLINE@2:12 DEDENT@3:1 "
      "NAME(z)@3:1 NEWLINE@3:2 ENDMARKER@4:1" },
    { "blank_and_comment_lines",
      "if x:\n\n  # c\n  y\n",
      "NAME(if)@1:1 NAME(x)@1:4 OP(:)@1:5 NEWLINE@1:6 NL@2:1 COMMENT(# "
      "c)@3:3 NL@3:6 INDENT@4:1 NAME(y)@4:3 NEWLINE@4:4 DEDENT@5:1 "
      "ENDMARKER@5:1" },
    { "tabs",
      "if x:\n\ty\n",
      "NAME(if)@1:1 NAME(x)@1:4 OP(:)@1:5 NEWLINE@1:6 INDENT@2:1 "
      "NAME(y)@2:2 NEWLINE@2:3 DEDENT@3:1 ENDMARKER@3:1" },
    { "eof_no_newline",
      "x",
      "NAME(x)@1:1 NEWLINE@1:2 ENDMARKER@2:1" },
    { "eof_comment",
      "x\n# c",
      "NAME(x)@1:1 NEWLINE@1:2 COMMENT(# c)@2:1 NL@2:4 ENDMARKER@3:1" },
    { "formfeed",
      "\fif x:\n\f  y\n",
      "NAME(if)@1:2 NAME(x)@1:5 OP(:)@1:6 NEWLINE@1:7 INDENT@2:1 "
      "NAME(y)@2:4 NEWLINE@2:5 DEDENT@3:1 ENDMARKER@3:1" },
    { "continuation_in_indent",
      "if x:\n    \\\n  y\n",
      "NAME(if)@1:1 NAME(x)@1:4 OP(:)@1:5 NEWLINE@1:6 INDENT@3:1 "
      "NAME(y)@3:3 NEWLINE@3:4 DEDENT@4:1 ENDMARKER@4:1" },
    { "exclamation",
      "f'{a!=b}'\n",
      "FSTRING_START(f')@1:1 OP({)@1:3 NAME(a)@1:4 OP(!=)@1:5 NAME(b)@1:7 "
      "OP(})@1:8 FSTRING_END(')@1:9 NEWLINE@1:10 ENDMARKER@2:1" },
    { "empty",
      "",
      "ENDMARKER@1:1" },
    { "unicode_cols",
      "s = 'héllo' # ü\nt = '日本' + x\n",
      "NAME(s)@1:1 OP(=)@1:3 STRING('héllo')@1:5 COMMENT(# ü)@1:13 "
      "NEWLINE@1:16 NAME(t)@2:1 OP(=)@2:3 STRING('日本')@2:5 OP(+)@2:10 "
      "NAME(x)@2:12 NEWLINE@2:13 ENDMARKER@3:1" },
    { "dedent_at_eof",
      "def f():\n    return 1",
      "NAME(def)@1:1 NAME(f)@1:5 OP(()@1:6 OP())@1:7 OP(:)@1:8 "
      "NEWLINE@1:9 INDENT@2:1 NAME(return)@2:5 NUMBER(1)@2:12 "
      "NEWLINE@2:13 DEDENT@3:1 ENDMARKER@3:1" },
    { "bom",
      "\xef\xbb\xbfx = 1\n",
      "NAME(x)@1:1 OP(=)@1:3 NUMBER(1)@1:5 NEWLINE@1:6 ENDMARKER@2:1" },
    { "decorator_async",
      "@d\nasync def f():\n    await g()\n",
      "OP(@)@1:1 NAME(d)@1:2 NEWLINE@1:3 NAME(async)@2:1 NAME(def)@2:7 "
      "NAME(f)@2:11 OP(()@2:12 OP())@2:13 OP(:)@2:14 NEWLINE@2:15 "
      "INDENT@3:1 NAME(await)@3:5 NAME(g)@3:11 OP(()@3:12 OP())@3:13 "
      "NEWLINE@3:14 DEDENT@4:1 ENDMARKER@4:1" },
    { "string_prefix_names",
      "bu = ub = fb = 1\n",
      "NAME(bu)@1:1 OP(=)@1:4 NAME(ub)@1:6 OP(=)@1:9 NAME(fb)@1:11 "
      "OP(=)@1:14 NUMBER(1)@1:16 NEWLINE@1:17 ENDMARKER@2:1" },
};

static void test_token_streams(void **state)
{
    struct buf out = BUF_INIT(0);
    char err[ERR_LEN];

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(streams); i++) {
        if (dump(streams[i].src, strlen(streams[i].src), &out, err) < 0)
            fail_msg("%s: unexpected error: %s", streams[i].name, err);
        if (strcmp(buf_cstr(&out), streams[i].want) != 0)
            fail_msg("%s:\n got %s\nwant %s", streams[i].name,
                     buf_cstr(&out), streams[i].want);
    }
    buf_release(&out);
}

/* Bad input: the message, with the position, must be exactly this. */
static const struct {
    const char *src;
    size_t len;                 /* 0: strlen(src) */
    const char *err;
} errors[] = {
    { "x = 'abc\n", 0, "line 1, column 5: unterminated string literal" },
    { "x = 1\ny = \"abc", 0,
      "line 2, column 5: unterminated string literal" },
    { "s = '''abc\n\ndef", 0,
      "line 1, column 5: unterminated triple-quoted string literal" },
    { "f'abc\n", 0, "line 1, column 1: unterminated f-string literal" },
    { "x = f\"\"\"{y}\n", 0,
      "line 1, column 5: unterminated triple-quoted f-string literal" },
    { "f'{x'", 0, "line 1, column 5: f-string: expecting '}'" },
    { "f'{x", 0, "line 1, column 3: f-string: expecting '}'" },
    { "f'{x:>10'", 0, "line 1, column 9: f-string: expecting '}'" },
    { "f'a}b'", 0, "line 1, column 4: f-string: single '}' is not allowed" },
    { "f'{)}'", 0, "line 1, column 4: f-string: unmatched ')'" },
    { "x = $", 0, "line 1, column 5: invalid character '$'" },
    { "x ? y", 0, "line 1, column 3: invalid character '?'" },
    { "`x`", 0, "line 1, column 1: invalid character '`'" },
    { "a\vb", 0, "line 1, column 2: invalid non-printable character "
      "U+000B" },
    { "x = 1\0", 6, "line 1, column 6: source code cannot contain null "
      "bytes" },
    { "s = 'a\0'", 8, "line 1, column 7: source code cannot contain null "
      "bytes" },
    { "x = \xff", 0, "line 1, column 5: invalid UTF-8 byte 0xff" },
    { "é = 1\nx = '\xc3'", 0, "line 2, column 6: invalid UTF-8 byte 0xc3" },
    { "# \xed\xa0\x80 surrogate", 0,
      "line 1, column 3: invalid UTF-8 byte 0xed" },
    { "if x:\n    y\n  z\n", 0, "line 3, column 3: unindent does not "
      "match any outer indentation level" },
    { "if x:\n\ty\n        z\n", 0, "line 3, column 9: inconsistent use "
      "of tabs and spaces in indentation" },
    { "x = (1,\n 2", 0, "line 1, column 5: '(' was never closed" },
    { "x = [(\n)", 0, "line 1, column 5: '[' was never closed" },
    { "x)", 0, "line 1, column 2: unmatched ')'" },
    { "(]", 0, "line 1, column 2: closing parenthesis ']' does not match "
      "opening parenthesis '('" },
    { "(\n]", 0, "line 2, column 1: closing parenthesis ']' does not match "
      "opening parenthesis '(' on line 1" },
    { "x = 1 \\ y", 0, "line 1, column 7: unexpected character after "
      "line continuation character" },
    { "x = \\", 0, "line 1, column 5: unexpected EOF while parsing" },
    { "x = 1 + \\\n", 0, "line 1, column 9: unexpected EOF while parsing" },
    { "x = 0x", 0, "line 1, column 5: invalid hexadecimal literal" },
    { "x = 0b12", 0, "line 1, column 5: invalid digit '2' in binary "
      "literal" },
    { "x = 0o8", 0, "line 1, column 5: invalid octal literal" },
    { "  é\xc3\x28", 0, "line 1, column 4: invalid UTF-8 byte 0xc3" },
};

static void test_errors(void **state)
{
    struct buf out = BUF_INIT(0);
    char err[ERR_LEN];

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(errors); i++) {
        size_t len = errors[i].len ? errors[i].len : strlen(errors[i].src);

        if (dump(errors[i].src, len, &out, err) == 0)
            fail_msg("case %zu: no error, got %s", i, buf_cstr(&out));
        if (strcmp(err, errors[i].err) != 0)
            fail_msg("case %zu:\n got %s\nwant %s", i, err, errors[i].err);
    }
    buf_release(&out);
}

static void test_error_position_and_sticky(void **state)
{
    const char *src = "x = 1\n  y = 'oops\n";
    struct pytok *t = pytok_new(src, strlen(src));
    struct pytok_token tok;
    int line = 0, col = 0;

    (void)state;
    while (pytok_next(t, &tok) == 0)
        assert_true(tok.type != PYTOK_ENDMARKER);
    pytok_error(t, &line, &col);
    /* "  y" after a top-level line is an INDENT token: CPython's parser,
     * not its tokenizer, rejects that.  The string is the error. */
    assert_int_equal(line, 2);
    assert_int_equal(col, 7);
    assert_string_equal(pytok_error(t, NULL, NULL),
                        "line 2, column 7: unterminated string literal");
    assert_int_equal(pytok_next(t, &tok), -1);
    assert_int_equal(pytok_next(t, &tok), -1);
    pytok_free(t);
}

static void test_endmarker_repeats(void **state)
{
    struct pytok *t = pytok_new("x", 1);
    struct pytok_token tok;
    int n = 0;

    (void)state;
    do {
        assert_int_equal(pytok_next(t, &tok), 0);
        assert_true(++n < 10);
    } while (tok.type != PYTOK_ENDMARKER);
    assert_int_equal(pytok_next(t, &tok), 0);
    assert_int_equal(tok.type, PYTOK_ENDMARKER);
    pytok_free(t);
}

/* Returns 0 if s tokenizes, else -1 with the error in err. */
static int tokenize_all(const char *s, size_t n, char *err)
{
    struct buf out = BUF_INIT(0);
    int rc = dump(s, n, &out, err);

    buf_release(&out);
    return rc;
}

static char *repeat3(const char *a, int n, const char *mid, const char *b)
{
    struct buf s = BUF_INIT(0);

    for (int i = 0; i < n; i++)
        buf_append_str(&s, a);
    buf_append_str(&s, mid);
    for (int i = 0; i < n; i++)
        buf_append_str(&s, b);
    buf_append_char(&s, '\n');
    return buf_detach(&s, NULL);
}

static void test_nesting_limits(void **state)
{
    char err[ERR_LEN];
    char *s;

    (void)state;
    s = repeat3("(", PYTOK_MAX_LEVEL, "x", ")");
    assert_int_equal(tokenize_all(s, strlen(s), err), 0);
    free(s);
    s = repeat3("(", PYTOK_MAX_LEVEL + 1, "x", ")");
    assert_int_equal(tokenize_all(s, strlen(s), err), -1);
    assert_string_equal(err, "line 1, column 201: too many nested "
                        "parentheses");
    free(s);
    /* f"{f"{f"{...}"}"}": each level is an f-string and a field. */
    s = repeat3("f\"{", PYTOK_MAX_FSTRING, "x", "}\"");
    assert_int_equal(tokenize_all(s, strlen(s), err), 0);
    free(s);
    s = repeat3("f\"{", PYTOK_MAX_FSTRING + 1, "x", "}\"");
    assert_int_equal(tokenize_all(s, strlen(s), err), -1);
    assert_string_equal(err, "line 1, column 451: too many nested "
                        "f-strings");
    free(s);
    /* Fields count as brackets. */
    s = repeat3("f\"{(", 100, "x", ")}\"");
    assert_int_equal(tokenize_all(s, strlen(s), err), 0);
    free(s);
    s = repeat3("f\"{(", 101, "x", ")}\"");
    assert_int_equal(tokenize_all(s, strlen(s), err), -1);
    assert_non_null(strstr(err, "too many nested parentheses"));
    free(s);
}

static void test_indent_limit(void **state)
{
    struct buf s = BUF_INIT(0);
    char err[ERR_LEN];

    (void)state;
    for (int i = 0; i < PYTOK_MAX_INDENT; i++) {
        for (int k = 0; k < i; k++)
            buf_append_char(&s, ' ');
        buf_append_str(&s, "if x:\n");
        if (i == PYTOK_MAX_INDENT - 2) {
            /* 98 nested blocks plus the body: the most CPython allows. */
            struct buf ok = BUF_INIT(0);

            buf_append(&ok, s.data, s.len);
            for (int k = 0; k <= i; k++)
                buf_append_char(&ok, ' ');
            buf_append_str(&ok, "pass\n");
            assert_int_equal(tokenize_all(ok.data, ok.len, err), 0);
            buf_release(&ok);
        }
    }
    for (int k = 0; k < PYTOK_MAX_INDENT; k++)
        buf_append_char(&s, ' ');
    buf_append_str(&s, "pass\n");
    assert_int_equal(tokenize_all(s.data, s.len, err), -1);
    assert_non_null(strstr(err, "too many levels of indentation"));
    buf_release(&s);
}

static const struct {
    const char *name;
    const char *folded;         /* NULL: not ASCII after folding */
} folds[] = {
    { "os", "os" },
    { "\xef\xbd\x8f\xef\xbd\x93", "os" },                     /* ｏｓ */
    { "\xc5\xbf" "ubprocess", "subprocess" },                 /* ſ */
    { "\xf0\x9d\x90\xa8\xf0\x9d\x90\xac", "os" },             /* 𝐨𝐬 */
    { "\xe2\x85\xbd" "types", "ctypes" },                     /* ⅽ */
    { "_\xef\xb8\xb3import__", "__import__" },               /* ︳ */
    { "\xef\xac\x81le", "file" },                             /* ﬁ */
    { "\xe2\x85\xa0\xe2\x85\xa1", "III" },                    /* ⅠⅡ */
    { "\xc2\xaa\xc2\xba", "ao" },                             /* ªº */
    { "caf\xc3\xa9", NULL },                                  /* café */
    { "\xe6\x97\xa5\xe6\x9c\xac", NULL },                     /* 日本 */
    { "\xff", NULL },
};

static void test_name_fold(void **state)
{
    char out[64];
    size_t n;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(folds); i++) {
        int rc = pytok_name_fold(folds[i].name, strlen(folds[i].name), out,
                                 sizeof(out), &n);

        if (!folds[i].folded) {
            if (rc == 0)
                fail_msg("case %zu: folded to '%s'", i, out);
            continue;
        }
        if (rc != 0)
            fail_msg("case %zu: did not fold", i);
        assert_string_equal(out, folds[i].folded);
        assert_int_equal(n, strlen(folds[i].folded));
    }
    /* Too long for the buffer. */
    assert_int_equal(pytok_name_fold("abcdef", 6, out, 6, &n), -1);
    assert_int_equal(pytok_name_fold("abcde", 5, out, 6, &n), 0);
}

static const struct {
    const char *token;
    const char *value;          /* NULL: not decodable */
    size_t len;                 /* 0: strlen(value) */
} values[] = {
    { "'system'", "system", 0 },
    { "\"sys\"", "sys", 0 },
    { "'''tem'''", "tem", 0 },
    { "u'a'", "a", 0 },
    { "R'\\x41'", "\\x41", 0 },
    { "'\\x73ystem'", "system", 0 },
    { "'\\163ystem'", "system", 0 },
    { "'\\u0073ystem'", "system", 0 },
    { "'\\U00000073ystem'", "system", 0 },
    { "'a\\\nb'", "ab", 0 },
    { "'\\q'", "\\q", 0 },
    { "'\\'\\\"\\\\\\a\\b\\f\\n\\r\\t\\v'", "'\"\\\a\b\f\n\r\t\v", 0 },
    { "'\\0'", "", 1 },
    { "'\\u00e9'", "\xc3\xa9", 0 },
    { "'''a\r\nb'''", "a\nb", 0 },
    { "b'x'", NULL, 0 },
    { "f'x'", NULL, 0 },
    { "'\\N{BULLET}'", NULL, 0 },
    { "'\\x4'", NULL, 0 },
    { "'\\ud800'", NULL, 0 },
    { "'\\U00110000'", NULL, 0 },
    { "name", NULL, 0 },
    { "'", NULL, 0 },
};

static void test_string_value(void **state)
{
    char out[64];
    size_t n;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
        int rc = pytok_string_value(values[i].token,
                                    strlen(values[i].token), out,
                                    sizeof(out), &n);
        size_t want;

        if (!values[i].value) {
            if (rc == 0)
                fail_msg("case %zu: decoded to '%s'", i, out);
            continue;
        }
        if (rc != 0)
            fail_msg("case %zu (%s): not decoded", i, values[i].token);
        want = values[i].len ? values[i].len : strlen(values[i].value);
        assert_int_equal(n, want);
        assert_memory_equal(out, values[i].value, want);
    }
    assert_int_equal(pytok_string_value("'abcd'", 6, out, 4, &n), -1);
}

static const struct {
    const char *src;
    const char *coding;         /* NULL: none */
    int line;
} codings[] = {
    { "# -*- coding: latin-1 -*-\nx = 1\n", "latin-1", 1 },
    { "#!/usr/bin/python\n# vim: set fileencoding=utf-7 :\n", "utf-7", 2 },
    { "\xef\xbb\xbf# coding=utf-8\n", "utf-8", 1 },
    { "x = 1\n# coding: latin-1\n", NULL, 0 },
    { "\n\n# coding: latin-1\n", NULL, 0 },
    { "\n# coding: latin-1\n", "latin-1", 2 },
    { "s = '# coding: utf-7'\n", NULL, 0 },
    { "# coding:\n", NULL, 0 },
    { "#coding: ascii coding: x\n", "ascii", 1 },
    { "", NULL, 0 },
};

static void test_find_coding(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(codings); i++) {
        char name[32] = "";
        int line = 0;
        bool found = pytok_find_coding(codings[i].src,
                                       strlen(codings[i].src), name,
                                       sizeof(name), &line);

        if (found != (codings[i].coding != NULL))
            fail_msg("case %zu: found=%d", i, found);
        if (found) {
            assert_string_equal(name, codings[i].coding);
            assert_int_equal(line, codings[i].line);
        }
    }
}

/* Tokenizes s and checks the stream's invariants: it ends, tokens never
 * go backwards, lines and columns are sane. */
static void check_invariants(const char *s, size_t n)
{
    struct pytok *t = pytok_new(s, n);
    struct pytok_token tok;
    size_t count = 0, last = 0;

    for (;;) {
        if (pytok_next(t, &tok) < 0) {
            int line, col;

            pytok_error(t, &line, &col);
            assert_true(line >= 1 && col >= 1);
            assert_true(strncmp(pytok_error(t, NULL, NULL), "line ", 5)
                        == 0);
            break;
        }
        assert_true(tok.off >= last || tok.type == PYTOK_DEDENT);
        assert_true(tok.off + tok.len <= n);
        assert_true(tok.line >= 1 && tok.col >= 1);
        last = tok.off;
        /* Every byte makes at most a few tokens (DEDENTs included). */
        assert_true(++count <= 3 * n + 2 * PYTOK_MAX_INDENT + 4);
        if (tok.type == PYTOK_ENDMARKER)
            break;
    }
    pytok_free(t);
}

static void test_garbage(void **state)
{
    static const char alphabet[] =
        "fFrRbBuU'\"{}()[]:!=\\\n\r\t #.0x1e_jaz,;@*\xc3\xa9\xff\0";
    static const char *const seeds[] = {
        "f\"{x:{y}.{z}}\" + rb'\\'' # c\n",
        "if a:\n\tb = f'''{c!r:>{w}}\n'''\n",
        "x = (1,\n  2) \\\n + 3\r\n",
    };
    uint32_t rng = 12345;
    char buf[96];

    (void)state;
    for (int round = 0; round < 30000; round++) {
        size_t n = 0;

        if (round % 2) {
            const char *seed = seeds[round % ARRAY_SIZE(seeds)];

            n = strlen(seed);
            memcpy(buf, seed, n);
            for (int k = 0; k < 3; k++) {
                rng = rng * 1103515245u + 12345u;
                buf[(rng >> 8) % n] = alphabet[(rng >> 16)
                                               % (sizeof(alphabet) - 1)];
            }
        } else {
            rng = rng * 1103515245u + 12345u;
            n = (rng >> 16) % sizeof(buf);
            for (size_t k = 0; k < n; k++) {
                rng = rng * 1103515245u + 12345u;
                buf[k] = alphabet[(rng >> 16) % (sizeof(alphabet) - 1)];
            }
        }
        check_invariants(buf, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_streams),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_error_position_and_sticky),
        cmocka_unit_test(test_endmarker_repeats),
        cmocka_unit_test(test_nesting_limits),
        cmocka_unit_test(test_indent_limit),
        cmocka_unit_test(test_name_fold),
        cmocka_unit_test(test_string_value),
        cmocka_unit_test(test_find_coding),
        cmocka_unit_test(test_garbage),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

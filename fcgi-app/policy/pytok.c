/* pytok.c - the Python tokenizer (see pytok.h).
 *
 * Like sqlite's tokenize.c: a character-class table and a switch.  What
 * CPython keeps as a stack of tokenizer modes is here one explicit stack of
 * frames: an open bracket, an f-string (whose literal text is being read)
 * or an f-string replacement field (whose expression is read as ordinary
 * code, then whose format spec is read as text again).  The top frame says
 * which of the two lexers runs next.  Nothing here allocates after
 * pytok_new, and nothing recurses. */
#include "config.h"
#include "policy/pytok.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* Character classes. */
enum {
    CC_X,       /* never valid outside strings: controls, $ ? ` DEL */
    CC_Z,       /* NUL */
    CC_S,       /* space, tab, form feed */
    CC_N,       /* \n */
    CC_R,       /* \r */
    CC_A,       /* a-z A-Z _ */
    CC_D,       /* 0-9 */
    CC_Q,       /* ' " */
    CC_H,       /* # */
    CC_B,       /* backslash */
    CC_P,       /* . */
    CC_O,       /* ( [ { */
    CC_C,       /* ) ] } */
    CC_T,       /* operator characters */
    CC_U        /* 0x80 and above: UTF-8 */
};

#define X CC_X
#define Z CC_Z
#define S CC_S
#define N CC_N
#define R CC_R
#define A CC_A
#define D CC_D
#define Q CC_Q
#define H CC_H
#define B CC_B
#define P CC_P
#define O CC_O
#define C CC_C
#define T CC_T
#define U CC_U
static const unsigned char cclass[256] = {
/*  0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f */
    Z, X, X, X, X, X, X, X, X, S, N, X, S, R, X, X,    /* 0x00 */
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,    /* 0x10 */
    S, T, Q, H, X, T, T, Q, O, C, T, T, T, T, P, T,    /* 0x20 */
    D, D, D, D, D, D, D, D, D, D, T, T, T, T, T, X,    /* 0x30 */
    T, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A,    /* 0x40 */
    A, A, A, A, A, A, A, A, A, A, A, O, B, C, T, A,    /* 0x50 */
    X, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A,    /* 0x60 */
    A, A, A, A, A, A, A, A, A, A, A, O, T, C, T, X,    /* 0x70 */
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U,    /* 0x80 */
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U,
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U,
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U,
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U,
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U,
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U,
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U,
};
#undef X
#undef Z
#undef S
#undef N
#undef R
#undef A
#undef D
#undef Q
#undef H
#undef B
#undef P
#undef O
#undef C
#undef T
#undef U

enum frame_kind { FRAME_BRACKET, FRAME_FSTRING, FRAME_FIELD };

/* Where a replacement field's lexing is: its expression (code), its
 * format spec after ':' (text in which '{' always opens a nested field),
 * or, once a nested field in the spec has closed, text again in which
 * '{{' is an escape (CPython 3.13 clears in_format_spec there). */
enum field_state { FIELD_EXPR, FIELD_SPEC, FIELD_TEXT };

struct frame {
    unsigned char kind;         /* enum frame_kind */
    unsigned char ch;           /* bracket: the opening character */
    unsigned char quote;        /* f-string and field: ' or " */
    unsigned char quote_len;    /* 1 or 3 */
    unsigned char state;        /* field: enum field_state */
    bool is_raw;
    int line, col;              /* where it opened, for messages */
};

#define MAX_FRAMES (PYTOK_MAX_LEVEL + PYTOK_MAX_FSTRING)
#define TABSIZE 8

struct pytok {
    const unsigned char *src;
    size_t len, pos;
    int line;
    size_t line_start;          /* offset of the current physical line */
    size_t col_off;             /* col_of() cache: offset ... */
    int col_at;                 /* ... and its column */
    bool is_at_bol;                /* the next token starts a logical line */
    bool has_tokens;            /* the logical line has code tokens */
    bool is_done, has_failed;
    int pending_dedents;
    int nindent;
    int indents[PYTOK_MAX_INDENT], altindents[PYTOK_MAX_INDENT];
    int depth, level, nfstring;
    struct frame frames[MAX_FRAMES];
    char err[ERR_LEN];
    int err_line, err_col;
};

struct pytok *pytok_new(const char *src, size_t len)
{
    struct pytok *t = xcalloc(1, sizeof(*t));

    t->src = (const unsigned char *)src;
    t->len = len;
    if (len >= 3 && memcmp(src, "\xef\xbb\xbf", 3) == 0)
        t->pos = 3;
    t->line = 1;
    t->line_start = t->col_off = t->pos;
    t->col_at = 1;
    t->is_at_bol = true;
    return t;
}

void pytok_free(struct pytok *t)
{
    free(t);
}

const char *pytok_error(const struct pytok *t, int *line, int *col)
{
    if (line)
        *line = t->err_line;
    if (col)
        *col = t->err_col;
    return t->err;
}

const char *const pytok_keywords[] = {
    "False", "None", "True", "and", "as", "assert", "async", "await",
    "break", "class", "continue", "def", "del", "elif", "else", "except",
    "finally", "for", "from", "global", "if", "import", "in", "is",
    "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try",
    "while", "with", "yield",
};
const size_t pytok_n_keywords = ARRAY_SIZE(pytok_keywords);

bool pytok_is_keyword(const char *s, size_t n)
{
    for (size_t i = 0; i < pytok_n_keywords; i++)
        if (strlen(pytok_keywords[i]) == n
            && memcmp(pytok_keywords[i], s, n) == 0)
            return true;
    return false;
}

const char *pytok_type_name(enum pytok_type type)
{
    static const char *const names[] = {
        "ENDMARKER", "NAME", "NUMBER", "STRING", "FSTRING_START",
        "FSTRING_MIDDLE", "FSTRING_END", "OP", "COMMENT", "NEWLINE", "NL",
        "INDENT", "DEDENT"
    };

    if ((size_t)type < ARRAY_SIZE(names))
        return names[type];
    return "?";
}

/* Length of the valid UTF-8 sequence at s (1..4) and its code point, or 0
 * if invalid (overlong forms and surrogates included). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        if (n < 2 || (s[1] & 0xc0) != 0x80)
            return 0;
        *cp = (uint32_t)(c & 0x1f) << 6 | (s[1] & 0x3f);
        return 2;
    }
    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0))
            return 0;
        *cp = (uint32_t)(c & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6
              | (s[2] & 0x3f);
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80
            || (s[3] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
            return 0;
        *cp = (uint32_t)(c & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12
              | (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
        return 4;
    }
    return 0;
}

/* Column (1-based, in code points) of offset off on the current line. */
static int col_of(struct pytok *t, size_t off)
{
    if (off < t->col_off) {
        t->col_off = t->line_start;
        t->col_at = 1;
    }
    for (size_t i = t->col_off; i < off; i++)
        if ((t->src[i] & 0xc0) != 0x80)
            t->col_at++;
    t->col_off = off;
    return t->col_at;
}

/* A physical line ended; the next one starts at next. */
static void newline(struct pytok *t, size_t next)
{
    t->line++;
    t->line_start = t->col_off = next;
    t->col_at = 1;
}

/* Bytes of the line end at p: 2 for CRLF, else 1. */
static size_t eol_len(const struct pytok *t, size_t p)
{
    return t->src[p] == '\r' && p + 1 < t->len && t->src[p + 1] == '\n'
           ? 2 : 1;
}

static int fail_at(struct pytok *t, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_at(struct pytok *t, int line, int col, const char *fmt, ...)
{
    char msg[160];              /* leaves room for the position */
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(t->err, sizeof(t->err), "line %d, column %d: %s", line, col,
             msg);
    t->err_line = line;
    t->err_col = col;
    t->has_failed = true;
    return -1;
}

/* Fails at offset p of the current line. */
static int fail_here(struct pytok *t, size_t p, const char *msg)
{
    return fail_at(t, t->line, col_of(t, p), "%s", msg);
}

static int fail_byte(struct pytok *t, size_t p)
{
    unsigned c = t->src[p];

    if (c == 0)
        return fail_here(t, p, "source code cannot contain null bytes");
    if (c >= 0x80)
        return fail_at(t, t->line, col_of(t, p),
                       "invalid UTF-8 byte 0x%02x", c);
    if (c < 0x20 || c == 0x7f)
        return fail_at(t, t->line, col_of(t, p),
                       "invalid non-printable character U+%04X", c);
    return fail_at(t, t->line, col_of(t, p), "invalid character '%c'", c);
}

static int emit(struct pytok *t, struct pytok_token *tok,
                enum pytok_type type, size_t start, size_t end, int line,
                int col)
{
    tok->type = type;
    tok->off = start;
    tok->len = end - start;
    tok->line = line;
    tok->col = col;
    t->pos = end;
    switch (type) {
    case PYTOK_COMMENT:
    case PYTOK_NEWLINE:
    case PYTOK_NL:
    case PYTOK_INDENT:
    case PYTOK_DEDENT:
    case PYTOK_ENDMARKER:
        break;
    default:
        t->has_tokens = true;
        break;
    }
    return 0;
}

static int emit_dedent(struct pytok *t, struct pytok_token *tok)
{
    t->pending_dedents--;
    return emit(t, tok, PYTOK_DEDENT, t->pos, t->pos, t->line,
                col_of(t, t->pos));
}

static struct frame *frame_top(struct pytok *t)
{
    return t->depth ? &t->frames[t->depth - 1] : NULL;
}

static struct frame *frame_push(struct pytok *t, enum frame_kind kind,
                                int line, int col)
{
    struct frame *f;

    if (t->depth >= MAX_FRAMES)
        BUG("pytok frame stack overflow");
    f = &t->frames[t->depth++];
    memset(f, 0, sizeof(*f));
    f->kind = (unsigned char)kind;
    f->line = line;
    f->col = col;
    return f;
}

/* A field closed: the field it was nested in (in a format spec) goes back
 * to text in which '{{' is an escape again, as in CPython. */
static void field_closed(struct pytok *t)
{
    struct frame *f;

    t->depth--;
    t->level--;
    f = frame_top(t);
    if (f && f->kind == FRAME_FIELD)
        f->state = FIELD_TEXT;
}

/* Skips the character after a backslash inside a string, at p, and
 * returns the offset after it; SIZE_MAX (with the error set) on a NUL or
 * invalid UTF-8. */
static size_t skip_escaped(struct pytok *t, size_t p)
{
    unsigned c = t->src[p];
    uint32_t cp;
    size_t n;

    if (c == '\n' || c == '\r') {
        p += eol_len(t, p);
        newline(t, p);
        return p;
    }
    if (c == 0) {
        fail_byte(t, p);
        return SIZE_MAX;
    }
    if (c < 0x80)
        return p + 1;
    n = utf8_decode(t->src + p, t->len - p, &cp);
    if (!n) {
        fail_byte(t, p);
        return SIZE_MAX;
    }
    return p + n;
}

static int fail_unterminated(struct pytok *t, int line, int col,
                             unsigned char q, bool is_triple)
{
    struct frame *f = frame_top(t);

    /* f"{x" reads x, then '"' as the start of a string: the real problem
     * is the missing brace (CPython says the same). */
    if (f && f->kind == FRAME_FIELD && f->quote == q
        && f->quote_len == (is_triple ? 3 : 1))
        return fail_at(t, line, col, "f-string: expecting '}'");
    return fail_at(t, line, col, is_triple
                   ? "unterminated triple-quoted string literal"
                   : "unterminated string literal");
}

/* A string without f: src[start..qpos) is the prefix, src[qpos] the
 * quote.  Backslash always escapes the next character for the purpose of
 * finding the end, raw or not, as in CPython. */
static int lex_string(struct pytok *t, struct pytok_token *tok,
                      size_t start, size_t qpos, int line, int col)
{
    const unsigned char *s = t->src;
    unsigned char q = s[qpos];
    size_t p = qpos + 1;
    bool is_triple = false;

    if (p + 1 < t->len && s[p] == q && s[p + 1] == q) {
        is_triple = true;
        p += 2;
    }
    for (;;) {
        unsigned c;

        if (p >= t->len)
            return fail_unterminated(t, line, col, q, is_triple);
        c = s[p];
        if (c == q) {
            if (!is_triple) {
                p++;
                break;
            }
            if (p + 2 < t->len && s[p + 1] == q && s[p + 2] == q) {
                p += 3;
                break;
            }
            p++;
        } else if (c == '\\') {
            if (p + 1 >= t->len) {
                p++;
                continue;
            }
            p = skip_escaped(t, p + 1);
            if (p == SIZE_MAX)
                return -1;
        } else if (c == '\n' || c == '\r') {
            if (!is_triple)
                return fail_unterminated(t, line, col, q, false);
            p += eol_len(t, p);
            newline(t, p);
        } else if (c >= 0x80) {
            uint32_t cp;
            size_t n = utf8_decode(s + p, t->len - p, &cp);

            if (!n)
                return fail_byte(t, p);
            p += n;
        } else if (c == 0) {
            return fail_byte(t, p);
        } else {
            p++;
        }
    }
    return emit(t, tok, PYTOK_STRING, start, p, line, col);
}

static int lex_fstring_start(struct pytok *t, struct pytok_token *tok,
                             size_t start, size_t qpos, bool is_raw,
                             int line, int col)
{
    const unsigned char *s = t->src;
    struct frame *f;
    size_t p = qpos + 1;

    if (t->nfstring >= PYTOK_MAX_FSTRING)
        return fail_at(t, line, col, "too many nested f-strings");
    f = frame_push(t, FRAME_FSTRING, line, col);
    t->nfstring++;
    f->quote = s[qpos];
    f->quote_len = 1;
    f->is_raw = is_raw;
    if (p + 1 < t->len && s[p] == s[qpos] && s[p + 1] == s[qpos]) {
        f->quote_len = 3;
        p += 2;
    }
    return emit(t, tok, PYTOK_FSTRING_START, start, p, line, col);
}

/* A name, or the prefix of a string: CPython's rules for which letters
 * may combine (b, r, u, f in any case; no ur, no bu, no fb). */
static int lex_name(struct pytok *t, struct pytok_token *tok, size_t p,
                    int line, int col)
{
    const unsigned char *s = t->src;
    size_t start = p;
    bool saw_b = false, saw_r = false, saw_u = false, saw_f = false;

    while (p < t->len) {
        unsigned c = s[p];

        if (!(saw_b || saw_u || saw_f) && (c == 'b' || c == 'B'))
            saw_b = true;
        else if (!(saw_b || saw_u || saw_r || saw_f)
                 && (c == 'u' || c == 'U'))
            saw_u = true;
        else if (!(saw_r || saw_u) && (c == 'r' || c == 'R'))
            saw_r = true;
        else if (!(saw_f || saw_b || saw_u) && (c == 'f' || c == 'F'))
            saw_f = true;
        else
            break;
        p++;
        if (p < t->len && (s[p] == '"' || s[p] == '\'')) {
            if (saw_f)
                return lex_fstring_start(t, tok, start, p, saw_r, line,
                                         col);
            return lex_string(t, tok, start, p, line, col);
        }
    }
    while (p < t->len) {
        unsigned k = cclass[s[p]];

        if (k == CC_A || k == CC_D) {
            p++;
        } else if (k == CC_U) {
            uint32_t cp;
            size_t n = utf8_decode(s + p, t->len - p, &cp);

            if (!n)
                return fail_byte(t, p);
            p += n;
        } else {
            break;
        }
    }
    return emit(t, tok, PYTOK_NAME, start, p, line, col);
}

static bool is_digit(unsigned c)
{
    return c >= '0' && c <= '9';
}

/* Digits with single underscores between them. */
static size_t decimal_tail(const struct pytok *t, size_t p)
{
    const unsigned char *s = t->src;

    for (;;) {
        while (p < t->len && is_digit(s[p]))
            p++;
        if (p + 1 < t->len && s[p] == '_' && is_digit(s[p + 1]))
            p++;
        else
            return p;
    }
}

static bool is_radix_digit(unsigned c, int radix)
{
    switch (radix) {
    case 16:
        return is_digit(c) || (c >= 'a' && c <= 'f')
               || (c >= 'A' && c <= 'F');
    case 8:
        return c >= '0' && c <= '7';
    default:
        return c == '0' || c == '1';
    }
}

/* Numbers end where CPython's end: an exponent needs digits after it, or
 * "1else" would swallow the 'e'. */
static int lex_number(struct pytok *t, struct pytok_token *tok, size_t p,
                      int line, int col)
{
    const unsigned char *s = t->src;
    size_t start = p;

    if (s[p] == '.') {
        p = decimal_tail(t, p + 1);
        goto exponent;
    }
    if (s[p] == '0' && p + 1 < t->len && s[p + 1]
        && strchr("xXoObB", s[p + 1])) {
        unsigned x = s[p + 1] | 0x20;
        int radix = x == 'x' ? 16 : x == 'o' ? 8 : 2;
        const char *what = radix == 16 ? "hexadecimal"
                           : radix == 8 ? "octal" : "binary";

        p += 2;
        do {
            if (p < t->len && s[p] == '_')
                p++;
            if (p >= t->len || !is_radix_digit(s[p], radix))
                return fail_at(t, line, col, "invalid %s literal", what);
            while (p < t->len && is_radix_digit(s[p], radix))
                p++;
        } while (p < t->len && s[p] == '_');
        if (p < t->len && radix != 16 && is_digit(s[p]))
            return fail_at(t, line, col, "invalid digit '%c' in %s literal",
                           s[p], what);
        return emit(t, tok, PYTOK_NUMBER, start, p, line, col);
    }
    p = decimal_tail(t, p);
    if (p < t->len && s[p] == '.')
        p = decimal_tail(t, p + 1);
exponent:
    if (p < t->len && (s[p] == 'e' || s[p] == 'E')) {
        size_t q = p + 1;

        if (q < t->len && (s[q] == '+' || s[q] == '-'))
            q++;
        if (q < t->len && is_digit(s[q]))
            p = decimal_tail(t, q);
    }
    if (p < t->len && (s[p] == 'j' || s[p] == 'J'))
        p++;
    return emit(t, tok, PYTOK_NUMBER, start, p, line, col);
}

/* Length of the operator at p (1 to 3 bytes). */
static size_t op_len(const struct pytok *t, size_t p)
{
    const unsigned char *s = t->src;
    unsigned c = s[p];
    unsigned c2 = p + 1 < t->len ? s[p + 1] : 0;
    unsigned c3 = p + 2 < t->len ? s[p + 2] : 0;

    switch (c) {
    case '*':
    case '/':
    case '<':
    case '>':
        if (c2 == c)
            return c3 == '=' ? 3 : 2;
        if (c2 == '=' || (c == '<' && c2 == '>'))
            return 2;
        return 1;
    case '-':
        return c2 == '=' || c2 == '>' ? 2 : 1;
    case '=':
    case '!':
    case ':':
    case '+':
    case '%':
    case '&':
    case '|':
    case '^':
    case '@':
        return c2 == '=' ? 2 : 1;
    default:
        return 1;
    }
}

/* At the start of a logical line outside brackets: measures the
 * indentation and queues INDENT or DEDENTs.  Blank and comment-only lines
 * do not count.  Returns 1 if it emitted INDENT, 0 if not, -1 on error. */
static int lex_indent(struct pytok *t, struct pytok_token *tok)
{
    const unsigned char *s = t->src;
    size_t p = t->pos;
    int col = 0, altcol = 0, cont = 0;
    int n = t->nindent;

    for (;;) {
        unsigned c;

        if (p >= t->len)
            break;
        c = s[p];
        if (c == ' ') {
            col++;
            altcol++;
        } else if (c == '\t') {
            col = (col / TABSIZE + 1) * TABSIZE;
            altcol++;
        } else if (c == '\f') {
            col = altcol = 0;
        } else if (c == '\\' && p + 1 < t->len
                   && (s[p + 1] == '\n' || s[p + 1] == '\r')) {
            /* The first backslash decides the indentation (CPython). */
            if (!cont)
                cont = col;
            p += 1 + eol_len(t, p + 1);
            newline(t, p);
            continue;
        } else {
            break;
        }
        p++;
    }
    t->pos = p;
    if (p >= t->len || s[p] == '#' || s[p] == '\n' || s[p] == '\r')
        return 0;
    if (cont)
        col = altcol = cont;
    if (col == t->indents[n]) {
        if (altcol != t->altindents[n])
            goto tab_error;
        return 0;
    }
    if (col > t->indents[n]) {
        if (n + 1 >= PYTOK_MAX_INDENT)
            return fail_here(t, p, "too many levels of indentation");
        if (altcol <= t->altindents[n])
            goto tab_error;
        t->nindent = ++n;
        t->indents[n] = col;
        t->altindents[n] = altcol;
        /* After a backslash in the indentation, the INDENT sits on the
         * line of the first token, as in CPython's tokenize. */
        emit(t, tok, PYTOK_INDENT, t->line_start, p, t->line, 1);
        return 1;
    }
    while (n > 0 && col < t->indents[n]) {
        n--;
        t->pending_dedents++;
    }
    t->nindent = n;
    if (col != t->indents[n])
        return fail_here(t, p,
                         "unindent does not match any outer indentation "
                         "level");
    if (altcol != t->altindents[n])
        goto tab_error;
    return 0;
tab_error:
    return fail_here(t, p, "inconsistent use of tabs and spaces in "
                     "indentation");
}

static int lex_eof(struct pytok *t, struct pytok_token *tok)
{
    struct frame *f = frame_top(t);
    size_t p = t->pos;

    if (f && f->kind == FRAME_BRACKET)
        return fail_at(t, f->line, f->col, "'%c' was never closed", f->ch);
    if (f)
        return fail_at(t, f->line, f->col, "f-string: expecting '}'");
    /* A last line without a line end gets an empty one, as CPython's
     * tokenize module does; ENDMARKER then sits on the next line. */
    if (t->has_tokens || t->len > t->line_start) {
        enum pytok_type type = t->has_tokens ? PYTOK_NEWLINE : PYTOK_NL;

        t->has_tokens = false;
        emit(t, tok, type, p, p, t->line, col_of(t, p));
        newline(t, t->len);
        return 0;
    }
    if (t->nindent > 0) {
        t->pending_dedents = t->nindent;
        t->nindent = 0;
        return emit_dedent(t, tok);
    }
    t->is_done = true;
    return emit(t, tok, PYTOK_ENDMARKER, p, p, t->line, col_of(t, p));
}

static int lex_close(struct pytok *t, struct pytok_token *tok, size_t p,
                     int line, int col)
{
    unsigned c = t->src[p];
    struct frame *f = frame_top(t);
    unsigned want;

    if (!f)
        return fail_at(t, line, col, "unmatched '%c'", c);
    if (f->kind == FRAME_FIELD) {
        if (c != '}')
            return fail_at(t, line, col, "f-string: unmatched '%c'", c);
        field_closed(t);
        return emit(t, tok, PYTOK_OP, p, p + 1, line, col);
    }
    want = f->ch == '(' ? ')' : f->ch == '[' ? ']' : '}';
    if (c != want) {
        if (f->line != line)
            return fail_at(t, line, col, "closing parenthesis '%c' does "
                           "not match opening parenthesis '%c' on line %d",
                           c, f->ch, f->line);
        return fail_at(t, line, col, "closing parenthesis '%c' does not "
                       "match opening parenthesis '%c'", c, f->ch);
    }
    t->depth--;
    t->level--;
    return emit(t, tok, PYTOK_OP, p, p + 1, line, col);
}

/* Code: everything but the literal text of f-strings. */
static int lex_code(struct pytok *t, struct pytok_token *tok)
{
    const unsigned char *s = t->src;
    struct frame *f;
    size_t p;
    int line, col;

again:
    if (t->is_at_bol) {
        t->is_at_bol = false;
        if (t->depth == 0) {
            int r = lex_indent(t, tok);

            if (r)
                return r < 0 ? -1 : 0;
        }
        if (t->pending_dedents > 0)
            return emit_dedent(t, tok);
    }
    p = t->pos;
    while (p < t->len && cclass[s[p]] == CC_S)
        p++;
    t->pos = p;
    if (p >= t->len)
        return lex_eof(t, tok);
    line = t->line;
    col = col_of(t, p);
    switch (cclass[s[p]]) {
    case CC_H: {
        size_t e = p + 1;

        while (e < t->len && s[e] != '\n' && s[e] != '\r') {
            uint32_t cp;
            size_t n = s[e] ? utf8_decode(s + e, t->len - e, &cp) : 0;

            if (!n)
                return fail_byte(t, e);
            e += n;
        }
        return emit(t, tok, PYTOK_COMMENT, p, e, line, col);
    }
    case CC_N:
    case CC_R: {
        size_t e = p + eol_len(t, p);
        bool is_nl = t->depth > 0 || !t->has_tokens;

        emit(t, tok, is_nl ? PYTOK_NL : PYTOK_NEWLINE, p, e, line, col);
        newline(t, e);
        if (!is_nl)
            t->has_tokens = false;
        if (t->depth == 0)
            t->is_at_bol = true;
        return 0;
    }
    case CC_B:
        if (p + 1 >= t->len)
            return fail_at(t, line, col, "unexpected EOF while parsing");
        if (s[p + 1] != '\n' && s[p + 1] != '\r')
            return fail_at(t, line, col, "unexpected character after "
                           "line continuation character");
        p += 1 + eol_len(t, p + 1);
        newline(t, p);
        t->pos = p;
        if (p >= t->len)
            return fail_at(t, line, col, "unexpected EOF while parsing");
        goto again;
    case CC_A:
    case CC_U:
        return lex_name(t, tok, p, line, col);
    case CC_D:
        return lex_number(t, tok, p, line, col);
    case CC_P:
        if (p + 1 < t->len && is_digit(s[p + 1]))
            return lex_number(t, tok, p, line, col);
        if (p + 2 < t->len && s[p + 1] == '.' && s[p + 2] == '.')
            return emit(t, tok, PYTOK_OP, p, p + 3, line, col);
        return emit(t, tok, PYTOK_OP, p, p + 1, line, col);
    case CC_Q:
        return lex_string(t, tok, p, p, line, col);
    case CC_O:
        if (t->level >= PYTOK_MAX_LEVEL)
            return fail_at(t, line, col, "too many nested parentheses");
        f = frame_push(t, FRAME_BRACKET, line, col);
        f->ch = s[p];
        t->level++;
        return emit(t, tok, PYTOK_OP, p, p + 1, line, col);
    case CC_C:
        return lex_close(t, tok, p, line, col);
    case CC_T:
        f = frame_top(t);
        /* ':' at the top of a replacement field starts its format spec,
         * even as the start of ":=" (PEP 572 keeps f"{x:=5}" a spec). */
        if (s[p] == ':' && f && f->kind == FRAME_FIELD) {
            f->state = FIELD_SPEC;
            return emit(t, tok, PYTOK_OP, p, p + 1, line, col);
        }
        return emit(t, tok, PYTOK_OP, p, p + op_len(t, p), line, col);
    default:
        return fail_byte(t, p);
    }
}

/* The f-string frame an f-string or field frame belongs to. */
static const struct frame *fstring_of(const struct pytok *t)
{
    for (int i = t->depth - 1; i >= 0; i--)
        if (t->frames[i].kind == FRAME_FSTRING)
            return &t->frames[i];
    BUG("no f-string frame");
}

static int fail_unterminated_fstring(struct pytok *t)
{
    const struct frame *fs = fstring_of(t);

    return fail_at(t, fs->line, fs->col, fs->quote_len == 3
                   ? "unterminated triple-quoted f-string literal"
                   : "unterminated f-string literal");
}

/* Literal text of an f-string, or the format spec of one of its fields:
 * up to a replacement field, the end of the spec or the closing quote. */
static int lex_fstring_text(struct pytok *t, struct pytok_token *tok,
                            struct frame *f)
{
    const unsigned char *s = t->src;
    bool is_field = f->kind == FRAME_FIELD;
    bool in_spec = is_field && f->state == FIELD_SPEC;
    bool in_named_escape = false;
    unsigned char q = f->quote;
    size_t start = t->pos, p = start;
    int line = t->line, col = col_of(t, p);

    for (;;) {
        unsigned c;

        if (p >= t->len)
            return fail_unterminated_fstring(t);
        c = s[p];
        if (c == q && (f->quote_len == 1
                       || (p + 2 < t->len && s[p + 1] == q
                           && s[p + 2] == q))) {
            if (p > start)
                break;
            if (is_field)
                return fail_here(t, p, "f-string: expecting '}'");
            t->depth--;
            t->nfstring--;
            return emit(t, tok, PYTOK_FSTRING_END, p, p + f->quote_len,
                        line, col);
        }
        switch (c) {
        case '{':
            if (!in_spec && p + 1 < t->len && s[p + 1] == '{') {
                p += 2;
                continue;
            }
            if (p > start)
                goto text;
            if (t->level >= PYTOK_MAX_LEVEL)
                return fail_here(t, p, "too many nested parentheses");
            {
                struct frame *g = frame_push(t, FRAME_FIELD, line, col);

                g->quote = q;
                g->quote_len = f->quote_len;
                g->is_raw = f->is_raw;
                g->state = FIELD_EXPR;
            }
            t->level++;
            return emit(t, tok, PYTOK_OP, p, p + 1, line, col);
        case '}':
            if (in_named_escape) {
                in_named_escape = false;
                p++;
                continue;
            }
            if (!is_field && p + 1 < t->len && s[p + 1] == '}') {
                p += 2;
                continue;
            }
            if (p > start)
                goto text;
            if (!is_field)
                return fail_here(t, p, "f-string: single '}' is not "
                                 "allowed");
            field_closed(t);
            return emit(t, tok, PYTOK_OP, p, p + 1, line, col);
        case '\\':
            if (p + 1 >= t->len) {
                p++;
                continue;
            }
            /* "\{" is a backslash, then a real brace. */
            if (s[p + 1] == '{' || s[p + 1] == '}') {
                p++;
                continue;
            }
            if (!f->is_raw && s[p + 1] == 'N' && p + 2 < t->len
                && s[p + 2] == '{') {
                in_named_escape = true;
                p += 3;
                continue;
            }
            p = skip_escaped(t, p + 1);
            if (p == SIZE_MAX)
                return -1;
            continue;
        case '\n':
        case '\r':
            if (f->quote_len == 3) {
                p += eol_len(t, p);
                newline(t, p);
                continue;
            }
            /* A line end ends a format spec in a one-quote f-string, and
             * the field goes on as code (CPython does the same). */
            if (in_spec) {
                f->state = FIELD_EXPR;
                if (p > start)
                    goto text;
                return lex_code(t, tok);
            }
            return fail_unterminated_fstring(t);
        case 0:
            return fail_byte(t, p);
        default:
            if (c >= 0x80) {
                uint32_t cp;
                size_t n = utf8_decode(s + p, t->len - p, &cp);

                if (!n)
                    return fail_byte(t, p);
                p += n;
            } else {
                p++;
            }
            continue;
        }
    }
text:
    return emit(t, tok, PYTOK_FSTRING_MIDDLE, start, p, line, col);
}

int pytok_next(struct pytok *t, struct pytok_token *tok)
{
    struct frame *f;

    if (t->has_failed)
        return -1;
    if (t->pending_dedents > 0)
        return emit_dedent(t, tok);
    if (t->is_done)
        return emit(t, tok, PYTOK_ENDMARKER, t->pos, t->pos, t->line,
                    col_of(t, t->pos));
    f = frame_top(t);
    if (f && (f->kind == FRAME_FSTRING
              || (f->kind == FRAME_FIELD && f->state != FIELD_EXPR)))
        return lex_fstring_text(t, tok, f);
    return lex_code(t, tok);
}

/* ---- Identifier folding (PEP 3131) ---------------------------------- */

struct nfkc_run {
    uint32_t lo, hi;
    const char *to;
};

/* Generated by scripts/gen-nfkc-table from Unicode 15.1.0: 930 code points
 * in 183 runs.  A run lo..hi maps c to to[0] + (c - lo); a single code
 * point maps to the whole string. */
static const struct nfkc_run nfkc_runs[] = {
    { 0x000aa, 0x000aa, "a" },
    { 0x000ba, 0x000ba, "o" },
    { 0x00132, 0x00132, "IJ" },
    { 0x00133, 0x00133, "ij" },
    { 0x0017f, 0x0017f, "s" },
    { 0x001c7, 0x001c7, "LJ" },
    { 0x001c8, 0x001c8, "Lj" },
    { 0x001c9, 0x001c9, "lj" },
    { 0x001ca, 0x001ca, "NJ" },
    { 0x001cb, 0x001cb, "Nj" },
    { 0x001cc, 0x001cc, "nj" },
    { 0x001f1, 0x001f1, "DZ" },
    { 0x001f2, 0x001f2, "Dz" },
    { 0x001f3, 0x001f3, "dz" },
    { 0x002b0, 0x002b0, "h" },
    { 0x002b2, 0x002b2, "j" },
    { 0x002b3, 0x002b3, "r" },
    { 0x002b7, 0x002b7, "w" },
    { 0x002b8, 0x002b8, "y" },
    { 0x002e1, 0x002e1, "l" },
    { 0x002e2, 0x002e2, "s" },
    { 0x002e3, 0x002e3, "x" },
    { 0x01d2c, 0x01d2c, "A" },
    { 0x01d2e, 0x01d2e, "B" },
    { 0x01d30, 0x01d31, "D" },
    { 0x01d33, 0x01d3a, "G" },
    { 0x01d3c, 0x01d3c, "O" },
    { 0x01d3e, 0x01d3e, "P" },
    { 0x01d3f, 0x01d3f, "R" },
    { 0x01d40, 0x01d41, "T" },
    { 0x01d42, 0x01d42, "W" },
    { 0x01d43, 0x01d43, "a" },
    { 0x01d47, 0x01d47, "b" },
    { 0x01d48, 0x01d49, "d" },
    { 0x01d4d, 0x01d4d, "g" },
    { 0x01d4f, 0x01d4f, "k" },
    { 0x01d50, 0x01d50, "m" },
    { 0x01d52, 0x01d52, "o" },
    { 0x01d56, 0x01d56, "p" },
    { 0x01d57, 0x01d58, "t" },
    { 0x01d5b, 0x01d5b, "v" },
    { 0x01d62, 0x01d62, "i" },
    { 0x01d63, 0x01d63, "r" },
    { 0x01d64, 0x01d65, "u" },
    { 0x01d9c, 0x01d9c, "c" },
    { 0x01da0, 0x01da0, "f" },
    { 0x01dbb, 0x01dbb, "z" },
    { 0x02071, 0x02071, "i" },
    { 0x0207f, 0x0207f, "n" },
    { 0x02090, 0x02090, "a" },
    { 0x02091, 0x02091, "e" },
    { 0x02092, 0x02092, "o" },
    { 0x02093, 0x02093, "x" },
    { 0x02095, 0x02095, "h" },
    { 0x02096, 0x02099, "k" },
    { 0x0209a, 0x0209a, "p" },
    { 0x0209b, 0x0209c, "s" },
    { 0x02102, 0x02102, "C" },
    { 0x0210a, 0x0210a, "g" },
    { 0x0210b, 0x0210b, "H" },
    { 0x0210c, 0x0210c, "H" },
    { 0x0210d, 0x0210d, "H" },
    { 0x0210e, 0x0210e, "h" },
    { 0x02110, 0x02110, "I" },
    { 0x02111, 0x02111, "I" },
    { 0x02112, 0x02112, "L" },
    { 0x02113, 0x02113, "l" },
    { 0x02115, 0x02115, "N" },
    { 0x02119, 0x0211b, "P" },
    { 0x0211c, 0x0211c, "R" },
    { 0x0211d, 0x0211d, "R" },
    { 0x02124, 0x02124, "Z" },
    { 0x02128, 0x02128, "Z" },
    { 0x0212a, 0x0212a, "K" },
    { 0x0212c, 0x0212d, "B" },
    { 0x0212f, 0x0212f, "e" },
    { 0x02130, 0x02131, "E" },
    { 0x02133, 0x02133, "M" },
    { 0x02134, 0x02134, "o" },
    { 0x02139, 0x02139, "i" },
    { 0x02145, 0x02145, "D" },
    { 0x02146, 0x02147, "d" },
    { 0x02148, 0x02149, "i" },
    { 0x02160, 0x02160, "I" },
    { 0x02161, 0x02161, "II" },
    { 0x02162, 0x02162, "III" },
    { 0x02163, 0x02163, "IV" },
    { 0x02164, 0x02164, "V" },
    { 0x02165, 0x02165, "VI" },
    { 0x02166, 0x02166, "VII" },
    { 0x02167, 0x02167, "VIII" },
    { 0x02168, 0x02168, "IX" },
    { 0x02169, 0x02169, "X" },
    { 0x0216a, 0x0216a, "XI" },
    { 0x0216b, 0x0216b, "XII" },
    { 0x0216c, 0x0216c, "L" },
    { 0x0216d, 0x0216e, "C" },
    { 0x0216f, 0x0216f, "M" },
    { 0x02170, 0x02170, "i" },
    { 0x02171, 0x02171, "ii" },
    { 0x02172, 0x02172, "iii" },
    { 0x02173, 0x02173, "iv" },
    { 0x02174, 0x02174, "v" },
    { 0x02175, 0x02175, "vi" },
    { 0x02176, 0x02176, "vii" },
    { 0x02177, 0x02177, "viii" },
    { 0x02178, 0x02178, "ix" },
    { 0x02179, 0x02179, "x" },
    { 0x0217a, 0x0217a, "xi" },
    { 0x0217b, 0x0217b, "xii" },
    { 0x0217c, 0x0217c, "l" },
    { 0x0217d, 0x0217e, "c" },
    { 0x0217f, 0x0217f, "m" },
    { 0x02c7c, 0x02c7c, "j" },
    { 0x02c7d, 0x02c7d, "V" },
    { 0x0a7f2, 0x0a7f2, "C" },
    { 0x0a7f3, 0x0a7f3, "F" },
    { 0x0a7f4, 0x0a7f4, "Q" },
    { 0x0fb00, 0x0fb00, "ff" },
    { 0x0fb01, 0x0fb01, "fi" },
    { 0x0fb02, 0x0fb02, "fl" },
    { 0x0fb03, 0x0fb03, "ffi" },
    { 0x0fb04, 0x0fb04, "ffl" },
    { 0x0fb05, 0x0fb05, "st" },
    { 0x0fb06, 0x0fb06, "st" },
    { 0x0fe33, 0x0fe33, "_" },
    { 0x0fe34, 0x0fe34, "_" },
    { 0x0fe4d, 0x0fe4d, "_" },
    { 0x0fe4e, 0x0fe4e, "_" },
    { 0x0fe4f, 0x0fe4f, "_" },
    { 0x0ff10, 0x0ff19, "0" },
    { 0x0ff21, 0x0ff3a, "A" },
    { 0x0ff3f, 0x0ff3f, "_" },
    { 0x0ff41, 0x0ff5a, "a" },
    { 0x107a5, 0x107a5, "q" },
    { 0x1d400, 0x1d419, "A" },
    { 0x1d41a, 0x1d433, "a" },
    { 0x1d434, 0x1d44d, "A" },
    { 0x1d44e, 0x1d454, "a" },
    { 0x1d456, 0x1d467, "i" },
    { 0x1d468, 0x1d481, "A" },
    { 0x1d482, 0x1d49b, "a" },
    { 0x1d49c, 0x1d49c, "A" },
    { 0x1d49e, 0x1d49f, "C" },
    { 0x1d4a2, 0x1d4a2, "G" },
    { 0x1d4a5, 0x1d4a6, "J" },
    { 0x1d4a9, 0x1d4ac, "N" },
    { 0x1d4ae, 0x1d4b5, "S" },
    { 0x1d4b6, 0x1d4b9, "a" },
    { 0x1d4bb, 0x1d4bb, "f" },
    { 0x1d4bd, 0x1d4c3, "h" },
    { 0x1d4c5, 0x1d4cf, "p" },
    { 0x1d4d0, 0x1d4e9, "A" },
    { 0x1d4ea, 0x1d503, "a" },
    { 0x1d504, 0x1d505, "A" },
    { 0x1d507, 0x1d50a, "D" },
    { 0x1d50d, 0x1d514, "J" },
    { 0x1d516, 0x1d51c, "S" },
    { 0x1d51e, 0x1d537, "a" },
    { 0x1d538, 0x1d539, "A" },
    { 0x1d53b, 0x1d53e, "D" },
    { 0x1d540, 0x1d544, "I" },
    { 0x1d546, 0x1d546, "O" },
    { 0x1d54a, 0x1d550, "S" },
    { 0x1d552, 0x1d56b, "a" },
    { 0x1d56c, 0x1d585, "A" },
    { 0x1d586, 0x1d59f, "a" },
    { 0x1d5a0, 0x1d5b9, "A" },
    { 0x1d5ba, 0x1d5d3, "a" },
    { 0x1d5d4, 0x1d5ed, "A" },
    { 0x1d5ee, 0x1d607, "a" },
    { 0x1d608, 0x1d621, "A" },
    { 0x1d622, 0x1d63b, "a" },
    { 0x1d63c, 0x1d655, "A" },
    { 0x1d656, 0x1d66f, "a" },
    { 0x1d670, 0x1d689, "A" },
    { 0x1d68a, 0x1d6a3, "a" },
    { 0x1d7ce, 0x1d7d7, "0" },
    { 0x1d7d8, 0x1d7e1, "0" },
    { 0x1d7e2, 0x1d7eb, "0" },
    { 0x1d7ec, 0x1d7f5, "0" },
    { 0x1d7f6, 0x1d7ff, "0" },
    { 0x1fbf0, 0x1fbf9, "0" },
};

/* The ASCII NFKC form of one non-ASCII code point, or NULL.  *one gets
 * the character when a run maps it (to is then not the answer). */
static const char *nfkc_ascii(uint32_t cp, char *one)
{
    size_t lo = 0, hi = ARRAY_SIZE(nfkc_runs);

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct nfkc_run *r = &nfkc_runs[mid];

        if (cp < r->lo) {
            hi = mid;
        } else if (cp > r->hi) {
            lo = mid + 1;
        } else {
            if (r->lo == r->hi)
                return r->to;
            one[0] = (char)(r->to[0] + (int)(cp - r->lo));
            one[1] = '\0';
            return one;
        }
    }
    return NULL;
}

int pytok_name_fold(const char *name, size_t n, char *out, size_t cap,
                    size_t *outlen)
{
    const unsigned char *s = (const unsigned char *)name;
    size_t i = 0, o = 0;

    while (i < n) {
        char one[2];
        const char *to;
        uint32_t cp;
        size_t k = utf8_decode(s + i, n - i, &cp), m;

        if (!k)
            return -1;
        i += k;
        if (cp < 0x80) {
            one[0] = (char)cp;
            one[1] = '\0';
            to = one;
        } else {
            to = nfkc_ascii(cp, one);
            if (!to)
                return -1;
        }
        m = strlen(to);
        if (o + m >= cap)
            return -1;
        memcpy(out + o, to, m);
        o += m;
    }
    if (o >= cap)
        return -1;
    out[o] = '\0';
    *outlen = o;
    return 0;
}

/* ---- String literal values ------------------------------------------ */

static int hex_digit(unsigned c)
{
    if (c >= '0' && c <= '9')
        return (int)(c - '0');
    if (c >= 'a' && c <= 'f')
        return (int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F')
        return (int)(c - 'A' + 10);
    return -1;
}

/* Appends code point cp as UTF-8; -1 if it does not fit or is not a
 * scalar value (a lone surrogate cannot name anything we look for). */
static int put_cp(char *out, size_t cap, size_t *o, uint32_t cp)
{
    unsigned char b[4];
    size_t n;

    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xc0 | cp >> 6);
        b[1] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        if (cp >= 0xd800 && cp <= 0xdfff)
            return -1;
        b[0] = (unsigned char)(0xe0 | cp >> 12);
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 3;
    } else if (cp <= 0x10ffff) {
        b[0] = (unsigned char)(0xf0 | cp >> 18);
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 4;
    } else {
        return -1;
    }
    if (*o + n >= cap)
        return -1;
    memcpy(out + *o, b, n);
    *o += n;
    return 0;
}

/* \xhh, \uhhhh, \Uhhhhhhhh: exactly digits hex digits at s[*i]. */
static int hex_escape(const unsigned char *s, size_t end, size_t *i,
                      int digits, uint32_t *cp)
{
    uint32_t v = 0;

    if (end - *i < (size_t)digits)
        return -1;
    for (int k = 0; k < digits; k++) {
        int d = hex_digit(s[*i + (size_t)k]);

        if (d < 0)
            return -1;
        v = v << 4 | (uint32_t)d;
    }
    *i += (size_t)digits;
    *cp = v;
    return 0;
}

/* One escape after a backslash at s[*i]; appends its value. */
static int put_escape(const unsigned char *s, size_t end, size_t *i,
                      char *out, size_t cap, size_t *o)
{
    static const char simple[] = "\\\\''\"\"a\ab\bf\fn\nr\rt\tv\v";
    unsigned c = s[*i];
    uint32_t cp;

    if (c == '\n' || c == '\r') {
        *i += c == '\r' && *i + 1 < end && s[*i + 1] == '\n' ? 2 : 1;
        return 0;
    }
    for (size_t k = 0; k + 1 < sizeof(simple); k += 2)
        if ((unsigned char)simple[k] == c) {
            (*i)++;
            return put_cp(out, cap, o, (unsigned char)simple[k + 1]);
        }
    if (c >= '0' && c <= '7') {
        cp = 0;
        for (int k = 0; k < 3 && *i < end && s[*i] >= '0' && s[*i] <= '7';
             k++)
            cp = cp * 8 + (uint32_t)(s[(*i)++] - '0');
        return put_cp(out, cap, o, cp);
    }
    if (c == 'x' || c == 'u' || c == 'U') {
        (*i)++;
        if (hex_escape(s, end, i, c == 'x' ? 2 : c == 'u' ? 4 : 8, &cp) < 0)
            return -1;
        return put_cp(out, cap, o, cp);
    }
    if (c == 'N')
        return -1;
    /* Unknown escapes keep their backslash, as in Python. */
    return put_cp(out, cap, o, '\\');
}

int pytok_string_value(const char *text, size_t n, char *out, size_t cap,
                       size_t *outlen)
{
    const unsigned char *s = (const unsigned char *)text;
    bool is_raw = false;
    size_t i = 0, end, qlen, o = 0;
    unsigned char q;

    for (; i < n && s[i] != '"' && s[i] != '\''; i++) {
        unsigned c = s[i] | 0x20;

        if (c == 'r')
            is_raw = true;
        else if (c != 'u')
            return -1;              /* b, f or not a string at all */
    }
    if (i >= n || cap == 0)
        return -1;
    q = s[i];
    qlen = n - i >= 6 && s[i + 1] == q && s[i + 2] == q ? 3 : 1;
    if (n - i < 2 * qlen)
        return -1;
    end = n - qlen;
    for (i += qlen; i < end; ) {
        unsigned c = s[i];

        if (c == '\\' && !is_raw) {
            if (++i >= end)
                return -1;
            if (put_escape(s, end, &i, out, cap, &o) < 0)
                return -1;
        } else if (c == '\r') {
            i += i + 1 < end && s[i + 1] == '\n' ? 2 : 1;
            if (put_cp(out, cap, &o, '\n') < 0)
                return -1;
        } else {
            if (o + 1 >= cap)
                return -1;
            out[o++] = (char)c;
            i++;
        }
    }
    out[o] = '\0';
    *outlen = o;
    return 0;
}

/* ---- Encoding declarations (PEP 263) -------------------------------- */

static bool is_coding_char(unsigned c)
{
    return c == '-' || c == '_' || c == '.' || is_digit(c)
           || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* True when the line holds only blanks and maybe a comment. */
static bool is_blank_or_comment(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n && s[i] != '#'; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\f')
            return false;
    return true;
}

/* Python's regex: ^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+) */
static bool coding_in_line(const unsigned char *s, size_t n, char *name,
                           size_t cap)
{
    size_t i = 0;

    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\f'))
        i++;
    if (i >= n || s[i] != '#')
        return false;
    for (; i + 7 <= n; i++) {
        size_t j = i + 7, k;

        if (memcmp(s + i, "coding", 6) != 0
            || (s[i + 6] != ':' && s[i + 6] != '='))
            continue;
        while (j < n && (s[j] == ' ' || s[j] == '\t'))
            j++;
        for (k = j; k < n && is_coding_char(s[k]); k++)
            ;
        if (k == j)
            continue;
        if (cap) {
            size_t m = k - j < cap - 1 ? k - j : cap - 1;

            memcpy(name, s + j, m);
            name[m] = '\0';
        }
        return true;
    }
    return false;
}

bool pytok_find_coding(const char *src, size_t len, char *name, size_t cap,
                       int *line)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t p = 0;

    if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
        p = 3;
    for (int l = 1; l <= 2 && p < len; l++) {
        size_t e = p;

        while (e < len && s[e] != '\n' && s[e] != '\r')
            e++;
        if (coding_in_line(s + p, e - p, name, cap)) {
            if (line)
                *line = l;
            return true;
        }
        /* CPython reads line 2 only after a blank or comment line 1. */
        if (!is_blank_or_comment(s + p, e - p))
            return false;
        p = e + (e < len && s[e] == '\r' && e + 1 < len && s[e + 1] == '\n'
                 ? 2 : 1);
    }
    return false;
}

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
#include "policy/pytok_int.h"

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

size_t tok_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
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

int tok_col(struct pytok *t, size_t off)
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

void tok_newline(struct pytok *t, size_t next)
{
    t->line++;
    t->line_start = t->col_off = next;
    t->col_at = 1;
}

size_t tok_eol_len(const struct pytok *t, size_t p)
{
    return t->src[p] == '\r' && p + 1 < t->len && t->src[p + 1] == '\n'
           ? 2 : 1;
}

int tok_fail_at(struct pytok *t, int line, int col, const char *fmt, ...)
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
int tok_fail_here(struct pytok *t, size_t p, const char *msg)
{
    return tok_fail_at(t, t->line, tok_col(t, p), "%s", msg);
}

int tok_fail_byte(struct pytok *t, size_t p)
{
    unsigned c = t->src[p];

    if (c == 0)
        return tok_fail_here(t, p, "source code cannot contain null bytes");
    if (c >= 0x80)
        return tok_fail_at(t, t->line, tok_col(t, p),
                           "invalid UTF-8 byte 0x%02x", c);
    if (c < 0x20 || c == 0x7f)
        return tok_fail_at(t, t->line, tok_col(t, p),
                           "invalid non-printable character U+%04X", c);
    return tok_fail_at(t, t->line, tok_col(t, p), "invalid character '%c'",
                       c);
}

int tok_emit(struct pytok *t, struct pytok_token *tok, enum pytok_type type,
             size_t start, size_t end)
{
    tok->type = type;
    tok->off = start;
    tok->len = end - start;
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
    tok_at(tok, t->line, tok_col(t, t->pos));
    return tok_emit(t, tok, PYTOK_DEDENT, t->pos, t->pos);
}

struct frame *tok_frame_top(struct pytok *t)
{
    return t->depth ? &t->frames[t->depth - 1] : NULL;
}

struct frame *tok_frame_push(struct pytok *t, enum frame_kind kind,
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

void tok_field_closed(struct pytok *t)
{
    struct frame *f;

    t->depth--;
    t->level--;
    f = tok_frame_top(t);
    if (f && f->kind == FRAME_FIELD)
        f->state = FIELD_TEXT;
}

/* A name, or the prefix of a string: CPython's rules for which letters
 * may combine (b, r, u, f in any case; no ur, no bu, no fb). */
static int lex_name(struct pytok *t, struct pytok_token *tok, size_t p)
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
                return tok_lex_fstring_start(t, tok, start, p, saw_r);
            return tok_lex_string(t, tok, start, p);
        }
    }
    while (p < t->len) {
        unsigned k = cclass[s[p]];

        if (k == CC_A || k == CC_D) {
            p++;
        } else if (k == CC_U) {
            uint32_t cp;
            size_t n = tok_utf8_decode(s + p, t->len - p, &cp);

            if (!n)
                return tok_fail_byte(t, p);
            p += n;
        } else {
            break;
        }
    }
    return tok_emit(t, tok, PYTOK_NAME, start, p);
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
static int lex_number(struct pytok *t, struct pytok_token *tok, size_t p)
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
                return tok_fail_at(t, tok->line, tok->col,
                                   "invalid %s literal", what);
            while (p < t->len && is_radix_digit(s[p], radix))
                p++;
        } while (p < t->len && s[p] == '_');
        if (p < t->len && radix != 16 && is_digit(s[p]))
            return tok_fail_at(t, tok->line, tok->col,
                               "invalid digit '%c' in %s literal", s[p],
                               what);
        return tok_emit(t, tok, PYTOK_NUMBER, start, p);
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
    return tok_emit(t, tok, PYTOK_NUMBER, start, p);
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
            p += 1 + tok_eol_len(t, p + 1);
            tok_newline(t, p);
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
            return tok_fail_here(t, p, "too many levels of indentation");
        if (altcol <= t->altindents[n])
            goto tab_error;
        t->nindent = ++n;
        t->indents[n] = col;
        t->altindents[n] = altcol;
        /* After a backslash in the indentation, the INDENT sits on the
         * line of the first token, as in CPython's tokenize. */
        tok_at(tok, t->line, 1);
        tok_emit(t, tok, PYTOK_INDENT, t->line_start, p);
        return 1;
    }
    while (n > 0 && col < t->indents[n]) {
        n--;
        t->pending_dedents++;
    }
    t->nindent = n;
    if (col != t->indents[n])
        return tok_fail_here(t, p, "unindent does not match any outer "
                             "indentation level");
    if (altcol != t->altindents[n])
        goto tab_error;
    return 0;
tab_error:
    return tok_fail_here(t, p, "inconsistent use of tabs and spaces in "
                         "indentation");
}

static int lex_eof(struct pytok *t, struct pytok_token *tok)
{
    struct frame *f = tok_frame_top(t);
    size_t p = t->pos;

    if (f && f->kind == FRAME_BRACKET)
        return tok_fail_at(t, f->line, f->col, "'%c' was never closed",
                           f->ch);
    if (f)
        return tok_fail_at(t, f->line, f->col, "f-string: expecting '}'");
    /* A last line without a line end gets an empty one, as CPython's
     * tokenize module does; ENDMARKER then sits on the next line. */
    if (t->has_tokens || t->len > t->line_start) {
        enum pytok_type type = t->has_tokens ? PYTOK_NEWLINE : PYTOK_NL;

        t->has_tokens = false;
        tok_at(tok, t->line, tok_col(t, p));
        tok_emit(t, tok, type, p, p);
        tok_newline(t, t->len);
        return 0;
    }
    if (t->nindent > 0) {
        t->pending_dedents = t->nindent;
        t->nindent = 0;
        return emit_dedent(t, tok);
    }
    t->is_done = true;
    tok_at(tok, t->line, tok_col(t, p));
    return tok_emit(t, tok, PYTOK_ENDMARKER, p, p);
}

static int lex_close(struct pytok *t, struct pytok_token *tok, size_t p)
{
    unsigned c = t->src[p];
    struct frame *f = tok_frame_top(t);
    int line = tok->line, col = tok->col;
    unsigned want;

    if (!f)
        return tok_fail_at(t, line, col, "unmatched '%c'", c);
    if (f->kind == FRAME_FIELD) {
        if (c != '}')
            return tok_fail_at(t, line, col, "f-string: unmatched '%c'", c);
        tok_field_closed(t);
        return tok_emit(t, tok, PYTOK_OP, p, p + 1);
    }
    want = f->ch == '(' ? ')' : f->ch == '[' ? ']' : '}';
    if (c != want) {
        if (f->line != line)
            return tok_fail_at(t, line, col, "closing parenthesis '%c' does "
                               "not match opening parenthesis '%c' on line "
                               "%d", c, f->ch, f->line);
        return tok_fail_at(t, line, col, "closing parenthesis '%c' does "
                           "not match opening parenthesis '%c'", c, f->ch);
    }
    t->depth--;
    t->level--;
    return tok_emit(t, tok, PYTOK_OP, p, p + 1);
}

static int lex_open(struct pytok *t, struct pytok_token *tok, size_t p)
{
    struct frame *f;

    if (t->level >= PYTOK_MAX_LEVEL)
        return tok_fail_at(t, tok->line, tok->col,
                           "too many nested parentheses");
    f = tok_frame_push(t, FRAME_BRACKET, tok->line, tok->col);
    f->ch = t->src[p];
    t->level++;
    return tok_emit(t, tok, PYTOK_OP, p, p + 1);
}

static int lex_comment(struct pytok *t, struct pytok_token *tok, size_t p)
{
    const unsigned char *s = t->src;
    size_t e = p + 1;

    while (e < t->len && s[e] != '\n' && s[e] != '\r') {
        uint32_t cp;
        size_t n = s[e] ? tok_utf8_decode(s + e, t->len - e, &cp) : 0;

        if (!n)
            return tok_fail_byte(t, e);
        e += n;
    }
    return tok_emit(t, tok, PYTOK_COMMENT, p, e);
}

/* A line end: NEWLINE when it ends a statement, else NL. */
static int lex_line_end(struct pytok *t, struct pytok_token *tok, size_t p)
{
    size_t e = p + tok_eol_len(t, p);
    bool is_nl = t->depth > 0 || !t->has_tokens;

    tok_emit(t, tok, is_nl ? PYTOK_NL : PYTOK_NEWLINE, p, e);
    tok_newline(t, e);
    if (!is_nl)
        t->has_tokens = false;
    if (t->depth == 0)
        t->is_at_bol = true;
    return 0;
}

/* A backslash at p joins the next line to this one: 0, or -1 when
 * something other than a line end follows it. */
static int line_join(struct pytok *t, struct pytok_token *tok, size_t p)
{
    const unsigned char *s = t->src;

    if (p + 1 >= t->len)
        return tok_fail_at(t, tok->line, tok->col,
                           "unexpected EOF while parsing");
    if (s[p + 1] != '\n' && s[p + 1] != '\r')
        return tok_fail_at(t, tok->line, tok->col, "unexpected character "
                           "after line continuation character");
    p += 1 + tok_eol_len(t, p + 1);
    tok_newline(t, p);
    t->pos = p;
    if (p >= t->len)
        return tok_fail_at(t, tok->line, tok->col,
                           "unexpected EOF while parsing");
    return 0;
}

/* An operator character at p; ':' at the top of a replacement field
 * starts its format spec, even as the start of ":=" (PEP 572 keeps
 * f"{x:=5}" a spec). */
static int lex_op(struct pytok *t, struct pytok_token *tok, size_t p)
{
    struct frame *f = tok_frame_top(t);

    if (t->src[p] == ':' && f && f->kind == FRAME_FIELD) {
        f->state = FIELD_SPEC;
        return tok_emit(t, tok, PYTOK_OP, p, p + 1);
    }
    return tok_emit(t, tok, PYTOK_OP, p, p + op_len(t, p));
}

/* At the start of a logical line: INDENT, DEDENTs, or nothing.  1 when a
 * token was emitted (or an error set), 0 when lexing goes on. */
static int line_start(struct pytok *t, struct pytok_token *tok, int *rc)
{
    t->is_at_bol = false;
    if (t->depth == 0) {
        int r = lex_indent(t, tok);

        if (r) {
            *rc = r < 0 ? -1 : 0;
            return 1;
        }
    }
    if (t->pending_dedents > 0) {
        *rc = emit_dedent(t, tok);
        return 1;
    }
    return 0;
}

int tok_lex_code(struct pytok *t, struct pytok_token *tok)
{
    const unsigned char *s = t->src;
    size_t p;
    int rc;

again:
    if (t->is_at_bol && line_start(t, tok, &rc))
        return rc;
    p = t->pos;
    while (p < t->len && cclass[s[p]] == CC_S)
        p++;
    t->pos = p;
    if (p >= t->len)
        return lex_eof(t, tok);
    tok_at(tok, t->line, tok_col(t, p));
    switch (cclass[s[p]]) {
    case CC_H:
        return lex_comment(t, tok, p);
    case CC_N:
    case CC_R:
        return lex_line_end(t, tok, p);
    case CC_B:
        if (line_join(t, tok, p) < 0)
            return -1;
        goto again;
    case CC_A:
    case CC_U:
        return lex_name(t, tok, p);
    case CC_D:
        return lex_number(t, tok, p);
    case CC_P:
        if (p + 1 < t->len && is_digit(s[p + 1]))
            return lex_number(t, tok, p);
        if (p + 2 < t->len && s[p + 1] == '.' && s[p + 2] == '.')
            return tok_emit(t, tok, PYTOK_OP, p, p + 3);
        return tok_emit(t, tok, PYTOK_OP, p, p + 1);
    case CC_Q:
        return tok_lex_string(t, tok, p, p);
    case CC_O:
        return lex_open(t, tok, p);
    case CC_C:
        return lex_close(t, tok, p);
    case CC_T:
        return lex_op(t, tok, p);
    default:
        return tok_fail_byte(t, p);
    }
}

int pytok_next(struct pytok *t, struct pytok_token *tok)
{
    struct frame *f;

    if (t->has_failed)
        return -1;
    if (t->pending_dedents > 0)
        return emit_dedent(t, tok);
    if (t->is_done) {
        tok_at(tok, t->line, tok_col(t, t->pos));
        return tok_emit(t, tok, PYTOK_ENDMARKER, t->pos, t->pos);
    }
    f = tok_frame_top(t);
    if (f && (f->kind == FRAME_FSTRING
              || (f->kind == FRAME_FIELD && f->state != FIELD_EXPR)))
        return tok_lex_fstring_text(t, tok, f);
    return tok_lex_code(t, tok);
}

/* pytok_string.c - the string lexers of the tokenizer (see pytok.h):
 * plain strings, and the literal text and format specs of f-strings,
 * whose replacement fields pytok.c's code lexer reads. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "policy/pytok_int.h"

/* Skips the character after a backslash inside a string, at p, and
 * returns the offset after it; SIZE_MAX (with the error set) on a NUL or
 * invalid UTF-8. */
static size_t skip_escaped(struct pytok *t, size_t p)
{
    unsigned c = t->src[p];
    uint32_t cp;
    size_t n;

    if (c == '\n' || c == '\r') {
        p += tok_eol_len(t, p);
        tok_newline(t, p);
        return p;
    }
    if (c == 0) {
        tok_fail_byte(t, p);
        return SIZE_MAX;
    }
    if (c < 0x80)
        return p + 1;
    n = tok_utf8_decode(t->src + p, t->len - p, &cp);
    if (!n) {
        tok_fail_byte(t, p);
        return SIZE_MAX;
    }
    return p + n;
}


static int fail_unterminated(struct pytok *t, const struct pytok_token *tok,
                             unsigned char q, bool is_triple)
{
    int line = tok->line, col = tok->col;
    struct frame *f = tok_frame_top(t);

    /* f"{x" reads x, then '"' as the start of a string: the real problem
     * is the missing brace (CPython says the same). */
    if (f && f->kind == FRAME_FIELD && f->quote == q
        && f->quote_len == (is_triple ? 3 : 1))
        return tok_fail_at(t, line, col, "f-string: expecting '}'");
    return tok_fail_at(t, line, col, is_triple
                       ? "unterminated triple-quoted string literal"
                       : "unterminated string literal");
}

/* Backslash always escapes the next character for the purpose of
 * finding the end, raw or not, as in CPython. */
int tok_lex_string(struct pytok *t, struct pytok_token *tok, size_t start,
                   size_t qpos)
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
            return fail_unterminated(t, tok, q, is_triple);
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
                return fail_unterminated(t, tok, q, false);
            p += tok_eol_len(t, p);
            tok_newline(t, p);
        } else if (c >= 0x80) {
            uint32_t cp;
            size_t n = tok_utf8_decode(s + p, t->len - p, &cp);

            if (!n)
                return tok_fail_byte(t, p);
            p += n;
        } else if (c == 0) {
            return tok_fail_byte(t, p);
        } else {
            p++;
        }
    }
    return tok_emit(t, tok, PYTOK_STRING, start, p);
}

int tok_lex_fstring_start(struct pytok *t, struct pytok_token *tok,
                          size_t start, size_t qpos, bool is_raw)
{
    const unsigned char *s = t->src;
    struct frame *f;
    size_t p = qpos + 1;

    if (t->nfstring >= PYTOK_MAX_FSTRING)
        return tok_fail_at(t, tok->line, tok->col,
                           "too many nested f-strings");
    f = tok_frame_push(t, FRAME_FSTRING, tok->line, tok->col);
    t->nfstring++;
    f->quote = s[qpos];
    f->quote_len = 1;
    f->is_raw = is_raw;
    if (p + 1 < t->len && s[p] == s[qpos] && s[p + 1] == s[qpos]) {
        f->quote_len = 3;
        p += 2;
    }
    return tok_emit(t, tok, PYTOK_FSTRING_START, start, p);
}

/* The f-string frame an f-string or field frame belongs to. */
static const struct frame *fstring_of(const struct pytok *t)
{
    for (int i = t->depth - 1; i >= 0; i--)
        if (t->frames[i].kind == FRAME_FSTRING)
            return &t->frames[i];
    BUG("no f-string frame");
}

static size_t fail_unterminated_fstring(struct pytok *t)
{
    const struct frame *fs = fstring_of(t);

    tok_fail_at(t, fs->line, fs->col, fs->quote_len == 3
                ? "unterminated triple-quoted f-string literal"
                : "unterminated f-string literal");
    return SIZE_MAX;
}

static bool at_closing_quote(const struct pytok *t, const struct frame *f,
                             size_t p)
{
    const unsigned char *s = t->src;
    unsigned char q = f->quote;

    return s[p] == q && (f->quote_len == 1
                         || (p + 2 < t->len && s[p + 1] == q
                             && s[p + 2] == q));
}

/* A backslash at p in f-string text: the offset after its escape.  "\{"
 * is a backslash, then a real brace; "\N{" opens a named escape, whose
 * '}' is text. */
static size_t text_escape(struct pytok *t, const struct frame *f, size_t p,
                          bool *in_named_escape)
{
    const unsigned char *s = t->src;

    if (p + 1 >= t->len || s[p + 1] == '{' || s[p + 1] == '}')
        return p + 1;
    if (!f->is_raw && s[p + 1] == 'N' && p + 2 < t->len && s[p + 2] == '{') {
        *in_named_escape = true;
        return p + 3;
    }
    return skip_escaped(t, p + 1);
}

/* Where the text of f (f-string text, or a field's format spec) that
 * starts at p ends: at a closing quote, a brace that opens or closes a
 * field, or a line end that ends a format spec (the field then goes on
 * as code, as in CPython).  Escapes ({{, }}, \N{...}, a backslash and
 * what follows) are text.  SIZE_MAX (the error set) on an unterminated
 * f-string or a byte that can't be there. */
static size_t text_end(struct pytok *t, struct frame *f, size_t p)
{
    const unsigned char *s = t->src;
    bool is_field = f->kind == FRAME_FIELD;
    bool in_spec = is_field && f->state == FIELD_SPEC;
    bool in_named_escape = false;

    for (;;) {
        uint32_t cp;
        size_t n;

        if (p >= t->len)
            return fail_unterminated_fstring(t);
        if (at_closing_quote(t, f, p))
            return p;
        switch (s[p]) {
        case '{':
            if (in_spec || p + 1 >= t->len || s[p + 1] != '{')
                return p;
            p += 2;
            break;
        case '}':
            if (in_named_escape)
                in_named_escape = false;
            else if (!is_field && p + 1 < t->len && s[p + 1] == '}')
                p++;
            else
                return p;
            p++;
            break;
        case '\\':
            p = text_escape(t, f, p, &in_named_escape);
            if (p == SIZE_MAX)
                return SIZE_MAX;
            break;
        case '\n':
        case '\r':
            if (f->quote_len == 3) {
                p += tok_eol_len(t, p);
                tok_newline(t, p);
                break;
            }
            if (!in_spec)
                return fail_unterminated_fstring(t);
            f->state = FIELD_EXPR;
            return p;
        case 0:
            tok_fail_byte(t, p);
            return SIZE_MAX;
        default:
            n = s[p] < 0x80 ? 1 : tok_utf8_decode(s + p, t->len - p, &cp);
            if (!n) {
                tok_fail_byte(t, p);
                return SIZE_MAX;
            }
            p += n;
        }
    }
}

/* '{' at p opens a replacement field of f. */
static int open_field(struct pytok *t, struct pytok_token *tok,
                      const struct frame *f, size_t p)
{
    struct frame *g;

    if (t->level >= PYTOK_MAX_LEVEL)
        return tok_fail_here(t, p, "too many nested parentheses");
    g = tok_frame_push(t, FRAME_FIELD, tok->line, tok->col);
    g->quote = f->quote;
    g->quote_len = f->quote_len;
    g->is_raw = f->is_raw;
    g->state = FIELD_EXPR;
    t->level++;
    return tok_emit(t, tok, PYTOK_OP, p, p + 1);
}

int tok_lex_fstring_text(struct pytok *t, struct pytok_token *tok,
                         struct frame *f)
{
    const unsigned char *s = t->src;
    size_t start = t->pos, p;

    tok_at(tok, t->line, tok_col(t, start));
    p = text_end(t, f, start);
    if (p == SIZE_MAX)
        return -1;
    if (p > start)
        return tok_emit(t, tok, PYTOK_FSTRING_MIDDLE, start, p);
    if (s[p] == '\n' || s[p] == '\r')
        return tok_lex_code(t, tok);
    if (s[p] == '{')
        return open_field(t, tok, f, p);
    if (s[p] == '}') {
        if (f->kind != FRAME_FIELD)
            return tok_fail_here(t, p, "f-string: single '}' is not "
                                 "allowed");
        tok_field_closed(t);
        return tok_emit(t, tok, PYTOK_OP, p, p + 1);
    }
    /* The closing quote. */
    if (f->kind == FRAME_FIELD)
        return tok_fail_here(t, p, "f-string: expecting '}'");
    t->depth--;
    t->nfstring--;
    return tok_emit(t, tok, PYTOK_FSTRING_END, p, p + f->quote_len);
}

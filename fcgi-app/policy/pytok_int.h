/* pytok_int.h - what the tokenizer's files share: its state (an explicit
 * stack of frames instead of CPython's stack of modes) and the helpers
 * the code lexer (pytok.c) and the string lexer (pytok_string.c) both
 * use.  Not for other modules. */
#ifndef PYEXEC_PYTOK_INT_H
#define PYEXEC_PYTOK_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/util.h"
#include "policy/pytok.h"

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
    size_t col_off;             /* tok_col() cache: offset ... */
    int col_at;                 /* ... and its column */
    bool is_at_bol;             /* the next token starts a logical line */
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

/* Length of the valid UTF-8 sequence at s (1..4) and its code point, or 0
 * if invalid (overlong forms and surrogates included). */
size_t tok_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Column (1-based, in code points) of offset off on the current line. */
int tok_col(struct pytok *t, size_t off);
/* A physical line ended; the next one starts at next. */
void tok_newline(struct pytok *t, size_t next);
/* Bytes of the line end at p: 2 for CRLF, else 1. */
size_t tok_eol_len(const struct pytok *t, size_t p);

/* The error, "line L, column C: ..."; every later call fails too.
 * Return -1. */
int tok_fail_at(struct pytok *t, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int tok_fail_here(struct pytok *t, size_t p, const char *msg);
/* The byte at p can't be there (NUL, invalid UTF-8, a control). */
int tok_fail_byte(struct pytok *t, size_t p);

/* Where the next token starts. */
static inline void tok_at(struct pytok_token *tok, int line, int col)
{
    tok->line = line;
    tok->col = col;
}
/* Fills tok (its line and col set before, by tok_at) with src[start,
 * end) and moves on to end.  Returns 0. */
int tok_emit(struct pytok *t, struct pytok_token *tok, enum pytok_type type,
             size_t start, size_t end);

struct frame *tok_frame_top(struct pytok *t);
struct frame *tok_frame_push(struct pytok *t, enum frame_kind kind,
                             int line, int col);
/* A field closed: the field it was nested in (in a format spec) goes back
 * to text in which '{{' is an escape again, as in CPython. */
void tok_field_closed(struct pytok *t);

/* Code: everything but the literal text of f-strings (pytok.c). */
int tok_lex_code(struct pytok *t, struct pytok_token *tok);
/* A string without f at tok's position: src[start..qpos) is the prefix,
 * src[qpos] the quote (pytok_string.c). */
int tok_lex_string(struct pytok *t, struct pytok_token *tok, size_t start,
                   size_t qpos);
/* The start of an f-string, likewise. */
int tok_lex_fstring_start(struct pytok *t, struct pytok_token *tok,
                          size_t start, size_t qpos, bool is_raw);
/* Literal text of an f-string, or the format spec of one of its fields,
 * f being the top frame. */
int tok_lex_fstring_text(struct pytok *t, struct pytok_token *tok,
                         struct frame *f);

#endif

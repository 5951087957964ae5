/* pytok.h - a Python 3 tokenizer: bytes in, tokens out.
 *
 * It follows CPython 3.12's own tokenizer (PEP 701 f-strings: replacement
 * fields are tokenized as code, quotes may be reused inside them) so that,
 * for any source CPython compiles, both agree on which bytes are code and
 * which are string, f-string text or comment.  The policy relies on that.
 * Where CPython would reject input with a finer message (an invalid
 * character inside a name, "1_", "0b12", a keyword glued to a number) this
 * tokenizer may accept it and carry on: the code never runs anyway.
 *
 * Pure: no I/O, no global state, no recursion.  Nesting is bounded
 * (PYTOK_MAX_LEVEL brackets and f-string fields, PYTOK_MAX_FSTRING nested
 * f-strings, PYTOK_MAX_INDENT indentation levels, as in CPython), beyond
 * which it reports an error.  Lines are 1-based; columns are 1-based and
 * count code points, not bytes.  CRLF, CR and LF all end a line; a leading
 * UTF-8 BOM is skipped. */
#ifndef PYEXEC_PYTOK_H
#define PYEXEC_PYTOK_H

#include <stdbool.h>
#include <stddef.h>

#define PYTOK_MAX_LEVEL 200
#define PYTOK_MAX_FSTRING 150
#define PYTOK_MAX_INDENT 100

enum pytok_type {
    PYTOK_ENDMARKER,
    PYTOK_NAME,             /* identifiers and keywords */
    PYTOK_NUMBER,
    PYTOK_STRING,           /* a whole non-f string: prefix, quotes, body */
    PYTOK_FSTRING_START,    /* f-string prefix and opening quote(s) */
    PYTOK_FSTRING_MIDDLE,   /* f-string literal text or format spec text */
    PYTOK_FSTRING_END,      /* closing quote(s) */
    PYTOK_OP,               /* operators and delimiters, incl. f-string {} */
    PYTOK_COMMENT,          /* '#' up to, not including, the line end */
    PYTOK_NEWLINE,          /* the end of a logical line */
    PYTOK_NL,               /* a line end that does not end a statement */
    PYTOK_INDENT,
    PYTOK_DEDENT            /* zero length, at the next token */
};

struct pytok_token {
    enum pytok_type type;
    size_t off, len;        /* the token is src[off, off + len) */
    int line, col;          /* where it starts */
};

struct pytok;               /* opaque */

/* Starts tokenizing src[0..len).  src is borrowed and must outlive t.
 * Returns a new tokenizer; free it with pytok_free. */
struct pytok *pytok_new(const char *src, size_t len);
void pytok_free(struct pytok *t);               /* NULL is fine */

/* Fills tok with the next token and returns 0.  The last token is
 * PYTOK_ENDMARKER, which is then returned again on every call.  Returns -1
 * on invalid input; pytok_error() says why and where, and every later call
 * returns -1 too. */
int pytok_next(struct pytok *t, struct pytok_token *tok);

/* After pytok_next returned -1: the message, "line L, column C: what", and
 * the position alone through line and col (either may be NULL). */
const char *pytok_error(const struct pytok *t, int *line, int *col);

/* Python's keywords (the hard ones: not match, case, type or _), the one
 * list of them in pyexec, and whether s[0..n) is one. */
extern const char *const pytok_keywords[];
extern const size_t pytok_n_keywords;
bool pytok_is_keyword(const char *s, size_t n);

/* "NAME", "OP", ... for messages and tests. */
const char *pytok_type_name(enum pytok_type type);

/* Folds a NAME token the way Python does when it compiles (PEP 3131, NFKC
 * normalization) as far as the result is ASCII: "ｏｓ" becomes "os", "ſ"
 * becomes "s".  Writes the NUL-terminated result to out (cap bytes) and its
 * length to *outlen.  Returns 0, or -1 when the folded name is not pure
 * ASCII (it cannot equal an ASCII name) or does not fit. */
int pytok_name_fold(const char *name, size_t n, char *out, size_t cap,
                    size_t *outlen);

/* Decodes a PYTOK_STRING token's text (prefix, quotes, escapes) into the
 * UTF-8 bytes of its value, NUL-terminated in out (cap bytes), with the
 * length in *outlen (the value may itself contain NULs).  Returns 0, or -1
 * for a bytes literal, a \N{...} escape (no name table here), a malformed
 * token or a value that does not fit. */
int pytok_string_value(const char *text, size_t n, char *out, size_t cap,
                       size_t *outlen);

/* Looks for a PEP 263 encoding declaration ("# -*- coding: latin-1 -*-")
 * in the first two lines of src.  Returns true and copies the encoding name
 * (NUL-terminated, truncated to cap) into name when there is one. */
bool pytok_find_coding(const char *src, size_t len, char *name, size_t cap,
                       int *line);

#endif

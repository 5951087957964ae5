/* json.h - JSON in (a small tree built from yajl's callbacks, keeping
 * string lengths so embedded NULs survive) and JSON out (yajl_gen with
 * UTF-8 repair).  No HTTP here. */
#ifndef PYEXEC_JSON_H
#define PYEXEC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define JSON_MAX_DEPTH 64

enum json_type {
    JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT
};

struct json {
    enum json_type type;
    bool boolean;
    double number;
    bool is_integer;            /* number written without '.', 'e' */
    long long integer;          /* valid when is_integer and in range */
    char *str;                  /* strings: NUL-terminated copy */
    size_t len;                 /* strings: byte length */
    size_t n;                   /* arrays and objects: item count */
    char **keys;                /* objects: keys[i] names items[i] */
    size_t *key_lens;
    struct json **items;
    size_t cap, keys_cap, key_lens_cap;     /* room in the arrays above */
};

/* Parses text[0..len).  Returns a new tree (free with json_free), or NULL
 * with err saying what is wrong and at which byte. */
struct json *json_parse(const char *text, size_t len, char *err);
void json_free(struct json *j);                 /* NULL is fine */

/* The value of key in an object (the last one if repeated), or NULL. */
const struct json *json_get(const struct json *obj, const char *key);
const char *json_type_name(enum json_type t);

/* The writer.  Strings that are not valid UTF-8 are repaired with
 * U+FFFD rather than rejected, since program output is arbitrary bytes. */
struct jw;
struct jw *jw_new(void);
void jw_free(struct jw *w);                     /* NULL is fine */
void jw_obj_open(struct jw *w);
void jw_obj_close(struct jw *w);
void jw_arr_open(struct jw *w);
void jw_arr_close(struct jw *w);
void jw_key(struct jw *w, const char *k);
void jw_str(struct jw *w, const char *s);       /* NULL writes null */
void jw_strn(struct jw *w, const char *s, size_t n);
void jw_int(struct jw *w, long long v);
/* Writes v with at most `decimals` digits after the point. */
void jw_double(struct jw *w, double v, int decimals);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* "k": value in one call. */
void jw_kv_str(struct jw *w, const char *k, const char *s);
void jw_kv_strn(struct jw *w, const char *k, const char *s, size_t n);
void jw_kv_buf(struct jw *w, const char *k, const struct buf *b);
void jw_kv_int(struct jw *w, const char *k, long long v);
void jw_kv_bool(struct jw *w, const char *k, bool v);
/* Copies a parsed value through unchanged. */
void jw_value(struct jw *w, const struct json *j);
/* Splices already-encoded JSON (trusted: produced by a jw). */
void jw_raw(struct jw *w, const char *json, size_t n);
/* The encoded text so far; valid until the next write or jw_free. */
const char *jw_text(struct jw *w, size_t *len);

#endif

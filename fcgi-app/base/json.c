/* json.c - see json.h.  The parser keeps an explicit stack of open
 * containers so nesting depth is bounded and nothing recurses on input. */
#include "config.h"
#include "base/json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "base/util.h"

struct parse_ctx {
    struct json *root;
    struct json *stack[JSON_MAX_DEPTH + 1];
    int depth;
    char *pending_key;          /* key waiting for its value */
    size_t pending_len;
    bool too_deep;
};

static void container_add(struct json *c, struct json *v, char *key,
                          size_t klen)
{
    ALLOC_GROW(c->items, c->n + 1, c->cap);
    if (c->type == JSON_OBJECT) {
        ALLOC_GROW(c->keys, c->n + 1, c->keys_cap);
        ALLOC_GROW(c->key_lens, c->n + 1, c->key_lens_cap);
    }
    c->items[c->n] = v;
    if (c->type == JSON_OBJECT) {
        c->keys[c->n] = key;
        c->key_lens[c->n] = klen;
    }
    c->n++;
}

static int add_value(struct parse_ctx *p, struct json *v)
{
    if (p->depth == 0) {
        p->root = v;
        return 1;
    }
    container_add(p->stack[p->depth - 1], v, p->pending_key, p->pending_len);
    p->pending_key = NULL;
    return 1;
}

static struct json *node(enum json_type t)
{
    struct json *j = xcalloc(1, sizeof(*j));

    j->type = t;
    return j;
}

static int cb_null(void *ctx)
{
    return add_value(ctx, node(JSON_NULL));
}

static int cb_bool(void *ctx, int b)
{
    struct json *j = node(JSON_BOOL);

    j->boolean = b != 0;
    return add_value(ctx, j);
}

static int cb_number(void *ctx, const char *s, size_t n)
{
    struct json *j = node(JSON_NUMBER);
    char tmp[64];

    j->str = xstrndup(s, n);
    j->len = n;
    j->number = strtod(j->str, NULL);
    j->is_integer = !memchr(s, '.', n) && !memchr(s, 'e', n)
        && !memchr(s, 'E', n);
    if (j->is_integer && n < sizeof(tmp) && fabs(j->number) < 9e18)
        j->integer = strtoll(j->str, NULL, 10);
    else
        j->is_integer = false;
    return add_value(ctx, j);
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
    struct json *j = node(JSON_STRING);

    j->str = xstrndup((const char *)s, n);
    j->len = n;
    return add_value(ctx, j);
}

static int open_container(struct parse_ctx *p, enum json_type t)
{
    struct json *j;

    if (p->depth >= JSON_MAX_DEPTH) {
        p->too_deep = true;
        return 0;
    }
    j = node(t);
    add_value(p, j);
    p->stack[p->depth++] = j;
    return 1;
}

static int cb_start_map(void *ctx)
{
    return open_container(ctx, JSON_OBJECT);
}

static int cb_map_key(void *ctx, const unsigned char *k, size_t n)
{
    struct parse_ctx *p = ctx;

    free(p->pending_key);
    p->pending_key = xstrndup((const char *)k, n);
    p->pending_len = n;
    return 1;
}

static int cb_end(void *ctx)
{
    struct parse_ctx *p = ctx;

    p->depth--;
    return 1;
}

static int cb_start_array(void *ctx)
{
    return open_container(ctx, JSON_ARRAY);
}

static const yajl_callbacks callbacks = {
    cb_null, cb_bool, NULL, NULL, cb_number, cb_string,
    cb_start_map, cb_map_key, cb_end, cb_start_array, cb_end,
};

struct json *json_parse(const char *text, size_t len, char *err)
{
    struct parse_ctx p;
    yajl_handle h;
    yajl_status st;

    memset(&p, 0, sizeof(p));
    h = yajl_alloc(&callbacks, NULL, &p);
    st = yajl_parse(h, (const unsigned char *)text, len);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(h);
    if (st != yajl_status_ok) {
        size_t at = yajl_get_bytes_consumed(h);

        if (p.too_deep) {
            err_set(err, "nesting deeper than %d levels", JSON_MAX_DEPTH);
        } else {
            unsigned char *msg = yajl_get_error(h, 0, NULL, 0);
            char *nl;

            nl = strchr((char *)msg, '\n');
            if (nl)
                *nl = '\0';
            err_set(err, "%s (near byte %zu)", (char *)msg, at);
            yajl_free_error(h, msg);
        }
        free(p.pending_key);
        /* Nodes are attached as soon as they are created, so freeing the
         * root frees everything built so far. */
        json_free(p.root);
        yajl_free(h);
        return NULL;
    }
    yajl_free(h);
    free(p.pending_key);
    if (!p.root)
        err_set(err, "empty document");
    return p.root;
}

void json_free(struct json *j)
{
    /* Iterative: walk down the last child, freeing as we go, so deep
     * input can't exhaust the C stack (depth is bounded anyway). */
    while (j) {
        struct json *next = NULL;

        if (j->type == JSON_ARRAY || j->type == JSON_OBJECT) {
            for (size_t i = 0; i < j->n; i++) {
                if (j->keys)
                    free(j->keys[i]);
                if (i + 1 == j->n)
                    next = j->items[i];
                else
                    json_free(j->items[i]);
            }
            free(j->items);
            free(j->keys);
            free(j->key_lens);
        }
        free(j->str);
        free(j);
        j = next;
    }
}

const struct json *json_get(const struct json *obj, const char *key)
{
    size_t klen;

    if (!obj || obj->type != JSON_OBJECT)
        return NULL;
    klen = strlen(key);
    for (size_t i = obj->n; i-- > 0;)
        if (obj->key_lens[i] == klen && memcmp(obj->keys[i], key, klen) == 0)
            return obj->items[i];
    return NULL;
}

const char *json_type_name(enum json_type t)
{
    static const char *names[] = {
        "null", "boolean", "number", "string", "array", "object"
    };

    return names[t];
}

/* ---- writer ---- */

struct jw {
    yajl_gen g;
};

struct jw *jw_new(void)
{
    struct jw *w = xmalloc(sizeof(*w));

    w->g = yajl_gen_alloc(NULL);
    if (!w->g)
        BUG("yajl_gen_alloc");
    return w;
}

void jw_free(struct jw *w)
{
    if (!w)
        return;
    yajl_gen_free(w->g);
    free(w);
}

void jw_obj_open(struct jw *w)  { yajl_gen_map_open(w->g); }
void jw_obj_close(struct jw *w) { yajl_gen_map_close(w->g); }
void jw_arr_open(struct jw *w)  { yajl_gen_array_open(w->g); }
void jw_arr_close(struct jw *w) { yajl_gen_array_close(w->g); }

void jw_strn(struct jw *w, const char *s, size_t n)
{
    if (!s) {
        yajl_gen_null(w->g);
        return;
    }
    if (utf8_valid(s, n)) {
        yajl_gen_string(w->g, (const unsigned char *)s, n);
    } else {
        size_t m;
        char *fixed = utf8_sanitize(s, n, &m);

        yajl_gen_string(w->g, (const unsigned char *)fixed, m);
        free(fixed);
    }
}

void jw_key(struct jw *w, const char *k)
{
    yajl_gen_string(w->g, (const unsigned char *)k, strlen(k));
}

void jw_str(struct jw *w, const char *s)
{
    jw_strn(w, s, s ? strlen(s) : 0);
}

void jw_int(struct jw *w, long long v)
{
    yajl_gen_integer(w->g, v);
}

void jw_double(struct jw *w, double v, int decimals)
{
    char tmp[64];
    int n;

    if (!isfinite(v)) {
        yajl_gen_null(w->g);
        return;
    }
    n = snprintf(tmp, sizeof(tmp), "%.*f", decimals, v);
    /* Trim trailing zeros but keep one digit after the point. */
    if (memchr(tmp, '.', (size_t)n)) {
        while (n > 2 && tmp[n - 1] == '0' && tmp[n - 2] != '.')
            n--;
    }
    yajl_gen_number(w->g, tmp, (size_t)n);
}

void jw_bool(struct jw *w, bool v)
{
    yajl_gen_bool(w->g, v);
}

void jw_null(struct jw *w)
{
    yajl_gen_null(w->g);
}

void jw_kv_str(struct jw *w, const char *k, const char *s)
{
    jw_key(w, k);
    jw_str(w, s);
}

void jw_kv_strn(struct jw *w, const char *k, const char *s, size_t n)
{
    jw_key(w, k);
    jw_strn(w, s, n);
}

void jw_kv_buf(struct jw *w, const char *k, const struct buf *b)
{
    jw_kv_strn(w, k, buf_cstr(b), b->len);
}

void jw_kv_int(struct jw *w, const char *k, long long v)
{
    jw_key(w, k);
    jw_int(w, v);
}

void jw_kv_bool(struct jw *w, const char *k, bool v)
{
    jw_key(w, k);
    jw_bool(w, v);
}

void jw_value(struct jw *w, const struct json *j)
{
    if (!j) {
        jw_null(w);
        return;
    }
    switch (j->type) {
    case JSON_NULL:
        jw_null(w);
        break;
    case JSON_BOOL:
        jw_bool(w, j->boolean);
        break;
    case JSON_NUMBER:
        yajl_gen_number(w->g, j->str, j->len);
        break;
    case JSON_STRING:
        jw_strn(w, j->str, j->len);
        break;
    case JSON_ARRAY:
        jw_arr_open(w);
        for (size_t i = 0; i < j->n; i++)
            jw_value(w, j->items[i]);
        jw_arr_close(w);
        break;
    case JSON_OBJECT:
        jw_obj_open(w);
        for (size_t i = 0; i < j->n; i++) {
            jw_strn(w, j->keys[i], j->key_lens[i]);
            jw_value(w, j->items[i]);
        }
        jw_obj_close(w);
        break;
    }
}

void jw_raw(struct jw *w, const char *json, size_t n)
{
    /* yajl_gen_number emits its argument verbatim with the right
     * separators, which is exactly a splice. */
    yajl_gen_number(w->g, json, n);
}

const char *jw_text(struct jw *w, size_t *len)
{
    const unsigned char *p;
    size_t n;

    yajl_gen_get_buf(w->g, &p, &n);
    if (len)
        *len = n;
    return (const char *)p;
}

/* request.c - see request.h.  This file reads from the FastCGI stream;
 * it never writes a response. */
#include "config.h"
#include "http/request.h"

#include <stdio.h>
#include <string.h>

#include "base/conf.h"
#include "base/util.h"
#include "sandbox/app.h"

void *request_keep(struct request *rq, void *p)
{
    ALLOC_GROW(rq->kept, rq->n_kept + 1, rq->cap_kept);
    rq->kept[rq->n_kept++] = p;
    return p;
}

static void make_id(struct request *rq)
{
    const char *given = request_param(rq, "HTTP_X_REQUEST_ID");
    unsigned char r[8];

    if (given && is_safe_id(given, REQUEST_ID_LEN)) {
        snprintf(rq->id, sizeof(rq->id), "%s", given);
        return;
    }
    random_bytes(r, sizeof(r));
    hex_encode(r, sizeof(r), rq->id);
}

/* The path the client asked for: REQUEST_URI up to '?', decoded. */
static void parse_uri(struct request *rq)
{
    const char *uri = request_param(rq, "REQUEST_URI");
    const char *q;
    size_t n;

    if (!uri || !*uri)
        uri = request_param(rq, "SCRIPT_NAME");
    if (!uri || !*uri)
        uri = "/";
    q = strchr(uri, '?');
    n = q ? (size_t)(q - uri) : strlen(uri);
    rq->path = url_decode(uri, n, false, NULL);
    if (!rq->path)
        rq->path = xstrndup(uri, n);     /* routed as-is: it won't match */
    rq->query = q ? q + 1 : request_param(rq, "QUERY_STRING");
    if (!rq->query)
        rq->query = "";
}

void request_begin(struct request *rq, FCGX_Request *fcgx, struct app *app)
{
    memset(rq, 0, sizeof(*rq));
    rq->fcgx = fcgx;
    rq->app = app;
    rq->conf = app->conf;
    rq->store = app->store;
    rq->t_start = now_ms();
    buf_init(&rq->body, (size_t)rq->conf->max_body_bytes);
    buf_init(&rq->headers, 64 * 1024);
    rq->method = request_param(rq, "REQUEST_METHOD");
    if (!rq->method)
        rq->method = "GET";
    make_id(rq);
    parse_uri(rq);
}

void request_reset(struct request *rq)
{
    free(rq->path);
    buf_release(&rq->body);
    buf_release(&rq->headers);
    json_free(rq->json);
    for (int i = 0; i < ROUTE_MAX_PARAMS; i++)
        free(rq->params[i]);
    while (rq->n_kept > 0)
        free(rq->kept[--rq->n_kept]);
    free(rq->kept);
    memset(rq, 0, sizeof(*rq));
}

const char *request_param(const struct request *rq, const char *name)
{
    return FCGX_GetParam(name, rq->fcgx->envp);
}

enum result request_read_body(struct request *rq, char *err)
{
    const char *cl = request_param(rq, "CONTENT_LENGTH");
    long declared = -1;
    char chunk[16384];

    if (rq->body_read)
        return RESULT_OK;
    rq->body_read = true;
    if (cl && *cl && parse_long(cl, 0, 0x7fffffffL, &declared) < 0)
        declared = -1;
    if (declared > (long)rq->body.max) {
        /* Drain a bounded amount so the front end sees our 413 rather
         * than a reset connection; past that, stop reading. */
        long left = declared < 4 * (long)rq->body.max
            ? declared : 4 * (long)rq->body.max;

        while (left > 0) {
            int n = FCGX_GetStr(chunk, sizeof(chunk), rq->fcgx->in);

            if (n <= 0)
                break;
            left -= n;
        }
        goto too_large;
    }
    for (;;) {
        int n = FCGX_GetStr(chunk, sizeof(chunk), rq->fcgx->in);

        if (n <= 0)
            break;
        if (buf_append(&rq->body, chunk, (size_t)n) < 0)
            goto too_large;
    }
    if (declared >= 0 && (long)rq->body.len < declared) {
        err_set(err, "request body ended early");
        return RESULT_BAD_BODY;
    }
    return RESULT_OK;
too_large:
    err_set(err, "request body is larger than max_body_bytes (%zu)",
            rq->body.max);
    return RESULT_TOO_LARGE;
}

enum result request_json(struct request *rq, const struct json **out,
                         char *err)
{
    enum result r;

    *out = rq->json;
    if (rq->json)
        return RESULT_OK;
    r = request_read_body(rq, err);
    if (r != RESULT_OK)
        return r;
    if (rq->body.len == 0) {
        err_set(err, "request body is empty: send a JSON object");
        return RESULT_BAD_BODY;
    }
    rq->json = json_parse(rq->body.data, rq->body.len, err);
    if (!rq->json)
        return RESULT_BAD_BODY;
    if (rq->json->type != JSON_OBJECT) {
        err_set(err, "request body must be a JSON object, not %s",
                json_type_name(rq->json->type));
        return RESULT_BAD_BODY;
    }
    *out = rq->json;
    return RESULT_OK;
}

char *query_value(const char *query, const char *name)
{
    size_t nlen = strlen(name);
    const char *p = query;

    while (p && *p) {
        const char *amp = strchr(p, '&');
        const char *end = amp ? amp : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        size_t klen = eq ? (size_t)(eq - p) : (size_t)(end - p);

        if (klen == nlen && memcmp(p, name, nlen) == 0) {
            const char *v = eq ? eq + 1 : end;

            return url_decode(v, (size_t)(end - v), true, NULL);
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

const char *request_query(struct request *rq, const char *name)
{
    char *v = query_value(rq->query, name);

    return v ? request_keep(rq, v) : NULL;
}

const char *request_scheme(const struct request *rq)
{
    const char *s = request_param(rq, "REQUEST_SCHEME");
    const char *https = request_param(rq, "HTTPS");

    if (s && (strcmp(s, "https") == 0 || strcmp(s, "http") == 0))
        return s;
    if (https && (strcmp(https, "on") == 0 || strcmp(https, "1") == 0))
        return "https";
    return "http";
}

const char *request_base_url(struct request *rq)
{
    return rq->conf->public_url ? rq->conf->public_url : "";
}

const char *request_host_url(struct request *rq)
{
    const char *host = request_param(rq, "HTTP_HOST");

    if (rq->conf->public_url)
        return rq->conf->public_url;

    if (!host || !*host || strpbrk(host, " /\\\"<>"))
        return "";
    return request_keep(rq, xasprintf("%s://%s", request_scheme(rq), host));
}

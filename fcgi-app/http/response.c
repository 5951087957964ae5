/* response.c - see response.h. */
#include "config.h"
#include "http/response.h"

#include <stdio.h>
#include <string.h>

#include "base/conf.h"
#include "base/json.h"
#include "base/util.h"
#include "http/request.h"
#include "sandbox/queue.h"

const char *response_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 507: return "Insufficient Storage";
    default: return "Unknown";
    }
}

void response_header(struct request *rq, const char *name, const char *value)
{
    /* Header injection guard: values never carry CR or LF. */
    if (strpbrk(value, "\r\n") || strpbrk(name, "\r\n: "))
        BUG("response_header: CR/LF in header");
    buf_appendf(&rq->headers, "%s: %s\r\n", name, value);
}

int response_send(struct request *rq, int status, const char *content_type,
                  const void *body, size_t len)
{
    FCGX_Stream *out = rq->fcgx->out;
    struct buf head = BUF_INIT(0);
    int rc = 0;

    if (rq->status)
        BUG("response sent twice");
    rq->status = status;
    rq->bytes_out = len;
    if (rq->capture) {
        rq->captured = request_keep(rq, xmalloc(len + 1));
        memcpy(rq->captured, body ? body : "", len);
        rq->captured[len] = '\0';
        rq->captured_len = len;
    }
    /* libfcgi's own printf lacks %zu: format the head here. */
    buf_appendf(&head, "Status: %d %s\r\nX-Request-Id: %s\r\n"
                "Content-Length: %zu\r\n", status, response_reason(status),
                rq->id, len);
    if (content_type)
        buf_appendf(&head, "Content-Type: %s\r\n", content_type);
    buf_append(&head, buf_cstr(&rq->headers), rq->headers.len);
    buf_append_str(&head, "\r\n");
    if (FCGX_PutStr(head.data, (int)head.len, out) < 0)
        rc = -1;
    if (len && FCGX_PutStr(body, (int)len, out) < 0)
        rc = -1;
    buf_release(&head);
    return rc;
}

int response_accepted(struct request *rq, struct jw *w)
{
    size_t len;
    const char *text = jw_text(w, &len);
    int rc;

    response_header(rq, "Cache-Control", "no-store");
    rc = response_send(rq, 202, "application/json", text, len);

    jw_free(w);
    return rc;
}

/* Every result a client can get, in one table: its status, its error
 * code, and how soon a retry makes sense. */
struct face {
    int status;
    const char *code;
    const char *retry_after;
};

static const struct face faces[RESULT_COUNT] = {
    [RESULT_OK] = { 200, NULL, NULL },
    [RESULT_BAD_BODY] = { 400, "invalid_json", NULL },
    [RESULT_INVALID_REQUEST] = { 400, "invalid_request", NULL },
    [RESULT_UNSAFE] = { 400, "unsafe_code", NULL },
    [RESULT_UNAUTHORIZED] = { 401, "unauthorized", NULL },
    [RESULT_ORIGIN_DENIED] = { 403, "origin_not_allowed", NULL },
    [RESULT_NOT_FOUND] = { 404, "not_found", NULL },
    [RESULT_BAD_METHOD] = { 405, "method_not_allowed", NULL },
    [RESULT_DUPLICATE] = { 409, "duplicate_execution_id", NULL },
    [RESULT_TOO_LARGE] = { 413, "payload_too_large", NULL },
    [RESULT_LIMITED] = { 429, "rate_limited", "2" },
    [RESULT_BUSY] = { 429, "session_busy", "1" },
    [RESULT_TIMEOUT] = { 504, "timeout", NULL },
    [RESULT_INTERNAL] = { 500, "internal_error", NULL },
    [RESULT_NO_SANDBOX] = { 503, "sandbox_unavailable", "1" },
    [RESULT_TOO_MANY_SESSIONS] = { 503, "too_many_sessions", "10" },
    [RESULT_DOCKER_DOWN] = { 503, "docker_unavailable", "5" },
    [RESULT_DB_BUSY] = { 503, "database_busy", "1" },
    [RESULT_DB_FULL] = { 507, "insufficient_storage", "30" },
    [RESULT_UNHEALTHY] = { 503, "unhealthy", "5" },
    /* The runner's results reach a client only through an execution,
     * whose own result says what happened; these are a backstop. */
    [RESULT_RUNNER_DOWN] = { 503, "sandbox_unavailable", "1" },
    [RESULT_RUNNER_LOST] = { 500, "internal_error", NULL },
    [RESULT_RUNNER_PROTOCOL] = { 500, "internal_error", NULL },
    [RESULT_QUEUE_FULL] = { 503, "queue_full", "5" },
    [RESULT_IDEMPOTENCY_CONFLICT] = { 409, "idempotency_conflict", NULL },
    [RESULT_IDEMPOTENCY_PENDING] = { 409, "idempotency_in_progress", "1" },
    [RESULT_CANCELLED] = { 409, "cancelled", NULL },
    [RESULT_ALREADY_FINAL] = { 409, "execution_finished", NULL },
    [RESULT_SESSION_LOST] = { 410, "session_lost", NULL },
    [RESULT_CELL_DOWN] = { 503, "cell_unavailable", "5" },
};

static const struct face *face_of(enum result r)
{
    if ((unsigned)r >= RESULT_COUNT || !faces[r].status)
        BUG("a result without a row in response.c");
    return &faces[r];
}

int response_status(enum result r)
{
    return face_of(r)->status;
}

int response_json(struct request *rq, enum result r, struct jw *w)
{
    const struct face *f = face_of(r);
    size_t len;
    const char *text = jw_text(w, &len);
    int rc;

    if (r == RESULT_NO_SANDBOX) {
        /* From the queue's depth and measured drain rate (SPEC §8). */
        char ra[24];
        long cap = rq->conf ? (long)rq->conf->queue_wait : 1;

        snprintf(ra, sizeof(ra), "%ld", queue_retry_after(cap));
        response_header(rq, "Retry-After", ra);
    } else if (f->retry_after) {
        response_header(rq, "Retry-After", f->retry_after);
    }
    response_header(rq, "Cache-Control", "no-store");
    rc = response_send(rq, f->status, "application/json", text, len);
    jw_free(w);
    return rc;
}

struct jw *response_fail_begin(enum result r, const char *detail)
{
    struct jw *w = jw_new();

    jw_obj_open(w);
    jw_kv_str(w, "error", face_of(r)->code);
    jw_kv_str(w, "detail", detail);
    return w;
}

int response_fail(struct request *rq, enum result r, const char *detail)
{
    struct jw *w = response_fail_begin(r, detail);

    jw_obj_close(w);
    return response_json(rq, r, w);
}

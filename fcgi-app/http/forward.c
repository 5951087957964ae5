/* forward.c - see forward.h.  libcurl sends the request as the client
 * sent it (method, path and query, body, the headers pyexec reads) and
 * the answer goes back through FastCGI chunk by chunk, so a relayed
 * event stream is still live.  A peer that refuses the connection is
 * known down at once; one that vanished is given CONNECT_MS. */
#include "config.h"
#include "http/forward.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base/buf.h"
#include "base/cell.h"
#include "base/conf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/util.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "store/store.h"

#define FORWARDED_PARAM "HTTP_X_PYEXEC_FORWARDED"
#define CONNECT_MS 2000L

/* The request headers pyexec reads, as FastCGI names them. */
static const struct { const char *param, *header; } passed[] = {
    { "HTTP_AUTHORIZATION", "Authorization" },
    { "HTTP_X_API_KEY", "X-API-Key" },
    { "HTTP_X_AUTH_TOKEN", "X-Auth-Token" },
    { "CONTENT_TYPE", "Content-Type" },
    { "HTTP_ACCEPT", "Accept" },
    { "HTTP_ORIGIN", "Origin" },
    { "HTTP_IDEMPOTENCY_KEY", "Idempotency-Key" },
    { "HTTP_LAST_EVENT_ID", "Last-Event-ID" },
    { "HTTP_X_FORWARDED_PROTO", "X-Forwarded-Proto" },
};

/* Response headers that belong to one connection, not to the answer. */
static bool is_hop_header(const char *line, size_t n)
{
    static const char *const hop[] = { "connection:", "keep-alive:",
        "transfer-encoding:", "date:", "server:" };

    for (size_t i = 0; i < ARRAY_SIZE(hop); i++)
        if (n >= strlen(hop[i]) && !strncasecmp(line, hop[i], strlen(hop[i])))
            return true;
    return false;
}

struct relay {
    struct request *rq;
    int status;
    struct buf head;            /* the answer's headers, CRLF-ended */
    bool from_pyexec;           /* it named its cell: pyexec answered */
    bool started, gone, down;
};

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    struct relay *rl = arg;
    size_t len = size * n;
    int status;

    if (len >= 12 && strncmp(data, "HTTP/", 5) == 0) {
        /* A new status line (after a 1xx, say): start over.  curl's
         * line has no NUL. */
        char line[64];

        snprintf(line, sizeof(line), "%.*s", (int)len, data);
        if (sscanf(line, "HTTP/%*s %d", &status) == 1)
            rl->status = status;
        rl->from_pyexec = false;
        buf_reset(&rl->head);
        return len;
    }
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
        len--;
    if (len > 14 && !strncasecmp(data, "X-Pyexec-Node:", 14))
        rl->from_pyexec = true;
    if (len && !is_hop_header(data, len) && memchr(data, ':', len)) {
        buf_append(&rl->head, data, len);
        buf_append_str(&rl->head, "\r\n");
    }
    return size * n;
}

static int put(struct relay *rl, const char *p, size_t n)
{
    FCGX_Stream *out = rl->rq->fcgx->out;

    if (FCGX_PutStr(p, (int)n, out) < 0 || FCGX_FFlush(out) < 0) {
        rl->gone = true;
        return -1;
    }
    return 0;
}

/* The status and headers, once: before the first byte of the body, or
 * at the end for an answer without one.  A gateway error that pyexec
 * did not write is the owner's front end saying pyexec is down there:
 * nothing is relayed, and the owner counts as unreachable. */
static int start(struct relay *rl)
{
    struct buf b = BUF_INIT(0);
    int rc;

    if (rl->started || rl->down)
        return rl->down ? -1 : 0;
    if (rl->status >= 502 && rl->status <= 504 && !rl->from_pyexec) {
        rl->down = true;
        return -1;
    }
    rl->started = true;
    rl->rq->status = rl->status;
    buf_appendf(&b, "Status: %d %s\r\n", rl->status,
                response_reason(rl->status));
    buf_append(&b, buf_cstr(&rl->head), rl->head.len);
    buf_append_str(&b, "\r\n");
    rc = put(rl, b.data, b.len);
    buf_release(&b);
    return rc;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct relay *rl = arg;

    /* 0 stops the transfer: the client left. */
    if (start(rl) < 0 || put(rl, data, size * n) < 0)
        return 0;
    rl->rq->bytes_out += size * n;
    return size * n;
}

static struct curl_slist *request_headers(struct request *rq)
{
    struct curl_slist *h = NULL;
    char *line;

    for (size_t i = 0; i < ARRAY_SIZE(passed); i++) {
        const char *v = request_param(rq, passed[i].param);

        if (!v)
            continue;
        line = xasprintf("%s: %s", passed[i].header, v);
        h = curl_slist_append(h, line);
        free(line);
    }
    line = xasprintf("X-Request-Id: %s", rq->id);
    h = curl_slist_append(h, line);
    free(line);
    line = xasprintf("X-Pyexec-Forwarded: %s", rq->conf->node_name);
    h = curl_slist_append(h, line);
    free(line);
    /* The body goes at once: no 100-continue round trip. */
    return curl_slist_append(h, "Expect:");
}

/* A handle for url with what every request to a peer has: rq's headers,
 * no proxy, and a bounded wait for the connection. */
static CURL *peer_handle(const char *url, struct curl_slist *headers)
{
    CURL *e = curl_easy_init();

    if (!e)
        return NULL;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_MS);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    return e;
}

/* base without its trailing slashes, then path. */
static char *join_url(const char *base, const char *path)
{
    size_t n = strlen(base);

    while (n && base[n - 1] == '/')
        n--;
    return xasprintf("%.*s%s", (int)n, base, path);
}

/* RESULT_OK once the answer was relayed, RESULT_CELL_DOWN with err when
 * the peer could not be reached (nothing sent), or the body's error. */
static enum result relay(struct request *rq, const char *base, char *err)
{
    const char *uri = request_param(rq, "REQUEST_URI");
    struct relay rl = { .rq = rq, .head = BUF_INIT(64 * 1024) };
    struct curl_slist *headers;
    enum result r = request_read_body(rq, err);
    char *url;
    CURL *e;
    CURLcode rc;

    if (r != RESULT_OK)
        return r;
    url = join_url(base, uri && *uri ? uri : rq->path);
    headers = request_headers(rq);
    e = peer_handle(url, headers);
    if (!e) {
        err_set(err, "curl_easy_init failed");
        r = RESULT_INTERNAL;
        goto out;
    }
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &rl);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &rl);
    if (strcmp(rq->method, "HEAD") == 0)
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else if (strcmp(rq->method, "GET") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, rq->method);
    if (rq->body.len || strcmp(rq->method, "POST") == 0) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)rq->body.len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, rq->body.len
                         ? rq->body.data : "");
    }
    rc = curl_easy_perform(e);
    if (rc == CURLE_OK && rl.status)
        start(&rl);
    if (rl.down) {
        err_set(err, "%s: its front end answered %d", base, rl.status);
        r = RESULT_CELL_DOWN;
    } else if (!rl.started) {
        err_set(err, "%s: %s", base, curl_easy_strerror(rc));
        r = RESULT_CELL_DOWN;
    } else if (rc != CURLE_OK && !rl.gone) {
        log_warn("relaying %s from %s: %s", rq->path, base,
                 curl_easy_strerror(rc));
    }
    curl_easy_cleanup(e);
out:
    curl_slist_free_all(headers);
    buf_release(&rl.head);
    free(url);
    return r;
}

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
    return buf_append(arg, data, size * n) < 0 ? 0 : size * n;
}

char *forward_get(struct request *rq, const char *base, const char *path,
                  int *status, char *err)
{
    struct curl_slist *headers = request_headers(rq);
    char *url = join_url(base, path), *body = NULL;
    struct buf b = BUF_INIT(FORWARD_GET_MAX);
    CURL *e = peer_handle(url, headers);
    CURLcode rc = CURLE_FAILED_INIT;
    long code = 0;

    if (e) {
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
        rc = curl_easy_perform(e);
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_cleanup(e);
    }
    if (rc == CURLE_OK) {
        *status = (int)code;
        body = buf_detach(&b, NULL);
    } else {
        err_set(err, "%s", curl_easy_strerror(rc));
    }
    buf_release(&b);
    curl_slist_free_all(headers);
    free(url);
    return body;
}

/* The session id of a body route, or NULL (no body, or none in it). */
static const char *body_session(struct request *rq, enum result *r,
                                char *err)
{
    const struct json *j, *v;

    *r = request_json(rq, &j, err);
    if (*r != RESULT_OK)
        return NULL;
    v = json_get(j, "session_id");
    if (!v || v->type == JSON_NULL)
        v = json_get(j, "user_uuid");
    return v && v->type == JSON_STRING ? v->str : NULL;
}

/* A path id without a tag is named as this cell names it. */
static void tag_path_id(struct request *rq)
{
    size_t n = strlen(rq->params[0]) + CELL_NAME_MAX + 2;
    char *own = xmalloc(n);

    if (cell_own_id(rq->conf, rq->params[0], own, n) < 0)
        BUG("cell_own_id: sized for the tag");
    free(rq->params[0]);
    rq->params[0] = own;
}

/* While its cell is down, a read of a record or image is served from the
 * cell's restored copy when there is one (pyexec-admin restore-cell):
 * rq->copy is set for serve() to use once the key is admitted. */
static bool open_copy(struct request *rq, const char *id)
{
    size_t n = cell_tag_len(rq->conf, id) - 1;
    char *path, err[ERR_LEN], *name;

    if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0)
        return false;
    path = cell_copy_path(rq->conf, id, n);
    if (access(path, R_OK) == 0) {
        rq->copy = store_open_copy(path, rq->conf->busy_timeout_ms, err);
        if (!rq->copy)
            log_warn("the restored copy of %.*s: %s", (int)n, id, err);
    }
    free(path);
    if (!rq->copy)
        return false;
    name = xstrndup(id, n);
    response_header(rq, "X-Pyexec-Copy-Of", name);
    free(name);
    return true;
}

bool forward_to_owner(struct request *rq, const struct route *r,
                      bool after_admit)
{
    bool by_body = r->flags & ROUTE_CELL_BODY;
    const char *id, *from;
    char err[ERR_LEN], *url, *detail;
    enum result res = RESULT_OK;
    bool session;

    if (!rq->conf->node_name || after_admit != by_body
        || !(r->flags & (ROUTE_CELL_PATH | ROUTE_CELL_BODY)))
        return false;
    id = by_body ? body_session(rq, &res, err) : rq->params[0];
    if (res != RESULT_OK) {
        response_fail(rq, res, err);
        return true;
    }
    url = id ? cell_peer_url(rq->conf, id) : NULL;
    if (!url) {
        if (r->flags & ROUTE_CELL_TAG)
            tag_path_id(rq);
        return false;
    }
    from = request_param(rq, FORWARDED_PARAM);
    if (from) {
        err_set(err, "it came from cell %s, and a request is forwarded "
                "once", from);
        res = RESULT_CELL_DOWN;
    } else {
        res = relay(rq, url, err);
    }
    free(url);
    if (res == RESULT_OK)
        return true;
    if (res != RESULT_CELL_DOWN) {
        response_fail(rq, res, err);
        return true;
    }
    session = by_body || strncmp(rq->path, "/sessions/", 10) == 0;
    if (!session && open_copy(rq, id))
        return false;
    detail = xasprintf("%s %s belongs to cell %.*s, which cannot be "
                       "reached (%s)%s", session ? "session" : "id", id,
                       (int)cell_tag_len(rq->conf, id) - 1, id, err,
                       session ? "; start a new session" : "");
    response_fail(rq, session ? RESULT_SESSION_LOST : RESULT_CELL_DOWN,
                  detail);
    free(detail);
    return true;
}

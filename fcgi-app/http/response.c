/* response.c - see response.h. */
#include "config.h"
#include "http/response.h"

#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "http/request.h"
#include "base/util.h"

const char *response_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
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

int response_json(struct request *rq, int status, struct jw *w)
{
    size_t len;
    const char *text = jw_text(w, &len);
    int rc;

    response_header(rq, "Cache-Control", "no-store");
    rc = response_send(rq, status, "application/json", text, len);
    jw_free(w);
    return rc;
}

struct jw *response_error_begin(const char *code, const char *detail)
{
    struct jw *w = jw_new();

    jw_obj_open(w);
    jw_key(w, "error");
    jw_str(w, code);
    jw_key(w, "detail");
    jw_str(w, detail);
    return w;
}

int response_error(struct request *rq, int status, const char *code,
                   const char *detail)
{
    struct jw *w = response_error_begin(code, detail);

    jw_obj_close(w);
    return response_json(rq, status, w);
}

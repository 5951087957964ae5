/* sse.c - see sse.h. */
#include "config.h"
#include "http/sse.h"

#include <string.h>

#include "base/buf.h"
#include "http/request.h"

void sse_init(struct sse *s, struct request *rq)
{
    memset(s, 0, sizeof(*s));
    s->rq = rq;
}

static int put(struct sse *s, const struct buf *b)
{
    FCGX_Stream *out = s->rq->fcgx->out;

    if (s->gone)
        return -1;
    if (FCGX_PutStr(b->data, (int)b->len, out) < 0 || FCGX_FFlush(out) < 0) {
        s->gone = true;
        return -1;
    }
    s->rq->bytes_out += b->len;
    return 0;
}

void sse_start(struct sse *s)
{
    struct request *rq = s->rq;
    struct buf head = BUF_INIT(0);

    if (s->started)
        return;
    s->started = true;
    rq->status = 200;
    /* No Content-Length: the stream ends when the execution does.
     * X-Accel-Buffering tells nginx not to hold it back. */
    buf_appendf(&head, "Status: 200 OK\r\nX-Request-Id: %s\r\n"
                "Content-Type: text/event-stream; charset=utf-8\r\n"
                "Cache-Control: no-store\r\nX-Accel-Buffering: no\r\n",
                rq->id);
    buf_append(&head, buf_cstr(&rq->headers), rq->headers.len);
    buf_append_str(&head, "\r\n");
    put(s, &head);
    rq->bytes_out = 0;
    buf_release(&head);
}

int sse_event(struct sse *s, int64_t id, const char *kind, const char *data)
{
    struct buf b = BUF_INIT(0);
    int rc;

    sse_start(s);
    buf_appendf(&b, "id: %lld\nevent: %s\ndata: %s\n\n", (long long)id,
                kind, data);
    rc = put(s, &b);
    buf_release(&b);
    return rc;
}

int sse_comment(struct sse *s, const char *text)
{
    struct buf b = BUF_INIT(0);
    int rc;

    sse_start(s);
    buf_appendf(&b, ": %s\n\n", text);
    rc = put(s, &b);
    buf_release(&b);
    return rc;
}

bool sse_wanted(struct request *rq)
{
    const char *accept = request_param(rq, "HTTP_ACCEPT");

    return accept && strstr(accept, "text/event-stream");
}

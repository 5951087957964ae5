/* sse.h - a response of Server-Sent Events through FastCGI (SPEC 9):
 * the head once, then each event written and flushed at once (lighttpd
 * passes it on unbuffered: server.stream-response-body), and comments
 * that keep an idle stream open.  Once a write fails the client is gone
 * and every later call does nothing. */
#ifndef PYEXEC_SSE_H
#define PYEXEC_SSE_H

#include <stdbool.h>
#include <stdint.h>

struct request;

struct sse {
    struct request *rq;
    bool started;
    bool gone;                  /* a write failed */
};

void sse_init(struct sse *s, struct request *rq);
/* The head: 200, text/event-stream, no caching or buffering on the way.
 * Called by the first event if not before. */
void sse_start(struct sse *s);
/* "id: N", "event: kind", "data: data" (one line of JSON).  0, or -1
 * when the client is gone. */
int sse_event(struct sse *s, int64_t id, const char *kind, const char *data);
/* ": text", for an idle stream. */
int sse_comment(struct sse *s, const char *text);

/* Whether the request asks for a stream (Accept: text/event-stream). */
bool sse_wanted(struct request *rq);

#endif

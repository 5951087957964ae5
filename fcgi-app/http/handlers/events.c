/* events.c - GET /executions/{id}/events: an execution as Server-Sent
 * Events (SPEC 9), from its stored events (exec/events.h).  The stream
 * sends what is stored after Last-Event-ID, sleeps until the next batch
 * of any execution is stored or one ends (notify), and looks again; once
 * the record is final it sends the rest and a "result" event, the
 * record, numbered one past the last event, and ends.  So a stream joined
 * late, resumed or opened after the end gets every event exactly once.
 * A stream holds its worker while it lasts, so a key may hold at most a
 * quarter of workers_max of them at once: one key watching one long
 * execution from many connections cannot take every worker.  A worker
 * asked to stop (a drain, a reload) ends its stream without a result:
 * the client resumes from another with Last-Event-ID. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "base/json.h"
#include "base/notify.h"
#include "base/stats.h"
#include "base/util.h"
#include "exec/events.h"
#include "exec/execution.h"
#include "http/auth.h"
#include "http/handlers/common.h"
#include "http/handlers/handlers.h"
#include "http/request.h"
#include "http/response.h"
#include "http/sse.h"
#include "sandbox/app.h"
#include "store/store.h"
#include "store/store_events.h"
#include "store/store_executions.h"

#define BATCH 256               /* events read at a time */

/* The streams a key may hold at once. */
static long streams_max(const struct request *rq)
{
    long n = rq->conf->workers_max / 4;

    return n > 1 ? n : 1;
}

/* Last-Event-ID (a resuming EventSource), or ?last_event_id= (a first
 * connection cannot set headers); 0 when neither.  -1: malformed. */
static int64_t last_event_id(struct request *rq)
{
    const char *v = request_param(rq, "HTTP_LAST_EVENT_ID");
    long n = 0;

    if (!v)
        v = request_query(rq, "last_event_id");
    if (v && parse_long(v, 0, 0x7fffffffffffffffL, &n) < 0)
        return -1;
    return n;
}

/* Sends the stored events after *last; how many, or -1 (client gone or
 * the database failed: the stream ends). */
static int send_stored(struct request *rq, struct sse *s, const char *id,
                       int64_t *last)
{
    struct store_event *ev = NULL;
    int n = store_events_after(rq->store, rq->key->id, id, *last, BATCH,
                               &ev);

    for (int i = 0; i < n && !s->gone; i++) {
        sse_event(s, ev[i].seq, ev[i].kind, ev[i].data);
        *last = ev[i].seq;
    }
    store_events_free(ev, n > 0 ? n : 0);
    return s->gone ? -1 : n;
}

static void send_result(struct request *rq, struct sse *s, const char *id,
                        int64_t seq)
{
    struct jw *w = jw_new();

    if (store_execution_write(rq->store, id, rq->key->id,
                              request_base_url(rq), true, w) == 1)
        sse_event(s, seq, "result", jw_text(w, NULL));
    jw_free(w);
}

/* Follows id until its record is final and every event is sent; an
 * idle stream gets a comment every EVENTS_IDLE_MS, however often other
 * executions' events wake it. */
static void follow(struct request *rq, struct sse *s, const char *id,
                   int64_t last)
{
    double heard = now_ms();    /* when the client last got something */
    char status[16];

    for (;;) {
        uint32_t seen = notify_events_seq();
        int n = send_stored(rq, s, id, &last);
        double quiet;

        if (n < 0)
            return;
        if (n > 0)
            heard = now_ms();
        if (n == BATCH)
            continue;
        if (store_execution_status(rq->store, id, rq->key->id,
                                   status) != 1)
            return;
        if (execution_status_final(status)) {
            /* Its events were all stored before the record ended. */
            if (send_stored(rq, s, id, &last) >= 0)
                send_result(rq, s, id, last + 1);
            return;
        }
        if (notify_stop_asked())
            return;     /* the client resumes elsewhere, Last-Event-ID */
        quiet = heard + EVENTS_IDLE_MS - now_ms();
        if (quiet <= 0) {
            if (sse_comment(s, "keep-alive") < 0)
                return;
            heard = now_ms();
            continue;
        }
        notify_events_wait(seen, (long)quiet + 1);
    }
}

void handle_execution_events(struct request *rq)
{
    const char *id = rq->params[0];
    int64_t last = last_event_id(rq), stored;
    uint64_t key;
    char status[16];
    struct sse s;
    int rc;

    if (last < 0) {
        response_fail(rq, RESULT_INVALID_REQUEST, "Last-Event-ID must be "
                      "an event id this stream sent (a whole number)");
        return;
    }
    rc = store_execution_status(rq->store, id, rq->key->id, status);
    if (rc != 1) {
        respond_missing(rq, rc, "execution");
        return;
    }
    stored = store_events_last(rq->store, rq->key->id, id);
    if (stored < 0) {
        respond_db_error(rq);
        return;
    }
    if (execution_status_final(status) && last > stored) {
        /* It had everything, the result too: 204 tells an EventSource
         * not to reconnect. */
        response_send(rq, 204, NULL, NULL, 0);
        return;
    }
    key = stats_key_hash(rq->key->id);
    if (stats_streams_of(key) >= streams_max(rq)) {
        char detail[160];

        snprintf(detail, sizeof(detail), "this key has %ld event streams "
                 "open already (a quarter of workers_max); close one or "
                 "retry later", streams_max(rq));
        response_fail(rq, RESULT_LIMITED, detail);
        return;
    }
    stats_worker_streams(rq->app->slot, key);
    sse_init(&s, rq);
    sse_start(&s);
    follow(rq, &s, id, last);
    /* Before the request finishes: a client that read to the end may
     * open its next stream at once. */
    stats_worker_streams(rq->app->slot, 0);
}

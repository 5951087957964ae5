/* events.h - the stream of one execution (SPEC 9): each chunk of output
 * it prints and each figure it makes, as an event numbered from 1.  An
 * event goes to a client watching live at once (POST /execute with
 * Accept: text/event-stream) and to the execution_events table in
 * batches, at most one every EVENTS_BATCH_MS (a chunk after a quiet
 * spell goes at once), so a loud program costs one transaction per
 * batch, not one per line; the last batch is written with the final
 * record (store_execution_finish), so a short program costs none of its
 * own.  Each stored batch wakes the streams (notify_events_bump), which
 * read their execution's new events. */
#ifndef PYEXEC_EVENTS_H
#define PYEXEC_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define EVENTS_BATCH_MS 50
/* A watching client hears something at least this often: an event, or
 * a comment that says the stream is alive. */
#define EVENTS_IDLE_MS 15000

struct store;
struct store_event;

/* A client watching as it runs: send an event, or say it is alive. */
struct events_live {
    void (*send)(void *arg, int64_t seq, const char *kind, const char *data);
    void (*idle)(void *arg);
    void *arg;
};

struct events {
    struct store *store;
    const char *key_id, *id;
    const struct events_live *live;     /* NULL: nobody watches live */
    int64_t seq;                        /* the last event's */
    struct store_event *pending;        /* not written yet */
    size_t n_pending, cap_pending;
    double last_flush;                  /* now_ms() of the last write */
    double flush_at;                    /* when pending must go; 0: none */
    double last_live;                   /* now_ms() the live client last
                                         * heard something */
    struct buf tail[2];                 /* a UTF-8 sequence cut by a chunk,
                                         * of stdout and stderr */
};

void events_init(struct events *ev, struct store *s, const char *key_id,
                 const char *id, const struct events_live *live);
/* A chunk of stdout ('o') or stderr ('e') within the output caps. */
void events_output(struct events *ev, char stream, const char *p, size_t n);
/* A stored figure or output file. */
void events_image(struct events *ev, const char *image_id, const char *url);
/* Writes what is pending. */
void events_flush(struct events *ev);
/* When events_tick wants to run (a now_ms() time; 0: never): the next
 * batch, or the live client's keep-alive. */
double events_due(const struct events *ev);
void events_tick(struct events *ev);
/* The output is over: a cut UTF-8 sequence becomes an event as it is.
 * What is pending then (pending, n_pending) goes with the final record;
 * events_release frees it. */
void events_end(struct events *ev);
void events_release(struct events *ev);

/* How many of the n bytes at p end on a whole UTF-8 sequence: the rest
 * (at most 3 bytes) is the start of one that the next chunk completes. */
size_t events_utf8_whole(const char *p, size_t n);

#endif

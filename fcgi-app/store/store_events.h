/* store_events.h - the execution_events table (sql/008_events.sql): what
 * an execution printed, chunk by chunk, and its figures, numbered from 1
 * per execution.  The process running it adds them in batches; a stream
 * (GET /executions/{id}/events) reads them after the last id it sent. */
#ifndef PYEXEC_STORE_EVENTS_H
#define PYEXEC_STORE_EVENTS_H

#include <stddef.h>
#include <stdint.h>

struct store;

struct store_event {
    int64_t seq;
    char kind[8];               /* "stdout", "stderr", "image" */
    char *data;                 /* the event's JSON */
};

/* Adds n events of execution id of key_id in one transaction: 0 or -1. */
int store_events_add(struct store *s, const char *key_id, const char *id,
                     const struct store_event *ev, size_t n);

/* The events of id after seq `after`, oldest first, at most limit, as a
 * new array *out (free with store_events_free): the count or -1. */
int store_events_after(struct store *s, const char *key_id, const char *id,
                       int64_t after, int limit, struct store_event **out);
void store_events_free(struct store_event *ev, int n);
/* The number of id's last event (0: none yet), or -1. */
int64_t store_events_last(struct store *s, const char *key_id,
                          const char *id);

#endif

/* store_async.h - the async_queue table: executions accepted by POST
 * /executions, waiting for an executor or being run by one.  The
 * execution's record is written in the same transaction, so what was
 * answered 202 is never lost. */
#ifndef PYEXEC_STORE_ASYNC_H
#define PYEXEC_STORE_ASYNC_H

#include <stddef.h>

#include "base/result.h"
#include "store/store.h"

struct store;
struct execution_new;

/* Records e as 'queued' and queues body (the request as sent) after
 * checking the key's rate (rate_per_minute, 0: none) and the queue's
 * room (max_queued waiting).  RESULT_OK, RESULT_LIMITED (rate),
 * RESULT_QUEUE_FULL, RESULT_DUPLICATE (the id exists), or the
 * database's reason. */
struct async_submit {
    const struct execution_new *e;
    const char *body;
    size_t body_len;
    const char *base_url;
    long rate_per_minute;
    long max_queued;
};
enum result store_async_submit(struct store *s, const struct async_submit *a);

/* A claimed row. */
struct async_claim {
    char scoped_id[STORE_SCOPED_ID_LEN];    /* the stored id */
    char execution_id[65];      /* the client's, at most EXECUTION_ID_MAX */
    char key_id[STORE_KEY_ID_LEN];
    char *body;                 /* caller frees */
    char base_url[256];
};
/* Claims the next waiting execution for pid, taking keys in turn (the
 * key with the fewest claimed first, then the oldest): 1 with *out
 * filled, 0 when none waits, -1. */
int store_async_claim(struct store *s, int pid, struct async_claim *out);
/* It could not start (no sandbox): it waits again. */
int store_async_unclaim(struct store *s, const char *scoped_id);
/* The execution's run is over: its row goes. */
int store_async_done(struct store *s, const char *scoped_id);

/* Rows claimed by a process that is gone: still 'queued' ones wait
 * again, ones that had started are marked 'interrupted'.  At start-up
 * (all = true) every claim is such.  Returns how many were interrupted,
 * or -1. */
int store_async_recover(struct store *s, bool all);

/* Executions waiting (not claimed), or -1. */
long store_async_waiting(struct store *s);

#endif

/* store_executions.h - the executions table: one row per accepted
 * execution, written before it runs and completed after. */
#ifndef PYEXEC_STORE_EXECUTIONS_H
#define PYEXEC_STORE_EXECUTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/result.h"
#include "store/store.h"

struct store;
struct store_event;
struct jw;

/* What is known when an execution is accepted. */
struct execution_new {
    const char *id;
    const char *key_id;
    const char *session_id;     /* NULL when stateless */
    const char *request_id;
    const char *language;
    const char *code;
    size_t code_len;
    const char *stdin_data;
    size_t stdin_len;
    long timeout_ms;
    long memory_mb;
    int worker_pid;             /* 0: none yet (queued for an executor) */
    const char *callback_url;   /* NULL: no webhook */
};

/* Inserts the row as 'queued' after checking the key's limits in the same
 * transaction: max_concurrent running (0: none) and rate_per_minute
 * accepted in the last minute (0: none).  Returns RESULT_OK;
 * RESULT_LIMITED when a limit is hit (*which says "concurrent" or
 * "rate"); RESULT_DUPLICATE when the id exists; else the database's
 * reason (see store_last_error). */
enum result store_execution_admit(struct store *s,
                                  const struct execution_new *e,
                                  long max_concurrent, long rate_per_minute,
                                  const char **which);

/* Execution ids are unique per key, not across keys: another key may
 * use the same execution_id and learns nothing of the first.  The
 * stored id carries the key's scope ("<key id>/<id>", see
 * STORE_SCOPED_ID); every function here takes and gives the id a client
 * knows, with the key it belongs to. */

/* status 'running' with the container that runs it. */
int store_execution_started(struct store *s, const char *key_id,
                            const char *id, const char *container);

/* The outcome of an execution (fields may be NULL). */
struct execution_done {
    const char *status;
    bool has_exit_code;
    int exit_code;
    int signal;                 /* 0: none */
    const char *out;
    size_t out_len;
    const char *err;
    size_t err_len;
    const char *result_text;
    size_t result_len;
    bool truncated;
    double execution_time;      /* seconds */
    const char *error;          /* detail for failed / blocked */
    const char *test_results;   /* JSON */
    const char *violations;     /* JSON */
    const char *timings;        /* JSON */
    const char *result;         /* JSON: the /execute reply, if kept */
    bool callback;              /* it may have a callback_url: queue it */
    /* Its last events (exec/events.h), stored with the record. */
    const struct store_event *events;
    size_t n_events;
};
int store_execution_finish(struct store *s, const char *key_id,
                           const char *id, const struct execution_done *d);

/* Stores a blocked execution in one step: RESULT_OK, RESULT_DUPLICATE
 * when the id exists, else the database's reason. */
enum result store_execution_blocked(struct store *s,
                                    const struct execution_new *e,
                                    const char *detail,
                                    const char *violations_json);

/* The status of execution id of key_id: 1 (status filled), 0 (none),
 * -1. */
int store_execution_status(struct store *s, const char *id,
                           const char *key_id, char status[16]);

/* What store_execution_cancel found. */
enum cancel_outcome {
    CANCEL_NONE,                /* no such execution (of this key) */
    CANCEL_FINAL,               /* it has ended already */
    CANCEL_DONE,                /* it was waiting for an executor: now it
                                 * is 'cancelled' (its webhook queued) */
    CANCEL_ASKED,               /* a process has it: cancel_requested is
                                 * set, *pid is that process (0: none) */
};
/* Cancels execution id of key_id, in one transaction: an outcome, or -1
 * (the database's reason). */
int store_execution_cancel(struct store *s, const char *key_id,
                           const char *id, int *pid);
/* Whether a cancel was asked for execution id of key_id. */
bool store_execution_cancel_asked(struct store *s, const char *key_id,
                                  const char *id);

/* Marks every queued/running execution of a dead worker 'interrupted';
 * returns how many, or -1. */
int store_execution_interrupt_pid(struct store *s, int pid);
/* At start-up: every running execution, and every queued one that is
 * not waiting in async_queue, is 'interrupted'. */
int store_execution_interrupt_all(struct store *s);

/* Writes the record as a JSON object into w.  1 found, 0 not found (or
 * owned by another key), -1 on error.  base_url prefixes image urls. */
int store_execution_write(struct store *s, const char *id, const char *key_id,
                          const char *base_url, bool full, struct jw *w);
/* Writes {"executions": [...], "next_before": ...} for a key: newest
 * first, created before `before` (ms; 0 = now), at most limit. */
int store_execution_list(struct store *s, const char *key_id, int64_t before,
                         int limit, struct jw *w);

/* Deletes executions (and their images) created before cutoff_ms;
 * returns the number deleted or -1. */
long store_execution_purge(struct store *s, int64_t cutoff_ms);

/* For pyexec-admin: the newest executions (of every key when key_id is
 * NULL), at most limit, as a new array *out (caller frees); the count or
 * -1. */
struct execution_summary {
    char id[72];                /* ids are at most 64 characters */
    char key_id[STORE_KEY_ID_LEN];
    char status[16];
    int64_t created_at;
    double execution_time;
    char session_id[136];       /* at most 128; "-" when none */
};
int store_execution_recent(struct store *s, const char *key_id, int limit,
                           struct execution_summary **out);
/* Copies the key that owns execution id (a client's id: the newest
 * execution of any key with it; or "<key id>/<id>"): 1, 0 (none) or
 * -1.  The id alone is copied back into id_out (72 bytes). */
int store_execution_owner(struct store *s, const char *id,
                          char key_id[STORE_KEY_ID_LEN], char id_out[72]);

/* Counts for /status: executions served (all time). */
long store_execution_count(struct store *s);

/* How many records there are, and when the newest was made (ms; 0 when
 * none): what a restored copy holds. */
int store_execution_summary(struct store *s, int64_t *count,
                            int64_t *newest);

#endif

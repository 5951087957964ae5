/* execution.h - runs one accepted execution end to end: policy, the
 * record, a sandbox (pool or session), the runner, test cases, images,
 * and the final record.  Knows nothing of HTTP: its result says why it
 * did not run, and http/response.c turns that into a status. */
#ifndef PYEXEC_EXECUTION_H
#define PYEXEC_EXECUTION_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/result.h"
#include "base/util.h"
#include "exec/grading.h"
#include "sandbox/runner_client.h"
#include "store/store_images.h"

struct app;
struct events;
struct events_live;
struct execution_request;
struct principal;

/* The final statuses, as stored, sent and counted. */
#define EXECUTION_N_STATUSES 9
extern const char *const execution_statuses[EXECUTION_N_STATUSES];

struct execution_file {         /* a stored figure or output file */
    char id[IMAGE_ID_MAX + 1];
    bool is_plot;
    char *name;
    const char *mime;
    size_t size;
    int width, height;
};

struct execution_result {
    enum result result;         /* RESULT_OK: the code ran, whatever it
                                 * did; else why not */
    char detail[ERR_LEN];       /* why not, for the client */
    char *violations_json;      /* RESULT_UNSAFE */
    const char *status;         /* completed error timeout memory_limit
                                 * killed */
    struct runner_reply reply;
    char *error_text;           /* "error" field when stderr is empty */
    struct execution_file *files;
    size_t n_files;
    char *first_png_b64;
    struct test_result *tests;
    size_t n_tests;
    int tests_passed, tests_failed;
    char *tests_json;           /* the results as stored and sent */
    bool session_reset;
    bool session_created;
    double queue_ms, sandbox_ms, run_ms, total_ms;
    int storage_dropped;        /* outputs over a storage limit */
    int64_t storage_bytes;      /* bytes of outputs stored */
    int64_t last_event;         /* the number of its last event */
};

struct execution_ctx {
    struct app *app;
    const struct principal *key;
    const char *request_id;
    double t_start;             /* now_ms() when the request arrived */
    const char *base_url;       /* prefix of image urls in a kept reply */
    bool is_queued;             /* the record exists as 'queued' and the
                                 * policy passed: an executor runs it */
    bool keep_result;           /* store the /execute reply in the record */
    const struct execution_request *er;     /* set by execution_run */
    struct execution_result *res;           /* set by execution_run */
    bool heavy;         /* set by execution_run: its code wants the heavy
                         * interpreter (exec/interpreter.h) */
    bool cancel_sent;   /* a cancel reached the runner during a call */
    /* A client watching live (POST /execute with Accept:
     * text/event-stream), or NULL; set by the caller. */
    const struct events_live *live;
    struct events *events;  /* set by execution_run: its stream */
    bool stream;            /* set by execution_run: stdout by lines */
};

/* Runs er; res says what happened (release it after). */
void execution_run(struct execution_ctx *ctx,
                   const struct execution_request *er,
                   struct execution_result *res);
void execution_result_release(struct execution_result *res);
/* True when it did not run for want of a sandbox or its turn: a queued
 * execution (ctx->is_queued) stays queued then, unrecorded. */
bool execution_result_retryable(const struct execution_result *res);

/* Accepts er for an executor (POST /executions): the policy, then the
 * record as 'queued' with body (the request as sent) in async_queue,
 * and wakes an executor.  res->result is RESULT_OK when queued, else
 * why not (RESULT_UNSAFE is recorded as blocked, as for /execute). */
void execution_enqueue(struct execution_ctx *ctx,
                       const struct execution_request *er,
                       const char *body, size_t body_len,
                       struct execution_result *res);

/* Index of a status in execution_statuses, or -1. */
int execution_status_index(const char *status);
/* Whether a record's status is final (not queued or running). */
bool execution_status_final(const char *status);

#endif

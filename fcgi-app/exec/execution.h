/* execution.h - runs one accepted execution end to end: policy, the record,
 * a sandbox (pool or session), the runner, test cases, images, and the
 * final record.  Knows nothing of HTTP: it reports a failure class that
 * the handler turns into a status code. */
#ifndef PYEXEC_EXECUTION_H
#define PYEXEC_EXECUTION_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "sandbox/runner_client.h"
#include "base/util.h"

struct app;
struct execution_request;
struct principal;

enum exec_fail {
    EXEC_OK,                    /* the code ran (whatever it did) */
    EXEC_UNSAFE,                /* blocked by the policy */
    EXEC_DUPLICATE,             /* execution_id already used */
    EXEC_LIMITED,               /* a per-key limit */
    EXEC_SESSION_BUSY,          /* the session's turn didn't come */
    EXEC_NO_SANDBOX,            /* pool exhausted / sandbox won't start */
    EXEC_TOO_MANY_SESSIONS,
    EXEC_DOCKER_DOWN,
    EXEC_DB_BUSY,
    EXEC_DB_FULL,
    EXEC_INTERNAL,
};

struct execution_file {              /* a stored figure or output file */
    char id[33];
    bool is_plot;
    char *name;
    const char *mime;
    size_t size;
    int width, height;
};

struct test_result {
    bool ran;
    bool passed;
    const char *status;
    struct buf out, err;
    double execution_time;
    const char *expected;
    size_t expected_len;
    const char *input;
};

struct execution_result {
    enum exec_fail fail;
    char detail[ERR_LEN];
    char *violations_json;      /* EXEC_UNSAFE */
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
};

struct execution_ctx {
    struct app *app;
    const struct principal *key;
    const char *request_id;
    double t_start;             /* now_ms() when the request arrived */
    struct execution_result *res;    /* set by execution_run */
};

/* Runs er; res says what happened (release it after). */
void execution_run(struct execution_ctx *ctx, const struct execution_request *er,
                   struct execution_result *res);
void execution_result_release(struct execution_result *res);

/* Compares program output with an expected output: trailing whitespace
 * of each line and trailing empty lines don't count. */
bool output_matches(const char *got, size_t got_len, const char *want,
                    size_t want_len);

/* Index of a status name in the metrics' executions counter. */
int execution_status_index(const char *status);

#endif

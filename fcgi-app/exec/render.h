/* render.h - an execution as JSON: the message that asks the runner to
 * run a program, the violations the policy found, the timings, and the
 * reply of /execute with every field any seed API's client reads (see
 * the README's field map). */
#ifndef PYEXEC_RENDER_H
#define PYEXEC_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

struct conf;
struct execution_request;
struct execution_result;
struct jw;
struct policy_result;

/* What one runner call runs. */
struct program {
    struct str code;
    struct str stdin_data;
    bool in_session;            /* in the session's interpreter */
    bool light;                 /* may fork from the light interpreter */
    bool stream;                /* watched as it runs: stdout by lines */
};

/* The runner's "exec" message for program p of er (runner/PROTOCOL.md):
 * a new string of *len bytes; caller frees. */
char *render_runner_call(const struct conf *c,
                         const struct execution_request *er,
                         const struct program *p, size_t *len);

/* Appends an object per violation in pr to the open array w, each with
 * "test_case": test_index unless it is -1 (the main code). */
void render_violations(const struct policy_result *pr, int test_index,
                       struct jw *w);

/* {"queue_ms", "sandbox_ms", "run_ms", "total_ms", "interpreter"}: a new
 * string. */
char *render_timings(const struct execution_result *res);

/* The reply of /execute for a run that happened (res->result is
 * RESULT_OK); image urls start with base_url. */
void render_execution(const struct execution_request *er,
                      const struct execution_result *res,
                      const char *base_url, struct jw *w);

#endif

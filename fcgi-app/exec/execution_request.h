/* job.h - an execution request, validated: the JSON body of /execute (and
 * the fields of /runcode) turned into limits the sandbox can apply.  Every
 * rejection names the field and says what was expected. */
#ifndef PYEXEC_JOB_H
#define PYEXEC_JOB_H

#include <stdbool.h>
#include <stddef.h>

struct conf;
struct json;

#define JOB_MAX_TESTS 100
#define JOB_ID_MAX 64
#define SESSION_ID_MAX 128

struct job_test {
    const char *code;           /* borrowed from the request JSON */
    size_t code_len;
    const char *stdin_data;
    size_t stdin_len;
    const char *expected;       /* NULL: no expectation */
    size_t expected_len;
    const char *input;          /* the "input" field, echoed back */
};

struct job {
    char id[JOB_ID_MAX + 1];
    bool id_given;
    const char *language;
    const char *code;           /* borrowed */
    size_t code_len;
    const char *stdin_data;
    size_t stdin_len;
    double timeout;             /* seconds */
    long memory_mb;
    const char *session_id;     /* NULL: stateless */
    const struct json *variables;   /* an object, or NULL */
    struct job_test *tests;     /* owned; free with job_release */
    size_t n_tests;
    bool stop_on_first_failure;
};

/* Fills job from a parsed /execute body.  Returns 0, or -1 with err
 * naming the field (the caller answers 400); *too_large is set when the
 * code is over max_code_bytes (413). */
int job_parse(const struct json *body, const struct conf *c, struct job *job,
              bool *too_large, char *err);
/* Defaults for a job built by hand (/runcode). */
void job_init(struct job *job, const struct conf *c);
void job_release(struct job *job);

/* Checks a "variables" object: each key must be a Python identifier. */
int job_check_variables(const struct json *vars, char *err);
/* Checks a client-chosen session id. */
bool job_session_id_ok(const char *id);
/* True for "python", "python3", "py" (any case). */
bool job_language_ok(const char *lang);

#endif

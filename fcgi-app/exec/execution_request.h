/* execution_request.h - an execution request, validated: the JSON body
 * of /execute (and the fields of /runcode) turned into limits the sandbox
 * can apply.  Every rejection names the field and says what was
 * expected. */
#ifndef PYEXEC_EXECUTION_REQUEST_H
#define PYEXEC_EXECUTION_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "base/result.h"

struct conf;
struct json;

#define EXECUTION_MAX_TESTS 100
#define EXECUTION_ID_MAX 64
#define SESSION_ID_MAX 128

struct test_case {
    const char *code;           /* borrowed from the request JSON */
    size_t code_len;
    const char *stdin_data;
    size_t stdin_len;
    const char *expected;       /* NULL: no expectation */
    size_t expected_len;
    const char *input;          /* the "input" field, echoed back */
};

struct execution_request {
    char id[EXECUTION_ID_MAX + 1];
    bool id_given;
    const char *language;
    const char *code;           /* borrowed */
    size_t code_len;
    const char *stdin_data;
    size_t stdin_len;
    double timeout;             /* seconds */
    long memory_mb;
    const char *session_id;     /* NULL: stateless */
    char session_tagged[SESSION_ID_MAX + 1];    /* the body's, tagged */
    const struct json *variables;   /* an object, or NULL */
    struct test_case *tests;    /* owned: execution_request_release */
    size_t n_tests;
    bool stop_on_first_failure;
    const char *callback_url;   /* checked against callback_allow */
};

/* Fills er from a parsed /execute body; the strings are borrowed from
 * it.  RESULT_OK, RESULT_INVALID_REQUEST with err naming the field, or
 * RESULT_TOO_LARGE when the code is over max_code_bytes.  Release er
 * either way. */
enum result execution_request_parse(const struct json *body,
                                    const struct conf *c,
                                    struct execution_request *er, char *err);
/* Defaults for a request built by hand (/runcode): a new id, the
 * configured timeout and memory. */
void execution_request_init(struct execution_request *er,
                            const struct conf *c);
void execution_request_release(struct execution_request *er);

/* Checks a "variables" object: each key must be a Python identifier
 * that is not a keyword.  0, or -1 with err. */
int execution_request_check_variables(const struct json *vars, char *err);
/* True for a client-chosen session id: 1-SESSION_ID_MAX characters of
 * [A-Za-z0-9_.:@-]. */
bool execution_session_id_valid(const char *id);
/* True for "python", "python3", "py" (any case). */
bool execution_language_ok(const char *lang);

#endif

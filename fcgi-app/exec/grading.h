/* grading.h - test cases: whether a run passed, and the report of them
 * all as it is stored and sent (seed 002's fields).  Pure: no runner, no
 * database. */
#ifndef PYEXEC_GRADING_H
#define PYEXEC_GRADING_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

struct test_result {
    bool ran;                   /* false: skipped, or nothing ran */
    bool passed;
    const char *status;         /* the execution status of its run */
    struct buf out, err;
    double execution_time;      /* seconds */
    const char *expected;       /* NULL: no expectation */
    size_t expected_len;
    const char *input;          /* the case's "input", echoed back */
};

/* Compares program output with an expected output: trailing whitespace
 * of each line and trailing empty lines don't count. */
bool grading_output_matches(const char *got, size_t got_len,
                            const char *want, size_t want_len);

/* Whether t passed: it ran, completed, and printed what was expected
 * (anything, when nothing was). */
bool grading_passed(const struct test_result *t);

/* The results as a JSON array (a new string, caller frees). */
char *grading_report_json(const struct test_result *t, size_t n);

#endif

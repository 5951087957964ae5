/* test_grading.c - test cases: what counts as the expected output,
 * when a case passed, and the report clients read. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/json.h"
#include "base/util.h"
#include "exec/grading.h"

static void test_output_matches(void **state)
{
    static const struct {
        const char *got, *want;
        bool is_match;
    } cases[] = {
        { "1\n", "1\n", true },
        { "1\n", "1", true },
        { "1", "1\n\n\n", true },
        { "1  \t\n2\r\n", "1\n2", true },
        { "1\n2\n", "1\n 2\n", false },     /* leading blanks count */
        { "1\n\n2\n", "1\n2\n", false },    /* inner empty lines count */
        { "12", "1", false },
        { "", "", true },
        { "", "\n \n", true },
        { "x", "", false },
        { "a\nb", "a\nc", false },
        { "a\nb\n \n\t\n", "a\nb", true },
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *g = cases[i].got, *w = cases[i].want;

        if (grading_output_matches(g, strlen(g), w, strlen(w))
            != cases[i].is_match)
            fail_msg("case %zu: \"%s\" vs \"%s\"", i, g, w);
        /* Either way round. */
        if (grading_output_matches(w, strlen(w), g, strlen(g))
            != cases[i].is_match)
            fail_msg("case %zu swapped", i);
    }
}

static void result_init(struct test_result *t, bool ran, const char *status,
                        const char *out, const char *expected)
{
    memset(t, 0, sizeof(*t));
    buf_init(&t->out, 0);
    buf_init(&t->err, 0);
    buf_append_str(&t->out, out);
    t->ran = ran;
    t->status = status;
    t->expected = expected;
    t->expected_len = expected ? strlen(expected) : 0;
}

static void test_passed(void **state)
{
    static const struct {
        bool ran;
        const char *status, *out, *expected;
        bool is_passed;
    } cases[] = {
        { true, "completed", "3\n", "3", true },
        { true, "completed", "anything", NULL, true },
        { true, "completed", "4\n", "3", false },
        { true, "error", "3\n", "3", false },
        { true, "timeout", "", NULL, false },
        { false, "killed", "3", "3", false },
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct test_result t;

        result_init(&t, cases[i].ran, cases[i].status, cases[i].out,
                    cases[i].expected);
        assert_int_equal(grading_passed(&t), cases[i].is_passed);
        buf_release(&t.out);
        buf_release(&t.err);
    }
}

static void test_report(void **state)
{
    struct test_result t[2];
    struct json *j;
    const struct json *a, *b;
    char err[ERR_LEN], *text;

    (void)state;
    result_init(&t[0], true, "completed", "3\n", "3");
    t[0].passed = true;
    t[0].input = "1 2";
    t[0].execution_time = 0.25;
    buf_append_str(&t[0].err, "warn");
    result_init(&t[1], false, "killed", "", NULL);
    text = grading_report_json(t, 2);
    j = json_parse(text, strlen(text), err);
    assert_non_null(j);
    assert_int_equal(j->type, JSON_ARRAY);
    assert_int_equal(j->n, 2);
    a = j->items[0];
    assert_true(json_get(a, "passed")->boolean);
    assert_string_equal(json_get(a, "status")->str, "completed");
    assert_string_equal(json_get(a, "stdout")->str, "3\n");
    assert_string_equal(json_get(a, "stderr")->str, "warn");
    assert_string_equal(json_get(a, "expected_output")->str, "3");
    assert_true(json_get(a, "execution_time")->number == 0.25);
    assert_string_equal(json_get(a, "input")->str, "1 2");
    assert_string_equal(json_get(a, "message")->str,
                        "\xe2\x9c\x85 Test passed: 1 2 -> Expected: 3");
    b = j->items[1];
    assert_false(json_get(b, "passed")->boolean);
    /* Not run: said so, whatever its status would have been. */
    assert_string_equal(json_get(b, "status")->str, "skipped");
    assert_int_equal(json_get(b, "expected_output")->type, JSON_NULL);
    assert_int_equal(json_get(b, "input")->type, JSON_NULL);
    assert_string_equal(json_get(b, "message")->str,
                        "\xe2\x9d\x8c Test failed: (no input) -> Expected: "
                        "(no expected output) (skipped)");
    json_free(j);
    free(text);
    for (int i = 0; i < 2; i++) {
        buf_release(&t[i].out);
        buf_release(&t[i].err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_matches),
        cmocka_unit_test(test_passed),
        cmocka_unit_test(test_report),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_execution_request.c - the body of /execute turned into an
 * execution request: every field, its aliases and defaults, and every
 * kind of bad input, each rejected with the field named. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/conf.h"
#include "base/json.h"
#include "base/util.h"
#include "exec/execution_request.h"

static struct conf cfg;

static int setup(void **state)
{
    char err[ERR_LEN];
    char *env[] = { NULL };

    (void)state;
    return conf_load_string(&cfg, "max_code_bytes = 64\n"
                            "max_timeout = 10\ndefault_timeout = 5\n"
                            "max_memory_mb = 512\n"
                            "default_memory_mb = 256\n", "test", env, err);
}

static int teardown(void **state)
{
    (void)state;
    conf_release(&cfg);
    return 0;
}

/* Parses body into er (release both after). */
static enum result parse(const char *body, struct json **j,
                         struct execution_request *er, char *err)
{
    char jerr[ERR_LEN];

    *j = json_parse(body, strlen(body), jerr);
    assert_non_null(*j);
    return execution_request_parse(*j, &cfg, er, err);
}

static void test_defaults(void **state)
{
    struct execution_request er;
    struct json *j;
    char err[ERR_LEN];

    (void)state;
    assert_int_equal(parse("{\"code\": \"print(1)\"}", &j, &er, err),
                     RESULT_OK);
    assert_string_equal(er.code, "print(1)");
    assert_int_equal(er.code_len, 8);
    assert_string_equal(er.language, "python");
    assert_string_equal(er.stdin_data, "");
    assert_true(er.timeout == 5);
    assert_int_equal(er.memory_mb, 256);
    /* A new UUID. */
    assert_int_equal(strlen(er.id), 36);
    assert_false(er.id_given);
    assert_null(er.session_id);
    assert_null(er.variables);
    assert_int_equal(er.n_tests, 0);
    assert_false(er.stop_on_first_failure);
    execution_request_release(&er);
    json_free(j);
}

static void test_every_field(void **state)
{
    static const char body[] =
        "{\"code\": \"x = a\", \"language\": \"Python3\","
        " \"stdin\": \"in\\u0000put\", \"timeout\": 2.5,"
        " \"max_memory_mb\": 512, \"execution_id\": \"run-1_a\","
        " \"variables\": {\"a\": 1, \"b_2\": [true]},"
        " \"test_cases\": [{\"code\": \"print(x)\", \"input\": \"1\","
        "   \"expected_output\": \"1\\n\"}, {}],"
        " \"stop_on_first_failure\": true}";
    struct execution_request er;
    struct json *j;
    char err[ERR_LEN];

    (void)state;
    assert_int_equal(parse(body, &j, &er, err), RESULT_OK);
    assert_string_equal(er.language, "Python3");
    /* Embedded NULs survive: the length is kept. */
    assert_int_equal(er.stdin_len, 6);
    assert_memory_equal(er.stdin_data, "in\0put", 6);
    assert_true(er.timeout == 2.5);
    assert_int_equal(er.memory_mb, 512);
    assert_string_equal(er.id, "run-1_a");
    assert_true(er.id_given);
    assert_int_equal(er.variables->n, 2);
    assert_int_equal(er.n_tests, 2);
    assert_string_equal(er.tests[0].code, "print(x)");
    assert_string_equal(er.tests[0].stdin_data, "1");
    assert_string_equal(er.tests[0].input, "1");
    assert_int_equal(er.tests[0].expected_len, 2);
    assert_string_equal(er.tests[1].code, "");
    assert_null(er.tests[1].input);
    assert_null(er.tests[1].expected);
    assert_true(er.stop_on_first_failure);
    execution_request_release(&er);
    json_free(j);
}

static void test_aliases_and_nulls(void **state)
{
    static const struct {
        const char *body;
        const char *stdin_data, *session;   /* NULL: not set */
    } cases[] = {
        { "{\"code\": \"1\", \"input_data\": \"x\"}", "x", NULL },
        { "{\"code\": \"1\", \"stdin\": null, \"input_data\": \"x\"}", "x",
          NULL },
        { "{\"code\": \"1\", \"stdin\": \"s\", \"input_data\": \"x\"}", "s",
          NULL },
        { "{\"code\": \"1\", \"user_uuid\": \"u:1@h.x\"}", "", "u:1@h.x" },
        { "{\"code\": \"1\", \"session_id\": \"s\", \"user_uuid\": \"u\"}",
          "", "s" },
        /* Typed clients send null for "the default". */
        { "{\"code\": \"1\", \"language\": null, \"timeout\": null,"
          " \"max_memory_mb\": null, \"execution_id\": null,"
          " \"session_id\": null, \"variables\": null,"
          " \"test_cases\": null, \"stop_on_first_failure\": null}", "",
          NULL },
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct execution_request er;
        struct json *j;
        char err[ERR_LEN];

        assert_int_equal(parse(cases[i].body, &j, &er, err), RESULT_OK);
        assert_string_equal(er.stdin_data, cases[i].stdin_data);
        if (cases[i].session)
            assert_string_equal(er.session_id, cases[i].session);
        else
            assert_null(er.session_id);
        execution_request_release(&er);
        json_free(j);
    }
}

/* Bad bodies, the result and what the message must say. */
static const struct {
    const char *body;
    enum result r;
    const char *err;
} bad_cases[] = {
    { "{}", RESULT_INVALID_REQUEST, "code is required" },
    { "{\"code\": null}", RESULT_INVALID_REQUEST, "code is required" },
    { "{\"code\": 1}", RESULT_INVALID_REQUEST,
      "code must be a string, not number" },
    { "{\"code\": \"" "0123456789012345678901234567890123456789"
      "01234567890123456789012345\"}", RESULT_TOO_LARGE,
      "code is 66 bytes; max_code_bytes is 64" },
    { "{\"code\": \"1\", \"language\": \"ruby\"}",
      RESULT_INVALID_REQUEST, "language 'ruby' is not supported" },
    { "{\"code\": \"1\", \"language\": 3}", RESULT_INVALID_REQUEST,
      "language must be a string" },
    { "{\"code\": \"1\", \"input_data\": 3}", RESULT_INVALID_REQUEST,
      "input_data must be a string" },
    { "{\"code\": \"1\", \"timeout\": \"5\"}", RESULT_INVALID_REQUEST,
      "timeout must be a number of seconds, not string" },
    { "{\"code\": \"1\", \"timeout\": 0}", RESULT_INVALID_REQUEST,
      "timeout must be above 0 and at most 10 seconds" },
    { "{\"code\": \"1\", \"timeout\": 10.5}", RESULT_INVALID_REQUEST,
      "at most 10 seconds" },
    { "{\"code\": \"1\", \"max_memory_mb\": 64.5}",
      RESULT_INVALID_REQUEST, "max_memory_mb must be an integer" },
    { "{\"code\": \"1\", \"max_memory_mb\": 15}", RESULT_INVALID_REQUEST,
      "max_memory_mb must be between 16 and 512" },
    { "{\"code\": \"1\", \"max_memory_mb\": 513}",
      RESULT_INVALID_REQUEST, "between 16 and 512" },
    { "{\"code\": \"1\", \"execution_id\": \"a b\"}",
      RESULT_INVALID_REQUEST, "execution_id must match" },
    { "{\"code\": \"1\", \"execution_id\": \"a\\u0000b\"}",
      RESULT_INVALID_REQUEST, "execution_id must match" },
    { "{\"code\": \"1\", \"execution_id\": \"\"}",
      RESULT_INVALID_REQUEST, "execution_id must match" },
    { "{\"code\": \"1\", \"execution_id\": 7}", RESULT_INVALID_REQUEST,
      "execution_id must be a string" },
    { "{\"code\": \"1\", \"user_uuid\": \"a/b\"}",
      RESULT_INVALID_REQUEST, "user_uuid must be 1-128 characters" },
    { "{\"code\": \"1\", \"session_id\": \"\"}", RESULT_INVALID_REQUEST,
      "session_id must be 1-128 characters" },
    { "{\"code\": \"1\", \"variables\": [1]}", RESULT_INVALID_REQUEST,
      "variables must be a JSON object of name: value, not array" },
    { "{\"code\": \"1\", \"variables\": {\"1a\": 1}}",
      RESULT_INVALID_REQUEST, "'1a' is not a valid Python identifier" },
    { "{\"code\": \"1\", \"variables\": {\"lambda\": 1}}",
      RESULT_INVALID_REQUEST, "'lambda' is not a valid Python" },
    { "{\"code\": \"1\", \"variables\": {\"a-b\": 1}}",
      RESULT_INVALID_REQUEST, "'a-b' is not a valid Python" },
    { "{\"code\": \"1\", \"variables\": {\"a\": 1, \"b\": 2, \"a\": 3}}",
      RESULT_INVALID_REQUEST, "variables: 'a' is given twice" },
    { "{\"code\": \"1\", \"variables\": {\"caf\u00e9\": 1}}",
      RESULT_INVALID_REQUEST, "is not a valid Python identifier" },
    { "{\"code\": \"1\", \"variables\": {\"v\": {\"k\": {\"x\": 1,"
      " \"x\": 1}}}}", RESULT_INVALID_REQUEST,
      "'v' holds an object with the key 'x' twice" },
    { "{\"code\": \"1\", \"variables\": {\"ab\": 1, \"a\": 2, \"ab\": 3}}",
      RESULT_INVALID_REQUEST, "'ab' is given twice" },
    { "{\"code\": \"1\", \"test_cases\": {}}", RESULT_INVALID_REQUEST,
      "test_cases must be an array of objects, not object" },
    { "{\"code\": \"1\", \"test_cases\": [1]}", RESULT_INVALID_REQUEST,
      "test_cases[0] must be an object" },
    { "{\"code\": \"1\", \"test_cases\": [{}, {\"code\": 1}]}",
      RESULT_INVALID_REQUEST, "test_cases[1].code must be a string" },
    { "{\"code\": \"1\", \"test_cases\": [{\"input\": 1}]}",
      RESULT_INVALID_REQUEST, "test_cases[0].input must be a string" },
    { "{\"code\": \"1\", \"test_cases\": [{\"stdin\": []}]}",
      RESULT_INVALID_REQUEST, "test_cases[0].stdin must be a string" },
    { "{\"code\": \"1\", \"test_cases\":"
      " [{\"expected_output\": false}]}", RESULT_INVALID_REQUEST,
      "test_cases[0].expected_output must be a string" },
    { "{\"code\": \"1\", \"session_id\": \"s\", \"test_cases\": [{}]}",
      RESULT_INVALID_REQUEST, "can't be combined with session_id" },
    { "{\"code\": \"1\", \"stop_on_first_failure\": 1}",
      RESULT_INVALID_REQUEST, "stop_on_first_failure must be true or" },
    /* The first bad field is the one reported. */
    { "{\"code\": \"1\", \"timeout\": -1, \"language\": \"c\"}",
      RESULT_INVALID_REQUEST, "language 'c'" },
};

static void test_bad_input(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
        struct execution_request er;
        struct json *j;
        char err[ERR_LEN] = "";
        enum result r = parse(bad_cases[i].body, &j, &er, err);

        if (r != bad_cases[i].r || !strstr(err, bad_cases[i].err))
            fail_msg("case %zu: result %d \"%s\", want %d \"%s\"", i, r,
                     err, bad_cases[i].r, bad_cases[i].err);
        execution_request_release(&er);
        json_free(j);
    }
}

static void test_too_many_tests(void **state)
{
    struct buf b = BUF_INIT(0);
    struct execution_request er;
    struct json *j;
    char err[ERR_LEN];

    (void)state;
    buf_append_str(&b, "{\"code\": \"1\", \"test_cases\": [{}");
    for (int i = 0; i < EXECUTION_MAX_TESTS; i++)
        buf_append_str(&b, ", {}");
    buf_append_str(&b, "]}");
    assert_int_equal(parse(buf_cstr(&b), &j, &er, err),
                     RESULT_INVALID_REQUEST);
    assert_non_null(strstr(err, "at most 100 are allowed"));
    execution_request_release(&er);
    json_free(j);
    buf_release(&b);
}

static void test_session_ids_and_languages(void **state)
{
    char long_id[SESSION_ID_MAX + 2];

    (void)state;
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    assert_false(execution_session_id_valid(long_id));
    long_id[SESSION_ID_MAX] = '\0';
    assert_true(execution_session_id_valid(long_id));
    assert_true(execution_session_id_valid("user-1_x.y:z@host"));
    assert_false(execution_session_id_valid(""));
    assert_false(execution_session_id_valid("a b"));
    assert_true(execution_language_ok("PY"));
    assert_true(execution_language_ok("python"));
    assert_false(execution_language_ok("python2"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_field),
        cmocka_unit_test(test_aliases_and_nulls),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_too_many_tests),
        cmocka_unit_test(test_session_ids_and_languages),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}

/* test_util.c - UTF-8 checks and repair, URL decoding, base64, ids,
 * number parsing. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/util.h"

static const struct { const char *s; size_t n; bool ok; } utf8_cases[] = {
    { "plain ascii", 11, true },
    { "caf\xc3\xa9", 5, true },
    { "\xe2\x82\xac", 3, true },                 /* euro sign */
    { "\xf0\x9f\x98\x80", 4, true },             /* emoji */
    { "\xc3", 1, false },                        /* truncated */
    { "\xc0\xaf", 2, false },                    /* overlong */
    { "\xed\xa0\x80", 3, false },                /* surrogate */
    { "\xf4\x90\x80\x80", 4, false },            /* above U+10FFFF */
    { "\xff", 1, false },
    { "a\0b", 3, true },                         /* NUL is valid UTF-8 */
};

static void test_utf8_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(utf8_cases); i++)
        assert_int_equal(utf8_valid(utf8_cases[i].s, utf8_cases[i].n),
                         utf8_cases[i].ok);
}

static void test_utf8_sanitize(void **state)
{
    size_t n;
    char *s;

    (void)state;
    s = utf8_sanitize("a\xff" "b\0c", 5, &n);
    assert_string_equal(s, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c");
    assert_int_equal(n, strlen(s));
    assert_true(utf8_valid(s, n));
    free(s);
}

static const struct {
    const char *in; bool plus; const char *out;
} url_cases[] = {
    { "print%28%27hi%27%29", false, "print('hi')" },
    { "a+b", true, "a b" },
    { "a+b", false, "a+b" },
    { "%7B%7D", true, "{}" },
    { "%e2%82%ac", true, "\xe2\x82\xac" },
    { "100%", true, NULL },
    { "%4", true, NULL },
    { "%zz", true, NULL },
    { "", true, "" },
};

static void test_url_decode(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(url_cases); i++) {
        char *d = url_decode(url_cases[i].in, strlen(url_cases[i].in),
                             url_cases[i].plus, NULL);

        if (!url_cases[i].out) {
            assert_null(d);
            continue;
        }
        assert_non_null(d);
        assert_string_equal(d, url_cases[i].out);
        free(d);
    }
}

static void test_base64(void **state)
{
    static const struct { const char *in, *out; } cases[] = {
        { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
        { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
        { "foobar", "Zm9vYmFy" },
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *b = base64_encode(cases[i].in, strlen(cases[i].in), NULL);

        assert_string_equal(b, cases[i].out);
        free(b);
    }
}

static void test_safe_id(void **state)
{
    char long_id[80];

    (void)state;
    assert_true(is_safe_id("abc-DEF_123", 64));
    assert_false(is_safe_id("", 64));
    assert_false(is_safe_id("a b", 64));
    assert_false(is_safe_id("../etc", 64));
    assert_false(is_safe_id("x\xc3\xa9", 64));
    memset(long_id, 'a', 65);
    long_id[65] = '\0';
    assert_false(is_safe_id(long_id, 64));
    long_id[64] = '\0';
    assert_true(is_safe_id(long_id, 64));
}

static void test_parse_numbers(void **state)
{
    long v;
    double d;

    (void)state;
    assert_int_equal(parse_long("42", 0, 100, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(parse_long("101", 0, 100, &v), -1);
    assert_int_equal(parse_long("4x", 0, 100, &v), -1);
    assert_int_equal(parse_long("", 0, 100, &v), -1);
    assert_int_equal(parse_long("99999999999999999999", 0, 100, &v), -1);
    assert_int_equal(parse_double("1.5", 0, 2, &d), 0);
    assert_true(d == 1.5);
    assert_int_equal(parse_double("nan", 0, 2, &d), -1);
    assert_int_equal(parse_double("3", 0, 2, &d), -1);
}

static void test_random_token(void **state)
{
    char *a = random_token(32), *b = random_token(32);

    (void)state;
    assert_int_equal(strlen(a), 32);
    assert_true(is_safe_id(a, 32));
    assert_string_not_equal(a, b);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_sanitize),
        cmocka_unit_test(test_url_decode),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_safe_id),
        cmocka_unit_test(test_parse_numbers),
        cmocka_unit_test(test_random_token),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_buf.c - bounded buffers: growth, the cap, detach. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/buf.h"

static void test_append_grows_and_terminates(void **state)
{
    struct buf b = BUF_INIT(0);

    (void)state;
    assert_string_equal(buf_cstr(&b), "");
    for (int i = 0; i < 1000; i++)
        assert_int_equal(buf_append(&b, "ab", 2), 0);
    assert_int_equal(b.len, 2000);
    assert_int_equal(b.data[2000], '\0');
    assert_memory_equal(b.data + 1998, "ab", 2);
    buf_release(&b);
    assert_null(b.data);
}

static void test_cap_rejects_without_partial_append(void **state)
{
    struct buf b = BUF_INIT(5);

    (void)state;
    assert_int_equal(buf_append(&b, "abc", 3), 0);
    assert_int_equal(buf_append(&b, "def", 3), -1);
    assert_string_equal(buf_cstr(&b), "abc");
    assert_int_equal(buf_append(&b, "de", 2), 0);
    assert_int_equal(buf_append_char(&b, 'x'), -1);
    assert_string_equal(buf_cstr(&b), "abcde");
    assert_int_equal(buf_appendf(&b, "%d", 1), -1);
    buf_release(&b);
}

static void test_appendf_and_reset(void **state)
{
    struct buf b = BUF_INIT(0);

    (void)state;
    assert_int_equal(buf_appendf(&b, "%s=%d", "n", 42), 0);
    assert_string_equal(buf_cstr(&b), "n=42");
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(buf_cstr(&b), "");
    buf_release(&b);
}

static void test_detach_hands_over(void **state)
{
    struct buf b = BUF_INIT(0);
    size_t n;
    char *p;

    (void)state;
    buf_append_str(&b, "hello");
    p = buf_detach(&b, &n);
    assert_int_equal(n, 5);
    assert_string_equal(p, "hello");
    assert_null(b.data);
    free(p);
    p = buf_detach(&b, &n);          /* empty buf still gives a string */
    assert_int_equal(n, 0);
    assert_string_equal(p, "");
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_grows_and_terminates),
        cmocka_unit_test(test_cap_rejects_without_partial_append),
        cmocka_unit_test(test_appendf_and_reset),
        cmocka_unit_test(test_detach_hands_over),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

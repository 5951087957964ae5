/* test_json.c - the tree parser (lengths, depth cap, errors with a
 * position) and the writer (escaping, UTF-8 repair, numbers). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/json.h"
#include "base/util.h"

static void test_parse_object(void **state)
{
    const char *text = "{\"code\":\"print(1)\",\"timeout\":2.5,\"n\":7,"
                       "\"ok\":true,\"none\":null,\"list\":[1,2,3],"
                       "\"code\":\"last wins\"}";
    char err[ERR_LEN];
    struct json *j = json_parse(text, strlen(text), err);
    const struct json *v;

    (void)state;
    assert_non_null(j);
    assert_int_equal(j->type, JSON_OBJECT);
    v = json_get(j, "code");
    assert_string_equal(v->str, "last wins");
    v = json_get(j, "timeout");
    assert_int_equal(v->type, JSON_NUMBER);
    assert_false(v->is_integer);
    assert_true(v->number == 2.5);
    v = json_get(j, "n");
    assert_true(v->is_integer);
    assert_int_equal(v->integer, 7);
    assert_true(json_get(j, "ok")->boolean);
    assert_int_equal(json_get(j, "none")->type, JSON_NULL);
    assert_int_equal(json_get(j, "list")->n, 3);
    assert_null(json_get(j, "missing"));
    json_free(j);
}

static void test_embedded_nul_keeps_length(void **state)
{
    const char *text = "{\"s\":\"a\\u0000b\"}";
    char err[ERR_LEN];
    struct json *j = json_parse(text, strlen(text), err);
    const struct json *s;

    (void)state;
    assert_non_null(j);
    s = json_get(j, "s");
    assert_int_equal(s->len, 3);
    assert_memory_equal(s->str, "a\0b", 3);
    json_free(j);
}

static const struct { const char *text; const char *err; } bad[] = {
    { "", "" },
    { "{", "" },
    { "{\"a\":}", "" },
    { "{\"a\":1,}", "" },
    { "[1 2]", "" },
    { "{\"a\":\"\xff\"}", "" },              /* invalid UTF-8 */
    { "{} {}", "" },
    { "nul", "" },
};

static void test_errors_say_where(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        char err[ERR_LEN] = "";
        struct json *j = json_parse(bad[i].text, strlen(bad[i].text), err);

        if (j)
            fail_msg("case %zu parsed", i);
        assert_true(strlen(err) > 0);
    }
}

static void test_depth_is_capped(void **state)
{
    char text[2 * (JSON_MAX_DEPTH + 10) + 1];
    char err[ERR_LEN] = "";
    int d = JSON_MAX_DEPTH + 10;

    (void)state;
    memset(text, '[', (size_t)d);
    memset(text + d, ']', (size_t)d);
    text[2 * d] = '\0';
    assert_null(json_parse(text, strlen(text), err));
    assert_non_null(strstr(err, "nesting"));
    /* Exactly the maximum is fine. */
    d = JSON_MAX_DEPTH;
    memset(text, '[', (size_t)d);
    memset(text + d, ']', (size_t)d);
    text[2 * d] = '\0';
    struct json *j = json_parse(text, strlen(text), err);
    assert_non_null(j);
    json_free(j);
}

static void test_writer(void **state)
{
    struct jw *w = jw_new();
    size_t n;
    const char *t;

    (void)state;
    jw_obj_open(w);
    jw_key(w, "s");
    jw_strn(w, "q\"\\\n\x01", 5);
    jw_key(w, "bad");
    jw_strn(w, "a\xff", 2);
    jw_key(w, "t");
    jw_double(w, 0.012300, 6);
    jw_key(w, "i");
    jw_int(w, -3);
    jw_key(w, "z");
    jw_double(w, 2.0, 3);
    jw_key(w, "null");
    jw_str(w, NULL);
    jw_key(w, "arr");
    jw_arr_open(w);
    jw_bool(w, true);
    jw_raw(w, "{\"x\":1}", 7);
    jw_arr_close(w);
    jw_obj_close(w);
    t = jw_text(w, &n);
    assert_string_equal(t,
        "{\"s\":\"q\\\"\\\\\\n\\u0001\",\"bad\":\"a\xef\xbf\xbd\","
        "\"t\":0.0123,\"i\":-3,\"z\":2.0,\"null\":null,"
        "\"arr\":[true,{\"x\":1}]}");
    jw_free(w);
}

static void test_roundtrip_value(void **state)
{
    const char *text = "{\"a\":[1,2.5,\"x\",null,false,{\"b\":{}}]}";
    char err[ERR_LEN];
    struct json *j = json_parse(text, strlen(text), err);
    struct jw *w = jw_new();

    (void)state;
    jw_value(w, j);
    assert_string_equal(jw_text(w, NULL), text);
    jw_free(w);
    json_free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_object),
        cmocka_unit_test(test_embedded_nul_keeps_length),
        cmocka_unit_test(test_errors_say_where),
        cmocka_unit_test(test_depth_is_capped),
        cmocka_unit_test(test_writer),
        cmocka_unit_test(test_roundtrip_value),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

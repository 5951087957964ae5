/* test_request.c - the request layer on an in-memory FastCGI request:
 * the path, query and id taken from the parameters, the body read to
 * its cap (or found cut short), the JSON object in it, the query
 * string's values, and the URL a client would see. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/conf.h"
#include "base/util.h"
#include "fakes/fake_fcgi.h"
#include "http/request.h"
#include "sandbox/app.h"

static struct conf cfg;
static struct app app;

static int setup(void **state)
{
    char err[ERR_LEN];
    char *env[] = { NULL };

    (void)state;
    if (conf_load_string(&cfg, "max_body_bytes = 1024\n", "test", env,
                         err) < 0)
        return -1;
    app.conf = &cfg;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    conf_release(&cfg);
    return 0;
}

/* Begins rq on f with params and body. */
static void begin(struct request *rq, struct fake_fcgi *f,
                  const char *const *params, const char *body)
{
    fake_fcgi_init(f, params, body, body ? strlen(body) : 0);
    request_begin(rq, &f->req, &app);
}

static void end(struct request *rq, struct fake_fcgi *f)
{
    request_reset(rq);
    fake_fcgi_release(f);
}

static void test_path_and_query(void **state)
{
    static const struct {
        const char *params[4];
        const char *method, *path, *query;
    } cases[] = {
        { { "REQUEST_METHOD=POST", "REQUEST_URI=/execute?x=1&y=2" },
          "POST", "/execute", "x=1&y=2" },
        { { "REQUEST_URI=/a%20b/c" }, "GET", "/a b/c", "" },
        /* A malformed escape is routed as it is: it matches nothing. */
        { { "REQUEST_URI=/bad%zz" }, "GET", "/bad%zz", "" },
        { { "SCRIPT_NAME=/s", "QUERY_STRING=q=2" }, "GET", "/s", "q=2" },
        { { "REQUEST_URI=" }, "GET", "/", "" },
        { { NULL }, "GET", "/", "" },
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct fake_fcgi f;
        struct request rq;

        begin(&rq, &f, cases[i].params, NULL);
        assert_string_equal(rq.method, cases[i].method);
        assert_string_equal(rq.path, cases[i].path);
        assert_string_equal(rq.query, cases[i].query);
        end(&rq, &f);
    }
}

static void test_request_id(void **state)
{
    static const struct {
        const char *given;      /* X-Request-Id, or NULL */
        bool is_kept;
    } cases[] = {
        { "HTTP_X_REQUEST_ID=abc-123_X", true },
        { "HTTP_X_REQUEST_ID=has space", false },
        { "HTTP_X_REQUEST_ID=0123456789abcdef0123456789abcdefX", false },
        { "HTTP_X_REQUEST_ID=", false },
        { NULL, false },
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *params[] = { cases[i].given, NULL };
        struct fake_fcgi f;
        struct request rq;

        begin(&rq, &f, params, NULL);
        if (cases[i].is_kept) {
            assert_string_equal(rq.id, strchr(cases[i].given, '=') + 1);
        } else {
            /* Our own: 16 hex digits. */
            assert_int_equal(strlen(rq.id), 16);
            assert_int_equal(strspn(rq.id, "0123456789abcdef"), 16);
        }
        end(&rq, &f);
    }
}

static void test_body(void **state)
{
    char big[1500];
    static const struct {
        const char *length;     /* CONTENT_LENGTH, or NULL */
        int body;               /* 0: "hello", 1: 1500 bytes */
        enum result r;
        const char *err;
    } cases[] = {
        { "CONTENT_LENGTH=5", 0, RESULT_OK, "" },
        { NULL, 0, RESULT_OK, "" },
        /* Declared too large: refused before reading (drained). */
        { "CONTENT_LENGTH=1500", 1, RESULT_TOO_LARGE, "larger than" },
        /* Not declared, found too large while reading. */
        { NULL, 1, RESULT_TOO_LARGE, "max_body_bytes (1024)" },
        { "CONTENT_LENGTH=10", 0, RESULT_BAD_BODY, "ended early" },
        /* A length that is no number is not trusted either way. */
        { "CONTENT_LENGTH=x", 0, RESULT_OK, "" },
    };

    (void)state;
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *params[] = { cases[i].length, NULL };
        struct fake_fcgi f;
        struct request rq;
        char err[ERR_LEN] = "";

        begin(&rq, &f, params, cases[i].body ? big : "hello");
        assert_int_equal(request_read_body(&rq, err), cases[i].r);
        assert_non_null(strstr(err, cases[i].err));
        if (cases[i].r == RESULT_OK)
            assert_string_equal(buf_cstr(&rq.body), "hello");
        /* Read once: a second call answers from what was read. */
        assert_int_equal(request_read_body(&rq, err), RESULT_OK);
        end(&rq, &f);
    }
}

static void test_json_body(void **state)
{
    static const struct {
        const char *body;
        enum result r;
        const char *err;
    } cases[] = {
        { "{\"code\": \"print(1)\"}", RESULT_OK, "" },
        { "", RESULT_BAD_BODY, "request body is empty" },
        { "[1, 2]", RESULT_BAD_BODY, "must be a JSON object, not array" },
        { "\"x\"", RESULT_BAD_BODY, "must be a JSON object, not string" },
        { "{\"code\": ", RESULT_BAD_BODY, "" },
        { "{} x", RESULT_BAD_BODY, "" },
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct fake_fcgi f;
        struct request rq;
        const struct json *j = NULL, *again = NULL;
        char err[ERR_LEN] = "";
        const char *params[] = { NULL };

        begin(&rq, &f, params, cases[i].body);
        assert_int_equal(request_json(&rq, &j, err), cases[i].r);
        assert_non_null(strstr(err, cases[i].err));
        if (cases[i].r == RESULT_OK) {
            assert_non_null(json_get(j, "code"));
            assert_int_equal(request_json(&rq, &again, err), RESULT_OK);
            assert_ptr_equal(again, j);
        } else {
            assert_true(err[0] != '\0');
        }
        end(&rq, &f);
    }
}

static void test_query_values(void **state)
{
    static const struct {
        const char *query, *name, *value;   /* value NULL: absent */
    } cases[] = {
        { "a=1&b=x%20y", "b", "x y" },
        { "a=1&b=x+y", "b", "x y" },
        { "a=1&b=2", "a", "1" },
        { "aa=1&a=2", "a", "2" },
        { "a", "a", "" },
        { "a=", "a", "" },
        { "a=1", "b", NULL },
        { "a=%zz", "a", NULL },
        { "a=%4", "a", NULL },
        { "", "a", NULL },
        { "code=print(%22hi%22)", "code", "print(\"hi\")" },
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *v = query_value(cases[i].query, cases[i].name);

        if (cases[i].value) {
            assert_non_null(v);
            assert_string_equal(v, cases[i].value);
        } else {
            assert_null(v);
        }
        free(v);
    }
}

static void test_request_query_is_kept(void **state)
{
    const char *params[] = { "REQUEST_URI=/runcode?code=1%2B1", NULL };
    struct fake_fcgi f;
    struct request rq;

    (void)state;
    begin(&rq, &f, params, NULL);
    /* Freed by request_reset: the sanitizer build says if it is not. */
    assert_string_equal(request_query(&rq, "code"), "1+1");
    assert_null(request_query(&rq, "variables"));
    end(&rq, &f);
}

static void test_scheme_and_base_url(void **state)
{
    static const struct {
        const char *params[3];
        const char *scheme, *base;
    } cases[] = {
        { { "HTTP_HOST=h:8080" }, "http", "http://h:8080" },
        { { "REQUEST_SCHEME=https", "HTTP_HOST=h" }, "https", "https://h" },
        { { "HTTPS=on", "HTTP_HOST=h" }, "https", "https://h" },
        { { "REQUEST_SCHEME=gopher", "HTTP_HOST=h" }, "http", "http://h" },
        { { "HTTP_HOST=h/x" }, "http", "" },
        { { "HTTP_HOST=a b" }, "http", "" },
        { { NULL }, "http", "" },
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct fake_fcgi f;
        struct request rq;

        begin(&rq, &f, cases[i].params, NULL);
        assert_string_equal(request_scheme(&rq), cases[i].scheme);
        assert_string_equal(request_host_url(&rq), cases[i].base);
        /* Image URLs never take the Host header: relative without
         * public_url. */
        assert_string_equal(request_base_url(&rq), "");
        end(&rq, &f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_and_query),
        cmocka_unit_test(test_request_id),
        cmocka_unit_test(test_body),
        cmocka_unit_test(test_json_body),
        cmocka_unit_test(test_query_values),
        cmocka_unit_test(test_request_query_is_kept),
        cmocka_unit_test(test_scheme_and_base_url),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}

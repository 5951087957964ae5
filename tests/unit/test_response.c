/* test_response.c - what a response looks like on the wire: the status
 * line and headers, the JSON error body, and the one table that turns a
 * result into a status, an error code and a Retry-After. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/conf.h"
#include "base/json.h"
#include "base/util.h"
#include "fakes/fake_fcgi.h"
#include "http/request.h"
#include "http/response.h"
#include "sandbox/app.h"

static struct conf cfg;
static struct app app;

static int setup(void **state)
{
    char err[ERR_LEN];
    char *env[] = { NULL };

    (void)state;
    if (conf_load_string(&cfg, "", "test", env, err) < 0)
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

struct answer {
    struct fake_fcgi f;
    struct request rq;
    const char *head;           /* up to the empty line */
    const char *body;
    char text[8192];
};

static void begin(struct answer *a)
{
    static const char *const params[] = {
        "HTTP_X_REQUEST_ID=req-1", NULL,
    };

    fake_fcgi_init(&a->f, params, NULL, 0);
    request_begin(&a->rq, &a->f.req, &app);
}

/* Splits what was written into head and body. */
static void finish(struct answer *a)
{
    size_t n;
    const char *out = fake_fcgi_output(&a->f, &n);
    char *blank;

    assert_true(n < sizeof(a->text));
    memcpy(a->text, out, n + 1);
    blank = strstr(a->text, "\r\n\r\n");
    assert_non_null(blank);
    blank[2] = '\0';
    a->head = a->text;
    a->body = blank + 4;
}

static void end(struct answer *a)
{
    request_reset(&a->rq);
    fake_fcgi_release(&a->f);
}

/* The value of header name in head ("" when absent). */
static const char *header(const char *head, const char *name, char *out,
                          size_t size)
{
    const char *p = head;
    size_t n = strlen(name);

    out[0] = '\0';
    for (p = strstr(p, name); p; p = strstr(p + n, name)) {
        if ((p == head || p[-1] == '\n') && p[n] == ':') {
            const char *e = strstr(p, "\r\n");

            snprintf(out, size, "%.*s", (int)(e - p - n - 2), p + n + 2);
            break;
        }
    }
    return out;
}

static void test_send(void **state)
{
    struct answer a;
    char v[64];

    (void)state;
    begin(&a);
    response_header(&a.rq, "X-Extra", "yes");
    assert_int_equal(response_send(&a.rq, 200, "text/plain", "hello", 5),
                     0);
    assert_int_equal(a.rq.status, 200);
    assert_int_equal(a.rq.bytes_out, 5);
    finish(&a);
    assert_string_equal(a.head, "Status: 200 OK\r\nX-Request-Id: req-1\r\n"
                        "Content-Length: 5\r\nContent-Type: text/plain\r\n"
                        "X-Extra: yes\r\n");
    assert_string_equal(a.body, "hello");
    assert_string_equal(header(a.head, "Content-Length", v, sizeof(v)),
                        "5");
    end(&a);
}

static void test_send_without_type_or_body(void **state)
{
    struct answer a;

    (void)state;
    begin(&a);
    response_send(&a.rq, 204, NULL, NULL, 0);
    finish(&a);
    assert_string_equal(a.head, "Status: 204 No Content\r\n"
                        "X-Request-Id: req-1\r\nContent-Length: 0\r\n");
    assert_string_equal(a.body, "");
    end(&a);
}

/* The HTTP face of each result a client can get. */
static const struct {
    enum result r;
    int status;
    const char *code;
    const char *retry_after;    /* "" when none */
} faces[] = {
    { RESULT_BAD_BODY, 400, "invalid_json", "" },
    { RESULT_INVALID_REQUEST, 400, "invalid_request", "" },
    { RESULT_UNSAFE, 400, "unsafe_code", "" },
    { RESULT_UNAUTHORIZED, 401, "unauthorized", "" },
    { RESULT_ORIGIN_DENIED, 403, "origin_not_allowed", "" },
    { RESULT_NOT_FOUND, 404, "not_found", "" },
    { RESULT_BAD_METHOD, 405, "method_not_allowed", "" },
    { RESULT_DUPLICATE, 409, "duplicate_execution_id", "" },
    { RESULT_TOO_LARGE, 413, "payload_too_large", "" },
    { RESULT_LIMITED, 429, "rate_limited", "2" },
    { RESULT_BUSY, 429, "session_busy", "1" },
    { RESULT_TIMEOUT, 504, "timeout", "" },
    { RESULT_INTERNAL, 500, "internal_error", "" },
    { RESULT_NO_SANDBOX, 503, "sandbox_unavailable", "1" },
    { RESULT_TOO_MANY_SESSIONS, 503, "too_many_sessions", "10" },
    { RESULT_DOCKER_DOWN, 503, "docker_unavailable", "5" },
    { RESULT_DB_BUSY, 503, "database_busy", "1" },
    { RESULT_DB_FULL, 507, "insufficient_storage", "30" },
    { RESULT_UNHEALTHY, 503, "unhealthy", "5" },
};

static void test_fail_faces(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(faces); i++) {
        struct answer a;
        char v[64], err[ERR_LEN];
        struct json *j;

        begin(&a);
        assert_int_equal(response_fail(&a.rq, faces[i].r, "what and why"),
                         0);
        assert_int_equal(a.rq.status, faces[i].status);
        assert_int_equal(response_status(faces[i].r), faces[i].status);
        finish(&a);
        assert_int_equal(strncmp(a.head, "Status: ", 8), 0);
        assert_int_equal(atoi(a.head + 8), faces[i].status);
        assert_string_equal(header(a.head, "Retry-After", v, sizeof(v)),
                            faces[i].retry_after);
        assert_string_equal(header(a.head, "Content-Type", v, sizeof(v)),
                            "application/json");
        assert_string_equal(header(a.head, "Cache-Control", v, sizeof(v)),
                            "no-store");
        j = json_parse(a.body, strlen(a.body), err);
        assert_non_null(j);
        assert_string_equal(json_get(j, "error")->str, faces[i].code);
        assert_string_equal(json_get(j, "detail")->str, "what and why");
        assert_int_equal(j->n, 2);
        json_free(j);
        end(&a);
    }
}

static void test_every_result_has_a_face(void **state)
{
    (void)state;
    /* response_status BUGs (aborts) on a result without a row. */
    for (int r = 0; r < RESULT_COUNT; r++)
        assert_true(response_status((enum result)r) >= 200);
    assert_int_equal(response_status(RESULT_OK), 200);
}

static void test_fail_with_more_fields(void **state)
{
    struct answer a;
    char err[ERR_LEN];
    struct jw *w;
    struct json *j;

    (void)state;
    begin(&a);
    w = response_fail_begin(RESULT_UNSAFE, "Unsafe code detected");
    jw_kv_str(w, "execution_id", "e1");
    jw_obj_close(w);
    response_json(&a.rq, RESULT_UNSAFE, w);
    finish(&a);
    assert_int_equal(atoi(a.head + 8), 400);
    j = json_parse(a.body, strlen(a.body), err);
    assert_string_equal(json_get(j, "error")->str, "unsafe_code");
    assert_string_equal(json_get(j, "execution_id")->str, "e1");
    json_free(j);
    end(&a);
}

static void test_reasons(void **state)
{
    (void)state;
    assert_string_equal(response_reason(404), "Not Found");
    assert_string_equal(response_reason(507), "Insufficient Storage");
    assert_string_equal(response_reason(299), "Unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send),
        cmocka_unit_test(test_send_without_type_or_body),
        cmocka_unit_test(test_fail_faces),
        cmocka_unit_test(test_every_result_has_a_face),
        cmocka_unit_test(test_fail_with_more_fields),
        cmocka_unit_test(test_reasons),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}

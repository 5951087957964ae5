/* test_router.c - matching, placeholders, 404 versus 405 and Allow. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/util.h"
#include "http/router.h"

static void h(struct request *rq) { (void)rq; }

static const struct route routes[] = {
    { HTTP_POST, "/execute", h, 0, "execute" },
    { HTTP_GET, "/health", h, ROUTE_PUBLIC, "health" },
    { HTTP_GET | HTTP_DELETE, "/sessions/{id}", h, 0, "session" },
    { HTTP_POST, "/sessions/{id}/execute", h, 0, "session_execute" },
    { HTTP_GET, "/executions", h, 0, "executions" },
    { HTTP_GET, "/executions/{id}", h, 0, "execution" },
};

static const struct {
    const char *method, *path;
    enum result res;
    int route;                  /* index when found */
    const char *param;
    const char *allow;          /* for 405 */
} cases[] = {
    { "POST", "/execute", RESULT_OK, 0, NULL, NULL },
    { "POST", "/execute/", RESULT_OK, 0, NULL, NULL },
    { "GET", "/execute", RESULT_BAD_METHOD, -1, NULL, "POST, OPTIONS" },
    { "GET", "/health", RESULT_OK, 1, NULL, NULL },
    { "HEAD", "/health", RESULT_OK, 1, NULL, NULL },
    { "POST", "/health", RESULT_BAD_METHOD, -1, NULL, "GET, HEAD, OPTIONS" },
    { "GET", "/sessions/abc", RESULT_OK, 2, "abc", NULL },
    { "DELETE", "/sessions/abc", RESULT_OK, 2, "abc", NULL },
    { "POST", "/sessions/abc", RESULT_BAD_METHOD, -1, NULL,
      "GET, HEAD, DELETE, OPTIONS" },
    { "POST", "/sessions/abc/execute", RESULT_OK, 3, "abc", NULL },
    { "GET", "/sessions/", RESULT_NOT_FOUND, -1, NULL, NULL },
    { "GET", "/sessions//execute", RESULT_NOT_FOUND, -1, NULL, NULL },
    { "GET", "/executions", RESULT_OK, 4, NULL, NULL },
    { "GET", "/executions/x1", RESULT_OK, 5, "x1", NULL },
    { "GET", "/executions/x1/y", RESULT_NOT_FOUND, -1, NULL, NULL },
    { "GET", "/", RESULT_NOT_FOUND, -1, NULL, NULL },
    { "GET", "/healthz", RESULT_NOT_FOUND, -1, NULL, NULL },
    { "BREW", "/execute", RESULT_BAD_METHOD, -1, NULL, "POST, OPTIONS" },
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct route_match m;
        enum result res = router_match(routes, ARRAY_SIZE(routes),
                                       cases[i].method, cases[i].path, &m);

        if (res != cases[i].res)
            fail_msg("case %zu (%s %s): result %d, want %d", i,
                     cases[i].method, cases[i].path, res, cases[i].res);
        if (res == RESULT_OK) {
            assert_ptr_equal(m.route, &routes[cases[i].route]);
            if (cases[i].param)
                assert_string_equal(m.params[0], cases[i].param);
            else
                assert_null(m.params[0]);
        }
        if (res == RESULT_BAD_METHOD) {
            char allow[128];

            router_allow_text(m.allowed, allow, sizeof(allow));
            assert_string_equal(allow, cases[i].allow);
        }
        free(m.params[0]);
        free(m.params[1]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

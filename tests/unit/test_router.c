/* test_router.c - matching, placeholders, 404 versus 405 and Allow. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "http/router.h"
#include "base/util.h"

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
    enum router_result res;
    int route;                  /* index when found */
    const char *param;
    const char *allow;          /* for 405 */
} cases[] = {
    { "POST", "/execute", ROUTER_FOUND, 0, NULL, NULL },
    { "POST", "/execute/", ROUTER_FOUND, 0, NULL, NULL },
    { "GET", "/execute", ROUTER_BAD_METHOD, -1, NULL, "POST, OPTIONS" },
    { "GET", "/health", ROUTER_FOUND, 1, NULL, NULL },
    { "HEAD", "/health", ROUTER_FOUND, 1, NULL, NULL },
    { "POST", "/health", ROUTER_BAD_METHOD, -1, NULL, "GET, HEAD, OPTIONS" },
    { "GET", "/sessions/abc", ROUTER_FOUND, 2, "abc", NULL },
    { "DELETE", "/sessions/abc", ROUTER_FOUND, 2, "abc", NULL },
    { "POST", "/sessions/abc", ROUTER_BAD_METHOD, -1, NULL,
      "GET, HEAD, DELETE, OPTIONS" },
    { "POST", "/sessions/abc/execute", ROUTER_FOUND, 3, "abc", NULL },
    { "GET", "/sessions/", ROUTER_NOT_FOUND, -1, NULL, NULL },
    { "GET", "/sessions//execute", ROUTER_NOT_FOUND, -1, NULL, NULL },
    { "GET", "/executions", ROUTER_FOUND, 4, NULL, NULL },
    { "GET", "/executions/x1", ROUTER_FOUND, 5, "x1", NULL },
    { "GET", "/executions/x1/y", ROUTER_NOT_FOUND, -1, NULL, NULL },
    { "GET", "/", ROUTER_NOT_FOUND, -1, NULL, NULL },
    { "GET", "/healthz", ROUTER_NOT_FOUND, -1, NULL, NULL },
    { "BREW", "/execute", ROUTER_BAD_METHOD, -1, NULL, "POST, OPTIONS" },
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct route *r = NULL;
        char *params[2] = { NULL, NULL };
        unsigned allowed = 0;
        enum router_result res = router_match(routes, ARRAY_SIZE(routes),
            cases[i].method, cases[i].path, &r, params, 2, &allowed);

        if (res != cases[i].res)
            fail_msg("case %zu (%s %s): result %d, want %d", i,
                     cases[i].method, cases[i].path, res, cases[i].res);
        if (res == ROUTER_FOUND) {
            assert_ptr_equal(r, &routes[cases[i].route]);
            if (cases[i].param)
                assert_string_equal(params[0], cases[i].param);
            else
                assert_null(params[0]);
        }
        if (res == ROUTER_BAD_METHOD) {
            char allow[128];

            router_allow_text(allowed, allow, sizeof(allow));
            assert_string_equal(allow, cases[i].allow);
        }
        free(params[0]);
        free(params[1]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

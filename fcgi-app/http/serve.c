/* serve.c - see serve.h.  The order matters: routing first (404 and
 * 405 need no key), then the origin allow-list, then the key. */
#include "config.h"
#include "http/serve.h"

#include <stdio.h>
#include <string.h>

#include "http/auth.h"
#include "base/conf.h"
#include "http/handlers/handlers.h"
#include "base/log.h"
#include "http/request.h"
#include "http/response.h"
#include "base/stats.h"
#include "base/util.h"

static void preflight(struct request *rq, unsigned allowed)
{
    char allow[128];

    router_allow_text(allowed | HTTP_OPTIONS, allow, sizeof(allow));
    response_header(rq, "Allow", allow);
    response_header(rq, "Access-Control-Allow-Methods", allow);
    response_header(rq, "Access-Control-Allow-Headers",
                    "Authorization, Content-Type, X-API-Key, X-Auth-Token, "
                    "X-Request-Id");
    response_header(rq, "Access-Control-Max-Age", "600");
    response_send(rq, 204, NULL, NULL, 0);
}

static void serve(struct request *rq, int *route_index)
{
    const struct route *r = NULL;
    unsigned allowed = 0;
    enum router_result res;
    struct principal *p;
    char why[ERR_LEN];
    int rc;

    res = router_match(route_table, route_table_len, rq->method,
                       rq->path, &r, rq->params, ROUTE_MAX_PARAMS, &allowed);
    if (res == ROUTER_NOT_FOUND) {
        char *msg = xasprintf("no endpoint at %s", rq->path);

        response_error(rq, 404, "not_found", msg);
        free(msg);
        return;
    }
    if (res == ROUTER_BAD_METHOD) {
        char allow[128], *msg;

        if (strcmp(rq->method, "OPTIONS") == 0) {
            if (!auth_origin_allowed(rq)) {
                response_error(rq, 403, "origin_not_allowed",
                               "this Origin is not in allowed_origins");
                return;
            }
            preflight(rq, allowed);
            return;
        }
        router_allow_text(allowed, allow, sizeof(allow));
        response_header(rq, "Allow", allow);
        msg = xasprintf("%s is not allowed on %s; use %s", rq->method,
                        rq->path, allow);
        response_error(rq, 405, "method_not_allowed", msg);
        free(msg);
        return;
    }
    *route_index = (int)(r - route_table);
    rq->route = r->pattern;
    if (!auth_origin_allowed(rq)) {
        response_error(rq, 403, "origin_not_allowed",
                       "this Origin is not in allowed_origins");
        return;
    }
    if (!(r->flags & ROUTE_PUBLIC)) {
        p = request_keep(rq, xcalloc(1, sizeof(*p)));
        rc = auth_authenticate(rq, p, why);
        if (rc == -2) {
            response_header(rq, "Retry-After", "1");
            response_error(rq, 503, "database_busy", why);
            return;
        }
        if (rc < 0) {
            response_header(rq, "WWW-Authenticate", "Bearer");
            response_error(rq, 401, "unauthorized", why);
            return;
        }
        rq->key = p;
    }
    r->handler(rq);
    if (!rq->status) {
        log_err("handler for %s sent no response", r->pattern);
        response_error(rq, 500, "internal_error",
                       "the handler produced no response");
    }
}

void serve_request(struct request *rq)
{
    int route_index = -1;
    const char *addr;

    log_set_request_id(rq->id);
    serve(rq, &route_index);
    addr = request_param(rq, "REMOTE_ADDR");
    log_info("%s %s %s %d %zu %.1fms key=%s", addr ? addr : "-", rq->method,
             rq->path, rq->status, rq->bytes_out, now_ms() - rq->t_start,
             rq->key ? rq->key->id : "-");
    stats_count_request(route_index, rq->status);
    log_set_request_id(NULL);
}

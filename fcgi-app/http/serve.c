/* serve.c - see serve.h.  The order matters: routing first (404 and
 * 405 need no key), then the origin allow-list, then the key. */
#include "config.h"
#include "http/serve.h"

#include <stdio.h>
#include <string.h>

#include "base/conf.h"
#include "base/log.h"
#include "base/stats.h"
#include "base/util.h"
#include "http/auth.h"
#include "http/forward.h"
#include "http/handlers/handlers.h"
#include "http/idempotency.h"
#include "http/request.h"
#include "http/response.h"
#include "store/store.h"

#define ORIGIN_DENIED "this Origin is not in allowed_origins"

static void preflight(struct request *rq, unsigned allowed)
{
    char allow[128];

    router_allow_text(allowed | HTTP_OPTIONS, allow, sizeof(allow));
    response_header(rq, "Allow", allow);
    response_header(rq, "Access-Control-Allow-Methods", allow);
    response_header(rq, "Access-Control-Allow-Headers",
                    "Authorization, Content-Type, X-API-Key, X-Auth-Token, "
                    "X-Request-Id, Idempotency-Key");
    response_header(rq, "Access-Control-Max-Age", "600");
    response_send(rq, 204, NULL, NULL, 0);
}

/* 404, or 405 with Allow (a preflight for OPTIONS): no key needed. */
static void no_route(struct request *rq, const struct route_match *m,
                     enum result res)
{
    char allow[128], *msg;

    if (res == RESULT_NOT_FOUND) {
        msg = xasprintf("no endpoint at %s", rq->path);
    } else if (strcmp(rq->method, "OPTIONS") == 0) {
        if (auth_origin_allowed(rq))
            preflight(rq, m->allowed);
        else
            response_fail(rq, RESULT_ORIGIN_DENIED, ORIGIN_DENIED);
        return;
    } else {
        router_allow_text(m->allowed, allow, sizeof(allow));
        response_header(rq, "Allow", allow);
        msg = xasprintf("%s is not allowed on %s; use %s", rq->method,
                        rq->path, allow);
    }
    response_fail(rq, res, msg);
    free(msg);
}

/* With metrics_key set, the instance-wide counts go to its holder only,
 * not to every API key. */
static enum result admit_operator(struct request *rq)
{
    const char *key = auth_key_from_request(rq);
    const char *want = rq->conf->metrics_key;
    struct principal *p;

    if (!key || strlen(key) != strlen(want)
        || !ct_equal(key, want, strlen(want))) {
        response_header(rq, "WWW-Authenticate", "Bearer");
        response_fail(rq, RESULT_UNAUTHORIZED, "this endpoint needs "
                      "metrics_key: send Authorization: Bearer <metrics_key>");
        return RESULT_UNAUTHORIZED;
    }
    p = request_keep(rq, xcalloc(1, sizeof(*p)));
    snprintf(p->id, sizeof(p->id), "metrics");
    rq->key = p;
    return RESULT_OK;
}

/* The origin allow-list, then the key unless the route is public. */
static enum result admit(struct request *rq, const struct route *r)
{
    struct principal *p;
    char why[ERR_LEN];
    enum result res;

    if (!auth_origin_allowed(rq)) {
        response_fail(rq, RESULT_ORIGIN_DENIED, ORIGIN_DENIED);
        return RESULT_ORIGIN_DENIED;
    }
    if (r->flags & ROUTE_PUBLIC)
        return RESULT_OK;
    if ((r->flags & ROUTE_OPERATOR) && rq->conf->metrics_key)
        return admit_operator(rq);
    p = request_keep(rq, xcalloc(1, sizeof(*p)));
    res = auth_authenticate(rq, p, why);
    if (res == RESULT_UNAUTHORIZED)
        response_header(rq, "WWW-Authenticate", "Bearer");
    if (res != RESULT_OK) {
        response_fail(rq, res, why);
        return res;
    }
    rq->key = p;
    return RESULT_OK;
}

static void serve(struct request *rq, int *route_index)
{
    struct route_match m;
    enum result res = router_match(route_table, route_table_len,
                                   rq->method, rq->path, &m);

    if (res != RESULT_OK) {
        no_route(rq, &m, res);
        return;
    }
    memcpy(rq->params, m.params, sizeof(m.params));
    *route_index = (int)(m.route - route_table);
    rq->route = m.route->pattern;
    /* The owner of a path's id checks the key itself; a body is read
     * only once the key is known good. */
    if (forward_to_owner(rq, m.route, false))
        return;
    if (admit(rq, m.route) != RESULT_OK)
        return;
    if (forward_to_owner(rq, m.route, true))
        return;
    if (rq->copy)
        rq->store = rq->copy;
    if (m.route->flags & ROUTE_IDEMPOTENT && idempotency_begin(rq))
        return;
    m.route->handler(rq);
    if (!rq->status) {
        log_err("handler for %s sent no response", m.route->pattern);
        response_fail(rq, RESULT_INTERNAL,
                      "the handler produced no response");
    }
    idempotency_end(rq);
}

void serve_request(struct request *rq)
{
    int route_index = -1;
    const char *addr;

    log_set_request_id(rq->id);
    if (rq->conf->node_name)
        response_header(rq, "X-Pyexec-Node", rq->conf->node_name);
    serve(rq, &route_index);
    store_close(rq->copy);
    rq->copy = NULL;
    addr = request_param(rq, "REMOTE_ADDR");
    log_info("%s %s %s %d %zu %.1fms key=%s", addr ? addr : "-", rq->method,
             rq->path, rq->status, rq->bytes_out, now_ms() - rq->t_start,
             rq->key ? rq->key->id : "-");
    stats_count_request(route_index, rq->status);
    log_set_request_id(NULL);
}

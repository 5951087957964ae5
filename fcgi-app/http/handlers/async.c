/* async.c - POST /executions (accept now, run in an executor), the long
 * poll of GET /executions/{id}?wait=N, POST /executions/{id}/cancel,
 * GET /executions/{id}/deliveries and the key's webhook secret (GET and
 * POST /webhook-secret). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/notify.h"
#include "base/util.h"
#include "exec/execution.h"
#include "exec/execution_request.h"
#include "http/handlers/common.h"
#include "http/handlers/handlers.h"
#include "http/request.h"
#include "http/response.h"
#include "sandbox/queue.h"
#include "store/store.h"
#include "store/store_executions.h"
#include "store/store_keys.h"
#include "store/store_webhooks.h"

#define WAIT_MAX_S 30
/* How long a cancel waits for a running execution to end: its SIGINT
 * grace (1 s) and the runner's clean, with room for a loaded host. */
#define CANCEL_WAIT_MS 5000

void handle_execution_submit(struct request *rq)
{
    const struct json *body = body_json(rq);
    struct execution_result res;
    struct execution_request er;
    struct execution_ctx ctx = {
        .app = rq->app, .key = rq->key, .request_id = rq->id,
        .t_start = rq->t_start, .base_url = request_base_url(rq),
        .keep_result = true,
    };
    char err[ERR_LEN], *url;
    enum result r;
    struct jw *w;

    if (!body)
        return;
    r = execution_request_parse(body, rq->conf, &er, err);
    if (r != RESULT_OK) {
        response_fail(rq, r, err);
        execution_request_release(&er);
        return;
    }
    execution_enqueue(&ctx, &er, rq->body.data, rq->body.len, &res);
    if (res.result != RESULT_OK) {
        respond_execution_failure(rq, &er, &res);
    } else {
        url = xasprintf("/executions/%s", er.id);
        response_header(rq, "Location", url);
        w = jw_new();
        jw_obj_open(w);
        jw_kv_str(w, "execution_id", er.id);
        jw_kv_str(w, "status", "queued");
        jw_kv_str(w, "url", url);
        jw_obj_close(w);
        response_accepted(rq, w);
        free(url);
    }
    execution_result_release(&res);
    execution_request_release(&er);
}

/* Sleeps until execution id ends or wait_ms passes: woken by every end
 * (notify), never by a timer in between. */
static int wait_for_end(struct request *rq, const char *id, double wait_ms)
{
    double deadline = now_ms() + wait_ms;
    char status[16];

    for (;;) {
        uint32_t seen = notify_ended_seq();
        int rc = store_execution_status(rq->store, id, rq->key->id, status);
        double left = deadline - now_ms();

        if (rc != 1 || execution_status_final(status) || left <= 0)
            return rc;
        notify_ended_wait(seen, (long)left + 1);
    }
}

void handle_execution_get(struct request *rq)
{
    const char *wait_s = request_query(rq, "wait");
    struct jw *w;
    double wait = 0;
    int rc;

    if (wait_s) {
        char *end;

        wait = strtod(wait_s, &end);
        if (end == wait_s || *end || !(wait >= 0) || wait > WAIT_MAX_S) {
            response_fail(rq, RESULT_INVALID_REQUEST, "wait must be a "
                          "number of seconds from 0 to 30");
            return;
        }
    }
    if (wait > 0) {
        rc = wait_for_end(rq, rq->params[0], wait * 1000);
        if (rc != 1) {
            respond_missing(rq, rc, "execution");
            return;
        }
    }
    w = jw_new();
    rc = store_execution_write(rq->store, rq->params[0], rq->key->id,
                               request_base_url(rq), true, w);
    if (rc == 1) {
        response_json(rq, RESULT_OK, w);
        return;
    }
    jw_free(w);
    respond_missing(rq, rc, "execution");
}

/* The record, 200 when final, else 202 (it is still being stopped). */
static void respond_record(struct request *rq, const char *id)
{
    struct jw *w = jw_new();
    char status[16] = "";
    int rc = store_execution_status(rq->store, id, rq->key->id, status);

    if (rc == 1)
        rc = store_execution_write(rq->store, id, rq->key->id,
                                   request_base_url(rq), true, w);
    if (rc != 1) {
        jw_free(w);
        respond_missing(rq, rc, "execution");
    } else if (execution_status_final(status)) {
        response_json(rq, RESULT_OK, w);
    } else {
        response_accepted(rq, w);
    }
}

void handle_execution_cancel(struct request *rq)
{
    const char *id = rq->params[0];
    int pid;
    int rc = store_execution_cancel(rq->store, rq->key->id, id, &pid);

    switch (rc) {
    case CANCEL_NONE:
        respond_missing(rq, 0, "execution");
        return;
    case CANCEL_FINAL:
        response_fail(rq, RESULT_ALREADY_FINAL, "the execution has ended "
                      "already; only a queued or running one can be "
                      "cancelled");
        return;
    case CANCEL_DONE:
        notify_ended_bump();
        notify_poke(NOTIFY_DELIVERER);
        break;
    case CANCEL_ASKED:
        /* The process that has it reads the mark when poked. */
        queue_poke(pid);
        wait_for_end(rq, id, CANCEL_WAIT_MS);
        break;
    default:
        respond_db_error(rq);
        return;
    }
    respond_record(rq, id);
}

void handle_execution_deliveries(struct request *rq)
{
    struct jw *w = jw_new();
    int rc = store_delivery_write(rq->store, rq->params[0], rq->key->id, w);

    if (rc == 1) {
        response_json(rq, RESULT_OK, w);
        return;
    }
    jw_free(w);
    respond_missing(rq, rc, "execution");
}

static void secret(struct request *rq, bool rotate)
{
    char s[WEBHOOK_SECRET_LEN], *v;
    struct jw *w;

    if (store_webhook_secret(rq->store, rq->key->id, rotate, s) < 0) {
        respond_db_error(rq);
        return;
    }
    v = xasprintf("whsec_%s", s);
    w = jw_new();
    jw_obj_open(w);
    jw_kv_str(w, "secret", v);
    jw_obj_close(w);
    response_json(rq, RESULT_OK, w);
    free(v);
}

void handle_webhook_secret(struct request *rq)
{
    secret(rq, strcmp(rq->method, "POST") == 0);
}

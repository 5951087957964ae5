/* sessions.c - POST /release (seed 001), GET and DELETE /sessions/{id}.
 * A session belongs to the key that made it: other keys get 404. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/cell.h"
#include "base/conf.h"
#include "base/json.h"
#include "base/util.h"
#include "exec/execution_request.h"
#include "http/auth.h"
#include "http/handlers/common.h"
#include "http/handlers/handlers.h"
#include "http/request.h"
#include "http/response.h"
#include "sandbox/session.h"
#include "store/store_sessions.h"

static void release(struct request *rq, const char *id)
{
    char err[ERR_LEN], *detail;
    enum result r = session_release(rq->app, rq->key->id, id, err);
    struct jw *w;

    if (r == RESULT_NOT_FOUND) {
        detail = xasprintf("no live session %s", id);
        response_fail(rq, r, detail);
        free(detail);
        return;
    }
    if (r != RESULT_OK) {
        response_fail(rq, r, err);
        return;
    }
    detail = xasprintf("Worker for user %s has been released.", id);
    w = jw_new();
    jw_obj_open(w);
    jw_kv_str(w, "status", "ok");
    jw_kv_str(w, "detail", detail);
    jw_obj_close(w);
    free(detail);
    response_json(rq, RESULT_OK, w);
}

void handle_release(struct request *rq)
{
    const struct json *body = body_json(rq), *v;
    char id[SESSION_ID_MAX + 1];

    if (!body)
        return;
    v = json_get(body, "session_id");
    if (!v || v->type == JSON_NULL)
        v = json_get(body, "user_uuid");
    if (!v || v->type != JSON_STRING) {
        response_fail(rq, RESULT_INVALID_REQUEST,
                      "session_id (or user_uuid) is required: a string");
        return;
    }
    if (v->len != strlen(v->str) || !execution_session_id_valid(v->str)
        || cell_own_id(rq->conf, v->str, id, sizeof(id)) < 0) {
        response_fail(rq, RESULT_INVALID_REQUEST,
                      "session_id must be 1-128 of [A-Za-z0-9_.:@-], this "
                      "cell's tag included");
        return;
    }
    release(rq, id);
}

void handle_session_delete(struct request *rq)
{
    release(rq, rq->params[0]);
}

void handle_session_get(struct request *rq)
{
    struct session_row row;
    const char *state;
    struct jw *w;
    int rc = session_inspect(rq->app, rq->key->id, rq->params[0], &row,
                             &state);

    if (respond_missing(rq, rc, "session"))
        return;
    w = jw_new();
    jw_obj_open(w);
    jw_kv_str(w, "session_id", row.id);
    jw_kv_int(w, "created_at", row.created_at);
    jw_kv_int(w, "last_used_at", row.last_used_at);
    jw_kv_int(w, "executions", row.executions);
    jw_kv_int(w, "memory_mb", row.memory_mb);
    jw_kv_str(w, "container", row.container[0] ? row.container : NULL);
    jw_kv_str(w, "container_state", state);
    jw_kv_int(w, "idle_timeout", rq->conf->session_idle_timeout);
    jw_obj_close(w);
    response_json(rq, RESULT_OK, w);
}

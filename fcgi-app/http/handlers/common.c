/* common.c - see common.h. */
#include "config.h"
#include "http/handlers/common.h"

#include <stdio.h>
#include <string.h>

#include "sandbox/app.h"
#include "http/auth.h"
#include "exec/execution_request.h"
#include "base/json.h"
#include "http/request.h"
#include "http/response.h"
#include "store/store.h"
#include "base/util.h"

const struct json *body_json(struct request *rq)
{
    char err[ERR_LEN];
    bool too_large;
    const struct json *j = request_json(rq, &too_large, err);

    if (!j) {
        if (too_large)
            response_error(rq, 413, "payload_too_large", err);
        else
            response_error(rq, 400, "invalid_json", err);
    }
    return j;
}

void respond_db_error(struct request *rq)
{
    response_header(rq, "Retry-After", "1");
    response_error(rq, 503, "database_busy", store_last_message(rq->store));
}

void respond_exec_failure(struct request *rq, const struct execution_request *er,
                          const struct execution_result *res)
{
    static const struct {
        enum exec_fail f;
        int status;
        const char *code;
        const char *retry_after;
    } map[] = {
        { EXEC_DUPLICATE, 409, "duplicate_execution_id", NULL },
        { EXEC_LIMITED, 429, "rate_limited", "2" },
        { EXEC_SESSION_BUSY, 429, "session_busy", "1" },
        { EXEC_NO_SANDBOX, 503, "sandbox_unavailable", "1" },
        { EXEC_TOO_MANY_SESSIONS, 503, "too_many_sessions", "10" },
        { EXEC_DOCKER_DOWN, 503, "docker_unavailable", "5" },
        { EXEC_DB_BUSY, 503, "database_busy", "1" },
        { EXEC_DB_FULL, 507, "insufficient_storage", "30" },
        { EXEC_INTERNAL, 500, "internal_error", NULL },
    };

    if (res->fail == EXEC_UNSAFE) {
        struct jw *w = response_error_begin("unsafe_code", res->detail);

        /* The blocked run is recorded under this id. */
        jw_key(w, "execution_id");
        jw_str(w, er->id);
        jw_key(w, "violations");
        jw_raw(w, res->violations_json, strlen(res->violations_json));
        jw_obj_close(w);
        response_json(rq, 400, w);
        return;
    }
    for (size_t i = 0; i < ARRAY_SIZE(map); i++)
        if (map[i].f == res->fail) {
            if (map[i].retry_after)
                response_header(rq, "Retry-After", map[i].retry_after);
            response_error(rq, map[i].status, map[i].code, res->detail);
            return;
        }
    response_error(rq, 500, "internal_error", res->detail);
}

void execute_for(struct request *rq, const struct execution_request *er,
             struct execution_result *res)
{
    struct execution_ctx ctx = { rq->app, rq->key, rq->id, rq->t_start, NULL };

    execution_run(&ctx, er, res);
}

void write_files(struct request *rq, const struct execution_result *res,
                 bool plots, struct jw *w)
{
    const char *base = request_base_url(rq);

    jw_arr_open(w);
    for (size_t i = 0; i < res->n_files; i++) {
        const struct execution_file *f = &res->files[i];
        char *url;

        if (f->is_plot != plots)
            continue;
        url = xasprintf("%s/images/%s", base, f->id);
        jw_obj_open(w);
        jw_key(w, "id");
        jw_str(w, f->id);
        jw_key(w, "url");
        jw_str(w, url);
        if (!plots) {
            jw_key(w, "name");
            jw_str(w, f->name);
        }
        jw_key(w, "mime");
        jw_str(w, f->mime);
        jw_key(w, "size");
        jw_int(w, (long long)f->size);
        if (f->width) {
            jw_key(w, "width");
            jw_int(w, f->width);
            jw_key(w, "height");
            jw_int(w, f->height);
        }
        jw_obj_close(w);
        free(url);
    }
    jw_arr_close(w);
}

/* common.c - see common.h. */
#include "config.h"
#include "http/handlers/common.h"

#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/util.h"
#include "exec/execution.h"
#include "exec/execution_request.h"
#include "http/request.h"
#include "http/response.h"
#include "store/store.h"

const struct json *body_json(struct request *rq)
{
    char err[ERR_LEN];
    const struct json *j;
    enum result r = request_json(rq, &j, err);

    if (r != RESULT_OK) {
        response_fail(rq, r, err);
        return NULL;
    }
    return j;
}

void respond_db_error(struct request *rq)
{
    response_fail(rq, RESULT_DB_BUSY, store_last_message(rq->store));
}

bool respond_missing(struct request *rq, int rc, const char *what)
{
    char *detail;

    if (rc < 0)
        respond_db_error(rq);
    if (rc != 0)
        return rc < 0;
    detail = xasprintf("no %s with that id", what);
    response_fail(rq, RESULT_NOT_FOUND, detail);
    free(detail);
    return true;
}

void execute_for(struct request *rq, const struct execution_request *er,
                 const struct events_live *live,
                 struct execution_result *res)
{
    struct execution_ctx ctx = {
        .app = rq->app, .key = rq->key, .request_id = rq->id,
        .t_start = rq->t_start, .base_url = request_base_url(rq),
        .keep_result = er->callback_url != NULL, .live = live,
    };

    execution_run(&ctx, er, res);
}

void respond_execution_failure(struct request *rq,
                               const struct execution_request *er,
                               const struct execution_result *res)
{
    struct jw *w;

    if (res->result != RESULT_UNSAFE) {
        response_fail(rq, res->result, res->detail);
        return;
    }
    w = response_fail_begin(RESULT_UNSAFE, res->detail);
    /* The blocked execution is recorded under this id. */
    jw_kv_str(w, "execution_id", er->id);
    jw_key(w, "violations");
    jw_raw(w, res->violations_json, strlen(res->violations_json));
    jw_obj_close(w);
    response_json(rq, RESULT_UNSAFE, w);
}

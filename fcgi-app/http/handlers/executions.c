/* executions.c - GET /executions and GET /executions/{id}: a key sees its
 * own records only; anyone else's is a 404, not a 403, so ids can't be
 * probed. */
#include "config.h"

#include <stdio.h>

#include "base/json.h"
#include "base/util.h"
#include "http/auth.h"
#include "http/handlers/common.h"
#include "http/handlers/handlers.h"
#include "http/request.h"
#include "http/response.h"
#include "store/store.h"
#include "store/store_executions.h"

void handle_execution_list(struct request *rq)
{
    const char *limit_s = request_query(rq, "limit");
    const char *before_s = request_query(rq, "before");
    long limit = 50, before = 0;
    struct jw *w;

    if (limit_s && parse_long(limit_s, 1, 1000, &limit) < 0) {
        response_fail(rq, RESULT_INVALID_REQUEST,
                      "limit must be an integer from 1 to 1000");
        return;
    }
    if (before_s && parse_long(before_s, 0, 0x7fffffffffffffffL,
                               &before) < 0) {
        response_fail(rq, RESULT_INVALID_REQUEST, "before must be a time "
                      "in milliseconds, as next_before gives it");
        return;
    }
    w = jw_new();
    if (store_execution_list(rq->store, rq->key->id, before, (int)limit,
                             w) < 0) {
        jw_free(w);
        respond_db_error(rq);
        return;
    }
    response_json(rq, RESULT_OK, w);
}

/* execute.c - POST /execute and POST /sessions/{id}/execute.  The reply
 * (exec/render.c) carries every field any of the four seed APIs' clients
 * read: output/error for 002 and 003, stdout/stderr/exit_code/status/
 * execution_id for 004, result_text/result_base64 for 001.  With Accept:
 * text/event-stream the output comes as Server-Sent Events while the
 * code runs, and the reply is the last one, "result" (SPEC 9). */
#include "config.h"

#include "base/json.h"
#include "base/util.h"
#include "exec/events.h"
#include "exec/execution.h"
#include "exec/execution_request.h"
#include "exec/render.h"
#include "http/handlers/common.h"
#include "http/handlers/handlers.h"
#include "http/request.h"
#include "http/response.h"
#include "http/sse.h"

/* What the path adds to a body that was valid by itself. */
static enum result path_session(struct execution_request *er,
                                const char *id, char *err)
{
    if (!execution_session_id_valid(id)) {
        err_set(err, "the session id in the path must be 1-128 of "
                "[A-Za-z0-9_.:@-]");
        return RESULT_INVALID_REQUEST;
    }
    if (er->n_tests) {
        err_set(err, "test_cases run in fresh processes and can't run in "
                "a session");
        return RESULT_INVALID_REQUEST;
    }
    er->session_id = id;
    return RESULT_OK;
}

static void send_live(void *arg, int64_t seq, const char *kind,
                      const char *data)
{
    sse_event(arg, seq, kind, data);
}

static void idle_live(void *arg)
{
    sse_comment(arg, "keep-alive");
}

/* The end of a stream: the reply as the "result" event, or, when it did
 * not run after all, the error as an "error" event (or as a plain error
 * response if no event went out yet). */
static void finish_stream(struct request *rq, struct sse *s,
                          const struct execution_request *er,
                          const struct execution_result *res)
{
    struct jw *w;

    if (res->result != RESULT_OK && !s->started) {
        respond_execution_failure(rq, er, res);
        return;
    }
    if (res->result != RESULT_OK) {
        w = response_fail_begin(res->result, res->detail);
        jw_obj_close(w);
        sse_event(s, res->last_event + 1, "error", jw_text(w, NULL));
    } else {
        w = jw_new();
        render_execution(er, res, request_base_url(rq), w);
        sse_event(s, res->last_event + 1, "result", jw_text(w, NULL));
    }
    jw_free(w);
}

static void execute(struct request *rq, const char *session_id)
{
    const struct json *body = body_json(rq);
    struct execution_result res;
    struct execution_request er;
    char err[ERR_LEN];
    enum result r;
    struct jw *w;
    struct sse s;
    struct events_live live = { send_live, idle_live, &s };
    bool stream = sse_wanted(rq);

    if (!body)
        return;
    r = execution_request_parse(body, rq->conf, &er, err);
    if (r == RESULT_OK && session_id)
        r = path_session(&er, session_id, err);
    if (r != RESULT_OK) {
        response_fail(rq, r, err);
        execution_request_release(&er);
        return;
    }
    sse_init(&s, rq);
    execute_for(rq, &er, stream ? &live : NULL, &res);
    if (stream) {
        finish_stream(rq, &s, &er, &res);
    } else if (res.result != RESULT_OK) {
        respond_execution_failure(rq, &er, &res);
    } else {
        w = jw_new();
        render_execution(&er, &res, request_base_url(rq), w);
        response_json(rq, RESULT_OK, w);
    }
    execution_result_release(&res);
    execution_request_release(&er);
}

void handle_execute(struct request *rq)
{
    execute(rq, NULL);
}

void handle_session_execute(struct request *rq)
{
    execute(rq, rq->params[0]);
}

/* execute.c - POST /execute and POST /sessions/{id}/execute.  The reply
 * carries every field any of the four seed APIs' clients read (see the
 * README's field map): output/error for 002 and 003, stdout/stderr/
 * exit_code/status/execution_id for 004, result_text/result_base64 for
 * 001. */
#include "config.h"
#include "http/handlers/handlers.h"

#include <string.h>

#include "http/handlers/common.h"
#include "base/conf.h"
#include "exec/execution_request.h"
#include "base/json.h"
#include "http/request.h"
#include "http/response.h"
#include "base/util.h"

static void respond(struct request *rq, const struct execution_request *er,
                    const struct execution_result *res)
{
    const struct runner_reply *r = &res->reply;
    struct jw *w = jw_new();
    bool has_err = r->err.len > 0;

    jw_obj_open(w);
    jw_key(w, "execution_id");
    jw_str(w, er->id);
    jw_key(w, "status");
    jw_str(w, res->status);
    jw_key(w, "stdout");
    jw_strn(w, buf_cstr(&r->out), r->out.len);
    jw_key(w, "stderr");
    jw_strn(w, buf_cstr(&r->err), r->err.len);
    jw_key(w, "exit_code");
    if (r->has_exit_code)
        jw_int(w, r->exit_code);
    else
        jw_null(w);
    jw_key(w, "signal");
    if (r->signal)
        jw_int(w, r->signal);
    else
        jw_null(w);
    jw_key(w, "execution_time");
    jw_double(w, r->time_ms / 1000, 6);
    jw_key(w, "truncated");
    jw_bool(w, r->truncated);
    jw_key(w, "result_text");
    if (r->last_repr)
        jw_strn(w, r->last_repr, r->last_repr_len);
    else if (r->out.len)
        jw_strn(w, r->out.data, r->out.len);
    else
        jw_null(w);
    jw_key(w, "images");
    write_files(rq, res, true, w);
    jw_key(w, "files");
    write_files(rq, res, false, w);
    jw_key(w, "images_dropped");
    jw_int(w, r->images_dropped + r->files_dropped);
    jw_key(w, "result_base64");
    jw_str(w, res->first_png_b64);
    jw_key(w, "output");
    jw_strn(w, buf_cstr(&r->out), r->out.len);
    jw_key(w, "error");
    if (has_err)
        jw_strn(w, r->err.data, r->err.len);
    else
        jw_str(w, res->error_text ? res->error_text : "");
    jw_key(w, "test_results");
    if (er->n_tests) {
        jw_raw(w, res->tests_json, strlen(res->tests_json));
        jw_key(w, "test_summary");
        jw_obj_open(w);
        jw_key(w, "passed");
        jw_int(w, res->tests_passed);
        jw_key(w, "failed");
        jw_int(w, res->tests_failed);
        jw_key(w, "total");
        jw_int(w, (long long)res->n_tests);
        jw_obj_close(w);
    } else {
        jw_null(w);
    }
    jw_key(w, "session_id");
    jw_str(w, er->session_id);
    if (er->session_id) {
        jw_key(w, "session_reset");
        jw_bool(w, res->session_reset);
        jw_key(w, "session_created");
        jw_bool(w, res->session_created);
    }
    jw_key(w, "timings");
    jw_obj_open(w);
    jw_key(w, "queue_ms");
    jw_double(w, res->queue_ms, 3);
    jw_key(w, "sandbox_ms");
    jw_double(w, res->sandbox_ms, 3);
    jw_key(w, "run_ms");
    jw_double(w, res->run_ms, 3);
    jw_key(w, "total_ms");
    jw_double(w, res->total_ms, 3);
    jw_obj_close(w);
    jw_obj_close(w);
    response_json(rq, 200, w);
}

static void execute(struct request *rq, const char *path_session)
{
    const struct json *body = body_json(rq);
    struct execution_result res;
    struct execution_request er;
    bool too_large;
    char err[ERR_LEN];

    if (!body)
        return;
    if (execution_request_parse(body, rq->conf, &er, &too_large, err) < 0) {
        response_error(rq, too_large ? 413 : 400,
                       too_large ? "payload_too_large" : "invalid_request",
                       err);
        execution_request_release(&er);
        return;
    }
    if (path_session) {
        if (!execution_session_id_valid(path_session)) {
            response_error(rq, 400, "invalid_request", "the session id in "
                           "the path must be 1-128 of [A-Za-z0-9_.:@-]");
            execution_request_release(&er);
            return;
        }
        if (er.n_tests) {
            response_error(rq, 400, "invalid_request", "test_cases run in "
                           "fresh processes and can't run in a session");
            execution_request_release(&er);
            return;
        }
        er.session_id = path_session;
    }
    execute_for(rq, &er, &res);
    if (res.fail != EXEC_OK)
        respond_exec_failure(rq, &er, &res);
    else
        respond(rq, &er, &res);
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

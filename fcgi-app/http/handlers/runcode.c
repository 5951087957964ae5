/* runcode.c - GET|POST /runcode, the seed-000 API: languageType,
 * variables and code (query string or JSON) -> {"output": ...}.  As that
 * API documents: 400 bad parameters, 401, 405, 504 on timeout.  Images
 * are listed as URLs under /image/{filename}. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "base/conf.h"
#include "base/json.h"
#include "base/util.h"
#include "exec/execution.h"
#include "exec/execution_request.h"
#include "http/handlers/common.h"
#include "http/handlers/handlers.h"
#include "http/request.h"
#include "http/response.h"

static void respond(struct request *rq, const struct execution_result *res)
{
    const struct runner_reply *r = &res->reply;
    const char *base = request_host_url(rq);
    bool timed_out = strcmp(res->status, "timeout") == 0;
    struct jw *w = jw_new();
    struct buf out = BUF_INIT(0);

    /* One text, as a terminal would show it: output, then errors. */
    buf_append(&out, buf_cstr(&r->out), r->out.len);
    buf_append(&out, buf_cstr(&r->err), r->err.len);
    if (!r->err.len && res->error_text && strcmp(res->status, "completed")) {
        if (out.len && out.data[out.len - 1] != '\n')
            buf_append_char(&out, '\n');
        buf_append_str(&out, res->error_text);
    }
    jw_obj_open(w);
    if (timed_out) {
        jw_kv_str(w, "error", "timeout");
        jw_kv_str(w, "detail", res->error_text);
    }
    jw_kv_buf(w, "output", &out);
    jw_key(w, "images");
    jw_arr_open(w);
    for (size_t i = 0; i < res->n_files; i++)
        if (res->files[i].is_plot) {
            char *url = xasprintf("%s/image/%s.png", base, res->files[i].id);

            jw_str(w, url);
            free(url);
        }
    jw_arr_close(w);
    jw_kv_str(w, "status", res->status);
    jw_obj_close(w);
    buf_release(&out);
    response_json(rq, timed_out ? RESULT_TIMEOUT : RESULT_OK, w);
}

/* languageType, code and variables from the JSON body (POST). */
static enum result from_body(struct request *rq, const char **lang,
                             struct str *code, const char **vars,
                             struct execution_request *er, char *err)
{
    const struct json *body = body_json(rq), *v;

    if (!body)
        return RESULT_BAD_BODY;     /* answered */
    v = json_get(body, "languageType");
    *lang = v && v->type == JSON_STRING ? v->str : NULL;
    if (v && v->type != JSON_STRING && v->type != JSON_NULL) {
        err_set(err, "languageType must be a string");
        return RESULT_INVALID_REQUEST;
    }
    v = json_get(body, "code");
    if (!v || v->type != JSON_STRING) {
        err_set(err, "code is required: a string of Python");
        return RESULT_INVALID_REQUEST;
    }
    *code = (struct str){ v->str, v->len };
    v = json_get(body, "variables");
    if (v && v->type == JSON_OBJECT)
        er->variables = v;
    else if (v && v->type == JSON_STRING)
        *vars = v->str;
    else if (v && v->type != JSON_NULL) {
        err_set(err, "variables must be an object");
        return RESULT_INVALID_REQUEST;
    }
    return RESULT_OK;
}

/* The same from the query string (GET). */
static enum result from_query(struct request *rq, const char **lang,
                              struct str *code, const char **vars,
                              char *err)
{
    *lang = request_query(rq, "languageType");
    code->p = request_query(rq, "code");
    *vars = request_query(rq, "variables");
    if (!code->p) {
        err_set(err, "code is required (query parameter, URL-encoded)");
        return RESULT_INVALID_REQUEST;
    }
    code->len = strlen(code->p);
    return RESULT_OK;
}

/* variables given as JSON text: parsed into *owned. */
static enum result parse_vars(const char *vars, struct json **owned,
                              struct execution_request *er, char *err)
{
    char inner[ERR_LEN];

    *owned = json_parse(vars, strlen(vars), inner);
    if (!*owned) {
        err_set(err, "variables is not valid JSON: %s", inner);
        return RESULT_INVALID_REQUEST;
    }
    er->variables = *owned;
    return RESULT_OK;
}

/* Builds the execution request from the query string (GET) or the JSON
 * body (POST); a bad body is answered at once. */
static enum result build_request(struct request *rq,
                                 struct execution_request *er,
                                 struct json **vars_owned, char *err)
{
    const char *lang = NULL, *vars = NULL;
    struct str code = { NULL, 0 };
    enum result r;

    execution_request_init(er, rq->conf);
    if (strcmp(rq->method, "POST") == 0)
        r = from_body(rq, &lang, &code, &vars, er, err);
    else
        r = from_query(rq, &lang, &code, &vars, err);
    if (r != RESULT_OK)
        return r;
    if (lang && *lang && !execution_language_ok(lang)) {
        err_set(err, "languageType '%.40s' is not supported: use python",
                lang);
        return RESULT_INVALID_REQUEST;
    }
    if (code.len > (size_t)rq->conf->max_code_bytes) {
        err_set(err, "code is larger than max_code_bytes (%ld)",
                rq->conf->max_code_bytes);
        return RESULT_TOO_LARGE;
    }
    er->code = code.p;
    er->code_len = code.len;
    if (vars && *vars && parse_vars(vars, vars_owned, er, err) != RESULT_OK)
        return RESULT_INVALID_REQUEST;
    if (er->variables
        && execution_request_check_variables(er->variables, err) < 0)
        return RESULT_INVALID_REQUEST;
    return RESULT_OK;
}

void handle_runcode(struct request *rq)
{
    struct json *vars = NULL;
    struct execution_result res;
    struct execution_request er;
    char err[ERR_LEN];
    enum result r = build_request(rq, &er, &vars, err);

    if (r != RESULT_OK) {
        if (!rq->status)
            response_fail(rq, r, err);
        execution_request_release(&er);
        json_free(vars);
        return;
    }
    execute_for(rq, &er, NULL, &res);
    if (res.result != RESULT_OK)
        respond_execution_failure(rq, &er, &res);
    else
        respond(rq, &res);
    execution_result_release(&res);
    execution_request_release(&er);
    json_free(vars);
}

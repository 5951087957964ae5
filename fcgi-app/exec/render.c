/* render.c - see render.h. */
#include "config.h"
#include "exec/render.h"

#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "base/json.h"
#include "base/util.h"
#include "exec/execution.h"
#include "exec/execution_request.h"
#include "policy/policy.h"

char *render_runner_call(const struct conf *c,
                         const struct execution_request *er,
                         const struct program *p, size_t *len)
{
    struct jw *w = jw_new();
    char *out;

    jw_obj_open(w);
    jw_kv_str(w, "op", "exec");
    jw_kv_str(w, "id", er->id);
    jw_kv_strn(w, "code", p->code.p, p->code.len);
    jw_kv_strn(w, "stdin", p->stdin_data.p, p->stdin_data.len);
    jw_kv_int(w, "timeout_ms", (long long)(er->timeout * 1000));
    jw_kv_int(w, "memory_mb", er->memory_mb);
    jw_kv_int(w, "max_output", c->max_output_bytes);
    jw_kv_int(w, "max_images", c->images_per_execution);
    jw_kv_int(w, "max_image_bytes", c->image_max_bytes);
    jw_kv_int(w, "max_files", c->images_per_execution);
    jw_kv_int(w, "max_file_bytes", c->image_max_bytes);
    jw_key(w, "variables");
    jw_value(w, er->variables);
    jw_kv_bool(w, "session", p->in_session);
    /* A fresh container per execution is never reused: warming it up
     * after the call would only take CPU from the next one. */
    jw_key(w, "keep_warm");
    jw_bool(w, p->in_session || c->isolation == ISOLATION_PROCESS);
    jw_kv_str(w, "interpreter", p->light ? "light" : "heavy");
    if (p->stream)
        jw_kv_bool(w, "stream", true);
    jw_obj_close(w);
    out = xstrdup(jw_text(w, len));
    jw_free(w);
    return out;
}

void render_violations(const struct policy_result *pr, int test_index,
                       struct jw *w)
{
    for (size_t i = 0; i < pr->n; i++) {
        jw_obj_open(w);
        jw_kv_str(w, "rule", pr->v[i].rule);
        jw_kv_str(w, "name", pr->v[i].name);
        jw_kv_int(w, "line", pr->v[i].line);
        jw_kv_int(w, "col", pr->v[i].col);
        if (test_index >= 0)
            jw_kv_int(w, "test_case", test_index);
        jw_obj_close(w);
    }
}

/* The timings object, and the interpreter the runner forked the
 * program from (stored with them: it is what they depend on most). */
static void write_timings_object(const struct execution_result *res,
                                 struct jw *w)
{
    jw_obj_open(w);
    jw_key(w, "queue_ms");
    jw_double(w, res->queue_ms, 3);
    jw_key(w, "sandbox_ms");
    jw_double(w, res->sandbox_ms, 3);
    jw_key(w, "run_ms");
    jw_double(w, res->run_ms, 3);
    jw_key(w, "total_ms");
    jw_double(w, res->total_ms, 3);
    if (res->reply.interpreter)
        jw_kv_str(w, "interpreter", res->reply.interpreter);
    jw_obj_close(w);
}

char *render_timings(const struct execution_result *res)
{
    struct jw *w = jw_new();
    char *out;

    write_timings_object(res, w);
    out = xstrdup(jw_text(w, NULL));
    jw_free(w);
    return out;
}

/* What the program did: status, output, exit, time, the last value. */
static void write_outcome(const struct execution_result *res, struct jw *w)
{
    const struct runner_reply *r = &res->reply;

    jw_kv_str(w, "status", res->status);
    jw_kv_buf(w, "stdout", &r->out);
    jw_kv_buf(w, "stderr", &r->err);
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
    jw_kv_bool(w, "truncated", r->truncated);
    jw_key(w, "result_text");
    if (r->last_repr)
        jw_strn(w, r->last_repr, r->last_repr_len);
    else if (r->out.len)
        jw_strn(w, r->out.data, r->out.len);
    else
        jw_null(w);
}

/* The stored figures (plots) or output files of res, as an array. */
static void write_files(const struct execution_result *res, bool plots,
                        const char *base_url, struct jw *w)
{
    jw_arr_open(w);
    for (size_t i = 0; i < res->n_files; i++) {
        const struct execution_file *f = &res->files[i];
        char *url;

        if (f->is_plot != plots)
            continue;
        url = xasprintf("%s/images/%s", base_url, f->id);
        jw_obj_open(w);
        jw_kv_str(w, "id", f->id);
        jw_kv_str(w, "url", url);
        if (!plots) {
            jw_kv_str(w, "name", f->name);
        }
        jw_kv_str(w, "mime", f->mime);
        jw_kv_int(w, "size", (long long)f->size);
        if (f->width) {
            jw_kv_int(w, "width", f->width);
            jw_kv_int(w, "height", f->height);
        }
        jw_obj_close(w);
        free(url);
    }
    jw_arr_close(w);
}

static void write_tests(const struct execution_request *er,
                        const struct execution_result *res, struct jw *w)
{
    jw_key(w, "test_results");
    if (!er->n_tests) {
        jw_null(w);
        return;
    }
    jw_raw(w, res->tests_json, strlen(res->tests_json));
    jw_key(w, "test_summary");
    jw_obj_open(w);
    jw_kv_int(w, "passed", res->tests_passed);
    jw_kv_int(w, "failed", res->tests_failed);
    jw_kv_int(w, "total", (long long)res->n_tests);
    jw_obj_close(w);
}

void render_execution(const struct execution_request *er,
                      const struct execution_result *res,
                      const char *base_url, struct jw *w)
{
    const struct runner_reply *r = &res->reply;

    jw_obj_open(w);
    jw_kv_str(w, "execution_id", er->id);
    write_outcome(res, w);
    jw_key(w, "images");
    write_files(res, true, base_url, w);
    jw_key(w, "files");
    write_files(res, false, base_url, w);
    jw_kv_int(w, "images_dropped", r->images_dropped + r->files_dropped
              + res->storage_dropped);
    /* Outputs dropped by execution_storage_max, key_storage_max or
     * min_free_disk_mb. */
    jw_kv_bool(w, "storage_limited", res->storage_dropped > 0);
    jw_kv_int(w, "storage_bytes", (long long)res->storage_bytes);
    jw_kv_str(w, "result_base64", res->first_png_b64);
    /* Seeds 002 and 003 read output and error. */
    jw_kv_buf(w, "output", &r->out);
    jw_key(w, "error");
    if (r->err.len)
        jw_strn(w, r->err.data, r->err.len);
    else
        jw_str(w, res->error_text ? res->error_text : "");
    write_tests(er, res, w);
    jw_kv_str(w, "session_id", er->session_id);
    if (er->session_id) {
        jw_kv_bool(w, "session_reset", res->session_reset);
        /* SPEC 9: whether a timeout or a cancel cost the state. */
        jw_kv_str(w, "session_state",
                  res->session_reset ? "reset" : "preserved");
        jw_kv_bool(w, "session_created", res->session_created);
    }
    jw_key(w, "timings");
    write_timings_object(res, w);
    jw_obj_close(w);
}

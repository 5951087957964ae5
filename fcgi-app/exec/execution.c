/* execution.c - see execution.h.  The order is fixed: policy (nothing is
 * recorded as running unless it may run), admission (record first, so
 * nothing is lost), sandbox, runner, outputs, final record.  The sandbox
 * is handed back on every path. */
#include "config.h"
#include "exec/execution.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/notify.h"
#include "base/stats.h"
#include "base/util.h"
#include "exec/events.h"
#include "exec/execution_request.h"
#include "exec/interpreter.h"
#include "exec/render.h"
#include "policy/policy.h"
#include "sandbox/app.h"
#include "sandbox/pool.h"
#include "sandbox/queue.h"
#include "sandbox/session.h"
#include "store/store.h"
#include "store/store_async.h"
#include "store/store_executions.h"
#include "store/store_images.h"
#include "store/store_keys.h"

/* Our deadline for the runner: its own timeout plus time to kill what
 * ran and report.  Generous: missing it costs the container, and a
 * runner killing a fork bomb on a loaded host can take seconds without
 * being broken. */
#define RUNNER_GRACE_MS 10000
/* Containers tried when the one in hand turns out dead before running. */
#define RUNNER_ATTEMPTS 3

const char *const execution_statuses[EXECUTION_N_STATUSES] = {
    "completed", "error", "timeout", "memory_limit", "killed", "blocked",
    "interrupted", "failed", "cancelled",
};

/* The sandbox an execution holds: a lease, and for a session the call. */
struct held {
    struct lease lease;
    struct session_call session;
};

int execution_status_index(const char *status)
{
    for (int i = 0; i < EXECUTION_N_STATUSES; i++)
        if (strcmp(status, execution_statuses[i]) == 0)
            return i;
    return -1;
}

bool execution_status_final(const char *status)
{
    return strcmp(status, "queued") != 0 && strcmp(status, "running") != 0;
}

static void fail(struct execution_result *res, enum result r,
                 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(struct execution_result *res, enum result r,
                 const char *fmt, ...)
{
    va_list ap;

    res->result = r;
    va_start(ap, fmt);
    vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
    va_end(ap);
}

/* ---- policy ---- */

/* Checks the code and each test case's code; fills res when blocked. */
static void policy_blocks(struct execution_ctx *ctx)
{
    const struct execution_request *er = ctx->er;
    struct policy_result pr;
    struct buf first = BUF_INIT(ERR_LEN - 64);
    size_t total = 0;
    struct jw *w;

    if (!ctx->app->policy)
        return;
    w = jw_new();
    jw_arr_open(w);
    for (int t = -1; t < (int)er->n_tests; t++) {
        const char *src = t < 0 ? er->code : er->tests[t].code;
        size_t len = t < 0 ? er->code_len : er->tests[t].code_len;

        policy_check(ctx->app->policy, src, len, &pr);
        if (pr.n && !total)
            buf_appendf(&first, "%s %s (line %d, col %d%s)",
                        strcmp(pr.v[0].rule, "import") == 0 ? "import of"
                        : strcmp(pr.v[0].rule, "call") == 0 ? "call to"
                        : "attribute", pr.v[0].name, pr.v[0].line,
                        pr.v[0].col, t >= 0 ? " of a test case" : "");
        total += pr.n;
        render_violations(&pr, t, w);
        policy_result_release(&pr);
    }
    jw_arr_close(w);
    if (total) {
        ctx->res->violations_json = xstrdup(jw_text(w, NULL));
        fail(ctx->res, RESULT_UNSAFE, "Unsafe code detected: %s%s",
             buf_cstr(&first), total > 1 ? " and more" : "");
    }
    buf_release(&first);
    jw_free(w);
}

/* ---- the record ---- */

/* The record is final: long polls look again, a webhook goes out. */
static void announce_end(const struct execution_ctx *ctx)
{
    notify_ended_bump();
    if (ctx->er->callback_url)
        notify_poke(NOTIFY_DELIVERER);
}

/* Records the execution; false (res filled) when it may not run. */
static bool admit(struct execution_ctx *ctx)
{
    const struct execution_request *er = ctx->er;
    struct execution_result *res = ctx->res;
    struct store *s = ctx->app->store;
    struct execution_new e = {
        er->id, ctx->key->id, er->session_id, ctx->request_id,
        er->language, er->code, er->code_len, er->stdin_data, er->stdin_len,
        (long)(er->timeout * 1000), er->memory_mb, (int)getpid(),
        er->callback_url,
    };
    const char *which;
    enum result r;

    if (res->result == RESULT_UNSAFE) {
        r = store_execution_blocked(s, &e, res->detail, res->violations_json);
        if (r == RESULT_DUPLICATE)
            fail(res, r, "execution_id %s is already used", er->id);
        else if (r != RESULT_OK)
            log_err("recording blocked execution %s: %s", er->id,
                    store_last_message(s));
        else
            stats_count_execution(execution_status_index("blocked"));
        return false;
    }
    r = store_execution_admit(s, &e, ctx->key->max_concurrent,
                              ctx->key->rate_per_minute, &which);
    if (r == RESULT_LIMITED && strcmp(which, "concurrent") == 0)
        fail(res, r, "this key already runs its maximum of %ld executions "
             "at once", ctx->key->max_concurrent);
    else if (r == RESULT_LIMITED)
        fail(res, r, "this key reached its limit of %ld executions per "
             "minute", ctx->key->rate_per_minute);
    else if (r == RESULT_DUPLICATE)
        fail(res, r, "execution_id %s is already used", er->id);
    else if (r != RESULT_OK)
        fail(res, r, "database: %s", store_last_message(s));
    return r == RESULT_OK;
}

/* The record of an execution that was admitted but did not run. */
static void record_failure(struct execution_ctx *ctx)
{
    struct execution_done d = { .status = "failed",
                                .error = ctx->res->detail,
                                .callback = ctx->er->callback_url != NULL };

    store_execution_finish(ctx->app->store, ctx->key->id, ctx->er->id, &d);
    stats_count_execution(execution_status_index("failed"));
    announce_end(ctx);
}

/* ---- the sandbox ---- */

/* In process isolation a runner serves one key only. */
static const char *pool_key(const struct execution_ctx *ctx)
{
    return ctx->app->conf->isolation == ISOLATION_PROCESS ? ctx->key->id
                                                          : NULL;
}

/* A sandbox for this call: the session's, or one from the pool. */
/* Whether er's programs want the heavy interpreter (exec/interpreter.h):
 * its code or a test case's names a heavy package. */
static bool wants_heavy(const struct execution_request *er)
{
    if (!interpreter_is_light(er->code, er->code_len))
        return true;
    for (size_t i = 0; i < er->n_tests; i++)
        if (er->tests[i].code
            && !interpreter_is_light(er->tests[i].code, er->tests[i].code_len))
            return true;
    return false;
}

static enum result acquire(struct execution_ctx *ctx, struct held *h,
                           double *waited)
{
    const struct execution_request *er = ctx->er;
    struct execution_result *res = ctx->res;
    char err[ERR_LEN];
    enum result r;

    ctx->app->queue_key = ctx->key->id;     /* its turn in the queue */
    if (er->session_id) {
        h->session.key_id = ctx->key->id;
        h->session.id = er->session_id;
        h->session.memory_mb = er->memory_mb;
        h->session.lease = &h->lease;
        r = session_enter(ctx->app, &h->session, err);
        res->session_created = h->session.created;
        res->session_reset = h->session.reset;
        *waited = h->session.waited_ms;
    } else {
        r = pool_acquire(ctx->app, pool_key(ctx), er->memory_mb, ctx->heavy,
                         &h->lease, waited, err);
    }
    if (r != RESULT_OK)
        fail(res, r, "%s", err);
    return r;
}

static void release(struct execution_ctx *ctx, struct held *h,
                    bool healthy)
{
    if (ctx->er->session_id) {
        session_leave(ctx->app, &h->session, healthy);
        if (h->session.reset)
            ctx->res->session_reset = true;
    } else if (h->lease.name[0]) {
        pool_release(ctx->app, &h->lease, pool_key(ctx), healthy);
    }
}

/* Swaps a dead container of this call for a working one. */
static enum result replace_sandbox(struct execution_ctx *ctx, struct held *h)
{
    const struct execution_request *er = ctx->er;
    struct app *app = ctx->app;
    double waited;
    char err[ERR_LEN];
    enum result r;

    if (er->session_id) {
        r = session_replace(app, &h->session, err);
        if (r == RESULT_OK)
            ctx->res->session_reset = !ctx->res->session_created;
    } else {
        app->queue_key = ctx->key->id;
        pool_release(app, &h->lease, NULL, false);
        r = pool_acquire(app, pool_key(ctx), er->memory_mb, ctx->heavy,
                         &h->lease, &waited, err);
        if (r != RESULT_OK)
            h->lease.name[0] = '\0';    /* nothing held any more */
    }
    if (r == RESULT_OK
        && pool_fit_memory(app, &h->lease, er->memory_mb, err) < 0)
        r = RESULT_NO_SANDBOX;
    if (r != RESULT_OK)
        fail(ctx->res, r, "the sandbox was not running and no other "
             "could be had: %s", err);
    return r;
}

/* A sandbox with room for the program, timed and recorded as running. */
static enum result take_sandbox(struct execution_ctx *ctx, struct held *h)
{
    const struct execution_request *er = ctx->er;
    struct execution_result *res = ctx->res;
    double t0 = now_ms(), waited = 0;
    char err[ERR_LEN];

    if (acquire(ctx, h, &waited) != RESULT_OK)
        return res->result;
    if (pool_fit_memory(ctx->app, &h->lease, er->memory_mb, err) < 0) {
        log_warn("raising the memory of %s: %s", h->lease.name, err);
        release(ctx, h, false);
        fail(res, RESULT_NO_SANDBOX, "cannot give the sandbox %ld MB: %s",
             er->memory_mb, err);
        return res->result;
    }
    res->queue_ms = waited;
    res->sandbox_ms = now_ms() - t0 - waited;
    stats_observe(PHASE_QUEUE, res->queue_ms);
    stats_observe(PHASE_SANDBOX, res->sandbox_ms);
    store_execution_started(ctx->app->store, ctx->key->id, er->id,
                            h->lease.name);
    return RESULT_OK;
}

/* ---- the runner ---- */

/* After a poke (sandbox/queue.h): whether POST /executions/{id}/cancel
 * asked to stop this execution. */
static bool cancel_asked(void *arg)
{
    const struct execution_ctx *ctx = arg;

    return store_execution_cancel_asked(ctx->app->store, ctx->key->id,
                                        ctx->er->id);
}

static void runner_limits_of(const struct conf *c, struct runner_limits *lim)
{
    lim->max_output = (size_t)c->max_output_bytes;
    lim->max_images = (int)c->images_per_execution;
    lim->max_image_bytes = (size_t)c->image_max_bytes;
    lim->max_files = (int)c->images_per_execution;
    lim->max_file_bytes = (size_t)c->image_max_bytes;
}

/* What the outcome means, in the SPEC's words. */
static const char *status_of(const struct runner_reply *r, enum result e,
                             bool container_oom)
{
    if (e == RESULT_TIMEOUT || (e == RESULT_OK && r->timed_out))
        return "timeout";
    if (e != RESULT_OK)
        return container_oom ? "memory_limit" : "killed";
    if (r->oom)
        return "memory_limit";
    if (r->signal)
        return "killed";
    if (r->has_exit_code && r->exit_code == 0)
        return "completed";
    return "error";
}

/* The stream's hooks on a runner call (exec/events.h). */
static void on_output(void *arg, char stream, const char *p, size_t n)
{
    events_output(arg, stream, p, n);
}

static double due(void *arg)
{
    return events_due(((struct execution_ctx *)arg)->events);
}

static void tick(void *arg)
{
    events_tick(((struct execution_ctx *)arg)->events);
}

/* One runner call on lease l; watched: its output is the execution's
 * (not a test case's), so it makes events.  Returns the runner's result;
 * *status is set (NULL when nothing ran). */
static enum result call_runner(struct execution_ctx *ctx,
                               const struct program *p, const struct lease *l,
                               bool watched, struct runner_reply *r,
                               const char **status, char *err)
{
    const struct conf *c = ctx->app->conf;
    struct runner_limits lim;
    size_t len;
    char *msg = render_runner_call(c, ctx->er, p, &len);
    char *sock = sandbox_socket_path(c, l->name);
    double deadline = now_ms() + ctx->er->timeout * 1000 + RUNNER_GRACE_MS;
    struct runner_watch watch = { ctx, queue_wake_fd(), cancel_asked, false,
                                  NULL, NULL };
    enum result e;

    runner_limits_of(c, &lim);
    runner_reply_init(r, &lim);
    if (watched) {
        r->output = on_output;
        r->output_arg = ctx->events;
        watch.due = due;
        watch.tick = tick;
    }
    e = runner_call(sock, (struct str){ msg, len }, deadline, &lim, &watch,
                    r, err);
    ctx->cancel_sent |= watch.cancel_sent;
    free(msg);
    free(sock);
    *status = NULL;
    if (e == RESULT_RUNNER_DOWN)
        return e;
    if (e == RESULT_TIMEOUT)
        pool_kill(ctx->app, l);     /* it ignored its own deadline */
    /* Our cancel, and the runner's word that it stopped the program
     * for it (it may have ended on its own first). */
    *status = watch.cancel_sent && e == RESULT_OK && r->cancelled
              ? "cancelled"
              : status_of(r, e, e == RESULT_RUNNER_LOST
                          && pool_oom_killed(ctx->app, l));
    if (e != RESULT_OK)
        log_warn("execution %s in %s: %s", ctx->er->id, l->name, err);
    return e;
}

/* Test case t: the code with the case's code after it, its stdin. */
static void run_test_case(struct execution_ctx *ctx, const struct lease *l,
                          const struct test_case *t, struct test_result *tr,
                          bool *healthy)
{
    const struct execution_request *er = ctx->er;
    struct buf code = BUF_INIT(0);
    struct runner_reply r;
    const char *status;
    char err[ERR_LEN];
    enum result e;

    buf_append(&code, er->code, er->code_len);
    buf_append_str(&code, "\n");
    buf_append(&code, t->code, t->code_len);
    {
        struct program p = { { code.data, code.len },
                             { t->stdin_data, t->stdin_len }, false,
                             !ctx->heavy, false };

        e = call_runner(ctx, &p, l, false, &r, &status, err);
    }
    buf_release(&code);
    if (e != RESULT_OK)
        *healthy = false;
    tr->ran = status != NULL;
    tr->status = status ? status : "killed";
    buf_append(&tr->out, buf_cstr(&r.out), r.out.len);
    buf_append(&tr->err, buf_cstr(&r.err), r.err.len);
    if (e != RESULT_OK && e != RESULT_TIMEOUT && !r.err.len)
        buf_append_str(&tr->err, err);
    tr->execution_time = r.time_ms / 1000;
    tr->passed = grading_passed(tr);
    runner_reply_release(&r);
}

static void run_test_cases(struct execution_ctx *ctx, const struct lease *l,
                           bool *healthy)
{
    const struct execution_request *er = ctx->er;
    struct execution_result *res = ctx->res;

    res->tests = xcalloc(er->n_tests, sizeof(*res->tests));
    res->n_tests = er->n_tests;
    for (size_t i = 0; i < er->n_tests; i++) {
        const struct test_case *t = &er->tests[i];
        struct test_result *tr = &res->tests[i];

        buf_init(&tr->out, 0);
        buf_init(&tr->err, 0);
        tr->expected = t->expected;
        tr->expected_len = t->expected_len;
        tr->input = t->input;
        if (!*healthy || ctx->cancel_sent
            || (er->stop_on_first_failure && res->tests_failed))
            continue;
        run_test_case(ctx, l, t, tr, healthy);
        if (tr->passed)
            res->tests_passed++;
        else
            res->tests_failed++;
    }
}

/* Runs the code (in another container when the first turns out dead),
 * then the test cases, and hands the sandbox back.  When nothing ran,
 * res->result says why. */
static void run_code(struct execution_ctx *ctx, struct held *h)
{
    const struct execution_request *er = ctx->er;
    struct execution_result *res = ctx->res;
    struct program p = { { er->code, er->code_len },
                         { er->stdin_data, er->stdin_len },
                         er->session_id != NULL,
                         !ctx->heavy && !er->session_id, ctx->stream };
    double t0 = now_ms();
    char err[ERR_LEN];
    enum result e;
    bool healthy;

    if (app_cancelled(ctx->app)) {  /* poked while it waited its turn */
        release(ctx, h, true);
        fail(res, RESULT_CANCELLED, "cancelled before it ran");
        return;
    }
    for (int attempt = 1; ; attempt++) {
        e = call_runner(ctx, &p, &h->lease, true, &res->reply, &res->status,
                        err);
        if (e != RESULT_RUNNER_DOWN || attempt == RUNNER_ATTEMPTS)
            break;
        /* The container died while idle (nothing ran): take another. */
        runner_reply_release(&res->reply);
        log_warn("%s was not running: %s", h->lease.name, err);
        if (replace_sandbox(ctx, h) != RESULT_OK)
            break;
    }
    if (e == RESULT_RUNNER_DOWN) {
        /* Nothing ran: the client may simply retry. */
        release(ctx, h, false);
        if (res->result == RESULT_OK)
            fail(res, pool_unavailable(), "the sandbox was not running: %s",
                 err);
        return;
    }
    if (e == RESULT_OK && res->reply.refused) {
        /* Nothing ran and the sandbox is as it was. */
        release(ctx, h, true);
        fail(res, RESULT_INVALID_REQUEST, "the sandbox refused the "
             "request: %s", res->reply.refused);
        return;
    }
    healthy = e == RESULT_OK;
    if (res->reply.session_reset)
        res->session_reset = true;
    if (er->n_tests)
        run_test_cases(ctx, &h->lease, &healthy);
    res->run_ms = now_ms() - t0;
    release(ctx, h, healthy);
    stats_observe(PHASE_RUN, res->run_ms);
}

/* ---- outputs ---- */

/* Bytes this execution may still store: what execution_storage_max and
 * the key's key_storage_max leave, and nothing while the disk of the
 * data dir is below min_free_disk_mb.  -1: no limit.  A key running
 * executions at once may pass its limit by at most one execution's
 * share each. */
static int64_t storage_room(struct execution_ctx *ctx)
{
    const struct conf *c = ctx->app->conf;
    int64_t room = c->execution_storage_max > 0 ? c->execution_storage_max
                                                : -1;
    int64_t used, free_bytes;

    if (c->key_storage_max > 0) {
        /* Fail closed: what cannot be counted is not stored. */
        if (store_image_key_bytes(ctx->app->store, ctx->key->id,
                                  &used) < 0) {
            log_warn("storage of key %s: %s", ctx->key->id,
                     store_last_message(ctx->app->store));
            used = c->key_storage_max;
        }
        used = used < c->key_storage_max ? c->key_storage_max - used : 0;
        if (room < 0 || used < room)
            room = used;
    }
    if (c->min_free_disk_mb > 0
        && disk_free_bytes(c->data_dir, &free_bytes) == 0
        && free_bytes < (int64_t)c->min_free_disk_mb << 20) {
        log_warn("%s: %lld MB free, under min_free_disk_mb: outputs of %s "
                 "not stored", c->data_dir,
                 (long long)(free_bytes >> 20), ctx->er->id);
        room = 0;
    }
    return room;
}

static void image_event(struct execution_ctx *ctx, const char *image_id)
{
    char *url = xasprintf("%s/images/%s", ctx->base_url ? ctx->base_url : "",
                          image_id);

    events_image(ctx->events, image_id, url);
    free(url);
}

static void store_files(struct execution_ctx *ctx)
{
    struct execution_result *res = ctx->res;
    struct runner_reply *r = &res->reply;
    int64_t room = r->n_files ? storage_room(ctx) : -1;

    res->files = xcalloc(r->n_files ? r->n_files : 1, sizeof(*res->files));
    for (size_t i = 0; i < r->n_files; i++) {
        const struct runner_file *f = &r->files[i];
        struct execution_file *ef = &res->files[res->n_files];
        struct image_new im = {
            ctx->er->id, ctx->key->id, (int)i, f->is_plot ? "plot" : "file",
            f->name, f->mime, f->width, f->height, f->data, f->len,
        };

        if (room >= 0 && (int64_t)f->len > room) {
            res->storage_dropped++;
            continue;
        }
        if (store_image_insert(ctx->app->store, &im, ef->id) < 0) {
            log_warn("storing an image of %s: %s", ctx->er->id,
                     store_last_message(ctx->app->store));
            continue;
        }
        ef->is_plot = f->is_plot;
        ef->name = f->name ? xstrdup(f->name) : NULL;
        image_event(ctx, ef->id);
        ef->mime = f->mime;
        ef->size = f->len;
        ef->width = f->width;
        ef->height = f->height;
        res->storage_bytes += f->len;
        if (room >= 0)
            room -= (int64_t)f->len;
        if (f->is_plot && !res->first_png_b64)
            res->first_png_b64 = base64_encode(f->data, f->len, NULL);
        res->n_files++;
    }
}

/* The "error" field when the program wrote nothing to stderr. */
static char *error_text(const struct execution_request *er,
                        const struct execution_result *res)
{
    const struct runner_reply *r = &res->reply;

    if (strcmp(res->status, "timeout") == 0)
        return xasprintf("Execution timed out after %g s", er->timeout);
    if (strcmp(res->status, "cancelled") == 0)
        return xstrdup("Cancelled while it ran");
    if (strcmp(res->status, "memory_limit") == 0)
        return xasprintf("Memory limit of %ld MB exceeded", er->memory_mb);
    if (strcmp(res->status, "killed") == 0)
        return r->signal ? xasprintf("Killed by signal %d", r->signal)
                         : xstrdup("The sandbox stopped unexpectedly");
    return r->error ? xstrdup(r->error) : NULL;
}

static void finish_record(struct execution_ctx *ctx)
{
    struct execution_result *res = ctx->res;
    struct runner_reply *r = &res->reply;
    char *timings = render_timings(res);
    const char *result_text = r->last_repr ? r->last_repr : r->out.data;
    size_t result_len = r->last_repr ? r->last_repr_len : r->out.len;
    struct execution_done d = {
        res->status, r->has_exit_code, r->exit_code, r->signal,
        buf_cstr(&r->out), r->out.len, buf_cstr(&r->err), r->err.len,
        result_text ? result_text : "", result_len, r->truncated,
        r->time_ms / 1000, res->error_text, res->tests_json, NULL, timings,
        NULL, ctx->er->callback_url != NULL, NULL, 0,
    };
    struct jw *w = NULL;

    /* The last events go with the record (store_execution_finish). */
    events_end(ctx->events);
    d.events = ctx->events->pending;
    d.n_events = ctx->events->n_pending;
    if (ctx->keep_result) {
        w = jw_new();
        render_execution(ctx->er, res, ctx->base_url ? ctx->base_url : "",
                         w);
        d.result = jw_text(w, NULL);
    }
    if (store_execution_finish(ctx->app->store, ctx->key->id,
                               ctx->er->id, &d) < 0)
        log_err("execution %s: final record not written: %s", ctx->er->id,
                store_last_message(ctx->app->store));
    stats_count_execution(execution_status_index(res->status));
    announce_end(ctx);
    jw_free(w);
    free(timings);
}

/* A cancel that came while it waited for a sandbox: a final record like
 * any run's, with nothing run. */
static void cancelled_before_running(struct execution_ctx *ctx)
{
    struct execution_result *res = ctx->res;
    struct runner_limits lim;

    runner_limits_of(ctx->app->conf, &lim);
    runner_reply_init(&res->reply, &lim);
    res->result = RESULT_OK;
    res->status = "cancelled";
    res->error_text = xstrdup("Cancelled before it ran");
}

static void run(struct execution_ctx *ctx, const struct execution_request *er,
                struct execution_result *res)
{
    struct held h;

    memset(res, 0, sizeof(*res));
    memset(&h, 0, sizeof(h));
    ctx->er = er;
    ctx->res = res;
    ctx->heavy = wants_heavy(er);
    res->status = "failed";
    /* A blocked execution is recorded too, by admit().  A queued one
     * passed both when it was accepted. */
    if (!ctx->is_queued) {
        policy_blocks(ctx);
        if (!admit(ctx))
            return;
    }
    if (ctx->is_queued && cancel_asked(ctx)) {
        /* Between two tries for a sandbox. */
        fail(res, RESULT_CANCELLED, "cancelled before it ran");
    } else if (take_sandbox(ctx, &h) != RESULT_OK) {
        if (ctx->is_queued && execution_result_retryable(res))
            return;         /* still queued: its executor tries again */
    } else {
        run_code(ctx, &h);
    }
    if (res->result == RESULT_CANCELLED) {
        cancelled_before_running(ctx);
    } else if (res->result != RESULT_OK) {
        record_failure(ctx);
        return;
    }
    store_files(ctx);
    if (!res->error_text)
        res->error_text = error_text(er, res);
    res->total_ms = now_ms() - ctx->t_start;
    stats_observe(PHASE_TOTAL, res->total_ms);
    if (res->n_tests)
        res->tests_json = grading_report_json(res->tests, res->n_tests);
    finish_record(ctx);
}

void execution_run(struct execution_ctx *ctx,
                   const struct execution_request *er,
                   struct execution_result *res)
{
    struct events ev;

    events_init(&ev, ctx->app->store, ctx->key->id, er->id, ctx->live);
    ctx->events = &ev;
    /* Watched as it runs: a client may follow an execution in the
     * background or a session's cell; one that asked to, does. */
    ctx->stream = ctx->is_queued || ctx->live || er->session_id;
    /* A poke while it queues for a sandbox asks here too. */
    ctx->app->cancelled = cancel_asked;
    ctx->app->cancel_arg = ctx;
    run(ctx, er, res);
    ctx->app->cancelled = NULL;
    ctx->app->cancel_arg = NULL;
    res->last_event = ev.seq;
    events_release(&ev);
    ctx->events = NULL;
}

bool execution_result_retryable(const struct execution_result *res)
{
    return res->result == RESULT_NO_SANDBOX
        || res->result == RESULT_DOCKER_DOWN
        || res->result == RESULT_TOO_MANY_SESSIONS
        || res->result == RESULT_BUSY;
}

void execution_result_release(struct execution_result *res)
{
    free(res->violations_json);
    runner_reply_release(&res->reply);
    free(res->error_text);
    for (size_t i = 0; i < res->n_files; i++)
        free(res->files[i].name);
    free(res->files);
    free(res->first_png_b64);
    for (size_t i = 0; i < res->n_tests; i++) {
        buf_release(&res->tests[i].out);
        buf_release(&res->tests[i].err);
    }
    free(res->tests);
    free(res->tests_json);
    memset(res, 0, sizeof(*res));
}

void execution_enqueue(struct execution_ctx *ctx,
                       const struct execution_request *er,
                       const char *body, size_t body_len,
                       struct execution_result *res)
{
    const struct conf *c = ctx->app->conf;
    struct execution_new e = {
        er->id, ctx->key->id, er->session_id, ctx->request_id,
        er->language, er->code, er->code_len, er->stdin_data, er->stdin_len,
        (long)(er->timeout * 1000), er->memory_mb, 0, er->callback_url,
    };
    struct async_submit a = {
        &e, body, body_len, ctx->base_url ? ctx->base_url : "",
        ctx->key->rate_per_minute, c->async_max_queued,
    };
    enum result r;

    memset(res, 0, sizeof(*res));
    ctx->er = er;
    ctx->res = res;
    res->status = "queued";
    policy_blocks(ctx);
    if (res->result == RESULT_UNSAFE) {
        admit(ctx);             /* records it as blocked */
        return;
    }
    r = store_async_submit(ctx->app->store, &a);
    if (r == RESULT_LIMITED)
        fail(res, r, "this key reached its limit of %ld executions per "
             "minute", ctx->key->rate_per_minute);
    else if (r == RESULT_QUEUE_FULL)
        fail(res, r, "%ld executions are already waiting "
             "(async_max_queued); retry later", c->async_max_queued);
    else if (r == RESULT_DUPLICATE)
        fail(res, r, "execution_id %s is already used", er->id);
    else if (r != RESULT_OK)
        fail(res, r, "database: %s", store_last_message(ctx->app->store));
    else
        notify_poke(NOTIFY_EXECUTORS);
}

/* execution.c - see execution.h.  The order is fixed: policy (nothing is
 * recorded as running unless it may run), admission (record first, so
 * nothing is lost), sandbox, runner, outputs, final record.  The sandbox
 * is handed back on every path. */
#include "config.h"
#include "execution.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "auth.h"
#include "conf.h"
#include "job.h"
#include "json.h"
#include "log.h"
#include "policy.h"
#include "pool.h"
#include "session.h"
#include "stats.h"
#include "store.h"
#include "store_exec.h"
#include "store_pool.h"
#include "util.h"

/* Our deadline for the runner: its own timeout plus time to kill what
 * ran and report.  Generous: missing it costs the container, and a
 * runner killing a fork bomb on a loaded host can take seconds without
 * being broken. */
#define RUNNER_GRACE_MS 10000

static const char *const status_names[] = {
    "completed", "error", "timeout", "memory_limit", "killed", "blocked",
    "interrupted", "failed",
};

int exec_status_index(const char *status)
{
    for (int i = 0; i < (int)ARRAY_SIZE(status_names); i++)
        if (strcmp(status, status_names[i]) == 0)
            return i;
    return -1;
}

static void fail(struct exec_result *res, enum exec_fail f,
                 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(struct exec_result *res, enum exec_fail f,
                 const char *fmt, ...)
{
    va_list ap;

    res->fail = f;
    va_start(ap, fmt);
    vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
    va_end(ap);
}

static enum exec_fail store_fail_class(struct store *s)
{
    switch (store_last_error(s)) {
    case STORE_BUSY:
        return EXEC_DB_BUSY;
    case STORE_FULL:
        return EXEC_DB_FULL;
    default:
        return EXEC_INTERNAL;
    }
}

/* ---- policy ---- */

static void violations_json(const struct policy_result *pr, int test_index,
                            struct jw *w)
{
    for (size_t i = 0; i < pr->n; i++) {
        jw_obj_open(w);
        jw_key(w, "rule");
        jw_str(w, pr->v[i].rule);
        jw_key(w, "name");
        jw_str(w, pr->v[i].name);
        jw_key(w, "line");
        jw_int(w, pr->v[i].line);
        jw_key(w, "col");
        jw_int(w, pr->v[i].col);
        if (test_index >= 0) {
            jw_key(w, "test_case");
            jw_int(w, test_index);
        }
        jw_obj_close(w);
    }
}

/* Checks the code and each test case's code.  Returns true when blocked
 * (res filled). */
static bool policy_blocks(struct app *app, const struct job *job,
                          struct exec_result *res)
{
    struct policy_result pr;
    struct jw *w;
    struct buf first = BUF_INIT(ERR_LEN - 64);
    size_t total = 0;

    if (!app->policy)
        return false;
    w = jw_new();
    jw_arr_open(w);
    for (int t = -1; t < (int)job->n_tests; t++) {
        const char *src = t < 0 ? job->code : job->tests[t].code;
        size_t len = t < 0 ? job->code_len : job->tests[t].code_len;

        memset(&pr, 0, sizeof(pr));
        policy_check(app->policy, src, len, &pr);
        if (pr.n && !total)
            buf_appendf(&first, "%s %s (line %d, col %d%s)",
                        strcmp(pr.v[0].rule, "import") == 0 ? "import of"
                        : strcmp(pr.v[0].rule, "call") == 0 ? "call to"
                        : "attribute", pr.v[0].name, pr.v[0].line,
                        pr.v[0].col, t >= 0 ? " of a test case" : "");
        total += pr.n;
        violations_json(&pr, t, w);
        policy_result_release(&pr);
    }
    jw_arr_close(w);
    if (total) {
        res->violations_json = xstrdup(jw_text(w, NULL));
        snprintf(res->detail, sizeof(res->detail),
                 "Unsafe code detected: %s%s", buf_cstr(&first),
                 total > 1 ? " and more" : "");
        res->fail = EXEC_UNSAFE;
    }
    buf_release(&first);
    jw_free(w);
    return total > 0;
}

/* ---- the runner ---- */

static char *runner_request(const struct conf *c, const struct job *job,
                            const char *code, size_t code_len,
                            const char *in, size_t in_len, bool session,
                            size_t *len)
{
    struct jw *w = jw_new();
    char *out;

    jw_obj_open(w);
    jw_key(w, "op");
    jw_str(w, "exec");
    jw_key(w, "id");
    jw_str(w, job->id);
    jw_key(w, "code");
    jw_strn(w, code, code_len);
    jw_key(w, "stdin");
    jw_strn(w, in, in_len);
    jw_key(w, "timeout_ms");
    jw_int(w, (long long)(job->timeout * 1000));
    jw_key(w, "memory_mb");
    jw_int(w, job->memory_mb);
    jw_key(w, "max_output");
    jw_int(w, c->max_output_bytes);
    jw_key(w, "max_images");
    jw_int(w, c->images_per_execution);
    jw_key(w, "max_image_bytes");
    jw_int(w, c->image_max_bytes);
    jw_key(w, "max_files");
    jw_int(w, c->images_per_execution);
    jw_key(w, "max_file_bytes");
    jw_int(w, c->image_max_bytes);
    jw_key(w, "variables");
    jw_value(w, job->variables);
    jw_key(w, "session");
    jw_bool(w, session);
    /* A fresh container per execution is never reused: warming it up
     * after the call would only take CPU from the next one. */
    jw_key(w, "keep_warm");
    jw_bool(w, session || c->isolation == ISOLATION_PROCESS);
    jw_obj_close(w);
    out = xstrdup(jw_text(w, len));
    jw_free(w);
    return out;
}

static void run_limits(const struct conf *c, struct run_limits *lim)
{
    lim->max_output = (size_t)c->max_output_bytes;
    lim->max_images = (int)c->images_per_execution;
    lim->max_image_bytes = (size_t)c->image_max_bytes;
    lim->max_files = (int)c->images_per_execution;
    lim->max_file_bytes = (size_t)c->image_max_bytes;
}

/* What the outcome means, in the SPEC's words. */
static const char *status_of(const struct run_result *r, enum runner_error e,
                             bool container_oom)
{
    if (e == RUNNER_TIMEOUT || (e == RUNNER_OK && r->timed_out))
        return "timeout";
    if (e != RUNNER_OK)
        return container_oom ? "memory_limit" : "killed";
    if (r->oom)
        return "memory_limit";
    if (r->signal)
        return "killed";
    if (r->has_exit_code && r->exit_code == 0)
        return "completed";
    return "error";
}

/* When the runner is gone mid-call, Docker knows whether the kernel's OOM
 * killer took the container's processes, once the container has stopped
 * (its init follows the runner out within moments). */
static bool container_oom_killed(struct app *app, const struct lease *l)
{
    struct docker *d = app_docker(app);
    struct docker_state st;
    char err[ERR_LEN];
    int code;

    if (!d)
        return false;
    docker_wait(d, l->docker_id, 1000, &code, err);
    return docker_inspect(d, l->docker_id, &st, err) == 0 && st.oom_killed;
}

/* One runner call on lease l.  Returns the runner error; *status is set
 * when something ran. */
static enum runner_error run_once(struct app *app, const struct job *job,
                                  const struct lease *l, const char *code,
                                  size_t code_len, const char *in,
                                  size_t in_len, bool session,
                                  struct run_result *r, const char **status,
                                  char *err)
{
    const struct conf *c = app->conf;
    struct run_limits lim;
    size_t req_len;
    char *req = runner_request(c, job, code, code_len, in, in_len, session,
                               &req_len);
    char *sock = sandbox_socket_path(c, l->name);
    double deadline = now_ms() + job->timeout * 1000 + RUNNER_GRACE_MS;
    enum runner_error e;

    run_limits(c, &lim);
    run_result_init(r, &lim);
    e = runner_call(sock, req, req_len, deadline, &lim, r, err);
    free(req);
    free(sock);
    if (e == RUNNER_DOWN) {
        *status = NULL;
        return e;
    }
    if (e == RUNNER_TIMEOUT)
        pool_kill(app, l);      /* it ignored its own deadline */
    *status = status_of(r, e, e == RUNNER_LOST
                        && container_oom_killed(app, l));
    if (e != RUNNER_OK)
        log_warn("execution %s in %s: %s", job->id, l->name, err);
    return e;
}

/* ---- outputs ---- */

static void store_files(struct exec_ctx *ctx, const struct job *job,
                        struct exec_result *res)
{
    struct run_result *r = &res->run;

    res->files = xcalloc(r->n_files ? r->n_files : 1, sizeof(*res->files));
    for (size_t i = 0; i < r->n_files; i++) {
        const struct run_file *f = &r->files[i];
        struct exec_file *ef = &res->files[res->n_files];
        struct image_new im = {
            job->id, ctx->key->id, (int)i, f->is_plot ? "plot" : "file",
            f->name, f->mime, f->width, f->height, f->data, f->len,
        };

        if (store_image_insert(ctx->app->store, &im, ef->id) < 0) {
            log_warn("storing an image of %s: %s", job->id,
                     store_last_message(ctx->app->store));
            continue;
        }
        ef->is_plot = f->is_plot;
        ef->name = f->name ? xstrdup(f->name) : NULL;
        ef->mime = f->mime;
        ef->size = f->len;
        ef->width = f->width;
        ef->height = f->height;
        if (f->is_plot && !res->first_png_b64)
            res->first_png_b64 = base64_encode(f->data, f->len, NULL);
        res->n_files++;
    }
}

bool output_matches(const char *got, size_t got_len, const char *want,
                    size_t want_len)
{
    /* Walk both texts line by line, ignoring trailing blanks per line and
     * trailing empty lines. */
    size_t i = 0, j = 0;

    for (;;) {
        size_t ge = i, we = j, gt, wt;

        while (ge < got_len && got[ge] != '\n')
            ge++;
        while (we < want_len && want[we] != '\n')
            we++;
        gt = ge;
        wt = we;
        while (gt > i && (got[gt - 1] == ' ' || got[gt - 1] == '\t'
                          || got[gt - 1] == '\r'))
            gt--;
        while (wt > j && (want[wt - 1] == ' ' || want[wt - 1] == '\t'
                          || want[wt - 1] == '\r'))
            wt--;
        if (gt - i != wt - j || memcmp(got + i, want + j, gt - i) != 0) {
            /* Only blank tails may differ now. */
            for (size_t k = i; k < got_len; k++)
                if (!strchr(" \t\r\n", got[k]))
                    return false;
            for (size_t k = j; k < want_len; k++)
                if (!strchr(" \t\r\n", want[k]))
                    return false;
            return true;
        }
        i = ge < got_len ? ge + 1 : ge;
        j = we < want_len ? we + 1 : we;
        if (i >= got_len && j >= want_len)
            return true;
    }
}

static void run_tests(struct exec_ctx *ctx, const struct job *job,
                      const struct lease *l, bool *healthy)
{
    struct exec_result *res = ctx->res;
    char err[ERR_LEN];

    res->tests = xcalloc(job->n_tests, sizeof(*res->tests));
    res->n_tests = job->n_tests;
    for (size_t i = 0; i < job->n_tests; i++) {
        const struct job_test *t = &job->tests[i];
        struct exec_test *et = &res->tests[i];
        struct buf prog = BUF_INIT(0);
        struct run_result r;
        enum runner_error e;
        const char *status = NULL;

        buf_init(&et->out, 0);
        buf_init(&et->err, 0);
        et->expected = t->expected;
        et->expected_len = t->expected_len;
        et->input = t->input;
        if (!*healthy || (job->stop_on_first_failure && res->tests_failed))
            continue;
        buf_append(&prog, job->code, job->code_len);
        buf_append_str(&prog, "\n");
        buf_append(&prog, t->code, t->code_len);
        e = run_once(ctx->app, job, l, prog.data, prog.len, t->stdin_data,
                     t->stdin_len, false, &r, &status, err);
        buf_release(&prog);
        if (e != RUNNER_OK)
            *healthy = false;
        et->ran = status != NULL;
        et->status = status ? status : "killed";
        buf_append(&et->out, r.out.data ? r.out.data : "", r.out.len);
        buf_append(&et->err, r.err.data ? r.err.data : "", r.err.len);
        if (e != RUNNER_OK && e != RUNNER_TIMEOUT && !r.err.len)
            buf_append_str(&et->err, err);
        et->execution_time = r.time_ms / 1000;
        et->passed = et->ran && strcmp(et->status, "completed") == 0
            && (!t->expected || output_matches(r.out.data, r.out.len,
                                               t->expected,
                                               t->expected_len));
        if (et->passed)
            res->tests_passed++;
        else
            res->tests_failed++;
        run_result_release(&r);
    }
}

/* The test results as JSON: stored in the record and spliced into the
 * reply, so both carry the same fields. */
static char *tests_json(const struct exec_result *res)
{
    struct jw *w = jw_new();
    char *out;

    jw_arr_open(w);
    for (size_t i = 0; i < res->n_tests; i++) {
        const struct exec_test *t = &res->tests[i];
        char *msg;

        jw_obj_open(w);
        jw_key(w, "passed");
        jw_bool(w, t->passed);
        jw_key(w, "status");
        jw_str(w, t->ran ? t->status : "skipped");
        jw_key(w, "stdout");
        jw_strn(w, buf_cstr(&t->out), t->out.len);
        jw_key(w, "stderr");
        jw_strn(w, buf_cstr(&t->err), t->err.len);
        jw_key(w, "expected_output");
        if (t->expected)
            jw_strn(w, t->expected, t->expected_len);
        else
            jw_null(w);
        jw_key(w, "execution_time");
        jw_double(w, t->execution_time, 6);
        jw_key(w, "input");
        jw_str(w, t->input);
        /* Seed 002's clients print this line. */
        msg = xasprintf("%s: %s -> Expected: %.200s%s",
                        t->passed ? "\xe2\x9c\x85 Test passed"
                                  : "\xe2\x9d\x8c Test failed",
                        t->input ? t->input : "(no input)",
                        t->expected ? t->expected : "(no expected output)",
                        t->ran ? "" : " (skipped)");
        jw_key(w, "message");
        jw_str(w, msg);
        free(msg);
        jw_obj_close(w);
    }
    jw_arr_close(w);
    out = xstrdup(jw_text(w, NULL));
    jw_free(w);
    return out;
}

static char *timings_json(const struct exec_result *res)
{
    return xasprintf("{\"queue_ms\":%.3f,\"sandbox_ms\":%.3f,"
                     "\"run_ms\":%.3f,\"total_ms\":%.3f}", res->queue_ms,
                     res->sandbox_ms, res->run_ms, res->total_ms);
}

/* The "error" field when the program wrote nothing to stderr. */
static void error_text(const struct job *job, struct exec_result *res)
{
    const struct run_result *r = &res->run;

    if (strcmp(res->status, "timeout") == 0)
        res->error_text = xasprintf("Execution timed out after %g s",
                                    job->timeout);
    else if (strcmp(res->status, "memory_limit") == 0)
        res->error_text = xasprintf("Memory limit of %ld MB exceeded",
                                    job->memory_mb);
    else if (strcmp(res->status, "killed") == 0)
        res->error_text = r->signal
            ? xasprintf("Killed by signal %d", r->signal)
            : xstrdup("The sandbox stopped unexpectedly");
    else if (r->error)
        res->error_text = xstrdup(r->error);
}

static void finish_record(struct exec_ctx *ctx, const struct job *job,
                          struct exec_result *res)
{
    struct run_result *r = &res->run;
    const char *tests = res->tests_json;
    char *timings = timings_json(res);
    const char *result_text = r->last_repr ? r->last_repr : r->out.data;
    size_t result_len = r->last_repr ? r->last_repr_len : r->out.len;
    struct exec_done d = {
        res->status, r->has_exit_code, r->exit_code, r->signal,
        buf_cstr(&r->out), r->out.len, buf_cstr(&r->err), r->err.len,
        result_text ? result_text : "", result_len, r->truncated,
        r->time_ms / 1000, res->error_text, tests, NULL, timings,
    };

    if (store_exec_finish(ctx->app->store, job->id, &d) < 0)
        log_err("execution %s: final record not written: %s", job->id,
                store_last_message(ctx->app->store));
    stats_count_execution(exec_status_index(res->status));
    free(timings);
}

static enum exec_fail session_fail(struct app *app, enum session_result sr)
{
    switch (sr) {
    case SESSION_OK:
        return EXEC_OK;
    case SESSION_BUSY:
        return EXEC_SESSION_BUSY;
    case SESSION_TOO_MANY:
        return EXEC_TOO_MANY_SESSIONS;
    case SESSION_DOCKER_DOWN:
        return EXEC_DOCKER_DOWN;
    case SESSION_NO_SANDBOX:
        return EXEC_NO_SANDBOX;
    default:
        return store_fail_class(app->store);
    }
}

static enum exec_fail pool_fail(struct app *app, enum pool_result pr)
{
    switch (pr) {
    case POOL_OK:
        return EXEC_OK;
    case POOL_DOCKER_DOWN:
        return EXEC_DOCKER_DOWN;
    case POOL_EXHAUSTED:
        return EXEC_NO_SANDBOX;
    default:
        return store_fail_class(app->store);
    }
}

/* In process isolation a runner serves one key only. */
static const char *pool_key(const struct exec_ctx *ctx)
{
    return ctx->app->conf->isolation == ISOLATION_PROCESS ? ctx->key->id
                                                          : NULL;
}

/* A sandbox for this call: the session's, or one from the pool. */
static enum exec_fail acquire(struct exec_ctx *ctx, const struct job *job,
                              struct lease *l, struct session_turn *turn,
                              double *waited)
{
    struct exec_result *res = ctx->res;
    struct app *app = ctx->app;
    enum exec_fail f;
    char err[ERR_LEN];

    if (job->session_id)
        f = session_fail(app, session_enter(app, ctx->key->id,
            job->session_id, job->memory_mb, turn, l, &res->session_created,
            &res->session_reset, waited, err));
    else
        f = pool_fail(app, pool_acquire(app, pool_key(ctx), job->memory_mb,
                                        l, waited, err));
    if (f != EXEC_OK)
        fail(res, f, "%s", err);
    return f;
}

static void release(struct exec_ctx *ctx, const struct job *job,
                    struct lease *l, struct session_turn *turn, bool healthy)
{
    struct app *app = ctx->app;

    if (job->session_id) {
        if (!healthy && l->name[0]) {
            /* A runner that broke the protocol or stalled is not trusted
             * with the session any longer. */
            store_pool_retire(app->store, l->name);
            pool_wake_keeper(app);
            ctx->res->session_reset = true;
        }
        session_leave(app, turn, ctx->key->id, job->session_id, true);
    } else if (l->name[0]) {
        pool_release(app, l, pool_key(ctx), healthy);
    }
}

/* Swaps a dead container of this call for a working one. */
static enum exec_fail replace_sandbox(struct exec_ctx *ctx,
                                      const struct job *job, struct lease *l)
{
    struct app *app = ctx->app;
    enum exec_fail f;
    double waited;
    char err[ERR_LEN];

    if (job->session_id) {
        f = session_fail(app, session_replace(app, ctx->key->id,
                         job->session_id, job->memory_mb, l, err));
        if (f == EXEC_OK)
            ctx->res->session_reset = !ctx->res->session_created;
    } else {
        pool_release(app, l, NULL, false);
        f = pool_fail(app, pool_acquire(app, pool_key(ctx), job->memory_mb,
                                        l, &waited, err));
        if (f != EXEC_OK)
            l->name[0] = '\0';  /* nothing held any more */
    }
    if (f == EXEC_OK && pool_fit_memory(app, l, job->memory_mb, err) < 0)
        f = EXEC_NO_SANDBOX;
    if (f != EXEC_OK)
        fail(ctx->res, f, "the sandbox was not running and no other "
             "could be had: %s", err);
    return f;
}

static void exec_new_of(struct exec_ctx *ctx, const struct job *job,
                        struct exec_new *e)
{
    memset(e, 0, sizeof(*e));
    e->id = job->id;
    e->key_id = ctx->key->id;
    e->session_id = job->session_id;
    e->request_id = ctx->request_id;
    e->language = job->language;
    e->code = job->code;
    e->code_len = job->code_len;
    e->stdin_data = job->stdin_data;
    e->stdin_len = job->stdin_len;
    e->timeout_ms = (long)(job->timeout * 1000);
    e->memory_mb = job->memory_mb;
    e->worker_pid = (int)getpid();
}

/* Records the job; false (res filled) when it may not run. */
static bool admit(struct exec_ctx *ctx, const struct job *job)
{
    struct exec_result *res = ctx->res;
    struct store *s = ctx->app->store;
    struct exec_new e;
    const char *which;
    int rc;

    exec_new_of(ctx, job, &e);
    if (res->fail == EXEC_UNSAFE) {
        rc = store_exec_blocked(s, &e, res->detail, res->violations_json);
        if (rc == 2)
            fail(res, EXEC_DUPLICATE, "execution_id %s is already used",
                 job->id);
        else if (rc < 0)
            log_err("recording blocked execution %s: %s", job->id,
                    store_last_message(s));
        else
            stats_count_execution(exec_status_index("blocked"));
        return false;
    }
    rc = store_exec_admit(s, &e, ctx->key->max_concurrent,
                          ctx->key->rate_per_minute, &which);
    if (rc == 0)
        return true;
    if (rc == 1 && strcmp(which, "concurrent") == 0)
        fail(res, EXEC_LIMITED, "this key already runs its maximum of %ld "
             "executions at once", ctx->key->max_concurrent);
    else if (rc == 1)
        fail(res, EXEC_LIMITED, "this key reached its limit of %ld "
             "executions per minute", ctx->key->rate_per_minute);
    else if (rc == 2)
        fail(res, EXEC_DUPLICATE, "execution_id %s is already used",
             job->id);
    else
        fail(res, store_fail_class(s), "database: %s",
             store_last_message(s));
    return false;
}

void execution_run(struct exec_ctx *ctx, const struct job *job,
                   struct exec_result *res)
{
    struct app *app = ctx->app;
    struct session_turn turn;
    struct lease l;
    enum runner_error e;
    double t0, waited = 0;
    bool healthy;
    char err[ERR_LEN];

    memset(res, 0, sizeof(*res));
    memset(&turn, 0, sizeof(turn));
    ctx->res = res;
    res->status = "failed";
    /* A blocked job is recorded too, by admit(). */
    policy_blocks(app, job, res);
    if (!admit(ctx, job))
        return;

    t0 = now_ms();
    if (acquire(ctx, job, &l, &turn, &waited) != EXEC_OK)
        goto failed;
    if (pool_fit_memory(app, &l, job->memory_mb, err) < 0) {
        log_warn("raising the memory of %s: %s", l.name, err);
        release(ctx, job, &l, &turn, false);
        fail(res, EXEC_NO_SANDBOX, "cannot give the sandbox %ld MB: %s",
             job->memory_mb, err);
        goto failed;
    }
    res->queue_ms = waited;
    res->sandbox_ms = now_ms() - t0 - waited;
    stats_observe(PHASE_QUEUE, res->queue_ms);
    stats_observe(PHASE_SANDBOX, res->sandbox_ms);
    store_exec_started(app->store, job->id, l.name);

    t0 = now_ms();
    for (int attempt = 1; ; attempt++) {
        e = run_once(app, job, &l, job->code, job->code_len,
                     job->stdin_data, job->stdin_len, job->session_id != NULL,
                     &res->run, &res->status, err);
        if (e != RUNNER_DOWN || attempt == 3)
            break;
        /* The container died while idle (nothing ran): take another. */
        run_result_release(&res->run);
        log_warn("%s was not running: %s", l.name, err);
        if (replace_sandbox(ctx, job, &l) != EXEC_OK)
            break;
    }
    if (e == RUNNER_DOWN) {
        /* Nothing ran: the client may simply retry. */
        release(ctx, job, &l, &turn, false);
        if (!res->fail)
            fail(res, stats_get()->docker_up == 0 ? EXEC_DOCKER_DOWN
                 : EXEC_NO_SANDBOX, "the sandbox was not running: %s", err);
        goto failed;
    }
    healthy = e == RUNNER_OK;
    if (res->run.session_reset)
        res->session_reset = true;
    if (job->n_tests)
        run_tests(ctx, job, &l, &healthy);
    res->run_ms = now_ms() - t0;
    release(ctx, job, &l, &turn, healthy);
    stats_observe(PHASE_RUN, res->run_ms);

    store_files(ctx, job, res);
    if (!res->error_text)
        error_text(job, res);
    res->total_ms = now_ms() - ctx->t_start;
    stats_observe(PHASE_TOTAL, res->total_ms);
    if (res->n_tests)
        res->tests_json = tests_json(res);
    finish_record(ctx, job, res);
    return;
failed: {
        struct exec_done d = { "failed", false, 0, 0, NULL, 0, NULL, 0,
                               NULL, 0, false, 0, res->detail, NULL, NULL,
                               NULL };

        store_exec_finish(app->store, job->id, &d);
        stats_count_execution(exec_status_index("failed"));
    }
}

void exec_result_release(struct exec_result *res)
{
    free(res->violations_json);
    run_result_release(&res->run);
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

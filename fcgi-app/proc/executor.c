/* executor.c - an async executor.
 *
 * Theory of operation
 *
 * POST /executions stores the request body in async_queue with its
 * record ('queued') and pokes the executors' eventfd.  Each executor
 * claims the next row in one transaction (keys take turns), parses the
 * body again, runs it with execution_run() exactly as a worker runs
 * /execute (same pool, same sandbox, same record), and deletes the row.
 * Between claims it sleeps in ppoll on the eventfd: a submission wakes
 * it at once and an idle one costs nothing.  It also wakes every
 * SWEEP_MS to give back the claims of an executor that died (its
 * started executions end 'interrupted'), a net for what the eventfd
 * can't say.  When the pool is shared by a queue (SPEC 8), the wait for
 * a sandbox happens inside execution_run(), as for any worker.
 */
#include "config.h"
#include "proc/executor.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/notify.h"
#include "base/util.h"
#include "docker/docker.h"
#include "exec/execution.h"
#include "exec/execution_request.h"
#include "proc/signals.h"
#include "sandbox/app.h"
#include "sandbox/queue.h"
#include "store/store.h"
#include "store/store_async.h"
#include "store/store_executions.h"
#include "store/store_keys.h"

#define SWEEP_MS 10000
/* How long an executor that found no sandbox waits before trying again. */
#define RETRY_MS 1000

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
    UNUSED(sig);
    stop = 1;
}

/* A body that no longer parses (config changed since): failed. */
static void fail_unparsable(struct app *app, const char *key_id,
                            const char *id, const char *why)
{
    /* Whether it had a callback_url is in the record, not here. */
    struct execution_done d = { .status = "failed", .error = why,
                                .callback = true };

    log_warn("async execution %s can't run: %s", id, why);
    store_execution_finish(app->store, key_id, id, &d);
    notify_ended_bump();
    notify_poke(NOTIFY_DELIVERER);
}

/* Runs the claimed execution; false when it could not start for want
 * of a sandbox, so it stays queued. */
static bool run_claimed(struct app *app, const struct async_claim *cl)
{
    struct principal key;
    struct execution_request er;
    struct execution_result res;
    char err[ERR_LEN];
    struct json *body = json_parse(cl->body, strlen(cl->body), err);
    struct execution_ctx ctx = {
        .app = app, .key = &key, .request_id = cl->execution_id,
        .t_start = now_ms(), .base_url = cl->base_url, .is_queued = true,
        .keep_result = true,
    };
    bool ran;

    memset(&key, 0, sizeof(key));
    snprintf(key.id, sizeof(key.id), "%s", cl->key_id);
    if (!body || execution_request_parse(body, app->conf, &er, err)
        != RESULT_OK) {
        fail_unparsable(app, cl->key_id, cl->execution_id, err);
        if (body)
            execution_request_release(&er);
        json_free(body);
        return true;
    }
    /* The id was fixed when it was accepted, chosen or not. */
    snprintf(er.id, sizeof(er.id), "%s", cl->execution_id);
    execution_run(&ctx, &er, &res);
    ran = !execution_result_retryable(&res);
    if (res.result != RESULT_OK)
        log_info("async execution %s did not run%s: %s", er.id,
                 ran ? "" : " yet", res.detail);
    execution_result_release(&res);
    execution_request_release(&er);
    json_free(body);
    return ran;
}

/* Sleeps until poked, SWEEP_MS passes or SIGTERM. */
static void wait_for_work(const sigset_t *open_mask)
{
    struct pollfd pfd = { notify_fd(NOTIFY_EXECUTORS), POLLIN, 0 };
    struct timespec ts = { SWEEP_MS / 1000, 0 };

    if (ppoll(&pfd, 1, &ts, open_mask) > 0)
        notify_drain(NOTIFY_EXECUTORS);
}

/* Sleeps ms, or less if SIGTERM comes. */
static void pause_ms(const sigset_t *open_mask, long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    ppoll(NULL, 0, &ts, open_mask);
}

static void sweep(struct store *s)
{
    int n = store_async_recover(s, false);

    if (n > 0) {
        log_warn("%d async execution(s) were running in an executor that "
                 "stopped: marked interrupted", n);
        notify_ended_bump();
        notify_poke(NOTIFY_DELIVERER);
    }
}

void executor_run(const struct executor_args *a)
{
    static const int term[] = { SIGTERM, 0 };
    static const int ignored[] = { SIGPIPE, SIGHUP, SIGUSR1, 0 };
    static const int reset[] = { SIGCHLD, SIGINT, 0 };
    struct app app;
    sigset_t open_mask;
    char err[ERR_LEN];
    double last_sweep = 0;

    log_set_role("executor");
    prctl(PR_SET_NAME, "pyexec-executor");
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    signals_set(term, on_term);
    signals_set(ignored, SIG_IGN);
    signals_set(reset, SIG_DFL);
    signals_block(term, NULL);
    signals_waiting(term, &open_mask);
    memset(&app, 0, sizeof(app));
    app.conf = a->conf;
    app.policy = a->policy;
    app.slot = -1;
    app.keeper_wake_fd = a->wake_fd;
    app.store = store_open(a->conf->database, a->conf->busy_timeout_ms,
                           false, err);
    if (!app.store) {
        log_err("database: %s", err);
        _exit(3);
    }
    queue_wake_fd();    /* before any execution: no cancel's poke is lost */
    while (!stop) {
        struct async_claim cl;
        struct timespec now = { 0, 0 };
        int rc;

        /* A SIGTERM that came during a run is taken here, so a drain
         * leaves the rest of the queue for the next start. */
        ppoll(NULL, 0, &now, &open_mask);
        if (stop)
            break;

        if (now_ms() - last_sweep >= SWEEP_MS) {
            sweep(app.store);
            last_sweep = now_ms();
        }
        rc = store_async_claim(app.store, (int)getpid(), &cl);
        if (rc < 0)
            log_warn("claiming async work: %s",
                     store_last_message(app.store));
        if (rc == 1 && !run_claimed(&app, &cl)) {
            /* No sandbox now: give it back and let the pool recover. */
            store_async_unclaim(app.store, cl.scoped_id);
            free(cl.body);
            pause_ms(&open_mask, RETRY_MS);
            continue;
        }
        if (rc == 1) {
            if (store_async_done(app.store, cl.scoped_id) < 0)
                log_err("async execution %s: queue row not removed: %s",
                        cl.execution_id, store_last_message(app.store));
            free(cl.body);
            continue;
        }
        wait_for_work(&open_mask);
    }
    docker_close(app.docker);
    store_close(app.store);
    log_debug("executor exiting");
    _exit(0);
}

/* pool.c - see pool.h.  The keeper fills the pool; this file only claims
 * and returns.  With pool_min_idle = 0 (pool disabled) a worker makes
 * its own container for each request, which is the seeds' cold-start
 * design kept for comparison and for tiny hosts. */
#include "config.h"
#include "sandbox/pool.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/log.h"
#include "base/stats.h"
#include "base/util.h"
#include "sandbox/app.h"
#include "sandbox/queue.h"
#include "store/store.h"
#include "store/store_pool.h"

struct claim_ctx {
    struct app *app;
    const char *key;
    bool heavy;
    struct lease *out;
};

void pool_lease_fill(struct lease *l, const struct pool_container *pc)
{
    snprintf(l->name, sizeof(l->name), "%s", pc->name);
    snprintf(l->docker_id, sizeof(l->docker_id), "%s", pc->docker_id);
    l->memory_mb = pc->memory_mb;
    l->uses = pc->uses;
    l->cold = false;
}

static int try_claim(void *arg)
{
    struct claim_ctx *cc = arg;
    struct pool_container pc;
    int rc = store_pool_claim(cc->app->store, (int)getpid(), cc->key,
                              cc->heavy, &pc);

    if (rc == 1)
        pool_lease_fill(cc->out, &pc);
    return rc;
}

/* Pool disabled: this request makes, starts and waits for its own
 * container. */
static enum result cold_start(struct app *app, long memory_mb, bool heavy,
                              struct lease *out, char *err)
{
    struct docker *d = app_docker(app);
    const struct conf *c = app->conf;
    struct sandbox_spec spec = { store_instance_id(app->store), out->name,
                                 memory_mb, heavy, false };

    if (!d) {
        err_set(err, "cannot open the Docker client");
        return RESULT_DOCKER_DOWN;
    }
    memset(out, 0, sizeof(*out));
    sandbox_new_name(spec.instance, out->name);
    out->memory_mb = memory_mb;
    out->cold = true;
    if (store_pool_insert(app->store, out->name, memory_mb, "claimed",
                          heavy) < 0
        || store_pool_set_state(app->store, out->name, "claimed") < 0) {
        err_set(err, "database: %s", store_last_message(app->store));
        return store_last_error(app->store);
    }
    if (sandbox_create(d, c, &spec, out->docker_id, err) < 0)
        goto fail;
    store_pool_set_docker_id(app->store, out->name, out->docker_id);
    /* A request waits less for its container than the keeper does. */
    if (sandbox_wait_ready(d, c, out->name, out->docker_id,
                           SANDBOX_READY_MS_REQUEST, err) < 0)
        goto fail;
    stats_add(&stats_get()->containers_created, 1);
    return RESULT_OK;
fail:
    stats_add(&stats_get()->docker_errors, 1);
    store_pool_retire(app->store, out->name);
    app_wake_keeper(app);
    return docker_last_unreachable(d) ? RESULT_DOCKER_DOWN
                                      : RESULT_NO_SANDBOX;
}

enum result pool_unavailable(void)
{
    return stats_get()->docker_up == 0 ? RESULT_DOCKER_DOWN
                                       : RESULT_NO_SANDBOX;
}

/* The request's place in the shared queue (sandbox/queue.h): only the
 * head claims; everyone else sleeps until a ticket leaves or the pool
 * gains a container. */
static enum result wait_turn(struct app *app, struct claim_ctx *cc,
                             double deadline, char *err)
{
    const struct conf *c = app->conf;
    struct queue_ticket t;
    enum queue_wake why;

    if (queue_enter(app->queue_key, c->queue_max, &t) < 0) {
        err_set(err, "%ld requests are waiting for a sandbox already "
                "(queue_max)", c->queue_max);
        return pool_unavailable();
    }
    app_wake_keeper(app);       /* it makes a container per waiter */
    do {
        if (queue_is_head(&t)) {
            int rc = try_claim(cc);

            if (rc != 0) {
                queue_leave(&t, QUEUE_WOKEN, rc == 1);
                return rc == 1 ? RESULT_OK : store_last_error(app->store);
            }
            if (stats_get()->docker_up == 0) {
                queue_leave(&t, QUEUE_TIMEOUT, false);
                err_set(err, "Docker is unreachable; no sandbox can start");
                return RESULT_DOCKER_DOWN;
            }
        }
        why = queue_sleep(&t, deadline, app->client_fd);
        if (why == QUEUE_WOKEN && app_cancelled(app)) {
            queue_leave(&t, QUEUE_CLIENT_GONE, false);
            err_set(err, "cancelled while waiting for a sandbox");
            return RESULT_CANCELLED;
        }
    } while (why == QUEUE_WOKEN);
    queue_leave(&t, why, false);
    if (why == QUEUE_CLIENT_GONE)
        err_set(err, "the client closed its connection while queued");
    else
        err_set(err, "no sandbox became free within %g s (queue_wait; "
                "pool_max %ld)", c->queue_wait, c->pool_max);
    return pool_unavailable();
}

enum result pool_acquire(struct app *app, const char *key, long memory_mb,
                         bool heavy, struct lease *out, double *waited_ms,
                         char *err)
{
    const struct conf *c = app->conf;
    struct claim_ctx cc = { app, key, heavy, out };
    double start = now_ms();
    enum result r;
    int rc;

    *waited_ms = 0;
    stats_add(heavy ? &stats_get()->demand_heavy : &stats_get()->demand_light,
              1);
    /* Fast path: nobody is queueing and a container is idle. */
    if (queue_depth() == 0) {
        rc = try_claim(&cc);
        if (rc < 0) {
            err_set(err, "database: %s", store_last_message(app->store));
            return store_last_error(app->store);
        }
        if (rc == 1) {
            queue_note_served();
            goto got;
        }
    }
    if (c->pool_min_idle == 0)
        return cold_start(app, memory_mb, heavy, out, err);
    if (stats_get()->docker_up == 0) {
        err_set(err, "Docker is unreachable; no sandbox can start");
        return RESULT_DOCKER_DOWN;
    }
    r = wait_turn(app, &cc, start + c->queue_wait * 1000, err);
    *waited_ms = now_ms() - start;
    if (r != RESULT_OK) {
        if (r != RESULT_NO_SANDBOX && r != RESULT_DOCKER_DOWN
            && r != RESULT_CANCELLED)
            err_set(err, "database: %s", store_last_message(app->store));
        return r;
    }
got:
    /* The pool shrank by one: the keeper makes a replacement. */
    app_wake_keeper(app);
    return RESULT_OK;
}

int pool_fit_memory(struct app *app, struct lease *l, long memory_mb,
                    char *err)
{
    struct docker *d;

    if (memory_mb <= l->memory_mb)
        return 0;
    d = app_docker(app);
    if (!d || sandbox_set_memory(d, l->docker_id, memory_mb, err) < 0)
        return -1;
    l->memory_mb = memory_mb;
    store_pool_set_memory(app->store, l->name, memory_mb);
    return 0;
}

void pool_release(struct app *app, const struct lease *l, const char *key,
                  bool healthy)
{
    const struct conf *c = app->conf;

    if (healthy && key && !l->cold && l->uses + 1 < c->reuse_max) {
        store_pool_return(app->store, l->name, key);
        queue_kick();           /* the head may be of this key */
    } else
        store_pool_retire(app->store, l->name);
    app_wake_keeper(app);
}

void pool_kill(struct app *app, const struct lease *l)
{
    struct docker *d = app_docker(app);
    char err[ERR_LEN];

    if (d && docker_kill(d, l->docker_id, "KILL", err) < 0)
        log_warn("killing %s: %s", l->name, err);
    store_pool_retire(app->store, l->name);
    app_wake_keeper(app);
}

bool pool_oom_killed(struct app *app, const struct lease *l)
{
    struct docker *d = app_docker(app);

    return d && sandbox_oom_killed(d, l->docker_id);
}

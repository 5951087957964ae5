/* session.c - see session.h. */
#include "config.h"
#include "session.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "conf.h"
#include "log.h"
#include "sandbox.h"
#include "store.h"
#include "store_pool.h"
#include "store_sessions.h"
#include "util.h"

static int turn_ready(void *arg)
{
    UNUSED(arg);
    return 1;                   /* at the head: the session is ours */
}

static int take_turn(struct app *app, const char *key_id, const char *id,
                     long wait_ms, struct session_turn *turn)
{
    int rc;

    snprintf(turn->queue, sizeof(turn->queue), SESSION_QUEUE_FMT, key_id,
             id);
    turn->held = false;
    rc = pool_queue_wait(app, turn->queue, now_ms() + (double)wait_ms,
                         turn_ready, NULL, &turn->seq);
    turn->held = rc == 1;
    return rc;
}

static void drop_turn(struct app *app, struct session_turn *turn)
{
    if (turn->held)
        store_wait_leave(app->store, turn->seq);
    turn->held = false;
}

/* A container from the pool becomes this session's. */
static enum session_result new_container(struct app *app, const char *key_id,
                                         const char *id, long memory_mb,
                                         bool insert, struct lease *l,
                                         char *err)
{
    double waited;
    enum pool_result pr = pool_acquire(app, NULL, memory_mb, l, &waited,
                                       err);

    if (pr == POOL_EXHAUSTED)
        return SESSION_NO_SANDBOX;
    if (pr == POOL_DOCKER_DOWN)
        return SESSION_DOCKER_DOWN;
    if (pr != POOL_OK)
        return SESSION_DB_ERROR;
    if (store_pool_set_state(app->store, l->name, "session") < 0
        || (insert ? store_session_insert(app->store, key_id, id, l->name,
                                          l->memory_mb)
                   : store_session_set_container(app->store, key_id, id,
                                                 l->name, l->memory_mb))
           < 0) {
        err_set(err, "database: %s", store_last_message(app->store));
        store_pool_retire(app->store, l->name);
        return SESSION_DB_ERROR;
    }
    return SESSION_OK;
}

enum session_result session_enter(struct app *app, const char *key_id,
                                  const char *id, long memory_mb,
                                  struct session_turn *turn, struct lease *l,
                                  bool *created, bool *reset,
                                  double *waited_ms, char *err)
{
    const struct conf *c = app->conf;
    struct session_row row;
    struct pool_container pc;
    double start = now_ms();
    enum session_result res;
    int rc;

    *created = *reset = false;
    memset(l, 0, sizeof(*l));
    rc = take_turn(app, key_id, id, c->session_wait_ms, turn);
    *waited_ms = now_ms() - start;
    if (rc < 0)
        goto db_error;
    if (rc == 0) {
        err_set(err, "session %s is busy: an earlier call did not finish "
                "within %ld ms", id, c->session_wait_ms);
        return SESSION_BUSY;
    }
    rc = store_session_get(app->store, key_id, id, &row);
    if (rc < 0)
        goto db_error;
    if (rc == 0) {
        int n = store_session_count(app->store);

        if (n < 0)
            goto db_error;
        if (n >= c->max_sessions) {
            err_set(err, "max_sessions (%ld) sessions are open; release one "
                    "or wait for idle ones to be reclaimed", c->max_sessions);
            drop_turn(app, turn);
            return SESSION_TOO_MANY;
        }
        res = new_container(app, key_id, id, memory_mb, true, l, err);
        if (res != SESSION_OK)
            drop_turn(app, turn);
        *created = res == SESSION_OK;
        return res;
    }
    rc = row.container[0] ? store_pool_get(app->store, row.container, &pc)
                          : 0;
    if (rc < 0)
        goto db_error;
    if (rc == 0 || strcmp(pc.state, "session") != 0
        || !sandbox_socket_exists(c, row.container)) {
        /* Its container is gone (removed, or died while we were down):
         * the state is lost, the session goes on in a fresh one. */
        if (rc == 1 && strcmp(pc.state, "session") == 0)
            store_pool_retire(app->store, row.container);
        *reset = true;
        res = new_container(app, key_id, id, memory_mb, false, l, err);
        if (res != SESSION_OK)
            drop_turn(app, turn);
        return res;
    }
    snprintf(l->name, sizeof(l->name), "%s", pc.name);
    snprintf(l->docker_id, sizeof(l->docker_id), "%s", pc.docker_id);
    l->memory_mb = pc.memory_mb;
    l->uses = pc.uses;
    return SESSION_OK;
db_error:
    err_set(err, "database: %s", store_last_message(app->store));
    drop_turn(app, turn);
    return SESSION_DB_ERROR;
}

enum session_result session_replace(struct app *app, const char *key_id,
                                    const char *id, long memory_mb,
                                    struct lease *l, char *err)
{
    store_pool_retire(app->store, l->name);
    pool_wake_keeper(app);
    return new_container(app, key_id, id, memory_mb, false, l, err);
}

void session_leave(struct app *app, struct session_turn *turn,
                   const char *key_id, const char *id, bool ran)
{
    if (ran)
        store_session_touch(app->store, key_id, id);
    drop_turn(app, turn);
}

int session_release(struct app *app, const char *key_id, const char *id,
                    char *err)
{
    struct session_turn turn;
    struct session_row row;
    struct pool_container pc;
    int rc, alive = 0;

    rc = take_turn(app, key_id, id, app->conf->session_wait_ms, &turn);
    if (rc <= 0) {
        err_set(err, rc < 0 ? "database error" : "session is busy");
        return -1;
    }
    rc = store_session_get(app->store, key_id, id, &row);
    if (rc == 1) {
        if (row.container[0]
            && store_pool_get(app->store, row.container, &pc) == 1) {
            struct docker *d = app_docker(app);
            struct docker_state st;
            char derr[ERR_LEN];

            alive = d && docker_inspect(d, pc.docker_id, &st, derr) == 0
                && st.running;
            /* Destroyed now, so the caller can rely on it being gone. */
            if (d && sandbox_destroy(d, app->conf, pc.name, pc.docker_id,
                                     derr) == 0)
                store_pool_delete(app->store, pc.name);
            else
                store_pool_retire(app->store, pc.name);
        }
        store_session_delete(app->store, key_id, id);
        pool_wake_keeper(app);
    }
    drop_turn(app, &turn);
    if (rc < 0) {
        err_set(err, "database: %s", store_last_message(app->store));
        return -1;
    }
    /* A session whose container had died is reported gone. */
    return rc == 1 && alive ? 1 : 0;
}

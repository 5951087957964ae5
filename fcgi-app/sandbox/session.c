/* session.c - see session.h. */
#include "config.h"
#include "sandbox/session.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/log.h"
#include "base/util.h"
#include "sandbox/app.h"
#include "sandbox/sandbox.h"
#include "store/store.h"
#include "store/store_pool.h"
#include "store/store_sessions.h"

/* The session's turns are a queue of their own in the shared area
 * (sandbox/queue.h): woken, not polled; a caller that hangs up leaves. */
static enum result take_turn(struct app *app, const char *key_id,
                             const char *id, struct session_turn *turn)
{
    double deadline = now_ms() + (double)app->conf->session_wait_ms;
    enum queue_wake why;

    snprintf(turn->queue, sizeof(turn->queue), SESSION_QUEUE_FMT, key_id,
             id);
    turn->held = false;
    if (queue_enter_named(turn->queue, key_id, QUEUE_SLOTS,
                          &turn->ticket) < 0)
        return RESULT_BUSY;
    while (!queue_is_head(&turn->ticket)) {
        why = queue_sleep(&turn->ticket, deadline, app->client_fd);
        if (why != QUEUE_WOKEN) {
            queue_leave(&turn->ticket, why, false);
            return RESULT_BUSY;
        }
    }
    turn->held = true;
    return RESULT_OK;
}

static void drop_turn(struct app *app, struct session_turn *turn)
{
    UNUSED(app);
    if (turn->held)
        queue_leave(&turn->ticket, QUEUE_WOKEN, true);
    turn->held = false;
}

/* The database failed: err says so; the turn is given up. */
static enum result db_failed(struct app *app, struct session_call *sc,
                             char *err)
{
    enum result r = store_last_error(app->store);

    err_set(err, "database: %s", store_last_message(app->store));
    drop_turn(app, &sc->turn);
    return r;
}

/* A container from the pool becomes this session's. */
static enum result new_container(struct app *app, struct session_call *sc,
                                 bool insert, char *err)
{
    struct lease *l = sc->lease;
    double waited;
    /* A session's calls run in the heavy interpreter. */
    enum result r = pool_acquire(app, NULL, sc->memory_mb, true, l, &waited,
                                 err);

    if (r != RESULT_OK)
        return r;
    if (store_pool_set_state(app->store, l->name, "session") < 0
        || (insert ? store_session_insert(app->store, sc->key_id, sc->id,
                                          l->name, l->memory_mb)
                   : store_session_set_container(app->store, sc->key_id,
                                                 sc->id, l->name,
                                                 l->memory_mb)) < 0) {
        r = store_last_error(app->store);
        err_set(err, "database: %s", store_last_message(app->store));
        store_pool_retire(app->store, l->name);
        return r;
    }
    return RESULT_OK;
}

/* No such session yet: it starts, unless max_sessions are open. */
static enum result start_session(struct app *app, struct session_call *sc,
                                 char *err)
{
    const struct conf *c = app->conf;
    int n = store_session_count(app->store);
    enum result r;

    if (n < 0)
        return db_failed(app, sc, err);
    if (n >= c->max_sessions) {
        err_set(err, "max_sessions (%ld) sessions are open; release one "
                "or wait for idle ones to be reclaimed", c->max_sessions);
        drop_turn(app, &sc->turn);
        return RESULT_TOO_MANY_SESSIONS;
    }
    r = new_container(app, sc, true, err);
    if (r != RESULT_OK)
        drop_turn(app, &sc->turn);
    sc->created = r == RESULT_OK;
    return r;
}

enum result session_enter(struct app *app, struct session_call *sc,
                          char *err)
{
    struct session_row row;
    struct pool_container pc;
    double start = now_ms();
    enum result r;
    int rc;

    sc->created = sc->reset = false;
    memset(sc->lease, 0, sizeof(*sc->lease));
    r = take_turn(app, sc->key_id, sc->id, &sc->turn);
    sc->waited_ms = now_ms() - start;
    if (r == RESULT_BUSY)
        err_set(err, "session %s is busy: an earlier call did not finish "
                "within %ld ms", sc->id, app->conf->session_wait_ms);
    else if (r != RESULT_OK)
        err_set(err, "database: %s", store_last_message(app->store));
    if (r != RESULT_OK)
        return r;
    rc = store_session_get(app->store, sc->key_id, sc->id, &row);
    if (rc == 0)
        return start_session(app, sc, err);
    if (rc == 1 && row.container[0])
        rc = store_pool_get(app->store, row.container, &pc);
    else if (rc == 1)
        rc = 0;
    if (rc < 0)
        return db_failed(app, sc, err);
    if (rc == 0 || strcmp(pc.state, "session") != 0
        || !sandbox_socket_exists(app->conf, row.container)) {
        /* Its container is gone (removed, or died while we were down):
         * the state is lost, the session goes on in a fresh one. */
        if (rc == 1 && strcmp(pc.state, "session") == 0)
            store_pool_retire(app->store, row.container);
        sc->reset = true;
        r = new_container(app, sc, false, err);
        if (r != RESULT_OK)
            drop_turn(app, &sc->turn);
        return r;
    }
    pool_lease_fill(sc->lease, &pc);
    return RESULT_OK;
}

enum result session_replace(struct app *app, struct session_call *sc,
                            char *err)
{
    store_pool_retire(app->store, sc->lease->name);
    app_wake_keeper(app);
    return new_container(app, sc, false, err);
}

void session_leave(struct app *app, struct session_call *sc, bool healthy)
{
    if (!healthy && sc->lease->name[0]) {
        store_pool_retire(app->store, sc->lease->name);
        app_wake_keeper(app);
        sc->reset = true;
    }
    store_session_touch(app->store, sc->key_id, sc->id);
    drop_turn(app, &sc->turn);
}

/* Destroys the container of a session being released; true when it was
 * running (a session whose container had died is reported gone). */
static bool destroy_container(struct app *app, const char *name)
{
    struct pool_container pc;
    struct docker *d;
    struct docker_state st;
    char err[ERR_LEN];
    bool alive;

    if (!name[0] || store_pool_get(app->store, name, &pc) != 1)
        return false;
    d = app_docker(app);
    alive = d && docker_inspect(d, pc.docker_id, &st, err) == 0
        && st.running;
    /* Destroyed now, so the caller can rely on it being gone. */
    if (d && sandbox_destroy(d, app->conf, pc.name, pc.docker_id, err) == 0)
        store_pool_delete(app->store, pc.name);
    else
        store_pool_retire(app->store, pc.name);
    return alive;
}

enum result session_release(struct app *app, const char *key_id,
                            const char *id, char *err)
{
    struct session_turn turn;
    struct session_row row;
    bool alive = false;
    enum result r = take_turn(app, key_id, id, &turn);
    int rc;

    if (r != RESULT_OK) {
        err_set(err, r == RESULT_BUSY ? "session is busy"
                                      : "database error");
        return RESULT_BUSY;
    }
    rc = store_session_get(app->store, key_id, id, &row);
    if (rc == 1) {
        alive = destroy_container(app, row.container);
        store_session_delete(app->store, key_id, id);
        app_wake_keeper(app);
    }
    drop_turn(app, &turn);
    if (rc < 0) {
        err_set(err, "database: %s", store_last_message(app->store));
        return RESULT_BUSY;
    }
    return rc == 1 && alive ? RESULT_OK : RESULT_NOT_FOUND;
}

int session_inspect(struct app *app, const char *key_id, const char *id,
                    struct session_row *row, const char **container_state)
{
    struct pool_container pc;
    struct docker *d;
    struct docker_state st;
    char err[ERR_LEN];
    int rc = store_session_get(app->store, key_id, id, row);

    *container_state = "missing";
    if (rc != 1 || !row->container[0]
        || store_pool_get(app->store, row->container, &pc) != 1)
        return rc;
    d = app_docker(app);
    if (d && docker_inspect(d, pc.docker_id, &st, err) == 0)
        *container_state = !st.exists ? "missing" : st.running ? "running"
                                                               : "exited";
    else
        *container_state = "unknown";
    return rc;
}

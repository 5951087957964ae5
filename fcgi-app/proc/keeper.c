/* keeper.c - the pool keeper process.
 *
 * Theory of operation
 *
 * The containers table is the truth about every sandbox we made.  Workers
 * change rows in one statement each (claim, return, retire); the keeper
 * does everything slow:
 *
 * - fill: keep pool_min_idle unbound containers idle (plus one for each
 *   request queueing for one), never more than pool_max in all.  A row is
 *   inserted as 'creating' before Docker is asked, so a crash can't leak.
 * - remove: 'retiring' rows (used containers, broken ones, released
 *   sessions) are removed from Docker, then from the table.
 * - reap: a 'claimed' row whose worker died is retired and the worker's
 *   executions are marked 'interrupted'; its queue tickets are dropped.
 * - sessions idle past session_idle_timeout are ended.
 * - orphans: any container labelled with our instance id that the table
 *   doesn't know is removed (at start, every minute and at stop).
 * - Docker down: the idle pool is retired (those containers can't be
 *   trusted after a daemon restart), /health and workers see docker_up = 0,
 *   and everything refills when the daemon answers again.
 * - retention: records older than retention_days are purged hourly.
 *
 * Slow Docker calls run on a few creator threads, each with its own Docker
 * client and database connection; the main thread only decides.  SIGTERM
 * (shutdown) removes the whole pool but leaves session containers, so
 * sessions survive a restart; SIGUSR1 (config roll) leaves everything.
 */
#include "config.h"
#include "proc/keeper.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/log.h"
#include "base/notify.h"
#include "base/stats.h"
#include "base/util.h"
#include "docker/docker.h"
#include "proc/signals.h"
#include "sandbox/demand.h"
#include "sandbox/queue.h"
#include "sandbox/sandbox.h"
#include "store/store.h"
#include "store/store_executions.h"
#include "store/store_pool.h"
#include "store/store_sessions.h"

#define THREADS 4
#define MAX_TASKS 1024
/* The keeper's Docker calls wait less than the default: a stuck call
 * must not hold up the pings and the pool for long. */
#define KEEPER_DOCKER_TIMEOUT_MS 10000
#define PING_EVERY_MS 1000
#define ORPHANS_EVERY_MS 60000
#define PURGE_EVERY_MS 3600000
/* How long SIGTERM waits for the pool's containers to go. */
#define SHUTDOWN_MS 30000

enum task_kind { TASK_CREATE, TASK_REMOVE };

struct task {
    enum task_kind kind;
    char name[SANDBOX_NAME_LEN];
    char docker_id[DOCKER_ID_LEN + 8];
    long memory_mb;
    bool heavy;
};

static const struct conf *cfg;
static char instance[40];
static volatile sig_atomic_t stop_sig;

/* The task queue and the names being worked on (so a retiring row is
 * not queued twice). */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct task queue[MAX_TASKS];
static int q_head, q_len, in_flight;
static bool threads_stop;
static char busy_names[MAX_TASKS][SANDBOX_NAME_LEN];
static int n_busy;

const int keeper_stop_signals[] = { SIGTERM, SIGUSR1, 0 };

static void on_stop(int sig)
{
    if (stop_sig != SIGTERM)    /* removing the pool is never undone */
        stop_sig = sig;
}

static bool name_busy_locked(const char *name)
{
    for (int i = 0; i < n_busy; i++)
        if (strcmp(busy_names[i], name) == 0)
            return true;
    return false;
}

static void name_done_locked(const char *name)
{
    for (int i = 0; i < n_busy; i++)
        if (strcmp(busy_names[i], name) == 0) {
            memcpy(busy_names[i], busy_names[--n_busy], SANDBOX_NAME_LEN);
            return;
        }
}

/* Queues t unless its container is already being worked on. */
static bool push_task(const struct task *t)
{
    bool queued = false;

    pthread_mutex_lock(&mu);
    if (q_len < MAX_TASKS && n_busy < MAX_TASKS
        && !name_busy_locked(t->name)) {
        queue[(q_head + q_len++) % MAX_TASKS] = *t;
        memcpy(busy_names[n_busy++], t->name, SANDBOX_NAME_LEN);
        pthread_cond_signal(&cv);
        queued = true;
    }
    pthread_mutex_unlock(&mu);
    return queued;
}

static void do_create(struct docker *d, struct store *s, struct task *t)
{
    /* In process isolation a container serves many executions: one made
     * heavy preloads before the pool takes it.  In container isolation
     * light code may take it at once, and then stops the preloading. */
    struct sandbox_spec spec = { instance, t->name, t->memory_mb, t->heavy,
                                 cfg->isolation == ISOLATION_PROCESS };
    char err[ERR_LEN];
    double t0 = now_ms();

    if (sandbox_create(d, cfg, &spec, t->docker_id, err) < 0)
        goto fail;
    store_pool_set_docker_id(s, t->name, t->docker_id);
    if (sandbox_wait_ready(d, cfg, t->name, t->docker_id,
                           SANDBOX_READY_MS_POOL, err) < 0)
        goto fail;
    if (store_pool_set_ready(s, t->name) < 0) {
        err_set(err, "database: %s", store_last_message(s));
        goto fail;
    }
    queue_kick();               /* the queue's head can have it */
    stats_add(&stats_get()->containers_created, 1);
    log_debug("container %s ready in %.0f ms", t->name, now_ms() - t0);
    return;
fail:
    stats_add(&stats_get()->docker_errors, 1);
    log_warn("creating %s: %s", t->name, err);
    /* Retire rather than delete: the removal is retried until Docker
     * confirms, so nothing is leaked. */
    store_pool_retire(s, t->name);
    if (docker_last_unreachable(d))
        sleep_ms(500);
}

static void do_remove(struct docker *d, struct store *s, struct task *t)
{
    char err[ERR_LEN];

    if (sandbox_destroy(d, cfg, t->name, t->docker_id, err) < 0) {
        stats_add(&stats_get()->docker_errors, 1);
        log_warn("removing %s: %s", t->name, err);
        return;                 /* still retiring: tried again later */
    }
    store_pool_delete(s, t->name);
    stats_add(&stats_get()->containers_removed, 1);
}

static void *thread_main(void *arg)
{
    struct docker *d;
    struct store *s;
    char err[ERR_LEN];

    UNUSED(arg);
    d = docker_open(cfg->docker_host, err);
    s = store_open(cfg->database, cfg->busy_timeout_ms, false, err);
    if (!d || !s) {
        log_err("keeper thread: %s", err);
        docker_close(d);
        store_close(s);
        return NULL;
    }
    for (;;) {
        struct task t;

        pthread_mutex_lock(&mu);
        while (!q_len && !threads_stop)
            pthread_cond_wait(&cv, &mu);
        if (threads_stop) {
            pthread_mutex_unlock(&mu);
            break;
        }
        t = queue[q_head];
        q_head = (q_head + 1) % MAX_TASKS;
        q_len--;
        in_flight++;
        pthread_mutex_unlock(&mu);
        if (t.kind == TASK_CREATE)
            do_create(d, s, &t);
        else
            do_remove(d, s, &t);
        pthread_mutex_lock(&mu);
        in_flight--;
        name_done_locked(t.name);
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
    }
    docker_close(d);
    store_close(s);
    return NULL;
}

static int pending_tasks(void)
{
    int n;

    pthread_mutex_lock(&mu);
    n = q_len + in_flight;
    pthread_mutex_unlock(&mu);
    return n;
}

/* ---- decisions (main thread) ---- */

struct keeper {
    struct store *s;
    struct docker *d;
    bool docker_up;
    double next_ping, next_orphans, next_purge;
    struct demand demand;       /* which kind to make next */
};

static void queue_removal(const struct pool_container *c, void *arg)
{
    struct task t;

    UNUSED(arg);
    memset(&t, 0, sizeof(t));
    t.kind = TASK_REMOVE;
    snprintf(t.name, sizeof(t.name), "%s", c->name);
    snprintf(t.docker_id, sizeof(t.docker_id), "%s", c->docker_id);
    push_task(&t);
}

static bool pid_dead(int pid)
{
    return pid > 0 && kill(pid, 0) < 0 && errno == ESRCH;
}

static void reap_claim(const struct pool_container *c, void *arg)
{
    struct store *s = arg;
    int n;

    if (!pid_dead(c->claimed_by))
        return;
    n = store_execution_interrupt_pid(s, c->claimed_by);
    log_warn("worker %d died holding %s: %d execution(s) interrupted",
             c->claimed_by, c->name, n);
    if (n > 0)
        notify_ended_bump();    /* long polls and webhooks see it */
    store_pool_retire(s, c->name);
}

/* Workers that died queueing (the master dropped their places): their
 * executions won't finish. */
static void interrupt_dead_waiters(struct store *s)
{
    pid_t pids[16];
    int n = queue_take_dead(pids, 16);

    for (int i = 0; i < n; i++)
        if (store_execution_interrupt_pid(s, (int)pids[i]) > 0)
            log_warn("worker %d died queueing: its execution is marked "
                     "interrupted", (int)pids[i]);
}

static void end_idle_session(const struct session_row *r, void *arg)
{
    struct store *s = arg;
    char turns[256];

    /* A call in flight (or waiting) holds the session's queue: not idle,
     * however long ago the last call ended. */
    snprintf(turns, sizeof(turns), SESSION_QUEUE_FMT, r->key_id, r->id);
    if (queue_count(turns) != 0)
        return;
    log_info("session %s of %s idle since %lld: reclaimed", r->id, r->key_id,
             (long long)r->last_used_at);
    if (r->container[0])
        store_pool_retire(s, r->container);
    store_session_delete(s, r->key_id, r->id);
}

static void fill(struct keeper *k)
{
    const struct stats *st = stats_get();
    struct pool_counts pc;
    int waiting = queue_depth();
    int live, want, heavy_have, all_wanted;

    if (store_pool_count(k->s, &pc) < 0 || waiting < 0)
        return;
    demand_follow(&k->demand,
                  __atomic_load_n(&st->demand_light, __ATOMIC_RELAXED),
                  __atomic_load_n(&st->demand_heavy, __ATOMIC_RELAXED));
    heavy_have = pc.idle_heavy + pc.creating_heavy;
    all_wanted = (int)cfg->pool_min_idle + waiting;
    live = pc.total - pc.retiring;
    if (pc.idle >= cfg->pool_min_idle)
        stats_get()->pool_initialized = 1;
    want = (int)cfg->pool_min_idle + waiting - pc.idle - pc.creating;
    while (want > 0) {
        struct task t;

        if (live >= cfg->pool_max) {
            struct pool_container old;

            /* Room for an unbound container: evict the key-bound one
             * used least recently (process isolation). */
            if (store_pool_evict_oldest_owned(k->s, &old) != 1)
                break;
            live--;
            continue;
        }
        memset(&t, 0, sizeof(t));
        t.kind = TASK_CREATE;
        t.memory_mb = cfg->default_memory_mb;
        t.heavy = demand_next_heavy(&k->demand, heavy_have, all_wanted,
                                    cfg->isolation == ISOLATION_PROCESS);
        sandbox_new_name(instance, t.name);
        if (store_pool_insert(k->s, t.name, t.memory_mb, "creating",
                              t.heavy) < 0)
            break;
        if (!push_task(&t)) {
            store_pool_delete(k->s, t.name);
            break;
        }
        live++;
        want--;
        heavy_have += t.heavy;
    }
}

struct orphan_ctx {
    struct keeper *k;
    int removed;
};

static void orphan_cb(const struct docker_container *c, void *arg)
{
    struct orphan_ctx *oc = arg;
    struct pool_container pc;
    char err[ERR_LEN];

    if (store_pool_get(oc->k->s, c->name, &pc) != 0)
        return;                 /* ours and known (or the db failed) */
    /* Not in the table: a leftover of a crash.  Rows are inserted before
     * containers are created, so this can't be one being made now. */
    if (sandbox_destroy(oc->k->d, cfg, c->name, c->id, err) == 0)
        oc->removed++;
    else
        log_warn("removing orphan %s: %s", c->name, err);
}

static void sweep_orphans(struct keeper *k)
{
    struct orphan_ctx oc = { k, 0 };
    char label[96], err[ERR_LEN];

    sandbox_label(instance, label, sizeof(label));
    if (docker_list(k->d, label, orphan_cb, &oc, err) < 0) {
        log_warn("listing containers: %s", err);
        return;
    }
    if (oc.removed)
        log_info("removed %d orphaned container(s)", oc.removed);
}

/* Sessions whose container is gone are reported gone (404), not 500. */
static void check_session(const struct session_row *r, void *arg)
{
    struct keeper *k = arg;
    struct pool_container pc;
    struct docker_state st;
    char err[ERR_LEN];
    bool alive = false;

    if (r->container[0] && store_pool_get(k->s, r->container, &pc) == 1
        && docker_inspect(k->d, pc.docker_id, &st, err) == 0)
        alive = st.running;
    if (!alive) {
        log_info("session %s lost its container while pyexec was down",
                 r->id);
        if (r->container[0])
            store_pool_retire(k->s, r->container);
        store_session_delete(k->s, r->key_id, r->id);
    }
}

static void ping(struct keeper *k)
{
    char err[ERR_LEN];
    bool up = docker_ping(k->d, err) == 0;

    if (up != k->docker_up) {
        if (up)
            log_info("Docker is reachable");
        else
            log_err("Docker is unreachable: %s", err);
    }
    if (!up && k->docker_up) {
        /* The idle pool can't be trusted across a daemon outage. */
        store_pool_retire_unbound(k->s, false);
    }
    k->docker_up = up;
    stats_get()->docker_up = up;
}

/* A 'creating' row nobody works on (its keeper died mid-create) is
 * retired, which also removes whatever Docker made of it. */
static void stale_create(const struct pool_container *c, void *arg)
{
    struct store *s = arg;
    bool busy;

    if (wall_ms() - c->created_at < SANDBOX_READY_MS_POOL + 10000)
        return;
    pthread_mutex_lock(&mu);
    busy = name_busy_locked(c->name);
    pthread_mutex_unlock(&mu);
    if (!busy)
        store_pool_retire(s, c->name);
}

static void tick(struct keeper *k)
{
    double now = now_ms();

    if (now >= k->next_ping) {
        ping(k);
        k->next_ping = now + PING_EVERY_MS;
    }
    store_pool_each(k->s, "claimed", reap_claim, k->s);
    interrupt_dead_waiters(k->s);
    store_session_each(k->s, wall_ms() - cfg->session_idle_timeout * 1000,
                       end_idle_session, k->s);
    if (!k->docker_up)
        return;
    store_pool_each(k->s, "creating", stale_create, k->s);
    store_pool_each(k->s, "retiring", queue_removal, NULL);
    fill(k);
    if (now >= k->next_orphans) {
        sweep_orphans(k);
        k->next_orphans = now + ORPHANS_EVERY_MS;
    }
    if (now >= k->next_purge && cfg->retention_days > 0) {
        long n = store_execution_purge(k->s, wall_ms()
                                       - cfg->retention_days * 86400000LL);

        if (n > 0)
            log_info("purged %ld execution record(s) older than %ld days", n,
                     cfg->retention_days);
        k->next_purge = now + PURGE_EVERY_MS;
    }
}

/* SIGTERM: remove the pool, keep the sessions' containers. */
static void shutdown_pool(struct keeper *k)
{
    double deadline = now_ms() + SHUTDOWN_MS;

    store_pool_retire_unbound(k->s, true);
    while (now_ms() < deadline) {
        int n = store_pool_each(k->s, "retiring", queue_removal, NULL);

        if (n <= 0 && pending_tasks() == 0)
            break;
        sleep_ms(20);
    }
    /* No creation is in flight any more: whatever Docker still holds
     * under our label and the table doesn't know (a create that answered
     * after its timeout) goes too. */
    if (pending_tasks() == 0)
        sweep_orphans(k);
}

void keeper_run(const struct keeper_args *a)
{
    struct keeper k;
    pthread_t threads[THREADS];
    char err[ERR_LEN];

    log_set_role("keeper");
    prctl(PR_SET_NAME, "pyexec-keeper");
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    cfg = a->conf;
    signals_set(keeper_stop_signals, on_stop);
    signals_unblock(keeper_stop_signals);
    memset(&k, 0, sizeof(k));
    demand_init(&k.demand);
    k.s = store_open(cfg->database, cfg->busy_timeout_ms, false, err);
    k.d = k.s ? docker_open(cfg->docker_host, err) : NULL;
    if (!k.s || !k.d) {
        log_err("keeper: %s", err);
        _exit(3);
    }
    snprintf(instance, sizeof(instance), "%s", store_instance_id(k.s));
    docker_set_timeout(k.d, KEEPER_DOCKER_TIMEOUT_MS);
    ping(&k);
    /* The master has marked what was in flight (master.c, recover). */
    if (a->fresh_start && k.docker_up)
        store_session_each(k.s, 0, check_session, &k);
    for (int i = 0; i < THREADS; i++)
        pthread_create(&threads[i], NULL, thread_main, NULL);
    k.next_ping = now_ms() + PING_EVERY_MS;
    while (!stop_sig) {
        struct pollfd pfd = { a->wake_fd, POLLIN, 0 };
        char drain[256];

        tick(&k);
        if (poll(&pfd, 1, 100) > 0)
            while (read(a->wake_fd, drain, sizeof(drain)) > 0)
                ;
    }
    if (stop_sig == SIGTERM && k.docker_up)
        shutdown_pool(&k);
    pthread_mutex_lock(&mu);
    threads_stop = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    /* Creations never started: drop their rows (removals stay queued in
     * the table as 'retiring' for the next keeper). */
    for (int i = 0; i < q_len; i++) {
        const struct task *t = &queue[(q_head + i) % MAX_TASKS];

        if (t->kind == TASK_CREATE)
            store_pool_delete(k.s, t->name);
    }
    docker_close(k.d);
    store_close(k.s);
    log_debug("keeper exiting");
    _exit(0);
}

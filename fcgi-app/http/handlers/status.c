/* status.c - GET /status: the pool in seed 001's words (total_workers,
 * busy_workers, idle_workers_in_pool, is_initializing) plus sessions,
 * FastCGI workers, executions served and uptime. */
#include "config.h"

#include "base/conf.h"
#include "base/json.h"
#include "base/stats.h"
#include "base/util.h"
#include "http/handlers/common.h"
#include "http/handlers/handlers.h"
#include "http/request.h"
#include "http/response.h"
#include "sandbox/queue.h"
#include "store/store.h"
#include "store/store_async.h"
#include "store/store_pool.h"
#include "store/store_sessions.h"

/* The sandbox queue (SPEC §8) and the worker pool's bounds. */
static void queue_fields(struct jw *w, const struct conf *c,
                         struct store *s)
{
    struct queue_status q;

    queue_get_status(&q);
    jw_kv_int(w, "queue_depth", q.depth);
    jw_key(w, "queue_oldest_wait_ms");
    jw_double(w, q.oldest_wait_ms, 0);
    jw_key(w, "queue_drain_per_s");
    jw_double(w, q.drain_per_s, 2);
    jw_kv_int(w, "queue_max", c->queue_max);
    jw_kv_int(w, "workers_max", c->workers_max);
    /* POST /executions waiting for an executor (SPEC §9). */
    jw_kv_int(w, "async_queued", store_async_waiting(s));
}

void handle_status(struct request *rq)
{
    struct stats *st = stats_get();
    struct pool_counts pc;
    int sessions, fcgi_busy = 0, fcgi_total = 0;
    struct jw *w;

    sessions = store_session_count(rq->store);
    if (sessions < 0 || store_pool_count(rq->store, &pc) < 0) {
        respond_db_error(rq);
        return;
    }
    for (int i = 0; i < STATS_MAX_WORKERS - 1; i++) {
        int s = __atomic_load_n(&st->workers[i].state, __ATOMIC_ACQUIRE);

        if (s != WORKER_FREE)
            fcgi_total++;
        if (s == WORKER_BUSY)
            fcgi_busy++;
    }
    w = jw_new();
    jw_obj_open(w);
    jw_key(w, "total_workers");
    jw_int(w, pc.idle + pc.idle_owned + pc.claimed + pc.session);
    jw_kv_int(w, "busy_workers", pc.claimed + pc.session);
    jw_kv_int(w, "idle_workers_in_pool", pc.idle + pc.idle_owned);
    /* Unbound idle containers that preload numpy, pandas and matplotlib
     * (the others are light: issue 15). */
    jw_kv_int(w, "idle_heavy", pc.idle_heavy);
    jw_kv_bool(w, "is_initializing", !st->pool_initialized);
    jw_kv_int(w, "starting_workers", pc.creating);
    jw_kv_int(w, "sessions", sessions);
    jw_kv_int(w, "max_sessions", rq->conf->max_sessions);
    jw_kv_int(w, "pool_min_idle", rq->conf->pool_min_idle);
    jw_kv_int(w, "pool_max", rq->conf->pool_max);
    jw_key(w, "isolation");
    jw_str(w, rq->conf->isolation == ISOLATION_PROCESS ? "process"
                                                       : "container");
    jw_key(w, "docker");
    jw_str(w, st->docker_up > 0 ? "connected" : st->docker_up < 0
                                               ? "unknown" : "unreachable");
    jw_kv_int(w, "fcgi_workers", fcgi_total);
    jw_kv_int(w, "fcgi_workers_busy", fcgi_busy);
    jw_key(w, "executions_served");
    jw_int(w, (long long)__atomic_load_n(&st->executions_served,
                                         __ATOMIC_RELAXED));
    jw_key(w, "uptime_seconds");
    jw_double(w, (double)(wall_ms() - st->started_ms) / 1000, 1);
    queue_fields(w, rq->conf, rq->store);
    jw_obj_close(w);
    response_json(rq, RESULT_OK, w);
}

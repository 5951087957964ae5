/* metrics.c - GET /metrics in the Prometheus text format: requests by
 * route and status, executions by status, latency histograms of the queue,
 * sandbox acquisition, run and total phases, pool and session gauges,
 * Docker errors. */
#include "config.h"

#include <string.h>

#include "base/buf.h"
#include "base/conf.h"
#include "base/stats.h"
#include "base/util.h"
#include "exec/execution.h"
#include "http/handlers/handlers.h"
#include "http/request.h"
#include "http/response.h"
#include "sandbox/queue.h"
#include "store/store.h"
#include "store/store_async.h"
#include "store/store_pool.h"
#include "store/store_sessions.h"

static uint64_t load(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void requests(struct buf *b, const struct stats *st)
{
    buf_append_str(b, "# HELP pyexec_http_requests_total HTTP requests by "
                   "route and status.\n"
                   "# TYPE pyexec_http_requests_total counter\n");
    for (size_t r = 0; r < STATS_MAX_ROUTES; r++) {
        const char *name = r < route_table_len ? route_table[r].name
                         : r == STATS_MAX_ROUTES - 1 ? "unrouted" : NULL;

        if (!name)
            continue;
        for (int c = 0; c < STATS_N_CODES; c++) {
            uint64_t n = load(&st->requests[r][c]);

            if (n)
                buf_appendf(b, "pyexec_http_requests_total{route=\"%s\","
                            "code=\"%s%d\"} %llu\n", name,
                            stats_codes[c] ? "" : "other",
                            stats_codes[c] ? stats_codes[c] : 0,
                            (unsigned long long)n);
        }
    }
}

static void executions(struct buf *b, const struct stats *st)
{
    buf_append_str(b, "# HELP pyexec_executions_total Executions by final "
                   "status.\n# TYPE pyexec_executions_total counter\n");
    for (int i = 0; i < EXECUTION_N_STATUSES; i++)
        buf_appendf(b, "pyexec_executions_total{status=\"%s\"} %llu\n",
                    execution_statuses[i],
                    (unsigned long long)load(&st->executions[i]));
}

static void histograms(struct buf *b, const struct stats *st)
{
    static const char *phases[PHASE_COUNT] = {
        "queue", "sandbox", "run", "total"
    };

    buf_append_str(b, "# HELP pyexec_execution_phase_seconds Time spent per "
                   "phase of an execution.\n"
                   "# TYPE pyexec_execution_phase_seconds histogram\n");
    for (int p = 0; p < PHASE_COUNT; p++) {
        const struct stats_hist *h = &st->latency[p];
        uint64_t cum = 0;

        for (int k = 0; k < STATS_N_BUCKETS; k++) {
            cum += load(&h->buckets[k]);
            if (k == STATS_N_BUCKETS - 1)
                buf_appendf(b, "pyexec_execution_phase_seconds_bucket{"
                            "phase=\"%s\",le=\"+Inf\"} %llu\n", phases[p],
                            (unsigned long long)cum);
            else
                buf_appendf(b, "pyexec_execution_phase_seconds_bucket{"
                            "phase=\"%s\",le=\"%g\"} %llu\n", phases[p],
                            stats_bucket_ms[k] / 1000,
                            (unsigned long long)cum);
        }
        buf_appendf(b, "pyexec_execution_phase_seconds_sum{phase=\"%s\"} "
                    "%.6f\n", phases[p], (double)load(&h->sum_us) / 1e6);
        buf_appendf(b, "pyexec_execution_phase_seconds_count{phase=\"%s\"} "
                    "%llu\n", phases[p], (unsigned long long)load(&h->count));
    }
}

static void queue_metrics(struct buf *b)
{
    struct queue_status q;

    queue_get_status(&q);
    buf_appendf(b, "# HELP pyexec_queue_depth Requests waiting for a "
                "sandbox.\n# TYPE pyexec_queue_depth gauge\n"
                "pyexec_queue_depth %d\n"
                "# TYPE pyexec_queue_oldest_wait_seconds gauge\n"
                "pyexec_queue_oldest_wait_seconds %.3f\n"
                "# HELP pyexec_queue_drain_per_second Sandboxes handed out "
                "per second over the last 10 s.\n"
                "# TYPE pyexec_queue_drain_per_second gauge\n"
                "pyexec_queue_drain_per_second %.3f\n"
                "# TYPE pyexec_queue_left_total counter\n"
                "pyexec_queue_left_total{reason=\"served\"} %llu\n"
                "pyexec_queue_left_total{reason=\"timeout\"} %llu\n"
                "pyexec_queue_left_total{reason=\"client_gone\"} %llu\n"
                "pyexec_queue_left_total{reason=\"full\"} %llu\n",
                q.depth, q.oldest_wait_ms / 1000, q.drain_per_s,
                (unsigned long long)q.served,
                (unsigned long long)q.timed_out,
                (unsigned long long)q.abandoned,
                (unsigned long long)q.rejected);
}

static void gauges(struct buf *b, struct request *rq, const struct stats *st)
{
    struct pool_counts pc;
    int busy = 0, idle = 0;

    for (int i = 0; i < STATS_MAX_WORKERS - 1; i++) {
        int s = __atomic_load_n(&st->workers[i].state, __ATOMIC_ACQUIRE);

        busy += s == WORKER_BUSY;
        idle += s == WORKER_IDLE;
    }
    buf_appendf(b, "# TYPE pyexec_fcgi_workers gauge\n"
                "pyexec_fcgi_workers{state=\"busy\"} %d\n"
                "pyexec_fcgi_workers{state=\"idle\"} %d\n", busy, idle);
    if (store_pool_count(rq->store, &pc) == 0)
        buf_appendf(b, "# TYPE pyexec_pool_containers gauge\n"
                    "pyexec_pool_containers{state=\"creating\"} %d\n"
                    "pyexec_pool_containers{state=\"idle\"} %d\n"
                    "pyexec_pool_containers{state=\"idle_bound\"} %d\n"
                    "pyexec_pool_containers{state=\"claimed\"} %d\n"
                    "pyexec_pool_containers{state=\"session\"} %d\n"
                    "pyexec_pool_containers{state=\"retiring\"} %d\n"
                    "# TYPE pyexec_pool_idle_heavy gauge\n"
                    "pyexec_pool_idle_heavy %d\n",
                    pc.creating, pc.idle, pc.idle_owned, pc.claimed,
                    pc.session, pc.retiring, pc.idle_heavy);
    buf_appendf(b, "# TYPE pyexec_sessions gauge\npyexec_sessions %d\n",
                store_session_count(rq->store));
    buf_appendf(b, "# TYPE pyexec_docker_up gauge\npyexec_docker_up %d\n"
                "# TYPE pyexec_docker_errors_total counter\n"
                "pyexec_docker_errors_total %llu\n"
                "# TYPE pyexec_containers_created_total counter\n"
                "pyexec_containers_created_total %llu\n"
                "# TYPE pyexec_containers_removed_total counter\n"
                "pyexec_containers_removed_total %llu\n"
                "# TYPE pyexec_uptime_seconds gauge\n"
                "pyexec_uptime_seconds %.1f\n",
                st->docker_up > 0,
                (unsigned long long)load(&st->docker_errors),
                (unsigned long long)load(&st->containers_created),
                (unsigned long long)load(&st->containers_removed),
                (double)(wall_ms() - st->started_ms) / 1000);
}

/* The database's size and the free space of the data dir's disk. */
static void storage(struct buf *b, struct request *rq)
{
    int64_t v;
    long queued = store_async_waiting(rq->store);

    if (queued >= 0)
        buf_appendf(b, "# HELP pyexec_async_queued POST /executions "
                    "waiting for an executor.\n"
                    "# TYPE pyexec_async_queued gauge\n"
                    "pyexec_async_queued %ld\n", queued);

    if (store_size(rq->store, &v) == 1)
        buf_appendf(b, "# HELP pyexec_database_bytes Size of the SQLite "
                    "database.\n# TYPE pyexec_database_bytes gauge\n"
                    "pyexec_database_bytes %lld\n", (long long)v);
    if (disk_free_bytes(rq->conf->data_dir, &v) == 0)
        buf_appendf(b, "# HELP pyexec_disk_free_bytes Free space on the "
                    "data dir's disk.\n# TYPE pyexec_disk_free_bytes gauge\n"
                    "pyexec_disk_free_bytes %lld\n"
                    "# TYPE pyexec_disk_min_free_bytes gauge\n"
                    "pyexec_disk_min_free_bytes %lld\n", (long long)v,
                    (long long)rq->conf->min_free_disk_mb << 20);
}

void handle_metrics(struct request *rq)
{
    struct stats *st = stats_get();
    struct buf b = BUF_INIT(0);

    requests(&b, st);
    executions(&b, st);
    histograms(&b, st);
    gauges(&b, rq, st);
    queue_metrics(&b);
    storage(&b, rq);
    response_send(rq, 200, "text/plain; version=0.0.4; charset=utf-8",
                  b.data, b.len);
    buf_release(&b);
}

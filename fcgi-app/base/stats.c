/* stats.c - see stats.h. */
#include "config.h"
#include "base/stats.h"

#include <string.h>
#include <sys/mman.h>

#include "base/util.h"

const double stats_bucket_ms[STATS_N_BUCKETS] = {
    1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000,
    120000, 1e300,
};

const int stats_codes[STATS_N_CODES] = {
    200, 204, 400, 401, 403, 404, 405, 409, 413, 429, 500, 502, 503, 504,
    507, 0,
};

/* Before stats_create (tools, tests) counters go to a private area, so
 * callers never check for NULL. */
static struct stats private_area;
static struct stats *shared = &private_area;

struct stats *stats_create(void)
{
    shared = xmap_shared(sizeof(*shared), "the shared counters");
    shared->started_ms = wall_ms();
    shared->docker_up = -1;     /* unknown until the keeper's first ping */
    return shared;
}

struct stats *stats_get(void)
{
    return shared;
}

void stats_add(uint64_t *counter, uint64_t n)
{
    __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

uint64_t stats_key_hash(const char *key_id)
{
    uint64_t h = 14695981039346656037ULL;       /* FNV-1a */

    for (; *key_id; key_id++)
        h = (h ^ (unsigned char)*key_id) * 1099511628211ULL;
    return h ? h : 1;
}

void stats_worker_streams(int slot, uint64_t key)
{
    if (slot >= 0 && slot < STATS_MAX_WORKERS)
        __atomic_store_n(&shared->workers[slot].stream_of, key,
                         __ATOMIC_RELEASE);
}

int stats_streams_of(uint64_t key)
{
    int n = 0;

    for (int i = 0; i < STATS_MAX_WORKERS; i++)
        n += __atomic_load_n(&shared->workers[i].state, __ATOMIC_ACQUIRE)
                 == WORKER_BUSY
             && __atomic_load_n(&shared->workers[i].stream_of,
                                __ATOMIC_ACQUIRE) == key;
    return n;
}

void stats_worker_set(int slot, pid_t pid, enum worker_state st)
{
    struct stats_worker *w;

    if (slot < 0 || slot >= STATS_MAX_WORKERS)
        return;
    w = &shared->workers[slot];
    w->pid = pid;
    if (st != WORKER_BUSY)      /* a stream ends with its request */
        __atomic_store_n(&w->stream_of, 0, __ATOMIC_RELEASE);
    if (st == WORKER_BUSY) {
        w->busy_since_ms = wall_ms();
        stats_add(&w->requests, 1);
    }
    __atomic_store_n(&w->state, (int)st, __ATOMIC_RELEASE);
}

void stats_count_request(int route, int status)
{
    int code = STATS_N_CODES - 1;

    if (route < 0 || route >= STATS_MAX_ROUTES)
        route = STATS_MAX_ROUTES - 1;
    for (int i = 0; i < STATS_N_CODES - 1; i++)
        if (stats_codes[i] == status)
            code = i;
    stats_add(&shared->requests[route][code], 1);
}

void stats_count_execution(int status_index)
{
    if (status_index < 0 || status_index >= 16)
        return;
    stats_add(&shared->executions[status_index], 1);
    stats_add(&shared->executions_served, 1);
}

void stats_observe(enum stats_phase phase, double ms)
{
    struct stats_hist *h;
    int b = 0;

    h = &shared->latency[phase];
    while (b < STATS_N_BUCKETS - 1 && ms > stats_bucket_ms[b])
        b++;
    stats_add(&h->buckets[b], 1);
    stats_add(&h->count, 1);
    stats_add(&h->sum_us, ms > 0 ? (uint64_t)(ms * 1000) : 0);
}

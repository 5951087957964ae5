/* stats.h - counters shared by the master, workers and keeper through one
 * anonymous MAP_SHARED mapping made before the first fork.  Updates are
 * atomic adds, so no lock is needed; readers see a consistent-enough
 * snapshot for /status and /metrics. */
#ifndef PYEXEC_STATS_H
#define PYEXEC_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define STATS_MAX_WORKERS 512
#define STATS_MAX_ROUTES 32
#define STATS_N_CODES 16
#define STATS_N_BUCKETS 16

enum stats_phase { PHASE_QUEUE, PHASE_SANDBOX, PHASE_RUN, PHASE_TOTAL,
                   PHASE_COUNT };
enum worker_state { WORKER_FREE, WORKER_IDLE, WORKER_BUSY };

struct stats_worker {
    pid_t pid;
    int state;                  /* enum worker_state */
    uint64_t requests;
    int64_t busy_since_ms;
    uint64_t stream_of;         /* the key (stats_key_hash) whose event
                                 * stream it serves; 0: none */
};

struct stats_hist {
    uint64_t buckets[STATS_N_BUCKETS];      /* cumulative on output only */
    uint64_t count;
    uint64_t sum_us;
};

struct stats {
    int64_t started_ms;
    uint64_t executions_served;
    struct stats_worker workers[STATS_MAX_WORKERS];
    uint64_t requests[STATS_MAX_ROUTES][STATS_N_CODES];
    uint64_t executions[16];                /* by status index */
    struct stats_hist latency[PHASE_COUNT];
    uint64_t docker_errors;
    uint64_t containers_created, containers_removed;
    /* Containers asked for, by kind: the keeper makes each kind of warm
     * container in proportion to these (container isolation). */
    uint64_t demand_light, demand_heavy;
    int pool_initialized;       /* the pool reached pool_min_idle once */
    int docker_up;              /* keeper's last ping: 1 up, 0 down,
                                 * -1 not yet */
};

/* Upper bounds of the latency buckets, in ms (the last is +Inf). */
extern const double stats_bucket_ms[STATS_N_BUCKETS];
/* HTTP codes that have their own counter; others count as the last. */
extern const int stats_codes[STATS_N_CODES];

/* Maps the shared area; call once in the master before forking. */
struct stats *stats_create(void);
/* The shared area, or a private one before stats_create: never NULL. */
struct stats *stats_get(void);

void stats_worker_set(int slot, pid_t pid, enum worker_state st);
/* A key, for the counters: a hash of its id, never 0. */
uint64_t stats_key_hash(const char *key_id);
/* The worker in slot serves an event stream of key, until it is next
 * set idle. */
void stats_worker_streams(int slot, uint64_t key);
/* How many workers serve event streams of key now. */
int stats_streams_of(uint64_t key);
void stats_count_request(int route, int status);
void stats_count_execution(int status_index);
void stats_observe(enum stats_phase phase, double ms);
void stats_add(uint64_t *counter, uint64_t n);

#endif

/* health.c - GET /health: the database answers a real query, Docker
 * answers a real ping, and how the pool stands.  Public: load balancers
 * call it without a key. */
#include "config.h"

#include "base/conf.h"
#include "base/json.h"
#include "base/stats.h"
#include "base/util.h"
#include "http/handlers/handlers.h"
#include "http/request.h"
#include "http/response.h"
#include "sandbox/app.h"
#include "store/store.h"
#include "store/store_pool.h"

/* A hung daemon must not hang health checks. */
#define HEALTH_DOCKER_TIMEOUT_MS 2000

/* The disk of the data dir and the database on it.  Low (unhealthy)
 * under min_free_disk_mb: outputs are then not stored. */
struct disk {
    int64_t free_bytes;         /* -1: unknown */
    int64_t floor;
    int64_t db_bytes;           /* -1: unknown */
    bool low;
};

static void disk_read(struct request *rq, bool db_ok, struct disk *d)
{
    d->floor = (int64_t)rq->conf->min_free_disk_mb << 20;
    if (disk_free_bytes(rq->conf->data_dir, &d->free_bytes) < 0)
        d->free_bytes = -1;
    d->low = d->free_bytes >= 0 && d->free_bytes < d->floor;
    if (!db_ok || store_size(rq->store, &d->db_bytes) != 1)
        d->db_bytes = -1;
}

static void disk_write(const struct disk *d, struct jw *w)
{
    jw_key(w, "disk");
    jw_obj_open(w);
    jw_kv_str(w, "status", d->free_bytes < 0 ? "unknown"
                           : d->low ? "low" : "ok");
    jw_kv_int(w, "free_bytes", (long long)d->free_bytes);
    jw_kv_int(w, "min_free_bytes", (long long)d->floor);
    jw_kv_int(w, "database_bytes", (long long)d->db_bytes);
    jw_obj_close(w);
}

void handle_health(struct request *rq)
{
    char db_err[ERR_LEN] = "", docker_err[ERR_LEN] = "";
    bool db_ok = store_ping(rq->store, db_err) == 0;
    bool docker_ok = app_docker_ping(rq->app, HEALTH_DOCKER_TIMEOUT_MS,
                                     docker_err) == 0;
    struct disk dk;
    bool healthy;
    struct pool_counts pc;
    struct jw *w = jw_new();

    disk_read(rq, db_ok, &dk);
    healthy = db_ok && docker_ok && !dk.low;
    jw_obj_open(w);
    jw_kv_str(w, "status", healthy ? "healthy" : "unhealthy");
    jw_kv_str(w, "docker", docker_ok ? "connected" : "unreachable");
    if (!docker_ok) {
        jw_kv_str(w, "docker_error", docker_err);
    }
    jw_kv_str(w, "database", db_ok ? "ok" : "error");
    if (!db_ok) {
        jw_kv_str(w, "database_error", db_err);
    }
    disk_write(&dk, w);
    if (db_ok && store_pool_count(rq->store, &pc) == 0) {
        jw_key(w, "pool");
        jw_obj_open(w);
        jw_kv_int(w, "idle", pc.idle + pc.idle_owned);
        jw_kv_int(w, "starting", pc.creating);
        jw_kv_int(w, "busy", pc.claimed);
        jw_kv_int(w, "sessions", pc.session);
        jw_kv_int(w, "min_idle", rq->conf->pool_min_idle);
        jw_kv_int(w, "max", rq->conf->pool_max);
        jw_obj_close(w);
    }
    jw_obj_close(w);
    response_json(rq, healthy ? RESULT_OK : RESULT_UNHEALTHY, w);
}

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

void handle_health(struct request *rq)
{
    char db_err[ERR_LEN] = "", docker_err[ERR_LEN] = "";
    bool db_ok = store_ping(rq->store, db_err) == 0;
    bool docker_ok = app_docker_ping(rq->app, HEALTH_DOCKER_TIMEOUT_MS,
                                     docker_err) == 0;
    bool healthy = db_ok && docker_ok;
    struct pool_counts pc;
    struct jw *w = jw_new();

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

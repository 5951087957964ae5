/* auth.c - see auth.h.  Plaintext keys are never stored or logged: the
 * table holds SHA-256 digests and lookups go by digest. */
#include "config.h"
#include "http/auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/conf.h"
#include "base/sha256.h"
#include "base/util.h"
#include "http/request.h"
#include "http/response.h"
#include "store/store.h"
#include "store/store_keys.h"

#define MAX_CONF_KEYS 64

static const struct conf *cfg;
static char conf_hashes[MAX_CONF_KEYS][2 * SHA256_LEN + 1];
static int n_conf_keys;

void auth_init(const struct conf *c)
{
    cfg = c;
    n_conf_keys = 0;
    if (!c->api_keys)
        return;
    char *copy = xstrdup(c->api_keys), *save = NULL;

    for (char *k = strtok_r(copy, ", \t", &save); k;
         k = strtok_r(NULL, ", \t", &save)) {
        if (n_conf_keys == MAX_CONF_KEYS)
            break;
        sha256_hex(k, strlen(k), conf_hashes[n_conf_keys++]);
    }
    free(copy);
}

void auth_release(void)
{
    n_conf_keys = 0;
    cfg = NULL;
}

const char *auth_key_from_request(const struct request *rq)
{
    const char *h = request_param(rq, "HTTP_AUTHORIZATION");

    if (h && strncasecmp(h, "Bearer ", 7) == 0) {
        h += 7;
        while (*h == ' ')
            h++;
        if (*h)
            return h;
    }
    h = request_param(rq, "HTTP_X_API_KEY");
    if (h && *h)
        return h;
    h = request_param(rq, "HTTP_X_AUTH_TOKEN");
    if (h && *h)
        return h;
    return NULL;
}

enum result auth_authenticate(struct request *rq, struct principal *p,
                              char *why)
{
    const char *key = auth_key_from_request(rq);
    char hash[2 * SHA256_LEN + 1];
    struct key_info ki;
    int rc;

    memset(p, 0, sizeof(*p));
    p->max_concurrent = cfg->key_max_concurrent;
    p->rate_per_minute = cfg->key_rate_per_minute;
    if (!key) {
        if (cfg->anonymous) {
            snprintf(p->id, sizeof(p->id), "anonymous");
            return RESULT_OK;
        }
        err_set(why, "missing API key: send Authorization: Bearer <key>, "
                "X-API-Key or X-Auth-Token");
        return RESULT_UNAUTHORIZED;
    }
    sha256_hex(key, strlen(key), hash);
    for (int i = 0; i < n_conf_keys; i++)
        if (ct_equal(hash, conf_hashes[i], 2 * SHA256_LEN)) {
            snprintf(p->id, sizeof(p->id), "cfg_%.12s", hash);
            return RESULT_OK;
        }
    rc = store_key_lookup(rq->store, hash, &ki);
    if (rc < 0) {
        err_set(why, "database: %s", store_last_message(rq->store));
        return RESULT_DB_BUSY;
    }
    if (rc == 0) {
        err_set(why, "invalid API key");
        return RESULT_UNAUTHORIZED;
    }
    snprintf(p->id, sizeof(p->id), "%s", ki.id);
    if (ki.max_concurrent >= 0)
        p->max_concurrent = ki.max_concurrent;
    if (ki.rate_per_minute >= 0)
        p->rate_per_minute = ki.rate_per_minute;
    return RESULT_OK;
}

static bool origin_listed(const char *origin)
{
    const char *list = cfg->allowed_origins;
    size_t n = strlen(origin);

    while (list && *list) {
        const char *comma = strchr(list, ',');
        const char *end = comma ? comma : list + strlen(list);

        while (list < end && (*list == ' ' || *list == '\t'))
            list++;
        while (end > list && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if ((size_t)(end - list) == n && strncasecmp(list, origin, n) == 0)
            return true;
        list = comma ? comma + 1 : NULL;
    }
    return false;
}

bool auth_origin_allowed(struct request *rq)
{
    const char *origin = request_param(rq, "HTTP_ORIGIN");

    if (!origin || !*origin)
        return true;            /* not a browser cross-origin call */
    if (strpbrk(origin, "\r\n"))
        return false;
    if (cfg->allowed_origins && !origin_listed(origin))
        return false;
    /* Without a list any origin may call, but without credentials (keys
     * travel in headers): "*", not an echo of whatever Origin came. */
    response_header(rq, "Access-Control-Allow-Origin",
                    cfg->allowed_origins ? origin : "*");
    response_header(rq, "Vary", "Origin");
    response_header(rq, "Access-Control-Expose-Headers",
                    "X-Request-Id, Retry-After");
    return true;
}

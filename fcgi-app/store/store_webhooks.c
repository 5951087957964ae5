/* store_webhooks.c - see store_webhooks.h. */
#include "config.h"
#include "store/store_webhooks.h"

#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/util.h"
#include "store/store_executions.h"
#include "store/store_int.h"

#define SECRET_BYTES 32

static void row_to_secret(sqlite3_stmt *st, void *out)
{
    store_col_copy(st, 0, out, WEBHOOK_SECRET_LEN);
}

int store_webhook_secret(struct store *s, const char *key_id, bool rotate,
                         char secret[WEBHOOK_SECRET_LEN])
{
    unsigned char raw[SECRET_BYTES];
    char *b64;
    int rc;

    random_bytes(raw, sizeof(raw));
    b64 = base64_encode(raw, sizeof(raw), NULL);
    rc = STORE_RUN(s, rotate
                   ? "INSERT OR REPLACE INTO webhook_secrets (key_id,"
                     " secret, created_at) VALUES (?, ?, ?)"
                   : "INSERT OR IGNORE INTO webhook_secrets (key_id,"
                     " secret, created_at) VALUES (?, ?, ?)",
                   V_TEXT(key_id), V_TEXT(b64), V_INT(wall_ms()));
    free(b64);
    if (rc < 0)
        return -1;
    rc = store_row(s, STORE_PREPARE(s, "SELECT secret FROM webhook_secrets"
                                       " WHERE key_id = ?", V_TEXT(key_id)),
                   row_to_secret, secret);
    return rc == 1 ? 0 : -1;
}

#define ADD_ENDED_SQL \
    "INSERT INTO webhook_deliveries (id, execution_id, key_id, url, state," \
    " next_at, created_at) SELECT 'msg_' || lower(hex(randomblob(16))),"   \
    " id, key_id, callback_url, 'pending', ?1, ?1 FROM executions e"       \
    " WHERE callback_url IS NOT NULL"                                      \
    " AND status NOT IN ('queued', 'running')"                             \
    " AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d"                  \
    " WHERE d.execution_id = e.id)"

int store_delivery_add_ended(struct store *s, const char *id)
{
    return STORE_RUN(s, ADD_ENDED_SQL " AND id = ?2", V_INT(wall_ms()),
                     V_TEXT(id));
}

int store_delivery_sweep(struct store *s)
{
    if (STORE_RUN(s, ADD_ENDED_SQL, V_INT(wall_ms())) < 0)
        return -1;
    return store_changes(s);
}

int store_delivery_unsend(struct store *s)
{
    return STORE_RUN(s, "UPDATE webhook_deliveries SET state = ?"
                        " WHERE state = 'sending'", V_TEXT("pending"));
}

#define DELIVERY(X, T) X(T, TEXT, id) X(T, TEXT, execution_id) \
    X(T, TEXT, key_id) X(T, TEXT, url) X(T, INT, attempts)
STORE_READER(read_delivery, struct delivery, DELIVERY)

static void row_to_delivery(sqlite3_stmt *st, void *out)
{
    struct delivery *d = out;

    read_delivery(st, out);
    d->payload = store_col_dup(st, 5);
}

int store_delivery_take(struct store *s, int64_t now_ms, int max,
                        struct delivery **out)
{
    bool ok;
    int n;

    *out = NULL;
    if (store_begin(s) < 0)
        return -1;
    n = store_rows(s, STORE_PREPARE(s, "SELECT id, "
                                       STORE_UNSCOPED_COL("execution_id")
                                       ", key_id,"
                                       " url, attempts, payload"
                                       " FROM webhook_deliveries"
                                       " WHERE state = 'pending'"
                                       " AND next_at <= ?"
                                       " ORDER BY next_at LIMIT ?",
                                    V_INT(now_ms), V_INT(max)),
                   sizeof(**out), row_to_delivery, (void **)out);
    ok = n >= 0;
    for (int i = 0; ok && i < n; i++)
        ok = STORE_RUN(s, "UPDATE webhook_deliveries SET state = 'sending'"
                          " WHERE id = ?", V_TEXT((*out)[i].id)) == 0;
    if (!ok || store_commit(s) < 0) {
        store_rollback(s);
        for (int i = 0; i < n; i++)
            free((*out)[i].payload);
        free(*out);
        *out = NULL;
        return -1;
    }
    return n;
}

int store_delivery_set_payload(struct store *s, const char *id,
                               const char *payload)
{
    return STORE_RUN(s, "UPDATE webhook_deliveries SET payload = ?"
                        " WHERE id = ?", V_TEXT(payload), V_TEXT(id));
}

int store_delivery_record(struct store *s, const char *id,
                          const struct delivery_attempt *a)
{
    if (store_begin(s) < 0)
        return -1;
    if (STORE_RUN(s, "INSERT OR REPLACE INTO webhook_attempts (delivery_id,"
                     " attempt, at, status_code, error, duration_ms)"
                     " VALUES (?, ?, ?, ?, ?, ?)", V_TEXT(id),
                  V_INT(a->attempt), V_INT(a->at),
                  V_INT_IF(a->status_code, a->status_code), V_TEXT(a->error),
                  V_INT(a->duration_ms)) < 0
        || STORE_RUN(s, "UPDATE webhook_deliveries SET state = ?,"
                        " attempts = ?, next_at = ? WHERE id = ?",
                     V_TEXT(a->state), V_INT(a->attempt),
                     V_INT_IF(a->next_at, a->next_at), V_TEXT(id)) < 0) {
        store_rollback(s);
        return -1;
    }
    return store_commit(s);
}

int64_t store_delivery_next_due(struct store *s)
{
    int64_t t = 0;

    if (store_int(s, store_stmt(s, "SELECT coalesce(min(next_at), 0)"
                                   " FROM webhook_deliveries"
                                   " WHERE state = 'pending'"), &t) < 0)
        return -1;
    return t;
}

static void attempt_to_json(sqlite3_stmt *st, void *arg)
{
    struct jw *w = arg;
    static const char *const names[] = {
        "attempt", "at", "status_code", "error", "duration_ms",
    };

    jw_obj_open(w);
    store_cols_json(w, st, names, (int)ARRAY_SIZE(names));
    jw_obj_close(w);
}

static void delivery_to_json(sqlite3_stmt *st, void *arg)
{
    struct jw *w = arg;
    static const char *const names[] = {
        "webhook_id", "url", "state", "next_attempt_at", "created_at",
    };

    /* Left open: store_delivery_write adds the attempts. */
    jw_obj_open(w);
    store_cols_json(w, st, names, (int)ARRAY_SIZE(names));
}

int store_delivery_write(struct store *s, const char *execution_id,
                         const char *key_id, struct jw *w)
{
    char status[16], sid[STORE_SCOPED_ID_LEN];
    struct delivery *ds = NULL;
    int rc = store_execution_status(s, execution_id, key_id, status), n;

    if (rc <= 0)
        return rc;
    store_scoped_id(key_id, execution_id, sid);
    n = store_rows(s, STORE_PREPARE(s, "SELECT id, execution_id, key_id,"
                                       " url, attempts, NULL"
                                       " FROM webhook_deliveries"
                                       " WHERE execution_id = ?"
                                       " ORDER BY created_at",
                                    V_TEXT(sid)),
                   sizeof(*ds), row_to_delivery, (void **)&ds);
    if (n < 0)
        return -1;
    jw_obj_open(w);
    jw_kv_str(w, "execution_id", execution_id);
    jw_key(w, "deliveries");
    jw_arr_open(w);
    for (int i = 0; i < n && rc >= 0; i++) {
        rc = store_row(s, STORE_PREPARE(s, "SELECT id, url, state,"
                                           " CASE WHEN state = 'pending'"
                                           " THEN next_at END, created_at"
                                           " FROM webhook_deliveries"
                                           " WHERE id = ?",
                                        V_TEXT(ds[i].id)),
                       delivery_to_json, w);
        if (rc < 0)
            break;
        jw_key(w, "attempts");
        jw_arr_open(w);
        rc = store_each_row(s, STORE_PREPARE(s, "SELECT attempt, at,"
                                                " status_code, error,"
                                                " duration_ms FROM"
                                                " webhook_attempts WHERE"
                                                " delivery_id = ?"
                                                " ORDER BY attempt",
                                             V_TEXT(ds[i].id)),
                            attempt_to_json, w);
        jw_arr_close(w);
        jw_obj_close(w);
    }
    jw_arr_close(w);
    jw_obj_close(w);
    free(ds);
    return rc < 0 ? -1 : 1;
}

/* store_keys.c - see store_keys.h. */
#include "config.h"
#include "store/store_keys.h"

#include <stdio.h>
#include <string.h>

#include "store/store_int.h"
#include "base/util.h"

static void row_to_key(sqlite3_stmt *st, struct key_info *k)
{
    snprintf(k->id, sizeof(k->id), "%s", sqlite3_column_text(st, 0));
    snprintf(k->name, sizeof(k->name), "%s", sqlite3_column_text(st, 1));
    k->max_concurrent = sqlite3_column_type(st, 2) == SQLITE_NULL
        ? -1 : sqlite3_column_int(st, 2);
    k->rate_per_minute = sqlite3_column_type(st, 3) == SQLITE_NULL
        ? -1 : sqlite3_column_int(st, 3);
    k->created_at = sqlite3_column_int64(st, 4);
    k->revoked_at = sqlite3_column_int64(st, 5);
}

int store_key_lookup(struct store *s, const char *hash_hex,
                     struct key_info *out)
{
    sqlite3_stmt *st = store_stmt(s,
        "SELECT id, name, max_concurrent, rate_per_minute, created_at,"
        " coalesce(revoked_at, 0) FROM api_keys"
        " WHERE hash = ? AND revoked_at IS NULL");
    int rc;

    if (!st)
        return -1;
    store_bind_text(st, 1, hash_hex);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        row_to_key(st, out);
        sqlite3_reset(st);
        return 1;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_fail(s, rc);
    return 0;
}

int store_key_insert(struct store *s, const char *id, const char *hash_hex,
                     const char *name)
{
    sqlite3_stmt *st = store_stmt(s,
        "INSERT INTO api_keys (id, hash, name, created_at)"
        " VALUES (?, ?, ?, ?)");

    if (!st)
        return -1;
    store_bind_text(st, 1, id);
    store_bind_text(st, 2, hash_hex);
    store_bind_text(st, 3, name ? name : "");
    sqlite3_bind_int64(st, 4, wall_ms());
    return store_step_done(s, st);
}

int store_key_count_active(struct store *s)
{
    sqlite3_stmt *st = store_stmt(s,
        "SELECT count(*) FROM api_keys WHERE revoked_at IS NULL");
    int n = -1, rc;

    if (!st)
        return -1;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    else
        store_fail(s, rc);
    sqlite3_reset(st);
    return n;
}

int store_key_revoke(struct store *s, const char *id)
{
    sqlite3_stmt *st = store_stmt(s,
        "UPDATE api_keys SET revoked_at = ? WHERE id = ?"
        " AND revoked_at IS NULL");

    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, wall_ms());
    store_bind_text(st, 2, id);
    if (store_step_done(s, st) < 0)
        return -1;
    return sqlite3_changes(s->db) > 0;
}

int store_key_set_limits(struct store *s, const char *id,
                         long max_concurrent, long rate_per_minute)
{
    sqlite3_stmt *st = store_stmt(s,
        "UPDATE api_keys SET max_concurrent = ?, rate_per_minute = ?"
        " WHERE id = ?");

    if (!st)
        return -1;
    if (max_concurrent >= 0)
        sqlite3_bind_int64(st, 1, max_concurrent);
    if (rate_per_minute >= 0)
        sqlite3_bind_int64(st, 2, rate_per_minute);
    store_bind_text(st, 3, id);
    if (store_step_done(s, st) < 0)
        return -1;
    return sqlite3_changes(s->db) > 0;
}

int store_key_list(struct store *s,
                   void (*cb)(const struct key_info *k, void *arg),
                   void *arg)
{
    sqlite3_stmt *st = store_stmt(s,
        "SELECT id, name, max_concurrent, rate_per_minute, created_at,"
        " coalesce(revoked_at, 0) FROM api_keys"
        " ORDER BY created_at DESC, id");
    int rc;

    if (!st)
        return -1;
    for (;;) {
        struct key_info k;

        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW)
            break;
        row_to_key(st, &k);
        cb(&k, arg);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
}

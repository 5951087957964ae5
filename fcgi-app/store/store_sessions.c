/* store_sessions.c - see store_sessions.h. */
#include "config.h"
#include "store/store_sessions.h"

#include <stdio.h>
#include <string.h>

#include "store/store_int.h"
#include "base/util.h"

#define SESSION_COLS "key_id, id, coalesce(container, ''), created_at,"    \
    " last_used_at, executions, memory_mb"

static void row_to_session(sqlite3_stmt *st, struct session_row *r)
{
    snprintf(r->key_id, sizeof(r->key_id), "%s", sqlite3_column_text(st, 0));
    snprintf(r->id, sizeof(r->id), "%s", sqlite3_column_text(st, 1));
    snprintf(r->container, sizeof(r->container), "%s",
             sqlite3_column_text(st, 2));
    r->created_at = sqlite3_column_int64(st, 3);
    r->last_used_at = sqlite3_column_int64(st, 4);
    r->executions = sqlite3_column_int(st, 5);
    r->memory_mb = sqlite3_column_int(st, 6);
}

int store_session_get(struct store *s, const char *key_id, const char *id,
                      struct session_row *out)
{
    sqlite3_stmt *st = store_stmt(s, "SELECT " SESSION_COLS
        " FROM sessions WHERE key_id = ? AND id = ?");
    int rc;

    if (!st)
        return -1;
    store_bind_text(st, 1, key_id);
    store_bind_text(st, 2, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        row_to_session(st, out);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
}

int store_session_insert(struct store *s, const char *key_id, const char *id,
                         const char *container, long memory_mb)
{
    sqlite3_stmt *st = store_stmt(s,
        "INSERT INTO sessions (key_id, id, container, created_at,"
        " last_used_at, memory_mb) VALUES (?1, ?2, ?3, ?4, ?4, ?5)");

    if (!st)
        return -1;
    store_bind_text(st, 1, key_id);
    store_bind_text(st, 2, id);
    store_bind_text(st, 3, container);
    sqlite3_bind_int64(st, 4, wall_ms());
    sqlite3_bind_int64(st, 5, memory_mb);
    return store_step_done(s, st);
}

int store_session_set_container(struct store *s, const char *key_id,
                                const char *id, const char *container,
                                long memory_mb)
{
    sqlite3_stmt *st = store_stmt(s,
        "UPDATE sessions SET container = ?, memory_mb = ?"
        " WHERE key_id = ? AND id = ?");

    if (!st)
        return -1;
    store_bind_text(st, 1, container);
    sqlite3_bind_int64(st, 2, memory_mb);
    store_bind_text(st, 3, key_id);
    store_bind_text(st, 4, id);
    return store_step_done(s, st);
}

int store_session_touch(struct store *s, const char *key_id, const char *id)
{
    sqlite3_stmt *st = store_stmt(s,
        "UPDATE sessions SET last_used_at = ?, executions = executions + 1"
        " WHERE key_id = ? AND id = ?");

    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, wall_ms());
    store_bind_text(st, 2, key_id);
    store_bind_text(st, 3, id);
    return store_step_done(s, st);
}

int store_session_delete(struct store *s, const char *key_id,
                         const char *id)
{
    sqlite3_stmt *st = store_stmt(s,
        "DELETE FROM sessions WHERE key_id = ? AND id = ?");

    if (!st)
        return -1;
    store_bind_text(st, 1, key_id);
    store_bind_text(st, 2, id);
    if (store_step_done(s, st) < 0)
        return -1;
    return sqlite3_changes(s->db) > 0;
}

int store_session_count(struct store *s)
{
    sqlite3_stmt *st = store_stmt(s, "SELECT count(*) FROM sessions");
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

int store_session_each(struct store *s, int64_t cutoff_ms,
                       void (*cb)(const struct session_row *r, void *arg),
                       void *arg)
{
    sqlite3_stmt *st = store_stmt(s, "SELECT " SESSION_COLS
        " FROM sessions WHERE ?1 = 0 OR last_used_at < ?1");
    struct session_row *rows = NULL;
    int n = 0, cap = 0, rc;

    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, cutoff_ms);
    for (;;) {
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW)
            break;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            rows = xrealloc(rows, (size_t)cap * sizeof(*rows));
        }
        row_to_session(st, &rows[n++]);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        free(rows);
        return store_fail(s, rc);
    }
    for (int i = 0; i < n; i++)
        cb(&rows[i], arg);
    free(rows);
    return n;
}

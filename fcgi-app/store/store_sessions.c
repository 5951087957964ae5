/* store_sessions.c - see store_sessions.h. */
#include "config.h"
#include "store/store_sessions.h"

#include <stdlib.h>

#include "base/util.h"
#include "store/store_int.h"

#define SESSION_COLS "key_id, id, coalesce(container, ''), created_at,"    \
    " last_used_at, executions, memory_mb"

/* The columns of SESSION_COLS, in order. */
#define SESSION(X, T) X(T, TEXT, key_id) X(T, TEXT, id) \
    X(T, TEXT, container) X(T, INT, created_at) X(T, INT, last_used_at) \
    X(T, INT, executions) X(T, INT, memory_mb)
STORE_READER(row_to_session, struct session_row, SESSION)

int store_session_get(struct store *s, const char *key_id, const char *id,
                      struct session_row *out)
{
    return store_row(s, STORE_PREPARE(s, "SELECT " SESSION_COLS
                                         " FROM sessions WHERE key_id = ?"
                                         " AND id = ?", V_TEXT(key_id),
                                      V_TEXT(id)), row_to_session, out);
}

int store_session_insert(struct store *s, const char *key_id, const char *id,
                         const char *container, long memory_mb)
{
    return STORE_RUN(s, "INSERT INTO sessions (key_id, id, container,"
                        " created_at, last_used_at, memory_mb)"
                        " VALUES (?1, ?2, ?3, ?4, ?4, ?5)", V_TEXT(key_id),
                     V_TEXT(id), V_TEXT(container), V_INT(wall_ms()),
                     V_INT(memory_mb));
}

int store_session_set_container(struct store *s, const char *key_id,
                                const char *id, const char *container,
                                long memory_mb)
{
    return STORE_RUN(s, "UPDATE sessions SET container = ?, memory_mb = ?"
                        " WHERE key_id = ? AND id = ?", V_TEXT(container),
                     V_INT(memory_mb), V_TEXT(key_id), V_TEXT(id));
}

int store_session_touch(struct store *s, const char *key_id, const char *id)
{
    return STORE_RUN(s, "UPDATE sessions SET last_used_at = ?,"
                        " executions = executions + 1"
                        " WHERE key_id = ? AND id = ?", V_INT(wall_ms()),
                     V_TEXT(key_id), V_TEXT(id));
}

int store_session_delete(struct store *s, const char *key_id,
                         const char *id)
{
    if (STORE_RUN(s, "DELETE FROM sessions WHERE key_id = ? AND id = ?",
                  V_TEXT(key_id), V_TEXT(id)) < 0)
        return -1;
    return store_changes(s) > 0;
}

int store_session_count(struct store *s)
{
    int64_t n;

    if (store_int(s, store_stmt(s, "SELECT count(*) FROM sessions"), &n) < 0)
        return -1;
    return (int)n;
}

int store_session_each(struct store *s, int64_t cutoff_ms,
                       void (*cb)(const struct session_row *r, void *arg),
                       void *arg)
{
    struct session_row *rows;
    int n = store_rows(s, STORE_PREPARE(s, "SELECT " SESSION_COLS
                           " FROM sessions WHERE ?1 = 0"
                           " OR last_used_at < ?1", V_INT(cutoff_ms)),
                       sizeof(*rows), row_to_session, (void **)&rows);

    for (int i = 0; i < n; i++)
        cb(&rows[i], arg);
    free(rows);
    return n;
}

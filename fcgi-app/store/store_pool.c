/* store_pool.c - see store_pool.h. */
#include "config.h"
#include "store/store_pool.h"

#include <stdio.h>
#include <string.h>

#include "store/store_int.h"
#include "base/util.h"

#define POOL_COLS "name, coalesce(docker_id, ''), state,"                   \
    " coalesce(owner_key, ''), memory_mb, uses, coalesce(claimed_by, 0),"   \
    " created_at, coalesce(ready_at, 0), coalesce(claimed_at, 0)"

static void row_to_container(sqlite3_stmt *st, struct pool_container *c)
{
    snprintf(c->name, sizeof(c->name), "%s", sqlite3_column_text(st, 0));
    snprintf(c->docker_id, sizeof(c->docker_id), "%s",
             sqlite3_column_text(st, 1));
    snprintf(c->state, sizeof(c->state), "%s", sqlite3_column_text(st, 2));
    snprintf(c->owner_key, sizeof(c->owner_key), "%s",
             sqlite3_column_text(st, 3));
    c->memory_mb = sqlite3_column_int(st, 4);
    c->uses = sqlite3_column_int(st, 5);
    c->claimed_by = sqlite3_column_int(st, 6);
    c->created_at = sqlite3_column_int64(st, 7);
    c->ready_at = sqlite3_column_int64(st, 8);
    c->claimed_at = sqlite3_column_int64(st, 9);
}

/* Runs a statement with text arguments (NULL binds NULL). */
static int exec_args(struct store *s, const char *sql, const char *a,
                     const char *b, const char *c)
{
    sqlite3_stmt *st = store_stmt(s, sql);

    if (!st)
        return -1;
    if (sqlite3_bind_parameter_count(st) >= 1)
        store_bind_text(st, 1, a);
    if (sqlite3_bind_parameter_count(st) >= 2)
        store_bind_text(st, 2, b);
    if (sqlite3_bind_parameter_count(st) >= 3)
        store_bind_text(st, 3, c);
    return store_step_done(s, st);
}

int store_pool_insert(struct store *s, const char *name, long memory_mb,
                      const char *state)
{
    sqlite3_stmt *st = store_stmt(s,
        "INSERT INTO containers (name, state, created_at, memory_mb)"
        " VALUES (?, ?, ?, ?)");

    if (!st)
        return -1;
    store_bind_text(st, 1, name);
    store_bind_text(st, 2, state);
    sqlite3_bind_int64(st, 3, wall_ms());
    sqlite3_bind_int64(st, 4, memory_mb);
    return store_step_done(s, st);
}

int store_pool_set_docker_id(struct store *s, const char *name,
                             const char *docker_id)
{
    return exec_args(s, "UPDATE containers SET docker_id = ?2"
                        " WHERE name = ?1", name, docker_id, NULL);
}

int store_pool_set_ready(struct store *s, const char *name)
{
    sqlite3_stmt *st = store_stmt(s,
        "UPDATE containers SET state = 'idle', ready_at = ?"
        " WHERE name = ? AND state = 'creating'");

    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, wall_ms());
    store_bind_text(st, 2, name);
    return store_step_done(s, st);
}

int store_pool_set_state(struct store *s, const char *name,
                         const char *state)
{
    return exec_args(s, "UPDATE containers SET state = ?2, claimed_by ="
                        " CASE WHEN ?2 = 'claimed' THEN claimed_by END"
                        " WHERE name = ?1", name, state, NULL);
}

int store_pool_set_memory(struct store *s, const char *name, long memory_mb)
{
    sqlite3_stmt *st = store_stmt(s,
        "UPDATE containers SET memory_mb = ? WHERE name = ?");

    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, memory_mb);
    store_bind_text(st, 2, name);
    return store_step_done(s, st);
}

int store_pool_delete(struct store *s, const char *name)
{
    return exec_args(s, "DELETE FROM containers WHERE name = ?", name, NULL,
                     NULL);
}

int store_pool_claim(struct store *s, int pid, const char *key,
                     struct pool_container *out)
{
    sqlite3_stmt *st = store_stmt(s,
        "UPDATE containers SET state = 'claimed', claimed_by = ?1,"
        " claimed_at = ?2 WHERE name = (SELECT name FROM containers"
        " WHERE state = 'idle' AND (owner_key IS NULL OR owner_key = ?3)"
        " ORDER BY owner_key IS NULL, ready_at LIMIT 1)"
        " RETURNING " POOL_COLS);
    int rc;

    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, pid);
    sqlite3_bind_int64(st, 2, wall_ms());
    store_bind_text(st, 3, key);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        row_to_container(st, out);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 1 : store_fail(s, rc);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
}

int store_pool_return(struct store *s, const char *name, const char *key)
{
    sqlite3_stmt *st = store_stmt(s,
        "UPDATE containers SET state = 'idle', owner_key = ?2,"
        " uses = uses + 1, claimed_by = NULL, ready_at = ?3"
        " WHERE name = ?1 AND state = 'claimed'");

    if (!st)
        return -1;
    store_bind_text(st, 1, name);
    store_bind_text(st, 2, key);
    sqlite3_bind_int64(st, 3, wall_ms());
    return store_step_done(s, st);
}

int store_pool_retire(struct store *s, const char *name)
{
    return exec_args(s, "UPDATE containers SET state = 'retiring'"
                        " WHERE name = ?", name, NULL, NULL);
}

int store_pool_retire_unbound(struct store *s, bool claimed_too)
{
    return exec_args(s, claimed_too
        ? "UPDATE containers SET state = 'retiring'"
          " WHERE state IN ('idle', 'creating', 'claimed')"
        : "UPDATE containers SET state = 'retiring'"
          " WHERE state IN ('idle', 'creating')", NULL, NULL, NULL);
}

int store_pool_get(struct store *s, const char *name,
                   struct pool_container *out)
{
    sqlite3_stmt *st = store_stmt(s,
        "SELECT " POOL_COLS " FROM containers WHERE name = ?");
    int rc;

    if (!st)
        return -1;
    store_bind_text(st, 1, name);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        row_to_container(st, out);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
}

int store_pool_count(struct store *s, struct pool_counts *c)
{
    sqlite3_stmt *st = store_stmt(s,
        "SELECT state, owner_key IS NOT NULL, count(*) FROM containers"
        " GROUP BY 1, 2");
    int rc;

    memset(c, 0, sizeof(*c));
    if (!st)
        return -1;
    for (;;) {
        const char *state;
        int n;

        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW)
            break;
        state = (const char *)sqlite3_column_text(st, 0);
        n = sqlite3_column_int(st, 2);
        c->total += n;
        if (strcmp(state, "creating") == 0)
            c->creating += n;
        else if (strcmp(state, "idle") == 0 && sqlite3_column_int(st, 1))
            c->idle_owned += n;
        else if (strcmp(state, "idle") == 0)
            c->idle += n;
        else if (strcmp(state, "claimed") == 0)
            c->claimed += n;
        else if (strcmp(state, "session") == 0)
            c->session += n;
        else if (strcmp(state, "retiring") == 0)
            c->retiring += n;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
}

int store_pool_each(struct store *s, const char *state,
                    void (*cb)(const struct pool_container *c, void *arg),
                    void *arg)
{
    /* Rows are copied out first: callbacks may write to the table. */
    sqlite3_stmt *st = store_stmt(s,
        "SELECT " POOL_COLS " FROM containers"
        " WHERE ?1 IS NULL OR state = ?1 ORDER BY created_at");
    struct pool_container *rows = NULL;
    int n = 0, cap = 0, rc;

    if (!st)
        return -1;
    store_bind_text(st, 1, state);
    for (;;) {
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW)
            break;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            rows = xrealloc(rows, (size_t)cap * sizeof(*rows));
        }
        row_to_container(st, &rows[n++]);
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

int store_pool_oldest_owned(struct store *s, struct pool_container *out)
{
    sqlite3_stmt *st = store_stmt(s,
        "SELECT " POOL_COLS " FROM containers WHERE state = 'idle'"
        " AND owner_key IS NOT NULL ORDER BY ready_at LIMIT 1");
    int rc;

    if (!st)
        return -1;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        row_to_container(st, out);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
}

int64_t store_wait_enter(struct store *s, const char *queue, int pid)
{
    sqlite3_stmt *st = store_stmt(s,
        "INSERT INTO waiters (queue, pid, created_at) VALUES (?, ?, ?)");

    if (!st)
        return -1;
    store_bind_text(st, 1, queue);
    sqlite3_bind_int(st, 2, pid);
    sqlite3_bind_int64(st, 3, wall_ms());
    if (store_step_done(s, st) < 0)
        return -1;
    return sqlite3_last_insert_rowid(s->db);
}

int store_wait_leave(struct store *s, int64_t seq)
{
    sqlite3_stmt *st = store_stmt(s, "DELETE FROM waiters WHERE seq = ?");

    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, seq);
    return store_step_done(s, st);
}

int store_wait_head(struct store *s, const char *queue, int64_t *seq,
                    int *pid)
{
    sqlite3_stmt *st = store_stmt(s,
        "SELECT seq, pid FROM waiters WHERE queue = ? ORDER BY seq LIMIT 1");
    int rc;

    if (!st)
        return -1;
    store_bind_text(st, 1, queue);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *seq = sqlite3_column_int64(st, 0);
        *pid = sqlite3_column_int(st, 1);
    }
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
}

int store_wait_count(struct store *s, const char *queue)
{
    sqlite3_stmt *st = store_stmt(s,
        "SELECT count(*) FROM waiters WHERE queue = ?");
    int n = -1, rc;

    if (!st)
        return -1;
    store_bind_text(st, 1, queue);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    else
        store_fail(s, rc);
    sqlite3_reset(st);
    return n;
}

int store_wait_drop_pid(struct store *s, int pid)
{
    sqlite3_stmt *st = store_stmt(s, "DELETE FROM waiters WHERE pid = ?");

    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, pid);
    return store_step_done(s, st);
}

int store_wait_pids(struct store *s, void (*cb)(int pid, void *arg),
                    void *arg)
{
    sqlite3_stmt *st = store_stmt(s, "SELECT DISTINCT pid FROM waiters");
    int pids[256], n = 0, rc;

    if (!st)
        return -1;
    for (;;) {
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW || n == 256)
            break;
        pids[n++] = sqlite3_column_int(st, 0);
    }
    sqlite3_reset(st);
    for (int i = 0; i < n; i++)
        cb(pids[i], arg);
    return n;
}

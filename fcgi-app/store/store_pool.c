/* store_pool.c - see store_pool.h. */
#include "config.h"
#include "store/store_pool.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/store_int.h"

#define POOL_COLS "name, coalesce(docker_id, ''), state,"                   \
    " coalesce(owner_key, ''), memory_mb, uses, coalesce(claimed_by, 0),"   \
    " created_at, coalesce(ready_at, 0), coalesce(claimed_at, 0), heavy"

/* The columns of POOL_COLS, in order. */
#define CONTAINER(X, T) X(T, TEXT, name) X(T, TEXT, docker_id) \
    X(T, TEXT, state) X(T, TEXT, owner_key) X(T, INT, memory_mb) \
    X(T, INT, uses) X(T, INT, claimed_by) X(T, INT, created_at) \
    X(T, INT, ready_at) X(T, INT, claimed_at) X(T, INT, heavy)
STORE_READER(row_to_container, struct pool_container, CONTAINER)

int store_pool_insert(struct store *s, const char *name, long memory_mb,
                      const char *state, bool heavy)
{
    return STORE_RUN(s, "INSERT INTO containers (name, state, created_at,"
                        " memory_mb, heavy) VALUES (?, ?, ?, ?, ?)",
                     V_TEXT(name), V_TEXT(state), V_INT(wall_ms()),
                     V_INT(memory_mb), V_INT(heavy));
}

int store_pool_set_docker_id(struct store *s, const char *name,
                             const char *docker_id)
{
    return STORE_RUN(s, "UPDATE containers SET docker_id = ?2"
                        " WHERE name = ?1", V_TEXT(name), V_TEXT(docker_id));
}

int store_pool_set_ready(struct store *s, const char *name)
{
    return STORE_RUN(s, "UPDATE containers SET state = 'idle', ready_at = ?"
                        " WHERE name = ? AND state = 'creating'",
                     V_INT(wall_ms()), V_TEXT(name));
}

int store_pool_set_state(struct store *s, const char *name,
                         const char *state)
{
    return STORE_RUN(s, "UPDATE containers SET state = ?2, claimed_by ="
                        " CASE WHEN ?2 = 'claimed' THEN claimed_by END"
                        " WHERE name = ?1", V_TEXT(name), V_TEXT(state));
}

int store_pool_set_memory(struct store *s, const char *name, long memory_mb)
{
    return STORE_RUN(s, "UPDATE containers SET memory_mb = ? WHERE name = ?",
                     V_INT(memory_mb), V_TEXT(name));
}

int store_pool_delete(struct store *s, const char *name)
{
    return STORE_RUN(s, "DELETE FROM containers WHERE name = ?",
                     V_TEXT(name));
}

int store_pool_claim(struct store *s, int pid, const char *key, bool heavy,
                     struct pool_container *out)
{
    return store_row(s, STORE_PREPARE(s,
        "UPDATE containers SET state = 'claimed', claimed_by = ?1,"
        " claimed_at = ?2 WHERE name = (SELECT name FROM containers"
        " WHERE state = 'idle' AND (owner_key IS NULL OR owner_key = ?3)"
        " ORDER BY ?4 AND NOT heavy, owner_key IS NULL, heavy != ?4,"
        " ready_at LIMIT 1)"
        " RETURNING " POOL_COLS, V_INT(pid), V_INT(wall_ms()), V_TEXT(key),
        V_INT(heavy)), row_to_container, out);
}

int store_pool_return(struct store *s, const char *name, const char *key)
{
    return STORE_RUN(s, "UPDATE containers SET state = 'idle',"
                        " owner_key = ?2, uses = uses + 1, claimed_by = NULL,"
                        " ready_at = ?3 WHERE name = ?1 AND state = 'claimed'",
                     V_TEXT(name), V_TEXT(key), V_INT(wall_ms()));
}

int store_pool_retire(struct store *s, const char *name)
{
    return STORE_RUN(s, "UPDATE containers SET state = 'retiring'"
                        " WHERE name = ?", V_TEXT(name));
}

int store_pool_retire_unbound(struct store *s, bool claimed_too)
{
    return STORE_RUN(s, "UPDATE containers SET state = 'retiring'"
                        " WHERE state IN ('idle', 'creating')"
                        " OR (?1 AND state = 'claimed')",
                     V_INT(claimed_too));
}

int store_pool_get(struct store *s, const char *name,
                   struct pool_container *out)
{
    return store_row(s, STORE_PREPARE(s, "SELECT " POOL_COLS
                                         " FROM containers WHERE name = ?",
                                      V_TEXT(name)), row_to_container, out);
}

static void row_to_counts(sqlite3_stmt *st, void *out)
{
    struct pool_counts *c = out;
    const char *state = (const char *)sqlite3_column_text(st, 0);
    int n = sqlite3_column_int(st, 2);
    bool heavy = sqlite3_column_int(st, 3);

    c->total += n;
    if (strcmp(state, "creating") == 0) {
        c->creating += n;
        c->creating_heavy += heavy ? n : 0;
    } else if (strcmp(state, "idle") == 0 && sqlite3_column_int(st, 1)) {
        c->idle_owned += n;
    } else if (strcmp(state, "idle") == 0) {
        c->idle += n;
        c->idle_heavy += heavy ? n : 0;
    } else if (strcmp(state, "claimed") == 0) {
        c->claimed += n;
    } else if (strcmp(state, "session") == 0) {
        c->session += n;
    } else if (strcmp(state, "retiring") == 0) {
        c->retiring += n;
    }
}

int store_pool_count(struct store *s, struct pool_counts *c)
{
    memset(c, 0, sizeof(*c));
    return store_each_row(s, store_stmt(s, "SELECT state, owner_key IS NOT"
                                           " NULL, count(*), heavy FROM"
                                           " containers GROUP BY 1, 2, 4"),
                          row_to_counts, c);
}

int store_pool_each(struct store *s, const char *state,
                    void (*cb)(const struct pool_container *c, void *arg),
                    void *arg)
{
    struct pool_container *rows;
    int n = store_rows(s, STORE_PREPARE(s, "SELECT " POOL_COLS
                           " FROM containers WHERE ?1 IS NULL"
                           " OR state = ?1 ORDER BY created_at",
                           V_TEXT(state)),
                       sizeof(*rows), row_to_container, (void **)&rows);

    for (int i = 0; i < n; i++)
        cb(&rows[i], arg);
    free(rows);
    return n;
}

int store_pool_evict_oldest_owned(struct store *s, struct pool_container *out)
{
    /* One statement: a worker claiming it meanwhile keeps it. */
    return store_row(s, store_stmt(s, "UPDATE containers SET state ="
                                      " 'retiring' WHERE name = (SELECT name"
                                      " FROM containers WHERE state = 'idle'"
                                      " AND owner_key IS NOT NULL"
                                      " ORDER BY ready_at LIMIT 1)"
                                      " RETURNING " POOL_COLS),
                     row_to_container, out);
}


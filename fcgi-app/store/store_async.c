/* store_async.c - see store_async.h. */
#include "config.h"
#include "store/store_async.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/store_executions.h"
#include "store/store_int.h"

static enum result roll_back(struct store *s)
{
    enum result r = store_last_error(s);

    store_rollback(s);
    return r;
}

long store_async_waiting(struct store *s)
{
    int64_t n;

    if (store_int(s, store_stmt(s, "SELECT count(*) FROM async_queue"
                                   " WHERE claimed_by IS NULL"), &n) < 0)
        return -1;
    return (long)n;
}

enum result store_async_submit(struct store *s, const struct async_submit *a)
{
    const struct execution_new *e = a->e;
    char sid[STORE_SCOPED_ID_LEN];
    int64_t n = 0;

    if (store_begin(s) < 0)
        return store_last_error(s);
    if ((n = store_async_waiting(s)) < 0)
        return roll_back(s);
    if (n >= a->max_queued) {
        store_rollback(s);
        return RESULT_QUEUE_FULL;
    }
    if (a->rate_per_minute > 0) {
        if (store_int(s, STORE_PREPARE(s, "SELECT count(*) FROM executions"
                                          " WHERE key_id = ? AND"
                                          " created_at > ?",
                                       V_TEXT(e->key_id),
                                       V_INT(wall_ms() - 60000)), &n) < 0)
            return roll_back(s);
        if (n >= a->rate_per_minute) {
            store_rollback(s);
            return RESULT_LIMITED;
        }
    }
    store_scoped_id(e->key_id, e->id, sid);
    if (store_execution_insert(s, e, "queued") < 0
        || STORE_RUN(s, "INSERT INTO async_queue (execution_id, key_id,"
                        " body, base_url, created_at) VALUES (?, ?, ?, ?, ?)",
                     V_TEXT(sid), V_TEXT(e->key_id),
                     V_TEXTN(a->body, a->body_len), V_TEXT(a->base_url),
                     V_INT(wall_ms())) < 0)
        return roll_back(s);
    return store_commit(s) < 0 ? store_last_error(s) : RESULT_OK;
}

static void row_to_claim(sqlite3_stmt *st, void *out)
{
    struct async_claim *c = out;

    store_col_copy(st, 0, c->scoped_id, sizeof(c->scoped_id));
    store_col_copy(st, 4, c->execution_id, sizeof(c->execution_id));
    store_col_copy(st, 1, c->key_id, sizeof(c->key_id));
    c->body = store_col_dup(st, 2);
    store_col_copy(st, 3, c->base_url, sizeof(c->base_url));
}

int store_async_claim(struct store *s, int pid, struct async_claim *out)
{
    int rc;

    memset(out, 0, sizeof(*out));
    if (store_begin(s) < 0)
        return -1;
    rc = store_row(s, store_stmt(s,
        "SELECT execution_id, key_id, body, base_url,"
        " " STORE_UNSCOPED_COL("execution_id") " FROM async_queue a"
        " WHERE claimed_by IS NULL ORDER BY (SELECT count(*)"
        " FROM async_queue b WHERE b.key_id = a.key_id"
        " AND b.claimed_by IS NOT NULL), seq LIMIT 1"), row_to_claim, out);
    if (rc == 1
        && (STORE_RUN(s, "UPDATE async_queue SET claimed_by = ?,"
                         " claimed_at = ? WHERE execution_id = ?",
                      V_INT(pid), V_INT(wall_ms()),
                      V_TEXT(out->scoped_id)) < 0
            || STORE_RUN(s, "UPDATE executions SET worker_pid = ?"
                            " WHERE id = ?", V_INT(pid),
                         V_TEXT(out->scoped_id)) < 0))
        rc = -1;
    if (rc < 0 || store_commit(s) < 0) {
        store_rollback(s);
        free(out->body);
        out->body = NULL;
        return -1;
    }
    if (rc == 0)
        return 0;
    return 1;
}

int store_async_done(struct store *s, const char *execution_id)
{
    return STORE_RUN(s, "DELETE FROM async_queue WHERE execution_id = ?",
                     V_TEXT(execution_id));
}

static void row_to_pid(sqlite3_stmt *st, void *out)
{
    *(int *)out = sqlite3_column_int(st, 0);
}

/* Gives up the claims of pid: queued again, or interrupted if started. */
static int release_claims(struct store *s, int pid, int *interrupted)
{
    if (STORE_RUN(s, "UPDATE executions SET status = 'interrupted',"
                     " finished_at = ?, error = 'the executor running it"
                     " stopped' WHERE status = 'running' AND id IN"
                     " (SELECT execution_id FROM async_queue"
                     " WHERE claimed_by = ?)", V_INT(wall_ms()),
                  V_INT(pid)) < 0)
        return -1;
    *interrupted += store_changes(s);
    if (STORE_RUN(s, "DELETE FROM async_queue WHERE claimed_by = ? AND"
                     " execution_id NOT IN (SELECT id FROM executions"
                     " WHERE status = 'queued')", V_INT(pid)) < 0)
        return -1;
    if (STORE_RUN(s, "UPDATE executions SET worker_pid = NULL"
                     " WHERE worker_pid = ? AND status = 'queued'",
                  V_INT(pid)) < 0)
        return -1;
    return STORE_RUN(s, "UPDATE async_queue SET claimed_by = NULL,"
                        " claimed_at = NULL WHERE claimed_by = ?",
                     V_INT(pid));
}

int store_async_recover(struct store *s, bool all)
{
    int *pids = NULL, interrupted = 0, rc = 0;
    int n = store_rows(s, store_stmt(s, "SELECT DISTINCT claimed_by"
                                        " FROM async_queue WHERE"
                                        " claimed_by IS NOT NULL"),
                       sizeof(*pids), row_to_pid, (void **)&pids);

    if (n < 0)
        return -1;
    for (int i = 0; i < n && rc == 0; i++)
        if (all || (kill(pids[i], 0) < 0 && errno == ESRCH))
            rc = release_claims(s, pids[i], &interrupted);
    free(pids);
    return rc < 0 ? -1 : interrupted;
}

int store_async_unclaim(struct store *s, const char *execution_id)
{
    if (STORE_RUN(s, "UPDATE executions SET worker_pid = NULL WHERE id = ?"
                     " AND status = 'queued'", V_TEXT(execution_id)) < 0)
        return -1;
    return STORE_RUN(s, "UPDATE async_queue SET claimed_by = NULL,"
                        " claimed_at = NULL WHERE execution_id = ?",
                     V_TEXT(execution_id));
}

/* store_executions.c - see store_executions.h. */
#include "config.h"
#include "store/store_executions.h"

#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/util.h"
#include "store/store_images.h"
#include "store/store_int.h"
#include "store/store_webhooks.h"

int store_execution_insert(struct store *s, const struct execution_new *e,
                           const char *status)
{
    char sid[STORE_SCOPED_ID_LEN];

    store_scoped_id(e->key_id, e->id, sid);
    return STORE_RUN(s, "INSERT INTO executions (id, key_id, session_id,"
                        " request_id, created_at, status, language, code,"
                        " stdin, timeout_ms, memory_mb, worker_pid,"
                        " callback_url)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     V_TEXT(sid), V_TEXT(e->key_id), V_TEXT(e->session_id),
                     V_TEXT(e->request_id), V_INT(wall_ms()), V_TEXT(status),
                     V_TEXT(e->language), V_TEXTN(e->code, e->code_len),
                     V_TEXTN(e->stdin_data ? e->stdin_data : "",
                             e->stdin_data ? e->stdin_len : 0),
                     V_INT(e->timeout_ms), V_INT(e->memory_mb),
                     V_INT_IF(e->worker_pid, e->worker_pid),
                     V_TEXT(e->callback_url));
}

/* Rolls back and returns the reason of the failure that caused it. */
static enum result roll_back(struct store *s)
{
    enum result r = store_last_error(s);

    store_rollback(s);
    return r;
}

/* 1 when the count that st reads has reached limit (0: no limit), 0 when
 * not, -1 on error. */
static int limit_reached(struct store *s, sqlite3_stmt *st, long limit)
{
    int64_t n;

    if (limit <= 0)
        return 0;
    if (store_int(s, st, &n) < 0)
        return -1;
    return n >= limit;
}

enum result store_execution_admit(struct store *s,
                                  const struct execution_new *e,
                                  long max_concurrent, long rate_per_minute,
                                  const char **which)
{
    int rc;

    *which = NULL;
    if (store_begin(s) < 0)
        return store_last_error(s);
    /* Async work waiting for an executor (no worker_pid yet) does not
     * count: it is bounded by async_executors instead. */
    rc = limit_reached(s, STORE_PREPARE(s, "SELECT count(*) FROM executions"
                           " WHERE key_id = ? AND status IN ('queued',"
                           " 'running') AND worker_pid IS NOT NULL",
                           V_TEXT(e->key_id)), max_concurrent);
    if (rc == 1)
        *which = "concurrent";
    if (rc == 0) {
        rc = limit_reached(s, STORE_PREPARE(s, "SELECT count(*)"
                               " FROM executions WHERE key_id = ?"
                               " AND created_at > ?", V_TEXT(e->key_id),
                               V_INT(wall_ms() - 60000)), rate_per_minute);
        if (rc == 1)
            *which = "rate";
    }
    if (rc < 0)
        return roll_back(s);
    if (rc == 1) {
        store_rollback(s);
        return RESULT_LIMITED;
    }
    if (store_execution_insert(s, e, "queued") < 0)
        return roll_back(s);
    return store_commit(s) < 0 ? store_last_error(s) : RESULT_OK;
}

enum result store_execution_blocked(struct store *s,
                                    const struct execution_new *e,
                                    const char *detail,
                                    const char *violations_json)
{
    char sid[STORE_SCOPED_ID_LEN];

    store_scoped_id(e->key_id, e->id, sid);
    if (store_begin(s) < 0)
        return store_last_error(s);
    if (store_execution_insert(s, e, "blocked") < 0
        || STORE_RUN(s, "UPDATE executions SET error = ?, violations = ?,"
                        " finished_at = created_at, execution_time = 0"
                        " WHERE id = ?", V_TEXT(detail),
                     V_TEXT(violations_json), V_TEXT(sid)) < 0)
        return roll_back(s);
    return store_commit(s) < 0 ? store_last_error(s) : RESULT_OK;
}

int store_execution_started(struct store *s, const char *key_id,
                            const char *id, const char *container)
{
    char sid[STORE_SCOPED_ID_LEN];

    store_scoped_id(key_id, id, sid);
    return STORE_RUN(s, "UPDATE executions SET status = 'running',"
                        " started_at = ?, container = ? WHERE id = ?",
                     V_INT(wall_ms()), V_TEXT(container), V_TEXT(sid));
}

static int finish(struct store *s, const char *sid,
                  const struct execution_done *d);

int store_execution_finish(struct store *s, const char *key_id,
                           const char *id, const struct execution_done *d)
{
    char sid[STORE_SCOPED_ID_LEN];

    store_scoped_id(key_id, id, sid);
    if (!d->n_events)
        return finish(s, sid, d);
    /* The last events and the end in one transaction: a stream that
     * sees the end has every event to read. */
    if (store_begin(s) < 0)
        return -1;
    if (store_events_insert(s, sid, d->events, d->n_events) < 0
        || finish(s, sid, d) < 0 || store_commit(s) < 0) {
        store_rollback(s);
        return -1;
    }
    return 0;
}

static int finish(struct store *s, const char *sid,
                  const struct execution_done *d)
{
    /* The webhook is queued after the record is final, and only for an
     * execution that may have one (no extra statement on every finish);
     * a crash between the two is caught by the deliverer's sweep. */
    if (STORE_RUN(s, "UPDATE executions SET status = ?, finished_at = ?,"
                        " exit_code = ?, signal = ?, stdout = ?, stderr = ?,"
                        " result_text = ?, truncated = ?, execution_time = ?,"
                        " error = ?, test_results = ?, violations = ?,"
                        " timings = ?, result = ? WHERE id = ?",
                     V_TEXT(d->status), V_INT(wall_ms()),
                     V_INT_IF(d->has_exit_code, d->exit_code),
                     V_INT_IF(d->signal, d->signal),
                     V_TEXTN(d->out, d->out_len), V_TEXTN(d->err, d->err_len),
                     V_TEXTN(d->result_text, d->result_len),
                     V_INT(d->truncated), V_DOUBLE(d->execution_time),
                     V_TEXT(d->error), V_TEXT(d->test_results),
                     V_TEXT(d->violations), V_TEXT(d->timings),
                     V_TEXT(d->result), V_TEXT(sid)) < 0)
        return -1;
    return d->callback ? store_delivery_add_ended(s, sid) : 0;
}

struct cancel_row {
    char status[16];
    int pid;
    bool callback;
};

static void row_to_cancel(sqlite3_stmt *st, void *out)
{
    struct cancel_row *c = out;

    store_col_copy(st, 0, c->status, sizeof(c->status));
    c->pid = sqlite3_column_int(st, 1);
    c->callback = sqlite3_column_int(st, 2) != 0;
}

/* Under the transaction of store_execution_cancel. */
static int cancel_locked(struct store *s, const char *sid, const char *key_id,
                         int *pid)
{
    struct cancel_row c = { "", 0, false };
    int rc = store_row(s, STORE_PREPARE(s, "SELECT status, worker_pid,"
                                           " callback_url IS NOT NULL"
                                           " FROM executions WHERE id = ?"
                                           " AND key_id = ?", V_TEXT(sid),
                                        V_TEXT(key_id)), row_to_cancel, &c);

    if (rc <= 0)
        return rc < 0 ? -1 : CANCEL_NONE;
    if (strcmp(c.status, "queued") != 0 && strcmp(c.status, "running") != 0)
        return CANCEL_FINAL;
    if (STORE_RUN(s, "DELETE FROM async_queue WHERE execution_id = ?"
                     " AND claimed_by IS NULL", V_TEXT(sid)) < 0)
        return -1;
    if (store_changes(s) == 1) {
        if (STORE_RUN(s, "UPDATE executions SET status = 'cancelled',"
                         " finished_at = ?, cancel_requested = 1,"
                         " error = 'cancelled before it ran' WHERE id = ?",
                      V_INT(wall_ms()), V_TEXT(sid)) < 0
            || (c.callback && store_delivery_add_ended(s, sid) < 0))
            return -1;
        return CANCEL_DONE;
    }
    if (STORE_RUN(s, "UPDATE executions SET cancel_requested = 1"
                     " WHERE id = ?", V_TEXT(sid)) < 0)
        return -1;
    *pid = c.pid;
    return CANCEL_ASKED;
}

int store_execution_cancel(struct store *s, const char *key_id,
                           const char *id, int *pid)
{
    char sid[STORE_SCOPED_ID_LEN];
    int rc;

    *pid = 0;
    store_scoped_id(key_id, id, sid);
    if (store_begin(s) < 0)
        return -1;
    rc = cancel_locked(s, sid, key_id, pid);
    if (rc < 0 || store_commit(s) < 0) {
        store_rollback(s);
        return -1;
    }
    return rc;
}

static void row_to_int(sqlite3_stmt *st, void *out)
{
    *(int *)out = sqlite3_column_int(st, 0);
}

bool store_execution_cancel_asked(struct store *s, const char *key_id,
                                  const char *id)
{
    char sid[STORE_SCOPED_ID_LEN];
    int asked = 0;

    store_scoped_id(key_id, id, sid);
    return store_row(s, STORE_PREPARE(s, "SELECT cancel_requested FROM"
                                         " executions WHERE id = ?",
                                      V_TEXT(sid)), row_to_int, &asked) == 1
        && asked;
}

int store_execution_interrupt_pid(struct store *s, int pid)
{
    if (STORE_RUN(s, "UPDATE executions SET status = 'interrupted',"
                     " finished_at = ?, error = 'the worker running it died'"
                     " WHERE worker_pid = ? AND status IN ('queued',"
                     " 'running')", V_INT(wall_ms()), V_INT(pid)) < 0)
        return -1;
    return store_changes(s);
}

int store_execution_interrupt_all(struct store *s)
{
    if (STORE_RUN(s, "UPDATE executions SET status = 'interrupted',"
                     " finished_at = ?, error = 'pyexec stopped while it ran'"
                     " WHERE status = 'running' OR (status = 'queued'"
                     " AND id NOT IN (SELECT execution_id FROM async_queue))",
                  V_INT(wall_ms())) < 0)
        return -1;
    return store_changes(s);
}

/* The record's columns in the order of record_names; those from 14 on
 * (and the JSON ones after them) only in a full record. */
#define RECORD_SQL \
    "SELECT " STORE_UNSCOPED ", session_id, created_at, started_at, finished_at, status," \
    " language, timeout_ms / 1000.0, memory_mb, exit_code, signal,"     \
    " truncated, execution_time, error, stdout, stderr, result_text,"   \
    " code, stdin, container, callback_url, test_results, violations,"  \
    " timings, result FROM executions WHERE id = ? AND key_id = ?"
#define RECORD_BRIEF 14
#define RECORD_TRUNCATED 11

static const char *const record_names[] = {
    "execution_id", "session_id", "created_at", "started_at",
    "finished_at", "status", "language", "timeout", "memory_mb",
    "exit_code", "signal", "truncated", "execution_time", "error",
    "stdout", "stderr", "result_text", "code", "stdin", "container",
    "callback_url",
};
static const char *const record_json_names[] = {
    "test_results", "violations", "timings", "result",
};

struct record_out {
    struct jw *w;
    bool full;
};

static void row_to_record(sqlite3_stmt *st, void *out)
{
    const struct record_out *ro = out;
    struct jw *w = ro->w;
    int n = ro->full ? (int)ARRAY_SIZE(record_names) : RECORD_BRIEF;

    jw_obj_open(w);
    for (int i = 0; i < n; i++) {
        jw_key(w, record_names[i]);
        if (i == RECORD_TRUNCATED)
            jw_bool(w, sqlite3_column_int(st, i) != 0);
        else
            store_col_json(w, st, i, false);
    }
    for (size_t k = 0; ro->full && k < ARRAY_SIZE(record_json_names); k++) {
        jw_key(w, record_json_names[k]);
        store_col_json(w, st, (int)(ARRAY_SIZE(record_names) + k), true);
    }
}

int store_execution_write(struct store *s, const char *id, const char *key_id,
                          const char *base_url, bool full, struct jw *w)
{
    struct record_out ro = { w, full };
    char sid[STORE_SCOPED_ID_LEN];
    int rc;

    store_scoped_id(key_id, id, sid);
    rc = store_row(s, STORE_PREPARE(s, RECORD_SQL, V_TEXT(sid),
                                    V_TEXT(key_id)), row_to_record, &ro);
    if (rc != 1)
        return rc;
    if (full) {
        jw_key(w, "images");
        store_image_write_list(s, sid, base_url, w);
    }
    jw_obj_close(w);
    return 1;
}

static void row_to_id(sqlite3_stmt *st, void *out)
{
    *(char **)out = store_col_dup(st, 0);
}

int store_execution_list(struct store *s, const char *key_id, int64_t before,
                         int limit, struct jw *w)
{
    char **ids;
    int64_t last = 0;
    int rc = 0, n = store_rows(s, STORE_PREPARE(s,
        "SELECT " STORE_UNSCOPED " FROM executions"
        " WHERE key_id = ? AND created_at < ?"
        " ORDER BY created_at DESC, id DESC LIMIT ?", V_TEXT(key_id),
        V_INT(before > 0 ? before : INT64_MAX), V_INT(limit)),
        sizeof(*ids), row_to_id, (void **)&ids);

    if (n < 0)
        return -1;
    jw_obj_open(w);
    jw_key(w, "executions");
    jw_arr_open(w);
    for (int i = 0; i < n && rc >= 0; i++)
        rc = store_execution_write(s, ids[i], key_id, "", false, w);
    jw_arr_close(w);
    /* The cursor for the next page is the oldest created_at returned. */
    if (n == limit && n > 0) {
        char sid[STORE_SCOPED_ID_LEN];

        store_scoped_id(key_id, ids[n - 1], sid);
        store_int(s, STORE_PREPARE(s, "SELECT created_at FROM executions"
                                      " WHERE id = ?", V_TEXT(sid)), &last);
    }
    jw_key(w, "next_before");
    if (last)
        jw_int(w, last);
    else
        jw_null(w);
    jw_obj_close(w);
    for (int i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    return rc < 0 ? -1 : 0;
}

long store_execution_purge(struct store *s, int64_t cutoff_ms)
{
    long n;

    if (store_begin(s) < 0)
        return -1;
    if (STORE_RUN(s, "DELETE FROM images WHERE execution_id IN"
                     " (SELECT id FROM executions WHERE created_at < ?)",
                  V_INT(cutoff_ms)) < 0
        || STORE_RUN(s, "DELETE FROM execution_events WHERE execution_id IN"
                        " (SELECT id FROM executions WHERE created_at < ?"
                        " AND status NOT IN ('queued', 'running'))",
                     V_INT(cutoff_ms)) < 0
        || STORE_RUN(s, "DELETE FROM webhook_attempts WHERE delivery_id IN"
                        " (SELECT d.id FROM webhook_deliveries d JOIN"
                        " executions e ON e.id = d.execution_id"
                        " WHERE e.created_at < ?)", V_INT(cutoff_ms)) < 0
        || STORE_RUN(s, "DELETE FROM webhook_deliveries WHERE execution_id"
                        " IN (SELECT id FROM executions WHERE"
                        " created_at < ?)", V_INT(cutoff_ms)) < 0
        || STORE_RUN(s, "DELETE FROM executions WHERE created_at < ?"
                        " AND status NOT IN ('queued', 'running')",
                     V_INT(cutoff_ms)) < 0) {
        store_rollback(s);
        return -1;
    }
    n = store_changes(s);
    return store_commit(s) < 0 ? -1 : n;
}

long store_execution_count(struct store *s)
{
    int64_t n;

    if (store_int(s, store_stmt(s, "SELECT count(*) FROM executions"),
                  &n) < 0)
        return -1;
    return (long)n;
}

/* The columns store_execution_recent selects, in order. */
#define SUMMARY(X, T) X(T, TEXT, id) X(T, TEXT, key_id) \
    X(T, TEXT, status) X(T, INT, created_at) X(T, DOUBLE, execution_time) \
    X(T, TEXT, session_id)
STORE_READER(row_to_summary, struct execution_summary, SUMMARY)

int store_execution_recent(struct store *s, const char *key_id, int limit,
                           struct execution_summary **out)
{
    return store_rows(s, STORE_PREPARE(s,
        "SELECT " STORE_UNSCOPED ", key_id, status, created_at,"
        " coalesce(execution_time, 0),"
        " coalesce(session_id, '-') FROM executions"
        " WHERE ?1 IS NULL OR key_id = ?1"
        " ORDER BY created_at DESC LIMIT ?2", V_TEXT(key_id), V_INT(limit)),
        sizeof(**out), row_to_summary, (void **)out);
}

struct owner {
    char *key_id, *id;
};

static void row_to_owner(sqlite3_stmt *st, void *out)
{
    struct owner *o = out;

    store_col_copy(st, 0, o->key_id, STORE_KEY_ID_LEN);
    store_col_copy(st, 1, o->id, 72);
}

int store_execution_owner(struct store *s, const char *id,
                          char key_id[STORE_KEY_ID_LEN], char id_out[72])
{
    struct owner o = { key_id, id_out };

    return store_row(s, STORE_PREPARE(s, "SELECT key_id, " STORE_UNSCOPED
                                         " FROM executions WHERE id = ?1"
                                         " OR " STORE_UNSCOPED " = ?1"
                                         " ORDER BY created_at DESC"
                                         " LIMIT 1", V_TEXT(id)),
                     row_to_owner, &o);
}

static void row_to_status(sqlite3_stmt *st, void *out)
{
    store_col_copy(st, 0, out, 16);
}

int store_execution_status(struct store *s, const char *id,
                           const char *key_id, char status[16])
{
    char sid[STORE_SCOPED_ID_LEN];

    store_scoped_id(key_id, id, sid);
    return store_row(s, STORE_PREPARE(s, "SELECT status FROM executions"
                                         " WHERE id = ? AND key_id = ?",
                                      V_TEXT(sid), V_TEXT(key_id)),
                     row_to_status, status);
}

int store_execution_summary(struct store *s, int64_t *count, int64_t *newest)
{
    if (store_int(s, store_stmt(s, "SELECT count(*) FROM executions"),
                  count) < 0)
        return -1;
    return store_int(s, store_stmt(s, "SELECT coalesce(max(created_at), 0)"
                                      " FROM executions"), newest);
}

/* store_executions.c - see store_executions.h. */
#include "config.h"
#include "store/store_executions.h"

#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "store/store_int.h"
#include "base/util.h"

static int count_where(struct store *s, const char *sql, const char *key,
                       int64_t since, long *n)
{
    sqlite3_stmt *st = store_stmt(s, sql);
    int rc;

    if (!st)
        return -1;
    store_bind_text(st, 1, key);
    if (since)
        sqlite3_bind_int64(st, 2, since);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return store_fail(s, rc);
    }
    *n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

static void bind_new(sqlite3_stmt *st, const struct execution_new *e,
                     const char *status)
{
    store_bind_text(st, 1, e->id);
    store_bind_text(st, 2, e->key_id);
    store_bind_text(st, 3, e->session_id);
    store_bind_text(st, 4, e->request_id);
    sqlite3_bind_int64(st, 5, wall_ms());
    store_bind_text(st, 6, status);
    store_bind_text(st, 7, e->language);
    store_bind_textn(st, 8, e->code, e->code_len);
    store_bind_textn(st, 9, e->stdin_data ? e->stdin_data : "",
                     e->stdin_data ? e->stdin_len : 0);
    sqlite3_bind_int64(st, 10, e->timeout_ms);
    sqlite3_bind_int64(st, 11, e->memory_mb);
    sqlite3_bind_int(st, 12, e->worker_pid);
}

static const char insert_sql[] =
    "INSERT INTO executions (id, key_id, session_id, request_id,"
    " created_at, status, language, code, stdin, timeout_ms, memory_mb,"
    " worker_pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

int store_execution_admit(struct store *s, const struct execution_new *e,
                     long max_concurrent, long rate_per_minute,
                     const char **which)
{
    sqlite3_stmt *st;
    long n;
    int rc;

    *which = NULL;
    if (store_begin(s) < 0)
        return -1;
    if (max_concurrent > 0) {
        if (count_where(s, "SELECT count(*) FROM executions WHERE key_id = ?"
                        " AND status IN ('queued', 'running')", e->key_id, 0,
                        &n) < 0)
            goto fail;
        if (n >= max_concurrent) {
            *which = "concurrent";
            store_rollback(s);
            return 1;
        }
    }
    if (rate_per_minute > 0) {
        if (count_where(s, "SELECT count(*) FROM executions WHERE key_id = ?"
                        " AND created_at > ?", e->key_id, wall_ms() - 60000,
                        &n) < 0)
            goto fail;
        if (n >= rate_per_minute) {
            *which = "rate";
            store_rollback(s);
            return 1;
        }
    }
    st = store_stmt(s, insert_sql);
    if (!st)
        goto fail;
    bind_new(st, e, "queued");
    rc = store_step_done(s, st);
    if (rc < 0) {
        store_rollback(s);
        return store_last_error(s) == STORE_CONSTRAINT ? 2 : -1;
    }
    return store_commit(s);
fail:
    store_rollback(s);
    return -1;
}

int store_execution_blocked(struct store *s, const struct execution_new *e,
                       const char *detail, const char *violations_json)
{
    sqlite3_stmt *st;

    if (store_begin(s) < 0)
        return -1;
    st = store_stmt(s, insert_sql);
    if (!st)
        goto fail;
    bind_new(st, e, "blocked");
    if (store_step_done(s, st) < 0) {
        store_rollback(s);
        return store_last_error(s) == STORE_CONSTRAINT ? 2 : -1;
    }
    st = store_stmt(s, "UPDATE executions SET error = ?, violations = ?,"
                       " finished_at = created_at, execution_time = 0"
                       " WHERE id = ?");
    if (!st)
        goto fail;
    store_bind_text(st, 1, detail);
    store_bind_text(st, 2, violations_json);
    store_bind_text(st, 3, e->id);
    if (store_step_done(s, st) < 0)
        goto fail;
    return store_commit(s);
fail:
    store_rollback(s);
    return -1;
}

int store_execution_started(struct store *s, const char *id, const char *container)
{
    sqlite3_stmt *st = store_stmt(s,
        "UPDATE executions SET status = 'running', started_at = ?,"
        " container = ? WHERE id = ?");

    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, wall_ms());
    store_bind_text(st, 2, container);
    store_bind_text(st, 3, id);
    return store_step_done(s, st);
}

int store_execution_finish(struct store *s, const char *id,
                      const struct execution_done *d)
{
    sqlite3_stmt *st = store_stmt(s,
        "UPDATE executions SET status = ?, finished_at = ?, exit_code = ?,"
        " signal = ?, stdout = ?, stderr = ?, result_text = ?,"
        " truncated = ?, execution_time = ?, error = ?, test_results = ?,"
        " violations = ?, timings = ? WHERE id = ?");

    if (!st)
        return -1;
    store_bind_text(st, 1, d->status);
    sqlite3_bind_int64(st, 2, wall_ms());
    if (d->has_exit_code)
        sqlite3_bind_int(st, 3, d->exit_code);
    if (d->signal)
        sqlite3_bind_int(st, 4, d->signal);
    store_bind_textn(st, 5, d->out, d->out_len);
    store_bind_textn(st, 6, d->err, d->err_len);
    store_bind_textn(st, 7, d->result_text, d->result_len);
    sqlite3_bind_int(st, 8, d->truncated);
    sqlite3_bind_double(st, 9, d->execution_time);
    store_bind_text(st, 10, d->error);
    store_bind_text(st, 11, d->test_results);
    store_bind_text(st, 12, d->violations);
    store_bind_text(st, 13, d->timings);
    store_bind_text(st, 14, id);
    return store_step_done(s, st);
}

int store_execution_interrupt_pid(struct store *s, int pid)
{
    sqlite3_stmt *st = store_stmt(s,
        "UPDATE executions SET status = 'interrupted', finished_at = ?,"
        " error = 'the worker running it died' WHERE worker_pid = ?"
        " AND status IN ('queued', 'running')");

    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, wall_ms());
    sqlite3_bind_int(st, 2, pid);
    if (store_step_done(s, st) < 0)
        return -1;
    return sqlite3_changes(s->db);
}

int store_execution_interrupt_all(struct store *s)
{
    sqlite3_stmt *st = store_stmt(s,
        "UPDATE executions SET status = 'interrupted', finished_at = ?,"
        " error = 'pyexec stopped while it ran'"
        " WHERE status IN ('queued', 'running')");

    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, wall_ms());
    if (store_step_done(s, st) < 0)
        return -1;
    return sqlite3_changes(s->db);
}

/* Writes a column as a JSON value of the right type. */
static void col_value(struct jw *w, sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL:
        jw_null(w);
        break;
    case SQLITE_INTEGER:
        jw_int(w, sqlite3_column_int64(st, i));
        break;
    case SQLITE_FLOAT:
        jw_double(w, sqlite3_column_double(st, i), 6);
        break;
    default:
        jw_strn(w, (const char *)sqlite3_column_text(st, i),
                (size_t)sqlite3_column_bytes(st, i));
    }
}

/* A JSON text column spliced in as JSON (it was written by us). */
static void col_json(struct jw *w, sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        jw_null(w);
    else
        jw_raw(w, (const char *)sqlite3_column_text(st, i),
               (size_t)sqlite3_column_bytes(st, i));
}

static void write_images(struct store *s, const char *id,
                         const char *base_url, struct jw *w)
{
    sqlite3_stmt *st = store_stmt(s,
        "SELECT id, kind, name, mime, width, height, size FROM images"
        " WHERE execution_id = ? ORDER BY seq");

    jw_arr_open(w);
    if (!st) {
        jw_arr_close(w);
        return;
    }
    store_bind_text(st, 1, id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *img = (const char *)sqlite3_column_text(st, 0);
        char *url = xasprintf("%s/images/%s", base_url, img);

        jw_obj_open(w);
        jw_key(w, "id");
        jw_str(w, img);
        jw_key(w, "url");
        jw_str(w, url);
        jw_key(w, "kind");
        col_value(w, st, 1);
        jw_key(w, "name");
        col_value(w, st, 2);
        jw_key(w, "mime");
        col_value(w, st, 3);
        jw_key(w, "width");
        col_value(w, st, 4);
        jw_key(w, "height");
        col_value(w, st, 5);
        jw_key(w, "size");
        col_value(w, st, 6);
        jw_obj_close(w);
        free(url);
    }
    sqlite3_reset(st);
    jw_arr_close(w);
}

int store_execution_write(struct store *s, const char *id, const char *key_id,
                     const char *base_url, bool full, struct jw *w)
{
    static const char *names[] = {
        "execution_id", "session_id", "created_at", "started_at",
        "finished_at", "status", "language", "timeout", "memory_mb",
        "exit_code", "signal", "truncated", "execution_time", "error",
        "stdout", "stderr", "result_text", "code", "stdin", "container",
    };
    sqlite3_stmt *st = store_stmt(s,
        "SELECT id, session_id, created_at, started_at, finished_at, status,"
        " language, timeout_ms / 1000.0, memory_mb, exit_code, signal,"
        " truncated, execution_time, error, stdout, stderr, result_text,"
        " code, stdin, container, test_results, violations, timings"
        " FROM executions WHERE id = ? AND key_id = ?");
    int rc;

    if (!st)
        return -1;
    store_bind_text(st, 1, id);
    store_bind_text(st, 2, key_id);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
    }
    jw_obj_open(w);
    for (int i = 0; i < (int)ARRAY_SIZE(names); i++) {
        if (!full && i >= 14)
            break;
        jw_key(w, names[i]);
        if (i == 11)
            jw_bool(w, sqlite3_column_int(st, i) != 0);
        else
            col_value(w, st, i);
    }
    if (full) {
        jw_key(w, "test_results");
        col_json(w, st, 20);
        jw_key(w, "violations");
        col_json(w, st, 21);
        jw_key(w, "timings");
        col_json(w, st, 22);
    }
    sqlite3_reset(st);
    if (full) {
        jw_key(w, "images");
        write_images(s, id, base_url, w);
    }
    jw_obj_close(w);
    return 1;
}

int store_execution_list(struct store *s, const char *key_id, int64_t before,
                    int limit, struct jw *w)
{
    sqlite3_stmt *st = store_stmt(s,
        "SELECT id FROM executions WHERE key_id = ? AND created_at < ?"
        " ORDER BY created_at DESC, id DESC LIMIT ?");
    char **ids = xcalloc((size_t)limit + 1, sizeof(*ids));
    int n = 0, rc = 0;
    int64_t last = 0;

    if (!st) {
        free(ids);
        return -1;
    }
    store_bind_text(st, 1, key_id);
    sqlite3_bind_int64(st, 2, before > 0 ? before : INT64_MAX);
    sqlite3_bind_int(st, 3, limit);
    while (n < limit && sqlite3_step(st) == SQLITE_ROW)
        ids[n++] = store_col_dup(st, 0);
    sqlite3_reset(st);
    jw_obj_open(w);
    jw_key(w, "executions");
    jw_arr_open(w);
    for (int i = 0; i < n && rc >= 0; i++)
        rc = store_execution_write(s, ids[i], key_id, "", false, w);
    jw_arr_close(w);
    /* The cursor for the next page is the oldest created_at returned. */
    if (n == limit && n > 0) {
        st = store_stmt(s, "SELECT created_at FROM executions WHERE id = ?");
        if (st) {
            store_bind_text(st, 1, ids[n - 1]);
            if (sqlite3_step(st) == SQLITE_ROW)
                last = sqlite3_column_int64(st, 0);
            sqlite3_reset(st);
        }
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

int store_image_insert(struct store *s, const struct image_new *im,
                       char id[33])
{
    sqlite3_stmt *st = store_stmt(s,
        "INSERT INTO images (id, execution_id, key_id, seq, kind, name, mime,"
        " width, height, size, bytes, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    unsigned char r[16];

    if (!st)
        return -1;
    random_bytes(r, sizeof(r));
    hex_encode(r, sizeof(r), id);
    store_bind_text(st, 1, id);
    store_bind_text(st, 2, im->execution_id);
    store_bind_text(st, 3, im->key_id);
    sqlite3_bind_int(st, 4, im->seq);
    store_bind_text(st, 5, im->kind);
    store_bind_text(st, 6, im->name);
    store_bind_text(st, 7, im->mime);
    if (im->width)
        sqlite3_bind_int(st, 8, im->width);
    if (im->height)
        sqlite3_bind_int(st, 9, im->height);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)im->size);
    sqlite3_bind_blob64(st, 11, im->bytes, im->size, SQLITE_STATIC);
    sqlite3_bind_int64(st, 12, wall_ms());
    return store_step_done(s, st);
}

int store_image_get(struct store *s, const char *id, struct image_blob *out)
{
    sqlite3_stmt *st = store_stmt(s,
        "SELECT mime, bytes, size, name FROM images WHERE id = ?");
    int rc;

    memset(out, 0, sizeof(*out));
    if (!st)
        return -1;
    store_bind_text(st, 1, id);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
    }
    out->mime = store_col_dup(st, 0);
    out->size = (size_t)sqlite3_column_bytes(st, 1);
    out->bytes = xmalloc(out->size ? out->size : 1);
    if (out->size)
        memcpy(out->bytes, sqlite3_column_blob(st, 1), out->size);
    out->name = store_col_dup(st, 3);
    sqlite3_reset(st);
    return 1;
}

void store_image_blob_release(struct image_blob *b)
{
    free(b->mime);
    free(b->bytes);
    free(b->name);
    memset(b, 0, sizeof(*b));
}

long store_execution_purge(struct store *s, int64_t cutoff_ms)
{
    sqlite3_stmt *st;
    long n;

    if (store_begin(s) < 0)
        return -1;
    st = store_stmt(s, "DELETE FROM images WHERE execution_id IN"
                       " (SELECT id FROM executions WHERE created_at < ?)");
    if (!st)
        goto fail;
    sqlite3_bind_int64(st, 1, cutoff_ms);
    if (store_step_done(s, st) < 0)
        goto fail;
    st = store_stmt(s, "DELETE FROM executions WHERE created_at < ?"
                       " AND status NOT IN ('queued', 'running')");
    if (!st)
        goto fail;
    sqlite3_bind_int64(st, 1, cutoff_ms);
    if (store_step_done(s, st) < 0)
        goto fail;
    n = sqlite3_changes(s->db);
    if (store_commit(s) < 0)
        return -1;
    return n;
fail:
    store_rollback(s);
    return -1;
}

long store_execution_count(struct store *s)
{
    long n = -1;

    if (count_where(s, "SELECT count(*) FROM executions WHERE ? IS NULL",
                    NULL, 0, &n) < 0)
        return -1;
    return n;
}

int store_execution_print_list(struct store *s, const char *key_id, int limit,
                          FILE *out)
{
    sqlite3_stmt *st = store_stmt(s,
        "SELECT id, key_id, status, created_at, coalesce(execution_time, 0),"
        " coalesce(session_id, '-') FROM executions"
        " WHERE ?1 IS NULL OR key_id = ?1"
        " ORDER BY created_at DESC LIMIT ?2");
    int rc;

    if (!st)
        return -1;
    store_bind_text(st, 1, key_id);
    sqlite3_bind_int(st, 2, limit);
    fprintf(out, "%-38s %-18s %-12s %-14s %-9s %s\n", "ID", "KEY", "STATUS",
            "CREATED(ms)", "TIME(s)", "SESSION");
    for (;;) {
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW)
            break;
        fprintf(out, "%-38s %-18s %-12s %-14lld %-9.3f %s\n",
                sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
                sqlite3_column_text(st, 2),
                (long long)sqlite3_column_int64(st, 3),
                sqlite3_column_double(st, 4), sqlite3_column_text(st, 5));
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
}

int store_execution_print(struct store *s, const char *id, FILE *out)
{
    sqlite3_stmt *st = store_stmt(s,
        "SELECT key_id FROM executions WHERE id = ?");
    struct jw *w;
    char *key;
    int rc;

    if (!st)
        return -1;
    store_bind_text(st, 1, id);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
    }
    key = store_col_dup(st, 0);
    sqlite3_reset(st);
    w = jw_new();
    rc = store_execution_write(s, id, key, "", true, w);
    if (rc == 1)
        fprintf(out, "%s\n", jw_text(w, NULL));
    jw_free(w);
    free(key);
    return rc;
}

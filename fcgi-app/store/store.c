/* store.c - connection, pragmas, migrations and the statement cache.
 * The other store_*.c files hold the queries of one table each. */
#include "config.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/util.h"
#include "store/store_int.h"

int store_fail(struct store *s, int rc)
{
    int base = rc & 0xff;

    if (base == SQLITE_BUSY || base == SQLITE_LOCKED)
        s->last = RESULT_DB_BUSY;
    else if (base == SQLITE_FULL || base == SQLITE_IOERR
             || base == SQLITE_READONLY || base == SQLITE_CANTOPEN)
        s->last = RESULT_DB_FULL;
    else if (base == SQLITE_CONSTRAINT)
        s->last = RESULT_DUPLICATE;
    else
        s->last = RESULT_INTERNAL;
    snprintf(s->message, sizeof(s->message), "%s",
             s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    return -1;
}

enum result store_last_error(const struct store *s)
{
    return s->last;
}

const char *store_last_message(const struct store *s)
{
    return s->message;
}

sqlite3_stmt *store_stmt(struct store *s, const char *sql)
{
    size_t slot = ((uintptr_t)sql >> 3) % STORE_STMT_CACHE;
    sqlite3_stmt *st;
    int rc;

    for (size_t i = 0; i < STORE_STMT_CACHE; i++) {
        size_t k = (slot + i) % STORE_STMT_CACHE;

        if (s->cache[k].sql == sql) {
            st = s->cache[k].stmt;
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return st;
        }
        if (!s->cache[k].sql) {
            rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                    &st, NULL);
            if (rc != SQLITE_OK) {
                store_fail(s, rc);
                log_err("sqlite: preparing '%.60s': %s", sql, s->message);
                return NULL;
            }
            s->cache[k].sql = sql;
            s->cache[k].stmt = st;
            return st;
        }
    }
    BUG("statement cache full: raise STORE_STMT_CACHE");
}

int store_step_done(struct store *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);

    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return store_fail(s, rc);
    }
    sqlite3_reset(st);
    s->last = RESULT_OK;
    return 0;
}

static void bind_one(sqlite3_stmt *st, int i, const struct store_val *v)
{
    switch (v->type) {
    case VAL_TEXT:
        if (v->p) {
            sqlite3_bind_text(st, i, v->p, -1, SQLITE_STATIC);
            return;
        }
        break;
    case VAL_TEXTN:
        if (v->p) {
            sqlite3_bind_text64(st, i, v->p, v->n, SQLITE_STATIC,
                                SQLITE_UTF8);
            return;
        }
        break;
    case VAL_BLOB:
        sqlite3_bind_blob64(st, i, v->p, v->n, SQLITE_STATIC);
        return;
    case VAL_INT:
        sqlite3_bind_int64(st, i, v->i);
        return;
    case VAL_DOUBLE:
        sqlite3_bind_double(st, i, v->d);
        return;
    case VAL_NULL:
        break;
    }
    sqlite3_bind_null(st, i);
}

sqlite3_stmt *store_prepare(struct store *s, const char *sql,
                            const struct store_val *v, size_t n)
{
    sqlite3_stmt *st = store_stmt(s, sql);

    for (size_t i = 0; st && i < n; i++)
        bind_one(st, (int)i + 1, &v[i]);
    return st;
}

int store_run(struct store *s, const char *sql, const struct store_val *v,
              size_t n)
{
    sqlite3_stmt *st = store_prepare(s, sql, v, n);

    return st ? store_step_done(s, st) : -1;
}

int store_changes(struct store *s)
{
    return sqlite3_changes(s->db);
}

int store_row(struct store *s, sqlite3_stmt *st,
              void (*row)(sqlite3_stmt *st, void *out), void *out)
{
    int rc, found = 0;

    if (!st)
        return -1;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        row(st, out);
        found = 1;
        /* On to the end: a RETURNING statement finishes its work here. */
        rc = sqlite3_step(st);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return store_fail(s, rc);
    s->last = RESULT_OK;
    return found;
}

static void row_int(sqlite3_stmt *st, void *out)
{
    *(int64_t *)out = sqlite3_column_int64(st, 0);
}

int store_int(struct store *s, sqlite3_stmt *st, int64_t *out)
{
    return store_row(s, st, row_int, out);
}

int store_each_row(struct store *s, sqlite3_stmt *st,
                   void (*row)(sqlite3_stmt *st, void *arg), void *arg)
{
    int rc;

    if (!st)
        return -1;
    for (;;) {
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW)
            break;
        row(st, arg);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_fail(s, rc);
    s->last = RESULT_OK;
    return 0;
}

struct copied_rows {
    char *rows;
    size_t n, cap, size;
    void (*row)(sqlite3_stmt *st, void *out);
};

static void copy_row(sqlite3_stmt *st, void *arg)
{
    struct copied_rows *c = arg;

    if (c->n + 1 > c->cap)
        c->rows = grow_array(c->rows, c->n + 1, &c->cap, c->size);
    c->row(st, c->rows + c->n++ * c->size);
}

int store_rows(struct store *s, sqlite3_stmt *st, size_t size,
               void (*row)(sqlite3_stmt *st, void *out), void **out)
{
    struct copied_rows c = { NULL, 0, 0, size, row };

    *out = NULL;
    if (store_each_row(s, st, copy_row, &c) < 0 || c.n > INT32_MAX) {
        free(c.rows);
        return -1;
    }
    *out = c.rows;
    return (int)c.n;
}

void store_read_row(sqlite3_stmt *st, const struct store_col *cols,
                    size_t n, void *out)
{
    for (size_t i = 0; i < n; i++) {
        char *field = (char *)out + cols[i].off;
        int c = (int)i;
        int64_t v;

        if (cols[i].type == COL_IS_TEXT) {
            store_col_copy(st, c, field, cols[i].size);
            continue;
        }
        if (cols[i].type == COL_IS_DOUBLE) {
            *(double *)field = sqlite3_column_double(st, c);
            continue;
        }
        /* The type first: reading the value may convert it. */
        if (cols[i].type == COL_IS_LIMIT
            && sqlite3_column_type(st, c) == SQLITE_NULL)
            v = -1;
        else
            v = sqlite3_column_int64(st, c);
        if (cols[i].size == sizeof(int32_t))
            *(int32_t *)field = (int32_t)v;
        else
            *(int64_t *)field = v;
    }
}

char *store_col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    if (!t)
        return NULL;
    return xstrndup((const char *)t, (size_t)sqlite3_column_bytes(st, i));
}

void store_cols_json(struct jw *w, sqlite3_stmt *st,
                     const char *const *names, int n)
{
    for (int i = 0; i < n; i++) {
        jw_key(w, names[i]);
        store_col_json(w, st, i, false);
    }
}

void store_col_json(struct jw *w, sqlite3_stmt *st, int i, bool is_json)
{
    const char *text;
    size_t n;

    /* The type first: reading the text may convert the value. */
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
        text = (const char *)sqlite3_column_text(st, i);
        n = (size_t)sqlite3_column_bytes(st, i);
        if (is_json)
            jw_raw(w, text, n);
        else
            jw_strn(w, text, n);
    }
}

void store_col_copy(sqlite3_stmt *st, int i, char *dst, size_t size)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    snprintf(dst, size, "%s", t ? (const char *)t : "");
}

static int exec_sql(struct store *s, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

    if (rc != SQLITE_OK) {
        store_fail(s, rc);
        if (msg)
            snprintf(s->message, sizeof(s->message), "%s", msg);
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int store_begin(struct store *s)
{
    return exec_sql(s, "BEGIN IMMEDIATE");
}

int store_commit(struct store *s)
{
    if (exec_sql(s, "COMMIT") < 0) {
        store_rollback(s);
        return -1;
    }
    return 0;
}

void store_rollback(struct store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int store_latest_version(void)
{
    int v = 0;

    for (const struct migration *m = store_migrations; m->sql; m++)
        if (m->version > v)
            v = m->version;
    return v;
}

int store_schema_version(struct store *s)
{
    int64_t v = -1;

    if (store_int(s, store_stmt(s, "SELECT coalesce(max(version), 0)"
                                   " FROM schema_version"), &v) < 1)
        return -1;
    return (int)v;
}

static int migrate(struct store *s, char *err)
{
    int have, latest = store_latest_version();

    if (exec_sql(s, "CREATE TABLE IF NOT EXISTS schema_version ("
                    " version INTEGER PRIMARY KEY,"
                    " name TEXT NOT NULL,"
                    " applied_at INTEGER NOT NULL)") < 0)
        goto fail;
    if (store_begin(s) < 0)
        goto fail;
    have = store_schema_version(s);
    if (have < 0) {
        store_rollback(s);
        goto fail;
    }
    if (have > latest) {
        store_rollback(s);
        err_set(err, "database schema version %d is newer than this "
                "pyexec understands (%d): refusing to downgrade; run the "
                "newer pyexec or restore a backup taken before the upgrade",
                have, latest);
        return -1;
    }
    for (const struct migration *m = store_migrations; m->sql; m++) {
        if (m->version <= have)
            continue;
        if (exec_sql(s, m->sql) < 0) {
            err_set(err, "migration %s: %s", m->name, s->message);
            store_rollback(s);
            return -1;
        }
        if (STORE_RUN(s, "INSERT INTO schema_version VALUES (?, ?, ?)",
                      V_INT(m->version), V_TEXT(m->name),
                      V_INT(wall_ms())) < 0)
            goto fail_rb;
        log_info("database: applied migration %s", m->name);
    }
    return store_commit(s) < 0 ? (err_set(err, "%s", s->message), -1) : 0;
fail_rb:
    store_rollback(s);
fail:
    err_set(err, "%s", s->message);
    return -1;
}

static void row_instance_id(sqlite3_stmt *st, void *out)
{
    struct store *s = out;

    store_col_copy(st, 0, s->instance_id, sizeof(s->instance_id));
}

static int load_instance_id(struct store *s, char *err)
{
    unsigned char r[6];
    char fresh[13];

    random_bytes(r, sizeof(r));
    hex_encode(r, sizeof(r), fresh);
    if (STORE_RUN(s, "INSERT OR IGNORE INTO meta VALUES ('instance_id', ?)",
                  V_TEXT(fresh)) == 0
        && store_row(s, store_stmt(s, "SELECT value FROM meta"
                                      " WHERE key = 'instance_id'"),
                     row_instance_id, s) == 1)
        return 0;
    err_set(err, "reading the instance id: %s", s->message);
    return -1;
}

struct store *store_open(const char *path, long busy_ms, bool do_migrate,
                         char *err)
{
    struct store *s = xcalloc(1, sizeof(*s));
    int rc;

    rc = sqlite3_open_v2(path, &s->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                         | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        err_set(err, "%s: %s", path,
                s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_busy_timeout(s->db, (int)busy_ms);
    sqlite3_extended_result_codes(s->db, 1);
    if (exec_sql(s, "PRAGMA journal_mode = WAL;"
                    "PRAGMA synchronous = NORMAL;"
                    "PRAGMA foreign_keys = ON;"
                    "PRAGMA temp_store = MEMORY;") < 0) {
        err_set(err, "%s: %s", path, s->message);
        goto fail;
    }
    if (do_migrate && migrate(s, err) < 0)
        goto fail;
    if (store_schema_version(s) < 1) {
        err_set(err, "%s: the database has no schema yet", path);
        goto fail;
    }
    if (load_instance_id(s, err) < 0)
        goto fail;
    return s;
fail:
    store_close(s);
    return NULL;
}

struct store *store_open_copy(const char *path, long busy_ms, char *err)
{
    struct store *s = store_open(path, busy_ms, false, err);

    if (s && exec_sql(s, "PRAGMA query_only = ON;") < 0) {
        err_set(err, "%s: %s", path, s->message);
        store_close(s);
        return NULL;
    }
    return s;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < STORE_STMT_CACHE; i++)
        if (s->cache[i].stmt)
            sqlite3_finalize(s->cache[i].stmt);
    sqlite3_close(s->db);
    free(s);
}

const char *store_instance_id(struct store *s)
{
    return s->instance_id;
}

int store_ping(struct store *s, char *err)
{
    if (store_schema_version(s) < 1) {
        err_set(err, "%s", s->message[0] ? s->message : "no schema");
        return -1;
    }
    return 0;
}

void store_scoped_id(const char *key_id, const char *id,
                     char out[STORE_SCOPED_ID_LEN])
{
    snprintf(out, STORE_SCOPED_ID_LEN, "%s/%s", key_id, id);
}

int store_size(struct store *s, int64_t *bytes)
{
    return store_int(s, store_stmt(s, "SELECT page_count * page_size"
                                      " FROM pragma_page_count(),"
                                      " pragma_page_size()"), bytes);
}

int store_backup(struct store *s, const char *path, char *err)
{
    sqlite3 *dst;
    sqlite3_backup *b;
    int rc;

    rc = sqlite3_open(path, &dst);
    if (rc != SQLITE_OK) {
        err_set(err, "%s: %s", path, sqlite3_errmsg(dst));
        sqlite3_close(dst);
        return -1;
    }
    b = sqlite3_backup_init(dst, "main", s->db, "main");
    if (!b) {
        err_set(err, "%s: %s", path, sqlite3_errmsg(dst));
        sqlite3_close(dst);
        return -1;
    }
    /* Copy in steps so writers are only paused briefly. */
    do {
        rc = sqlite3_backup_step(b, 256);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            sleep_ms(10);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
        err_set(err, "backup: %s", sqlite3_errstr(rc));
        sqlite3_close(dst);
        return -1;
    }
    rc = sqlite3_close(dst);
    return rc == SQLITE_OK ? 0 : -1;
}

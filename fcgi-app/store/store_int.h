/* store_int.h - private to the store_*.c files: the connection, a cache
 * of prepared statements keyed by their SQL text's address, and the one
 * way every query runs: prepare and bind in one call (STORE_PREPARE,
 * STORE_RUN), then step for no row, one row (store_row) or all rows
 * (store_rows). */
#ifndef PYEXEC_STORE_INT_H
#define PYEXEC_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store/store.h"

#define STORE_STMT_CACHE 64

struct store {
    sqlite3 *db;
    char instance_id[33];
    enum result last;
    char message[256];
    struct {
        const char *sql;
        sqlite3_stmt *stmt;
    } cache[STORE_STMT_CACHE];
};

/* A value to bind to the next parameter, made with one of the V_*
 * macros: a string (NULL binds NULL), a string or blob of n bytes, an
 * integer (V_INT_IF: NULL unless c), a double. */
enum store_val_type { VAL_NULL, VAL_TEXT, VAL_TEXTN, VAL_BLOB, VAL_INT,
                      VAL_DOUBLE };
struct store_val {
    enum store_val_type type;
    const void *p;
    size_t n;
    int64_t i;
    double d;
};
#define V_TEXT(s) ((struct store_val){ VAL_TEXT, (s), 0, 0, 0 })
#define V_TEXTN(s, len) ((struct store_val){ VAL_TEXTN, (s), (len), 0, 0 })
#define V_BLOB(b, len) ((struct store_val){ VAL_BLOB, (b), (len), 0, 0 })
#define V_INT(x) ((struct store_val){ VAL_INT, NULL, 0, (int64_t)(x), 0 })
#define V_INT_IF(c, x) \
    ((struct store_val){ (c) ? VAL_INT : VAL_NULL, NULL, 0, (int64_t)(x), 0 })
#define V_DOUBLE(x) ((struct store_val){ VAL_DOUBLE, NULL, 0, 0, (x) })
#define STORE_VALS(...) (const struct store_val[]){ __VA_ARGS__ }, \
    sizeof((const struct store_val[]){ __VA_ARGS__ }) \
    / sizeof(struct store_val)

/* The cached statement for sql (a string literal: its address is the
 * key), reset, with the values bound to parameters 1..n.  NULL on error
 * (recorded in s). */
sqlite3_stmt *store_stmt(struct store *s, const char *sql);
sqlite3_stmt *store_prepare(struct store *s, const char *sql,
                            const struct store_val *v, size_t n);
#define STORE_PREPARE(s, sql, ...) \
    store_prepare((s), (sql), STORE_VALS(__VA_ARGS__))

/* Runs a statement that returns no rows; 0 or -1.  store_changes() then
 * says how many rows it changed. */
int store_run(struct store *s, const char *sql, const struct store_val *v,
              size_t n);
#define STORE_RUN(s, sql, ...) store_run((s), (sql), STORE_VALS(__VA_ARGS__))
int store_changes(struct store *s);

/* How the columns of a row fill the fields of a struct, in order (see
 * store_read_row): text into a char array (cut to fit), an integer into
 * an int or a 64-bit field (by its size), an integer that may be NULL
 * (-1 then), a double.  Each takes the struct type and the field. */
enum store_col_type { COL_IS_TEXT, COL_IS_INT, COL_IS_LIMIT,
                      COL_IS_DOUBLE };
struct store_col {
    enum store_col_type type;
    size_t off, size;
};
/* Copies the n columns of st's current row into the fields of out. */
void store_read_row(sqlite3_stmt *st, const struct store_col *cols,
                    size_t n, void *out);
/* Defines fn(st, out), which reads a row into the T at out: COLS(X, T)
 * calls X(T, KIND, field) for each column in order, KIND being TEXT,
 * INT, LIMIT or DOUBLE. */
#define STORE_COL(T, kind, f) \
    { COL_IS_##kind, offsetof(T, f), sizeof(((T *)0)->f) },
#define STORE_READER(fn, T, COLS) \
    static void fn(sqlite3_stmt *st, void *out) \
    { \
        static const struct store_col cols[] = { COLS(STORE_COL, T) }; \
        \
        store_read_row(st, cols, ARRAY_SIZE(cols), out); \
    }

/* Steps st to its end, calling row(st, arg) for each row.  0 or -1;
 * st is reset either way. */
int store_each_row(struct store *s, sqlite3_stmt *st,
                   void (*row)(sqlite3_stmt *st, void *arg), void *arg);
/* Steps st once: 1 with the row handed to row(st, out), 0 when there is
 * none, -1 on error.  st is reset either way. */
int store_row(struct store *s, sqlite3_stmt *st,
              void (*row)(sqlite3_stmt *st, void *out), void *out);
/* The first column of st's one row as an integer: 1, 0 (no row) or -1. */
int store_int(struct store *s, sqlite3_stmt *st, int64_t *out);
/* Steps st to its end, copying each row with row() into a new array of
 * size-byte items, *out (caller frees; NULL when there are none).  The
 * rows are copied before the caller looks at them, so it may write to
 * the same tables as it goes.  Returns the count or -1. */
int store_rows(struct store *s, sqlite3_stmt *st, size_t size,
               void (*row)(sqlite3_stmt *st, void *out), void **out);

/* Inserts the row of e with status (store_executions.c); 0 or -1. */
struct execution_new;
int store_execution_insert(struct store *s, const struct execution_new *e,
                           const char *status);

/* Inserts n events of the execution stored as sid, inside the caller's
 * transaction (store_events.c); 0 or -1. */
struct store_event;
int store_events_insert(struct store *s, const char *sid,
                        const struct store_event *ev, size_t n);

/* Records rc as the last error; returns -1 for convenience. */
int store_fail(struct store *s, int rc);
/* Steps a statement that returns no rows; 0 or -1. */
int store_step_done(struct store *s, sqlite3_stmt *st);

/* Writes column i to w as the JSON value of its type; is_json: the text
 * is JSON we wrote, spliced in as it is. */
struct jw;
void store_col_json(struct jw *w, sqlite3_stmt *st, int i, bool is_json);
/* Writes columns 0 .. n-1 as the members names[0 .. n-1] of an object
 * the caller has opened. */
void store_cols_json(struct jw *w, sqlite3_stmt *st,
                     const char *const *names, int n);
/* Column text as a new string (NULL for SQL NULL), or copied into
 * dst[size] ("" for NULL), cut to fit. */
char *store_col_dup(sqlite3_stmt *st, int i);
void store_col_copy(sqlite3_stmt *st, int i, char *dst, size_t size);

#endif

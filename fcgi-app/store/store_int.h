/* store_int.h - private to the store_*.c files: the connection and a
 * cache of prepared statements keyed by their SQL text's address. */
#ifndef PYEXEC_STORE_INT_H
#define PYEXEC_STORE_INT_H

#include <sqlite3.h>

#include "store/store.h"

#define STORE_STMT_CACHE 64

struct store {
    sqlite3 *db;
    char instance_id[33];
    enum store_error last;
    char message[256];
    struct {
        const char *sql;
        sqlite3_stmt *stmt;
    } cache[STORE_STMT_CACHE];
};

/* A reset statement for sql (a string literal: its address is the key).
 * NULL on error (recorded in s). */
sqlite3_stmt *store_stmt(struct store *s, const char *sql);
/* Records rc as the last error; returns -1 for convenience. */
int store_fail(struct store *s, int rc);
/* Steps a statement that returns no rows; 0 or -1. */
int store_step_done(struct store *s, sqlite3_stmt *st);

/* Binding helpers: a NULL string binds SQL NULL. */
void store_bind_text(sqlite3_stmt *st, int i, const char *v);
void store_bind_textn(sqlite3_stmt *st, int i, const char *v, size_t n);
/* Column text as a new string (NULL for SQL NULL). */
char *store_col_dup(sqlite3_stmt *st, int i);

#endif

/* store.h - the SQLite database: opening, migrations, and the shared
 * helpers of the store_*.c modules (executions, images, keys, pool,
 * sessions).  One connection per process; never shared across fork. */
#ifndef PYEXEC_STORE_H
#define PYEXEC_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/result.h"

struct store;

/* Room for a key id ("key_" and 10 hex digits, "cfg_" and 12,
 * "anonymous") with its NUL. */
#define STORE_KEY_ID_LEN 48
/* How executions.id, and every column naming an execution elsewhere,
 * hold a client's id: scoped by its key (key ids have no '/').  SQL that
 * reads the id back strips the scope with STORE_UNSCOPED_COL(column). */
#define STORE_SCOPED_ID_LEN (STORE_KEY_ID_LEN + 1 + 72)
#define STORE_UNSCOPED_COL(col) "substr(" col ", length(key_id) + 2)"
#define STORE_UNSCOPED STORE_UNSCOPED_COL("id")
/* Writes "<key_id>/<id>" into out (truncated to fit: ids are at most 64
 * characters, key ids under STORE_KEY_ID_LEN). */
void store_scoped_id(const char *key_id, const char *id,
                     char out[STORE_SCOPED_ID_LEN]);

struct migration {
    int version;
    const char *name;
    const char *sql;
};
/* Generated from the sql/NNN_name.sql files; ends with a { 0, NULL, NULL }
 * row. */
extern const struct migration store_migrations[];

/* Opens path (creating it), sets WAL, synchronous=NORMAL and the busy
 * timeout.  With migrate, applies pending migrations and refuses a
 * database newer than this program.  Returns NULL with err. */
/* Opens a copy of another cell's database (a restored replica) to read
 * only: no migration, and any write fails. */
struct store *store_open_copy(const char *path, long busy_ms, char *err);
struct store *store_open(const char *path, long busy_ms, bool migrate,
                         char *err);
void store_close(struct store *s);              /* NULL is fine */

/* Why the last call failed: RESULT_DB_BUSY (a lock held past the busy
 * timeout), RESULT_DB_FULL (disk or I/O), RESULT_DUPLICATE (a
 * constraint, such as an id that exists) or RESULT_INTERNAL; RESULT_OK
 * after a success.  And its message. */
enum result store_last_error(const struct store *s);
const char *store_last_message(const struct store *s);

/* The schema version applied, and the newest this program knows. */
int store_schema_version(struct store *s);
int store_latest_version(void);

/* A random id made at first start; labels our containers. */
const char *store_instance_id(struct store *s);

/* A real round trip (read of schema_version) for /health. */
int store_ping(struct store *s, char *err);

/* The database's size in bytes (its pages, not the WAL); 0 or -1. */
int store_size(struct store *s, int64_t *bytes);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/* Writes a consistent copy of the database to path (online backup). */
int store_backup(struct store *s, const char *path, char *err);

#endif

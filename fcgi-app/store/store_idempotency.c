/* store_idempotency.c - see store_idempotency.h. */
#include "config.h"
#include "store/store_idempotency.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "base/util.h"
#include "store/store_int.h"

#define ROW(X, T) X(T, TEXT, fingerprint) X(T, INT, holder_pid) \
    X(T, INT, status)
STORE_READER(read_row, struct idem_row, ROW)

static void row_of(sqlite3_stmt *st, void *out)
{
    struct idem_row *r = out;

    read_row(st, out);
    r->response = store_col_dup(st, 3);
}

int store_idem_get(struct store *s, const char *key_id, const char *key,
                   struct idem_row *row)
{
    memset(row, 0, sizeof(*row));
    return store_row(s, STORE_PREPARE(s, "SELECT fingerprint, holder_pid,"
                                         " coalesce(status, 0), response"
                                         " FROM idempotency WHERE"
                                         " key_id = ? AND idem_key = ?",
                                      V_TEXT(key_id), V_TEXT(key)),
                     row_of, row);
}

static bool holder_gone(const struct idem_row *r)
{
    return r->status == 0 && kill(r->holder_pid, 0) < 0 && errno == ESRCH;
}

int store_idem_claim(struct store *s, const char *key_id, const char *key,
                     const char *fingerprint, int pid, int64_t ttl_ms,
                     struct idem_row *row)
{
    int rc;

    if (store_begin(s) < 0)
        return -1;
    if (STORE_RUN(s, "DELETE FROM idempotency WHERE created_at < ?",
                  V_INT(wall_ms() - ttl_ms)) < 0)
        goto fail;
    rc = store_idem_get(s, key_id, key, row);
    if (rc < 0)
        goto fail;
    if (rc == 1 && !(holder_gone(row)
                     && strcmp(row->fingerprint, fingerprint) == 0)) {
        store_rollback(s);
        return 0;
    }
    free(row->response);
    row->response = NULL;
    if (STORE_RUN(s, "INSERT OR REPLACE INTO idempotency (key_id, idem_key,"
                     " fingerprint, holder_pid, created_at)"
                     " VALUES (?, ?, ?, ?, ?)", V_TEXT(key_id), V_TEXT(key),
                  V_TEXT(fingerprint), V_INT(pid), V_INT(wall_ms())) < 0)
        goto fail;
    return store_commit(s) < 0 ? -1 : 1;
fail:
    store_rollback(s);
    return -1;
}

int store_idem_answer(struct store *s, const char *key_id, const char *key,
                      int status, const char *response, size_t len)
{
    return STORE_RUN(s, "UPDATE idempotency SET status = ?, response = ?"
                        " WHERE key_id = ? AND idem_key = ?", V_INT(status),
                     V_TEXTN(response, len), V_TEXT(key_id), V_TEXT(key));
}

int store_idem_release(struct store *s, const char *key_id, const char *key)
{
    return STORE_RUN(s, "DELETE FROM idempotency WHERE key_id = ? AND"
                        " idem_key = ?", V_TEXT(key_id), V_TEXT(key));
}

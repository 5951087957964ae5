/* store_keys.c - see store_keys.h. */
#include "config.h"
#include "store/store_keys.h"

#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"
#include "base/util.h"
#include "store/store_int.h"

#define KEY_COLS "id, name, max_concurrent, rate_per_minute, created_at," \
    " coalesce(revoked_at, 0)"

/* The columns of KEY_COLS, in order. */
#define KEY(X, T) X(T, TEXT, id) X(T, TEXT, name) \
    X(T, LIMIT, max_concurrent) X(T, LIMIT, rate_per_minute) \
    X(T, INT, created_at) X(T, INT, revoked_at)
STORE_READER(row_to_key, struct key_info, KEY)
/* The list adds what each key stores (key_storage_max counts it). */
#define KEY_LIST(X, T) KEY(X, T) X(T, INT, stored_bytes)
STORE_READER(row_to_key_listed, struct key_info, KEY_LIST)

int store_key_lookup(struct store *s, const char *hash_hex,
                     struct key_info *out)
{
    return store_row(s, STORE_PREPARE(s, "SELECT " KEY_COLS " FROM api_keys"
                                         " WHERE hash = ?"
                                         " AND revoked_at IS NULL",
                                      V_TEXT(hash_hex)), row_to_key, out);
}

int store_key_insert(struct store *s, const char *id, const char *hash_hex,
                     const char *name)
{
    return STORE_RUN(s, "INSERT INTO api_keys (id, hash, name, created_at)"
                        " VALUES (?, ?, ?, ?)", V_TEXT(id), V_TEXT(hash_hex),
                     V_TEXT(name ? name : ""), V_INT(wall_ms()));
}

char *store_key_create(struct store *s, const char *name, char **id_out)
{
    char *token = random_token(40);
    char *key = xasprintf("pyx_%s", token);
    char hash[2 * SHA256_LEN + 1];
    unsigned char r[5];
    char idhex[11];

    free(token);
    random_bytes(r, sizeof(r));
    hex_encode(r, sizeof(r), idhex);
    sha256_hex(key, strlen(key), hash);
    *id_out = xasprintf("key_%s", idhex);
    if (store_key_insert(s, *id_out, hash, name) < 0) {
        free(key);
        free(*id_out);
        *id_out = NULL;
        return NULL;
    }
    return key;
}

int store_key_count_active(struct store *s)
{
    int64_t n;

    if (store_int(s, store_stmt(s, "SELECT count(*) FROM api_keys"
                                   " WHERE revoked_at IS NULL"), &n) < 0)
        return -1;
    return (int)n;
}

int store_key_revoke(struct store *s, const char *id)
{
    if (STORE_RUN(s, "UPDATE api_keys SET revoked_at = ? WHERE id = ?"
                     " AND revoked_at IS NULL", V_INT(wall_ms()),
                  V_TEXT(id)) < 0)
        return -1;
    return store_changes(s) > 0;
}

int store_key_set_limits(struct store *s, const char *id,
                         long max_concurrent, long rate_per_minute)
{
    if (STORE_RUN(s, "UPDATE api_keys SET max_concurrent = ?,"
                     " rate_per_minute = ? WHERE id = ?",
                  V_INT_IF(max_concurrent >= 0, max_concurrent),
                  V_INT_IF(rate_per_minute >= 0, rate_per_minute),
                  V_TEXT(id)) < 0)
        return -1;
    return store_changes(s) > 0;
}

int store_key_list(struct store *s,
                   void (*cb)(const struct key_info *k, void *arg),
                   void *arg)
{
    struct key_info *rows;
    int n = store_rows(s, store_stmt(s, "SELECT " KEY_COLS ", (SELECT"
                                        " coalesce(sum(size), 0) FROM images"
                                        " WHERE key_id = api_keys.id)"
                                        " FROM api_keys"
                                        " ORDER BY created_at DESC, id"),
                       sizeof(*rows), row_to_key_listed, (void **)&rows);

    for (int i = 0; i < n; i++)
        cb(&rows[i], arg);
    free(rows);
    return n < 0 ? -1 : 0;
}

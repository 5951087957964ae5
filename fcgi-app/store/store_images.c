/* store_images.c - see store_images.h. */
#include "config.h"
#include "store/store_images.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/util.h"
#include "store/store_int.h"

int store_image_insert(struct store *s, const struct image_new *im,
                       char id[IMAGE_ID_MAX + 1])
{
    /* A tagged execution's images carry its cell's tag (SPEC 10): ids
     * are otherwise dot-free. */
    const char *dot = strchr(im->execution_id, '.');
    size_t tag = dot ? (size_t)(dot - im->execution_id) + 1 : 0;
    unsigned char r[16];
    char sid[STORE_SCOPED_ID_LEN], hex[33];

    if (tag >= IMAGE_ID_MAX - 32)
        tag = 0;
    store_scoped_id(im->key_id, im->execution_id, sid);
    random_bytes(r, sizeof(r));
    hex_encode(r, sizeof(r), hex);
    snprintf(id, IMAGE_ID_MAX + 1, "%.*s%s", (int)tag, im->execution_id,
             hex);
    return STORE_RUN(s, "INSERT INTO images (id, execution_id, key_id, seq,"
                        " kind, name, mime, width, height, size, bytes,"
                        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                        " ?, ?)", V_TEXT(id), V_TEXT(sid),
                     V_TEXT(im->key_id), V_INT(im->seq), V_TEXT(im->kind),
                     V_TEXT(im->name), V_TEXT(im->mime),
                     V_INT_IF(im->width, im->width),
                     V_INT_IF(im->height, im->height), V_INT(im->size),
                     V_BLOB(im->bytes, im->size), V_INT(wall_ms()));
}

int store_image_key_bytes(struct store *s, const char *key_id, int64_t *out)
{
    return store_int(s, STORE_PREPARE(s, "SELECT coalesce(sum(size), 0)"
                                         " FROM images WHERE key_id = ?",
                                      V_TEXT(key_id)), out);
}

static void row_to_blob(sqlite3_stmt *st, void *out)
{
    struct image_blob *b = out;

    b->mime = store_col_dup(st, 0);
    b->size = (size_t)sqlite3_column_bytes(st, 1);
    b->bytes = xmalloc(b->size ? b->size : 1);
    if (b->size)
        memcpy(b->bytes, sqlite3_column_blob(st, 1), b->size);
    b->name = store_col_dup(st, 2);
}

int store_image_get(struct store *s, const char *id, struct image_blob *out)
{
    memset(out, 0, sizeof(*out));
    return store_row(s, STORE_PREPARE(s, "SELECT mime, bytes, name"
                                         " FROM images WHERE id = ?",
                                      V_TEXT(id)), row_to_blob, out);
}

void store_image_blob_release(struct image_blob *b)
{
    free(b->mime);
    free(b->bytes);
    free(b->name);
    memset(b, 0, sizeof(*b));
}

static const char *const image_columns[] = {
    "kind", "name", "mime", "width", "height", "size",
};

static void write_image(sqlite3_stmt *st, const char *base_url,
                        struct jw *w)
{
    const char *id = (const char *)sqlite3_column_text(st, 0);
    char *url = xasprintf("%s/images/%s", base_url, id);

    jw_obj_open(w);
    jw_kv_str(w, "id", id);
    jw_kv_str(w, "url", url);
    for (size_t i = 0; i < ARRAY_SIZE(image_columns); i++) {
        jw_key(w, image_columns[i]);
        store_col_json(w, st, (int)i + 1, false);
    }
    jw_obj_close(w);
    free(url);
}

void store_image_write_list(struct store *s, const char *execution_id,
                            const char *base_url, struct jw *w)
{
    sqlite3_stmt *st = STORE_PREPARE(s, "SELECT id, kind, name, mime, width,"
                                        " height, size FROM images"
                                        " WHERE execution_id = ?"
                                        " ORDER BY seq", V_TEXT(execution_id));

    jw_arr_open(w);
    while (st && sqlite3_step(st) == SQLITE_ROW)
        write_image(st, base_url, w);
    if (st)
        sqlite3_reset(st);
    jw_arr_close(w);
}

/* store_images.h - the images table: the figures and output files an
 * execution produced, served by id. */
#ifndef PYEXEC_STORE_IMAGES_H
#define PYEXEC_STORE_IMAGES_H

#include <stddef.h>
#include <stdint.h>

#include "base/cell.h"

/* 32 hex digits, after the cell's tag when it has one (SPEC 10). */
#define IMAGE_ID_MAX (CELL_NAME_MAX + 1 + 32)

struct store;
struct jw;

struct image_new {
    const char *execution_id;   /* the client's id, scoped by key_id */
    const char *key_id;
    int seq;
    const char *kind;           /* "plot" or "file" */
    const char *name;           /* files only */
    const char *mime;
    int width, height;          /* 0 when unknown */
    const void *bytes;
    size_t size;
};
/* Stores one; writes its new unguessable id (32 hex) into id. */
int store_image_insert(struct store *s, const struct image_new *im,
                       char id[IMAGE_ID_MAX + 1]);

/* The bytes of all figures and files a key has stored, into *out; 0 or
 * -1. */
int store_image_key_bytes(struct store *s, const char *key_id,
                          int64_t *out);

struct image_blob {
    char *mime;
    void *bytes;
    size_t size;
    char *name;
};
/* 1 and *out (caller frees with store_image_blob_release) when the image
 * exists, 0 when not, -1 on error.  Images are served by id alone: the
 * id is the capability (128 random bits). */
int store_image_get(struct store *s, const char *id, struct image_blob *out);
void store_image_blob_release(struct image_blob *b);


/* Writes the images of an execution (its scoped id, store_scoped_id)
 * as a JSON array into w, each with its url under base_url. */
void store_image_write_list(struct store *s, const char *execution_id,
                            const char *base_url, struct jw *w);

#endif

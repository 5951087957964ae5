/* images.c - GET /images/{id}[.png] and the seed-000 spelling
 * GET /image/{filename}.  The 128-bit random id is the capability, so no
 * key is needed (an <img> tag can't send one).  Output files that are not
 * images are sent as downloads, and nothing is ever rendered as active
 * content on our origin. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "base/cell.h"
#include "base/util.h"
#include "http/handlers/common.h"
#include "http/handlers/handlers.h"
#include "http/request.h"
#include "http/response.h"
#include "store/store.h"
#include "store/store_executions.h"
#include "store/store_images.h"

/* The name the program chose, reduced to characters that can't confuse a
 * header or a browser's download bar (no quotes, no bidi controls). */
static void safe_file_name(const char *name, char *out, size_t size)
{
    size_t o = 0;

    for (const char *p = name; *p && o + 1 < size; p++) {
        char c = *p;

        out[o++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'
            ? c : '_';
    }
    out[o] = '\0';
    if (!o)
        snprintf(out, size, "output");
}

static void serve(struct request *rq, const char *raw)
{
    /* "[cell.]<id>[.png]": a cell's tag (its own, or a lost one's whose
     * copy is served), and an optional extension. */
    size_t tag = cell_tag_len(rq->conf, raw);
    const char *dot = strchr(raw + tag, '.');
    size_t n = dot ? (size_t)(dot - raw - tag) : strlen(raw + tag);
    char id[IMAGE_ID_MAX + 1] = "", hex[33] = "";
    struct image_blob b;
    int rc = 0;

    if (n == 32) {
        memcpy(hex, raw + tag, n);
        snprintf(id, sizeof(id), "%.*s%s", (int)tag, raw, hex);
    }
    /* Anything but 32 safe characters is no image either. */
    if (is_safe_id(hex, 32))
        rc = store_image_get(rq->store, id, &b);
    if (respond_missing(rq, rc, "image"))
        return;
    /* User content, served to whoever has the URL: no shared cache. */
    response_header(rq, "Cache-Control", "private, max-age=31536000, "
                    "immutable");
    response_header(rq, "X-Content-Type-Options", "nosniff");
    response_header(rq, "Content-Security-Policy", "default-src 'none'; "
                    "sandbox");
    if (strcmp(b.mime, "image/png") && strcmp(b.mime, "image/jpeg")
        && strcmp(b.mime, "image/gif")) {
        char safe[128], *disp;

        safe_file_name(b.name ? b.name : id, safe, sizeof(safe));
        disp = xasprintf("attachment; filename=\"%s\"", safe);
        response_header(rq, "Content-Disposition", disp);
        free(disp);
    }
    /* For HEAD the front end drops the body and keeps the length. */
    response_send(rq, 200, b.mime, b.bytes, b.size);
    store_image_blob_release(&b);
}

void handle_image(struct request *rq)
{
    serve(rq, rq->params[0]);
}

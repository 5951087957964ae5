/* filetype.c - see filetype.h. */
#include "config.h"
#include "base/filetype.h"

#include <string.h>
#include <strings.h>

#include "base/util.h"

int filetype_png_size(const unsigned char *p, size_t n, int *width,
                      int *height)
{
    static const unsigned char sig[8] = {
        0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'
    };
    unsigned long w, h;

    if (n < 33 || memcmp(p, sig, 8) != 0 || memcmp(p + 12, "IHDR", 4) != 0)
        return -1;
    w = (unsigned long)p[16] << 24 | (unsigned long)p[17] << 16
        | (unsigned long)p[18] << 8 | p[19];
    h = (unsigned long)p[20] << 24 | (unsigned long)p[21] << 16
        | (unsigned long)p[22] << 8 | p[23];
    if (w == 0 || h == 0 || w > 100000 || h > 100000)
        return -1;
    *width = (int)w;
    *height = (int)h;
    return 0;
}

const char *filetype_mime(const char *name)
{
    static const struct { const char *ext, *mime; } types[] = {
        { ".png", "image/png" }, { ".jpg", "image/jpeg" },
        { ".jpeg", "image/jpeg" }, { ".gif", "image/gif" },
        { ".svg", "image/svg+xml" }, { ".csv", "text/csv" },
        { ".txt", "text/plain" }, { ".json", "application/json" },
        { ".html", "text/html" }, { ".pdf", "application/pdf" },
        { ".xlsx", "application/vnd.openxmlformats-officedocument."
                   "spreadsheetml.sheet" },
    };
    const char *dot = strrchr(name, '.');

    for (size_t i = 0; dot && i < ARRAY_SIZE(types); i++)
        if (strcasecmp(dot, types[i].ext) == 0)
            return types[i].mime;
    return "application/octet-stream";
}

/* filetype.h - what a figure or an output file is: a PNG's size from its
 * header, a MIME type from a file name. */
#ifndef PYEXEC_FILETYPE_H
#define PYEXEC_FILETYPE_H

#include <stddef.h>

/* Parses a PNG header: 0 and the size, or -1 when it isn't a PNG. */
int filetype_png_size(const unsigned char *p, size_t n, int *width,
                      int *height);
/* A MIME type for an output file name; application/octet-stream for
 * what it does not know. */
const char *filetype_mime(const char *name);

#endif

/* buf.h - bounded, always NUL-terminated byte buffers (strbuf with a max). */
#ifndef PYEXEC_BUF_H
#define PYEXEC_BUF_H

#include <stdarg.h>
#include <stddef.h>

/* A growable buffer.  data is NULL until the first append; after any
 * append data[len] == '\0'.  max caps len (0 means no cap). */
struct buf {
    char *data;
    size_t len, cap, max;
};

/* A borrowed slice; never owns p. */
struct str {
    const char *p;
    size_t len;
};

#define BUF_INIT(m) { NULL, 0, 0, (m) }

void buf_init(struct buf *b, size_t max);

/* Appends n bytes.  Returns 0, or -1 (nothing appended) if len would pass
 * max. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_append_str(struct buf *b, const char *s);
int buf_append_char(struct buf *b, char c);
/* printf into the buffer; -1 past max (nothing appended). */
int buf_appendf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_vappendf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Returns a pointer to the NUL-terminated contents ("" when empty). */
const char *buf_cstr(const struct buf *b);

void buf_reset(struct buf *b);     /* len = 0, keeps the memory */
void buf_release(struct buf *b);   /* frees; the buf can be reused */
/* Hands the bytes (NUL-terminated, never NULL) to the caller, who frees
 * them; the buf is left empty. */
char *buf_detach(struct buf *b, size_t *len);

#endif

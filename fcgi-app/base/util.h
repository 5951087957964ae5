/* util.h - allocation that cannot fail, fatal errors, clocks, randomness,
 * and small string helpers shared by every module. */
#ifndef PYEXEC_UTIL_H
#define PYEXEC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define ERR_LEN 256
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define UNUSED(x) ((void)(x))

/* Allocators that abort on OOM: callers never check for NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* n zeroed bytes shared with the processes forked after it (what names
 * it in the error that ends the program if it cannot be made). */
void *xmap_shared(size_t n, const char *what);
/* Size arithmetic that aborts on overflow (git's st_add, st_mult). */
size_t st_add(size_t a, size_t b);
size_t st_mult(size_t a, size_t b);
/* The one way an array grows (git's ALLOC_GROW): makes room for n items
 * in p, which has room for cap, to half again as many as needed; the
 * sizes are checked for overflow.  grow_array returns the new p and
 * updates *cap; ALLOC_GROW calls it only when n > cap. */
void *grow_array(void *p, size_t n, size_t *cap, size_t size);
#define ALLOC_GROW(p, n, cap) \
    do { \
        if ((n) > (cap)) \
            (p) = grow_array((p), (n), &(cap), sizeof(*(p))); \
    } while (0)
/* Copies exactly n bytes (NULs included) and adds a NUL. */
char *xstrndup(const char *s, size_t n);
/* Returns a new printf-formatted string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Start-up only (before any fork): prints "pyexec: msg" and exits 1. */
void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
/* A can't-happen state: logs where and aborts. */
#define BUG(msg) bug_at(__FILE__, __LINE__, (msg))
void bug_at(const char *file, int line, const char *msg)
    __attribute__((noreturn));

/* Writes a message into err (ERR_LEN bytes). */
void err_set(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Milliseconds on the monotonic clock, and wall-clock seconds / ms. */
double now_ms(void);
int64_t wall_ms(void);
void sleep_ms(int ms);

/* Bytes free to an unprivileged writer on the filesystem holding path
 * into *out; 0, or -1 with errno. */
int disk_free_bytes(const char *path, int64_t *out);

/* Fills p with n bytes from the kernel's CSPRNG (aborts if it can't). */
void random_bytes(void *p, size_t n);
/* Writes 2n lowercase hex digits and a NUL to out. */
void hex_encode(const void *p, size_t n, char *out);
/* A new random token of n characters from [A-Za-z0-9]; caller frees. */
char *random_token(size_t n);

/* Strict number parsing: the whole string, within [min, max]. */
int parse_long(const char *s, long min, long max, long *out);
int parse_double(const char *s, double min, double max, double *out);

/* Returns true when s[0..n) is valid UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t n);
/* Returns a new NUL-terminated copy of s[0..n) with each invalid UTF-8
 * sequence and each NUL replaced by U+FFFD; caller frees. */
char *utf8_sanitize(const char *s, size_t n, size_t *outlen);

/* Decodes %XX and, if plus_is_space, '+' in s[0..n) into a new string;
 * returns NULL on a malformed escape.  Caller frees. */
char *url_decode(const char *s, size_t n, bool plus_is_space, size_t *outlen);

/* Base64 (RFC 4648) of p[0..n); caller frees. */
char *base64_encode(const void *p, size_t n, size_t *outlen);
/* Decodes standard base64 (padding optional) into out[max]: the byte
 * count, or -1 on a bad character or when it does not fit. */
int base64_decode(const char *s, unsigned char *out, size_t max);

/* True when s matches [A-Za-z0-9_-]{1,max}. */
bool is_safe_id(const char *s, size_t max);

/* Constant-time comparison of two equal-length byte strings. */
bool ct_equal(const void *a, const void *b, size_t n);

/* Creates dir and its parents with mode (like mkdir -p). */
int mkdir_p(const char *dir, unsigned mode);

/* Writes all n bytes to fd, retrying on EINTR; -1 on error. */
int write_all(int fd, const void *p, size_t n);

#endif

/* fake_fcgi.h - a FastCGI request in memory, for unit tests only: the
 * parameters lighttpd would pass, the body the client sends (cut short
 * to play a client that went away), and what the application writes
 * back, collected.  libfcgi's FCGX_* functions work on it unchanged. */
#ifndef PYEXEC_FAKE_FCGI_H
#define PYEXEC_FAKE_FCGI_H

#include <stddef.h>

#include <fcgiapp.h>

#include "base/buf.h"

struct fake_fcgi {
    FCGX_Request req;           /* what the code under test gets */
    FCGX_Stream in, out;
    char **envp;
    unsigned char *body;
    unsigned char buffer[256];  /* the output stream's; small, so that
                                 * longer writes go through a flush */
    struct buf written;
};

/* Sets up f.  params: "NAME=value" strings, NULL-terminated; body (NULL:
 * none) and its length are what the client sends. */
void fake_fcgi_init(struct fake_fcgi *f, const char *const *params,
                    const char *body, size_t len);
/* Everything written to the output stream so far, NUL-terminated. */
const char *fake_fcgi_output(struct fake_fcgi *f, size_t *len);
void fake_fcgi_release(struct fake_fcgi *f);

#endif

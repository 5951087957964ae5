/* fake_fcgi.c - see fake_fcgi.h.  The streams are libfcgi's own struct
 * with our buffer procedures: the input ends after the body, the output
 * is appended to f->written whenever its buffer fills or is read. */
#include "config.h"
#include "fakes/fake_fcgi.h"

#include <string.h>

#include "base/util.h"

/* The body is all there is: the client sent no more. */
static void fill_input(FCGX_Stream *s)
{
    s->isClosed = 1;
}

static void empty_output(FCGX_Stream *s, int do_close)
{
    struct fake_fcgi *f = s->data;

    buf_append(&f->written, f->buffer, (size_t)(s->wrNext - f->buffer));
    s->wrNext = f->buffer;
    if (do_close)
        s->isClosed = 1;
}

void fake_fcgi_init(struct fake_fcgi *f, const char *const *params,
                    const char *body, size_t len)
{
    size_t n = 0;

    memset(f, 0, sizeof(*f));
    while (params && params[n])
        n++;
    f->envp = xcalloc(n + 1, sizeof(*f->envp));
    for (size_t i = 0; i < n; i++)
        f->envp[i] = xstrdup(params[i]);
    f->body = xmalloc(len ? len : 1);
    if (len)
        memcpy(f->body, body, len);
    f->in.rdNext = f->in.stopUnget = f->body;
    f->in.stop = f->in.wrNext = f->body + len;
    f->in.isReader = 1;
    f->in.fillBuffProc = fill_input;
    f->out.wrNext = f->out.rdNext = f->buffer;
    f->out.stop = f->buffer + sizeof(f->buffer);
    f->out.emptyBuffProc = empty_output;
    f->out.data = f;
    buf_init(&f->written, 0);
    f->req.in = &f->in;
    f->req.out = &f->out;
    f->req.envp = f->envp;
}

const char *fake_fcgi_output(struct fake_fcgi *f, size_t *len)
{
    empty_output(&f->out, 0);
    if (len)
        *len = f->written.len;
    return buf_cstr(&f->written);
}

void fake_fcgi_release(struct fake_fcgi *f)
{
    for (size_t i = 0; f->envp && f->envp[i]; i++)
        free(f->envp[i]);
    free(f->envp);
    free(f->body);
    buf_release(&f->written);
    memset(f, 0, sizeof(*f));
}

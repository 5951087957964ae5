/* worker.h - a pre-forked FastCGI worker: accept, serve, repeat, one
 * request at a time, until told to stop. */
#ifndef PYEXEC_WORKER_H
#define PYEXEC_WORKER_H

struct conf;
struct policy;

struct worker_args {
    const struct conf *conf;
    struct policy *policy;      /* NULL when policy = off */
    int listen_fd;
    int slot;                   /* index in the shared stats */
    int wake_fd;                /* write end of the keeper's wake pipe */
};

/* Never returns.  SIGTERM finishes the request in flight, then exits 0. */
void worker_run(const struct worker_args *a) __attribute__((noreturn));

#endif

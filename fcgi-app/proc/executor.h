/* executor.h - an async executor: runs the executions POST /executions
 * queued, one at a time, through the same path as POST /execute. */
#ifndef PYEXEC_EXECUTOR_H
#define PYEXEC_EXECUTOR_H

struct conf;
struct policy;

struct executor_args {
    const struct conf *conf;
    struct policy *policy;      /* NULL when policy = off */
    int wake_fd;                /* write end of the keeper's wake pipe */
};

/* Never returns.  SIGTERM: finish the execution in hand, then exit 0. */
void executor_run(const struct executor_args *a) __attribute__((noreturn));

#endif

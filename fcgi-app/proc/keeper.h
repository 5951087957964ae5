/* keeper.h - the pool keeper process (see keeper.c). */
#ifndef PYEXEC_KEEPER_H
#define PYEXEC_KEEPER_H

#include <stdbool.h>

struct conf;

struct keeper_args {
    const struct conf *conf;
    int wake_fd;                /* read end: workers poke us */
    int slot;
    bool fresh_start;           /* the first keeper since the master began */
};

/* Never returns.  SIGTERM: remove the idle pool and exit 0.  SIGUSR1:
 * exit 0 leaving every container in place (a config roll).  The keeper
 * is forked with both blocked and unblocks them once it handles them,
 * so one sent at once is not the default death (a pool left behind). */
void keeper_run(const struct keeper_args *a) __attribute__((noreturn));
extern const int keeper_stop_signals[];

#endif

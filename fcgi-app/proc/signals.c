/* signals.c - see signals.h. */
#include "config.h"
#include "proc/signals.h"

#include <string.h>

void signals_set(const int *sigs, void (*handler)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    for (; *sigs; sigs++)
        sigaction(*sigs, &sa, NULL);
}

static sigset_t set_of(const int *sigs)
{
    sigset_t set;

    sigemptyset(&set);
    for (; sigs && *sigs; sigs++)
        sigaddset(&set, *sigs);
    return set;
}

void signals_block(const int *sigs, sigset_t *blocked)
{
    sigset_t set = set_of(sigs);

    sigprocmask(SIG_BLOCK, &set, NULL);
    if (blocked)
        *blocked = set;
}

void signals_unblock(const int *sigs)
{
    sigset_t set = set_of(sigs);

    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

void signals_block_only(const int *sigs)
{
    sigset_t set = set_of(sigs);

    sigprocmask(SIG_SETMASK, &set, NULL);
}

void signals_waiting(const int *sigs, sigset_t *mask)
{
    sigprocmask(SIG_SETMASK, NULL, mask);
    for (; *sigs; sigs++)
        sigdelset(mask, *sigs);
}

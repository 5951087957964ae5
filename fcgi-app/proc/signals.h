/* signals.h - how the processes set up their signals: a list of signals
 * (0-terminated) gets a handler, is ignored, reset or blocked. */
#ifndef PYEXEC_SIGNALS_H
#define PYEXEC_SIGNALS_H

#include <signal.h>

/* Gives each signal in sigs the handler (or SIG_IGN, SIG_DFL).  No
 * SA_RESTART: a blocking call a handled signal interrupts fails with
 * EINTR, which the accept and poll loops rely on. */
void signals_set(const int *sigs, void (*handler)(int));

/* Blocks the signals in sigs; *blocked gets them (may be NULL). */
void signals_block(const int *sigs, sigset_t *blocked);
/* Unblocks them: one that came meanwhile is delivered now. */
void signals_unblock(const int *sigs);
/* Blocks exactly the signals in sigs (NULL: none), all others open. */
void signals_block_only(const int *sigs);

/* The current mask without the signals in sigs: what to wait with
 * (ppoll) for them to be delivered. */
void signals_waiting(const int *sigs, sigset_t *mask);

#endif

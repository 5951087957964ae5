/* notify.h - wake-ups between the processes of one master, so nothing
 * waits by polling: a shared counter of ended executions that any number
 * of processes sleep on (a futex, woken all at once), and two eventfds,
 * one that wakes the async executors and one that wakes the webhook
 * deliverer.  The master makes them before it forks; in a process
 * without them (pyexec-admin, unit tests) every call does nothing. */
#ifndef PYEXEC_NOTIFY_H
#define PYEXEC_NOTIFY_H

#include <stdint.h>

enum notify_fd { NOTIFY_EXECUTORS, NOTIFY_DELIVERER, NOTIFY_N_FDS };

/* Maps the shared counter and makes the eventfds; dies on failure. */
void notify_create(void);

/* The ended-executions counter: read it, check the condition, then wait
 * with what was read, so an end between the two is never missed. */
uint32_t notify_ended_seq(void);
/* Sleeps until the counter moves past seen or timeout_ms passes (or a
 * signal arrives). */
void notify_ended_wait(uint32_t seen, long timeout_ms);
/* One more execution ended: wakes every waiter. */
void notify_ended_bump(void);

/* Wakes the processes that poll fd. */
void notify_poke(enum notify_fd which);
/* The fd to poll for POLLIN (-1 when none); notify_drain() after waking
 * clears it. */
int notify_fd(enum notify_fd which);
void notify_drain(enum notify_fd which);

#endif

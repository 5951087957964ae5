/* notify.h - wake-ups between the processes of one master, so nothing
 * waits by polling: shared counters of ended executions and of stored
 * stream events that any number of processes sleep on (futexes, woken
 * all at once), and two eventfds,
 * one that wakes the async executors and one that wakes the webhook
 * deliverer.  The master makes them before it forks; in a process
 * without them (pyexec-admin, unit tests) every call does nothing. */
#ifndef PYEXEC_NOTIFY_H
#define PYEXEC_NOTIFY_H

#include <stdbool.h>
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
/* One more execution ended: wakes every waiter, the streams' too. */
void notify_ended_bump(void);

/* The same for stored events (exec/events.h): a stream waits on it for
 * the next batch of any execution, then reads its own. */
uint32_t notify_events_seq(void);
void notify_events_wait(uint32_t seen, long timeout_ms);
void notify_events_bump(void);

/* Whether this process was asked to stop: SIGTERM pending (a worker
 * blocks it while it serves).  The master bumps the events counter when
 * it asks a worker, so a stream sleeping on it looks at once. */
bool notify_stop_asked(void);

/* Wakes the processes that poll fd. */
void notify_poke(enum notify_fd which);
/* The fd to poll for POLLIN (-1 when none); notify_drain() after waking
 * clears it. */
int notify_fd(enum notify_fd which);
void notify_drain(enum notify_fd which);

#endif

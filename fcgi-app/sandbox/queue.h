/* queue.h - the one queue of requests waiting for a sandbox (SPEC §8),
 * shared by every worker through a MAP_SHARED area that the master maps
 * before its first fork.
 *
 * Fair between keys: a ticket's round is one more than the last round
 * of its key still waiting, or than the round being served, whichever
 * is later; tickets are served by (round, arrival).  That is round robin
 * across the keys with work waiting, and first come first served within
 * a key.  Only the head of that order may take a sandbox; every other
 * waiter sleeps in poll(2) on its own wake socket (an abstract unix
 * datagram socket named by its pid) and on the client's connection, so
 * a client that goes away gives its place up at once.  A ticket that
 * leaves, or a sandbox that becomes free (queue_kick), wakes the head.
 * A session's turns are a queue of their own in the same area.
 *
 * A process-shared robust mutex guards the area and every ticket names
 * its pid: a worker killed while queueing (even holding the lock) leaves
 * no stuck place (the master drops its tickets when it reaps it, and a
 * wake that finds the head's socket gone drops the head). */
#ifndef PYEXEC_QUEUE_H
#define PYEXEC_QUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The most tickets the area holds: queue_max's upper bound. */
#define QUEUE_SLOTS 4096
/* The queue for a sandbox.  Others (a session's turns, the same way:
 * woken, fair, freed by a dead worker) are named by the caller. */
#define QUEUE_POOL "pool"

struct queue_ticket {
    uint64_t seq;               /* 0: no ticket */
    int64_t entered_ms;
    const char *queue;          /* its queue's name, the caller's string */
};

enum queue_wake {
    QUEUE_WOKEN,                /* look again: maybe at the head now */
    QUEUE_TIMEOUT,              /* the deadline passed */
    QUEUE_CLIENT_GONE           /* the client closed its connection */
};

struct queue_status {
    int depth;
    double oldest_wait_ms;      /* 0 when empty */
    double drain_per_s;         /* sandboxes handed out, last 10 s */
    uint64_t served, timed_out, abandoned, rejected;
};

/* Maps the shared area; once, in the master, before forking.  Dies when
 * the mapping fails. */
void queue_create(void);

/* Takes a ticket in the pool's queue for key (NULL: anonymous) unless
 * max tickets wait already: 0, or -1 when full (counted as rejected). */
int queue_enter(const char *key, long max, struct queue_ticket *t);
/* The same in the queue named queue (a string that outlives t). */
int queue_enter_named(const char *queue, const char *key, long max,
                      struct queue_ticket *t);

/* Whether t is at the head.  A ticket lost (its slot dropped after a
 * crash while the lock was held) is entered again at the back. */
bool queue_is_head(struct queue_ticket *t);

/* Sleeps until woken, deadline (now_ms() scale) passes or client_fd (0 or
 * -1: none) is closed by the client.  The head also looks again after a
 * second, in case a sandbox came free in a way nobody announced. */
enum queue_wake queue_sleep(const struct queue_ticket *t, double deadline,
                            int client_fd);

/* Gives the ticket up; served = it got its sandbox (counted for the
 * drain rate), else why it left.  Wakes the next head. */
void queue_leave(struct queue_ticket *t, enum queue_wake why, bool served);

/* A sandbox was handed out without queueing: counted for the drain. */
void queue_note_served(void);

/* A sandbox may have come free: wakes the head. */
void queue_kick(void);

/* Pokes process pid (a worker or an executor of this master) wherever
 * it sleeps: in a queue (queue_sleep returns QUEUE_WOKEN) or on
 * queue_wake_fd() during a runner call.  It then asks queue_poked()
 * and looks at what it runs (POST /executions/{id}/cancel). */
void queue_poke(pid_t pid);
/* This process's wake socket, made now if need be (-1: none): made at
 * start, no poke is lost before the process first sleeps. */
int queue_wake_fd(void);
/* Empties the wake socket after it polled readable; true when a poke
 * came since the last call (here or in queue_sleep). */
bool queue_poked(void);

/* Drops the tickets of a process that died; returns how many.  The pid
 * is kept for queue_take_dead. */
int queue_drop_pid(pid_t pid);
/* The pids that died queueing since the last call (at most max): the
 * keeper marks their executions interrupted. */
int queue_take_dead(pid_t *pids, int max);

/* Tickets in the pool's queue / in the queue named queue. */
int queue_depth(void);
int queue_count(const char *queue);
void queue_get_status(struct queue_status *s);

/* Seconds until a retry is likely to find room, from the depth and the
 * measured drain rate: at least 1, at most cap_s (cap_s too when the
 * queue is not empty and nothing drained lately, 1 when it is empty). */
long queue_retry_after(long cap_s);

#endif

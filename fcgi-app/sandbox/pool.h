/* pool.h - the worker's side of the warm pool: take a container for one
 * execution and hand it back.  Waiting is first come, first served across
 * all workers (a queue in SQLite), so under load every request waits its
 * fair share instead of some timing out. */
#ifndef PYEXEC_POOL_H
#define PYEXEC_POOL_H

#include <stdbool.h>

#include "docker/docker.h"
#include "sandbox/sandbox.h"

struct app;

struct lease {
    char name[SANDBOX_NAME_LEN];
    char docker_id[DOCKER_ID_LEN + 8];
    long memory_mb;             /* program memory the container allows */
    int uses;
    bool cold;                  /* made for this request (pool disabled) */
};

enum pool_result {
    POOL_OK,
    POOL_EXHAUSTED,             /* nothing free within pool_wait_ms */
    POOL_DOCKER_DOWN,
    POOL_DB_ERROR,
};

/* The worker's Docker client, opened on first use. */
struct docker *app_docker(struct app *app);

/* Takes a container that allows memory_mb.  key binds it in process
 * isolation (NULL in container isolation).  *waited_ms is the time spent
 * queueing.  err says why on failure. */
enum pool_result pool_acquire(struct app *app, const char *key,
                              long memory_mb, struct lease *out,
                              double *waited_ms, char *err);

/* Gives the lease back.  healthy = the runner answered properly; in
 * process isolation a healthy container goes back to the key's pool,
 * anything else is retired and removed by the keeper. */
void pool_release(struct app *app, const struct lease *l, const char *key,
                  bool healthy);

/* Raises the container's memory when the program needs more than it
 * allows.  0 or -1 with err. */
int pool_fit_memory(struct app *app, struct lease *l, long memory_mb,
                    char *err);

/* Kills a container whose runner stopped answering and retires it. */
void pool_kill(struct app *app, const struct lease *l);

/* Wakes the keeper so it refills or removes at once. */
void pool_wake_keeper(struct app *app);

/* The FIFO queue primitive, shared with sessions: waits until our ticket
 * is at the head of queue (dead holders ahead of us are dropped), calling
 * ready() each time we are at the head until it returns non-zero.
 * Returns 1 (ready said yes, ticket kept in *seq), 0 (deadline; ticket
 * removed), -1 (database error). */
int pool_queue_wait(struct app *app, const char *queue, double deadline,
                    int (*ready)(void *arg), void *arg, int64_t *seq);

#endif

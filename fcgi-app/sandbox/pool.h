/* pool.h - the worker's side of the warm pool: take a container for one
 * execution and hand it back.  A request that finds none waits in the
 * queue shared by all workers (sandbox/queue.h), fair between keys and
 * woken rather than polling, so under load every request waits its turn
 * instead of some timing out. */
#ifndef PYEXEC_POOL_H
#define PYEXEC_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "base/result.h"
#include "docker/docker.h"
#include "sandbox/sandbox.h"

struct app;
struct pool_container;

struct lease {
    char name[SANDBOX_NAME_LEN];
    char docker_id[DOCKER_ID_LEN + 8];
    long memory_mb;             /* program memory the container allows */
    int uses;
    bool cold;                  /* made for this request (pool disabled) */
};

/* Fills l from the container's row. */
void pool_lease_fill(struct lease *l, const struct pool_container *pc);

/* Takes a container that allows memory_mb, of the kind heavy says when
 * one is idle (a heavy one preloads numpy, pandas and matplotlib; a light
 * one does not, and is cheaper to make), else of the other kind: both
 * run any code.  key binds it in process isolation (NULL in container
 * isolation); the queue's turns go by app->queue_key.  *waited_ms is the
 * time spent queueing.  RESULT_OK,
 * RESULT_NO_SANDBOX (nothing free within queue_wait, the queue full at
 * queue_max, the client gone, or a cold start failed), RESULT_DOCKER_DOWN
 * or the database's reason, with err. */
enum result pool_acquire(struct app *app, const char *key, long memory_mb,
                         bool heavy, struct lease *out, double *waited_ms,
                         char *err);

/* Why no sandbox can be had now: RESULT_DOCKER_DOWN when the keeper's
 * last ping failed, else RESULT_NO_SANDBOX. */
enum result pool_unavailable(void);

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

/* Whether the kernel's OOM killer took the container's processes, once
 * the container has stopped (its init follows the runner out within
 * moments): asked of Docker after the runner vanished mid-call. */
bool pool_oom_killed(struct app *app, const struct lease *l);

#endif

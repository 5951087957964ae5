/* app.h - what a worker process holds for the requests it serves: the
 * config, its database connection, the Docker client (opened on first
 * use) and the policy.  Handlers reach it through request->app; the
 * sandbox layer and the execution take it as their context. */
#ifndef PYEXEC_APP_H
#define PYEXEC_APP_H

#include <stdbool.h>

struct conf;
struct store;
struct docker;
struct policy;

struct app {
    const struct conf *conf;
    struct store *store;
    struct docker *docker;      /* NULL until app_docker() */
    struct policy *policy;      /* NULL when policy = off */
    int keeper_wake_fd;         /* write a byte to wake the pool keeper */
    int slot;                   /* this worker's index in the stats area */
    /* The request being served, for the sandbox queue: whose turn it is
     * (the key id; NULL anonymous) and the connection whose hang-up
     * gives the place up (0 or -1: none; fd 0 is never a
     * request's connection). */
    const char *queue_key;
    int client_fd;
    /* The execution being served, when a cancel can reach it: asked
     * after a poke (sandbox/queue.h) whether it is cancelled. */
    bool (*cancelled)(void *arg);
    void *cancel_arg;
};

/* The worker's Docker client, opened on first use; NULL (logged) when
 * docker_host can't be used. */
struct docker *app_docker(struct app *app);

/* Whether Docker answers a ping within timeout_ms: 0, or -1 with err.
 * A short timeout keeps a hung daemon from hanging the caller; later
 * calls get the default again. */
int app_docker_ping(struct app *app, long timeout_ms, char *err);

/* After a wake-up: whether this process was poked and the execution it
 * serves is cancelled. */
bool app_cancelled(struct app *app);

/* Wakes the keeper so it refills or removes at once. */
void app_wake_keeper(struct app *app);

#endif

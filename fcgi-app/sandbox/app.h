/* app.h - what a worker process holds for the requests it serves: the
 * config, its database connection and the clients built once per
 * process.  Handlers reach it through request->app. */
#ifndef PYEXEC_APP_H
#define PYEXEC_APP_H

struct conf;
struct store;
struct docker;
struct policy;

struct app {
    const struct conf *conf;
    struct store *store;
    struct docker *docker;      /* NULL until first use */
    struct policy *policy;      /* NULL when policy = off */
    int keeper_wake_fd;         /* write a byte to wake the pool keeper */
    int slot;                   /* this worker's index in the stats area */
};

#endif

/* docker.h - the Docker Engine API over libcurl: unix socket by default,
 * tcp://host:port when asked (DOCKER_HOST).  No docker CLI.
 *
 * One struct docker per thread: it keeps one curl handle (and so one
 * connection) alive between calls.  Every call has a timeout.  On failure
 * calls return -1 and write into err what Docker answered (status and its
 * "message"), or why it could not be reached. */
#ifndef PYEXEC_DOCKER_H
#define PYEXEC_DOCKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define DOCKER_ID_LEN 64
/* What docker_logs and docker_demux keep of each stream when max is 0. */
#define DOCKER_LOGS_MAX (16u << 20)

struct docker;

/* curl_global_init, once per process; docker_open calls it, so calling it
 * is only needed to do the work early (before threads start).  0, or -1
 * with err.  docker_global_cleanup undoes it at exit, after every handle
 * is closed (it is not thread-safe); a later docker_open inits again. */
int docker_global_init(char *err);
void docker_global_cleanup(void);

/* host: "unix:///var/run/docker.sock" or "tcp://127.0.0.1:2375" (port
 * 2375 if left out); NULL or "" is the former.  Does not connect yet.
 * NULL with err for a host we can't use. */
struct docker *docker_open(const char *host, char *err);
void docker_close(struct docker *d);            /* NULL is fine */

/* Default timeout of a call (ms; <= 0 restores 30 s); docker_wait is
 * given its own. */
void docker_set_timeout(struct docker *d, long ms);

/* The HTTP status of the last call (0 when Docker was not reached). */
int docker_last_status(const struct docker *d);
/* True when the last failure was "could not reach the daemon". */
bool docker_last_unreachable(const struct docker *d);

/* GET /_ping.  0 when the daemon answers "OK"; pins the API version to
 * min(ours, its Api-Version header) like docker_version. */
int docker_ping(struct docker *d, char *err);

/* GET /version: the engine version ("20.10.24") and API version
 * ("1.41"); also pins the API version used by later calls to
 * min(ours, the daemon's). */
int docker_version(struct docker *d, char *version, size_t vlen,
                   char *api, size_t alen, char *err);

/* 1 when the image exists locally, 0 when not, -1 on error. */
int docker_image_exists(struct docker *d, const char *image, char *err);

/* GET /info: 1 when runtime is one of the daemon's Runtimes, 0 when not,
 * -1 on error.  names (nlen bytes, may be NULL) gets the runtimes it
 * has, comma-separated, cut to fit. */
int docker_runtime_known(struct docker *d, const char *runtime,
                         char *names, size_t nlen, char *err);

struct docker_mount {
    const char *source;         /* host path */
    const char *target;         /* container path */
    bool read_only;
};

struct docker_tmpfs {
    const char *path;
    const char *options;        /* "rw,size=64m,mode=1777,..." */
};

struct docker_create_opts {
    const char *name;
    const char *image;
    const char *runtime;        /* NULL: the daemon's default */
    const char *user;           /* "uid:gid" */
    const char *workdir;
    const char *const *cmd;     /* NULL-terminated, or NULL for the image's */
    const char *const *env;     /* "K=V", NULL-terminated, or NULL */
    const char *const *labels;  /* "k=v", NULL-terminated */
    const char *const *cap_add; /* NULL-terminated, or NULL */
    const char *const *group_add;
    const struct docker_mount *mounts;
    size_t n_mounts;
    const struct docker_tmpfs *tmpfs;
    size_t n_tmpfs;
    int64_t memory_bytes;       /* memory = memory+swap: no swap */
    int64_t nano_cpus;
    int64_t pids_limit;
    int64_t shm_bytes;          /* /dev/shm size; 0 for the default */
    bool init;                  /* docker-init as PID 1 */
    /* Always applied: NetworkMode none, CapDrop ALL, no-new-privileges,
     * read-only root, no Docker socket, IPC private, logs capped at 1 MB,
     * Docker's masked paths and /proc/cmdline. */
};

/* POST /containers/create.  Writes the new id (64 hex + NUL) to id ("" on
 * failure).  Fails without asking Docker when there is no image, or when
 * a mount or tmpfs would bring a Docker socket in: a path naming
 * docker.sock, a socket file, a directory holding docker.sock, or a link
 * to one (checked on this host's file system).  Limits of 0 are left
 * out (Docker's default: none). */
int docker_create(struct docker *d, const struct docker_create_opts *o,
                  char id[DOCKER_ID_LEN + 1], char *err);
int docker_start(struct docker *d, const char *id, char *err);
/* POST /containers/{id}/kill with signal ("KILL", "TERM"; NULL for
 * Docker's default, KILL); a container that is not running, or no longer
 * exists (404), counts as success: docker_last_status tells which. */
int docker_kill(struct docker *d, const char *id, const char *signal,
                char *err);
/* DELETE /containers/{id}?force=1&v=1; a missing container (404), or one
 * whose removal is already in progress (409), is success. */
int docker_remove(struct docker *d, const char *id, char *err);
/* POST /containers/{id}/wait (condition not-running: a container that
 * has already stopped, or never started, answers at once), up to
 * timeout_ms (<= 0: the default timeout).  Fills *exit_code.  A wait
 * that runs out of time fails with err saying "timed out". */
int docker_wait(struct docker *d, const char *id, long timeout_ms,
                int *exit_code, char *err);
/* POST /containers/{id}/update: new memory limit (and memory+swap). */
int docker_update_memory(struct docker *d, const char *id, int64_t bytes,
                         char *err);

/* GET /containers/{id}/logs: demultiplexes the 8-byte-header stream into
 * out and errout as it arrives, appending until each holds max bytes
 * (0: DOCKER_LOGS_MAX; a buf's own max also holds).  NULL discards that
 * stream.  0, 1 when output was cut (past max, or a final frame cut
 * short), -1 on error or a malformed stream. */
int docker_logs(struct docker *d, const char *id, struct buf *out,
                struct buf *errout, size_t max, char *err);

struct docker_state {
    bool exists;
    bool running;
    bool oom_killed;
    int exit_code;
    int pid;                    /* host pid of the container's PID 1 */
    char status[16];            /* "created", "running", "exited", ... */
};
/* GET /containers/{id}/json.  A missing container gives 0 with
 * st->exists = false. */
int docker_inspect(struct docker *d, const char *id, struct docker_state *st,
                   char *err);

struct docker_container {
    char id[DOCKER_ID_LEN + 1];
    char name[128];             /* without the leading '/' */
    char state[16];
};
/* GET /containers/json?all=1&filters={"label":[label]}.  label is "k" or
 * "k=v" (NULL: every container).  Calls cb (may be NULL) for each;
 * returns the count or -1.  A malformed reply calls cb for none. */
int docker_list(struct docker *d, const char *label,
                void (*cb)(const struct docker_container *c, void *arg),
                void *arg, char *err);

/* Parsers of Docker's replies, exposed for unit tests and the fuzzer.
 * They take any bytes. */
/* Splits a multiplexed log stream (frames of type 0 or 1 go to out, 2 to
 * errout) as docker_logs does.  0, 1 when output was cut, -1 on a
 * malformed header (a type past 2, padding not zero); what came before
 * it is kept. */
int docker_demux(const char *p, size_t n, struct buf *out,
                 struct buf *errout, size_t max);
/* 0 and st filled (exists = true) for an object with a State object that
 * has Status and Running; -1 (st zeroed) for anything else, including a
 * field of the wrong type. */
int docker_parse_inspect(const char *json, size_t n, struct docker_state *st);
/* The count, calling cb for each, or -1 (and no call) unless json is an
 * array of objects each with an Id of at most DOCKER_ID_LEN
 * alphanumerics; a long name or state is truncated. */
int docker_parse_list(const char *json, size_t n,
                      void (*cb)(const struct docker_container *c, void *arg),
                      void *arg);
/* Writes "docker: <status>: <message>" into err (ERR_LEN bytes): Docker's
 * {"message": "..."}, else the raw text; one line of valid UTF-8, cut to
 * fit. */
void docker_parse_error(const char *body, size_t n, int status, char *err);

#endif

/* sandbox.h - one sandbox container's life: the hardened create options of
 * SPEC section 5, its runner directory on the host, waiting for the
 * runner's socket, and removal.  Used by the keeper (warm pool) and by
 * workers (cold starts when the pool is disabled). */
#ifndef PYEXEC_SANDBOX_H
#define PYEXEC_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "docker/docker.h"

struct conf;

#define SANDBOX_NAME_LEN 64
#define SANDBOX_UID 10001
/* Memory the runner itself needs on top of the program's share. */
#define RUNNER_OVERHEAD_MB 96
/* How long a new container's runner may take to be ready: the keeper
 * fills the pool in the background and can wait; a request that makes
 * its own container (pool disabled) has a client waiting. */
#define SANDBOX_READY_MS_POOL 60000
#define SANDBOX_READY_MS_REQUEST 30000

/* What a new sandbox is: whose (the instance id labels it), its name and
 * the memory its program may use. */
struct sandbox_spec {
    const char *instance;
    const char *name;
    long memory_mb;
    bool heavy;                 /* its runner preloads the heavy packages */
    bool preload_first;         /* heavy: ready only once preloaded */
};

/* The label of every container of instance ("pyexec.instance=<id>"),
 * written into out (n bytes). */
void sandbox_label(const char *instance, char *out, size_t n);

/* A fresh unique container name for instance: pyexec-<instance>-<hex>. */
void sandbox_new_name(const char *instance, char name[SANDBOX_NAME_LEN]);

/* The host path of the runner socket of container name. */
char *sandbox_socket_path(const struct conf *c, const char *name);

/* Creates the runner directory and the container, and starts it.
 * Writes the Docker id.  On failure everything made is removed. */
int sandbox_create(struct docker *d, const struct conf *c,
                   const struct sandbox_spec *spec,
                   char id[DOCKER_ID_LEN + 1], char *err);

/* Waits until the runner's socket appears, up to timeout_ms.  Also fails
 * early when the container stopped (the runner crashed at start). */
int sandbox_wait_ready(struct docker *d, const struct conf *c,
                       const char *name, const char *id, long timeout_ms,
                       char *err);

/* Gives the container memory_mb for the program (plus the runner's
 * overhead). */
int sandbox_set_memory(struct docker *d, const char *id, long memory_mb,
                       char *err);

/* Removes the container (by id, or by name when id is empty) and its
 * runner directory.  A container already gone is success. */
int sandbox_destroy(struct docker *d, const struct conf *c, const char *name,
                    const char *id, char *err);

/* Whether Docker says the kernel's OOM killer ended container id,
 * waiting a second for it to stop first. */
bool sandbox_oom_killed(struct docker *d, const char *id);

/* True when the runner socket of name exists (a cheap liveness hint). */
bool sandbox_socket_exists(const struct conf *c, const char *name);

#endif

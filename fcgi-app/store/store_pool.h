/* store_pool.h - the containers table (every sandbox container we made,
 * and who holds it; the queue for them is sandbox/queue.h).  A claim is
 * one UPDATE, so two workers can never
 * hold the same container, and a claim names its pid, so a crashed
 * worker's container is found and removed. */
#ifndef PYEXEC_STORE_POOL_H
#define PYEXEC_STORE_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

struct store;

struct pool_container {
    char name[64];
    char docker_id[72];
    char state[16];
    char owner_key[STORE_KEY_ID_LEN];         /* "" when not bound to a key */
    long memory_mb;
    int uses;
    int claimed_by;
    int64_t created_at, ready_at, claimed_at;
    long heavy;                 /* it preloads the heavy packages */
};

struct pool_counts {
    int creating;
    int idle;                   /* not bound to a key */
    int idle_owned;             /* process mode: bound to a key */
    int idle_heavy;             /* of idle: those that preload */
    int creating_heavy;         /* of creating: the same */
    int claimed;
    int session;
    int retiring;
    int total;
};

int store_pool_insert(struct store *s, const char *name, long memory_mb,
                      const char *state, bool heavy);
int store_pool_set_docker_id(struct store *s, const char *name,
                             const char *docker_id);
/* creating -> idle, ready now. */
int store_pool_set_ready(struct store *s, const char *name);
int store_pool_set_state(struct store *s, const char *name,
                         const char *state);
int store_pool_set_memory(struct store *s, const char *name, long memory_mb);
int store_pool_delete(struct store *s, const char *name);

/* Claims the idle container that has waited longest, for pid.  With key
 * (process isolation) one already bound to that key is preferred, then an
 * unbound one; without key only unbound ones qualify.  Among those, one
 * of the kind asked for (heavy or light) comes first.  Heavy code puts the
 * kind first: a heavy container anyone may take comes before the key's
 * own light one, where its imports would load as it runs.  Light code
 * runs as fast in either.  1 and *out filled, 0 when none is idle, -1 on
 * error. */
int store_pool_claim(struct store *s, int pid, const char *key, bool heavy,
                     struct pool_container *out);
/* Hands a claimed container back: idle again, bound to key, one more use
 * (process isolation).  A row retired meanwhile stays retiring. */
int store_pool_return(struct store *s, const char *name, const char *key);
int store_pool_retire(struct store *s, const char *name);
/* Retires, in one statement, every container that is not a session's:
 * the idle and the creating ones, and the claimed ones too when
 * claimed_too.  One statement, so a creation that turns 'creating' into
 * 'idle' meanwhile can't slip between two passes. */
int store_pool_retire_unbound(struct store *s, bool claimed_too);

/* 1 and *out when name exists, 0 when not, -1 on error. */
int store_pool_get(struct store *s, const char *name,
                   struct pool_container *out);
int store_pool_count(struct store *s, struct pool_counts *c);
/* Calls cb for each container (state NULL: all); returns count or -1. */
int store_pool_each(struct store *s, const char *state,
                    void (*cb)(const struct pool_container *c, void *arg),
                    void *arg);
/* Retires the key-bound idle container used least recently (eviction),
 * in one statement, so it can't be one a worker has just claimed: 1 and
 * *out, 0 when none is idle, -1. */
int store_pool_evict_oldest_owned(struct store *s,
                                  struct pool_container *out);

#endif

/* store_sessions.h - the sessions table: (key, id) -> container.  The
 * mapping lives here so sessions outlive a restart of pyexec-fcgi. */
#ifndef PYEXEC_STORE_SESSIONS_H
#define PYEXEC_STORE_SESSIONS_H

#include <stdint.h>

#include "store/store.h"

struct store;

/* The wait queue (store_wait_*) that serialises one session's calls,
 * from its key id and session id: a call in flight holds its head. */
#define SESSION_QUEUE_FMT "session:%s:%s"

struct session_row {
    char key_id[STORE_KEY_ID_LEN];
    char id[72];
    char container[64];         /* "" when it has none */
    int64_t created_at, last_used_at;
    long executions;
    long memory_mb;
};

int store_session_get(struct store *s, const char *key_id, const char *id,
                      struct session_row *out);
int store_session_insert(struct store *s, const char *key_id, const char *id,
                         const char *container, long memory_mb);
int store_session_set_container(struct store *s, const char *key_id,
                                const char *id, const char *container,
                                long memory_mb);
/* last_used_at = now, executions + 1. */
int store_session_touch(struct store *s, const char *key_id, const char *id);
/* 1 when deleted, 0 when there was none, -1. */
int store_session_delete(struct store *s, const char *key_id,
                         const char *id);
int store_session_count(struct store *s);
/* Calls cb for each session last used before cutoff_ms (0: every
 * session); returns the count or -1. */
int store_session_each(struct store *s, int64_t cutoff_ms,
                       void (*cb)(const struct session_row *r, void *arg),
                       void *arg);

#endif

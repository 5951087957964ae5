/* session.h - stateful sessions: a (key, id) owns one container whose
 * runner keeps a long-lived interpreter.  Calls to a session take turns in
 * a first-come first-served queue; holding the head of that queue is
 * holding the session. */
#ifndef PYEXEC_SESSION_H
#define PYEXEC_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "sandbox/pool.h"

struct app;

struct session_turn {
    char queue[256];
    int64_t seq;                /* our ticket while we hold the turn */
    bool held;
};

enum session_result {
    SESSION_OK,
    SESSION_BUSY,               /* our turn didn't come: 429 */
    SESSION_TOO_MANY,           /* max_sessions reached: 503 */
    SESSION_NO_SANDBOX,
    SESSION_DOCKER_DOWN,
    SESSION_DB_ERROR,
};

/* Waits for the session's turn (session_wait_ms), then finds its
 * container, or makes the session with a warm one from the pool.
 * *created: the session is new; *reset: it existed but its container
 * was gone, so its state is lost.  The caller runs the call and then
 * calls session_leave. */
enum session_result session_enter(struct app *app, const char *key_id,
                                  const char *id, long memory_mb,
                                  struct session_turn *turn, struct lease *l,
                                  bool *created, bool *reset,
                                  double *waited_ms, char *err);

/* The call found the container dead (nothing ran): give the session a
 * fresh one.  Only while holding the turn. */
enum session_result session_replace(struct app *app, const char *key_id,
                                    const char *id, long memory_mb,
                                    struct lease *l, char *err);

/* Ends the turn; ran = a call was made (counts it, refreshes last use). */
void session_leave(struct app *app, struct session_turn *turn,
                   const char *key_id, const char *id, bool ran);

/* Ends the session and destroys its container, after waiting for its
 * turn.  1 released, 0 no such (live) session, -1 error (err). */
int session_release(struct app *app, const char *key_id, const char *id,
                    char *err);

#endif

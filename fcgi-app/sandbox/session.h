/* session.h - stateful sessions: a (key, id) owns one container whose
 * runner keeps a long-lived interpreter.  Calls to a session take turns in
 * a first-come first-served queue; holding the head of that queue is
 * holding the session. */
#ifndef PYEXEC_SESSION_H
#define PYEXEC_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "base/result.h"
#include "sandbox/pool.h"
#include "sandbox/queue.h"

struct app;
struct session_row;

struct session_turn {
    char queue[256];            /* named in the shared queue area */
    struct queue_ticket ticket; /* ours while we wait and hold the turn */
    bool held;
};

/* One call made in a session: the caller fills the first fields. */
struct session_call {
    const char *key_id;
    const char *id;
    long memory_mb;
    struct lease *lease;        /* set to the session's container */
    bool created;               /* the session is new */
    bool reset;                 /* it existed, but its container was gone:
                                 * its state is lost */
    double waited_ms;           /* time spent waiting for the turn */
    struct session_turn turn;   /* held from enter to leave */
};

/* Waits for the session's turn (session_wait_ms), then finds its
 * container, or makes the session with a warm one from the pool.
 * RESULT_OK (the caller runs the call, then calls session_leave),
 * RESULT_BUSY (the turn did not come), RESULT_TOO_MANY_SESSIONS,
 * RESULT_NO_SANDBOX, RESULT_DOCKER_DOWN or the database's reason, with
 * err. */
enum result session_enter(struct app *app, struct session_call *sc,
                          char *err);

/* The call found the container dead (nothing ran): give the session a
 * fresh one.  Only while holding the turn.  Results as session_enter. */
enum result session_replace(struct app *app, struct session_call *sc,
                            char *err);

/* Ends the turn after a call: counts it and refreshes the last use.
 * Unless healthy (the runner answered properly), the container is not
 * trusted with the session any longer: it is retired and sc->reset set,
 * so the next call starts afresh. */
void session_leave(struct app *app, struct session_call *sc, bool healthy);

/* Ends the session and destroys its container, after waiting for its
 * turn: RESULT_OK, RESULT_NOT_FOUND (no such live session) or
 * RESULT_BUSY (its turn did not come, or the database failed: the
 * client retries either way), with err. */
enum result session_release(struct app *app, const char *key_id,
                            const char *id, char *err);

/* The session's row and what Docker says of its container ("running",
 * "exited", "missing", or "unknown" when Docker can't tell): 1, 0 (no
 * such session) or -1 (database). */
int session_inspect(struct app *app, const char *key_id, const char *id,
                    struct session_row *row, const char **container_state);

#endif

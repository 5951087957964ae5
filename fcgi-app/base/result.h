/* result.h - the one result type of the layers (lighttpd's handler_t):
 * why something a client asked for was not done.  A function that can
 * fail for a reason the client should hear returns it; the store, the
 * sandbox layer and the execution pass it up unchanged, and only
 * http/response.c turns it into a status code, Retry-After and error code
 * (one table).  Functions that fail for no such reason keep returning 0
 * or -1. */
#ifndef PYEXEC_RESULT_H
#define PYEXEC_RESULT_H

enum result {
    RESULT_OK,
    /* What the client sent. */
    RESULT_BAD_BODY,            /* not a readable JSON object */
    RESULT_INVALID_REQUEST,     /* a field, parameter or path is wrong */
    RESULT_UNSAFE,              /* the policy blocked the code */
    RESULT_UNAUTHORIZED,        /* no key, or a wrong one */
    RESULT_ORIGIN_DENIED,       /* Origin not in allowed_origins */
    RESULT_NOT_FOUND,           /* no such route, record or session */
    RESULT_BAD_METHOD,          /* the route takes other methods */
    RESULT_DUPLICATE,           /* the id is taken (a constraint) */
    RESULT_TOO_LARGE,           /* body or code over its limit */
    RESULT_LIMITED,             /* a per-key limit */
    RESULT_BUSY,                /* the session's turn did not come */
    RESULT_TIMEOUT,             /* the code ran out of time (/runcode) */
    /* The service. */
    RESULT_INTERNAL,
    RESULT_NO_SANDBOX,          /* pool exhausted, sandbox won't start */
    RESULT_TOO_MANY_SESSIONS,   /* max_sessions reached */
    RESULT_DOCKER_DOWN,
    RESULT_DB_BUSY,             /* a lock held past busy_timeout */
    RESULT_DB_FULL,             /* disk full or an I/O error */
    RESULT_UNHEALTHY,           /* /health found something down */
    /* The runner: the execution turns these into its status. */
    RESULT_RUNNER_DOWN,         /* could not connect: nothing ran */
    RESULT_RUNNER_LOST,         /* the connection dropped before the end */
    RESULT_RUNNER_PROTOCOL,     /* the runner broke the protocol */
    /* Asynchronous executions and idempotency (SPEC 9). */
    RESULT_QUEUE_FULL,          /* async_max_queued are waiting */
    RESULT_IDEMPOTENCY_CONFLICT,    /* the key was used with another body */
    RESULT_IDEMPOTENCY_PENDING, /* the first request is still running */
    /* Cancel (SPEC 9). */
    RESULT_CANCELLED,           /* cancelled before it ran */
    RESULT_ALREADY_FINAL,       /* a cancel of an execution that ended */
    /* Cells (SPEC 10): the owner of an id could not be reached. */
    RESULT_SESSION_LOST,        /* its session is gone with it */
    RESULT_CELL_DOWN,           /* its records and images, for now */
    RESULT_COUNT
};

#endif

/* idempotency.h - Idempotency-Key on the routes flagged ROUTE_IDEMPOTENT
 * (SPEC 9): the first request with a key runs; a repeat by the same API
 * key with the same route and body, within idempotency_ttl, gets the
 * first answer again (status and body), waiting for it while the first
 * still runs; the same key with another body is a 409.  Answers worth
 * retrying (429, 5xx) are not kept.  Only http/serve.c calls these. */
#ifndef PYEXEC_IDEMPOTENCY_H
#define PYEXEC_IDEMPOTENCY_H

#include <stdbool.h>
#include <stddef.h>

struct request;

/* Before the handler: true when rq was answered here (a replay, a
 * conflict, a bad key), false when the handler should run. */
bool idempotency_begin(struct request *rq);
/* After the handler: keeps its answer for the repeats. */
void idempotency_end(struct request *rq);

/* True for a valid key: 1-255 bytes, none a control character. */
bool idempotency_key_valid(const char *key);

#endif

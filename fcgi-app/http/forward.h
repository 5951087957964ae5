/* forward.h - a request that reached the wrong cell goes to the cell
 * that owns its id (SPEC §10), and that cell's answer is relayed as it
 * comes, event streams included.  One hop only: a forwarded request
 * carries X-Pyexec-Forwarded and is never forwarded again. */
#ifndef PYEXEC_FORWARD_H
#define PYEXEC_FORWARD_H

#include <stdbool.h>

struct request;
struct route;

/* Sends rq on when the route's id belongs to a peer, or rewrites an
 * untagged path id to this cell's name.  Called once the route is known
 * (path routes) or the key admitted (body routes: pass after_admit).
 * True when rq was answered: relayed, or 410/503 when the owner could
 * not be reached, or the body's error. */
bool forward_to_owner(struct request *rq, const struct route *r,
                      bool after_admit);

/* GETs path (with its query) from the cell at base with rq's key, as a
 * forwarded request (so that cell asks no one further).  The body as a
 * new string, the status in *status; NULL with err when the cell could
 * not be reached or its answer is over FORWARD_GET_MAX bytes. */
#define FORWARD_GET_MAX (64L << 20)
char *forward_get(struct request *rq, const char *base, const char *path,
                  int *status, char *err);

#endif

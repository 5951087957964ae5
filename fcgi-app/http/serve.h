/* dispatch.h - serves one accepted request: route, CORS, auth, handler,
 * access log, counters. */
#ifndef PYEXEC_DISPATCH_H
#define PYEXEC_DISPATCH_H

struct request;

void dispatch(struct request *rq);

#endif

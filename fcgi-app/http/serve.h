/* serve.h - serves one accepted request: route, CORS, auth, handler,
 * access log, counters. */
#ifndef PYEXEC_SERVE_H
#define PYEXEC_SERVE_H

struct request;

void serve_request(struct request *rq);

#endif

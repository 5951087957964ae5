/* response.h - writes one HTTP response through FastCGI: status line,
 * the request id, CORS and extra headers, and the body.  Errors use the
 * SPEC's {"error": code, "detail": text} shape.  The one table that turns
 * an enum result into a status, an error code and a Retry-After lives
 * here (response.c); nothing else in pyexec maps results to statuses. */
#ifndef PYEXEC_RESPONSE_H
#define PYEXEC_RESPONSE_H

#include <stddef.h>

#include "base/result.h"

struct request;
struct jw;

/* Adds "Name: value" to the response of rq (before it is sent). */
void response_header(struct request *rq, const char *name, const char *value);

/* Sends status, Content-Type and body.  Returns 0, or -1 when the client
 * is gone (the request still counts as answered). */
int response_send(struct request *rq, int status, const char *content_type,
                  const void *body, size_t len);
/* Sends the document built in w as application/json, with the status
 * and Retry-After of r (RESULT_OK: 200), and frees w. */
int response_json(struct request *rq, enum result r, struct jw *w);
/* Sends w as 202 Accepted (work queued, not done), and frees w. */
int response_accepted(struct request *rq, struct jw *w);
/* Sends {"error": code, "detail": detail} for r. */
int response_fail(struct request *rq, enum result r, const char *detail);
/* Starts the error document of r with error and detail written, left
 * open so the caller can add fields; finish with jw_obj_close and
 * response_json(rq, r, w). */
struct jw *response_fail_begin(enum result r, const char *detail);

/* The HTTP status of r. */
int response_status(enum result r);
/* "OK", "Not Found", ... */
const char *response_reason(int status);

#endif

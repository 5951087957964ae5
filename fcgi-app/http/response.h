/* response.h - writes one HTTP response through FastCGI: status line,
 * the request id, CORS and extra headers, and the body.  Errors use the
 * SPEC's {"error": code, "detail": text} shape. */
#ifndef PYEXEC_RESPONSE_H
#define PYEXEC_RESPONSE_H

#include <stddef.h>

struct request;
struct jw;

/* Adds "Name: value" to the response of rq (before it is sent). */
void response_header(struct request *rq, const char *name, const char *value);

/* Sends status, Content-Type and body.  Returns 0, or -1 when the client
 * is gone (the request still counts as answered). */
int response_send(struct request *rq, int status, const char *content_type,
                  const void *body, size_t len);
/* Sends the document built in w as application/json. */
int response_json(struct request *rq, int status, struct jw *w);
/* Sends {"error": code, "detail": detail}. */
int response_error(struct request *rq, int status, const char *code,
                   const char *detail);
/* Starts an error document with error and detail written, left open so
 * the caller can add fields; finish with response_json(). */
struct jw *response_error_begin(const char *code, const char *detail);

/* "OK", "Not Found", ... */
const char *response_reason(int status);

#endif

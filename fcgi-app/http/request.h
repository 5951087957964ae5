/* request.h - one FastCGI request: its parameters, a size-capped body,
 * the query string, and every allocation made while serving it.
 * request_reset() returns the worker to its baseline afterwards. */
#ifndef PYEXEC_REQUEST_H
#define PYEXEC_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include <fcgiapp.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/result.h"
#include "http/router.h"

#define REQUEST_ID_LEN 32

struct app;
struct conf;
struct store;
struct principal;

struct request {
    FCGX_Request *fcgx;
    struct app *app;
    const struct conf *conf;    /* app->conf */
    struct store *store;        /* app->store, or copy */
    struct store *copy;         /* a lost cell's restored copy, or NULL;
                                 * serve_request closes it */
    char id[REQUEST_ID_LEN + 1];
    const char *method;
    char *path;                 /* percent-decoded, without the query */
    const char *query;          /* raw query string, "" when none */
    struct buf body;
    bool body_read;
    struct json *json;          /* parsed body, once request_json ran */
    const char *route;          /* the pattern served, for logs/metrics */
    char *params[ROUTE_MAX_PARAMS];
    struct principal *key;      /* set by auth */
    struct buf headers;         /* extra response headers, CRLF-ended */
    int status;                 /* 0 until a response was sent */
    size_t bytes_out;
    double t_start;             /* now_ms() at accept */
    char *idem_key;             /* Idempotency-Key held, or NULL */
    bool capture;               /* keep a copy of the body sent */
    char *captured;             /* that copy (freed by request_reset) */
    size_t captured_len;
    void **kept;                /* freed by request_reset */
    size_t n_kept, cap_kept;
};

/* Prepares rq for a freshly accepted fcgx request. */
void request_begin(struct request *rq, FCGX_Request *fcgx, struct app *app);
/* Frees everything the request built. */
void request_reset(struct request *rq);

/* A FastCGI parameter (HTTP_X_API_KEY, REMOTE_ADDR, ...) or NULL. */
const char *request_param(const struct request *rq, const char *name);

/* Reads the body into rq->body, at most conf->max_body_bytes: RESULT_OK,
 * RESULT_TOO_LARGE, or RESULT_BAD_BODY when the client went away
 * mid-body; err says which. */
enum result request_read_body(struct request *rq, char *err);

/* Reads the body and parses it as a JSON object into *out: RESULT_OK,
 * RESULT_TOO_LARGE, or RESULT_BAD_BODY (empty, truncated, not JSON, not
 * an object), with err. */
enum result request_json(struct request *rq, const struct json **out,
                         char *err);

/* The decoded value of name in the query string (a new string the
 * request owns), or NULL when absent or malformed. */
const char *request_query(struct request *rq, const char *name);

/* The decoded value of name in a raw query string ("a=1&b=x%20y"), as a
 * new string (caller frees), or NULL when absent or malformed.  Pure, for
 * tests and the fuzzer. */
char *query_value(const char *query, const char *name);

/* Registers p to be freed by request_reset. */
void *request_keep(struct request *rq, void *p);

/* "http" or "https", as the front end saw the client. */
const char *request_scheme(const struct request *rq);
/* What image URLs start with: public_url, or "" (URLs relative to the
 * service's root) when it is not set.  Never the Host header, which the
 * client chooses. */
const char *request_base_url(struct request *rq);
/* An absolute base for clients that cannot resolve a relative URL (seed
 * 000's /runcode): public_url, else "scheme://host" from the request, or
 * "" when the host is unknown. */
const char *request_host_url(struct request *rq);

#endif

/* router.h - matches method + path against a route table.  Patterns are
 * literal segments and {name} placeholders (one non-empty segment). */
#ifndef PYEXEC_ROUTER_H
#define PYEXEC_ROUTER_H

#include <stddef.h>

#include "base/result.h"

struct request;

enum http_method {
    HTTP_GET = 1, HTTP_POST = 2, HTTP_DELETE = 4, HTTP_PUT = 8,
    HTTP_PATCH = 16, HTTP_HEAD = 32, HTTP_OPTIONS = 64,
};

enum route_flags {
    ROUTE_PUBLIC = 1,           /* no API key needed */
    ROUTE_OPERATOR = 2,         /* metrics_key instead, when it is set */
    ROUTE_IDEMPOTENT = 4,       /* honours Idempotency-Key */
    /* Cells (SPEC 10): whose request it is. */
    ROUTE_CELL_PATH = 8,        /* the path's id names its owner */
    ROUTE_CELL_TAG = 16,        /* an untagged path id gets our tag */
    ROUTE_CELL_BODY = 32,       /* the body's session_id names it */
};

struct route {
    unsigned methods;
    const char *pattern;
    void (*handler)(struct request *rq);
    unsigned flags;
    const char *name;           /* metrics label */
};

#define ROUTE_MAX_PARAMS 2

struct route_match {
    const struct route *route;          /* RESULT_OK: the route */
    char *params[ROUTE_MAX_PARAMS];     /* RESULT_OK: each {placeholder},
                                         * a new string (caller frees) */
    unsigned allowed;                   /* RESULT_BAD_METHOD: the methods
                                         * the path accepts */
};

/* 0 for a method we don't know. */
unsigned router_method(const char *method);

/* Finds the route for method + path into *m (zeroed first): RESULT_OK,
 * RESULT_NOT_FOUND, or RESULT_BAD_METHOD when the path exists but not
 * for this method. */
enum result router_match(const struct route *routes, size_t n,
                         const char *method, const char *path,
                         struct route_match *m);

/* Writes "GET, POST" style text for the Allow header into out. */
void router_allow_text(unsigned methods, char *out, size_t size);

#endif

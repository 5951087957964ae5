/* router.h - matches method + path against a route table.  Patterns are
 * literal segments and {name} placeholders (one non-empty segment). */
#ifndef PYEXEC_ROUTER_H
#define PYEXEC_ROUTER_H

#include <stddef.h>

struct request;

enum http_method {
    HTTP_GET = 1, HTTP_POST = 2, HTTP_DELETE = 4, HTTP_PUT = 8,
    HTTP_PATCH = 16, HTTP_HEAD = 32, HTTP_OPTIONS = 64,
};

enum route_flags {
    ROUTE_PUBLIC = 1,           /* no API key needed */
};

struct route {
    unsigned methods;
    const char *pattern;
    void (*handler)(struct request *rq);
    unsigned flags;
    const char *name;           /* metrics label */
};

enum router_result { ROUTER_FOUND, ROUTER_NOT_FOUND, ROUTER_BAD_METHOD };

/* 0 for a method we don't know. */
unsigned router_method(const char *method);

/* Finds the route for method + path.  On ROUTER_FOUND, *match is set and
 * params[] holds new strings (caller frees) for each {placeholder}; on
 * ROUTER_BAD_METHOD, *allowed has the methods the path accepts. */
enum router_result router_match(const struct route *routes, size_t n,
                                const char *method, const char *path,
                                const struct route **match, char **params,
                                size_t max_params, unsigned *allowed);

/* Writes "GET, POST" style text for the Allow header into out. */
void router_allow_text(unsigned methods, char *out, size_t size);

#endif

/* router.c - see router.h.  The tables are small, so a linear scan is
 * both the simplest and the fastest choice. */
#include "config.h"
#include "http/router.h"

#include <stdio.h>
#include <string.h>

#include "base/util.h"

static const struct { unsigned bit; const char *name; } methods[] = {
    { HTTP_GET, "GET" }, { HTTP_HEAD, "HEAD" }, { HTTP_POST, "POST" },
    { HTTP_PUT, "PUT" }, { HTTP_PATCH, "PATCH" }, { HTTP_DELETE, "DELETE" },
    { HTTP_OPTIONS, "OPTIONS" },
};

unsigned router_method(const char *method)
{
    for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
        if (strcmp(method, methods[i].name) == 0)
            return methods[i].bit;
    return 0;
}

/* Matches path against pattern; fills params on success. */
static int path_match(const char *pattern, const char *path, char **params,
                      size_t *nparams)
{
    const char *p = pattern, *s = path;
    size_t np = 0;

    while (*p && *s) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            const char *seg_end = strchr(s, '/');
            size_t n = seg_end ? (size_t)(seg_end - s) : strlen(s);

            if (!close || n == 0 || np == ROUTE_MAX_PARAMS)
                goto fail;
            params[np++] = xstrndup(s, n);
            p = close + 1;
            s += n;
            continue;
        }
        if (*p != *s)
            goto fail;
        p++;
        s++;
    }
    if (*p || *s)
        goto fail;
    *nparams = np;
    return 1;
fail:
    while (np > 0)
        free(params[--np]);
    return 0;
}

enum result router_match(const struct route *routes, size_t n,
                         const char *method, const char *path,
                         struct route_match *m)
{
    unsigned bit = router_method(method);
    char *trimmed = NULL;
    enum result res = RESULT_NOT_FOUND;
    size_t len = strlen(path);

    memset(m, 0, sizeof(*m));
    /* "/execute/" is "/execute". */
    if (len > 1 && path[len - 1] == '/') {
        trimmed = xstrndup(path, len - 1);
        path = trimmed;
    }
    for (size_t i = 0; i < n && res != RESULT_OK; i++) {
        char *params[ROUTE_MAX_PARAMS] = { 0 };
        size_t np = 0;

        if (!path_match(routes[i].pattern, path, params, &np))
            continue;
        /* HEAD is served by GET handlers. */
        if (routes[i].methods & bit
            || (bit == HTTP_HEAD && routes[i].methods & HTTP_GET)) {
            m->route = &routes[i];
            memcpy(m->params, params, sizeof(params));
            res = RESULT_OK;
            continue;
        }
        m->allowed |= routes[i].methods;
        if (routes[i].methods & HTTP_GET)
            m->allowed |= HTTP_HEAD;
        res = RESULT_BAD_METHOD;
        for (size_t k = 0; k < np; k++)
            free(params[k]);
    }
    free(trimmed);
    if (res == RESULT_BAD_METHOD)
        m->allowed |= HTTP_OPTIONS;
    return res;
}

void router_allow_text(unsigned mask, char *out, size_t size)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; i < ARRAY_SIZE(methods); i++) {
        if (!(mask & methods[i].bit))
            continue;
        int w = snprintf(out + used, size - used, "%s%s", used ? ", " : "",
                         methods[i].name);
        if (w < 0 || (size_t)w >= size - used)
            break;
        used += (size_t)w;
    }
}

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
                      size_t max_params, size_t *nparams)
{
    const char *p = pattern, *s = path;
    size_t np = 0;

    while (*p && *s) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            const char *seg_end = strchr(s, '/');
            size_t n = seg_end ? (size_t)(seg_end - s) : strlen(s);

            if (!close || n == 0 || np == max_params)
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

enum router_result router_match(const struct route *routes, size_t n,
                                const char *method, const char *path,
                                const struct route **match, char **params,
                                size_t max_params, unsigned *allowed)
{
    unsigned m = router_method(method);
    char *trimmed = NULL;
    enum router_result res = ROUTER_NOT_FOUND;
    size_t len = strlen(path);

    *allowed = 0;
    /* "/execute/" is "/execute". */
    if (len > 1 && path[len - 1] == '/') {
        trimmed = xstrndup(path, len - 1);
        path = trimmed;
    }
    for (size_t i = 0; i < n; i++) {
        char *tmp[8] = { 0 };
        size_t np = 0;

        if (!path_match(routes[i].pattern, path, tmp,
                        max_params < 8 ? max_params : 8, &np))
            continue;
        /* HEAD is served by GET handlers. */
        if (routes[i].methods & m
            || (m == HTTP_HEAD && routes[i].methods & HTTP_GET)) {
            *match = &routes[i];
            for (size_t k = 0; k < np; k++)
                params[k] = tmp[k];
            res = ROUTER_FOUND;
            break;
        }
        *allowed |= routes[i].methods;
        if (routes[i].methods & HTTP_GET)
            *allowed |= HTTP_HEAD;
        res = ROUTER_BAD_METHOD;
        for (size_t k = 0; k < np; k++)
            free(tmp[k]);
    }
    free(trimmed);
    if (res == ROUTER_BAD_METHOD)
        *allowed |= HTTP_OPTIONS;
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

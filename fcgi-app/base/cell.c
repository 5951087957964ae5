/* cell.c - see cell.h.  peers is a short list read on demand: a cell
 * has a handful of peers and looks one up per tagged request. */
#include "config.h"
#include "base/cell.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "base/util.h"

static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || n > CELL_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')
              || s[i] == '-'))
            return false;
    return true;
}

/* Splits the "name=url" entries of peers (url NULL when an entry has no
 * '='); cb as cell_each_peer. */
static void each_entry(const char *peers,
                       bool (*cb)(const char *, const char *, void *),
                       void *arg)
{
    char *copy, *save = NULL;

    if (!peers)
        return;
    copy = xstrdup(peers);
    for (char *e = strtok_r(copy, ", \t", &save); e;
         e = strtok_r(NULL, ", \t", &save)) {
        char *eq = strchr(e, '=');

        if (eq)
            *eq = '\0';
        if (!cb(e, eq ? eq + 1 : NULL, arg))
            break;
    }
    free(copy);
}

struct check { char *err; int rc; };

static bool check_entry(const char *name, const char *url, void *arg)
{
    struct check *ck = arg;

    if (!url) {
        err_set(ck->err, "peers: '%s' is not name=http://host:port", name);
        ck->rc = -1;
    } else if (!name_ok(name, strlen(name))) {
        err_set(ck->err, "peers: '%s' is not a cell name (1-%d of "
                "[a-z0-9-])", name, CELL_NAME_MAX);
        ck->rc = -1;
    } else if (strncmp(url, "http://", 7) != 0
               && strncmp(url, "https://", 8) != 0) {
        err_set(ck->err, "peers: the URL of %s must start with http:// or "
                "https://", name);
        ck->rc = -1;
    }
    return ck->rc == 0;
}

int cell_conf_check(const char *node_name, const char *peers, char *err)
{
    struct check ck = { err, 0 };

    if (node_name && *node_name && !name_ok(node_name, strlen(node_name))) {
        err_set(err, "node_name: '%s' must be 1-%d of [a-z0-9-]", node_name,
                CELL_NAME_MAX);
        return -1;
    }
    if (!peers || !*peers)
        return 0;
    if (!node_name || !*node_name) {
        err_set(err, "peers: needs node_name (the name of this cell)");
        return -1;
    }
    each_entry(peers, check_entry, &ck);
    return ck.rc;
}

struct find { const char *name; size_t len; char *url; };

static bool find_entry(const char *name, const char *url, void *arg)
{
    struct find *f = arg;

    if (!url || strlen(name) != f->len || memcmp(name, f->name, f->len))
        return true;
    f->url = xstrdup(url);
    return false;
}

/* The peer URL of the tag s[0..n), or NULL. */
static char *peer_url(const struct conf *c, const char *s, size_t n)
{
    struct find f = { s, n, NULL };

    each_entry(c->peers, find_entry, &f);
    return f.url;
}

static bool is_self(const struct conf *c, const char *s, size_t n)
{
    return c->node_name && strlen(c->node_name) == n
        && memcmp(c->node_name, s, n) == 0;
}

/* Whether id, on a named cell, has a part before a dot that could be a
 * cell's name; its length in *n. */
static bool maybe_tagged(const struct conf *c, const char *id, size_t *n)
{
    const char *dot = c->node_name && id ? strchr(id, '.') : NULL;

    *n = dot ? (size_t)(dot - id) : 0;
    return dot != NULL;
}

size_t cell_tag_len(const struct conf *c, const char *id)
{
    size_t n;
    char *url;

    if (!maybe_tagged(c, id, &n))
        return 0;
    if (is_self(c, id, n))
        return n + 1;
    url = peer_url(c, id, n);
    free(url);
    return url ? n + 1 : 0;
}

char *cell_peer_url(const struct conf *c, const char *id)
{
    size_t n;

    if (!maybe_tagged(c, id, &n) || is_self(c, id, n))
        return NULL;
    return peer_url(c, id, n);
}

int cell_own_id(const struct conf *c, const char *id, char *out, size_t n)
{
    int w;

    if (!c->node_name || cell_tag_len(c, id))
        w = snprintf(out, n, "%s", id);
    else
        w = snprintf(out, n, "%s.%s", c->node_name, id);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

char *cell_copy_path(const struct conf *c, const char *name, size_t n)
{
    return xasprintf("%s/restored/%.*s.db", c->data_dir, (int)n, name);
}

struct each { const struct conf *c; bool (*cb)(const char *, const char *,
                                                void *); void *arg; };

static bool skip_self(const char *name, const char *url, void *arg)
{
    struct each *e = arg;

    if (!url || is_self(e->c, name, strlen(name)))
        return true;
    return e->cb(name, url, e->arg);
}

void cell_each_peer(const struct conf *c,
                    bool (*cb)(const char *name, const char *url, void *arg),
                    void *arg)
{
    struct each e = { c, cb, arg };

    each_entry(c->peers, skip_self, &e);
}

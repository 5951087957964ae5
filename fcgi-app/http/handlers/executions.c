/* executions.c - GET /executions and GET /executions/{id}: a key sees its
 * own records only; anyone else's is a 404, not a 403, so ids can't be
 * probed. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cell.h"
#include "base/conf.h"
#include "base/json.h"
#include "base/util.h"
#include "http/auth.h"
#include "http/forward.h"
#include "http/handlers/common.h"
#include "http/handlers/handlers.h"
#include "http/request.h"
#include "http/response.h"
#include "store/store.h"
#include "store/store_executions.h"

/* GET /executions?cells=all: this cell's page and each peer's, merged
 * newest first (SPEC 10).  A peer that does not answer is named in
 * "cells" and makes the list "partial"; the rest still comes. */
struct merge {
    struct request *rq;
    long limit, before;
    struct json **pages;        /* parsed answers, freed at the end */
    size_t n_pages;
    const struct json **items;  /* every record of every page */
    size_t n_items;
    bool more;                  /* a cell has more past its page */
    struct jw *cells;           /* "name": "ok" or why not */
    bool partial;
};

static int64_t created_at(const struct json *item)
{
    const struct json *v = json_get(item, "created_at");

    return v && v->type == JSON_NUMBER ? (int64_t)v->number : 0;
}

static int newest_first(const void *a, const void *b)
{
    int64_t x = created_at(*(const struct json *const *)a);
    int64_t y = created_at(*(const struct json *const *)b);

    return x < y ? 1 : x > y ? -1 : 0;
}

/* Adds a page's records; false when text is no list page. */
static bool add_page(struct merge *m, const char *text, size_t len)
{
    char err[ERR_LEN];
    struct json *j = json_parse(text, len, err);
    const struct json *list = j ? json_get(j, "executions") : NULL;
    const struct json *next = j ? json_get(j, "next_before") : NULL;

    if (!list || list->type != JSON_ARRAY) {
        json_free(j);
        return false;
    }
    m->pages = xrealloc(m->pages, (m->n_pages + 1) * sizeof(*m->pages));
    m->pages[m->n_pages++] = j;
    m->items = xrealloc(m->items, (m->n_items + list->n + 1)
                        * sizeof(*m->items));
    for (size_t i = 0; i < list->n; i++)
        m->items[m->n_items++] = list->items[i];
    if (next && next->type != JSON_NULL)
        m->more = true;
    return true;
}

static bool add_peer(const char *name, const char *url, void *arg)
{
    struct merge *m = arg;
    char err[ERR_LEN], *path, *why = NULL;
    int status = 0;
    char *body;

    path = m->before ? xasprintf("/executions?limit=%ld&before=%ld",
                                 m->limit, m->before)
                     : xasprintf("/executions?limit=%ld", m->limit);
    body = forward_get(m->rq, url, path, &status, err);
    if (!body)
        why = xasprintf("unreachable: %s", err);
    else if (status != 200 || !add_page(m, body, strlen(body)))
        why = xasprintf("answered %d", status);
    jw_kv_str(m->cells, name, why ? why : "ok");
    m->partial |= why != NULL;
    free(why);
    free(body);
    free(path);
    return true;
}

static void list_all_cells(struct request *rq, long limit, long before)
{
    struct merge m = { .rq = rq, .limit = limit, .before = before };
    struct jw *own = jw_new(), *w;
    const char *text;
    size_t len, n;

    m.cells = jw_new();
    jw_obj_open(m.cells);
    if (store_execution_list(rq->store, rq->key->id, before, (int)limit,
                             own) < 0) {
        jw_free(own);
        jw_free(m.cells);
        respond_db_error(rq);
        return;
    }
    text = jw_text(own, &len);
    add_page(&m, text, len);
    jw_kv_str(m.cells, rq->conf->node_name, "ok");
    cell_each_peer(rq->conf, add_peer, &m);
    jw_obj_close(m.cells);
    qsort(m.items, m.n_items, sizeof(*m.items), newest_first);
    n = m.n_items < (size_t)limit ? m.n_items : (size_t)limit;
    w = jw_new();
    jw_obj_open(w);
    jw_key(w, "executions");
    jw_arr_open(w);
    for (size_t i = 0; i < n; i++)
        jw_value(w, m.items[i]);
    jw_arr_close(w);
    jw_key(w, "next_before");
    if (n && (m.more || m.n_items > n))
        jw_int(w, created_at(m.items[n - 1]));
    else
        jw_null(w);
    jw_key(w, "cells");
    text = jw_text(m.cells, &len);
    jw_raw(w, text, len);
    jw_kv_bool(w, "partial", m.partial);
    jw_obj_close(w);
    response_json(rq, RESULT_OK, w);
    for (size_t i = 0; i < m.n_pages; i++)
        json_free(m.pages[i]);
    free(m.pages);
    free(m.items);
    jw_free(m.cells);
    jw_free(own);
}

void handle_execution_list(struct request *rq)
{
    const char *limit_s = request_query(rq, "limit");
    const char *before_s = request_query(rq, "before"), *cells;
    long limit = 50, before = 0;
    struct jw *w;

    if (limit_s && parse_long(limit_s, 1, 1000, &limit) < 0) {
        response_fail(rq, RESULT_INVALID_REQUEST,
                      "limit must be an integer from 1 to 1000");
        return;
    }
    if (before_s && parse_long(before_s, 0, 0x7fffffffffffffffL,
                               &before) < 0) {
        response_fail(rq, RESULT_INVALID_REQUEST, "before must be a time "
                      "in milliseconds, as next_before gives it");
        return;
    }
    cells = request_query(rq, "cells");
    if (cells && strcmp(cells, "all") != 0) {
        response_fail(rq, RESULT_INVALID_REQUEST, "cells must be \"all\" "
                      "(every peer's records too) or absent");
        return;
    }
    if (cells && rq->conf->node_name) {
        list_all_cells(rq, limit, before);
        return;
    }
    w = jw_new();
    if (store_execution_list(rq->store, rq->key->id, before, (int)limit,
                             w) < 0) {
        jw_free(w);
        respond_db_error(rq);
        return;
    }
    response_json(rq, RESULT_OK, w);
}

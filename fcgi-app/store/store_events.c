/* store_events.c - see store_events.h. */
#include "config.h"
#include "store/store_events.h"

#include <stdlib.h>

#include "store/store.h"
#include "store/store_int.h"

int store_events_insert(struct store *s, const char *sid,
                        const struct store_event *ev, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (STORE_RUN(s, "INSERT INTO execution_events (execution_id, seq,"
                         " kind, data) VALUES (?, ?, ?, ?)", V_TEXT(sid),
                      V_INT(ev[i].seq), V_TEXT(ev[i].kind),
                      V_TEXT(ev[i].data)) < 0)
            return -1;
    return 0;
}

int store_events_add(struct store *s, const char *key_id, const char *id,
                     const struct store_event *ev, size_t n)
{
    char sid[STORE_SCOPED_ID_LEN];

    if (!n)
        return 0;
    store_scoped_id(key_id, id, sid);
    if (store_begin(s) < 0)
        return -1;
    if (store_events_insert(s, sid, ev, n) < 0 || store_commit(s) < 0) {
        store_rollback(s);
        return -1;
    }
    return 0;
}

static void row_to_event(sqlite3_stmt *st, void *out)
{
    struct store_event *e = out;

    e->seq = sqlite3_column_int64(st, 0);
    store_col_copy(st, 1, e->kind, sizeof(e->kind));
    e->data = store_col_dup(st, 2);
}

int store_events_after(struct store *s, const char *key_id, const char *id,
                       int64_t after, int limit, struct store_event **out)
{
    char sid[STORE_SCOPED_ID_LEN];

    store_scoped_id(key_id, id, sid);
    return store_rows(s, STORE_PREPARE(s, "SELECT seq, kind, data FROM"
                                          " execution_events WHERE"
                                          " execution_id = ? AND seq > ?"
                                          " ORDER BY seq LIMIT ?",
                                       V_TEXT(sid), V_INT(after),
                                       V_INT(limit)),
                      sizeof(**out), row_to_event, (void **)out);
}

int64_t store_events_last(struct store *s, const char *key_id,
                          const char *id)
{
    char sid[STORE_SCOPED_ID_LEN];
    int64_t last = 0;

    store_scoped_id(key_id, id, sid);
    if (store_int(s, STORE_PREPARE(s, "SELECT coalesce(max(seq), 0) FROM"
                                      " execution_events WHERE"
                                      " execution_id = ?", V_TEXT(sid)),
                  &last) < 0)
        return -1;
    return last;
}

void store_events_free(struct store_event *ev, int n)
{
    for (int i = 0; i < n; i++)
        free(ev[i].data);
    free(ev);
}

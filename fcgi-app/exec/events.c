/* events.c - see events.h. */
#include "config.h"
#include "exec/events.h"

#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/notify.h"
#include "base/util.h"
#include "store/store.h"
#include "store/store_events.h"

void events_init(struct events *ev, struct store *s, const char *key_id,
                 const char *id, const struct events_live *live)
{
    memset(ev, 0, sizeof(*ev));
    ev->store = s;
    ev->key_id = key_id;
    ev->id = id;
    ev->live = live;
    /* The first batch waits too: a short program's events go with its
     * final record. */
    ev->last_flush = ev->last_live = now_ms();
    buf_init(&ev->tail[0], 0);
    buf_init(&ev->tail[1], 0);
}

size_t events_utf8_whole(const char *p, size_t n)
{
    /* The last lead byte within 3 bytes of the end, and whether the
     * sequence it starts is all there. */
    for (size_t back = 1; back <= 3 && back <= n; back++) {
        unsigned char c = (unsigned char)p[n - back];
        size_t need;

        if ((c & 0xC0) == 0x80)
            continue;           /* a continuation byte: look further */
        need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        return need > back ? n - back : n;
    }
    return n;
}

/* Numbers the event, sends it live and queues it for the table. */
static void add(struct events *ev, const char *kind, struct jw *w)
{
    const char *data = jw_text(w, NULL);
    struct store_event *e;

    ALLOC_GROW(ev->pending, ev->n_pending + 1, ev->cap_pending);
    e = &ev->pending[ev->n_pending++];
    e->seq = ++ev->seq;
    snprintf(e->kind, sizeof(e->kind), "%s", kind);
    e->data = xstrdup(data);
    if (ev->live) {
        ev->live->send(ev->live->arg, e->seq, kind, data);
        ev->last_live = now_ms();
    }
    jw_free(w);
    if (now_ms() - ev->last_flush >= EVENTS_BATCH_MS)
        events_flush(ev);
    else if (!ev->flush_at)
        ev->flush_at = ev->last_flush + EVENTS_BATCH_MS;
}

static void add_text(struct events *ev, const char *kind, const char *p,
                     size_t n)
{
    struct jw *w = jw_new();

    jw_obj_open(w);
    jw_kv_strn(w, "text", p, n);
    jw_obj_close(w);
    add(ev, kind, w);
}

void events_output(struct events *ev, char stream, const char *p, size_t n)
{
    struct buf *tail = &ev->tail[stream == 'e'];
    const char *kind = stream == 'e' ? "stderr" : "stdout";
    size_t whole;

    if (!n)
        return;
    buf_append(tail, p, n);
    whole = events_utf8_whole(tail->data, tail->len);
    if (whole) {
        add_text(ev, kind, tail->data, whole);
        memmove(tail->data, tail->data + whole, tail->len - whole);
        tail->len -= whole;
        tail->data[tail->len] = '\0';
    }
}

void events_image(struct events *ev, const char *image_id, const char *url)
{
    struct jw *w = jw_new();

    jw_obj_open(w);
    jw_kv_str(w, "id", image_id);
    jw_kv_str(w, "url", url);
    jw_obj_close(w);
    add(ev, "image", w);
}

void events_end(struct events *ev)
{
    for (int i = 0; i < 2; i++)
        if (ev->tail[i].len) {
            /* No flush from here on: the rest goes with the record. */
            ev->last_flush = now_ms();
            add_text(ev, i ? "stderr" : "stdout", ev->tail[i].data,
                     ev->tail[i].len);
            buf_reset(&ev->tail[i]);
        }
    ev->flush_at = 0;
}

void events_flush(struct events *ev)
{
    ev->flush_at = 0;
    ev->last_flush = now_ms();
    if (!ev->n_pending)
        return;
    /* Lost events cost a stream its live view, never the record. */
    if (store_events_add(ev->store, ev->key_id, ev->id, ev->pending,
                         ev->n_pending) < 0)
        log_warn("events of %s not stored: %s", ev->id,
                 store_last_message(ev->store));
    for (size_t i = 0; i < ev->n_pending; i++)
        free(ev->pending[i].data);
    ev->n_pending = 0;
    notify_events_bump();
}

double events_due(const struct events *ev)
{
    double idle = ev->live ? ev->last_live + EVENTS_IDLE_MS : 0;

    if (!ev->flush_at)
        return idle;
    return idle && idle < ev->flush_at ? idle : ev->flush_at;
}

void events_tick(struct events *ev)
{
    double now = now_ms();

    if (ev->flush_at && now >= ev->flush_at)
        events_flush(ev);
    if (ev->live && now >= ev->last_live + EVENTS_IDLE_MS) {
        ev->live->idle(ev->live->arg);
        ev->last_live = now;
    }
}

void events_release(struct events *ev)
{
    for (size_t i = 0; i < ev->n_pending; i++)
        free(ev->pending[i].data);
    free(ev->pending);
    buf_release(&ev->tail[0]);
    buf_release(&ev->tail[1]);
    memset(ev, 0, sizeof(*ev));
}

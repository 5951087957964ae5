/* test_events.c - an execution's stream (exec/events.h) on a real SQLite
 * file: chunks numbered in order and sent live at once, a UTF-8 sequence
 * cut between two chunks kept whole, and writes batched: nothing written
 * within a batch's time, one transaction for a burst, and what is left at
 * the end handed over for the final record. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/util.h"
#include "exec/events.h"
#include "store/store.h"
#include "fakes/test_store.h"
#include "store/store_events.h"

static void test_utf8_whole(void **state)
{
    static const struct {
        const char *p;
        size_t whole;
    } cases[] = {
        { "abc", 3 },
        { "a\xc3", 1 },                 /* é cut after its lead byte */
        { "a\xc3\xa9", 3 },
        { "\xe2\x82", 0 },              /* € missing its last byte */
        { "\xe2\x82\xac", 3 },
        { "x\xf0\x9f\x98", 1 },         /* an emoji, three of four */
        { "x\xf0\x9f\x98\x80", 5 },
        { "\x80\x80\x80\x80", 4 },      /* not UTF-8: passed on as is */
    };

    UNUSED(state);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_int_equal(events_utf8_whole(cases[i].p, strlen(cases[i].p)),
                         cases[i].whole);
}

struct seen {
    char kinds[16][8];
    int64_t ids[16];
    int n;
    int idle;
};

static void live(void *arg, int64_t seq, const char *kind, const char *data)
{
    struct seen *s = arg;

    UNUSED(data);
    snprintf(s->kinds[s->n], sizeof(s->kinds[0]), "%s", kind);
    s->ids[s->n++] = seq;
}

static void idle(void *arg)
{
    ((struct seen *)arg)->idle++;
}

static int stored(struct store *s, struct store_event **ev)
{
    return store_events_after(s, "k1", "e1", 0, 100, ev);
}

static void test_stream(void **state)
{
    struct test_store *f = *state;
    struct seen seen = { .n = 0 };
    struct events_live l = { live, idle, &seen };
    struct store_event *ev;
    struct events e;
    int n;

    events_init(&e, f->s, "k1", "e1", &l);
    /* Nothing pending: the only thing due is the live client's
     * keep-alive. */
    assert_true(events_due(&e) == e.last_live + EVENTS_IDLE_MS);
    e.last_live -= EVENTS_IDLE_MS;              /* as if it were quiet */
    events_tick(&e);
    assert_int_equal(seen.idle, 1);
    /* Within the batch's time nothing is written; the timer is set. */
    events_output(&e, 'o', "one\n", 4);
    events_output(&e, 'e', "two\n", 4);
    assert_true(e.flush_at > 0 && events_due(&e) == e.flush_at);
    assert_int_equal(stored(f->s, &ev), 0);
    e.flush_at = now_ms();                      /* its time has come */
    events_tick(&e);
    assert_int_equal(e.flush_at, 0);
    assert_int_equal(seen.idle, 1);
    assert_int_equal(n = stored(f->s, &ev), 2);
    store_events_free(ev, n);
    events_output(&e, 'o', "caf\xc3", 4);        /* é cut in two */
    events_output(&e, 'o', "\xa9!", 2);
    events_image(&e, "img1", "/images/img1");
    events_output(&e, 'o', "\xe2\x82", 2);       /* never completed */
    /* The end: the cut sequence becomes an event, and what is pending is
     * for the final record, written here as it would be. */
    events_end(&e);
    assert_int_equal(e.n_pending, 4);
    assert_int_equal(store_events_add(f->s, "k1", "e1", e.pending,
                                      e.n_pending), 0);
    n = stored(f->s, &ev);
    assert_int_equal(n, 6);
    assert_string_equal(ev[1].kind, "stderr");
    assert_string_equal(ev[2].data, "{\"text\":\"caf\"}");
    assert_string_equal(ev[3].data, "{\"text\":\"\xc3\xa9!\"}");
    assert_string_equal(ev[4].kind, "image");
    assert_string_equal(ev[4].data,
                        "{\"id\":\"img1\",\"url\":\"/images/img1\"}");
    assert_string_equal(ev[5].kind, "stdout");
    for (int i = 0; i < n; i++) {
        assert_int_equal(ev[i].seq, i + 1);
        assert_int_equal(seen.ids[i], i + 1);   /* live, in order */
        assert_string_equal(seen.kinds[i], ev[i].kind);
    }
    assert_int_equal(seen.n, 6);
    assert_int_equal(store_events_last(f->s, "k1", "e1"), 6);
    assert_int_equal(store_events_last(f->s, "k2", "e1"), 0);
    store_events_free(ev, n);
    events_release(&e);
}

/* A test on a fresh store. */
#define T(test) \
    cmocka_unit_test_setup_teardown(test, test_store_setup, \
                                    test_store_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_whole),
        T(test_stream),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

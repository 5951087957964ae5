/* test_store_executions.c - the executions table on a real SQLite file:
 * admission with its limits and duplicate ids, blocked and finished
 * records, the record as JSON, paging, interruption, cancel and
 * purging. */
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

#include "base/json.h"
#include "base/util.h"
#include "store/store.h"
#include "fakes/test_store.h"
#include "store/store_async.h"
#include "store/store_executions.h"
#include "store/store_images.h"

static struct execution_new new_of(const char *id, const char *key)
{
    struct execution_new e = {
        .id = id, .key_id = key, .request_id = "r1", .language = "python",
        .code = "print(1)", .code_len = 8, .stdin_data = "in",
        .stdin_len = 2, .timeout_ms = 5000, .memory_mb = 256,
        .worker_pid = 4242,
    };

    return e;
}

static enum result admit(struct store *s, const char *id, const char *key,
                         long conc, long rate)
{
    struct execution_new e = new_of(id, key);
    const char *which;

    return store_execution_admit(s, &e, conc, rate, &which);
}

/* The record of id for key as a parsed JSON object (free it). */
static struct json *record(struct store *s, const char *id, const char *key,
                           bool full)
{
    struct jw *w = jw_new();
    char err[ERR_LEN];
    struct json *j = NULL;
    size_t n;
    const char *text;

    if (store_execution_write(s, id, key, "http://h", full, w) == 1) {
        text = jw_text(w, &n);
        j = json_parse(text, n, err);
        assert_non_null(j);
    }
    jw_free(w);
    return j;
}

static void test_admit(void **state)
{
    struct test_store *f = *state;
    struct execution_new e = new_of("a1", "k1");
    const char *which;

    assert_int_equal(admit(f->s, "a1", "k1", 0, 0), RESULT_OK);
    assert_int_equal(admit(f->s, "a1", "k1", 0, 0), RESULT_DUPLICATE);
    assert_int_equal(admit(f->s, "a2", "k1", 2, 0), RESULT_OK);
    /* Two queued: a third is over max_concurrent 2. */
    assert_int_equal(store_execution_admit(f->s, &e, 2, 0, &which),
                     RESULT_LIMITED);
    assert_string_equal(which, "concurrent");
    /* Two accepted this minute: a limit of 2 per minute is reached. */
    e.id = "a3";
    assert_int_equal(store_execution_admit(f->s, &e, 0, 2, &which),
                     RESULT_LIMITED);
    assert_string_equal(which, "rate");
    /* Another key has its own count, and its own ids. */
    assert_int_equal(admit(f->s, "b1", "k2", 1, 1), RESULT_OK);
    assert_int_equal(admit(f->s, "b2", "k2", 0, 0), RESULT_OK);
    assert_int_equal(admit(f->s, "a1", "k2", 0, 0), RESULT_OK);
    assert_int_equal(store_execution_count(f->s), 5);
}

static void test_blocked(void **state)
{
    struct test_store *f = *state;
    struct execution_new e = new_of("x1", "k1");
    struct json *j;

    assert_int_equal(store_execution_blocked(f->s, &e, "Unsafe code",
                                             "[{\"rule\":\"import\"}]"),
                     RESULT_OK);
    assert_int_equal(store_execution_blocked(f->s, &e, "again", "[]"),
                     RESULT_DUPLICATE);
    j = record(f->s, "x1", "k1", true);
    assert_string_equal(json_get(j, "status")->str, "blocked");
    assert_string_equal(json_get(j, "error")->str, "Unsafe code");
    assert_int_equal(json_get(j, "violations")->type, JSON_ARRAY);
    json_free(j);
}

static void test_record(void **state)
{
    struct test_store *f = *state;
    struct execution_done d = {
        .status = "completed", .has_exit_code = true, .exit_code = 0,
        .out = "1\n", .out_len = 2, .err = "", .err_len = 0,
        .result_text = "1", .result_len = 1, .truncated = true,
        .execution_time = 0.5, .test_results = "[]",
        .timings = "{\"total_ms\":1.5}",
    };
    struct image_new im = {
        .execution_id = "a1", .key_id = "k1", .seq = 0, .kind = "plot",
        .mime = "image/png", .width = 2, .height = 3, .bytes = "PNG",
        .size = 3,
    };
    char img[IMAGE_ID_MAX + 1], url[96];
    struct json *j;
    const struct json *images;

    assert_int_equal(admit(f->s, "a1", "k1", 0, 0), RESULT_OK);
    assert_int_equal(store_execution_started(f->s, "k1", "a1", "c1"), 0);
    assert_int_equal(store_image_insert(f->s, &im, img), 0);
    assert_int_equal(store_execution_finish(f->s, "k1", "a1", &d), 0);
    j = record(f->s, "a1", "k1", false);
    assert_string_equal(json_get(j, "execution_id")->str, "a1");
    assert_string_equal(json_get(j, "status")->str, "completed");
    assert_true(json_get(j, "timeout")->number == 5);
    assert_true(json_get(j, "truncated")->boolean);
    assert_int_equal(json_get(j, "exit_code")->integer, 0);
    assert_int_equal(json_get(j, "signal")->type, JSON_NULL);
    /* The brief record has no output, code or images. */
    assert_null(json_get(j, "stdout"));
    assert_null(json_get(j, "images"));
    json_free(j);
    j = record(f->s, "a1", "k1", true);
    assert_string_equal(json_get(j, "stdout")->str, "1\n");
    assert_string_equal(json_get(j, "code")->str, "print(1)");
    assert_string_equal(json_get(j, "container")->str, "c1");
    assert_true(json_get(json_get(j, "timings"), "total_ms")->number == 1.5);
    images = json_get(j, "images");
    assert_int_equal(images->n, 1);
    snprintf(url, sizeof(url), "http://h/images/%s", img);
    assert_string_equal(json_get(images->items[0], "url")->str, url);
    assert_int_equal(json_get(images->items[0], "width")->integer, 2);
    json_free(j);
    /* Another key's record is no record. */
    assert_null(record(f->s, "a1", "k2", true));
}

static void test_list_pages(void **state)
{
    struct test_store *f = *state;
    char id[8];
    struct jw *w;
    struct json *j;
    char err[ERR_LEN];
    const char *text;
    size_t n;

    for (int i = 0; i < 3; i++) {
        snprintf(id, sizeof(id), "e%d", i);
        assert_int_equal(admit(f->s, id, "k1", 0, 0), RESULT_OK);
    }
    w = jw_new();
    assert_int_equal(store_execution_list(f->s, "k1", 0, 2, w), 0);
    text = jw_text(w, &n);
    j = json_parse(text, n, err);
    assert_int_equal(json_get(j, "executions")->n, 2);
    /* A full page says where the next one starts. */
    assert_int_equal(json_get(j, "next_before")->type, JSON_NUMBER);
    json_free(j);
    jw_free(w);
    w = jw_new();
    assert_int_equal(store_execution_list(f->s, "k2", 0, 2, w), 0);
    text = jw_text(w, &n);
    j = json_parse(text, n, err);
    assert_int_equal(json_get(j, "executions")->n, 0);
    assert_int_equal(json_get(j, "next_before")->type, JSON_NULL);
    json_free(j);
    jw_free(w);
}

static void test_interrupt_and_purge(void **state)
{
    struct test_store *f = *state;
    struct execution_summary *rows;
    char key[STORE_KEY_ID_LEN], own[72];
    struct json *j;

    assert_int_equal(admit(f->s, "a1", "k1", 0, 0), RESULT_OK);
    assert_int_equal(admit(f->s, "a2", "k2", 0, 0), RESULT_OK);
    assert_int_equal(store_execution_interrupt_pid(f->s, 1), 0);
    assert_int_equal(store_execution_interrupt_pid(f->s, 4242), 2);
    j = record(f->s, "a1", "k1", false);
    assert_string_equal(json_get(j, "status")->str, "interrupted");
    json_free(j);
    assert_int_equal(store_execution_recent(f->s, NULL, 10, &rows), 2);
    assert_string_equal(rows[0].status, "interrupted");
    assert_string_equal(rows[0].session_id, "-");
    free(rows);
    assert_int_equal(store_execution_recent(f->s, "k2", 10, &rows), 1);
    assert_string_equal(rows[0].id, "a2");
    free(rows);
    assert_int_equal(store_execution_owner(f->s, "a2", key, own), 1);
    assert_string_equal(key, "k2");
    assert_string_equal(own, "a2");
    assert_int_equal(store_execution_owner(f->s, "k2/a2", key, own), 1);
    assert_string_equal(own, "a2");
    assert_int_equal(store_execution_owner(f->s, "zz", key, own), 0);
    /* Everything before now is purged. */
    assert_int_equal(store_execution_purge(f->s, wall_ms() + 1000), 2);
    assert_int_equal(store_execution_count(f->s), 0);
}

static void test_cancel(void **state)
{
    struct test_store *f = *state;
    struct execution_new e = new_of("q1", "k1");
    struct async_submit a = { &e, "{}", 2, "", 0, 10 };
    struct execution_done d = { .status = "completed" };
    char status[16];
    int pid = -1;

    assert_int_equal(store_execution_cancel(f->s, "k1", "nope", &pid),
                     CANCEL_NONE);
    /* One a worker runs: marked, and its process named. */
    assert_int_equal(admit(f->s, "a1", "k1", 0, 0), RESULT_OK);
    assert_false(store_execution_cancel_asked(f->s, "k1", "a1"));
    assert_int_equal(store_execution_cancel(f->s, "k2", "a1", &pid),
                     CANCEL_NONE);
    assert_int_equal(store_execution_cancel(f->s, "k1", "a1", &pid),
                     CANCEL_ASKED);
    assert_int_equal(pid, 4242);
    assert_true(store_execution_cancel_asked(f->s, "k1", "a1"));
    assert_false(store_execution_cancel_asked(f->s, "k2", "a1"));
    /* Ended: nothing to cancel. */
    assert_int_equal(store_execution_finish(f->s, "k1", "a1", &d), 0);
    assert_int_equal(store_execution_cancel(f->s, "k1", "a1", &pid),
                     CANCEL_FINAL);
    /* Waiting for an executor: cancelled here, out of the queue. */
    e.worker_pid = 0;
    assert_int_equal(store_async_submit(f->s, &a), RESULT_OK);
    assert_int_equal(store_async_waiting(f->s), 1);
    assert_int_equal(store_execution_cancel(f->s, "k1", "q1", &pid),
                     CANCEL_DONE);
    assert_int_equal(store_async_waiting(f->s), 0);
    assert_int_equal(store_execution_status(f->s, "q1", "k1", status), 1);
    assert_string_equal(status, "cancelled");
}

/* A test on a fresh store. */
#define T(test) \
    cmocka_unit_test_setup_teardown(test, test_store_setup, \
                                    test_store_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_admit),
        T(test_blocked),
        T(test_record),
        T(test_list_pages),
        T(test_cancel),
        T(test_interrupt_and_purge),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

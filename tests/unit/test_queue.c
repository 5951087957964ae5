/* test_queue.c - the shared sandbox queue: round robin across keys and
 * first come first served within one, queue_max, a waiter woken (not
 * polling) when the head leaves, a dead worker's place freed, a client
 * that hangs up leaving, a poke told apart from a wake, and the drain
 * rate behind Retry-After. */
#include "config.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/util.h"
#include "sandbox/queue.h"

static int setup(void **state)
{
    UNUSED(state);
    queue_create();             /* a fresh area for each test */
    return 0;
}

/* Which of n tickets is at the head; -1 when none is. */
static int head_of(struct queue_ticket *t, int n)
{
    int h = -1;

    for (int i = 0; i < n; i++)
        if (t[i].seq && queue_is_head(&t[i])) {
            assert_int_equal(h, -1);    /* one head at most */
            h = i;
        }
    return h;
}

static void round_robin_across_keys(void **state)
{
    /* A floods first; B and C come later: served A B C A B A A. */
    static const char *keys[] = { "A", "A", "A", "A", "B", "B", "C" };
    static const char expect[] = "ABCABAA";
    struct queue_ticket t[7];
    char got[8] = "";

    UNUSED(state);
    for (int i = 0; i < 7; i++)
        assert_int_equal(queue_enter(keys[i], 256, &t[i]), 0);
    assert_int_equal(queue_depth(), 7);
    for (int k = 0; k < 7; k++) {
        int h = head_of(t, 7);

        assert_true(h >= 0);
        got[k] = keys[h][0];
        queue_leave(&t[h], QUEUE_WOKEN, true);
    }
    assert_string_equal(got, expect);
    assert_int_equal(queue_depth(), 0);
}

static void fifo_within_a_key(void **state)
{
    struct queue_ticket t[5];

    UNUSED(state);
    for (int i = 0; i < 5; i++)
        assert_int_equal(queue_enter("k", 256, &t[i]), 0);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(head_of(t, 5), i);
        queue_leave(&t[i], QUEUE_WOKEN, true);
    }
}

/* A key that comes back after being served waits behind the keys that
 * were waiting meanwhile. */
static void served_key_goes_to_the_back(void **state)
{
    struct queue_ticket a1, b1, b2, a2;

    UNUSED(state);
    queue_enter("A", 256, &a1);
    queue_enter("B", 256, &b1);
    queue_enter("B", 256, &b2);
    assert_true(queue_is_head(&a1));
    queue_leave(&a1, QUEUE_WOKEN, true);
    queue_enter("A", 256, &a2);
    assert_true(queue_is_head(&b1));
    queue_leave(&b1, QUEUE_WOKEN, true);
    /* b2 is round 2 and so is a2; b2 came first. */
    assert_true(queue_is_head(&b2));
    queue_leave(&b2, QUEUE_WOKEN, true);
    assert_true(queue_is_head(&a2));
    queue_leave(&a2, QUEUE_WOKEN, true);
}

static void queue_max_rejects(void **state)
{
    struct queue_ticket t[3];
    struct queue_status s;

    UNUSED(state);
    assert_int_equal(queue_enter("k", 2, &t[0]), 0);
    assert_int_equal(queue_enter("k", 2, &t[1]), 0);
    assert_int_equal(queue_enter("k", 2, &t[2]), -1);
    queue_get_status(&s);
    assert_int_equal(s.depth, 2);
    assert_int_equal((int)s.rejected, 1);
    queue_leave(&t[0], QUEUE_TIMEOUT, false);
    assert_int_equal(queue_enter("k", 2, &t[2]), 0);
    queue_get_status(&s);
    assert_int_equal((int)s.timed_out, 1);
}

/* A child takes a place and dies without leaving: the master's reap
 * (queue_drop_pid) frees it; so does a wake that finds it gone. */
static pid_t child_enters_and_dies(const char *key)
{
    int p[2];
    char b;
    pid_t pid;

    assert_int_equal(pipe(p), 0);
    pid = fork();
    if (pid == 0) {
        struct queue_ticket t;

        queue_enter(key, 256, &t);
        b = 1;
        if (write(p[1], &b, 1) != 1)
            _exit(2);
        pause();                /* killed while waiting */
        _exit(0);
    }
    assert_int_equal(read(p[0], &b, 1), 1);
    close(p[0]);
    close(p[1]);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return pid;
}

static void dead_worker_dropped_by_reap(void **state)
{
    struct queue_ticket mine;
    pid_t pid;

    UNUSED(state);
    pid = child_enters_and_dies("A");
    assert_int_equal(queue_depth(), 1);
    queue_enter("A", 256, &mine);
    assert_false(queue_is_head(&mine));
    assert_int_equal(queue_drop_pid(pid), 1);
    assert_true(queue_is_head(&mine));
    {
        pid_t dead[4];

        /* ... and the keeper hears of it, once. */
        assert_int_equal(queue_take_dead(dead, 4), 1);
        assert_int_equal(dead[0], pid);
        assert_int_equal(queue_take_dead(dead, 4), 0);
    }
    queue_leave(&mine, QUEUE_WOKEN, true);
}

static void dead_head_dropped_by_a_wake(void **state)
{
    struct queue_ticket mine;

    UNUSED(state);
    child_enters_and_dies("A");
    queue_enter("B", 256, &mine);
    assert_false(queue_is_head(&mine));
    queue_kick();               /* its wake socket is gone with it */
    assert_true(queue_is_head(&mine));
    assert_int_equal(queue_depth(), 1);
    queue_leave(&mine, QUEUE_WOKEN, true);
}

/* The child waits behind us with no timeout of note; our leaving wakes
 * it, and it reports being the head. */
static void waiter_is_woken_when_the_head_leaves(void **state)
{
    struct queue_ticket first;
    int p[2], status;
    char b;
    pid_t pid;

    UNUSED(state);
    assert_int_equal(pipe(p), 0);
    queue_enter("A", 256, &first);
    pid = fork();
    if (pid == 0) {
        struct queue_ticket t;
        double deadline = now_ms() + 60000;

        queue_enter("B", 256, &t);
        b = 1;
        if (write(p[1], &b, 1) != 1)
            _exit(2);
        while (!queue_is_head(&t))
            if (queue_sleep(&t, deadline, -1) != QUEUE_WOKEN)
                _exit(3);
        queue_leave(&t, QUEUE_WOKEN, true);
        _exit(0);
    }
    assert_int_equal(read(p[0], &b, 1), 1);
    queue_leave(&first, QUEUE_WOKEN, true);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(queue_depth(), 0);
    close(p[0]);
    close(p[1]);
}

static void client_hang_up_ends_the_wait(void **state)
{
    struct queue_ticket head, t;
    int sv[2];

    UNUSED(state);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    queue_enter("A", 256, &head);
    queue_enter("B", 256, &t);
    /* Unread bytes from the client are not a hang-up. */
    assert_int_equal(write(sv[1], "x", 1), 1);
    assert_int_equal(queue_sleep(&t, now_ms() + 50, sv[0]), QUEUE_TIMEOUT);
    close(sv[1]);
    assert_int_equal(queue_sleep(&t, now_ms() + 60000, sv[0]),
                     QUEUE_CLIENT_GONE);
    queue_leave(&t, QUEUE_CLIENT_GONE, false);
    queue_leave(&head, QUEUE_TIMEOUT, false);
    close(sv[0]);
}

static void retry_after_follows_the_drain(void **state)
{
    struct queue_ticket t[20];
    struct queue_status s;

    UNUSED(state);
    assert_int_equal(queue_retry_after(30), 1);     /* empty */
    for (int i = 0; i < 20; i++)
        queue_enter("A", 256, &t[i]);
    /* Nothing drained yet: the whole wait. */
    assert_int_equal(queue_retry_after(30), 30);
    for (int i = 0; i < 10; i++)
        queue_note_served();
    queue_get_status(&s);
    assert_true(s.drain_per_s > 0);
    assert_true(queue_retry_after(30) >= 1);
    assert_true(queue_retry_after(30) <= 30);
    assert_true(s.oldest_wait_ms >= 0);
    for (int i = 0; i < 20; i++)
        queue_leave(&t[i], QUEUE_TIMEOUT, false);
}

/* A session's turns are a queue of their own: their own head, not in
 * the pool's depth. */
static void named_queues_are_apart(void **state)
{
    struct queue_ticket p, s1, s2;
    struct queue_status st;

    UNUSED(state);
    queue_enter("A", 256, &p);
    assert_int_equal(queue_enter_named("session:A:x", "A", 8, &s1), 0);
    assert_int_equal(queue_enter_named("session:A:x", "A", 8, &s2), 0);
    assert_true(queue_is_head(&p));
    assert_true(queue_is_head(&s1));
    assert_false(queue_is_head(&s2));
    assert_int_equal(queue_depth(), 1);
    assert_int_equal(queue_count("session:A:x"), 2);
    queue_leave(&s1, QUEUE_WOKEN, true);
    assert_true(queue_is_head(&s2));
    queue_get_status(&st);
    assert_int_equal((int)st.served, 0);    /* turns are not the pool's */
    queue_leave(&s2, QUEUE_WOKEN, true);
    queue_leave(&p, QUEUE_WOKEN, true);
    assert_int_equal(queue_count("session:A:x"), 0);
}

static void poke_is_noted_apart_from_wakes(void **state)
{
    struct queue_ticket t;

    UNUSED(state);
    assert_true(queue_wake_fd() >= 0);
    assert_false(queue_poked());
    assert_int_equal(queue_enter("k", 10, &t), 0);
    queue_poke(getpid());
    assert_int_equal(queue_sleep(&t, now_ms() + 5000, -1), QUEUE_WOKEN);
    assert_true(queue_poked());     /* seen by the sleep's drain */
    assert_false(queue_poked());
    queue_poke(getpid());
    assert_true(queue_poked());     /* read from the socket here */
    queue_poke(1);                  /* no wake socket there: nothing */
    queue_leave(&t, QUEUE_WOKEN, false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(round_robin_across_keys, setup),
        cmocka_unit_test_setup(fifo_within_a_key, setup),
        cmocka_unit_test_setup(served_key_goes_to_the_back, setup),
        cmocka_unit_test_setup(queue_max_rejects, setup),
        cmocka_unit_test_setup(dead_worker_dropped_by_reap, setup),
        cmocka_unit_test_setup(dead_head_dropped_by_a_wake, setup),
        cmocka_unit_test_setup(waiter_is_woken_when_the_head_leaves, setup),
        cmocka_unit_test_setup(client_hang_up_ends_the_wait, setup),
        cmocka_unit_test_setup(retry_after_follows_the_drain, setup),
        cmocka_unit_test_setup(named_queues_are_apart, setup),
        cmocka_unit_test_setup(poke_is_noted_apart_from_wakes, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

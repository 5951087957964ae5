/* test_store_pool.c - the container table's state changes on a real
 * SQLite file: what a retire pass takes, and that a late step of a
 * creation or of a call can't bring a retired container back (either
 * would leave a container nobody removes). */
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
#include "store/store.h"
#include "fakes/test_store.h"
#include "store/store_pool.h"

static const char *state_of(struct store *s, const char *name)
{
    static struct pool_container c;

    if (store_pool_get(s, name, &c) != 1)
        return "(none)";
    return c.state;
}

static void add(struct store *s, const char *name, const char *state)
{
    assert_int_equal(store_pool_insert(s, name, 256, state, true), 0);
}

static void add_kind(struct store *s, const char *name, bool heavy)
{
    assert_int_equal(store_pool_insert(s, name, 256, "creating", heavy), 0);
    assert_int_equal(store_pool_set_ready(s, name), 0);
}

static void test_retire_unbound_spares_sessions(void **state)
{
    struct test_store *f = *state;

    add(f->s, "c-idle", "idle");
    add(f->s, "c-creating", "creating");
    add(f->s, "c-claimed", "claimed");
    add(f->s, "c-session", "session");
    assert_int_equal(store_pool_retire_unbound(f->s, false), 0);
    assert_string_equal(state_of(f->s, "c-idle"), "retiring");
    assert_string_equal(state_of(f->s, "c-creating"), "retiring");
    assert_string_equal(state_of(f->s, "c-claimed"), "claimed");
    assert_string_equal(state_of(f->s, "c-session"), "session");
    assert_int_equal(store_pool_retire_unbound(f->s, true), 0);
    assert_string_equal(state_of(f->s, "c-claimed"), "retiring");
    assert_string_equal(state_of(f->s, "c-session"), "session");
}

static void test_ready_after_retire_stays_retired(void **state)
{
    struct test_store *f = *state;

    add(f->s, "c1", "creating");
    assert_int_equal(store_pool_retire_unbound(f->s, true), 0);
    assert_int_equal(store_pool_set_ready(f->s, "c1"), 0);
    assert_string_equal(state_of(f->s, "c1"), "retiring");
}

static void test_return_after_retire_stays_retired(void **state)
{
    struct test_store *f = *state;
    struct pool_container c;

    add(f->s, "c1", "idle");
    assert_int_equal(store_pool_claim(f->s, 42, "k1", true, &c), 1);
    assert_string_equal(c.name, "c1");
    assert_int_equal(store_pool_retire(f->s, "c1"), 0);
    assert_int_equal(store_pool_return(f->s, "c1", "k1"), 0);
    assert_string_equal(state_of(f->s, "c1"), "retiring");
}

static void test_return_of_a_claim_makes_it_idle(void **state)
{
    struct test_store *f = *state;
    struct pool_container c;

    add(f->s, "c1", "idle");
    assert_int_equal(store_pool_claim(f->s, 42, "k1", true, &c), 1);
    assert_string_equal(state_of(f->s, "c1"), "claimed");
    assert_int_equal(store_pool_return(f->s, "c1", "k1"), 0);
    assert_int_equal(store_pool_get(f->s, "c1", &c), 1);
    assert_string_equal(c.state, "idle");
    assert_string_equal(c.owner_key, "k1");
    assert_int_equal(c.uses, 1);
}

static void test_a_claim_prefers_the_kind_asked_for(void **state)
{
    struct test_store *f = *state;
    struct pool_container c;
    struct pool_counts n;

    add_kind(f->s, "light", false);
    add_kind(f->s, "heavy", true);
    add(f->s, "made", "creating");
    assert_int_equal(store_pool_count(f->s, &n), 0);
    assert_int_equal(n.idle, 2);
    assert_int_equal(n.idle_heavy, 1);
    assert_int_equal(n.creating, 1);
    assert_int_equal(n.creating_heavy, 1);
    /* The kind asked for, though the other waited longer... */
    assert_int_equal(store_pool_claim(f->s, 42, NULL, true, &c), 1);
    assert_string_equal(c.name, "heavy");
    assert_true(c.heavy);
    /* ...and the other kind rather than none. */
    assert_int_equal(store_pool_claim(f->s, 42, NULL, true, &c), 1);
    assert_string_equal(c.name, "light");
    assert_false(c.heavy);
    assert_int_equal(store_pool_claim(f->s, 42, NULL, false, &c), 0);
}

static void test_light_code_takes_the_keys_own_container_of_either_kind(
    void **state)
{
    struct test_store *f = *state;
    struct pool_container c;

    add_kind(f->s, "heavy", true);
    add_kind(f->s, "light", false);
    add_kind(f->s, "light2", false);
    assert_int_equal(store_pool_claim(f->s, 42, "k1", true, &c), 1);
    assert_string_equal(c.name, "heavy");
    assert_int_equal(store_pool_return(f->s, "heavy", "k1"), 0);
    assert_int_equal(store_pool_claim(f->s, 42, "k1", false, &c), 1);
    assert_string_equal(c.name, "heavy");
}

static void test_heavy_code_takes_an_unbound_heavy_before_its_own_light(
    void **state)
{
    struct test_store *f = *state;
    struct pool_container c;

    char own[sizeof(c.name)];

    add_kind(f->s, "light", false);
    add_kind(f->s, "light2", false);
    add_kind(f->s, "heavy", true);
    assert_int_equal(store_pool_claim(f->s, 42, "k1", false, &c), 1);
    assert_false(c.heavy);
    snprintf(own, sizeof(own), "%s", c.name);
    assert_int_equal(store_pool_return(f->s, own, "k1"), 0);
    assert_int_equal(store_pool_claim(f->s, 42, "k1", true, &c), 1);
    assert_string_equal(c.name, "heavy");
    /* With no heavy one left, its own light one before an unbound one. */
    assert_int_equal(store_pool_claim(f->s, 42, "k1", true, &c), 1);
    assert_string_equal(c.name, own);
}

/* A test on a fresh store. */
#define T(test) \
    cmocka_unit_test_setup_teardown(test, test_store_setup, \
                                    test_store_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_retire_unbound_spares_sessions),
        T(test_ready_after_retire_stays_retired),
        T(test_return_after_retire_stays_retired),
        T(test_a_claim_prefers_the_kind_asked_for),
        T(test_light_code_takes_the_keys_own_container_of_either_kind),
        T(test_heavy_code_takes_an_unbound_heavy_before_its_own_light),
        T(test_return_of_a_claim_makes_it_idle),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

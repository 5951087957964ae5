/* test_demand.c - which kind of warm container the pool makes next:
 * the heavy share follows claims, and the floor of one heavy container. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sandbox/demand.h"

/* n light claims, then m heavy ones, on top of what d has seen. */
static void claims(struct demand *d, uint64_t n, uint64_t m)
{
    uint64_t light = d->seen_light, heavy = d->seen_heavy;

    for (uint64_t i = 0; i < n; i++)
        demand_follow(d, ++light, heavy);
    for (uint64_t i = 0; i < m; i++)
        demand_follow(d, light, ++heavy);
}

static void test_a_new_pool_preloads(void **state)
{
    struct demand d;

    (void)state;
    demand_init(&d);
    assert_true(demand_next_heavy(&d, 3, 4, false));
    assert_false(demand_next_heavy(&d, 4, 4, false));
}

static void test_the_share_follows_the_last_ten_or_so(void **state)
{
    struct demand d, batch;

    (void)state;
    demand_init(&d);
    claims(&d, 10, 0);
    assert_true(d.heavy_share > 0.3 && d.heavy_share < 0.4);
    /* A batch counts as its claims one by one would. */
    demand_init(&batch);
    demand_follow(&batch, 10, 0);
    assert_true(batch.heavy_share > 0.3 && batch.heavy_share < 0.4);
    claims(&d, 0, 30);
    assert_true(d.heavy_share > 0.9);
    /* Half of a pool of four for half the demand. */
    demand_init(&d);
    for (int i = 0; i < 40; i++)
        claims(&d, 1, 1);
    assert_true(demand_next_heavy(&d, 1, 4, false));
    assert_false(demand_next_heavy(&d, 2, 4, false));
}

static void test_the_floor_of_one_heavy(void **state)
{
    struct demand d;

    (void)state;
    demand_init(&d);
    claims(&d, 25, 0);      /* share about 0.07: heavy demand is recent */
    assert_true(demand_next_heavy(&d, 0, 2, false));
    assert_false(demand_next_heavy(&d, 1, 2, false));
    assert_false(demand_next_heavy(&d, 0, 1, false));   /* a pool of one */
    claims(&d, 40, 0);      /* none for long: container isolation drops it */
    assert_false(demand_next_heavy(&d, 0, 2, false));
    /* Process isolation keeps it: a key's light code never replaces it. */
    assert_true(demand_next_heavy(&d, 0, 2, true));
    assert_false(demand_next_heavy(&d, 1, 2, true));
    assert_false(demand_next_heavy(&d, 0, 1, true));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_new_pool_preloads),
        cmocka_unit_test(test_the_share_follows_the_last_ten_or_so),
        cmocka_unit_test(test_the_floor_of_one_heavy),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

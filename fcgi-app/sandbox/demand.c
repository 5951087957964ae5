/* demand.c - the pool's heavy share (demand.h). */
#include "config.h"
#include "sandbox/demand.h"

/* How fast heavy_share follows demand: the weight of one claim. */
#define DEMAND_WEIGHT 0.1
/* From this share (one heavy claim in the last 20 or so) a pool of two
 * or more keeps one heavy container however small the share: heavy code
 * that comes now and then finds its packages loaded. */
#define HEAVY_FLOOR_SHARE 0.05

void demand_init(struct demand *d)
{
    d->heavy_share = 1;
    d->seen_light = d->seen_heavy = 0;
}

void demand_follow(struct demand *d, uint64_t light, uint64_t heavy)
{
    uint64_t n = light - d->seen_light + heavy - d->seen_heavy;
    double keep = 1;

    /* (1 - DEMAND_WEIGHT)^n; past 64 claims the old share is gone. */
    for (uint64_t i = 0; i < n && i < 64; i++)
        keep *= 1 - DEMAND_WEIGHT;
    if (n > 0)
        d->heavy_share = keep * d->heavy_share
                         + (1 - keep) * (double)(heavy - d->seen_heavy) / n;
    d->seen_light = light;
    d->seen_heavy = heavy;
}

bool demand_next_heavy(const struct demand *d, int heavy_have,
                       int all_wanted, bool keyed)
{
    int want = (int)(all_wanted * d->heavy_share + 0.5);

    if (want == 0 && all_wanted >= 2
        && (d->heavy_share >= HEAVY_FLOOR_SHARE || keyed))
        want = 1;
    return heavy_have < want;
}

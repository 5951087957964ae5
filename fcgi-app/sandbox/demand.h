/* demand.h - which kind of warm container the pool makes next: heavy
 * (numpy, pandas and matplotlib preloaded) or light, in proportion to
 * recent demand (the stats.h counters of claims by kind).  Pure: the
 * keeper owns one and feeds it the counters. */
#ifndef PYEXEC_DEMAND_H
#define PYEXEC_DEMAND_H

#include <stdbool.h>
#include <stdint.h>

struct demand {
    /* Recent heavy demand as a share of all, and the counters it was
     * last updated from. */
    double heavy_share;
    uint64_t seen_light, seen_heavy;
};

/* Until requests say otherwise, every warm container preloads. */
void demand_init(struct demand *d);
/* Folds the claims counted since the last call into heavy_share: an
 * average over about the last ten. */
void demand_follow(struct demand *d, uint64_t light, uint64_t heavy);
/* Whether the next container should be heavy, with heavy_have of the
 * unbound ones idle or coming heavy and all_wanted unbound ones wanted:
 * while fewer are heavy than the share asks for, and at least one in a
 * pool of two or more while heavy demand is recent.  In process
 * isolation (keyed) always that one: a key keeps its container for
 * reuse_max executions, so light code only replaces light containers,
 * and one that idles heavy costs nothing until heavy code takes it. */
bool demand_next_heavy(const struct demand *d, int heavy_have,
                       int all_wanted, bool keyed);

#endif

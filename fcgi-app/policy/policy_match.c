/* policy_match.c - the matcher of policy_int.h run on one program's
 * names: stepping a chain's state through a component, binding names to
 * states, and reporting matches and blocked attributes as violations. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "policy/policy_scan.h"

void scan_violation(struct scan *s, const char *rule, const char *name,
                    size_t n, const struct stok *at)
{
    struct policy_result *r = s->out;

    if (r->n >= POLICY_MAX_VIOLATIONS)
        return;
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].rule == rule && r->v[i].line == at->line
            && r->v[i].col == at->col && strlen(r->v[i].name) == n
            && memcmp(r->v[i].name, name, n) == 0)
            return;
    ALLOC_GROW(r->v, r->n + 1, r->cap);
    r->v[r->n].rule = rule;
    r->v[r->n].name = xstrndup(name, n);
    r->v[r->n].line = at->line;
    r->v[r->n].col = at->col;
    r->n++;
}

bool scan_has_match(const struct scan *s, const uint64_t *st)
{
    const struct policy *p = s->p;

    for (size_t i = 0; i < s->nw; i++)
        if (st[i] & p->full[i] & ~p->full_import_fn[i] & ~p->full_getattr[i])
            return true;
    return false;
}

bool scan_report_match(struct scan *s, const uint64_t *st, int sym,
                       const char *name, size_t head)
{
    const struct policy *p = s->p;
    const struct pattern *pt = NULL;
    const struct position *ps = NULL;
    char buf[FOLD_MAX + 256];
    size_t n;

    for (size_t i = 0; i < s->nw && !pt; i++) {
        uint64_t x = st[i] & p->full[i] & ~p->full_import_fn[i]
                     & ~p->full_getattr[i];

        if (x) {
            ps = &p->pos[i * 64 + (size_t)__builtin_ctzll(x)];
            pt = &p->pats[ps->pat];
        }
    }
    if (!pt)
        return false;
    if (!name && ps->sym < 0) {
        /* os.exec* matched os.execv: say os.execv. */
        const struct ssym *y = &s->syms[sym];

        n = (size_t)snprintf(buf, sizeof(buf), "%.*s%.*s",
                             (int)pt->prefix_len, pt->name, (int)y->len,
                             y->p);
        name = buf;
    } else if (!name) {
        name = pt->name;
    }
    n = strlen(name);
    scan_violation(s, pt->kind == PAT_MODULE ? POLICY_RULE_IMPORT
                                             : POLICY_RULE_CALL,
                   name, n, &s->toks[head]);
    return true;
}

void scan_check_attribute(struct scan *s, int sym, const struct stok *at)
{
    const struct ssym *y = &s->syms[sym];

    if (y->psym >= 0 && s->p->syms[y->psym].is_attr)
        scan_violation(s, POLICY_RULE_ATTRIBUTE, y->p, y->len, at);
}

/* Adds to next the successors in prev of the patterns that accept y. */
static void advance(struct scan *s, uint64_t *next, const uint64_t *prev,
                    const struct ssym *y)
{
    const struct policy *p = s->p;

    for (size_t i = 0; i < s->nw; i++) {
        uint64_t x = prev[i] & p->partial[i];

        while (x) {
            size_t b = i * 64 + (size_t)__builtin_ctzll(x);
            const struct position *ps = &p->pos[b + 1];

            x &= x - 1;
            if (ps->sym >= 0 ? ps->sym == y->psym
                : y->len >= ps->glob_len
                  && memcmp(y->p, ps->glob, ps->glob_len) == 0)
                next[(b + 1) / 64] |= (uint64_t)1 << ((b + 1) % 64);
        }
    }
}

void scan_step(struct scan *s, uint64_t *next, const uint64_t *prev,
               int sym, unsigned flags)
{
    const struct policy *p = s->p;
    struct ssym *y = &s->syms[sym];
    size_t nw = s->nw;

    bits_zero(next, nw);
    if (prev)
        advance(s, next, prev, y);
    /* Most names: no rule, no binding, no star import to look into. */
    if (y->psym < 0 && y->psym_strip < 0 && y->alias < 0
        && !((flags & STEP_HEAD) && s->has_star)) {
        if (flags & STEP_ALIAS)
            y->read_round = s->round;
        return;
    }
    if (y->psym >= 0) {
        bits_or(next, p->start_any + (size_t)y->psym * nw, nw);
        if (flags & STEP_HEAD)
            bits_or(next, p->start_head + (size_t)y->psym * nw, nw);
    }
    if (y->psym_strip >= 0)
        bits_or(next, p->start_any + (size_t)y->psym_strip * nw, nw);
    if (!(flags & STEP_ALIAS))
        return;
    y->read_round = s->round;
    if (y->alias >= 0)
        bits_or(next, s->alias + (size_t)y->alias * nw, nw);
    if ((flags & STEP_HEAD) && s->has_star) {
        s->star_read_round = s->round;
        advance(s, next, s->star, y);
    }
}

void scan_bind(struct scan *s, int sym, const uint64_t *st)
{
    struct ssym *y = &s->syms[sym];
    size_t nw = s->nw;
    uint64_t *a;
    bool is_new = false;

    if (!bits_any(st, nw))
        return;
    if (y->alias < 0) {
        ALLOC_GROW(s->alias, st_mult(s->nalias + 1, nw), s->alias_cap);
        bits_zero(s->alias + s->nalias * nw, nw);
        y->alias = (int)s->nalias++;
    }
    a = s->alias + (size_t)y->alias * nw;
    for (size_t i = 0; i < nw; i++)
        if (st[i] & ~a[i]) {
            a[i] |= st[i];
            is_new = true;
        }
    if (is_new && y->read_round == s->round)
        s->is_dirty = true;
}

/* policy_scan.c - the analysis of one program (see policy.h for what it
 * decides and policy_int.h for the matcher it runs).
 *
 * The tokens come from pytok, without comments and NL.  One linear pass
 * follows every dotted chain (a.b.c, getattr(a, "b").c, f(x).y) through
 * the matcher and reports matches; a stack of bracket frames recognises
 * calls of getattr and import functions with literal arguments; and
 * statement bookkeeping records which names get bound to which states
 * (assignments, for targets, "as", keyword defaults, imports).  Bindings
 * are flow-insensitive, so the pass is repeated while a binding changed a
 * name that had already been read in that pass, up to POLICY_MAX_ROUNDS
 * times; the violations of the last pass are the answer.  No recursion:
 * nesting lives in the frame stack, bounded by pytok's limits. */
#include "config.h"
#include "policy/policy_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/pytok.h"
#include "base/util.h"

#define FOLD_MAX 256            /* longer names cannot be rule names */
#define LIT_MAX 256             /* longer literals cannot be either */
#define ARENA_BLOCK 16384
#define MAX_FRAMES (PYTOK_MAX_LEVEL + 1)
#define FRAME_STATES 5          /* bit sets per frame */

/* Keywords that steer the analysis; the rest are KW_OTHER. */
enum kw { KW_NONE, KW_AS, KW_ASYNC, KW_FOR, KW_FROM, KW_IMPORT, KW_IN,
          KW_OTHER };

enum op { OP_NONE, OP_DOT, OP_ELLIPSIS, OP_LPAR, OP_RPAR, OP_LSQB, OP_RSQB,
          OP_LBRACE, OP_RBRACE, OP_COMMA, OP_SEMI, OP_EQUAL, OP_WALRUS,
          OP_COLON, OP_STAR, OP_OTHER };

/* The keywords that steer the analysis, among pytok_keywords. */
static const struct {
    const char *name;
    unsigned char kw;
} steering[] = {
    { "as", KW_AS }, { "async", KW_ASYNC }, { "for", KW_FOR },
    { "from", KW_FROM }, { "import", KW_IMPORT }, { "in", KW_IN },
};

static unsigned char kw_of(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(steering); i++)
        if (strcmp(name, steering[i].name) == 0)
            return steering[i].kw;
    return KW_OTHER;
}

/* A token the analysis sees. */
struct stok {
    uint32_t off, len;
    int line, col;
    int sym;                    /* NAME other than a keyword; else -1 */
    unsigned char type;         /* enum pytok_type */
    unsigned char kw;           /* enum kw */
    unsigned char op;           /* enum op */
};

/* A name of this program, after NFKC folding, or a literal's value. */
struct ssym {
    const char *p;
    uint32_t len, hash;
    int psym;                   /* the policy symbol, or -1 */
    int psym_strip;             /* ... of the name minus leading '_' */
    int kw;                     /* enum kw if it spells a keyword */
    int alias;                  /* its bound state in the pool, or -1 */
    int read_round;             /* the last pass that looked it up */
};

struct lit {                    /* one argument, if only string literals */
    bool has_string, is_bad;
    size_t tok, len;
    char buf[LIT_MAX];
};

enum frame_kind { FR_PAREN, FR_PLAIN, FR_CALL };

struct frame {
    unsigned char kind;         /* enum frame_kind */
    unsigned char close;        /* enum op that closes it */
    bool is_getattr, is_import;
    bool has_seg, is_in_for, is_after_in;
    size_t getattr_pat, import_pat;
    size_t head;                /* callee's chain head, or the bracket */
    int argno;
    int seg_sym;                /* NAME before '=' or ':=' in a segment */
    size_t for_first;           /* comprehension targets in s->ftargets */
    struct lit lit[2];          /* arguments 0 and 1 */
    uint64_t *acc;              /* chains ending directly inside */
    uint64_t *arg0;             /* ... in argument 0 */
    uint64_t *seg;              /* ... after seg_sym's '=', nested too */
    uint64_t *for_acc;          /* ... after a comprehension's 'in' */
    uint64_t *all;              /* ... anywhere inside, nested too */
};

struct ivec {
    int *v;
    size_t n, cap;
};

struct arena {
    char **blocks;
    size_t nblocks, used;
};

enum stmt_kind { ST_OTHER, ST_FOR };

struct scan {
    const struct policy *p;
    const char *src;
    size_t nw;                  /* words per state */
    struct policy_result *out;

    struct stok *toks;
    size_t ntoks, tcap;
    struct ssym *syms;
    size_t nsyms, scap;
    uint32_t *tab;
    size_t tab_mask;
    struct arena arena;

    uint64_t *alias;            /* bound states, nw words each */
    size_t nalias;
    uint64_t *star;             /* what "from M import *" brought in */
    bool has_star;
    int star_read_round;

    uint64_t *cur;              /* the state of the chain being read */
    uint64_t *tmp;
    bool is_chain_on, is_chain_reported;
    size_t chain_head;

    struct frame frames[MAX_FRAMES];
    int depth;
    uint64_t *frame_bits;

    size_t st_first;            /* first token of the statement */
    enum stmt_kind st_kind;
    bool st_is_after_in, st_is_after_as;
    struct ivec part;           /* names since the last '=' */
    struct ivec targets;        /* names before it */
    struct ivec as_names;       /* names after 'as' */
    struct ivec ftargets;       /* comprehension targets, a stack */
    uint64_t *st_rhs;           /* chains since the last '=' */
    uint64_t *st_all;           /* chains in the statement */

    int round;
    bool is_dirty;              /* a name read this pass was bound later */
};

/* ---- Small containers ------------------------------------------------ */

static void ivec_push(struct ivec *v, int x)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 64;
        v->v = xrealloc(v->v, v->cap * sizeof(*v->v));
    }
    v->v[v->n++] = x;
}

static const char *arena_copy(struct arena *a, const char *s, size_t n)
{
    char *d;

    if (!a->nblocks || a->used + n > ARENA_BLOCK) {
        a->blocks = xrealloc(a->blocks, (a->nblocks + 1) * sizeof(char *));
        a->blocks[a->nblocks++] = xmalloc(ARENA_BLOCK);
        a->used = 0;
    }
    d = a->blocks[a->nblocks - 1] + a->used;
    memcpy(d, s, n);
    a->used += n;
    return d;
}

/* ---- States ---------------------------------------------------------- */

static bool bits_any(const uint64_t *a, size_t nw)
{
    for (size_t i = 0; i < nw; i++)
        if (a[i])
            return true;
    return false;
}

static bool bits_meet(const uint64_t *a, const uint64_t *b, size_t nw)
{
    for (size_t i = 0; i < nw; i++)
        if (a[i] & b[i])
            return true;
    return false;
}

static void bits_or(uint64_t *a, const uint64_t *b, size_t nw)
{
    for (size_t i = 0; i < nw; i++)
        a[i] |= b[i];
}

static void bits_zero(uint64_t *a, size_t nw)
{
    for (size_t i = 0; i < nw; i++)
        a[i] = 0;
}

/* The lowest bit set in both a and b, or -1. */
static long bits_first(const uint64_t *a, const uint64_t *b, size_t nw)
{
    for (size_t i = 0; i < nw; i++) {
        uint64_t x = a[i] & (b ? b[i] : ~(uint64_t)0);

        if (x)
            return (long)(i * 64 + (size_t)__builtin_ctzll(x));
    }
    return -1;
}

/* ---- Symbols --------------------------------------------------------- */

static int policy_sym_stripped(const struct policy *p, const char *s,
                               size_t n)
{
    size_t k = 0;

    while (k < n && s[k] == '_')
        k++;
    if (k == 0 || k == n)
        return -1;
    return policy_sym_find(p, s + k, n - k);
}

static void tab_grow(struct scan *s)
{
    size_t cap = (s->tab_mask + 1) * 2;
    uint32_t *tab = xcalloc(cap, sizeof(*tab));

    for (size_t k = 0; k < s->nsyms; k++) {
        uint32_t i = s->syms[k].hash & (uint32_t)(cap - 1);

        while (tab[i])
            i = (i + 1) & (uint32_t)(cap - 1);
        tab[i] = (uint32_t)k + 1;
    }
    free(s->tab);
    s->tab = tab;
    s->tab_mask = cap - 1;
}

/* The symbol for name[0..n); copy says the bytes must be copied (they are
 * not in the source). */
static int intern(struct scan *s, const char *name, size_t n, bool copy)
{
    uint32_t h = policy_hash(name, n), i;
    struct ssym *y;

    for (i = h & (uint32_t)s->tab_mask; s->tab[i];
         i = (i + 1) & (uint32_t)s->tab_mask) {
        y = &s->syms[s->tab[i] - 1];
        if (y->hash == h && y->len == n && memcmp(y->p, name, n) == 0)
            return (int)(s->tab[i] - 1);
    }
    if (s->nsyms == s->scap) {
        s->scap = s->scap ? s->scap * 2 : 1024;
        s->syms = xrealloc(s->syms, s->scap * sizeof(*s->syms));
    }
    y = &s->syms[s->nsyms];
    y->p = copy ? arena_copy(&s->arena, name, n) : name;
    y->len = (uint32_t)n;
    y->hash = h;
    y->psym = policy_sym_find(s->p, name, n);
    y->psym_strip = policy_sym_stripped(s->p, name, n);
    y->kw = KW_NONE;
    y->alias = -1;
    y->read_round = 0;
    s->tab[i] = (uint32_t)++s->nsyms;
    if (s->nsyms * 2 > s->tab_mask)
        tab_grow(s);
    return (int)(s->nsyms - 1);
}

/* ---- Tokens ---------------------------------------------------------- */

static unsigned op_of(const char *p, size_t n)
{
    if (n == 3)
        return p[0] == '.' ? OP_ELLIPSIS : OP_OTHER;
    if (n == 2)
        return p[0] == ':' && p[1] == '=' ? OP_WALRUS : OP_OTHER;
    switch (p[0]) {
    case '.': return OP_DOT;
    case '(': return OP_LPAR;
    case ')': return OP_RPAR;
    case '[': return OP_LSQB;
    case ']': return OP_RSQB;
    case '{': return OP_LBRACE;
    case '}': return OP_RBRACE;
    case ',': return OP_COMMA;
    case ';': return OP_SEMI;
    case '=': return OP_EQUAL;
    case ':': return OP_COLON;
    case '*': return OP_STAR;
    default: return OP_OTHER;
    }
}

/* A NAME: keywords only as written in ASCII, other names folded as
 * Python folds them ("ｉｍｐｏｒｔ" is a name, "ｏｓ" is os). */
static void classify_name(struct scan *s, struct stok *t)
{
    const char *name = s->src + t->off;
    bool is_ascii = true;
    char folded[FOLD_MAX];
    size_t n;

    for (size_t i = 0; i < t->len; i++)
        if ((unsigned char)name[i] >= 0x80) {
            is_ascii = false;
            break;
        }
    if (is_ascii) {
        t->sym = intern(s, name, t->len, false);
        t->kw = (unsigned char)s->syms[t->sym].kw;
    } else if (pytok_name_fold(name, t->len, folded, sizeof(folded),
                               &n) == 0) {
        t->sym = intern(s, folded, n, true);
    } else {
        t->sym = intern(s, name, t->len, false);
    }
    if (t->kw)
        t->sym = -1;
}

static void collect(struct scan *s, size_t len)
{
    struct pytok *t = pytok_new(s->src, len);
    struct pytok_token tok;

    /* Real code has a token per 3 to 5 bytes: one allocation, no copies. */
    s->tcap = len / 3 + 64;
    s->toks = xmalloc(s->tcap * sizeof(*s->toks));
    for (;;) {
        struct stok *st;

        if (pytok_next(t, &tok) < 0) {
            s->out->tokenize_failed = true;
            snprintf(s->out->tokenize_error, ERR_LEN, "%s",
                     pytok_error(t, NULL, NULL));
            break;
        }
        if (tok.type == PYTOK_COMMENT || tok.type == PYTOK_NL)
            continue;
        if (s->ntoks == s->tcap) {
            s->tcap = s->tcap ? s->tcap * 2 : 4096;
            s->toks = xrealloc(s->toks, s->tcap * sizeof(*s->toks));
        }
        st = &s->toks[s->ntoks++];
        st->off = (uint32_t)tok.off;
        st->len = (uint32_t)tok.len;
        st->line = tok.line;
        st->col = tok.col;
        st->type = (unsigned char)tok.type;
        st->sym = -1;
        st->kw = KW_NONE;
        st->op = OP_NONE;
        if (tok.type == PYTOK_NAME)
            classify_name(s, st);
        else if (tok.type == PYTOK_OP)
            st->op = (unsigned char)op_of(s->src + tok.off, tok.len);
        else if (tok.type == PYTOK_ENDMARKER)
            break;
    }
    pytok_free(t);
}

/* ---- Violations ------------------------------------------------------ */

static void violation(struct scan *s, const char *rule, const char *name,
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
    r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
    r->v[r->n].rule = rule;
    r->v[r->n].name = xstrndup(name, n);
    r->v[r->n].line = at->line;
    r->v[r->n].col = at->col;
    r->n++;
}

/* True when state st has a module or call match. */
static bool has_match(const struct scan *s, const uint64_t *st)
{
    const struct policy *p = s->p;

    for (size_t i = 0; i < s->nw; i++)
        if (st[i] & p->full[i] & ~p->full_import_fn[i] & ~p->full_getattr[i])
            return true;
    return false;
}

/* Reports the first module or call match in state st, whose last
 * component was sym, at token head; name overrides the pattern's name
 * (for import statements and literals).  Returns true if it reported. */
static bool report_match(struct scan *s, const uint64_t *st, int sym,
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
    violation(s, pt->kind == PAT_MODULE ? POLICY_RULE_IMPORT
                                        : POLICY_RULE_CALL,
              name, n, &s->toks[head]);
    return true;
}

/* A blocked attribute name, bare, dotted, keyword or literal. */
static void check_attribute(struct scan *s, int sym, const struct stok *at)
{
    const struct ssym *y = &s->syms[sym];

    if (y->psym >= 0 && s->p->syms[y->psym].is_attr)
        violation(s, POLICY_RULE_ATTRIBUTE, y->p, y->len, at);
}

/* ---- The matcher ----------------------------------------------------- */

#define STEP_HEAD 1             /* the first component of a chain */
#define STEP_ALIAS 2            /* use bindings and star imports */

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

/* next = the state after component sym, from prev (NULL at a head). */
static void step(struct scan *s, uint64_t *next, const uint64_t *prev,
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

/* Binds name sym to state st (adds to what it had). */
static void bind(struct scan *s, int sym, const uint64_t *st)
{
    struct ssym *y = &s->syms[sym];
    size_t nw = s->nw;
    uint64_t *a;
    bool is_new = false;

    if (!bits_any(st, nw))
        return;
    if (y->alias < 0) {
        s->alias = xrealloc(s->alias, (s->nalias + 1) * nw * sizeof(*a));
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

/* ---- Chains ---------------------------------------------------------- */

static struct frame *frame_top(struct scan *s)
{
    return s->depth ? &s->frames[s->depth - 1] : NULL;
}

/* Token i is followed by '=' or ':=': a name being bound, not used. */
static bool is_target(const struct scan *s, size_t i)
{
    return i + 1 < s->ntoks && (s->toks[i + 1].op == OP_EQUAL
                                || s->toks[i + 1].op == OP_WALRUS);
}

/* A chain ending at head is bound right away, not used: "x = f" or a
 * keyword default, before the end of the statement or argument. */
static bool is_binding(const struct scan *s, size_t head, size_t end)
{
    const struct stok *e;

    if (head == 0 || (s->toks[head - 1].op != OP_EQUAL
                      && s->toks[head - 1].op != OP_WALRUS))
        return false;
    if (end >= s->ntoks)
        return true;
    e = &s->toks[end];
    return e->type == PYTOK_NEWLINE || e->type == PYTOK_ENDMARKER
           || e->op == OP_SEMI || e->op == OP_COMMA || e->op == OP_RPAR;
}

/* The chain read so far ended before token end: its state flows into
 * whatever it is part of. */
static void chain_end(struct scan *s, size_t end)
{
    const struct policy *p = s->p;
    size_t nw = s->nw;

    if (!s->is_chain_on)
        return;
    s->is_chain_on = false;
    if (!bits_any(s->cur, nw))
        return;
    /* An import function used other than by a call with a literal (or a
     * plain binding, whose calls are then checked) cannot be checked. */
    if (bits_meet(s->cur, p->full_import_fn, nw)
        && !is_binding(s, s->chain_head, end)
        && !(end > 0 && is_target(s, end - 1))) {
        long b = bits_first(s->cur, p->full_import_fn, nw);
        const struct pattern *pt = &p->pats[p->pos[b].pat];

        violation(s, POLICY_RULE_CALL, pt->name, strlen(pt->name),
                  &s->toks[s->chain_head]);
    }
    bits_or(s->st_rhs, s->cur, nw);
    bits_or(s->st_all, s->cur, nw);
    /* Only the innermost frame: it hands its union to its parent when it
     * closes (frame_close), so deep nesting costs nothing per chain. */
    if (s->depth) {
        struct frame *f = &s->frames[s->depth - 1];

        bits_or(f->acc, s->cur, nw);
        bits_or(f->all, s->cur, nw);
        if (f->argno == 0)
            bits_or(f->arg0, s->cur, nw);
        if (f->has_seg)
            bits_or(f->seg, s->cur, nw);
        if (f->is_after_in)
            bits_or(f->for_acc, s->cur, nw);
    }
}

/* The chain goes on from state st (an expression's value) at head. */
static void chain_resume(struct scan *s, size_t head)
{
    s->is_chain_on = true;
    s->chain_head = head;
    s->is_chain_reported = false;
}

static void note_name(struct scan *s, int sym)
{
    struct frame *f = frame_top(s);

    ivec_push(&s->part, sym);
    if (s->st_is_after_as)
        ivec_push(&s->as_names, sym);
    if (f && f->is_in_for && !f->is_after_in)
        ivec_push(&s->ftargets, sym);
}

static void on_name(struct scan *s, size_t i)
{
    const struct stok *t = &s->toks[i];
    bool is_trailer = i > 0 && s->toks[i - 1].op == OP_DOT;

    if (is_trailer && s->is_chain_on) {
        uint64_t *x = s->cur;

        step(s, s->tmp, s->cur, t->sym, STEP_ALIAS);
        s->cur = s->tmp;
        s->tmp = x;
    } else {
        chain_end(s, i);
        /* A trailer after something that is not a chain (a keyword, an
         * operator) still starts patterns: ").os.system". */
        step(s, s->cur, NULL, t->sym,
             is_trailer ? STEP_ALIAS : STEP_HEAD | STEP_ALIAS);
        chain_resume(s, i);
    }
    check_attribute(s, t->sym, t);
    /* "x = ..." rebinds x: what x was bound to is not used here.  A
     * dotted target (os.system = f) still names the rule's target. */
    if (!s->is_chain_reported && !(i == s->chain_head && is_target(s, i))
        && report_match(s, s->cur, t->sym, NULL, s->chain_head))
        s->is_chain_reported = true;
    note_name(s, t->sym);
}

/* ---- Statements ------------------------------------------------------ */

static void stmt_assign(struct scan *s)
{
    for (size_t i = 0; i < s->part.n; i++)
        ivec_push(&s->targets, s->part.v[i]);
    s->part.n = 0;
    bits_zero(s->st_rhs, s->nw);
}

static void stmt_end(struct scan *s, size_t next)
{
    if (bits_any(s->st_all, s->nw)) {
        for (size_t i = 0; i < s->targets.n; i++)
            bind(s, s->targets.v[i], s->st_rhs);
        for (size_t i = 0; i < s->as_names.n; i++)
            bind(s, s->as_names.v[i], s->st_all);
        bits_zero(s->st_rhs, s->nw);
        bits_zero(s->st_all, s->nw);
    }
    s->part.n = s->targets.n = s->as_names.n = 0;
    s->st_first = next;
    s->st_kind = ST_OTHER;
    s->st_is_after_in = s->st_is_after_as = false;
}

/* ---- Import statements ----------------------------------------------- */

static bool is_plain_name(const struct scan *s, size_t i)
{
    return i < s->ntoks && s->toks[i].type == PYTOK_NAME
           && s->toks[i].sym >= 0;
}

/* Appends the dotted name toks[i], '.', toks[i + 2] ... to b; returns the
 * index after it. */
static size_t dotted_name(const struct scan *s, size_t i, struct buf *b)
{
    for (;;) {
        const struct ssym *y = &s->syms[s->toks[i].sym];

        buf_append(b, y->p, y->len);
        if (i + 2 < s->ntoks && s->toks[i + 1].op == OP_DOT
            && is_plain_name(s, i + 2)) {
            buf_append_char(b, '.');
            i += 2;
        } else {
            return i + 1;
        }
    }
}

/* Walks the components of the dotted name at toks[i] from state from
 * (NULL: from nothing) into st; reports a match under name at token
 * report (unless *reported).  Returns the index after the name. */
static size_t walk_dotted(struct scan *s, size_t i, const uint64_t *from,
                          uint64_t *st, const char *name, size_t report,
                          bool *reported)
{
    uint64_t *prev = xmalloc(s->nw * sizeof(*prev));
    bool is_head = true;

    for (;;) {
        if (is_head && from)
            memcpy(prev, from, s->nw * sizeof(*prev));
        else if (!is_head)
            memcpy(prev, st, s->nw * sizeof(*prev));
        check_attribute(s, s->toks[i].sym, &s->toks[i]);
        step(s, st, from || !is_head ? prev : NULL, s->toks[i].sym,
             is_head ? STEP_HEAD : 0);
        is_head = false;
        if (!*reported && report_match(s, st, s->toks[i].sym, name, report))
            *reported = true;
        if (i + 2 < s->ntoks && s->toks[i + 1].op == OP_DOT
            && is_plain_name(s, i + 2))
            i += 2;
        else
            break;
    }
    free(prev);
    return i + 1;
}

/* "import a.b as c, d": returns the last token it used. */
static size_t import_stmt(struct scan *s, size_t i)
{
    uint64_t *st = xmalloc(s->nw * sizeof(*st));
    struct buf name = BUF_INIT(0);
    size_t j = i + 1;

    while (is_plain_name(s, j)) {
        bool reported = false;
        size_t first = j;

        buf_reset(&name);
        dotted_name(s, j, &name);
        j = walk_dotted(s, j, NULL, st, buf_cstr(&name), first, &reported);
        if (j + 1 < s->ntoks && s->toks[j].kw == KW_AS
            && is_plain_name(s, j + 1)) {
            check_attribute(s, s->toks[j + 1].sym, &s->toks[j + 1]);
            bind(s, s->toks[j + 1].sym, st);
            j += 2;
        }
        if (j < s->ntoks && s->toks[j].op == OP_COMMA)
            j++;
        else
            break;
    }
    buf_release(&name);
    free(st);
    return j - 1;
}

/* "from [.]*a.b import (c as d, e)" or "... import *".  A relative
 * import starts from the state of an unknown package prefix (any rule's
 * tail may follow).  Returns the last token it used, or i if this "from"
 * is not an import. */
static size_t from_stmt(struct scan *s, size_t i)
{
    const struct policy *p = s->p;
    uint64_t *base = xcalloc(s->nw, sizeof(*base));
    uint64_t *st = xmalloc(s->nw * sizeof(*st));
    struct buf mod = BUF_INIT(0), name = BUF_INIT(0);
    bool is_relative = false, reported = false, has_paren = false;
    bool is_first;
    size_t j = i + 1, first;

    while (j < s->ntoks && (s->toks[j].op == OP_DOT
                            || s->toks[j].op == OP_ELLIPSIS)) {
        buf_append_str(&mod, s->toks[j].op == OP_DOT ? "." : "...");
        is_relative = true;
        j++;
    }
    first = j;
    if (is_plain_name(s, j))
        j = dotted_name(s, j, &mod);
    if (j >= s->ntoks || s->toks[j].kw != KW_IMPORT
        || (!is_relative && first == j)) {
        j = i + 1;
        goto out;
    }
    if (first < j)
        walk_dotted(s, first, is_relative ? p->partial : NULL, base,
                    buf_cstr(&mod), first, &reported);
    else
        memcpy(base, p->partial, s->nw * sizeof(*base));
    /* With no module ("from . import x"), x is a first component. */
    is_first = first == j;

    j++;
    if (j < s->ntoks && s->toks[j].op == OP_LPAR) {
        has_paren = true;
        j++;
    }
    if (j < s->ntoks && s->toks[j].op == OP_STAR) {
        /* Bare names now also resolve inside this module. */
        for (size_t k = 0; k < s->nw && !reported; k++)
            if (base[k] & p->partial[k] & ~s->star[k]) {
                s->star[k] |= base[k] & p->partial[k];
                s->has_star = true;
                if (s->star_read_round == s->round)
                    s->is_dirty = true;
            }
        j++;
        goto out;
    }
    while (is_plain_name(s, j)) {
        const struct stok *t = &s->toks[j];

        check_attribute(s, t->sym, t);
        step(s, st, base, t->sym, is_first ? STEP_HEAD : 0);
        /* The name is spelled only when needed: a long module name and
         * many imported names must not cost their product. */
        if (!reported && has_match(s, st)
            && s->out->n < POLICY_MAX_VIOLATIONS) {
            buf_reset(&name);
            buf_append(&name, mod.data, mod.len);
            if (mod.len && mod.data[mod.len - 1] != '.')
                buf_append_char(&name, '.');
            buf_append(&name, s->syms[t->sym].p, s->syms[t->sym].len);
            report_match(s, st, t->sym, buf_cstr(&name), j);
        }
        j++;
        if (j + 1 < s->ntoks && s->toks[j].kw == KW_AS
            && is_plain_name(s, j + 1)) {
            check_attribute(s, s->toks[j + 1].sym, &s->toks[j + 1]);
            bind(s, s->toks[j + 1].sym, st);
            j += 2;
        } else {
            bind(s, t->sym, st);
        }
        if (j < s->ntoks && s->toks[j].op == OP_COMMA)
            j++;
        else
            break;
    }
    if (has_paren && j < s->ntoks && s->toks[j].op == OP_RPAR)
        j++;
out:
    buf_release(&mod);
    buf_release(&name);
    free(base);
    free(st);
    return j - 1;
}

/* ---- Brackets, calls and literal arguments --------------------------- */

static struct frame *frame_push(struct scan *s, unsigned kind,
                                unsigned close, size_t head)
{
    struct frame *f;
    size_t nw = s->nw;

    if (s->depth >= MAX_FRAMES)
        BUG("policy frame stack overflow");  /* pytok bounds nesting */
    f = &s->frames[s->depth];
    f->kind = (unsigned char)kind;
    f->close = (unsigned char)close;
    f->is_getattr = f->is_import = false;
    f->has_seg = f->is_in_for = f->is_after_in = false;
    f->head = head;
    f->argno = 0;
    for (int k = 0; k < 2; k++) {
        f->lit[k].has_string = f->lit[k].is_bad = false;
        f->lit[k].len = 0;
    }
    f->acc = s->frame_bits + (size_t)s->depth * FRAME_STATES * nw;
    f->arg0 = f->acc + nw;
    f->seg = f->arg0 + nw;
    f->for_acc = f->seg + nw;
    f->all = f->for_acc + nw;
    bits_zero(f->acc, FRAME_STATES * nw);
    s->depth++;
    return f;
}

/* Feeds token i to the literal of an argument: only string literals
 * (implicitly concatenated) count; anything else makes it dynamic. */
static void lit_feed(struct scan *s, struct lit *l, size_t i)
{
    const struct stok *t = &s->toks[i];
    size_t n;

    if (l->is_bad)
        return;
    if (t->type != PYTOK_STRING
        || pytok_string_value(s->src + t->off, t->len, l->buf + l->len,
                              LIT_MAX - l->len, &n) < 0) {
        l->is_bad = true;
        return;
    }
    if (!l->has_string)
        l->tok = i;
    l->has_string = true;
    l->len += n;
}

static bool lit_ok(const struct lit *l)
{
    return l->has_string && !l->is_bad;
}

/* The name of the pattern prefix that state st has matched, for "M.*". */
static void prefix_name(const struct scan *s, const uint64_t *st,
                        struct buf *out)
{
    const struct policy *p = s->p;
    long b = bits_first(st, p->partial, s->nw);
    const struct pattern *pt = &p->pats[p->pos[b].pat];
    size_t k = (size_t)b - pt->first + 1;

    /* Spelled from the components: a builtins twin's name is not its
     * match.  Only a last component can be a glob, never a prefix. */
    for (size_t c = 0; c < k; c++) {
        const struct position *ps = &p->pos[pt->first + c];

        if (c)
            buf_append_char(out, '.');
        buf_append(out, p->syms[ps->sym].name, p->syms[ps->sym].len);
    }
}

/* getattr(x, "name") is x.name; getattr(module, computed) on a module
 * with blocked members is blocked.  setattr and friends check the same
 * but give no value. */
static void getattr_close(struct scan *s, const struct frame *f)
{
    const struct lit *l = &f->lit[1];
    const struct pattern *pt = &s->p->pats[f->getattr_pat];

    if (f->argno < 1)
        return;
    if (lit_ok(l)) {
        int sym = intern(s, l->buf, l->len, true);

        check_attribute(s, sym, &s->toks[l->tok]);
        step(s, s->tmp, f->arg0, sym, STEP_ALIAS);
        if (report_match(s, s->tmp, sym, NULL, f->head))
            s->is_chain_reported = true;
        if (pt->sub == GETATTR_GET)
            bits_or(s->cur, s->tmp, s->nw);
    } else if (bits_meet(f->arg0, s->p->partial, s->nw)) {
        struct buf name = BUF_INIT(0);

        prefix_name(s, f->arg0, &name);
        buf_append_str(&name, ".*");
        violation(s, POLICY_RULE_CALL, name.data, name.len,
                  &s->toks[f->head]);
        buf_release(&name);
    }
}

/* __import__("a.b") and friends: a literal is checked like an import
 * statement and the call's value is that module; anything else is
 * blocked. */
static void import_close(struct scan *s, const struct frame *f)
{
    const struct policy *p = s->p;
    const struct pattern *pt = &p->pats[f->import_pat];
    const struct lit *l = &f->lit[0];
    uint64_t *st, *top;
    char name[LIT_MAX + 1];
    size_t i = 0, n;
    bool reported = false, is_first = true;

    if (!lit_ok(l)) {
        violation(s, POLICY_RULE_CALL, pt->name, strlen(pt->name),
                  &s->toks[f->head]);
        return;
    }
    /* pkgutil.resolve_name("os:system") */
    n = l->len;
    memcpy(name, l->buf, n);
    name[n] = '\0';
    for (size_t k = 0; k < n; k++)
        if (name[k] == ':')
            name[k] = '.';
    st = xmalloc(s->nw * sizeof(*st));
    top = xcalloc(s->nw, sizeof(*top));
    if (n && name[0] == '.') {
        memcpy(st, p->partial, s->nw * sizeof(*st));
        while (i < n && name[i] == '.')
            i++;
    } else {
        bits_zero(st, s->nw);
    }
    while (i < n) {
        size_t len = strcspn(name + i, ".");
        int sym;

        if (i + len > n)
            len = n - i;
        if (!len)
            break;
        sym = intern(s, name + i, len, true);
        step(s, s->tmp, st, sym, is_first ? STEP_HEAD : 0);
        memcpy(st, s->tmp, s->nw * sizeof(*st));
        if (!reported)
            reported = report_match(s, st, sym, name, f->head);
        if (is_first)
            memcpy(top, st, s->nw * sizeof(*top));
        is_first = false;
        i += len + 1;
    }
    bits_or(s->cur, st, s->nw);
    if (pt->sub == IMPORT_FN_TOP)
        bits_or(s->cur, top, s->nw);
    if (reported)
        s->is_chain_reported = true;
    free(st);
    free(top);
}

static void seg_close(struct scan *s, struct frame *f)
{
    if (f->has_seg)
        bind(s, f->seg_sym, f->seg);
    f->has_seg = false;
}

static void frame_close(struct scan *s)
{
    struct frame *f = &s->frames[--s->depth];
    struct frame *up = frame_top(s);

    /* What the parent binds includes everything nested in it. */
    if (up) {
        bits_or(up->all, f->all, s->nw);
        if (up->has_seg)
            bits_or(up->seg, f->all, s->nw);
        if (up->is_after_in)
            bits_or(up->for_acc, f->all, s->nw);
    }
    seg_close(s, f);
    if (f->is_in_for) {
        for (size_t k = f->for_first; k < s->ftargets.n; k++)
            bind(s, s->ftargets.v[k], f->for_acc);
        s->ftargets.n = f->for_first;
    }
    bits_zero(s->cur, s->nw);
    if (f->kind == FR_PAREN)
        bits_or(s->cur, f->acc, s->nw);      /* (os).system */
    chain_resume(s, f->head);
    if (f->kind != FR_CALL)
        return;
    if (f->is_import)
        import_close(s, f);
    if (f->is_getattr)
        getattr_close(s, f);
}

/* A call: what the callee's state says about it decides how its
 * arguments are read. */
static void call_open(struct scan *s)
{
    const struct policy *p = s->p;
    size_t head = s->chain_head;
    long ga = bits_first(s->cur, p->full_getattr, s->nw);
    long im = bits_first(s->cur, p->full_import_fn, s->nw);
    struct frame *f;

    s->is_chain_on = false;        /* the callee is used, not passed on */
    f = frame_push(s, FR_CALL, OP_RPAR, head);
    if (ga >= 0) {
        f->is_getattr = true;
        f->getattr_pat = p->pos[ga].pat;
    }
    if (im >= 0) {
        f->is_import = true;
        f->import_pat = p->pos[im].pat;
    }
}

static void on_op(struct scan *s, size_t i)
{
    const struct stok *t = &s->toks[i];
    struct frame *f = frame_top(s);

    switch (t->op) {
    case OP_DOT:
        return;
    case OP_LPAR:
        if (s->is_chain_on) {
            call_open(s);
            return;
        }
        frame_push(s, FR_PAREN, OP_RPAR, i);
        return;
    case OP_LSQB:
    case OP_LBRACE:
        chain_end(s, i);
        frame_push(s, FR_PLAIN, t->op == OP_LSQB ? OP_RSQB : OP_RBRACE, i);
        return;
    case OP_RPAR:
    case OP_RSQB:
    case OP_RBRACE:
        chain_end(s, i);
        if (s->depth)
            frame_close(s);
        return;
    case OP_COMMA:
        chain_end(s, i);
        if (f) {
            seg_close(s, f);
            f->argno++;
        } else {
            s->st_is_after_as = false;
        }
        return;
    case OP_EQUAL:
    case OP_WALRUS:
        chain_end(s, i);
        if (!f) {
            stmt_assign(s);
        } else if (i > 0 && s->toks[i - 1].sym >= 0) {
            /* A keyword argument, default or walrus binds the name. */
            seg_close(s, f);
            f->has_seg = true;
            f->seg_sym = s->toks[i - 1].sym;
            bits_zero(f->seg, s->nw);
        }
        return;
    case OP_SEMI:
        chain_end(s, i);
        if (!f)
            stmt_end(s, i + 1);
        return;
    case OP_COLON:
        chain_end(s, i);
        if (!f)
            s->st_is_after_as = false;
        return;
    default:
        chain_end(s, i);
        return;
    }
}

static bool at_stmt_start(const struct scan *s, size_t i)
{
    return i == s->st_first
           || (i == s->st_first + 1 && s->toks[s->st_first].kw == KW_ASYNC);
}

/* Returns the last token used (import statements use several). */
static size_t on_keyword(struct scan *s, size_t i)
{
    struct frame *f = frame_top(s);

    chain_end(s, i);
    switch (s->toks[i].kw) {
    case KW_IMPORT:
        return import_stmt(s, i);
    case KW_FROM:
        return from_stmt(s, i);
    case KW_FOR:
        if (!f) {
            if (at_stmt_start(s, i))
                s->st_kind = ST_FOR;
        } else if (!f->is_in_for) {
            f->is_in_for = true;
            f->for_first = s->ftargets.n;
        } else {
            f->is_after_in = false;          /* a second "for" collects more */
        }
        break;
    case KW_IN:
        if (!f && s->st_kind == ST_FOR && !s->st_is_after_in) {
            s->st_is_after_in = true;
            stmt_assign(s);
        } else if (f && f->is_in_for) {
            f->is_after_in = true;
        }
        break;
    case KW_AS:
        s->st_is_after_as = true;
        break;
    default:
        break;
    }
    return i;
}

static void scan_reset(struct scan *s)
{
    policy_result_release(s->out);
    s->depth = 0;
    s->is_chain_on = false;
    s->part.n = s->targets.n = s->as_names.n = s->ftargets.n = 0;
    bits_zero(s->st_rhs, s->nw);
    bits_zero(s->st_all, s->nw);
    s->st_first = 0;
    s->st_kind = ST_OTHER;
    s->st_is_after_in = s->st_is_after_as = false;
    s->is_dirty = false;
}

static void scan_pass(struct scan *s)
{
    for (size_t i = 0; i < s->ntoks; i++) {
        const struct stok *t = &s->toks[i];
        struct frame *f = frame_top(s);

        /* The first two arguments of getattr and import functions. */
        if (f && (f->is_getattr || f->is_import) && f->argno < 2
            && t->op != OP_COMMA && t->op != f->close)
            lit_feed(s, &f->lit[f->argno], i);
        switch (t->type) {
        case PYTOK_NAME:
            if (t->kw)
                i = on_keyword(s, i);
            else
                on_name(s, i);
            break;
        case PYTOK_OP:
            on_op(s, i);
            break;
        case PYTOK_NEWLINE:
        case PYTOK_INDENT:
        case PYTOK_DEDENT:
        case PYTOK_ENDMARKER:
            chain_end(s, i);
            stmt_end(s, i + 1);
            break;
        case PYTOK_STRING:
        case PYTOK_NUMBER:
        case PYTOK_FSTRING_END:
            /* A value whose attributes can still start patterns. */
            chain_end(s, i);
            bits_zero(s->cur, s->nw);
            chain_resume(s, i);
            break;
        default:
            chain_end(s, i);
            break;
        }
    }
    chain_end(s, s->ntoks);
    stmt_end(s, s->ntoks);
}

/* ---- Entry ----------------------------------------------------------- */

/* Encodings that decode UTF-8 bytes into the same tokens, or fail. */
static bool coding_is_safe(const char *name)
{
    static const char *const exact[] = { "utf-8", "utf8", "ascii",
                                         "us-ascii" };
    static const char *const prefix[] = { "utf-8-", "latin", "iso-8859-",
                                          "iso8859-", "iso-latin-",
                                          "cp125", "windows-125" };
    char n[64];
    size_t i;

    for (i = 0; name[i] && i + 1 < sizeof(n); i++)
        n[i] = name[i] == '_' ? '-' : (char)(name[i] | 0x20);
    n[i] = '\0';
    for (size_t k = 0; k < ARRAY_SIZE(exact); k++)
        if (strcmp(n, exact[k]) == 0)
            return true;
    for (size_t k = 0; k < ARRAY_SIZE(prefix); k++)
        if (strncmp(n, prefix[k], strlen(prefix[k])) == 0)
            return true;
    return false;
}

static void check_coding(struct scan *s, size_t len)
{
    char name[64];
    struct stok at = { 0 };

    if (!pytok_find_coding(s->src, len, name, sizeof(name), &at.line)
        || coding_is_safe(name))
        return;
    at.col = 1;
    violation(s, POLICY_RULE_ENCODING, name, strlen(name), &at);
}

static void sort_violations(struct policy_result *r)
{
    /* Insertion sort: few items, and stable. */
    for (size_t i = 1; i < r->n; i++) {
        struct policy_violation v = r->v[i];
        size_t j = i;

        while (j > 0 && (r->v[j - 1].line > v.line
                         || (r->v[j - 1].line == v.line
                             && r->v[j - 1].col > v.col))) {
            r->v[j] = r->v[j - 1];
            j--;
        }
        r->v[j] = v;
    }
}

int policy_scan(const struct policy *p, const char *src, size_t len,
                struct policy_result *out)
{
    struct scan s;
    size_t nw = p->nwords;

    memset(&s, 0, sizeof(s));
    s.p = p;
    s.src = src;
    s.nw = nw;
    s.out = out;
    if (len > UINT32_MAX) {
        out->tokenize_failed = true;
        snprintf(out->tokenize_error, ERR_LEN, "source too large");
        return -1;
    }
    s.tab_mask = 4095;
    s.tab = xcalloc(s.tab_mask + 1, sizeof(*s.tab));
    for (size_t k = 0; k < pytok_n_keywords; k++) {
        const char *kw = pytok_keywords[k];
        int sym = intern(&s, kw, strlen(kw), false);  /* may move syms */

        s.syms[sym].kw = kw_of(kw);
    }
    s.cur = xcalloc(nw, sizeof(uint64_t));
    s.tmp = xcalloc(nw, sizeof(uint64_t));
    s.star = xcalloc(nw, sizeof(uint64_t));
    s.st_rhs = xcalloc(nw, sizeof(uint64_t));
    s.st_all = xcalloc(nw, sizeof(uint64_t));
    s.frame_bits = xcalloc((size_t)MAX_FRAMES * FRAME_STATES * nw,
                           sizeof(uint64_t));
    collect(&s, len);
    for (s.round = 1; s.round <= POLICY_MAX_ROUNDS; s.round++) {
        scan_reset(&s);
        scan_pass(&s);
        if (!s.is_dirty)
            break;
    }
    check_coding(&s, len);
    sort_violations(out);

    for (size_t k = 0; k < s.arena.nblocks; k++)
        free(s.arena.blocks[k]);
    free(s.arena.blocks);
    free(s.toks);
    free(s.syms);
    free(s.tab);
    free(s.alias);
    free(s.star);
    free(s.cur);
    free(s.tmp);
    free(s.st_rhs);
    free(s.st_all);
    free(s.frame_bits);
    free(s.part.v);
    free(s.targets.v);
    free(s.as_names.v);
    free(s.ftargets.v);
    return 0;
}

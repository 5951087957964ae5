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
#include "policy/policy_scan.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"
#include "policy/pytok.h"

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

static void ivec_push(struct ivec *v, int x)
{
    ALLOC_GROW(v->v, v->n + 1, v->cap);
    v->v[v->n++] = x;
}

static const char *arena_copy(struct arena *a, const char *s, size_t n)
{
    char *d;

    if (!a->nblocks || a->used + n > ARENA_BLOCK) {
        ALLOC_GROW(a->blocks, a->nblocks + 1, a->cap);
        a->blocks[a->nblocks++] = xmalloc(ARENA_BLOCK);
        a->used = 0;
    }
    d = a->blocks[a->nblocks - 1] + a->used;
    memcpy(d, s, n);
    a->used += n;
    return d;
}

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

int scan_intern(struct scan *s, const char *name, size_t n, bool copy)
{
    uint32_t h = policy_hash(name, n), i;
    struct ssym *y;

    for (i = h & (uint32_t)s->tab_mask; s->tab[i];
         i = (i + 1) & (uint32_t)s->tab_mask) {
        y = &s->syms[s->tab[i] - 1];
        if (y->hash == h && y->len == n && memcmp(y->p, name, n) == 0)
            return (int)(s->tab[i] - 1);
    }
    ALLOC_GROW(s->syms, s->nsyms + 1, s->scap);
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
        t->sym = scan_intern(s, name, t->len, false);
        t->kw = (unsigned char)s->syms[t->sym].kw;
    } else if (pytok_name_fold(name, t->len, folded, sizeof(folded),
                               &n) == 0) {
        t->sym = scan_intern(s, folded, n, true);
    } else {
        t->sym = scan_intern(s, name, t->len, false);
    }
    if (t->kw)
        t->sym = -1;
}

static void collect(struct scan *s, size_t len)
{
    struct pytok *t = pytok_new(s->src, len);
    struct pytok_token tok;

    /* Real code has a token per 3 to 5 bytes: one allocation, no copies. */
    ALLOC_GROW(s->toks, len / 3 + 64, s->tcap);
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
        ALLOC_GROW(s->toks, s->ntoks + 1, s->tcap);
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

struct frame *scan_frame_top(struct scan *s)
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

void scan_chain_end(struct scan *s, size_t end)
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

        scan_violation(s, POLICY_RULE_CALL, pt->name, strlen(pt->name),
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

void scan_chain_resume(struct scan *s, size_t head)
{
    s->is_chain_on = true;
    s->chain_head = head;
    s->is_chain_reported = false;
}

static void note_name(struct scan *s, int sym)
{
    struct frame *f = scan_frame_top(s);

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

        scan_step(s, s->tmp, s->cur, t->sym, STEP_ALIAS);
        s->cur = s->tmp;
        s->tmp = x;
    } else {
        scan_chain_end(s, i);
        /* A trailer after something that is not a chain (a keyword, an
         * operator) still starts patterns: ").os.system". */
        scan_step(s, s->cur, NULL, t->sym,
                  is_trailer ? STEP_ALIAS : STEP_HEAD | STEP_ALIAS);
        scan_chain_resume(s, i);
    }
    scan_check_attribute(s, t->sym, t);
    /* "x = ..." rebinds x: what x was bound to is not used here.  A
     * dotted target (os.system = f) still names the rule's target. */
    if (!s->is_chain_reported && !(i == s->chain_head && is_target(s, i))
        && scan_report_match(s, s->cur, t->sym, NULL, s->chain_head))
        s->is_chain_reported = true;
    note_name(s, t->sym);
}

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
            scan_bind(s, s->targets.v[i], s->st_rhs);
        for (size_t i = 0; i < s->as_names.n; i++)
            scan_bind(s, s->as_names.v[i], s->st_all);
        bits_zero(s->st_rhs, s->nw);
        bits_zero(s->st_all, s->nw);
    }
    s->part.n = s->targets.n = s->as_names.n = 0;
    s->st_first = next;
    s->st_kind = ST_OTHER;
    s->st_is_after_in = s->st_is_after_as = false;
}

static void on_op(struct scan *s, size_t i)
{
    const struct stok *t = &s->toks[i];
    struct frame *f = scan_frame_top(s);

    switch (t->op) {
    case OP_DOT:
        return;
    case OP_LPAR:
        if (s->is_chain_on) {
            scan_call_open(s);
            return;
        }
        scan_frame_push(s, FR_PAREN, OP_RPAR, i);
        return;
    case OP_LSQB:
        scan_namespace_subscript(s, i);
        /* fall through */
    case OP_LBRACE:
        scan_chain_end(s, i);
        scan_frame_push(s, FR_PLAIN, t->op == OP_LSQB ? OP_RSQB : OP_RBRACE,
                        i);
        return;
    case OP_RPAR:
    case OP_RSQB:
    case OP_RBRACE:
        scan_chain_end(s, i);
        if (s->depth)
            scan_frame_close(s);
        return;
    case OP_COMMA:
        scan_chain_end(s, i);
        if (f) {
            scan_seg_close(s, f);
            f->argno++;
        } else {
            s->st_is_after_as = false;
        }
        return;
    case OP_EQUAL:
    case OP_WALRUS:
        scan_chain_end(s, i);
        if (!f) {
            stmt_assign(s);
        } else if (i > 0 && s->toks[i - 1].sym >= 0) {
            /* A keyword argument, default or walrus binds the name. */
            scan_seg_close(s, f);
            f->has_seg = true;
            f->seg_sym = s->toks[i - 1].sym;
            bits_zero(f->seg, s->nw);
        }
        return;
    case OP_SEMI:
        scan_chain_end(s, i);
        if (!f)
            stmt_end(s, i + 1);
        return;
    case OP_COLON:
        scan_chain_end(s, i);
        if (!f)
            s->st_is_after_as = false;
        return;
    default:
        scan_chain_end(s, i);
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
    struct frame *f = scan_frame_top(s);

    scan_chain_end(s, i);
    switch (s->toks[i].kw) {
    case KW_IMPORT:
        return scan_import(s, i);
    case KW_FROM:
        return scan_from(s, i);
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
        struct frame *f = scan_frame_top(s);

        /* The first two arguments of getattr and import functions. */
        if (f && (f->is_getattr || f->is_import) && f->argno < 2
            && t->op != OP_COMMA && t->op != f->close)
            scan_lit_feed(s, &f->lit[f->argno], i);
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
            scan_chain_end(s, i);
            stmt_end(s, i + 1);
            break;
        case PYTOK_STRING:
        case PYTOK_NUMBER:
        case PYTOK_FSTRING_END:
            /* A value whose attributes can still start patterns. */
            scan_chain_end(s, i);
            bits_zero(s->cur, s->nw);
            scan_chain_resume(s, i);
            break;
        default:
            scan_chain_end(s, i);
            break;
        }
    }
    scan_chain_end(s, s->ntoks);
    stmt_end(s, s->ntoks);
}

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
    scan_violation(s, POLICY_RULE_ENCODING, name, strlen(name), &at);
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
        int sym = scan_intern(&s, kw, strlen(kw), false);  /* may move syms */

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

/* policy_imports.c - what the analysis reads specially: import
 * statements ("import a.b as c", "from .m import (x as y)", "import *"),
 * and the brackets of calls whose literal arguments name what they reach
 * (getattr(x, "name"), __import__("os") and the other import
 * functions). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"
#include "policy/policy_scan.h"
#include "policy/pytok.h"

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
                          uint64_t *st, const char *name, bool *reported)
{
    size_t report = i;
    uint64_t *prev = xmalloc(s->nw * sizeof(*prev));
    bool is_head = true;

    for (;;) {
        if (is_head && from)
            memcpy(prev, from, s->nw * sizeof(*prev));
        else if (!is_head)
            memcpy(prev, st, s->nw * sizeof(*prev));
        scan_check_attribute(s, s->toks[i].sym, &s->toks[i]);
        scan_step(s, st, from || !is_head ? prev : NULL, s->toks[i].sym,
                  is_head ? STEP_HEAD : 0);
        is_head = false;
        if (!*reported
            && scan_report_match(s, st, s->toks[i].sym, name, report))
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

/* "as NAME" at token *j binds NAME to st (true), moving *j past it. */
static bool bind_as(struct scan *s, size_t *j, const uint64_t *st)
{
    size_t k = *j;

    if (k + 1 >= s->ntoks || s->toks[k].kw != KW_AS
        || !is_plain_name(s, k + 1))
        return false;
    scan_check_attribute(s, s->toks[k + 1].sym, &s->toks[k + 1]);
    scan_bind(s, s->toks[k + 1].sym, st);
    *j = k + 2;
    return true;
}

/* A ',' at token *j: true, and *j moves past it. */
static bool comma(const struct scan *s, size_t *j)
{
    if (*j >= s->ntoks || s->toks[*j].op != OP_COMMA)
        return false;
    (*j)++;
    return true;
}

size_t scan_import(struct scan *s, size_t i)
{
    uint64_t *st = xmalloc(s->nw * sizeof(*st));
    struct buf name = BUF_INIT(0);
    size_t j = i + 1;

    while (is_plain_name(s, j)) {
        bool reported = false;

        buf_reset(&name);
        dotted_name(s, j, &name);
        j = walk_dotted(s, j, NULL, st, buf_cstr(&name), &reported);
        bind_as(s, &j, st);
        if (!comma(s, &j))
            break;
    }
    buf_release(&name);
    free(st);
    return j - 1;
}

/* What "from M import" has read before its names. */
struct from_module {
    uint64_t *base;             /* the state of M */
    struct buf mod;             /* M as written */
    bool is_first;              /* no M ("from . import x"): the names are
                                 * first components */
    bool reported;              /* M itself was reported */
};

/* "from M import *": bare names now also resolve inside M. */
static void star_import(struct scan *s, const struct from_module *fm)
{
    const struct policy *p = s->p;

    for (size_t k = 0; k < s->nw && !fm->reported; k++)
        if (fm->base[k] & p->partial[k] & ~s->star[k]) {
            s->star[k] |= fm->base[k] & p->partial[k];
            s->has_star = true;
            if (s->star_read_round == s->round)
                s->is_dirty = true;
        }
}

/* The names imported from M, from token j: checked, reported and bound.
 * Returns the token after them. */
static size_t from_names(struct scan *s, size_t j,
                         const struct from_module *fm)
{
    uint64_t *st = xmalloc(s->nw * sizeof(*st));
    struct buf name = BUF_INIT(0);

    while (is_plain_name(s, j)) {
        const struct stok *t = &s->toks[j];

        scan_check_attribute(s, t->sym, t);
        scan_step(s, st, fm->base, t->sym, fm->is_first ? STEP_HEAD : 0);
        /* The name is spelled only when needed: a long module name and
         * many imported names must not cost their product. */
        if (!fm->reported && scan_has_match(s, st)
            && s->out->n < POLICY_MAX_VIOLATIONS) {
            buf_reset(&name);
            buf_append(&name, fm->mod.data, fm->mod.len);
            if (fm->mod.len && fm->mod.data[fm->mod.len - 1] != '.')
                buf_append_char(&name, '.');
            buf_append(&name, s->syms[t->sym].p, s->syms[t->sym].len);
            scan_report_match(s, st, t->sym, buf_cstr(&name), j);
        }
        j++;
        if (!bind_as(s, &j, st))
            scan_bind(s, t->sym, st);
        if (!comma(s, &j))
            break;
    }
    buf_release(&name);
    free(st);
    return j;
}

/* "from [.]*a.b import (c as d, e)" or "... import *".  A relative
 * import starts from the state of an unknown package prefix (any rule's
 * tail may follow). */
size_t scan_from(struct scan *s, size_t i)
{
    const struct policy *p = s->p;
    struct from_module fm = { xcalloc(s->nw, sizeof(uint64_t)),
                              BUF_INIT(0), false, false };
    bool is_relative = false, has_paren = false;
    size_t j = i + 1, first;

    while (j < s->ntoks && (s->toks[j].op == OP_DOT
                            || s->toks[j].op == OP_ELLIPSIS)) {
        buf_append_str(&fm.mod, s->toks[j].op == OP_DOT ? "." : "...");
        is_relative = true;
        j++;
    }
    first = j;
    if (is_plain_name(s, j))
        j = dotted_name(s, j, &fm.mod);
    if (j >= s->ntoks || s->toks[j].kw != KW_IMPORT
        || (!is_relative && first == j)) {
        j = i + 1;
        goto out;
    }
    if (first < j)
        walk_dotted(s, first, is_relative ? p->partial : NULL, fm.base,
                    buf_cstr(&fm.mod), &fm.reported);
    else
        memcpy(fm.base, p->partial, s->nw * sizeof(*fm.base));
    fm.is_first = first == j;
    j++;
    if (j < s->ntoks && s->toks[j].op == OP_LPAR) {
        has_paren = true;
        j++;
    }
    if (j < s->ntoks && s->toks[j].op == OP_STAR) {
        star_import(s, &fm);
        j++;
        goto out;
    }
    j = from_names(s, j, &fm);
    if (has_paren && j < s->ntoks && s->toks[j].op == OP_RPAR)
        j++;
out:
    buf_release(&fm.mod);
    free(fm.base);
    return j - 1;
}

struct frame *scan_frame_push(struct scan *s, unsigned kind,
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

void scan_lit_feed(struct scan *s, struct lit *l, size_t i)
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

    if (pt->sub == GETATTR_VARS)
        l = NULL;               /* vars(os)["sys" + "tem"]: never literal */
    else if (f->argno < 1)
        return;
    if (l && lit_ok(l)) {
        int sym = scan_intern(s, l->buf, l->len, true);

        scan_check_attribute(s, sym, &s->toks[l->tok]);
        scan_step(s, s->tmp, f->arg0, sym, STEP_ALIAS);
        if (scan_report_match(s, s->tmp, sym, NULL, f->head))
            s->is_chain_reported = true;
        if (pt->sub == GETATTR_GET)
            bits_or(s->cur, s->tmp, s->nw);
    } else if (bits_meet(f->arg0, s->p->partial, s->nw)) {
        struct buf name = BUF_INIT(0);

        prefix_name(s, f->arg0, &name);
        buf_append_str(&name, ".*");
        scan_violation(s, POLICY_RULE_CALL, name.data, name.len,
                       &s->toks[f->head]);
        buf_release(&name);
    }
}

/* Whether n bytes at name are a blocked attribute or the last
 * component of a call rule ("system" of os.system, "execv" of
 * os.exec*), leading underscores aside as the matcher has them. */
static bool is_blocked_member(const struct policy *p, const char *name,
                              size_t n)
{
    int sym = policy_sym_find(p, name, n);

    if (sym >= 0 && p->syms[sym].is_attr)
        return true;
    while (n > 1 && name[0] == '_') {
        name++;
        n--;
    }
    for (size_t i = 0; i < p->npats; i++) {
        const struct pattern *pt = &p->pats[i];
        const struct position *ps = &p->pos[pt->first + pt->n - 1];

        if (pt->kind != PAT_CALL || pt->n < 2)
            continue;
        if (ps->sym >= 0 ? p->syms[ps->sym].len == n
                           && memcmp(p->syms[ps->sym].name, name, n) == 0
                         : n >= ps->glob_len
                           && memcmp(ps->glob, name, ps->glob_len) == 0)
            return true;
    }
    return false;
}

/* attrgetter("a.b", "c"): true when a name in the literal is blocked. */
static bool names_blocked(const struct policy *p, const struct lit *l)
{
    size_t i = 0;

    while (i < l->len) {
        size_t n = 0;

        while (i + n < l->len && l->buf[i + n] != '.')
            n++;
        if (n && is_blocked_member(p, l->buf + i, n))
            return true;
        i += n + 1;
    }
    return false;
}

/* exec("code"), eval, compile: the literal is checked as code, and what
 * it would break is reported at the call.  eval's value may be any
 * module ("eval('os').system"): the chain goes on as from an unknown
 * package. */
static void code_close(struct scan *s, const struct frame *f)
{
    struct policy_result inner;

    bits_or(s->cur, s->p->partial, s->nw);
    if (policy_check(s->p, f->lit[0].buf, f->lit[0].len, &inner) == 0)
        for (size_t k = 0; k < inner.n; k++)
            scan_violation(s, inner.v[k].rule, inner.v[k].name,
                           strlen(inner.v[k].name), &s->toks[f->head]);
    policy_result_release(&inner);
}

/* The functions that take a string only a literal may be: exec and
 * friends, attrgetter, methodcaller. */
static void literal_fn_close(struct scan *s, const struct frame *f,
                             const struct pattern *pt)
{
    bool is_bad;

    switch (pt->sub) {
    case IMPORT_FN_CODE:
        code_close(s, f);
        return;
    case IMPORT_FN_ATTRS:
        /* Names in the first two arguments are seen; more are not. */
        is_bad = f->argno > 1 || names_blocked(s->p, &f->lit[0])
                 || (f->argno == 1 && (!lit_ok(&f->lit[1])
                                       || names_blocked(s->p, &f->lit[1])));
        break;
    default:
        is_bad = names_blocked(s->p, &f->lit[0]);
        break;
    }
    if (is_bad)
        scan_violation(s, POLICY_RULE_CALL, pt->name, strlen(pt->name),
                       &s->toks[f->head]);
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
        scan_violation(s, POLICY_RULE_CALL, pt->name, strlen(pt->name),
                       &s->toks[f->head]);
        return;
    }
    if (pt->sub >= IMPORT_FN_CODE) {
        literal_fn_close(s, f, pt);
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
        sym = scan_intern(s, name + i, len, true);
        scan_step(s, s->tmp, st, sym, is_first ? STEP_HEAD : 0);
        memcpy(st, s->tmp, s->nw * sizeof(*st));
        if (!reported)
            reported = scan_report_match(s, st, sym, name, f->head);
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

void scan_seg_close(struct scan *s, struct frame *f)
{
    if (f->has_seg)
        scan_bind(s, f->seg_sym, f->seg);
    f->has_seg = false;
}

void scan_frame_close(struct scan *s)
{
    struct frame *f = &s->frames[--s->depth];
    struct frame *up = scan_frame_top(s);

    /* What the parent binds includes everything nested in it. */
    if (up) {
        bits_or(up->all, f->all, s->nw);
        if (up->has_seg)
            bits_or(up->seg, f->all, s->nw);
        if (up->is_after_in)
            bits_or(up->for_acc, f->all, s->nw);
    }
    scan_seg_close(s, f);
    if (f->is_in_for) {
        for (size_t k = f->for_first; k < s->ftargets.n; k++)
            scan_bind(s, s->ftargets.v[k], f->for_acc);
        s->ftargets.n = f->for_first;
    }
    bits_zero(s->cur, s->nw);
    if (f->kind == FR_PAREN)
        bits_or(s->cur, f->acc, s->nw);      /* (os).system */
    scan_chain_resume(s, f->head);
    if (f->kind != FR_CALL)
        return;
    if (f->is_import)
        import_close(s, f);
    if (f->is_getattr)
        getattr_close(s, f);
}

void scan_call_open(struct scan *s)
{
    const struct policy *p = s->p;
    size_t head = s->chain_head;
    long ga = bits_first(s->cur, p->full_getattr, s->nw);
    long im = bits_first(s->cur, p->full_import_fn, s->nw);
    struct frame *f;

    s->is_chain_on = false;        /* the callee is used, not passed on */
    f = scan_frame_push(s, FR_CALL, OP_RPAR, head);
    if (ga >= 0) {
        f->is_getattr = true;
        f->getattr_pat = p->pos[ga].pat;
    }
    if (im >= 0) {
        f->is_import = true;
        f->import_pat = p->pos[im].pat;
    }
}

/* Whether token k is the builtin name of a namespace: NAME, not after a
 * dot. */
static bool is_namespace_call(const struct scan *s, size_t k)
{
    static const char *const names[] = { "globals", "vars", "locals" };
    const struct stok *t = &s->toks[k];

    if (t->type != PYTOK_NAME || (k > 0 && s->toks[k - 1].op == OP_DOT))
        return false;
    for (size_t n = 0; n < ARRAY_SIZE(names); n++)
        if (t->len == strlen(names[n])
            && memcmp(s->src + t->off, names[n], t->len) == 0)
            return true;
    return false;
}

void scan_namespace_subscript(struct scan *s, size_t i)
{
    struct lit l = { .has_string = false };
    const struct stok *name;
    size_t k = i + 1;

    if (i < 3 || s->toks[i - 1].op != OP_RPAR || s->toks[i - 2].op != OP_LPAR
        || !is_namespace_call(s, i - 3))
        return;
    name = &s->toks[i - 3];
    while (k < s->ntoks && s->toks[k].type == PYTOK_STRING)
        scan_lit_feed(s, &l, k++);
    if (k < s->ntoks && s->toks[k].op == OP_RSQB && lit_ok(&l)
        && !is_blocked_member(s->p, l.buf, l.len)
        && policy_sym_find(s->p, l.buf, l.len) < 0)
        return;
    {
        char *what = xasprintf("%.*s()[]", (int)name->len,
                               s->src + name->off);

        scan_violation(s, POLICY_RULE_CALL, what, strlen(what), name);
        free(what);
    }
}

/* policy_scan.h - private to the analysis of one program: its state,
 * shared by policy_scan.c (tokens, names, chains, statements, the pass),
 * policy_match.c (the matcher and what it reports) and policy_imports.c
 * (import statements, and calls of getattr and import functions).  See
 * policy_scan.c for how it works. */
#ifndef PYEXEC_POLICY_SCAN_H
#define PYEXEC_POLICY_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy_int.h"
#include "policy/pytok.h"

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
    size_t nblocks, cap, used;
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
    size_t nalias, alias_cap;       /* states; words */
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

#define STEP_HEAD 1             /* the first component of a chain */
#define STEP_ALIAS 2            /* use bindings and star imports */

/* ---- States: bit sets of nw words ---- */

static inline bool bits_any(const uint64_t *a, size_t nw)
{
    for (size_t i = 0; i < nw; i++)
        if (a[i])
            return true;
    return false;
}

static inline bool bits_meet(const uint64_t *a, const uint64_t *b, size_t nw)
{
    for (size_t i = 0; i < nw; i++)
        if (a[i] & b[i])
            return true;
    return false;
}

static inline void bits_or(uint64_t *a, const uint64_t *b, size_t nw)
{
    for (size_t i = 0; i < nw; i++)
        a[i] |= b[i];
}

static inline void bits_zero(uint64_t *a, size_t nw)
{
    for (size_t i = 0; i < nw; i++)
        a[i] = 0;
}

/* The lowest bit set in both a and b, or -1. */
static inline long bits_first(const uint64_t *a, const uint64_t *b, size_t nw)
{
    for (size_t i = 0; i < nw; i++) {
        uint64_t x = a[i] & (b ? b[i] : ~(uint64_t)0);

        if (x)
            return (long)(i * 64 + (size_t)__builtin_ctzll(x));
    }
    return -1;
}

/* ---- policy_scan.c ---- */

/* The symbol for name[0..n); copy says the bytes must be copied (they are
 * not in the source). */
int scan_intern(struct scan *s, const char *name, size_t n, bool copy);
struct frame *scan_frame_top(struct scan *s);
/* The chain read so far ended before token end: its state flows into
 * whatever it is part of. */
void scan_chain_end(struct scan *s, size_t end);
/* The chain goes on from the state in s->cur (an expression's value) at
 * head. */
void scan_chain_resume(struct scan *s, size_t head);

/* At the '[' of token i: globals()[...], vars()[...] or locals()[...]
 * with anything but a literal of names not blocked is blocked: a
 * computed name reaches modules and builtins alike. */
void scan_namespace_subscript(struct scan *s, size_t i);

/* ---- policy_match.c ---- */

/* Records a violation of rule, name[0..n), at token at (once). */
void scan_violation(struct scan *s, const char *rule, const char *name,
                    size_t n, const struct stok *at);
/* True when state st has a module or call match. */
bool scan_has_match(const struct scan *s, const uint64_t *st);
/* Reports the first module or call match in state st, whose last
 * component was sym, at token head; name overrides the pattern's name
 * (for import statements and literals).  Returns true if it reported. */
bool scan_report_match(struct scan *s, const uint64_t *st, int sym,
                       const char *name, size_t head);
/* A blocked attribute name, bare, dotted, keyword or literal. */
void scan_check_attribute(struct scan *s, int sym, const struct stok *at);
/* next = the state after component sym, from prev (NULL at a head);
 * flags: STEP_*. */
void scan_step(struct scan *s, uint64_t *next, const uint64_t *prev,
               int sym, unsigned flags);
/* Binds name sym to state st (adds to what it had). */
void scan_bind(struct scan *s, int sym, const uint64_t *st);

/* ---- policy_imports.c ---- */

/* "import ..." and "from ... import ..." at token i: return the last
 * token they used (i when this "from" is not an import). */
size_t scan_import(struct scan *s, size_t i);
size_t scan_from(struct scan *s, size_t i);
struct frame *scan_frame_push(struct scan *s, unsigned kind, unsigned close,
                              size_t head);
void scan_frame_close(struct scan *s);
/* A call: what the callee's state says about it decides how its
 * arguments are read. */
void scan_call_open(struct scan *s);
void scan_seg_close(struct scan *s, struct frame *f);
/* Feeds token i to the literal of an argument. */
void scan_lit_feed(struct scan *s, struct lit *l, size_t i);

#endif

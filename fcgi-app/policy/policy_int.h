/* policy_int.h - what policy.c (rules, policy.conf, compilation) shares
 * with policy_scan.c (the analysis of one program).  Not for other
 * modules.
 *
 * Theory of operation.  Every rule that names something dotted (module,
 * call, import-function, and the built-in getattr family) is a pattern of
 * components, and every component of every pattern is one bit position.
 * While the scanner walks a chain like o.path.join it keeps a bit set, its
 * state: bit (P, j) says "components 0..j of pattern P match the chain so
 * far, ending here".  A step to the next component keeps the bits whose
 * next component matches and adds the bits of patterns that start with it;
 * the last bit of a pattern set means a match.  Aliases are states too:
 * "import os as o" stores the state of "os" under the name o, and a later
 * "o" starts from it.  It is an NFA over dotted names, with the alias map
 * merged into its start states; nothing is ever resolved to a string. */
#ifndef PYEXEC_POLICY_INT_H
#define PYEXEC_POLICY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

enum pat_kind {
    PAT_MODULE,
    PAT_CALL,
    PAT_IMPORT_FN,
    PAT_GETATTR,
    /* Rule kinds only, compiled as PAT_IMPORT_FN with IMPORT_FN_CODE or
     * IMPORT_FN_ATTRS / IMPORT_FN_METHOD. */
    PAT_CODE_FN,
    PAT_ATTR_FN
};

/* PAT_IMPORT_FN: what a call returns. */
#define IMPORT_FN_TOP 1     /* __import__: the top-level package */
#define IMPORT_FN_FULL 2    /* import_module: the module named */
/* Like import functions, only a call with a literal is allowed, but the
 * literal is not a module: */
#define IMPORT_FN_CODE 3    /* exec, eval, compile: code, checked too */
#define IMPORT_FN_ATTRS 4   /* operator.attrgetter: attribute names */
#define IMPORT_FN_METHOD 5  /* operator.methodcaller: a method name */
/* PAT_GETATTR. */
#define GETATTR_GET 1       /* getattr returns the attribute */
#define GETATTR_OTHER 2     /* setattr, delattr, hasattr do not */
#define GETATTR_VARS 3      /* vars(module): every member at once */

struct pattern {
    unsigned char kind;         /* enum pat_kind */
    unsigned char sub;          /* IMPORT_FN_* or GETATTR_* */
    const char *name;           /* as reported; "os.exec*" */
    size_t prefix_len;          /* bytes of name before the last component */
    size_t first, n;            /* its positions: first .. first + n - 1 */
};

struct position {
    int sym;                    /* policy symbol of the component, or -1 */
    const char *glob;           /* else: "exec" for "exec*" */
    size_t glob_len;
    size_t pat;
};

struct policy_sym {
    const char *name;
    size_t len;
    bool is_attr;               /* an "attribute" rule */
};

struct policy_rule {
    unsigned char kind;         /* enum pat_kind; PAT_GETATTR: attribute */
    char *name;
};

struct policy {
    struct policy_rule *rules;  /* as configured, for policy_write */
    size_t nrules, rules_cap;
    char **owned;               /* other strings the patterns point to */
    size_t nowned, owned_cap;

    struct pattern *pats;
    size_t npats, pats_cap;
    struct position *pos;
    size_t npos, pos_cap;
    size_t nwords;              /* uint64_t words per state */

    struct policy_sym *syms;
    size_t nsyms, syms_cap;
    uint32_t *tab;              /* open addressing: sym + 1, 0 is empty */
    size_t tab_mask;

    /* Per symbol, nwords each: bits of the patterns it starts, anywhere
     * in a chain or only at its head (modules, plain single names). */
    uint64_t *start_any, *start_head;
    uint64_t *full;             /* last positions */
    uint64_t *full_import_fn;
    uint64_t *full_getattr;
    uint64_t *partial;          /* all but last positions: also the state
                                 * of an unknown package prefix */
};

/* The policy symbol named s[0..n), or -1. */
int policy_sym_find(const struct policy *p, const char *s, size_t n);

/* FNV-1a, shared so both tables hash alike. */
uint32_t policy_hash(const char *s, size_t n);

/* Runs the analysis of src on p into out (see policy_check). */
int policy_scan(const struct policy *p, const char *src, size_t len,
                struct policy_result *out);

#endif

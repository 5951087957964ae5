/* policy.c - the rule lists: compiled-in defaults, policy.conf, and their
 * compilation into the bit-position matcher that policy_scan.c runs (see
 * policy_int.h).  Reads one file in policy_load; no other I/O. */
#include "config.h"
#include "policy/policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/conf.h"
#include "base/util.h"
#include "policy/policy_int.h"

#define PAT_ATTRIBUTE PAT_GETATTR   /* rule kind only: a blocked name */

struct default_rule {
    unsigned char kind;
    const char *name;
};

/* Keep deploy/policy.conf in step: test_policy compares them. */
static const struct default_rule defaults[] = {
    /* Processes, sockets, foreign functions. */
    { PAT_MODULE, "subprocess" },
    { PAT_MODULE, "_posixsubprocess" },
    { PAT_MODULE, "socket" },
    { PAT_MODULE, "_socket" },
    { PAT_MODULE, "ctypes" },
    { PAT_MODULE, "_ctypes" },
    { PAT_MODULE, "cffi" },
    { PAT_MODULE, "_cffi_backend" },
    { PAT_MODULE, "multiprocessing" },
    { PAT_MODULE, "_multiprocessing" },
    { PAT_MODULE, "pty" },
    { PAT_MODULE, "posix" },
    { PAT_MODULE, "asyncio.subprocess" },
    /* The import machinery under importlib: it imports computed names. */
    { PAT_MODULE, "_imp" },
    { PAT_MODULE, "_frozen_importlib" },
    { PAT_MODULE, "_frozen_importlib_external" },
    { PAT_MODULE, "importlib._bootstrap" },
    { PAT_MODULE, "importlib._bootstrap_external" },

    { PAT_CALL, "os.system" },
    { PAT_CALL, "os.popen" },
    { PAT_CALL, "os.exec*" },
    { PAT_CALL, "os.spawn*" },
    { PAT_CALL, "os.posix_spawn*" },
    { PAT_CALL, "os.fork" },
    { PAT_CALL, "os.forkpty" },
    { PAT_CALL, "os.kill" },
    { PAT_CALL, "os.killpg" },
    { PAT_CALL, "pty.spawn" },
    { PAT_CALL, "asyncio.create_subprocess_*" },
    { PAT_CALL, "imaplib.IMAP4_stream" },
    { PAT_CALL, "pydoc.pipepager" },
    { PAT_CALL, "pydoc.tempfilepager" },
    /* Unpickling calls any callable it names (b"cposix\nsystem\n."). */
    { PAT_CALL, "pickle.load" },
    { PAT_CALL, "pickle.loads" },
    { PAT_CALL, "pickle.Unpickler" },
    { PAT_CALL, "_pickle.load" },
    { PAT_CALL, "_pickle.loads" },
    { PAT_CALL, "_pickle.Unpickler" },
    { PAT_CALL, "marshal.load" },
    { PAT_CALL, "marshal.loads" },

    { PAT_IMPORT_FN, "__import__" },
    { PAT_IMPORT_FN, "importlib.import_module" },
    { PAT_IMPORT_FN, "importlib.__import__" },
    { PAT_IMPORT_FN, "importlib.util.find_spec" },
    { PAT_IMPORT_FN, "pkgutil.resolve_name" },
    { PAT_IMPORT_FN, "pydoc.locate" },
    /* Code from a string: only a literal, which is checked as code. */
    { PAT_CODE_FN, "exec" },
    { PAT_CODE_FN, "eval" },
    { PAT_CODE_FN, "compile" },
    /* Attribute names from strings: only literals, none blocked. */
    { PAT_ATTR_FN, "operator.attrgetter" },
    { PAT_ATTR_FN, "operator.methodcaller" },

    /* From any object to frames, globals and builtins. */
    { PAT_ATTRIBUTE, "__subclasses__" },
    { PAT_ATTRIBUTE, "__globals__" },
    { PAT_ATTRIBUTE, "__builtins__" },
    { PAT_ATTRIBUTE, "__code__" },
    { PAT_ATTRIBUTE, "__loader__" },
    { PAT_ATTRIBUTE, "__spec__" },
    { PAT_ATTRIBUTE, "f_globals" },
    { PAT_ATTRIBUTE, "f_locals" },
    { PAT_ATTRIBUTE, "f_builtins" },
    { PAT_ATTRIBUTE, "f_back" },
    { PAT_ATTRIBUTE, "gi_frame" },
    { PAT_ATTRIBUTE, "cr_frame" },
    { PAT_ATTRIBUTE, "ag_frame" },
    { PAT_ATTRIBUTE, "tb_frame" },
    /* asyncio event loop methods that start processes. */
    { PAT_ATTRIBUTE, "subprocess_exec" },
    { PAT_ATTRIBUTE, "subprocess_shell" },
};

/* Built in, not configurable: the functions that look up an attribute by
 * a string.  getattr's result is the attribute; the others' is not. */
static const char *const getattr_names[] = {
    "getattr", "setattr", "delattr", "hasattr", "vars"
};

static const char *const kind_words[] = {
    [PAT_MODULE] = "module",
    [PAT_CALL] = "call",
    [PAT_IMPORT_FN] = "import-function",
    [PAT_ATTRIBUTE] = "attribute",
    [PAT_CODE_FN] = "code-function",
    [PAT_ATTR_FN] = "attribute-function",
};

/* ---- Rule lists ------------------------------------------------------ */

static int rule_find(const struct policy *p, unsigned kind,
                     const char *name)
{
    for (size_t i = 0; i < p->nrules; i++)
        if (p->rules[i].kind == kind && strcmp(p->rules[i].name, name) == 0)
            return (int)i;
    return -1;
}

static void rule_add(struct policy *p, unsigned kind, const char *name)
{
    if (rule_find(p, kind, name) >= 0)
        return;
    ALLOC_GROW(p->rules, p->nrules + 1, p->rules_cap);
    p->rules[p->nrules].kind = (unsigned char)kind;
    p->rules[p->nrules].name = xstrdup(name);
    p->nrules++;
}

static void rules_add_defaults(struct policy *p)
{
    for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
        rule_add(p, defaults[i].kind, defaults[i].name);
}

static bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident_char(char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* Checks a rule name: dotted identifiers; for calls a '*' may end the last
 * component of a name with at least two; attributes are one identifier.
 * Returns what is wrong, or NULL. */
static const char *name_problem(unsigned kind, const char *s)
{
    const char *star = strchr(s, '*'), *end, *p = s;
    const char *bad = kind == PAT_ATTRIBUTE ? "is not an identifier"
                                            : "is not a dotted name";

    if (star && (kind != PAT_CALL || !memchr(s, '.', (size_t)(star - s))))
        return "may have a '*' only in a call pattern, after a dot";
    if (star && star[1])
        return "may have a '*' only at its end";
    end = star ? star : s + strlen(s);
    for (;;) {
        const char *c = p;

        while (p < end && is_ident_char(*p))
            p++;
        if (p > c && !is_ident_start(*c))
            return bad;
        if (p == end)
            return p > c || star ? NULL : bad;
        if (*p != '.' || p == c || kind == PAT_ATTRIBUTE)
            return bad;
        p++;
    }
}

/* ---- Compilation ----------------------------------------------------- */

uint32_t policy_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

int policy_sym_find(const struct policy *p, const char *s, size_t n)
{
    uint32_t i = policy_hash(s, n) & (uint32_t)p->tab_mask;

    for (;; i = (i + 1) & (uint32_t)p->tab_mask) {
        uint32_t v = p->tab[i];
        const struct policy_sym *y;

        if (!v)
            return -1;
        y = &p->syms[v - 1];
        if (y->len == n && memcmp(y->name, s, n) == 0)
            return (int)(v - 1);
    }
}

static int sym_intern(struct policy *p, const char *s, size_t n)
{
    int k = policy_sym_find(p, s, n);
    uint32_t i;

    if (k >= 0)
        return k;
    /* The table is sized before interning starts: no growth here. */
    if ((p->nsyms + 1) * 2 > p->tab_mask + 1)
        BUG("policy symbol table too small");
    ALLOC_GROW(p->syms, p->nsyms + 1, p->syms_cap);
    p->syms[p->nsyms].name = s;
    p->syms[p->nsyms].len = n;
    p->syms[p->nsyms].is_attr = false;
    i = policy_hash(s, n) & (uint32_t)p->tab_mask;
    while (p->tab[i])
        i = (i + 1) & (uint32_t)p->tab_mask;
    p->tab[i] = (uint32_t)++p->nsyms;
    return (int)(p->nsyms - 1);
}

static size_t count_components(const char *s)
{
    size_t n = 1;

    for (; *s; s++)
        if (*s == '.')
            n++;
    return n;
}

/* Adds one pattern; its name must outlive p (a rule or a literal). */
static void pattern_add(struct policy *p, unsigned kind, unsigned sub,
                        const char *name, const char *match)
{
    struct pattern *pt;
    const char *s = match;

    ALLOC_GROW(p->pats, p->npats + 1, p->pats_cap);
    pt = &p->pats[p->npats];
    pt->kind = (unsigned char)kind;
    pt->sub = (unsigned char)sub;
    pt->name = name;
    pt->prefix_len = strrchr(name, '.') ? (size_t)(strrchr(name, '.') - name
                                                   + 1) : 0;
    pt->first = p->npos;
    pt->n = count_components(match);
    ALLOC_GROW(p->pos, p->npos + pt->n, p->pos_cap);
    for (size_t k = 0; k < pt->n; k++) {
        struct position *ps = &p->pos[p->npos++];
        size_t len = strcspn(s, ".");

        ps->pat = p->npats;
        if (len && s[len - 1] == '*') {
            ps->sym = -1;
            ps->glob = s;
            ps->glob_len = len - 1;
        } else {
            ps->sym = sym_intern(p, s, len);
            ps->glob = NULL;
            ps->glob_len = 0;
        }
        s += len + (s[len] == '.');
    }
    p->npats++;
}

static void bit_set(uint64_t *w, size_t b)
{
    w[b / 64] |= (uint64_t)1 << (b % 64);
}

static const char *last_component(const char *s)
{
    const char *dot = strrchr(s, '.');

    return dot ? dot + 1 : s;
}

/* Keeps s until policy_free and returns it. */
static const char *owned_add(struct policy *p, char *s)
{
    ALLOC_GROW(p->owned, p->nowned + 1, p->owned_cap);
    p->owned[p->nowned++] = s;
    return s;
}

/* Adds a pattern, and for a single name that is not a module its twins
 * under the builtins module, reached as builtins.X and, in __main__, as
 * __builtins__.X; they report the same name. */
static void pattern_add_twinned(struct policy *p, unsigned kind,
                                unsigned sub, const char *name)
{
    pattern_add(p, kind, sub, name, name);
    if (kind == PAT_MODULE || strchr(name, '.'))
        return;
    pattern_add(p, kind, sub, name,
                owned_add(p, xasprintf("builtins.%s", name)));
    pattern_add(p, kind, sub, name,
                owned_add(p, xasprintf("__builtins__.%s", name)));
}

static void compile(struct policy *p)
{
    size_t ncomp = ARRAY_SIZE(getattr_names) * 5, cap;

    for (size_t i = 0; i < p->nrules; i++)
        ncomp += count_components(p->rules[i].name) + 4;
    for (cap = 16; cap < ncomp * 2 + 2; cap *= 2)
        ;
    p->tab = xcalloc(cap, sizeof(*p->tab));
    p->tab_mask = cap - 1;

    for (size_t i = 0; i < p->nrules; i++) {
        const struct policy_rule *r = &p->rules[i];
        unsigned sub = 0;

        if (r->kind == PAT_ATTRIBUTE)
            continue;
        if (r->kind == PAT_IMPORT_FN)
            sub = strcmp(last_component(r->name), "__import__") == 0
                  ? IMPORT_FN_TOP : IMPORT_FN_FULL;
        if (r->kind == PAT_CODE_FN)
            sub = IMPORT_FN_CODE;
        if (r->kind == PAT_ATTR_FN)
            sub = strcmp(last_component(r->name), "methodcaller") == 0
                  ? IMPORT_FN_METHOD : IMPORT_FN_ATTRS;
        pattern_add_twinned(p, r->kind == PAT_CODE_FN
                            || r->kind == PAT_ATTR_FN ? PAT_IMPORT_FN
                            : r->kind, sub, r->name);
    }
    for (size_t i = 0; i < ARRAY_SIZE(getattr_names); i++)
        pattern_add_twinned(p, PAT_GETATTR,
                            i == 0 ? GETATTR_GET
                            : strcmp(getattr_names[i], "vars") == 0
                            ? GETATTR_VARS : GETATTR_OTHER,
                            getattr_names[i]);
    for (size_t i = 0; i < p->nrules; i++)
        if (p->rules[i].kind == PAT_ATTRIBUTE) {
            const char *a = p->rules[i].name;
            int sym = sym_intern(p, a, strlen(a));     /* may move syms */

            p->syms[sym].is_attr = true;
        }

    p->nwords = (p->npos + 63) / 64;
    if (!p->nwords)
        p->nwords = 1;
    p->start_any = xcalloc(p->nsyms * p->nwords + 1, sizeof(uint64_t));
    p->start_head = xcalloc(p->nsyms * p->nwords + 1, sizeof(uint64_t));
    p->full = xcalloc(p->nwords, sizeof(uint64_t));
    p->full_import_fn = xcalloc(p->nwords, sizeof(uint64_t));
    p->full_getattr = xcalloc(p->nwords, sizeof(uint64_t));
    p->partial = xcalloc(p->nwords, sizeof(uint64_t));
    for (size_t i = 0; i < p->npats; i++) {
        const struct pattern *pt = &p->pats[i];
        const struct position *first = &p->pos[pt->first];
        size_t last = pt->first + pt->n - 1;
        /* Modules and single plain names start only a chain; dunder names
         * such as __import__ are reached as attributes too. */
        bool is_head_only = pt->kind == PAT_MODULE
                            || (pt->n == 1 && strncmp(pt->name, "__", 2));

        bit_set(is_head_only ? p->start_head + (size_t)first->sym * p->nwords
                             : p->start_any + (size_t)first->sym * p->nwords,
                pt->first);
        bit_set(p->full, last);
        if (pt->kind == PAT_IMPORT_FN)
            bit_set(p->full_import_fn, last);
        if (pt->kind == PAT_GETATTR)
            bit_set(p->full_getattr, last);
        for (size_t b = pt->first; b < last; b++)
            bit_set(p->partial, b);
    }
}

static struct policy *policy_new(void)
{
    return xcalloc(1, sizeof(struct policy));
}

void policy_free(struct policy *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nrules; i++)
        free(p->rules[i].name);
    free(p->rules);
    for (size_t i = 0; i < p->nowned; i++)
        free(p->owned[i]);
    free(p->owned);
    free(p->pats);
    free(p->pos);
    free(p->syms);
    free(p->tab);
    free(p->start_any);
    free(p->start_head);
    free(p->full);
    free(p->full_import_fn);
    free(p->full_getattr);
    free(p->partial);
    free(p);
}

struct policy *policy_default(void)
{
    struct policy *p = policy_new();

    rules_add_defaults(p);
    compile(p);
    return p;
}

/* ---- policy.conf ----------------------------------------------------- */

static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

/* One line: "directive argument".  Returns 0 or -1 with err set. */
static int parse_line(struct policy *p, char *line, const char *name,
                      int lineno, char *err)
{
    char *word = line, *arg, *hash = strchr(line, '#');
    bool is_allow = false;
    const char *why;
    unsigned kind;

    if (hash)
        *hash = '\0';
    word = trim(word);
    if (!*word)
        return 0;
    arg = word + strcspn(word, " \t");
    if (*arg)
        *arg++ = '\0';
    arg = trim(arg);
    if (strcmp(word, "include") == 0) {
        if (strcmp(arg, "defaults") != 0) {
            err_set(err, "%s:%d: include: only 'include defaults' is "
                    "supported", name, lineno);
            return -1;
        }
        rules_add_defaults(p);
        return 0;
    }
    if (strncmp(word, "allow-", 6) == 0) {
        is_allow = true;
        word += 6;
    }
    for (kind = 0; kind < ARRAY_SIZE(kind_words); kind++)
        if (strcmp(word, kind_words[kind]) == 0)
            break;
    if (kind == ARRAY_SIZE(kind_words)) {
        err_set(err, "%s:%d: unknown directive '%s%s'", name, lineno,
                is_allow ? "allow-" : "", word);
        return -1;
    }
    if (!*arg || arg[strcspn(arg, " \t")]) {
        err_set(err, "%s:%d: %s%s needs exactly one name", name, lineno,
                is_allow ? "allow-" : "", word);
        return -1;
    }
    why = name_problem(kind, arg);
    if (why) {
        err_set(err, "%s:%d: %s%s '%.64s' %s", name, lineno,
                is_allow ? "allow-" : "", word, arg, why);
        return -1;
    }
    if (!is_allow) {
        rule_add(p, kind, arg);
        return 0;
    }
    {
        int i = rule_find(p, kind, arg);

        if (i < 0) {
            err_set(err, "%s:%d: allow-%s %.64s: not in the list (allow- "
                    "lines remove earlier rules, e.g. after 'include "
                    "defaults')", name, lineno, word, arg);
            return -1;
        }
        free(p->rules[i].name);
        memmove(p->rules + i, p->rules + i + 1,
                (p->nrules - (size_t)i - 1) * sizeof(*p->rules));
        p->nrules--;
    }
    return 0;
}

struct policy *policy_load_string(const char *text, const char *name,
                                  char *err)
{
    struct policy *p = policy_new();
    char *copy = xstrdup(text), *line, *next;
    int lineno = 0;

    for (line = copy; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        if (parse_line(p, line, name, lineno, err) < 0) {
            policy_free(p);
            p = NULL;
            goto out;
        }
    }
    compile(p);
out:
    free(copy);
    return p;
}

struct policy *policy_load(const char *path, char *err)
{
    struct buf b = BUF_INIT(POLICY_MAX_FILE);
    struct policy *p = NULL;
    char chunk[4096];
    FILE *f = fopen(path, "r");
    size_t n;

    if (!f) {
        if (errno == ENOENT)
            return policy_default();
        err_set(err, "%s: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        n = fread(chunk, 1, sizeof(chunk), f);
        if (n == 0)
            break;
        if (buf_append(&b, chunk, n) < 0) {
            err_set(err, "%s: larger than %d bytes", path, POLICY_MAX_FILE);
            goto out;
        }
    }
    if (ferror(f)) {
        err_set(err, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (memchr(buf_cstr(&b), '\0', b.len)) {
        err_set(err, "%s: contains a NUL byte", path);
        goto out;
    }
    p = policy_load_string(buf_cstr(&b), path, err);
out:
    fclose(f);
    buf_release(&b);
    return p;
}

int policy_load_configured(const struct conf *c, struct policy **out,
                           char *err)
{
    *out = NULL;
    if (!c->policy)
        return 0;
    if (access(c->policy_file, F_OK) < 0 && errno == ENOENT
        && strcmp(c->policy_file, conf_default_policy_path()) != 0) {
        err_set(err, "%s: no such file", c->policy_file);
        return -1;
    }
    *out = policy_load(c->policy_file, err);
    return *out ? 0 : -1;
}

void policy_write(const struct policy *p, struct buf *out)
{
    for (size_t i = 0; i < p->nrules; i++)
        buf_appendf(out, "%s %s\n", kind_words[p->rules[i].kind],
                    p->rules[i].name);
}

/* ---- Checking -------------------------------------------------------- */

int policy_check(const struct policy *p, const char *src, size_t len,
                 struct policy_result *out)
{
    memset(out, 0, sizeof(*out));
    return policy_scan(p, src, len, out);
}

void policy_result_release(struct policy_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i].name);
    free(r->v);
    r->v = NULL;
    r->n = r->cap = 0;
}

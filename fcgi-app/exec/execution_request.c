/* execution_request.c - see execution_request.h.  Optional fields may
 * be null, which means "use the default": clients generated from typed
 * models often send them. */
#include "config.h"
#include "exec/execution_request.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <uuid/uuid.h>

#include "base/cell.h"
#include "base/conf.h"
#include "base/json.h"
#include "base/util.h"
#include "exec/callback_url.h"
#include "policy/pytok.h"

void execution_request_init(struct execution_request *er,
                            const struct conf *c)
{
    char text[37];
    uuid_t u;

    memset(er, 0, sizeof(*er));
    uuid_generate_random(u);
    uuid_unparse_lower(u, text);
    if (cell_own_id(c, text, er->id, sizeof(er->id)) < 0)
        BUG("execution ids have room for a cell's tag");
    er->language = "python";
    er->timeout = c->default_timeout;
    er->memory_mb = c->default_memory_mb;
    er->stdin_data = "";
}

void execution_request_release(struct execution_request *er)
{
    free(er->tests);
    er->tests = NULL;
    er->n_tests = 0;
}

bool execution_language_ok(const char *lang)
{
    return !strcasecmp(lang, "python") || !strcasecmp(lang, "python3")
        || !strcasecmp(lang, "py");
}

bool execution_session_id_valid(const char *id)
{
    size_t n = strlen(id);

    if (n == 0 || n > SESSION_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = id[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
              || (ch >= '0' && ch <= '9') || strchr("-_.:@", ch)))
            return false;
    }
    return true;
}

/* Names are ASCII identifiers, not keywords.  Python folds the
 * identifiers of source code to NFKC, so a non-ASCII name given here
 * could differ from the same name written in the code: refused. */
static bool identifier_ok(const char *s, size_t n)
{
    if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
              || (ch >= '0' && ch <= '9') || ch == '_'))
            return false;
    }
    return !pytok_is_keyword(s, n);
}

struct name {
    const char *p;
    size_t n;
};

static int name_cmp(const void *a, const void *b)
{
    const struct name *x = a, *y = b;
    int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);

    return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* A key that o has twice, or NULL.  The runner refuses a message with
 * one (json.loads would keep only the last), at any depth. */
static const struct name *repeated_key(const struct json *o,
                                       struct name *found)
{
    struct name *names = xcalloc(o->n ? o->n : 1, sizeof(*names));
    const struct name *dup = NULL;

    for (size_t i = 0; i < o->n; i++)
        names[i] = (struct name){ o->keys[i], o->key_lens[i] };
    qsort(names, o->n, sizeof(*names), name_cmp);
    for (size_t i = 1; i < o->n && !dup; i++)
        if (name_cmp(&names[i - 1], &names[i]) == 0) {
            *found = names[i];
            dup = found;
        }
    free(names);
    return dup;
}

/* Checks the values inside variable `var` for repeated keys. */
static int check_value(const struct json *v, const char *var, char *err)
{
    struct name dup;

    if (v->type == JSON_OBJECT && repeated_key(v, &dup)) {
        err_set(err, "variables: '%.80s' holds an object with the key "
                "'%.*s' twice", var, (int)(dup.n > 80 ? 80 : dup.n), dup.p);
        return -1;
    }
    if (v->type == JSON_OBJECT || v->type == JSON_ARRAY)
        for (size_t i = 0; i < v->n; i++)
            if (check_value(v->items[i], var, err) < 0)
                return -1;
    return 0;
}

int execution_request_check_variables(const struct json *vars, char *err)
{
    struct name dup;

    if (vars->type != JSON_OBJECT) {
        err_set(err, "variables must be a JSON object of name: value, not "
                "%s", json_type_name(vars->type));
        return -1;
    }
    for (size_t i = 0; i < vars->n; i++)
        if (!identifier_ok(vars->keys[i], vars->key_lens[i])) {
            err_set(err, "variables: '%.*s' is not a valid Python "
                    "identifier (ASCII letters, digits and _, not a "
                    "keyword)", (int)(vars->key_lens[i] > 80
                                      ? 80 : vars->key_lens[i]),
                    vars->keys[i]);
            return -1;
        }
    if (repeated_key(vars, &dup)) {
        err_set(err, "variables: '%.*s' is given twice",
                (int)(dup.n > 80 ? 80 : dup.n), dup.p);
        return -1;
    }
    for (size_t i = 0; i < vars->n; i++)
        if (check_value(vars->items[i], vars->keys[i], err) < 0)
            return -1;
    return 0;
}

/* The value of the first present (non-null) of two alias names. */
static const struct json *field2(const struct json *o, const char *a,
                                 const char *b, const char **name)
{
    const struct json *v = json_get(o, a);

    *name = a;
    if (v && v->type != JSON_NULL)
        return v;
    v = b ? json_get(o, b) : NULL;
    if (v && v->type != JSON_NULL) {
        *name = b;
        return v;
    }
    return NULL;
}

static enum result invalid(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static enum result invalid(char *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, ERR_LEN, fmt, ap);
    va_end(ap);
    return RESULT_INVALID_REQUEST;
}

static enum result want_string(const struct json *v, const char *name,
                               char *err)
{
    if (v->type != JSON_STRING)
        return invalid(err, "%s must be a string, not %s", name,
                       json_type_name(v->type));
    return RESULT_OK;
}

/* Test case i's string field a (or its alias b), or NULL when absent;
 * *r is set when it is there but not a string. */
static const struct json *test_string(const struct json *tc, size_t i,
                                      const char *a, const char *b,
                                      enum result *r, char *err)
{
    const char *name;
    const struct json *v = field2(tc, a, b, &name);

    if (v && v->type != JSON_STRING) {
        *r = invalid(err, "test_cases[%zu].%s must be a string", i, name);
        return NULL;
    }
    return v;
}

static enum result parse_test_case(const struct json *tc, size_t i,
                                   struct test_case *t, char *err)
{
    enum result r = RESULT_OK;
    const struct json *code, *in = NULL, *expected = NULL;

    if (tc->type != JSON_OBJECT)
        return invalid(err, "test_cases[%zu] must be an object", i);
    code = test_string(tc, i, "code", NULL, &r, err);
    if (r == RESULT_OK)
        in = test_string(tc, i, "stdin", "input", &r, err);
    if (r == RESULT_OK)
        expected = test_string(tc, i, "expected_output", NULL, &r, err);
    if (r != RESULT_OK)
        return r;
    t->code = code ? code->str : "";
    t->code_len = code ? code->len : 0;
    t->stdin_data = in ? in->str : "";
    t->stdin_len = in ? in->len : 0;
    t->input = in ? in->str : NULL;
    if (expected) {
        t->expected = expected->str;
        t->expected_len = expected->len;
    }
    return RESULT_OK;
}

/* What a field's parser works on. */
struct parse {
    const struct conf *c;
    struct execution_request *er;
    char *err;
};

/* Each field below has a parser, called with its value when it is
 * present and not null (a string, when is_string says so: checked
 * first). */
struct field {
    const char *name, *alias;
    bool is_string;
    enum result (*parse)(const struct json *v, const char *name,
                         struct parse *p);
};

static enum result parse_language(const struct json *v, const char *name,
                                  struct parse *p)
{
    UNUSED(name);
    if (!execution_language_ok(v->str))
        return invalid(p->err, "language '%.40s' is not supported: use "
                       "\"python\"", v->str);
    p->er->language = v->str;
    return RESULT_OK;
}

static enum result parse_stdin(const struct json *v, const char *name,
                               struct parse *p)
{
    UNUSED(name);
    p->er->stdin_data = v->str;
    p->er->stdin_len = v->len;
    return RESULT_OK;
}

static enum result parse_timeout(const struct json *v, const char *name,
                                 struct parse *p)
{
    UNUSED(name);
    if (v->type != JSON_NUMBER)
        return invalid(p->err, "timeout must be a number of seconds, not "
                       "%s", json_type_name(v->type));
    if (!(v->number > 0) || v->number > p->c->max_timeout)
        return invalid(p->err, "timeout must be above 0 and at most %g "
                       "seconds (max_timeout)", p->c->max_timeout);
    p->er->timeout = v->number;
    return RESULT_OK;
}

static enum result parse_memory(const struct json *v, const char *name,
                                struct parse *p)
{
    UNUSED(name);
    if (v->type != JSON_NUMBER || !v->is_integer)
        return invalid(p->err, "max_memory_mb must be an integer number "
                       "of MB");
    if (v->integer < 16 || v->integer > p->c->max_memory_mb)
        return invalid(p->err, "max_memory_mb must be between 16 and %ld",
                       p->c->max_memory_mb);
    p->er->memory_mb = (long)v->integer;
    return RESULT_OK;
}

static enum result parse_id(const struct json *v, const char *name,
                            struct parse *p)
{
    UNUSED(name);
    if (v->len != strlen(v->str) || !is_safe_id(v->str, EXECUTION_ID_MAX))
        return invalid(p->err, "execution_id must match "
                       "[A-Za-z0-9_-]{1,64}");
    if (cell_own_id(p->c, v->str, p->er->id, sizeof(p->er->id)) < 0)
        return invalid(p->err, "execution_id with this cell's tag \"%s.\" "
                       "must be at most %d characters", p->c->node_name,
                       EXECUTION_ID_MAX);
    p->er->id_given = true;
    return RESULT_OK;
}

static enum result parse_session(const struct json *v, const char *name,
                                 struct parse *p)
{
    if (v->len != strlen(v->str) || !execution_session_id_valid(v->str))
        return invalid(p->err, "%s must be 1-%d characters of "
                       "[A-Za-z0-9_.:@-]", name, SESSION_ID_MAX);
    if (cell_own_id(p->c, v->str, p->er->session_tagged,
                    sizeof(p->er->session_tagged)) < 0)
        return invalid(p->err, "%s with this cell's tag \"%s.\" must be at "
                       "most %d characters", name, p->c->node_name,
                       SESSION_ID_MAX);
    p->er->session_id = p->er->session_tagged;
    return RESULT_OK;
}

static enum result parse_variables(const struct json *v, const char *name,
                                   struct parse *p)
{
    UNUSED(name);
    if (execution_request_check_variables(v, p->err) < 0)
        return RESULT_INVALID_REQUEST;
    p->er->variables = v;
    return RESULT_OK;
}

static enum result parse_tests(const struct json *v, const char *name,
                               struct parse *p)
{
    struct execution_request *er = p->er;

    UNUSED(name);
    if (v->type != JSON_ARRAY)
        return invalid(p->err, "test_cases must be an array of objects, "
                       "not %s", json_type_name(v->type));
    if (v->n > EXECUTION_MAX_TESTS)
        return invalid(p->err, "test_cases has %zu entries; at most %d are "
                       "allowed", v->n, EXECUTION_MAX_TESTS);
    er->tests = xcalloc(v->n ? v->n : 1, sizeof(*er->tests));
    er->n_tests = v->n;
    for (size_t i = 0; i < v->n; i++)
        if (parse_test_case(v->items[i], i, &er->tests[i], p->err)
            != RESULT_OK)
            return RESULT_INVALID_REQUEST;
    /* session_id is read before test_cases. */
    if (er->n_tests && er->session_id)
        return invalid(p->err, "test_cases run in fresh processes and "
                       "can't be combined with session_id");
    return RESULT_OK;
}

static enum result parse_stop(const struct json *v, const char *name,
                              struct parse *p)
{
    UNUSED(name);
    if (v->type != JSON_BOOL)
        return invalid(p->err, "stop_on_first_failure must be true or "
                       "false");
    p->er->stop_on_first_failure = v->boolean;
    return RESULT_OK;
}

static enum result parse_callback(const struct json *v, const char *name,
                                  struct parse *p)
{
    UNUSED(name);
    if (v->len != strlen(v->str))
        return invalid(p->err, "callback_url must not contain NUL");
    if (callback_url_check(p->c->callback_allow, v->str, p->err)
        != RESULT_OK)
        return RESULT_INVALID_REQUEST;
    p->er->callback_url = v->str;
    return RESULT_OK;
}

/* In the order they are checked: the first bad one is reported. */
static const struct field fields[] = {
    { "language", NULL, true, parse_language },
    { "stdin", "input_data", true, parse_stdin },
    { "timeout", NULL, false, parse_timeout },
    { "max_memory_mb", NULL, false, parse_memory },
    { "execution_id", NULL, true, parse_id },
    { "session_id", "user_uuid", true, parse_session },
    { "variables", NULL, false, parse_variables },
    { "test_cases", NULL, false, parse_tests },
    { "stop_on_first_failure", NULL, false, parse_stop },
    { "callback_url", NULL, true, parse_callback },
};

enum result execution_request_parse(const struct json *body,
                                    const struct conf *c,
                                    struct execution_request *er, char *err)
{
    const struct json *v = json_get(body, "code");

    execution_request_init(er, c);
    if (!v || v->type == JSON_NULL)
        return invalid(err, "code is required: the Python source to run");
    if (want_string(v, "code", err) != RESULT_OK)
        return RESULT_INVALID_REQUEST;
    if (v->len > (size_t)c->max_code_bytes) {
        err_set(err, "code is %zu bytes; max_code_bytes is %ld", v->len,
                c->max_code_bytes);
        return RESULT_TOO_LARGE;
    }
    er->code = v->str;
    er->code_len = v->len;
    for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
        struct parse p = { c, er, err };
        const char *name;
        enum result r = RESULT_OK;

        v = field2(body, fields[i].name, fields[i].alias, &name);
        if (v && fields[i].is_string)
            r = want_string(v, name, err);
        if (v && r == RESULT_OK)
            r = fields[i].parse(v, name, &p);
        if (r != RESULT_OK)
            return r;
    }
    return RESULT_OK;
}

/* execution_request.c - see execution_request.h.  Optional fields may
 * be null, which means "use the default": clients generated from typed
 * models often send them. */
#include "config.h"
#include "exec/execution_request.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <uuid/uuid.h>

#include "base/conf.h"
#include "base/json.h"
#include "base/util.h"

static const char *const python_keywords[] = {
    "False", "None", "True", "and", "as", "assert", "async", "await",
    "break", "class", "continue", "def", "del", "elif", "else", "except",
    "finally", "for", "from", "global", "if", "import", "in", "is",
    "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try",
    "while", "with", "yield",
};

void execution_request_init(struct execution_request *er, const struct conf *c)
{
    uuid_t u;

    memset(er, 0, sizeof(*er));
    uuid_generate_random(u);
    uuid_unparse_lower(u, er->id);
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

/* ASCII identifiers are checked exactly; names with non-ASCII letters
 * are accepted when their ASCII part fits, and the runner applies
 * str.isidentifier() to them. */
static bool identifier_ok(const char *s, size_t n)
{
    if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch >= 0x80)
            continue;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
              || (ch >= '0' && ch <= '9') || ch == '_'))
            return false;
    }
    for (size_t i = 0; i < ARRAY_SIZE(python_keywords); i++)
        if (strlen(python_keywords[i]) == n
            && memcmp(python_keywords[i], s, n) == 0)
            return false;
    return utf8_valid(s, n);
}

int execution_request_check_variables(const struct json *vars, char *err)
{
    if (vars->type != JSON_OBJECT) {
        err_set(err, "variables must be a JSON object of name: value, not "
                "%s", json_type_name(vars->type));
        return -1;
    }
    for (size_t i = 0; i < vars->n; i++)
        if (!identifier_ok(vars->keys[i], vars->key_lens[i])) {
            err_set(err, "variables: '%.*s' is not a valid Python "
                    "identifier", (int)(vars->key_lens[i] > 80
                                        ? 80 : vars->key_lens[i]),
                    vars->keys[i]);
            return -1;
        }
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

static int want_string(const struct json *v, const char *name, char *err)
{
    if (v->type != JSON_STRING) {
        err_set(err, "%s must be a string, not %s", name,
                json_type_name(v->type));
        return -1;
    }
    return 0;
}

static int parse_tests(const struct json *arr, struct execution_request *er, char *err)
{
    if (arr->type != JSON_ARRAY) {
        err_set(err, "test_cases must be an array of objects, not %s",
                json_type_name(arr->type));
        return -1;
    }
    if (arr->n > EXECUTION_MAX_TESTS) {
        err_set(err, "test_cases has %zu entries; at most %d are allowed",
                arr->n, EXECUTION_MAX_TESTS);
        return -1;
    }
    er->tests = xcalloc(arr->n ? arr->n : 1, sizeof(*er->tests));
    er->n_tests = arr->n;
    for (size_t i = 0; i < arr->n; i++) {
        const struct json *tc = arr->items[i], *v;
        struct test_case *t = &er->tests[i];
        const char *name;

        if (tc->type != JSON_OBJECT) {
            err_set(err, "test_cases[%zu] must be an object", i);
            return -1;
        }
        t->code = "";
        t->stdin_data = "";
        v = field2(tc, "code", NULL, &name);
        if (v) {
            if (v->type != JSON_STRING) {
                err_set(err, "test_cases[%zu].code must be a string", i);
                return -1;
            }
            t->code = v->str;
            t->code_len = v->len;
        }
        v = field2(tc, "stdin", "input", &name);
        if (v) {
            if (v->type != JSON_STRING) {
                err_set(err, "test_cases[%zu].%s must be a string", i, name);
                return -1;
            }
            t->stdin_data = v->str;
            t->stdin_len = v->len;
            t->input = v->str;
        }
        v = field2(tc, "expected_output", NULL, &name);
        if (v) {
            if (v->type != JSON_STRING) {
                err_set(err, "test_cases[%zu].expected_output must be a "
                        "string", i);
                return -1;
            }
            t->expected = v->str;
            t->expected_len = v->len;
        }
    }
    return 0;
}

int execution_request_parse(const struct json *body, const struct conf *c, struct execution_request *er,
              bool *too_large, char *err)
{
    const struct json *v;
    const char *name;

    *too_large = false;
    execution_request_init(er, c);
    v = json_get(body, "code");
    if (!v || v->type == JSON_NULL) {
        err_set(err, "code is required: the Python source to run");
        return -1;
    }
    if (want_string(v, "code", err) < 0)
        return -1;
    if (v->len > (size_t)c->max_code_bytes) {
        *too_large = true;
        err_set(err, "code is %zu bytes; max_code_bytes is %ld", v->len,
                c->max_code_bytes);
        return -1;
    }
    er->code = v->str;
    er->code_len = v->len;

    v = field2(body, "language", NULL, &name);
    if (v) {
        if (want_string(v, "language", err) < 0)
            return -1;
        if (!execution_language_ok(v->str)) {
            err_set(err, "language '%.40s' is not supported: use \"python\"",
                    v->str);
            return -1;
        }
        er->language = v->str;
    }

    v = field2(body, "stdin", "input_data", &name);
    if (v) {
        if (want_string(v, name, err) < 0)
            return -1;
        er->stdin_data = v->str;
        er->stdin_len = v->len;
    }

    v = field2(body, "timeout", NULL, &name);
    if (v) {
        if (v->type != JSON_NUMBER) {
            err_set(err, "timeout must be a number of seconds, not %s",
                    json_type_name(v->type));
            return -1;
        }
        if (!(v->number > 0) || v->number > c->max_timeout) {
            err_set(err, "timeout must be above 0 and at most %g seconds "
                    "(max_timeout)", c->max_timeout);
            return -1;
        }
        er->timeout = v->number;
    }

    v = field2(body, "max_memory_mb", NULL, &name);
    if (v) {
        if (v->type != JSON_NUMBER || !v->is_integer) {
            err_set(err, "max_memory_mb must be an integer number of MB");
            return -1;
        }
        if (v->integer < 16 || v->integer > c->max_memory_mb) {
            err_set(err, "max_memory_mb must be between 16 and %ld",
                    c->max_memory_mb);
            return -1;
        }
        er->memory_mb = (long)v->integer;
    }

    v = field2(body, "execution_id", NULL, &name);
    if (v) {
        if (want_string(v, "execution_id", err) < 0)
            return -1;
        if (v->len != strlen(v->str) || !is_safe_id(v->str, EXECUTION_ID_MAX)) {
            err_set(err, "execution_id must match [A-Za-z0-9_-]{1,64}");
            return -1;
        }
        snprintf(er->id, sizeof(er->id), "%s", v->str);
        er->id_given = true;
    }

    v = field2(body, "session_id", "user_uuid", &name);
    if (v) {
        if (want_string(v, name, err) < 0)
            return -1;
        if (v->len != strlen(v->str) || !execution_session_id_valid(v->str)) {
            err_set(err, "%s must be 1-%d characters of [A-Za-z0-9_.:@-]",
                    name, SESSION_ID_MAX);
            return -1;
        }
        er->session_id = v->str;
    }

    v = field2(body, "variables", NULL, &name);
    if (v) {
        if (execution_request_check_variables(v, err) < 0)
            return -1;
        er->variables = v;
    }

    v = field2(body, "test_cases", NULL, &name);
    if (v && parse_tests(v, er, err) < 0)
        return -1;
    if (er->n_tests && er->session_id) {
        err_set(err, "test_cases run in fresh processes and can't be combined "
                "with session_id");
        return -1;
    }

    v = field2(body, "stop_on_first_failure", NULL, &name);
    if (v) {
        if (v->type != JSON_BOOL) {
            err_set(err, "stop_on_first_failure must be true or false");
            return -1;
        }
        er->stop_on_first_failure = v->boolean;
    }
    return 0;
}

/* fuzz_policy.c - libFuzzer target: arbitrary bytes as Python source
 * through the tokenizer and the analysis under the default policy, and as
 * a policy.conf (which, if it loads, then checks a fixed program).  No
 * crash, no leak, no undefined behaviour, and sane results. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char program[] =
    "import os, subprocess as sp\nfrom os import *\n"
    "o = os\ngetattr(o, 'system')(f'{sp.run}')\n"
    "x = __import__('a.b').c.d(e, f=os.path)\n";

static void check(const struct policy *p, const char *src, size_t len)
{
    struct policy_result r;

    if (policy_check(p, src, len, &r) != 0)
        abort();
    if (r.n > POLICY_MAX_VIOLATIONS || (r.n && !r.v))
        abort();
    for (size_t i = 0; i < r.n; i++) {
        if (!r.v[i].rule || !r.v[i].name || r.v[i].line < 1
            || r.v[i].col < 1)
            abort();
        if (i && (r.v[i].line < r.v[i - 1].line
                  || (r.v[i].line == r.v[i - 1].line
                      && r.v[i].col < r.v[i - 1].col)))
            abort();
    }
    if (r.tokenize_failed && strncmp(r.tokenize_error, "line ", 5) != 0)
        abort();
    policy_result_release(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct policy *def;
    char err[ERR_LEN];
    char *text;
    struct policy *p;

    if (!def)
        def = policy_default();
    check(def, (const char *)data, size);

    /* The same bytes as a policy.conf (up to a NUL, as a C string). */
    text = xstrndup((const char *)data, size);
    p = policy_load_string(text, "fuzz.conf", err);
    if (p) {
        check(p, program, sizeof(program) - 1);
        policy_free(p);
    } else if (strncmp(err, "fuzz.conf:", 10) != 0) {
        abort();
    }
    free(text);
    return 0;
}

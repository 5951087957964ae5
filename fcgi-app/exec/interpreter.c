/* interpreter.c - see interpreter.h. */
#include "config.h"
#include "exec/interpreter.h"

#include <string.h>

#include "policy/pytok.h"

/* The runner preloads the first three; the others import numpy at once,
 * so their programs gain the same from the heavy fork. */
static const char *const heavy_packages[] = {
    "numpy", "pandas", "matplotlib", "pylab", "mpl_toolkits", "scipy",
    "sklearn", "seaborn", "statsmodels",
};

/* Whether s[0..n) is a heavy package or a dotted name inside one. */
static bool names_heavy(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof heavy_packages / sizeof *heavy_packages;
         i++) {
        size_t k = strlen(heavy_packages[i]);

        if (n >= k && memcmp(s, heavy_packages[i], k) == 0
            && (n == k || s[k] == '.'))
            return true;
    }
    return false;
}

static bool token_is_heavy(const char *src, const struct pytok_token *t)
{
    /* Longer than any package name with a dotted tail worth reading. */
    char buf[256];
    size_t n;

    if (t->type == PYTOK_NAME)
        return pytok_name_fold(src + t->off, t->len, buf, sizeof buf, &n) == 0
               && names_heavy(buf, n);
    if (t->type == PYTOK_STRING)
        return pytok_string_value(src + t->off, t->len, buf, sizeof buf,
                                  &n) == 0
               && names_heavy(buf, n);
    return false;
}

bool interpreter_is_light(const char *src, size_t len)
{
    struct pytok *t = pytok_new(src, len);
    struct pytok_token tok;
    bool light = true;

    for (;;) {
        if (pytok_next(t, &tok) < 0) {
            light = false;
            break;
        }
        if (tok.type == PYTOK_ENDMARKER)
            break;
        if (token_is_heavy(src, &tok)) {
            light = false;
            break;
        }
    }
    pytok_free(t);
    return light;
}

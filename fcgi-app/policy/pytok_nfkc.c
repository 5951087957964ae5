/* pytok_nfkc.c - identifiers folded as Python folds them when it
 * compiles (PEP 3131: NFKC), as far as the result is ASCII (see
 * pytok_name_fold in pytok.h).  The table is generated at build time by
 * scripts/gen-nfkc-table from the Unicode data of python3's
 * unicodedata. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "policy/pytok_int.h"

struct nfkc_run {
    uint32_t lo, hi;
    const char *to;
};

#include "policy/nfkc_table.h"

/* The ASCII NFKC form of one non-ASCII code point, or NULL.  *one gets
 * the character when a run maps it (to is then not the answer). */
static const char *nfkc_ascii(uint32_t cp, char *one)
{
    size_t lo = 0, hi = ARRAY_SIZE(nfkc_runs);

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct nfkc_run *r = &nfkc_runs[mid];

        if (cp < r->lo) {
            hi = mid;
        } else if (cp > r->hi) {
            lo = mid + 1;
        } else {
            if (r->lo == r->hi)
                return r->to;
            one[0] = (char)(r->to[0] + (int)(cp - r->lo));
            one[1] = '\0';
            return one;
        }
    }
    return NULL;
}

int pytok_name_fold(const char *name, size_t n, char *out, size_t cap,
                    size_t *outlen)
{
    const unsigned char *s = (const unsigned char *)name;
    size_t i = 0, o = 0;

    while (i < n) {
        char one[2];
        const char *to;
        uint32_t cp;
        size_t k = tok_utf8_decode(s + i, n - i, &cp), m;

        if (!k)
            return -1;
        i += k;
        if (cp < 0x80) {
            one[0] = (char)cp;
            one[1] = '\0';
            to = one;
        } else {
            to = nfkc_ascii(cp, one);
            if (!to)
                return -1;
        }
        m = strlen(to);
        if (o + m >= cap)
            return -1;
        memcpy(out + o, to, m);
        o += m;
    }
    if (o >= cap)
        return -1;
    out[o] = '\0';
    *outlen = o;
    return 0;
}


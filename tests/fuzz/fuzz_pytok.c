/* fuzz_pytok.c - libFuzzer target: arbitrary bytes through the tokenizer
 * alone, checking the stream's invariants (it ends, offsets stay inside
 * the input and never go backwards, positions are 1-based), and through
 * the helpers that read token text: name folding and string values. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "policy/pytok.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *src = (const char *)data;
    struct pytok *t = pytok_new(src, size);
    struct pytok_token tok;
    size_t count = 0, last = 0;
    char out[64], name[16];
    size_t n;
    int line;

    for (;;) {
        if (pytok_next(t, &tok) < 0) {
            int l, c;

            pytok_error(t, &l, &c);
            if (l < 1 || c < 1 || pytok_next(t, &tok) != -1)
                abort();
            break;
        }
        if (tok.off + tok.len > size || tok.line < 1 || tok.col < 1)
            abort();
        if (tok.off < last && tok.type != PYTOK_DEDENT)
            abort();
        last = tok.off;
        if (++count > 3 * size + 2 * PYTOK_MAX_INDENT + 4)
            abort();                    /* it must end */
        if (tok.type == PYTOK_NAME) {
            if (pytok_name_fold(src + tok.off, tok.len, out, sizeof(out),
                                &n) == 0 && (n >= sizeof(out) || out[n]))
                abort();
        } else if (tok.type == PYTOK_STRING) {
            if (pytok_string_value(src + tok.off, tok.len, out, sizeof(out),
                                   &n) == 0 && (n >= sizeof(out) || out[n]))
                abort();
        } else if (tok.type == PYTOK_ENDMARKER) {
            break;
        }
    }
    pytok_free(t);
    /* The helpers on the raw bytes too, as if they were one token. */
    if (pytok_string_value(src, size, out, sizeof(out), &n) == 0
        && (n >= sizeof(out) || out[n]))
        abort();
    if (pytok_name_fold(src, size, out, sizeof(out), &n) == 0
        && (n >= sizeof(out) || out[n]))
        abort();
    if (pytok_find_coding(src, size, name, sizeof(name), &line)
        && (strlen(name) >= sizeof(name) || line < 1 || line > 2))
        abort();
    return 0;
}

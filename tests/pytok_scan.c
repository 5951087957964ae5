/* pytok_scan.c - runs the tokenizer over files, for the stdlib differential
 * test (tests/unit/pytok_stdlib.sh) and for comparing token streams with
 * CPython's tokenize module by hand.
 *
 *   pytok_scan [-q] FILE...     prints "FILE: error" for each file the
 *                               tokenizer rejects; "-" reads names from
 *                               stdin; -q prints only the summary line
 *   pytok_scan -d FILE          dumps "TYPE LINE COL TEXT" per token
 *
 * Exit status: 0 when every file tokenized, 1 otherwise, 2 on usage or
 * I/O errors. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"
#include "policy/pytok.h"

static int read_file(const char *path, struct buf *b)
{
    FILE *f = fopen(path, "rb");
    char chunk[65536];
    size_t n;
    int rc = 0;

    if (!f)
        return -1;
    buf_reset(b);
    for (;;) {
        n = fread(chunk, 1, sizeof(chunk), f);
        if (n == 0)
            break;
        buf_append(b, chunk, n);
    }
    if (ferror(f))
        rc = -1;
    fclose(f);
    return rc;
}

static void dump_text(const char *p, size_t n)
{
    putchar('\'');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];

        if (c == '\\' || c == '\'')
            printf("\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    putchar('\'');
}

/* Returns 0 if the file tokenized, 1 if not, 2 if it could not be read. */
static int scan(const char *path, struct buf *b, bool is_dump,
                size_t *ntokens)
{
    struct pytok *t;
    struct pytok_token tok;
    int rc = 0;

    if (read_file(path, b) < 0) {
        fprintf(stderr, "pytok_scan: %s: cannot read\n", path);
        return 2;
    }
    t = pytok_new(b->data ? b->data : "", b->len);
    for (;;) {
        if (pytok_next(t, &tok) < 0) {
            printf("%s: %s\n", path, pytok_error(t, NULL, NULL));
            rc = 1;
            break;
        }
        (*ntokens)++;
        if (is_dump) {
            printf("%s %d %d ", pytok_type_name(tok.type), tok.line,
                   tok.col);
            dump_text(b->data + tok.off, tok.len);
            putchar('\n');
        }
        if (tok.type == PYTOK_ENDMARKER)
            break;
    }
    pytok_free(t);
    return rc;
}

int main(int argc, char **argv)
{
    struct buf b = BUF_INIT(0);
    bool is_dump = false, is_quiet = false;
    size_t nfiles = 0, nbad = 0, ntokens = 0, nbytes = 0;
    double t0 = now_ms();
    int i = 1, rc = 0;

    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (strcmp(argv[i], "-d") == 0) {
            is_dump = true;
        } else if (strcmp(argv[i], "-q") == 0) {
            is_quiet = true;
        } else {
            fprintf(stderr, "usage: pytok_scan [-d] [-q] FILE...\n");
            return 2;
        }
    }
    for (; i < argc; i++) {
        char line[4096];
        bool is_stdin = strcmp(argv[i], "-") == 0;

        while (is_stdin ? fgets(line, sizeof(line), stdin) != NULL : true) {
            const char *path = argv[i];
            int r;

            if (is_stdin) {
                line[strcspn(line, "\n")] = '\0';
                if (!line[0])
                    continue;
                path = line;
            }
            r = scan(path, &b, is_dump, &ntokens);
            nfiles++;
            nbytes += b.len;
            if (r == 1)
                nbad++;
            if (r > rc)
                rc = r;
            if (!is_stdin)
                break;
        }
    }
    if (!is_dump) {
        double ms = now_ms() - t0;

        printf("%s%zu files, %zu bytes, %zu tokens, %zu rejected, "
               "%.0f ms (%.1f MB/s)\n", is_quiet ? "" : "# ", nfiles,
               nbytes, ntokens, nbad, ms,
               ms > 0 ? (double)nbytes / 1e3 / ms : 0.0);
    }
    buf_release(&b);
    return rc;
}

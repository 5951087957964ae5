/* fuzz_runner.c - the parser of what a sandbox runner sends back.  The
 * runner shares a container with untrusted code, so its replies are
 * untrusted: frames of any type, size and content, fed in random chunk
 * sizes, must never crash, leak or exceed the caps. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "base/util.h"
#include "sandbox/runner_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct runner_limits lim = { 4096, 3, 8192, 2, 8192 };
    struct runner_reply r;
    struct frame_parser *fp;
    char err[ERR_LEN];
    size_t i = 0, step;

    if (size < 1)
        return 0;
    /* The first byte picks the chunk size, as reads would split it. */
    step = (size_t)data[0] % 64 + 1;
    data++;
    size--;
    runner_reply_init(&r, &lim);
    fp = frame_parser_new(&lim, &r);
    while (i < size) {
        size_t n = size - i < step ? size - i : step;

        if (frame_parser_feed(fp, (const char *)data + i, n, err) != 0)
            break;
        i += n;
    }
    if (r.out.len > lim.max_output || r.err.len > lim.max_output)
        abort();
    if ((int)r.n_files > lim.max_images + lim.max_files)
        abort();
    frame_parser_free(fp);
    runner_reply_release(&r);
    return 0;
}

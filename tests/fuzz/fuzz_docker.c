/* fuzz_docker.c - libFuzzer target for the parsers of Docker's replies:
 * every input goes through all four (log demux, inspect, list, error),
 * and their promises are checked: rc in range, streams within max,
 * fixed fields NUL-terminated within their size, err one line of valid
 * UTF-8 shorter than ERR_LEN.  ASan/UBSan catch the rest. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"
#include "docker/docker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond)
        abort();
}

static void on_container(const struct docker_container *c, void *arg)
{
    int *n = arg;

    check(memchr(c->id, '\0', sizeof(c->id)) != NULL && c->id[0]);
    check(memchr(c->name, '\0', sizeof(c->name)) != NULL);
    check(memchr(c->state, '\0', sizeof(c->state)) != NULL);
    (*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    struct buf out = BUF_INIT(0), errout = BUF_INIT(0);
    struct buf small = BUF_INIT(7);
    struct docker_state st;
    char err[ERR_LEN];
    size_t max = size ? (size_t)data[0] % 64 + 1 : 1;
    int rc, n = 0;

    /* The demultiplexer: unbounded, then a small max and a buf cap. */
    rc = docker_demux(p, size, &out, &errout, 0);
    check(rc >= -1 && rc <= 1);
    check(out.len + errout.len <= size);
    buf_reset(&out);
    rc = docker_demux(p, size, &out, &small, max);
    check(rc >= -1 && rc <= 1);
    check(out.len <= max && small.len <= 7);

    rc = docker_parse_inspect(p, size, &st);
    check(rc == 0 || rc == -1);
    check(memchr(st.status, '\0', sizeof(st.status)) != NULL);
    check(rc == 0 ? st.exists : !st.exists && !st.status[0]);

    rc = docker_parse_list(p, size, on_container, &n);
    check(rc == -1 ? n == 0 : rc == n);

    docker_parse_error(p, size, size % 600, err);
    check(strlen(err) < ERR_LEN);
    check(utf8_valid(err, strlen(err)));
    check(strchr(err, '\n') == NULL);

    buf_release(&out);
    buf_release(&errout);
    buf_release(&small);
    return 0;
}

/* test_store.c - see test_store.h. */
#include "config.h"
#include "fakes/test_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/util.h"
#include "store/store.h"

int test_store_open(struct test_store *t)
{
    char err[ERR_LEN];

    snprintf(t->dir, sizeof(t->dir), "/tmp/pyexec-test-XXXXXX");
    if (!mkdtemp(t->dir))
        return -1;
    snprintf(t->path, sizeof(t->path), "%s/pyexec.db", t->dir);
    t->s = store_open(t->path, 1000, true, err);
    if (!t->s) {
        fprintf(stderr, "store_open: %s\n", err);
        return -1;
    }
    return 0;
}

void test_store_close(struct test_store *t)
{
    char p[112];

    store_close(t->s);
    unlink(t->path);
    snprintf(p, sizeof(p), "%s-wal", t->path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", t->path);
    unlink(p);
    rmdir(t->dir);
}

int test_store_setup(void **state)
{
    struct test_store *t = calloc(1, sizeof(*t));

    if (test_store_open(t) < 0) {
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

int test_store_teardown(void **state)
{
    test_store_close(*state);
    free(*state);
    return 0;
}

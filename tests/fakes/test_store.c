/* test_store.c - see test_store.h. */
#include "config.h"
#include "fakes/test_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/util.h"
#include "store/store.h"

int test_store_setup(void **state)
{
    struct test_store *f = calloc(1, sizeof(*f));
    char err[ERR_LEN];

    snprintf(f->dir, sizeof(f->dir), "/tmp/pyexec-test-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/pyexec.db", f->dir);
    f->s = store_open(f->path, 1000, true, err);
    if (!f->s) {
        fprintf(stderr, "store_open: %s\n", err);
        return -1;
    }
    *state = f;
    return 0;
}

int test_store_teardown(void **state)
{
    struct test_store *f = *state;
    char p[112];

    store_close(f->s);
    unlink(f->path);
    snprintf(p, sizeof(p), "%s-wal", f->path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", f->path);
    unlink(p);
    rmdir(f->dir);
    free(f);
    return 0;
}

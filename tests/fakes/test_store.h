/* test_store.h - a fresh store (SQLite, every migration applied) in a
 * temporary folder, for the unit tests of the store's tables: cmocka's
 * setup and teardown, with *state the struct test_store. */
#ifndef PYEXEC_TEST_STORE_H
#define PYEXEC_TEST_STORE_H

struct store;

struct test_store {
    char dir[64];
    char path[96];
    struct store *s;
};

/* Opens t's store in a new temporary folder: 0, or -1 (said on stderr);
 * closes it and removes the folder. */
int test_store_open(struct test_store *t);
void test_store_close(struct test_store *t);

int test_store_setup(void **state);
int test_store_teardown(void **state);

#endif

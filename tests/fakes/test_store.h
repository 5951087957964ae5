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

int test_store_setup(void **state);
int test_store_teardown(void **state);

#endif

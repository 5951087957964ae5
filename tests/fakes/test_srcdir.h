/* test_srcdir.h - where the source tree is, for tests that read files
 * from it: $PYEXEC_SRCDIR (make check sets it), else the tree configure
 * was run from. */
#ifndef PYEXEC_TEST_SRCDIR_H
#define PYEXEC_TEST_SRCDIR_H

const char *test_srcdir(void);

#endif

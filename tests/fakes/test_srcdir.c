/* test_srcdir.c - see test_srcdir.h. */
#include "config.h"
#include "fakes/test_srcdir.h"

#include <stdlib.h>

const char *test_srcdir(void)
{
    const char *src = getenv("PYEXEC_SRCDIR");

    return src && *src ? src : TOP_SRCDIR;
}

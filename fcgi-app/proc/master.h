/* master.h - the supervising process of pyexec-fcgi (see master.c). */
#ifndef PYEXEC_MASTER_H
#define PYEXEC_MASTER_H

#include <stdbool.h>

struct conf;

/* Runs until drained; returns the exit status.  path is reread on
 * SIGHUP. */
int master_run(struct conf *c, const char *path, bool must_exist);

#endif

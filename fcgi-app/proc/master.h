/* master.h - the supervising process of pyexec-fcgi (see master.c). */
#ifndef PYEXEC_MASTER_H
#define PYEXEC_MASTER_H

struct conf;
struct conf_source;

/* Runs until drained; returns the exit status.  The file src names is
 * reread on SIGHUP. */
int master_run(struct conf *c, const struct conf_source *src);

#endif

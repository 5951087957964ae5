/* sweep.h - pyexec-admin sweep: removes a data dir's containers while no
 * pyexec-fcgi runs on it (after a SIGKILL, or when a demo is over). */
#ifndef PYEXEC_SWEEP_H
#define PYEXEC_SWEEP_H

#include <stdbool.h>
#include <stdio.h>

struct conf;
struct store;

/* Takes the data dir's lock (refusing while pyexec-fcgi holds it), then
 * removes every container labelled with the instance id of s and its
 * runner directory and row; with keep_sessions, those held by sessions
 * stay (a restart finds them again).  Reports to out.  0, 1 when the
 * service runs or Docker fails. */
int admin_sweep(const struct conf *c, struct store *s, bool keep_sessions,
                FILE *out);

#endif

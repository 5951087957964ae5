/* admin.h - the commands of pyexec-admin, as a library so tests can call
 * them without a shell. */
#ifndef PYEXEC_ADMIN_H
#define PYEXEC_ADMIN_H

struct conf;

/* Runs argv[0] with its arguments.  Returns the exit status: 0 done,
 * 1 failed (a message went to stderr), 2 usage error. */
int admin_command(const struct conf *c, int argc, char **argv);

#endif

/* replica.h - continuous copies of the database by Litestream (SPEC §10):
 * "replicate" runs litestream beside pyexec-fcgi, copying the database
 * to replica_dir/NAME; "restore-cell" brings a lost cell's copy back on a
 * survivor, which then serves its records and images read-only. */
#ifndef PYEXEC_REPLICA_H
#define PYEXEC_REPLICA_H

#include <stdbool.h>
#include <stdio.h>

struct conf;

/* Runs litestream replicate (it does not return on success); with
 * check_only, says whether replica_dir is set and litestream found.
 * An exit status. */
int admin_replicate(const struct conf *c, bool check_only, FILE *out);

/* Restores the copy of cell name from (a replica directory or URL) into
 * replica_restored_path, and says what it holds.  An exit status. */
int admin_restore_cell(const struct conf *c, const char *name,
                       const char *from, FILE *out);

#endif

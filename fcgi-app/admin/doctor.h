/* doctor.h - "pyexec-admin doctor": checks a deployment against its
 * configuration and says, one line per check, what is wrong and how to
 * fix it.  It changes nothing: no database is created or migrated, no
 * folder made, no container started. */
#ifndef PYEXEC_DOCTOR_H
#define PYEXEC_DOCTOR_H

#include <stdio.h>

struct conf;

enum doctor_verdict { DOCTOR_OK, DOCTOR_WARN, DOCTOR_FAIL };

/* Runs every check against c and writes one line per check to out:
 *   NAME  VERDICT  what was found[; fix: what to do]
 * with VERDICT "ok", "warn" or "FAIL".  The checks, in order: config,
 * docker (reachable, engine and API version), docker-socket (can this
 * user open it; the docker group), image, runtime, data-dir, database
 * (writable, schema version), listen (socket present and accepting),
 * policy.  Checks that need Docker are not run when it is unreachable
 * (a warn line says so).  When run as root on a database owned by
 * another user, the database check runs as that user, so that SQLite's
 * -wal and -shm files are never made root's.
 * Returns the number of FAIL lines. */
int doctor_run(const struct conf *c, FILE *out);

#endif

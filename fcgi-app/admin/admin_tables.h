/* admin_tables.h - what pyexec-admin prints about keys and executions:
 * plain text tables for people, and one record as JSON. */
#ifndef PYEXEC_ADMIN_TABLES_H
#define PYEXEC_ADMIN_TABLES_H

#include <stdio.h>

struct store;

/* Every key, newest first: id, state, created, limits, name.  0 or -1. */
int admin_table_keys(struct store *s, FILE *out);

/* The newest executions (of every key when key_id is NULL), at most
 * limit.  0 or -1. */
int admin_table_executions(struct store *s, const char *key_id, int limit,
                           FILE *out);

/* One execution's full record as JSON: 1, 0 (no such execution) or -1. */
int admin_show_execution(struct store *s, const char *id, FILE *out);

#endif

/* store_executions.h - the executions and images tables: one row per accepted
 * execution, written before it runs and completed after; the images and
 * files it produced. */
#ifndef PYEXEC_STORE_EXECUTIONS_H
#define PYEXEC_STORE_EXECUTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct store;
struct jw;

/* What is known when an execution is accepted. */
struct execution_new {
    const char *id;
    const char *key_id;
    const char *session_id;     /* NULL when stateless */
    const char *request_id;
    const char *language;
    const char *code;
    size_t code_len;
    const char *stdin_data;
    size_t stdin_len;
    long timeout_ms;
    long memory_mb;
    int worker_pid;
};

/* Inserts the row as 'queued' after checking the key's limits in the same
 * transaction: max_concurrent running (0: none) and rate_per_minute
 * accepted in the last minute (0: none).  Returns 0; 1 when a limit is hit
 * (*which says "concurrent" or "rate"); 2 when the id exists; -1 on a
 * database error. */
int store_execution_admit(struct store *s, const struct execution_new *e,
                     long max_concurrent, long rate_per_minute,
                     const char **which);

/* status 'running' with the container that runs it. */
int store_execution_started(struct store *s, const char *id, const char *container);

/* The outcome of an execution (fields may be NULL). */
struct execution_done {
    const char *status;
    bool has_exit_code;
    int exit_code;
    int signal;                 /* 0: none */
    const char *out;
    size_t out_len;
    const char *err;
    size_t err_len;
    const char *result_text;
    size_t result_len;
    bool truncated;
    double execution_time;      /* seconds */
    const char *error;          /* detail for failed / blocked */
    const char *test_results;   /* JSON */
    const char *violations;     /* JSON */
    const char *timings;        /* JSON */
};
int store_execution_finish(struct store *s, const char *id,
                      const struct execution_done *d);

/* Stores a blocked execution in one step. */
int store_execution_blocked(struct store *s, const struct execution_new *e,
                       const char *detail, const char *violations_json);

/* Marks every queued/running execution of a dead worker 'interrupted';
 * returns how many, or -1. */
int store_execution_interrupt_pid(struct store *s, int pid);
/* At start-up: every queued/running execution is 'interrupted'. */
int store_execution_interrupt_all(struct store *s);

/* Writes the record as a JSON object into w.  1 found, 0 not found (or
 * owned by another key), -1 on error.  base_url prefixes image urls. */
int store_execution_write(struct store *s, const char *id, const char *key_id,
                     const char *base_url, bool full, struct jw *w);
/* Writes {"executions": [...], "next_before": ...} for a key: newest
 * first, created before `before` (ms; 0 = now), at most limit. */
int store_execution_list(struct store *s, const char *key_id, int64_t before,
                    int limit, struct jw *w);

/* Images and output files. */
struct image_new {
    const char *execution_id;
    const char *key_id;
    int seq;
    const char *kind;           /* "plot" or "file" */
    const char *name;           /* files only */
    const char *mime;
    int width, height;          /* 0 when unknown */
    const void *bytes;
    size_t size;
};
/* Stores one; writes its new unguessable id (32 hex) into id. */
int store_image_insert(struct store *s, const struct image_new *im,
                       char id[33]);

struct image_blob {
    char *mime;
    void *bytes;
    size_t size;
    char *name;
};
/* 1 and *out (caller frees with store_image_blob_release) when the image
 * exists, 0 when not, -1 on error.  Images are served by id alone: the
 * id is the capability (128 random bits). */
int store_image_get(struct store *s, const char *id, struct image_blob *out);
void store_image_blob_release(struct image_blob *b);

/* Deletes executions (and their images) created before cutoff_ms;
 * returns the number deleted or -1. */
long store_execution_purge(struct store *s, int64_t cutoff_ms);

/* For pyexec-admin: a table of recent executions (all keys when key_id
 * is NULL), and one record as JSON.  print returns 1, 0 (none) or -1. */
int store_execution_print_list(struct store *s, const char *key_id, int limit,
                          FILE *out);
int store_execution_print(struct store *s, const char *id, FILE *out);

/* Counts for /status: executions served (all time). */
long store_execution_count(struct store *s);

#endif

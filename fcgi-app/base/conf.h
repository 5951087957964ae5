/* conf.h - pyexec.conf: one table of keys, file first, then PYEXEC_<KEY>
 * from the environment.  struct conf is read-only once workers start. */
#ifndef PYEXEC_CONF_H
#define PYEXEC_CONF_H

#include <stdbool.h>

enum isolation { ISOLATION_CONTAINER, ISOLATION_PROCESS };

struct conf {
    char *listen;               /* "unix:/path" or "host:port" */
    long workers;
    char *data_dir;
    char *database;
    char *docker_host;
    char *image;
    char *runtime;
    long isolation;             /* enum isolation */
    long reuse_max;
    long pool_min_idle;
    long pool_max;
    long pool_wait_ms;          /* deprecated: -1, or copied to queue_wait */
    double cpus;
    long default_memory_mb, max_memory_mb;
    double default_timeout, max_timeout;
    long pids_limit;
    long max_body_bytes, max_code_bytes, max_output_bytes;
    long tmpfs_mb;
    long session_idle_timeout;
    long max_sessions;
    long session_wait_ms;
    char *api_keys;             /* comma-separated; NULL when none */
    char *allowed_origins;      /* comma-separated; NULL means any */
    bool anonymous;             /* accept requests without a key */
    bool policy;
    char *policy_file;
    long retention_days;
    long images_per_execution, image_max_bytes;
    long key_max_concurrent, key_rate_per_minute;
    long busy_timeout_ms;
    long log_level;
    double queue_wait;          /* seconds a request waits for a sandbox */
    long queue_max;             /* requests waiting at most; past: 503 */
    long workers_min, workers_max;  /* the worker pool's bounds */
    long workers_spare_min, workers_spare_max;  /* idle workers kept */
    long execution_storage_max, key_storage_max;   /* bytes; 0: none */
    long min_free_disk_mb;      /* below it nothing more is stored */
    char *public_url;           /* "https://host[/path]"; NULL: relative */
    char *metrics_key;          /* NULL: /metrics takes any API key */
    char *runner_dir;           /* NULL: DATA/run */
    long async_executors, async_max_queued;
    long idempotency_ttl;               /* seconds */
    char *callback_allow;               /* comma-separated; NULL: none */
    double callback_timeout;            /* seconds */
    long callback_max_in_flight;
    double callback_retry_scale;
    char *node_name;            /* this cell's tag; NULL: one node */
    char *peers;                /* "name=url,…"; NULL: none */
    char *replica_dir;          /* Litestream's copies; NULL: none */
    char *path;                 /* the file read, or NULL */
};

/* The compiled-in default paths of the config file and of the policy
 * file (policy_file). */
const char *conf_default_path(void);
const char *conf_default_policy_path(void);

/* Where a program's config came from, kept for a reload. */
struct conf_source {
    const char *path;
    bool must_exist;            /* named by --config or $PYEXEC_CONFIG */
};

/* Loads the config of a program at start-up: the file given with
 * --config (option; NULL when not given), else $PYEXEC_CONFIG, else
 * conf_default_path(); a file named by either of the first two must
 * exist.  Dies with the message on an error.  *src says which file. */
void conf_load_program(struct conf *c, const char *option,
                       struct conf_source *src);

/* Fills c with defaults, reads path (a missing file is an error only when
 * must_exist), applies PYEXEC_<KEY> from envp, then checks cross-key rules
 * and resolves DATA/ prefixes.  Returns 0, or -1 with err naming the file,
 * line and key.  On error c holds nothing that needs releasing. */
int conf_load(struct conf *c, const char *path, bool must_exist,
              char **envp, char *err);

/* Same, from a string (name is used in messages); for tests. */
int conf_load_string(struct conf *c, const char *text, const char *name,
                     char **envp, char *err);

void conf_release(struct conf *c);

/* Writes every key = value line of c to fd (for --print-config). */
void conf_print(const struct conf *c, int fd);

#endif

/* conf.c - the configuration table.  One row per key: name, type, default,
 * range and the field it fills.  Nothing here opens sockets or files other
 * than the config file itself. */
#include "config.h"
#include "base/conf.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cell.h"
#include "base/log.h"
#include "base/util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif

enum conf_type { T_INT, T_SIZE, T_DOUBLE, T_STRING, T_BOOL, T_ENUM };

struct conf_key {
    const char *name;
    enum conf_type type;
    const char *def;            /* default, as it would be written */
    double min, max;
    size_t off;
    const char *const *choices; /* T_ENUM */
};

static const char *const isolation_names[] = { "container", "process", NULL };
static const char *const level_names[] = {
    "error", "warn", "info", "debug", NULL
};

#define DEFAULT_POLICY SYSCONFDIR "/pyexec/policy.conf"
#define F(f) offsetof(struct conf, f)
#define KiB 1024.0
#define MiB (1024.0 * 1024.0)
#define GiB (1024.0 * MiB)

static const struct conf_key keys[] = {
    { "listen", T_STRING, "unix:DATA/pyexec.sock", 0, 0, F(listen), NULL },
    { "workers", T_INT, "8", 1, 256, F(workers), NULL },
    /* configure's --localstatedir: /var for a system-wide install. */
    { "data_dir", T_STRING, LOCALSTATEDIR "/lib/pyexec", 0, 0, F(data_dir),
      NULL },
    { "database", T_STRING, "DATA/pyexec.db", 0, 0, F(database), NULL },
    { "docker_host", T_STRING, "unix:///var/run/docker.sock", 0, 0,
      F(docker_host), NULL },
    { "image", T_STRING, "pyexec-sandbox:latest", 0, 0, F(image), NULL },
    { "runtime", T_STRING, "runc", 0, 0, F(runtime), NULL },
    { "isolation", T_ENUM, "container", 0, 0, F(isolation), isolation_names },
    { "reuse_max", T_INT, "100", 1, 1000000, F(reuse_max), NULL },
    { "pool_min_idle", T_INT, "4", 0, 1024, F(pool_min_idle), NULL },
    { "pool_max", T_INT, "32", 1, 4096, F(pool_max), NULL },
    /* Deprecated for queue_wait: -1 = not set; set, it wins. */
    { "pool_wait_ms", T_INT, "-1", -1, 600000, F(pool_wait_ms), NULL },
    { "cpus", T_DOUBLE, "1.0", 0.01, 1024, F(cpus), NULL },
    { "default_memory_mb", T_INT, "256", 16, 1048576, F(default_memory_mb),
      NULL },
    { "max_memory_mb", T_INT, "8192", 16, 1048576, F(max_memory_mb), NULL },
    { "default_timeout", T_DOUBLE, "5", 0.01, 86400, F(default_timeout),
      NULL },
    { "max_timeout", T_DOUBLE, "600", 0.01, 86400, F(max_timeout), NULL },
    { "pids_limit", T_INT, "128", 8, 1000000, F(pids_limit), NULL },
    { "max_body_bytes", T_SIZE, "1M", 1024, GiB, F(max_body_bytes), NULL },
    { "max_code_bytes", T_SIZE, "256K", 16, 64 * MiB, F(max_code_bytes),
      NULL },
    { "max_output_bytes", T_SIZE, "1M", 1024, GiB, F(max_output_bytes),
      NULL },
    { "tmpfs_mb", T_INT, "64", 1, 1048576, F(tmpfs_mb), NULL },
    { "session_idle_timeout", T_INT, "600", 1, 31536000,
      F(session_idle_timeout), NULL },
    { "max_sessions", T_INT, "64", 0, 100000, F(max_sessions), NULL },
    { "session_wait_ms", T_INT, "30000", 0, 3600000, F(session_wait_ms),
      NULL },
    { "api_keys", T_STRING, "", 0, 0, F(api_keys), NULL },
    { "allowed_origins", T_STRING, "", 0, 0, F(allowed_origins), NULL },
    { "anonymous", T_BOOL, "off", 0, 0, F(anonymous), NULL },
    { "policy", T_BOOL, "on", 0, 0, F(policy), NULL },
    { "policy_file", T_STRING, DEFAULT_POLICY, 0, 0, F(policy_file), NULL },
    { "retention_days", T_INT, "30", 0, 36500, F(retention_days), NULL },
    { "images_per_execution", T_INT, "16", 0, 1000,
      F(images_per_execution), NULL },
    { "image_max_bytes", T_SIZE, "4M", 1024, GiB, F(image_max_bytes), NULL },
    { "key_max_concurrent", T_INT, "0", 0, 100000, F(key_max_concurrent),
      NULL },
    { "key_rate_per_minute", T_INT, "0", 0, 10000000,
      F(key_rate_per_minute), NULL },
    { "busy_timeout_ms", T_INT, "5000", 1, 600000, F(busy_timeout_ms), NULL },
    { "log_level", T_ENUM, "info", 0, 0, F(log_level), level_names },
    /* The queue and the worker pool (SPEC §8). */
    { "queue_wait", T_DOUBLE, "30", 0, 3600, F(queue_wait), NULL },
    { "queue_max", T_INT, "256", 0, 4096, F(queue_max), NULL },
    { "workers_min", T_INT, "1", 1, 256, F(workers_min), NULL },
    { "workers_max", T_INT, "64", 1, 256, F(workers_max), NULL },
    { "workers_spare_min", T_INT, "2", 0, 256, F(workers_spare_min), NULL },
    { "workers_spare_max", T_INT, "8", 1, 256, F(workers_spare_max), NULL },
    /* Storage of figures and files (0: no limit). */
    { "execution_storage_max", T_SIZE, "16M", 0, 1024 * GiB,
      F(execution_storage_max), NULL },
    { "key_storage_max", T_SIZE, "256M", 0, 1024 * GiB, F(key_storage_max),
      NULL },
    { "min_free_disk_mb", T_INT, "512", 0, 1048576 * 16.0,
      F(min_free_disk_mb), NULL },
    /* Where clients reach the service: image URLs start with it. */
    { "public_url", T_STRING, "", 0, 0, F(public_url), NULL },
    /* The key /metrics and /status then need (instead of an API key). */
    { "metrics_key", T_STRING, "", 0, 0, F(metrics_key), NULL },
    /* Runner sockets: a root whose path says nothing about the host. */
    { "runner_dir", T_STRING, "/run/pyexec-runner", 0, 0, F(runner_dir),
      NULL },
    /* Asynchronous executions, idempotency and webhooks (SPEC 9). */
    { "async_executors", T_INT, "2", 0, 64, F(async_executors), NULL },
    { "async_max_queued", T_INT, "1000", 1, 1000000, F(async_max_queued),
      NULL },
    { "idempotency_ttl", T_INT, "86400", 1, 31536000, F(idempotency_ttl),
      NULL },
    { "callback_allow", T_STRING, "", 0, 0, F(callback_allow), NULL },
    { "callback_timeout", T_DOUBLE, "10", 0.1, 600, F(callback_timeout),
      NULL },
    { "callback_max_in_flight", T_INT, "16", 1, 1024,
      F(callback_max_in_flight), NULL },
    /* Cells (SPEC 10): this cell's name tags its ids; peers owns the
     * rest. */
    { "node_name", T_STRING, "", 0, 0, F(node_name), NULL },
    { "peers", T_STRING, "", 0, 0, F(peers), NULL },
    /* Litestream copies the database to replica_dir/NAME. */
    { "replica_dir", T_STRING, "", 0, 0, F(replica_dir), NULL },
    /* Tests only: stretches or shrinks the retry back-off. */
    { "callback_retry_scale", T_DOUBLE, "1", 0.0001, 100,
      F(callback_retry_scale), NULL },
};

const char *conf_default_path(void)
{
    return SYSCONFDIR "/pyexec/pyexec.conf";
}

const char *conf_default_policy_path(void)
{
    return DEFAULT_POLICY;
}

void conf_load_program(struct conf *c, const char *option,
                       struct conf_source *src)
{
    extern char **environ;
    char err[ERR_LEN];

    src->path = option ? option : getenv("PYEXEC_CONFIG");
    src->must_exist = src->path != NULL;
    if (!src->path)
        src->path = conf_default_path();
    if (conf_load(c, src->path, src->must_exist, environ, err) < 0)
        die("%s", err);
}

static const struct conf_key *key_find(const char *name, size_t n)
{
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
        if (strlen(keys[i].name) == n && strncmp(keys[i].name, name, n) == 0)
            return &keys[i];
    return NULL;
}

/* Accepts 123, 64K, 1M, 2G (binary units), with an optional "iB"/"B". */
static int parse_size(const char *s, double *out)
{
    char *end;
    double v, mult = 1;

    errno = 0;
    if (!isdigit((unsigned char)*s))
        return -1;
    v = strtod(s, &end);
    if (errno || end == s)
        return -1;
    switch (toupper((unsigned char)*end)) {
    case 'K': mult = KiB; end++; break;
    case 'M': mult = MiB; end++; break;
    case 'G': mult = GiB; end++; break;
    default: break;
    }
    if (mult > 1 && (strcasecmp(end, "iB") == 0 || strcasecmp(end, "B") == 0))
        end += strlen(end);
    if (*end)
        return -1;
    *out = v * mult;
    return 0;
}

/* Stores value into the field of k; -1 with a reason in why. */
static int key_set(struct conf *c, const struct conf_key *k,
                   const char *value, char *why)
{
    char *field = (char *)c + k->off;
    double d;

    switch (k->type) {
    case T_INT:
    case T_SIZE: {
        long v;

        if (k->type == T_SIZE) {
            if (parse_size(value, &d) < 0 || d != (double)(long)d) {
                err_set(why, "'%s' is not a size (e.g. 65536, 64K, 1M)",
                        value);
                return -1;
            }
            v = (long)d;
        } else if (parse_long(value, -2147483647L, 2147483647L, &v) < 0) {
            err_set(why, "'%s' is not an integer", value);
            return -1;
        }
        if (v < k->min || v > k->max) {
            err_set(why, "%ld is out of range [%.0f, %.0f]", v, k->min,
                    k->max);
            return -1;
        }
        *(long *)field = v;
        return 0;
    }
    case T_DOUBLE:
        if (parse_double(value, -1e300, 1e300, &d) < 0) {
            err_set(why, "'%s' is not a number", value);
            return -1;
        }
        if (d < k->min || d > k->max) {
            err_set(why, "%g is out of range [%g, %g]", d, k->min, k->max);
            return -1;
        }
        *(double *)field = d;
        return 0;
    case T_BOOL:
        if (!strcasecmp(value, "on") || !strcasecmp(value, "yes")
            || !strcasecmp(value, "true") || !strcmp(value, "1"))
            *(bool *)field = true;
        else if (!strcasecmp(value, "off") || !strcasecmp(value, "no")
                 || !strcasecmp(value, "false") || !strcmp(value, "0"))
            *(bool *)field = false;
        else {
            err_set(why, "'%s' is not on or off", value);
            return -1;
        }
        return 0;
    case T_ENUM:
        for (long i = 0; k->choices[i]; i++)
            if (strcmp(value, k->choices[i]) == 0) {
                *(long *)field = i;
                return 0;
            }
        err_set(why, "'%s' is not one of the allowed values", value);
        return -1;
    case T_STRING:
        free(*(char **)field);
        *(char **)field = xstrdup(value);
        return 0;
    }
    BUG("unknown conf type");
}

static void conf_free_strings(struct conf *c)
{
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
        if (keys[i].type == T_STRING) {
            char **f = (char **)((char *)c + keys[i].off);

            free(*f);
            *f = NULL;
        }
    free(c->path);
    c->path = NULL;
}

void conf_release(struct conf *c)
{
    conf_free_strings(c);
}

static void conf_defaults(struct conf *c)
{
    char why[ERR_LEN];

    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
        if (key_set(c, &keys[i], keys[i].def, why) < 0)
            BUG("bad default in the conf table");
}

static char *trim(char *s)
{
    char *e;

    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int parse_text(struct conf *c, const char *text, const char *name,
                      char *err)
{
    char *copy = xstrdup(text), *save = NULL, *line;
    int lineno = 0, rc = 0;
    char why[ERR_LEN];

    /* strtok_r would skip empty lines and miscount; walk by hand. */
    for (line = copy; line; line = save) {
        char *eq, *key, *value, *hash;
        const struct conf_key *k;

        save = strchr(line, '\n');
        if (save)
            *save++ = '\0';
        lineno++;
        /* A comment is '#' at the start or after whitespace. */
        for (hash = line; (hash = strchr(hash, '#')); hash++)
            if (hash == line || isspace((unsigned char)hash[-1])) {
                *hash = '\0';
                break;
            }
        key = trim(line);
        if (!*key)
            continue;
        eq = strchr(key, '=');
        if (!eq) {
            err_set(err, "%s:%d: expected 'key = value'", name, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        key = trim(key);
        value = trim(eq + 1);
        if (value[0] == '"' && strlen(value) >= 2
            && value[strlen(value) - 1] == '"') {
            value[strlen(value) - 1] = '\0';
            value++;
        }
        k = key_find(key, strlen(key));
        if (!k) {
            err_set(err, "%s:%d: %s: unknown key", name, lineno, key);
            rc = -1;
            break;
        }
        if (key_set(c, k, value, why) < 0) {
            err_set(err, "%s:%d: %s: %s", name, lineno, key, why);
            rc = -1;
            break;
        }
    }
    free(copy);
    return rc;
}

static int apply_env(struct conf *c, char **envp, char *err)
{
    char why[ERR_LEN];

    for (char **e = envp; e && *e; e++) {
        const char *var = *e, *eq;
        char lower[64];
        size_t n;
        const struct conf_key *k;

        if (strncmp(var, "PYEXEC_", 7) != 0)
            continue;
        eq = strchr(var, '=');
        if (!eq)
            continue;
        n = (size_t)(eq - var - 7);
        if (n >= sizeof(lower))
            continue;
        for (size_t i = 0; i < n; i++)
            lower[i] = (char)tolower((unsigned char)var[7 + i]);
        lower[n] = '\0';
        k = key_find(lower, n);
        if (!k) {
            if (strcmp(lower, "config") != 0)
                log_debug("environment: %.*s is not a config key",
                          (int)(eq - var), var);
            continue;
        }
        if (key_set(c, k, eq + 1, why) < 0) {
            err_set(err, "environment: %.*s: %s", (int)(eq - var), var, why);
            return -1;
        }
    }
    return 0;
}

/* Replaces a leading "DATA/" with data_dir. */
static void resolve_data(char **field, const char *data_dir)
{
    const char *p = *field;
    const char *prefix = "";
    char *out;

    if (strncmp(p, "unix:", 5) == 0) {
        prefix = "unix:";
        p += 5;
    }
    if (strncmp(p, "DATA/", 5) != 0)
        return;
    out = xasprintf("%s%s/%s", prefix, data_dir, p + 5);
    free(*field);
    *field = out;
}

#define QUEUE_WAIT_DEFAULT 30

/* The queue and worker keys against each other.  A config from before
 * workers_max keeps its fixed `workers`: the range grows to hold it. */
static int finish_workers(struct conf *c, char *err)
{
    /* The old key counts unless queue_wait was given a value too. */
    if (c->pool_wait_ms >= 0 && c->queue_wait == QUEUE_WAIT_DEFAULT) {
        log_warn("pool_wait_ms is deprecated: use queue_wait = %g (seconds)",
                 (double)c->pool_wait_ms / 1000);
        c->queue_wait = (double)c->pool_wait_ms / 1000;
    }
    if (c->workers > c->workers_max)
        c->workers_max = c->workers;
    if (c->workers_min > c->workers) {
        err_set(err, "workers_min: %ld is above workers (%ld)",
                c->workers_min, c->workers);
        return -1;
    }
    if (c->workers_spare_min > c->workers_spare_max) {
        err_set(err, "workers_spare_min: %ld is above workers_spare_max "
                "(%ld)", c->workers_spare_min, c->workers_spare_max);
        return -1;
    }
    return 0;
}

/* Cuts trailing '/' off s, keeping at least min characters. */
static void strip_slashes(char *s, size_t min)
{
    size_t n = strlen(s);

    while (n > min && s[n - 1] == '/')
        s[--n] = '\0';
}

/* For the keys whose empty value means unset. */
static void unset_if_empty(char **field)
{
    if (*field && !**field) {
        free(*field);
        *field = NULL;
    }
}

/* public_url ("http(s)://host[:port][/path]", kept without a trailing
 * '/'), metrics_key and runner_dir: empty means unset. */
static int check_exposure(struct conf *c, char *err)
{
    char *u;

    unset_if_empty(&c->metrics_key);
    unset_if_empty(&c->runner_dir);
    unset_if_empty(&c->public_url);
    if (c->runner_dir && c->runner_dir[0] != '/') {
        err_set(err, "runner_dir: '%s' is not an absolute path",
                c->runner_dir);
        return -1;
    }
    if (!(u = c->public_url))
        return 0;
    strip_slashes(u, 0);
    if ((strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
        || strpbrk(u, " \t\"<>\\") || strlen(strstr(u, "//") + 2) == 0) {
        err_set(err, "public_url: '%s' is not an http:// or https:// URL",
                u);
        return -1;
    }
    return 0;
}

static void empty_is_null(char **s)
{
    if (*s && !**s) {
        free(*s);
        *s = NULL;
    }
}

static int finish(struct conf *c, char *err)
{
    strip_slashes(c->data_dir, 1);
    if (c->data_dir[0] != '/') {
        char cwd[4096], *abs;

        if (!getcwd(cwd, sizeof(cwd))) {
            err_set(err, "data_dir: cannot resolve '%s'", c->data_dir);
            return -1;
        }
        abs = xasprintf("%s/%s", cwd, c->data_dir);
        free(c->data_dir);
        c->data_dir = abs;
    }
    resolve_data(&c->listen, c->data_dir);
    resolve_data(&c->database, c->data_dir);
    if (c->default_memory_mb > c->max_memory_mb) {
        err_set(err, "default_memory_mb: %ld is above max_memory_mb (%ld)",
                c->default_memory_mb, c->max_memory_mb);
        return -1;
    }
    if (c->default_timeout > c->max_timeout) {
        err_set(err, "default_timeout: %g is above max_timeout (%g)",
                c->default_timeout, c->max_timeout);
        return -1;
    }
    if (c->pool_min_idle > c->pool_max) {
        err_set(err, "pool_min_idle: %ld is above pool_max (%ld)",
                c->pool_min_idle, c->pool_max);
        return -1;
    }
    if (finish_workers(c, err) < 0)
        return -1;
    if (strncmp(c->listen, "unix:", 5) != 0 && !strrchr(c->listen, ':')) {
        err_set(err, "listen: '%s' is neither unix:/path nor host:port",
                c->listen);
        return -1;
    }
    for (const char *p = c->runtime; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("-_.", *p)) {
            err_set(err, "runtime: '%s' is not a runtime name", c->runtime);
            return -1;
        }
    if (!*c->runtime || !*c->image) {
        err_set(err, "%s: must not be empty", *c->image ? "runtime" : "image");
        return -1;
    }
    empty_is_null(&c->api_keys);
    if (cell_conf_check(c->node_name, c->peers, err) < 0)
        return -1;
    empty_is_null(&c->node_name);
    empty_is_null(&c->peers);
    empty_is_null(&c->replica_dir);
    if (c->allowed_origins && (!*c->allowed_origins
                               || strcmp(c->allowed_origins, "*") == 0)) {
        free(c->allowed_origins);
        c->allowed_origins = NULL;
    }
    return check_exposure(c, err);
}

static int load(struct conf *c, const char *text, const char *name,
                char **envp, char *err)
{
    if (text && parse_text(c, text, name, err) < 0)
        goto fail;
    /* DOCKER_HOST is honoured as the docker CLI does, unless the file
     * chose a daemon; PYEXEC_DOCKER_HOST still wins. */
    if (strcmp(c->docker_host, "unix:///var/run/docker.sock") == 0)
        for (char **e = envp; e && *e; e++)
            if (strncmp(*e, "DOCKER_HOST=", 12) == 0 && (*e)[12]) {
                free(c->docker_host);
                c->docker_host = xstrdup(*e + 12);
            }
    if (apply_env(c, envp, err) < 0 || finish(c, err) < 0)
        goto fail;
    return 0;
fail:
    conf_free_strings(c);
    return -1;
}

int conf_load_string(struct conf *c, const char *text, const char *name,
                     char **envp, char *err)
{
    conf_defaults(c);
    return load(c, text, name, envp, err);
}

int conf_load(struct conf *c, const char *path, bool must_exist,
              char **envp, char *err)
{
    struct buf b = BUF_INIT(1 << 20);
    FILE *f;
    int rc;

    conf_defaults(c);
    f = fopen(path, "r");
    if (!f) {
        if (must_exist || errno != ENOENT) {
            err_set(err, "%s: %s", path, strerror(errno));
            conf_free_strings(c);
            return -1;
        }
        return load(c, NULL, path, envp, err);
    }
    for (;;) {
        char chunk[4096];
        size_t n = fread(chunk, 1, sizeof(chunk), f);

        if (n == 0)
            break;
        if (buf_append(&b, chunk, n) < 0) {
            err_set(err, "%s: larger than 1 MiB", path);
            fclose(f);
            buf_release(&b);
            conf_free_strings(c);
            return -1;
        }
    }
    fclose(f);
    rc = load(c, buf_cstr(&b), path, envp, err);
    if (rc == 0)
        c->path = xstrdup(path);
    buf_release(&b);
    return rc;
}

void conf_print(const struct conf *c, int fd)
{
    struct buf b = BUF_INIT(0);

    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        const struct conf_key *k = &keys[i];
        const char *field = (const char *)c + k->off;

        buf_appendf(&b, "%s = ", k->name);
        switch (k->type) {
        case T_INT:
        case T_SIZE:
            buf_appendf(&b, "%ld\n", *(const long *)field);
            break;
        case T_DOUBLE:
            buf_appendf(&b, "%g\n", *(const double *)field);
            break;
        case T_BOOL:
            buf_appendf(&b, "%s\n", *(const bool *)field ? "on" : "off");
            break;
        case T_ENUM:
            buf_appendf(&b, "%s\n", k->choices[*(const long *)field]);
            break;
        case T_STRING: {
            const char *s = *(char *const *)field;

            /* Keys are secrets: never print them. */
            if ((strcmp(k->name, "api_keys") == 0
                 || strcmp(k->name, "metrics_key") == 0) && s)
                s = "(set)";
            buf_appendf(&b, "%s\n", s ? s : "");
            break;
        }
        }
    }
    if (write_all(fd, b.data, b.len) < 0) {
        /* stdout closed: nothing to do */
    }
    buf_release(&b);
}

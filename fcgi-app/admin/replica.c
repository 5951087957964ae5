/* replica.c - see replica.h.  Litestream is the engine; this file only
 * writes its config from pyexec.conf and runs it. */
#include "config.h"
#include "admin/replica.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cell.h"
#include "base/conf.h"
#include "base/util.h"
#include "store/store.h"
#include "store/store_executions.h"

#define LITESTREAM "litestream"

/* This cell's name in the replica directory: node_name, or "pyexec". */
static const char *cell_name(const struct conf *c)
{
    return c->node_name ? c->node_name : "pyexec";
}

/* The path of litestream on $PATH, or NULL. */
static char *find_litestream(void)
{
    const char *path = getenv("PATH");
    char *copy = xstrdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
    char *save = NULL, *found = NULL;

    for (char *d = strtok_r(copy, ":", &save); d && !found;
         d = strtok_r(NULL, ":", &save)) {
        char *p = xasprintf("%s/%s", d, LITESTREAM);

        if (access(p, X_OK) == 0)
            found = p;
        else
            free(p);
    }
    free(copy);
    return found;
}

static int write_config(const struct conf *c, const char *path)
{
    FILE *f = fopen(path, "w");

    if (!f)
        return -1;
    /* sync-interval bounds what a lost host takes with it. */
    fprintf(f, "# written by pyexec-admin replicate from %s\n"
            "dbs:\n"
            "  - path: %s\n"
            "    replicas:\n"
            "      - type: file\n"
            "        path: %s/%s\n"
            "        sync-interval: 1s\n",
            c->path ? c->path : "the defaults", c->database, c->replica_dir,
            cell_name(c));
    return fclose(f);
}

int admin_replicate(const struct conf *c, bool check_only, FILE *out)
{
    char *bin = find_litestream(), *cfg;

    if (!c->replica_dir || !bin) {
        fprintf(stderr, "pyexec-admin: %s\n", !c->replica_dir
                ? "replica_dir is not set: nothing to copy"
                : "litestream is not on PATH (scripts/install-deps "
                  "installs it)");
        free(bin);
        return 1;
    }
    if (check_only) {
        fprintf(out, "copies %s to %s/%s with %s\n", c->database,
                c->replica_dir, cell_name(c), bin);
        free(bin);
        return 0;
    }
    cfg = xasprintf("%s/litestream.yml", c->data_dir);
    if (mkdir_p(c->replica_dir, 0750) < 0 || write_config(c, cfg) < 0) {
        fprintf(stderr, "pyexec-admin: cannot write %s or make %s: %s\n",
                cfg, c->replica_dir, strerror(errno));
        free(cfg);
        free(bin);
        return 1;
    }
    fflush(out);
    execl(bin, LITESTREAM, "replicate", "-config", cfg, (char *)NULL);
    fprintf(stderr, "pyexec-admin: %s: %s\n", bin, strerror(errno));
    free(cfg);
    free(bin);
    return 1;
}

/* Runs litestream restore -o to from; 0 when it succeeded. */
static int restore(const char *bin, const char *to, const char *from)
{
    char *url = from[0] == '/' ? xasprintf("file://%s", from)
                               : xstrdup(from);
    pid_t pid = fork();
    int status = -1;

    if (pid == 0) {
        execl(bin, LITESTREAM, "restore", "-o", to, url, (char *)NULL);
        _exit(127);
    }
    free(url);
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* What the restored copy holds, for the operator. */
static int report(const struct conf *c, const char *name, const char *path,
                  FILE *out)
{
    char err[ERR_LEN];
    struct store *s = store_open_copy(path, c->busy_timeout_ms, err);
    int64_t count = 0, newest = 0;

    if (!s || store_execution_summary(s, &count, &newest) < 0) {
        fprintf(stderr, "pyexec-admin: the copy of %s: %s\n", name,
                s ? store_last_message(s) : err);
        store_close(s);
        return 1;
    }
    store_close(s);
    fprintf(out, "restored cell %s: %" PRId64 " records, the newest made "
            "%" PRId64 " ms before now; served read-only while %s is "
            "down\n", name, count, newest ? wall_ms() - newest : 0, name);
    return 0;
}

int admin_restore_cell(const struct conf *c, const char *name,
                       const char *from, FILE *out)
{
    char *bin = find_litestream(), *dir, *path, *tmp;
    char check[ERR_LEN];
    int rc = 1;

    if (cell_conf_check(name, NULL, check) < 0) {
        fprintf(stderr, "pyexec-admin: %s is not a cell name\n", name);
        free(bin);
        return 2;
    }
    if (!bin) {
        fprintf(stderr, "pyexec-admin: litestream is not on PATH\n");
        return 1;
    }
    dir = xasprintf("%s/restored", c->data_dir);
    path = cell_copy_path(c, name, strlen(name));
    tmp = xasprintf("%s.new", path);
    unlink(tmp);
    if (mkdir_p(dir, 0750) < 0) {
        fprintf(stderr, "pyexec-admin: cannot make %s\n", dir);
    } else if (restore(bin, tmp, from) < 0) {
        fprintf(stderr, "pyexec-admin: litestream could not restore %s "
                "from %s\n", name, from);
    } else if (rename(tmp, path) < 0) {
        fprintf(stderr, "pyexec-admin: %s: %s\n", path, strerror(errno));
    } else {
        rc = report(c, name, path, out);
    }
    unlink(tmp);
    free(tmp);
    free(path);
    free(dir);
    free(bin);
    return rc;
}

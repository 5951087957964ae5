/* sandbox.c - see sandbox.h.  The container's user is root inside with
 * only SETUID/SETGID, so the runner can drop user code to uid 10001 with
 * nothing left, and SETPCAP, so it can empty the bounding set of user code
 * first (see runner/PROTOCOL.md for why the runner is kept
 * apart from the code it runs). */
#include "config.h"
#include "sandbox/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/log.h"
#include "base/util.h"

void sandbox_label(const char *instance, char *out, size_t n)
{
    snprintf(out, n, "pyexec.instance=%s", instance);
}

void sandbox_new_name(const char *instance, char name[SANDBOX_NAME_LEN])
{
    unsigned char r[6];
    char hex[13];

    random_bytes(r, sizeof(r));
    hex_encode(r, sizeof(r), hex);
    snprintf(name, SANDBOX_NAME_LEN, "pyexec-%s-%s", instance, hex);
}

/* The runner directory is named by the random part of the container's
 * name only: unix socket paths must fit in 108 bytes. */
static const char *short_name(const char *name)
{
    const char *dash = strrchr(name, '-');

    return dash ? dash + 1 : name;
}

/* Where runner directories live.  The container sees its directory's
 * host path in /proc/self/mountinfo, so it is runner_dir (a fixed root
 * that says nothing about the host) and a random name; DATA/run only
 * when runner_dir cannot be made or written (a warning says so). */
static const char *runner_root(const struct conf *c)
{
    static char *root;
    static const struct conf *for_conf;

    if (root && for_conf == c)
        return root;
    free(root);
    for_conf = c;
    if (c->runner_dir && (mkdir_p(c->runner_dir, 0751) == 0
                          || errno == EEXIST)
        && access(c->runner_dir, W_OK | X_OK) == 0) {
        root = xstrdup(c->runner_dir);
    } else {
        if (c->runner_dir)
            log_warn("runner_dir %s: %s; runner sockets go under %s/run, "
                     "whose path containers can read", c->runner_dir,
                     strerror(errno), c->data_dir);
        root = xasprintf("%s/run", c->data_dir);
    }
    return root;
}

static char *run_dir(const struct conf *c, const char *name)
{
    return xasprintf("%s/%s", runner_root(c), short_name(name));
}

char *sandbox_socket_path(const struct conf *c, const char *name)
{
    char *p = xasprintf("%s/%s/runner.sock", runner_root(c),
                        short_name(name));
    char *old;
    struct stat sb;

    if (lstat(p, &sb) == 0)
        return p;
    /* A container made before runner_dir (a session that outlived an
     * upgrade) keeps its socket under DATA/run. */
    old = xasprintf("%s/run/%s/runner.sock", c->data_dir, short_name(name));
    if (lstat(old, &sb) == 0 && S_ISSOCK(sb.st_mode)) {
        free(p);
        return old;
    }
    free(old);
    return p;
}

bool sandbox_socket_exists(const struct conf *c, const char *name)
{
    char *p = sandbox_socket_path(c, name);
    struct stat sb;
    /* lstat: a runner must not point us elsewhere with a symlink. */
    bool ok = lstat(p, &sb) == 0 && S_ISSOCK(sb.st_mode);

    free(p);
    return ok;
}

/* Removes the runner directory: only plain entries live there. */
static void remove_run_dir(const struct conf *c, const char *name)
{
    char *dir = run_dir(c, name);
    DIR *d = opendir(dir);

    if (d) {
        for (;;) {
            struct dirent *e = readdir(d);
            char *p;

            if (!e)
                break;
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            p = xasprintf("%s/%s", dir, e->d_name);
            unlink(p);
            free(p);
        }
        closedir(d);
    }
    rmdir(dir);
    free(dir);
}

int sandbox_create(struct docker *d, const struct conf *c,
                   const struct sandbox_spec *spec,
                   char id[DOCKER_ID_LEN + 1], char *err)
{
    const char *name = spec->name;
    char *dir = run_dir(c, name), *parent = xstrdup(runner_root(c));
    char gid[24], tmp_opts[96], work_opts[128], label_inst[96];
    const char *labels[] = { "pyexec=1", label_inst, NULL };
    const char *caps[] = { "SETUID", "SETGID", "SETPCAP", NULL };
    const char *groups[] = { gid, NULL };
    /* runner/PROTOCOL.md: a light container never preloads. */
    const char *env[] = { !spec->heavy ? "PYEXEC_PRELOAD=0"
                          : spec->preload_first ? "PYEXEC_PRELOAD=first"
                          : NULL, NULL };
    struct docker_mount mount = { dir, "/run/pyexec", false };
    struct docker_tmpfs tmpfs[2] = {
        { "/tmp", tmp_opts }, { "/work", work_opts },
    };
    struct docker_create_opts o;
    int rc = -1;

    if (mkdir_p(parent, 0751) < 0
        || (mkdir(dir, 0770) < 0 && errno != EEXIST)) {
        err_set(err, "cannot create %s: %s", dir, strerror(errno));
        goto out;
    }
    /* mkdir honours the umask; the runner needs group write. */
    chmod(dir, 0770);
    snprintf(gid, sizeof(gid), "%d", (int)getegid());
    sandbox_label(spec->instance, label_inst, sizeof(label_inst));
    snprintf(tmp_opts, sizeof(tmp_opts), "rw,nosuid,nodev,size=%ldm,"
             "mode=1777", c->tmpfs_mb);
    snprintf(work_opts, sizeof(work_opts), "rw,nosuid,nodev,size=%ldm,"
             "uid=%d,gid=%d,mode=0700", c->tmpfs_mb, SANDBOX_UID,
             SANDBOX_UID);
    memset(&o, 0, sizeof(o));
    o.name = name;
    o.image = c->image;
    o.runtime = strcmp(c->runtime, "runc") == 0 ? NULL : c->runtime;
    o.user = "0:0";
    o.workdir = "/work";
    o.labels = labels;
    o.cap_add = caps;
    o.group_add = groups;
    o.env = env;
    o.mounts = &mount;
    o.n_mounts = 1;
    o.tmpfs = tmpfs;
    o.n_tmpfs = 2;
    o.memory_bytes = (int64_t)(spec->memory_mb + RUNNER_OVERHEAD_MB) << 20;
    o.nano_cpus = (int64_t)(c->cpus * 1e9);
    o.pids_limit = c->pids_limit;
    o.shm_bytes = (int64_t)c->tmpfs_mb << 20;
    o.init = true;
    if (docker_create(d, &o, id, err) < 0)
        goto out;
    if (docker_start(d, id, err) < 0) {
        char ignored[ERR_LEN];

        docker_remove(d, id, ignored);
        goto out;
    }
    rc = 0;
out:
    if (rc < 0)
        remove_run_dir(c, name);
    free(dir);
    free(parent);
    return rc;
}

int sandbox_wait_ready(struct docker *d, const struct conf *c,
                       const char *name, const char *id, long timeout_ms,
                       char *err)
{
    double deadline = now_ms() + (double)timeout_ms;
    double next_check = now_ms() + 500;

    while (!sandbox_socket_exists(c, name)) {
        if (now_ms() > deadline) {
            err_set(err, "runner in %s not ready after %ld ms", name,
                    timeout_ms);
            return -1;
        }
        /* Every half second, make sure it didn't die at start. */
        if (now_ms() > next_check) {
            struct docker_state st;

            next_check = now_ms() + 500;
            if (docker_inspect(d, id, &st, err) < 0)
                return -1;
            if (!st.exists) {
                err_set(err, "container %s was removed at start", name);
                return -1;
            }
            if (!st.running) {
                err_set(err, "container %s stopped at start (exit %d)",
                        name, st.exit_code);
                return -1;
            }
        }
        sleep_ms(2);
    }
    return 0;
}

int sandbox_set_memory(struct docker *d, const char *id, long memory_mb,
                       char *err)
{
    return docker_update_memory(d, id,
                                (int64_t)(memory_mb + RUNNER_OVERHEAD_MB)
                                << 20, err);
}

bool sandbox_oom_killed(struct docker *d, const char *id)
{
    struct docker_state st;
    char err[ERR_LEN];
    int code;

    docker_wait(d, id, 1000, &code, err);
    return docker_inspect(d, id, &st, err) == 0 && st.oom_killed;
}

int sandbox_destroy(struct docker *d, const struct conf *c, const char *name,
                    const char *id, char *err)
{
    int rc = docker_remove(d, id && *id ? id : name, err);

    if (rc == 0)
        remove_run_dir(c, name);
    return rc;
}

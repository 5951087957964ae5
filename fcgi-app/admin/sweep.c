/* sweep.c - see sweep.h.  What the keeper does at start for orphans,
 * without starting the service: the systemd unit runs it after a stop
 * (ExecStopPost), and scripts/run when it exits. */
#include "config.h"
#include "admin/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/util.h"
#include "docker/docker.h"
#include "sandbox/sandbox.h"
#include "store/store.h"
#include "store/store_pool.h"

struct sweep {
    const struct conf *c;
    struct store *s;
    struct docker *d;
    bool keep_sessions;
    int removed, kept, failed;
};

static void sweep_one(const struct docker_container *dc, void *arg)
{
    struct sweep *sw = arg;
    struct pool_container pc;
    char err[ERR_LEN];
    bool known = store_pool_get(sw->s, dc->name, &pc) == 1;

    if (sw->keep_sessions && known && strcmp(pc.state, "session") == 0) {
        sw->kept++;
        return;
    }
    if (sandbox_destroy(sw->d, sw->c, dc->name, dc->id, err) < 0) {
        fprintf(stderr, "pyexec-admin: removing %s: %s\n", dc->name, err);
        sw->failed++;
        return;
    }
    if (known)
        store_pool_delete(sw->s, dc->name);
    sw->removed++;
}

/* The lock pyexec-fcgi's master holds (and its children inherit) for as
 * long as any of its processes lives.  The fd, or -1. */
static int lock_data_dir(const struct conf *c)
{
    char *path = xasprintf("%s/pyexec.lock", c->data_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
        fprintf(stderr, "pyexec-admin: %s is in use: pyexec-fcgi runs on "
                "this data dir; stop it first (it removes its own "
                "containers)\n", c->data_dir);
        close(fd);
        fd = -1;
    } else if (fd < 0) {
        fprintf(stderr, "pyexec-admin: %s: %s\n", path, strerror(errno));
    }
    free(path);
    return fd;
}

int admin_sweep(const struct conf *c, struct store *s, bool keep_sessions,
                FILE *out)
{
    struct sweep sw = { c, s, NULL, keep_sessions, 0, 0, 0 };
    char label[96], err[ERR_LEN];
    int lock = lock_data_dir(c), rc = 1;

    if (lock < 0)
        return 1;
    sw.d = docker_open(c->docker_host, err);
    if (!sw.d) {
        fprintf(stderr, "pyexec-admin: docker: %s\n", err);
        goto out;
    }
    sandbox_label(store_instance_id(s), label, sizeof(label));
    if (docker_list(sw.d, label, sweep_one, &sw, err) < 0) {
        fprintf(stderr, "pyexec-admin: listing containers: %s\n", err);
        goto out;
    }
    fprintf(out, "removed %d container(s)", sw.removed);
    if (sw.kept)
        fprintf(out, ", kept %d of sessions", sw.kept);
    fprintf(out, "\n");
    rc = sw.failed ? 1 : 0;
out:
    docker_close(sw.d);
    close(lock);
    return rc;
}

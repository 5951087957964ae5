/* docker_live.c - the Docker client against the real dockerd, printing
 * TAP.  Skips only when there is no /var/run/docker.sock (and no
 * DOCKER_HOST).  Uses a tiny image made from host binaries by
 * tests/make-tiny-image (never pulled), a label unique to this run, and
 * removes every container carrying it, whatever happens.
 *
 * It checks that the hardening docker_create asks for is what the
 * container gets (no network, no capabilities, no-new-privileges, a
 * read-only root, tmpfs /tmp, pids and memory limits, an unprivileged
 * user), and reports the median latency of create, start, wait and
 * remove. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/util.h"
#include "docker/docker.h"
#include "fakes/test_srcdir.h"

#define IMAGE "pyexec-test-tiny:2"
#define ROUNDS 10

static int n_tests;
static int n_failed;

static void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool ok(bool cond, const char *why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One TAP line; on failure, why (the call's err: NULL for none) follows
 * as a comment.  err is only read on failure, when it was written. */
static bool ok(bool cond, const char *why, const char *fmt, ...)
{
    va_list ap;

    n_tests++;
    if (!cond)
        n_failed++;
    printf("%sok %d - ", cond ? "" : "not ", n_tests);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
    if (!cond && why)
        diag("%s", why);
    return cond;
}

/* A TAP comment: each line of the message starts with "# ". */
static void diag(const char *fmt, ...)
{
    struct buf b = BUF_INIT(0);
    va_list ap;

    va_start(ap, fmt);
    buf_vappendf(&b, fmt, ap);
    va_end(ap);
    for (const char *p = buf_cstr(&b); *p; ) {
        size_t n = strcspn(p, "\n");

        printf("# %.*s\n", (int)n, p);
        p += n;
        if (*p)
            p++;
    }
    fflush(stdout);
    buf_release(&b);
}

/* What the probe prints: one "key:value" line per check. */
static const char probe[] =
    "echo out1; echo err1 >&2; "
    "echo hi > /tmp/f && read l < /tmp/f && echo tmp:$l; "
    "if (echo x > /work/x) 2>/dev/null; then echo ro:no; "
    "else echo ro:yes; fi; "
    "n=0; while read -r l; do case $l in *:*) n=$((n+1));; esac; "
    "done < /proc/net/dev; echo ifs:$n; "
    "while read -r k v rest; do case $k in "
    "CapEff:|CapPrm:|CapBnd:|NoNewPrivs:|Uid:) echo $k$v;; esac; "
    "done < /proc/self/status; "
    "for f in /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max; do "
    "[ -r $f ] && read p < $f && echo pids:$p; done; "
    "for f in /sys/fs/cgroup/memory/memory.limit_in_bytes "
    "/sys/fs/cgroup/memory.max; do "
    "[ -r $f ] && read m < $f && echo mem:$m; done; "
    "exit 3";

static const char *const probe_cmd[] = { "/bin/sh", "-c", probe, NULL };
static const char *const sleep_cmd[] = { "/bin/sleep", "60", NULL };
static const char *const exit_cmd[] = { "/bin/sh", "-c", "exit 0", NULL };
static const struct docker_tmpfs tmpfs[] = {
    { "/tmp", "rw,nosuid,nodev,size=16m,mode=1777" },
};

static char label[64];
static const char *labels[2] = { label, NULL };

static struct docker_create_opts hardened(const char *const *cmd)
{
    struct docker_create_opts o;

    memset(&o, 0, sizeof(o));
    o.image = IMAGE;
    o.user = "65534:65534";
    o.workdir = "/tmp";
    o.cmd = cmd;
    o.labels = labels;
    o.tmpfs = tmpfs;
    o.n_tmpfs = ARRAY_SIZE(tmpfs);
    o.memory_bytes = 64LL << 20;
    o.nano_cpus = 500000000LL;
    o.pids_limit = 32;
    o.init = true;
    return o;
}

struct ids {
    int n;
    char id[32][DOCKER_ID_LEN + 1];
    char name[32][128];
};

static void collect(const struct docker_container *c, void *arg)
{
    struct ids *s = arg;

    if (s->n < 32) {
        memcpy(s->id[s->n], c->id, sizeof(c->id));
        memcpy(s->name[s->n], c->name, sizeof(c->name));
    }
    s->n++;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);

    for (const char *p = text; p; ) {
        if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
            return true;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return false;
}

/* The value after "key:" in the probe's output, or NULL. */
static const char *value_of(const char *text, const char *key, char *out,
                            size_t size)
{
    size_t n = strlen(key);

    for (const char *p = text; p; ) {
        if (strncmp(p, key, n) == 0) {
            size_t k = strcspn(p + n, "\n");

            snprintf(out, size, "%.*s", (int)k, p + n);
            return out;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return NULL;
}

static int ensure_image(struct docker *d, char *err)
{
    char *cmd;
    int rc = docker_image_exists(d, IMAGE, err);

    if (rc != 0)
        return rc;
    cmd = xasprintf("sh '%s/tests/make-tiny-image' " IMAGE, test_srcdir());
    rc = system(cmd);
    free(cmd);
    if (rc != 0) {
        err_set(err, "make-tiny-image failed (%d)", rc);
        return -1;
    }
    return docker_image_exists(d, IMAGE, err);
}

static void check_probe(struct docker *d, const char *id)
{
    struct buf out = BUF_INIT(0), errout = BUF_INIT(0);
    struct docker_state st;
    char err[ERR_LEN] = "", v[64];
    int code = -1, rc;

    /* Each call runs before ok(): the order in which arguments are
     * evaluated is unspecified. */
    rc = docker_start(d, id, err);
    ok(rc == 0, err, "start");
    rc = docker_wait(d, id, 30000, &code, err);
    ok(rc == 0 && code == 3, err, "wait: exit code %d", code);
    rc = docker_logs(d, id, &out, &errout, 0, err);
    ok(rc == 0, err, "logs");
    ok(strncmp(buf_cstr(&out), "out1\n", 5) == 0
       && strcmp(buf_cstr(&errout), "err1\n") == 0, NULL,
       "logs demultiplexed: %zu bytes of stdout, %zu of stderr", out.len,
       errout.len);
    diag("probe stdout:\n%sprobe stderr:\n%s", buf_cstr(&out),
         buf_cstr(&errout));
    ok(has_line(buf_cstr(&out), "tmp:hi"), NULL, "tmpfs /tmp is writable");
    ok(has_line(buf_cstr(&out), "ro:yes"), NULL, "the root is read-only");
    ok(has_line(buf_cstr(&out), "ifs:1"), NULL, "only loopback: network none");
    ok(has_line(buf_cstr(&out), "CapEff:0000000000000000")
       && has_line(buf_cstr(&out), "CapPrm:0000000000000000")
       && has_line(buf_cstr(&out), "CapBnd:0000000000000000"), NULL,
       "every capability dropped");
    ok(has_line(buf_cstr(&out), "NoNewPrivs:1"), NULL, "no-new-privileges");
    ok(has_line(buf_cstr(&out), "Uid:65534"), NULL, "runs as 65534");
    if (!value_of(buf_cstr(&out), "pids:", v, sizeof(v)))
        strcpy(v, "unread");
    ok(strcmp(v, "32") == 0, NULL, "pids limit 32 (%s)", v);
    if (!value_of(buf_cstr(&out), "mem:", v, sizeof(v)))
        strcpy(v, "unread");
    ok(strcmp(v, "67108864") == 0, NULL, "memory limit 64 MiB (%s)", v);
    rc = docker_inspect(d, id, &st, err);
    ok(rc == 0 && st.exists && !st.running && st.exit_code == 3
       && !st.oom_killed && strcmp(st.status, "exited") == 0, err,
       "inspect: %s, exit %d", st.status, st.exit_code);
    buf_release(&out);
    buf_release(&errout);
}

static void check_kill(struct docker *d)
{
    struct docker_create_opts o = hardened(sleep_cmd);
    struct docker_state st;
    char id[DOCKER_ID_LEN + 1] = "", err[ERR_LEN] = "";
    int code = -1, rc;

    o.name = "pyexec-live-sleeper";
    docker_remove(d, o.name, err);      /* a leftover of a crashed run */
    rc = docker_create(d, &o, id, err);
    ok(rc == 0, err, "create a sleeper");
    rc = docker_start(d, id, err);
    ok(rc == 0, err, "start it");
    rc = docker_inspect(d, id, &st, err);
    ok(rc == 0 && st.running && st.pid > 0
       && strcmp(st.status, "running") == 0, err,
       "inspect: %s, pid %d", st.status, st.pid);
    rc = docker_update_memory(d, id, 96LL << 20, err);
    ok(rc == 0, err, "update its memory");
    rc = docker_kill(d, id, "KILL", err);
    ok(rc == 0 && docker_last_status(d) == 204, err, "kill");
    rc = docker_wait(d, id, 10000, &code, err);
    ok(rc == 0 && code == 137, err, "wait: exit code %d", code);
    rc = docker_inspect(d, id, &st, err);
    ok(rc == 0 && !st.running, err, "inspect: %s after kill", st.status);
    rc = docker_kill(d, id, "KILL", err);
    ok(rc == 0 && docker_last_status(d) == 409, err,
       "kill again: not running counts as success (%d)",
       docker_last_status(d));
}

static void check_latency(struct docker *d)
{
    double t[4][ROUNDS];
    static const char *const what[] = { "create", "start", "wait", "remove" };
    bool good = true;

    for (int i = 0; i < ROUNDS && good; i++) {
        struct docker_create_opts o = hardened(exit_cmd);
        char id[DOCKER_ID_LEN + 1], err[ERR_LEN] = "";
        int code;
        double t0 = now_ms();

        good = docker_create(d, &o, id, err) == 0;
        t[0][i] = now_ms() - t0;
        t0 = now_ms();
        good = good && docker_start(d, id, err) == 0;
        t[1][i] = now_ms() - t0;
        t0 = now_ms();
        good = good && docker_wait(d, id, 30000, &code, err) == 0;
        t[2][i] = now_ms() - t0;
        t0 = now_ms();
        good = good && docker_remove(d, id, err) == 0;
        t[3][i] = now_ms() - t0;
        if (!good)
            diag("round %d: %s", i, err);
    }
    if (ok(good, NULL, "%d create/start/wait/remove rounds", ROUNDS))
        for (int k = 0; k < 4; k++)
            diag("%s median %.1f ms", what[k], median(t[k], ROUNDS));
}

static int remove_labelled(struct docker *d)
{
    struct ids s;
    char err[ERR_LEN] = "";
    int n;

    memset(&s, 0, sizeof(s));
    n = docker_list(d, label, collect, &s, err);
    for (int i = 0; i < s.n && i < 32; i++)
        docker_remove(d, s.id[i], err);
    return n;
}

int main(void)
{
    const char *host = getenv("DOCKER_HOST");
    struct docker *d = NULL;
    struct docker_state st;
    struct ids s;
    char err[ERR_LEN] = "", ver[32] = "", api[16] = "";
    char id[DOCKER_ID_LEN + 1] = "", *token;
    struct docker_create_opts o;
    int rc;

    if ((!host || !*host) && access("/var/run/docker.sock", F_OK) != 0) {
        printf("1..1\nok 1 # SKIP no docker\n");
        return 0;
    }
    token = random_token(12);
    snprintf(label, sizeof(label), "pyexec.live-test=%s", token);
    free(token);

    d = docker_open(host, err);
    if (!ok(d != NULL, err, "open %s", host ? host : "the default"))
        goto out;
    rc = docker_ping(d, err);
    ok(rc == 0, err, "ping");
    rc = docker_version(d, ver, sizeof(ver), api, sizeof(api), err);
    ok(rc == 0, err, "version %s, API %s", ver, api);
    rc = ensure_image(d, err);
    if (!ok(rc == 1, err, "image " IMAGE " exists (%d)", rc))
        goto out;
    rc = docker_image_exists(d, "pyexec-no-such-image:0", err);
    ok(rc == 0, err, "a missing image is 0 (%d)", rc);

    o = hardened(probe_cmd);
    rc = docker_create(d, &o, id, err);
    ok(rc == 0 && strlen(id) == DOCKER_ID_LEN, err,
       "create with the hardened options");
    check_probe(d, id);
    check_kill(d);

    memset(&s, 0, sizeof(s));
    rc = docker_list(d, label, collect, &s, err);
    ok(rc == 2 && s.n == 2, err, "list by label: %d", rc);
    ok(s.n == 2 && (strcmp(s.name[0], "pyexec-live-sleeper") == 0
                    || strcmp(s.name[1], "pyexec-live-sleeper") == 0), NULL,
       "names come without the '/'");
    rc = docker_remove(d, id, err);
    ok(rc == 0 && docker_last_status(d) == 204, err, "remove");
    rc = docker_remove(d, id, err);
    ok(rc == 0 && docker_last_status(d) == 404, err,
       "remove again: 404 is success");
    rc = docker_inspect(d, id, &st, err);
    ok(rc == 0 && !st.exists, err,
       "inspect a removed container: exists = false");
    rc = docker_remove(d, "pyexec-live-sleeper", err);
    ok(rc == 0 && docker_last_status(d) == 204, err, "remove by name");
    memset(&o, 0, sizeof(o));
    o.image = IMAGE;
    o.name = "bad name";
    rc = docker_create(d, &o, id, err);
    ok(rc == -1 && docker_last_status(d) == 400, NULL,
       "Docker's error comes through: %s", err);
    check_latency(d);
out:
    if (d) {
        remove_labelled(d);
        memset(&s, 0, sizeof(s));
        rc = docker_list(d, label, collect, &s, err);
        ok(rc == 0, err, "nothing with the test label remains (%d)", rc);
    }
    docker_close(d);
    docker_global_cleanup();
    printf("1..%d\n", n_tests);
    return n_failed ? 1 : 0;
}

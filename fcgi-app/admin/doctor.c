/* doctor.c - see doctor.h.  Each check is a function that looks, never
 * repairs, and reports through report(); the fix hints name the command
 * an operator would type.  Docker is reached with the project's client
 * (docker.h), never the docker CLI. */
#include "config.h"
#include "admin/doctor.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/addr.h"
#include "base/conf.h"
#include "base/util.h"
#include "docker/docker.h"
#include "policy/policy.h"
#include "sandbox/sandbox.h"
#include "store/store.h"

#ifndef PKGDATADIR
#define PKGDATADIR "/usr/local/share/pyexec"
#endif

#define LINE_LEN 1024
#define CONNECT_TIMEOUT_MS 2000
#define DOCTOR_DOCKER_TIMEOUT_MS 5000

static const char *const verdict_names[] = { "ok", "warn", "FAIL" };

struct doctor {
    const struct conf *c;
    FILE *out;
    int fails;
    char user[64];              /* the invoking user, for hints */
};

static void report(struct doctor *dr, const char *name,
                   enum doctor_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void report(struct doctor *dr, const char *name,
                   enum doctor_verdict v, const char *fmt, ...)
{
    char text[LINE_LEN];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    /* One line per check, whatever the messages held. */
    for (char *p = text; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    fprintf(dr->out, "%-13s %-4s  %s\n", name, verdict_names[v], text);
    fflush(dr->out);
    if (v == DOCTOR_FAIL)
        dr->fails++;
}

/* "owner:group 0660" of st, for messages. */
static void describe_owner(const struct stat *st, char *out, size_t n)
{
    struct passwd *pw = getpwuid(st->st_uid);
    struct group *gr = getgrgid(st->st_gid);
    char uid[16], gid[16];

    snprintf(uid, sizeof(uid), "%u", (unsigned)st->st_uid);
    snprintf(gid, sizeof(gid), "%u", (unsigned)st->st_gid);
    snprintf(out, n, "%s:%s %04o", pw ? pw->pw_name : uid,
             gr ? gr->gr_name : gid, (unsigned)(st->st_mode & 07777));
}

static bool process_in_group(gid_t gid)
{
    gid_t groups[256];
    int n;

    if (getegid() == gid)
        return true;
    n = getgroups((int)ARRAY_SIZE(groups), groups);
    for (int i = 0; i < n; i++)
        if (groups[i] == gid)
            return true;
    return false;
}

/* Whether /etc/group lists the user in group (a membership the current
 * login may not have picked up yet). */
static bool user_listed_in_group(const char *user, const struct group *gr)
{
    for (char **m = gr->gr_mem; m && *m; m++)
        if (strcmp(*m, user) == 0)
            return true;
    return false;
}

/* ---- config ---- */

static void check_config(struct doctor *dr)
{
    const struct conf *c = dr->c;

    if (c->path)
        report(dr, "config", DOCTOR_OK, "%s read; workers %ld, image %s",
               c->path, c->workers, c->image);
    else
        report(dr, "config", DOCTOR_WARN, "no file at %s: built-in "
               "defaults and PYEXEC_* in use; fix: install one from "
               "%s/conf-defaults/pyexec.conf", conf_default_path(),
               PKGDATADIR);
}

/* ---- docker ---- */

/* The socket path of a unix:// docker_host, or NULL for tcp://. */
static const char *docker_unix_path(const char *host)
{
    if (!host || !*host)
        return "/var/run/docker.sock";
    if (strncmp(host, "unix://", 7) == 0)
        return host + 7;
    return NULL;
}

static void check_docker_socket(struct doctor *dr)
{
    const char *path = docker_unix_path(dr->c->docker_host);
    struct group *docker_gr = getgrnam("docker");
    struct stat st;
    char owner[128];

    if (!path) {
        report(dr, "docker-socket", DOCTOR_WARN, "%s is TCP: anyone who "
               "can reach it is root on that host; fix: keep dockerd's "
               "TCP port on 127.0.0.1 or use TLS", dr->c->docker_host);
        return;
    }
    if (stat(path, &st) < 0) {
        report(dr, "docker-socket", DOCTOR_FAIL, "%s: %s; fix: start "
               "dockerd (systemctl start docker) or set docker_host",
               path, strerror(errno));
        return;
    }
    describe_owner(&st, owner, sizeof(owner));
    if (!S_ISSOCK(st.st_mode)) {
        report(dr, "docker-socket", DOCTOR_FAIL, "%s (%s) is not a socket;"
               " fix: set docker_host to dockerd's socket", path, owner);
        return;
    }
    if (access(path, R_OK | W_OK) == 0) {
        const char *how = geteuid() == 0 ? ""
            : docker_gr && process_in_group(docker_gr->gr_gid)
            ? " through group docker" : " as its owner or group";

        report(dr, "docker-socket", DOCTOR_OK, "%s (%s): %s can open it%s",
               path, owner, dr->user, how);
        return;
    }
    if (docker_gr && user_listed_in_group(dr->user, docker_gr))
        report(dr, "docker-socket", DOCTOR_FAIL, "%s (%s): %s is in group "
               "docker but this login is not yet; fix: log in again, or "
               "restart the service", path, owner, dr->user);
    else
        report(dr, "docker-socket", DOCTOR_FAIL, "%s (%s): %s cannot open "
               "it; fix: usermod -aG docker %s, then log in again (run "
               "doctor as the service's user: sudo -u pyexec pyexec-admin "
               "doctor)", path, owner, dr->user, dr->user);
}

/* Returns the open client when Docker answers, else NULL. */
static struct docker *check_docker(struct doctor *dr)
{
    const struct conf *c = dr->c;
    char err[ERR_LEN], version[64], api[16];
    struct docker *d = docker_open(c->docker_host, err);

    if (!d) {
        report(dr, "docker", DOCTOR_FAIL, "docker_host %s: %s; fix: set "
               "docker_host to unix:///var/run/docker.sock or "
               "tcp://host:port", c->docker_host, err);
        return NULL;
    }
    docker_set_timeout(d, DOCTOR_DOCKER_TIMEOUT_MS);
    if (docker_ping(d, err) < 0
        || docker_version(d, version, sizeof(version), api, sizeof(api),
                          err) < 0) {
        report(dr, "docker", DOCTOR_FAIL, "%s does not answer: %s; fix: "
               "start dockerd (systemctl start docker), check docker_host",
               c->docker_host, err);
        docker_close(d);
        return NULL;
    }
    report(dr, "docker", DOCTOR_OK, "Docker %s, API %s, at %s", version,
           api, c->docker_host);
    return d;
}

static void check_image(struct doctor *dr, struct docker *d)
{
    char err[ERR_LEN];
    int rc;

    if (!d) {
        report(dr, "image", DOCTOR_WARN, "%s not checked: Docker is "
               "unreachable", dr->c->image);
        return;
    }
    rc = docker_image_exists(d, dr->c->image, err);
    if (rc == 1)
        report(dr, "image", DOCTOR_OK, "%s is present", dr->c->image);
    else if (rc == 0)
        report(dr, "image", DOCTOR_FAIL, "%s is not among Docker's images; "
               "fix: %s/scripts/build-sandbox-image --image %s (or set "
               "image)", dr->c->image, PKGDATADIR, dr->c->image);
    else
        report(dr, "image", DOCTOR_FAIL, "%s: %s", dr->c->image, err);
}

static void check_runtime(struct doctor *dr, struct docker *d)
{
    char err[ERR_LEN], names[256];
    int rc;

    if (!d) {
        report(dr, "runtime", DOCTOR_WARN, "%s not checked: Docker is "
               "unreachable", dr->c->runtime);
        return;
    }
    rc = docker_runtime_known(d, dr->c->runtime, names, sizeof(names), err);
    if (rc == 1)
        report(dr, "runtime", DOCTOR_OK, "%s is known to Docker (it has: "
               "%s)", dr->c->runtime, names);
    else if (rc == 0)
        report(dr, "runtime", DOCTOR_FAIL, "%s is not registered with "
               "dockerd (it has: %s); fix: install it and add it to "
               "\"runtimes\" in /etc/docker/daemon.json, or set runtime",
               dr->c->runtime, names);
    else
        report(dr, "runtime", DOCTOR_FAIL, "%s: %s", dr->c->runtime, err);
}

/* ---- files ---- */

/* Whether runner sockets under root (ROOT/<id>/runner.sock, sandbox.c)
 * fit in a unix socket path's 108 bytes; a FAIL line naming the config
 * key when not. */
static bool runner_sockets_fit(struct doctor *dr, const char *check,
                               const char *key, const char *root)
{
    struct sockaddr_un sa;
    char name[SANDBOX_NAME_LEN];
    size_t longest;

    sandbox_new_name("000000000000", name);
    longest = strlen(root) + 1 + strlen(strrchr(name, '-') + 1)
        + strlen("/runner.sock");
    if (longest < sizeof(sa.sun_path))
        return true;
    report(dr, check, DOCTOR_FAIL, "%s is too long: runner sockets under it"
           " would be %zu bytes, over the %zu a unix socket path allows; "
           "fix: a shorter %s", root, longest, sizeof(sa.sun_path) - 1,
           key);
    return false;
}

static void check_data_dir(struct doctor *dr)
{
    const char *dir = dr->c->data_dir;
    struct stat st;
    char owner[128], *run = xasprintf("%s/run", dir);
    bool fit = runner_sockets_fit(dr, "data-dir", "data_dir", run);

    free(run);
    if (!fit)
        return;
    if (stat(dir, &st) < 0) {
        report(dr, "data-dir", DOCTOR_FAIL, "%s: %s; fix: systemd-tmpfiles "
               "--create, or install -d -m 0750 -o pyexec -g pyexec %s",
               dir, strerror(errno), dir);
        return;
    }
    describe_owner(&st, owner, sizeof(owner));
    if (!S_ISDIR(st.st_mode)) {
        report(dr, "data-dir", DOCTOR_FAIL, "%s (%s) is not a folder; fix: "
               "set data_dir", dir, owner);
        return;
    }
    if (access(dir, W_OK | X_OK) < 0) {
        report(dr, "data-dir", DOCTOR_FAIL, "%s (%s): %s cannot write it; "
               "fix: chown the folder to the service's user, or run doctor "
               "as that user", dir, owner, dr->user);
        return;
    }
    if (st.st_mode & 0007)
        report(dr, "data-dir", DOCTOR_WARN, "%s (%s): other users can "
               "enter it and read what is not 0600; fix: chmod 0750 %s",
               dir, owner, dir);
    else
        report(dr, "data-dir", DOCTOR_OK, "%s (%s)", dir, owner);
}

/* Runner sockets live under runner_dir (sandbox.c): a path that says
 * nothing of the host, seen inside every container.  pyexec-fcgi makes
 * it; when it cannot, they go under DATA/run with a warning. */
static void check_runner_dir(struct doctor *dr)
{
    const char *dir = dr->c->runner_dir;
    const char *fallback = "runner sockets go under the data dir, whose "
        "path containers can read";
    char owner[128];
    struct stat st;

    if (!dir) {
        report(dr, "runner-dir", DOCTOR_WARN, "unset: %s; fix: "
               "runner_dir = /run/pyexec-runner", fallback);
        return;
    }
    if (!runner_sockets_fit(dr, "runner-dir", "runner_dir", dir))
        return;
    if (stat(dir, &st) < 0) {
        int why = errno;
        /* pyexec-fcgi makes it with its parents (mkdir_p): the nearest
         * folder that exists must be writable. */
        char *up = xstrdup(dir);

        while (why == ENOENT && *up && stat(up, &st) < 0)
            *strrchr(up, '/') = '\0';
        if (why == ENOENT && access(*up ? up : "/", W_OK | X_OK) == 0)
            report(dr, "runner-dir", DOCTOR_OK, "%s does not exist yet: "
                   "pyexec-fcgi makes it", dir);
        else
            report(dr, "runner-dir", DOCTOR_WARN, "%s: %s, and %s cannot "
                   "make it: %s; fix: systemd-tmpfiles --create, or "
                   "install -d -m 0751 -o pyexec -g pyexec %s", dir,
                   strerror(why), dr->user, fallback, dir);
        free(up);
        return;
    }
    describe_owner(&st, owner, sizeof(owner));
    if (!S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) < 0)
        report(dr, "runner-dir", DOCTOR_WARN, "%s (%s) is not a folder %s "
               "can write: %s; fix: install -d -m 0751 -o pyexec -g pyexec"
               " %s, or set runner_dir", dir, owner, dr->user, fallback,
               dir);
    else
        report(dr, "runner-dir", DOCTOR_OK, "%s (%s)", dir, owner);
}

/* The database check proper; in a child when run as another user. */
static void check_database_here(struct doctor *dr)
{
    const char *path = dr->c->database;
    char err[ERR_LEN], dir[4096], *slash;
    struct store *s;
    int have, latest = store_latest_version();

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        snprintf(dir, sizeof(dir), ".");
    /* WAL needs the folder too: -wal and -shm are made next to it. */
    if (access(path, R_OK | W_OK) < 0 || access(dir, W_OK | X_OK) < 0) {
        report(dr, "database", DOCTOR_FAIL, "%s: %s cannot write it or its "
               "folder (%s); fix: chown -R pyexec:pyexec %s", path,
               dr->user, strerror(errno), dir);
        return;
    }
    s = store_open(path, dr->c->busy_timeout_ms, false, err);
    if (!s) {
        report(dr, "database", DOCTOR_FAIL, "%s; fix: restore a backup "
               "(pyexec-admin backup makes them), or move it away and "
               "restart", err);
        return;
    }
    if (store_begin(s) < 0) {
        report(dr, "database", DOCTOR_FAIL, "%s: cannot take the write "
               "lock: %s; fix: check the folder's owner and free disk "
               "space", path, store_last_message(s));
        store_close(s);
        return;
    }
    store_rollback(s);
    have = store_schema_version(s);
    if (have > latest)
        report(dr, "database", DOCTOR_FAIL, "%s: schema version %d is newer "
               "than this pyexec (%d), which refuses it; fix: run the newer "
               "pyexec, or restore a backup taken before the upgrade", path,
               have, latest);
    else if (have < latest)
        report(dr, "database", DOCTOR_WARN, "%s: schema version %d, this "
               "pyexec has %d; fix: restart pyexec-fcgi (systemctl restart "
               "pyexec), which migrates it at start", path, have, latest);
    else
        report(dr, "database", DOCTOR_OK, "%s: writable, schema version %d "
               "(the latest)", path, have);
    store_close(s);
}

static void check_database(struct doctor *dr)
{
    const char *path = dr->c->database;
    struct stat st;
    pid_t pid;
    int status;

    if (stat(path, &st) < 0) {
        if (errno == ENOENT)
            report(dr, "database", DOCTOR_WARN, "%s does not exist yet; "
                   "fix: start pyexec-fcgi, which creates and migrates it",
                   path);
        else
            report(dr, "database", DOCTOR_FAIL, "%s: %s", path,
                   strerror(errno));
        return;
    }
    if (geteuid() != 0 || st.st_uid == 0) {
        check_database_here(dr);
        return;
    }
    /* root on the service's database: SQLite would make -wal and -shm
     * files root's, which the service could not open.  Look as the
     * database's owner instead. */
    fflush(dr->out);
    pid = fork();
    if (pid < 0) {
        report(dr, "database", DOCTOR_FAIL, "fork: %s", strerror(errno));
        return;
    }
    if (pid == 0) {
        struct passwd *pw = getpwuid(st.st_uid);

        if (setgroups(0, NULL) < 0 || setgid(st.st_gid) < 0
            || setuid(st.st_uid) < 0) {
            report(dr, "database", DOCTOR_FAIL, "cannot switch to the "
                   "database's owner: %s", strerror(errno));
            _exit(1);
        }
        snprintf(dr->user, sizeof(dr->user), "%s",
                 pw ? pw->pw_name : "its owner");
        dr->fails = 0;
        check_database_here(dr);
        fflush(dr->out);
        _exit(dr->fails ? 1 : 0);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        dr->fails++;
}

/* ---- the FastCGI socket ---- */

/* connect(2) with a timeout; 0, or -1 with errno. */
static int connect_timeout(int fd, const struct sockaddr *sa, socklen_t len)
{
    struct pollfd p = { fd, POLLOUT, 0 };
    int soerr = 0;
    socklen_t sl = sizeof(soerr);

    if (connect(fd, sa, len) == 0)
        return 0;
    if (errno != EINPROGRESS)
        return -1;
    if (poll(&p, 1, CONNECT_TIMEOUT_MS) != 1) {
        errno = ETIMEDOUT;
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
        return -1;
    if (soerr) {
        errno = soerr;
        return -1;
    }
    return 0;
}

static void check_listen_unix(struct doctor *dr, const char *path)
{
    struct sockaddr_un sa;
    struct stat st;
    char owner[128];
    int fd, rc, e;

    if (stat(path, &st) < 0) {
        report(dr, "listen", DOCTOR_FAIL, "no socket at %s (%s); fix: start "
               "pyexec (systemctl start pyexec.socket), or set listen to "
               "the socket the front end uses", path, strerror(errno));
        return;
    }
    describe_owner(&st, owner, sizeof(owner));
    if (!S_ISSOCK(st.st_mode)) {
        report(dr, "listen", DOCTOR_FAIL, "%s (%s) is not a socket", path,
               owner);
        return;
    }
    if (strlen(path) >= sizeof(sa.sun_path)) {
        report(dr, "listen", DOCTOR_FAIL, "%s: path too long", path);
        return;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        report(dr, "listen", DOCTOR_FAIL, "socket: %s", strerror(errno));
        return;
    }
    rc = connect_timeout(fd, (struct sockaddr *)&sa, sizeof(sa));
    e = errno;
    close(fd);
    if (rc == 0)
        report(dr, "listen", DOCTOR_OK, "%s (%s) accepts connections", path,
               owner);
    else if (e == EACCES)
        report(dr, "listen", DOCTOR_FAIL, "%s (%s): %s may not connect; fix: "
               "the front end's user needs the socket's group", path, owner,
               dr->user);
    else
        report(dr, "listen", DOCTOR_FAIL, "%s (%s): nobody answers (%s); fix:"
               " start pyexec (systemctl start pyexec.socket); a socket left"
               " by a crash is replaced at start", path, owner, strerror(e));
}

static void check_listen_tcp(struct doctor *dr, const char *spec)
{
    struct addrinfo *res;
    char err[ERR_LEN];
    int fd, rc, e;

    if (addr_resolve(spec, false, &res, err) < 0) {
        report(dr, "listen", DOCTOR_FAIL, "%s: %s", spec, err);
        return;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                0);
    rc = fd < 0 ? -1 : connect_timeout(fd, res->ai_addr, res->ai_addrlen);
    e = errno;
    if (rc == 0)
        report(dr, "listen", DOCTOR_OK, "%s accepts connections", spec);
    else
        report(dr, "listen", DOCTOR_FAIL, "%s: nobody answers (%s); fix: "
               "start pyexec-fcgi", spec, strerror(e));
    if (fd >= 0)
        close(fd);
    freeaddrinfo(res);
}

static void check_listen(struct doctor *dr)
{
    const char *l = dr->c->listen;

    if (strncmp(l, "unix:", 5) == 0)
        check_listen_unix(dr, l + 5);
    else
        check_listen_tcp(dr, l);
}

static void check_policy(struct doctor *dr)
{
    const struct conf *c = dr->c;
    char err[ERR_LEN];
    struct policy *p;

    if (!c->policy) {
        report(dr, "policy", DOCTOR_WARN, "policy = off: code is not "
               "checked before it runs (the container is still the "
               "boundary)");
        return;
    }
    /* The master's rule: a missing file at the default path means the
     * built-in lists. */
    if (access(c->policy_file, F_OK) < 0 && errno == ENOENT
        && strcmp(c->policy_file, conf_default_policy_path()) == 0) {
        report(dr, "policy", DOCTOR_OK, "no %s: the built-in lists apply",
               c->policy_file);
        return;
    }
    if (access(c->policy_file, R_OK) < 0) {
        report(dr, "policy", DOCTOR_FAIL, "%s: %s cannot read it (%s); fix:"
               " chmod 0644 %s, or set policy_file", c->policy_file,
               dr->user, strerror(errno), c->policy_file);
        return;
    }
    p = policy_load(c->policy_file, err);
    if (!p) {
        report(dr, "policy", DOCTOR_FAIL, "%s; fix: correct the line named",
               err);
        return;
    }
    policy_free(p);
    report(dr, "policy", DOCTOR_OK, "%s is readable and valid",
           c->policy_file);
}

int doctor_run(const struct conf *c, FILE *out)
{
    struct doctor dr = { c, out, 0, "" };
    struct passwd *pw = getpwuid(geteuid());
    struct docker *d;

    if (pw)
        snprintf(dr.user, sizeof(dr.user), "%s", pw->pw_name);
    else
        snprintf(dr.user, sizeof(dr.user), "uid %u", (unsigned)geteuid());
    check_config(&dr);
    d = check_docker(&dr);
    check_docker_socket(&dr);
    check_image(&dr, d);
    check_runtime(&dr, d);
    docker_close(d);
    check_data_dir(&dr);
    check_runner_dir(&dr);
    check_database(&dr);
    check_listen(&dr);
    check_policy(&dr);
    return dr.fails;
}

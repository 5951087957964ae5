/* master.c - the supervising process.
 *
 * Theory of operation
 *
 * The master owns the FastCGI listening socket (its own, or fd 0 when a
 * web server spawned it with bin-path), migrates the database, makes the
 * first API key when there is none, marks what a previous run left in
 * flight as over, maps the shared counters, and then forks `workers`
 * workers and one pool keeper.  From then on it only
 * supervises; it never serves a request and never talks to Docker.
 *
 * - The workers are a pool (size_pool): more are forked while few are
 *   idle, up to workers_max, and idle ones are stopped down to
 *   workers_min, so a burst waits in the shared sandbox queue
 *   (sandbox/queue.c), fair between keys, not in the socket's backlog.
 *   The master maps that queue before forking and drops the places of a
 *   worker it reaps.
 * - A child that dies unasked is forked again.  Each slot remembers how
 *   quickly its last child died: a child that lived under a second doubles
 *   the slot's back-off (100 ms up to 10 s), so a crash loop costs little.
 * - SIGTERM (or SIGINT) drains: workers get SIGTERM, finish the request in
 *   flight and exit; the signal is repeated every 200 ms because a worker
 *   can be caught between its flag check and accept(2).  Once no worker is
 *   left the keeper gets SIGTERM (it removes the idle pool), then the
 *   master exits 0.
 * - SIGHUP rereads the config.  A bad file is logged and ignored.  Workers
 *   are replaced one at a time: the new one is forked first, then the old
 *   one is asked to stop, so the number accepting never drops (a worker
 *   serving an event stream ends it: the client resumes elsewhere).
 *   Executors and the deliverer finish what they do while their
 *   replacements start.  The keeper is replaced last with SIGUSR1 (leave
 *   the containers alone).  listen, data_dir and database can't change
 *   without a restart.
 */
#include "config.h"
#include "proc/master.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/addr.h"
#include "base/conf.h"
#include "base/log.h"
#include "base/notify.h"
#include "base/stats.h"
#include "base/util.h"
#include "policy/policy.h"
#include "proc/deliverer.h"
#include "proc/executor.h"
#include "proc/keeper.h"
#include "proc/signals.h"
#include "proc/worker.h"
#include "sandbox/queue.h"
#include "store/store.h"
#include "store/store_async.h"
#include "store/store_executions.h"
#include "store/store_keys.h"
#include "store/store_pool.h"

#define MAX_CHILDREN (2 * 256 + 2)
#define KEEPER_SLOT (STATS_MAX_WORKERS - 1)
/* A draining worker gets max_timeout and this much more, then SIGKILL. */
#define DRAIN_GRACE_MS 60000

enum child_kind { CHILD_WORKER, CHILD_KEEPER, CHILD_EXECUTOR,
                  CHILD_DELIVERER };
static const char *const kind_names[] = {
    "worker", "keeper", "executor", "deliverer",
};

struct child {
    pid_t pid;                  /* 0: slot unused */
    enum child_kind kind;
    int slot;                   /* stats slot */
    int generation;             /* config generation it was forked with */
    double started;
    bool stopping;              /* we asked it to exit */
    double last_signal;
};

struct backoff {
    double next_at;             /* don't fork before this (now_ms) */
    int delay_ms;
};

static struct conf *cur;
static struct conf *first_conf; /* the caller's; later ones are ours */
static struct policy *policy;   /* NULL when policy = off */
static struct conf_source conf_src;
static int generation;
static int listen_fd = -1;
static char *unix_path;         /* unlinked at exit when we made it */
static int wake_pipe[2] = { -1, -1 };
static struct child children[MAX_CHILDREN];
static struct backoff worker_backoff[STATS_MAX_WORKERS];
static struct backoff keeper_backoff;
static struct backoff executor_backoff, deliverer_backoff;
static bool draining, rolling;
/* A roll asked the keeper to leave the pool to its successor (SIGUSR1),
 * which is not forked yet. */
static bool keeper_handing_over;
static bool keeper_started;     /* a keeper was forked before */
static double drain_started;
static int pool_size;           /* workers wanted now (size_pool) */

static volatile sig_atomic_t got_term, got_hup, got_chld;

static void on_signal(int sig)
{
    if (sig == SIGTERM || sig == SIGINT)
        got_term = 1;
    else if (sig == SIGHUP)
        got_hup = 1;
    else if (sig == SIGCHLD)
        got_chld = 1;
}

static int is_listening_socket(int fd)
{
    int val = 0;
    socklen_t len = sizeof(val);

    return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &val, &len) == 0
        && val;
}

static int open_unix(const char *path)
{
    struct sockaddr_un sa;
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path))
        die("listen: unix socket path too long: %s", path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket: %s", strerror(errno));
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    strcpy(sa.sun_path, path);
    /* A socket file left by a previous run is stale only if nobody
     * answers on it. */
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
        die("listen: %s is in use by another process", path);
    close(fd);
    unlink(path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket: %s", strerror(errno));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        die("listen: bind %s: %s", path, strerror(errno));
    /* The front end connects as another user of our group. */
    chmod(path, 0660);
    if (listen(fd, 1024) < 0)
        die("listen %s: %s", path, strerror(errno));
    unix_path = xstrdup(path);
    return fd;
}

static int open_tcp(const char *spec)
{
    struct addrinfo *res;
    char err[ERR_LEN];
    int fd, one = 1;

    if (addr_resolve(spec, true, &res, err) < 0)
        die("listen: %s: %s", spec, err);
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) < 0)
        die("listen: bind %s: %s", spec, strerror(errno));
    if (listen(fd, 1024) < 0)
        die("listen %s: %s", spec, strerror(errno));
    freeaddrinfo(res);
    return fd;
}

static int open_listener(const struct conf *c)
{
    /* Spawned by a web server (lighttpd bin-path, mod_fcgid): the
     * listening socket is our stdin. */
    if (is_listening_socket(0)) {
        log_info("using the listening socket on fd 0 (spawned by the web "
                 "server)");
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        return 0;
    }
    if (strncmp(c->listen, "unix:", 5) == 0)
        return open_unix(c->listen + 5);
    return open_tcp(c->listen);
}

/* Writes the first key to DATA/api_key (0600) and prints it once. */
static void first_key(struct store *s, const struct conf *c)
{
    char *id = NULL, *key, *path;
    int n, fd;

    if (c->api_keys || c->anonymous)
        return;
    n = store_key_count_active(s);
    if (n != 0)
        return;
    key = store_key_create(s, "generated at first start", &id);
    if (!key)
        die("database: cannot store the first API key: %s",
            store_last_message(s));
    path = xasprintf("%s/api_key", c->data_dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write_all(fd, key, strlen(key)) < 0
        || write_all(fd, "\n", 1) < 0)
        die("%s: %s", path, strerror(errno));
    close(fd);
    /* The one time a key is printed: the operator needs it. */
    log_info("no API key was configured: generated %s (id %s), stored "
             "hashed; it is also in %s", key, id, path);
    free(path);
    free(key);
    free(id);
}

/* One master per data dir: two keepers would remove each other's
 * containers.  The lock is inherited by every child, so a new master also
 * waits for the workers of a previous one to finish draining. */
static void lock_data_dir(const struct conf *c)
{
    char *path = xasprintf("%s/pyexec.lock", c->data_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    double deadline = now_ms() + 15000;

    if (fd < 0)
        die("%s: %s", path, strerror(errno));
    while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno != EWOULDBLOCK || now_ms() > deadline)
            die("data_dir %s is in use by another pyexec-fcgi (%s); one "
                "data_dir per instance", c->data_dir, path);
        sleep_ms(100);
    }
    free(path);                 /* fd stays open: it is the lock */
}

/* A fresh start: whatever the last master left in flight is over (the
 * data dir lock says none of its processes is left).  Done before any
 * child exists: a keeper doing it could take a new worker's execution
 * and container for leftovers on a slow host. */
static void recover(struct store *s)
{
    int n = store_async_recover(s, true);

    if (n > 0)
        log_warn("%d async execution(s) were running when pyexec stopped: "
                 "marked interrupted", n);
    n = store_execution_interrupt_all(s);

    if (n > 0)
        log_warn("%d execution(s) were running when pyexec stopped: "
                 "marked interrupted", n);
    store_pool_retire_unbound(s, true);
}

static void prepare_database(const struct conf *c)
{
    char err[ERR_LEN];
    struct store *s;

    if (mkdir_p(c->data_dir, 0750) < 0)
        die("data_dir: cannot create %s: %s", c->data_dir, strerror(errno));
    lock_data_dir(c);
    s = store_open(c->database, c->busy_timeout_ms, true, err);
    if (!s)
        die("database: %s", err);
    first_key(s, c);
    recover(s);
    store_close(s);
}

static struct child *child_free_entry(void)
{
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (!children[i].pid)
            return &children[i];
    BUG("no free child entry");
}

static bool slot_busy(int slot)
{
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i].pid && children[i].kind == CHILD_WORKER
            && children[i].slot == slot)
            return true;
    return false;
}

static int free_worker_slot(void)
{
    for (int s = 0; s < KEEPER_SLOT; s++)
        if (!slot_busy(s))
            return s;
    BUG("no free worker slot");
}

/* The signals the master handles; blocked but inside ppoll. */
static const int handled[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD, 0 };

/* Default actions and nothing blocked but held (0-terminated, or NULL),
 * which the child unblocks once it handles them. */
static void child_reset_signals(const int *held)
{
    signals_set(handled, SIG_DFL);
    signals_block_only(held);
}

static void spawn(enum child_kind kind, int slot)
{
    struct child *ch = child_free_entry();
    pid_t pid = fork();

    if (pid < 0) {
        log_err("fork: %s", strerror(errno));
        return;
    }
    if (pid == 0) {
        child_reset_signals(kind == CHILD_KEEPER ? keeper_stop_signals
                                                 : NULL);
        if (kind == CHILD_KEEPER) {
            struct keeper_args ka = { cur, wake_pipe[0], KEEPER_SLOT,
                                      !keeper_started };

            close(wake_pipe[1]);
            if (listen_fd > 0)
                close(listen_fd);
            keeper_run(&ka);
        } else {
            struct worker_args wa = { cur, policy, listen_fd, slot,
                                      wake_pipe[1] };

            close(wake_pipe[0]);
            if (kind == CHILD_EXECUTOR) {
                struct executor_args ea = { cur, policy, wake_pipe[1] };

                if (listen_fd > 0)
                    close(listen_fd);
                executor_run(&ea);
            }
            if (kind == CHILD_DELIVERER) {
                if (listen_fd > 0)
                    close(listen_fd);
                deliverer_run(cur);
            }
            worker_run(&wa);
        }
    }
    if (kind == CHILD_KEEPER) {
        keeper_started = true;
        keeper_handing_over = false;
    }
    ch->pid = pid;
    ch->kind = kind;
    ch->slot = kind == CHILD_KEEPER ? KEEPER_SLOT : slot;
    ch->generation = generation;
    ch->started = now_ms();
    ch->stopping = false;
    ch->last_signal = 0;
    log_debug("forked %s %d (slot %d)", kind_names[kind], (int)pid, slot);
}

static void ask_to_stop(struct child *ch, int sig)
{
    ch->stopping = true;
    ch->last_signal = now_ms();
    kill(ch->pid, sig);
    if (ch->kind == CHILD_WORKER)
        notify_events_bump();   /* an event stream ends (notify.h) */
}

static int count_children(enum child_kind kind, bool include_stopping)
{
    int n = 0;

    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i].pid && children[i].kind == kind
            && (include_stopping || !children[i].stopping))
            n++;
    return n;
}

static void note_death(struct backoff *b, double lived_ms)
{
    if (lived_ms < 1000) {
        b->delay_ms = b->delay_ms ? b->delay_ms * 2 : 100;
        if (b->delay_ms > 10000)
            b->delay_ms = 10000;
    } else {
        b->delay_ms = 0;
    }
    b->next_at = now_ms() + b->delay_ms;
}

static struct backoff *backoff_of(const struct child *ch)
{
    switch (ch->kind) {
    case CHILD_KEEPER:
        return &keeper_backoff;
    case CHILD_EXECUTOR:
        return &executor_backoff;
    case CHILD_DELIVERER:
        return &deliverer_backoff;
    default:
        return &worker_backoff[ch->slot];
    }
}

/* Keeps n children of kind (executors, the deliverer) alive. */
static void respawn_kind(enum child_kind kind, int n, struct backoff *b)
{
    while (count_children(kind, false) < n && b->next_at <= now_ms())
        spawn(kind, -1);
}

static void reap(void)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        struct child *ch = NULL;

        if (pid <= 0)
            break;
        for (int i = 0; i < MAX_CHILDREN; i++)
            if (children[i].pid == pid)
                ch = &children[i];
        if (!ch)
            continue;
        if (!ch->stopping) {
            if (WIFSIGNALED(status))
                log_warn("%s %d died of signal %d", kind_names[ch->kind],
                         (int)pid, WTERMSIG(status));
            else
                log_warn("%s %d exited with status %d",
                         kind_names[ch->kind], (int)pid,
                         WEXITSTATUS(status));
            note_death(backoff_of(ch), now_ms() - ch->started);
        }
        if (ch->kind == CHILD_WORKER) {
            stats_worker_set(ch->slot, 0, WORKER_FREE);
            /* Its place in the queue, if it died waiting. */
            queue_drop_pid(pid);
        }
        ch->pid = 0;
    }
}

/* A worker counts as idle while it waits in accept(2), and while it is
 * starting (its slot does not name it yet), so a burst doesn't fork
 * twice for the same shortage. */
static int count_idle_workers(struct child **idlest)
{
    const struct stats *st = stats_get();
    int n = 0;

    *idlest = NULL;
    for (int i = 0; i < MAX_CHILDREN; i++) {
        struct child *ch = &children[i];
        const struct stats_worker *w;

        if (!ch->pid || ch->kind != CHILD_WORKER || ch->stopping)
            continue;
        w = &st->workers[ch->slot];
        if (w->pid != ch->pid) {
            n++;
            continue;
        }
        if (__atomic_load_n(&w->state, __ATOMIC_ACQUIRE) != WORKER_IDLE)
            continue;
        n++;
        if (!*idlest || ch->slot > (*idlest)->slot)
            *idlest = ch;
    }
    return n;
}

/* The worker pool, Apache prefork style: start `workers`; while fewer
 * than workers_spare_min are idle, fork 1, 2, 4 ... 32 a tick up to
 * workers_max, so requests wait in pyexec's fair queue and not in the
 * socket's backlog; while more than workers_spare_max are idle, stop one
 * a second down to workers_min.  An idle worker only sleeps in accept:
 * its cost is its memory, mostly shared with the master. */
static void size_pool(double now)
{
    static int rate = 1;
    static double last_stop;
    struct child *idlest;
    int idle = count_idle_workers(&idlest);

    if (pool_size < cur->workers_min)
        pool_size = (int)cur->workers_min;
    /* Grow only once the last growth is forked (not in a crash loop). */
    if (idle < cur->workers_spare_min && pool_size < cur->workers_max
        && count_children(CHILD_WORKER, false) >= pool_size) {
        pool_size += rate;
        if (pool_size > cur->workers_max)
            pool_size = (int)cur->workers_max;
        if (rate < 32)
            rate *= 2;
        return;
    }
    rate = 1;
    if (idlest && pool_size > cur->workers_min && now - last_stop >= 1000
        && (idle > cur->workers_spare_max || pool_size > cur->workers_max)) {
        ask_to_stop(idlest, SIGTERM);
        pool_size--;
        last_stop = now;
    }
}

/* Keeps pool_size workers (a worker that dies unasked is forked again)
 * and one keeper alive, outside drains. */
static void respawn(void)
{
    double now = now_ms();

    if (draining)
        return;
    if (!pool_size)
        pool_size = (int)cur->workers;
    if (!rolling)
        size_pool(now);
    while (count_children(CHILD_WORKER, false) < pool_size) {
        int slot = free_worker_slot();

        if (worker_backoff[slot].next_at > now)
            break;
        spawn(CHILD_WORKER, slot);
    }
    if (!rolling && count_children(CHILD_KEEPER, true) == 0
        && keeper_backoff.next_at <= now)
        spawn(CHILD_KEEPER, KEEPER_SLOT);
    respawn_kind(CHILD_EXECUTOR, (int)cur->async_executors,
                 &executor_backoff);
    respawn_kind(CHILD_DELIVERER, 1, &deliverer_backoff);
}

/* One step of a SIGHUP roll: at most one old worker stopping at a time.
 * Executors and the deliverer are asked at once and need no turn: each
 * finishes what it does (an execution may take max_timeout) while
 * respawn() forks its replacement. */
static void roll_step(void)
{
    struct child *old = NULL;

    for (int i = 0; i < MAX_CHILDREN; i++) {
        struct child *ch = &children[i];

        if (!ch->pid || ch->generation == generation)
            continue;
        if (ch->kind == CHILD_EXECUTOR || ch->kind == CHILD_DELIVERER) {
            if (!ch->stopping)
                ask_to_stop(ch, SIGTERM);
            continue;
        }
        if (ch->stopping)
            return;                     /* wait for it */
        if (!old || (old->kind == CHILD_KEEPER && ch->kind == CHILD_WORKER))
            old = ch;
    }
    if (!old) {
        rolling = false;
        log_info("configuration reloaded: every worker replaced");
        return;
    }
    if (old->kind == CHILD_KEEPER) {
        /* Workers are done; replace the keeper, keeping its containers. */
        ask_to_stop(old, SIGUSR1);
        keeper_handing_over = true;
        return;
    }
    /* Start the replacement first so capacity never drops. */
    if (count_children(CHILD_WORKER, false) <= pool_size)
        spawn(CHILD_WORKER, free_worker_slot());
    ask_to_stop(old, SIGTERM);
}

static void reload(void)
{
    struct conf *next = xcalloc(1, sizeof(*next));
    char err[ERR_LEN];
    extern char **environ;

    if (conf_load(next, conf_src.path, conf_src.must_exist, environ,
                  err) < 0) {
        log_err("SIGHUP: keeping the running configuration: %s", err);
        free(next);
        return;
    }
    if (strcmp(next->listen, cur->listen) || strcmp(next->database,
                                                    cur->database))
        log_warn("SIGHUP: listen and database changes need a restart");
    free(next->listen);
    next->listen = xstrdup(cur->listen);
    free(next->database);
    next->database = xstrdup(cur->database);
    free(next->data_dir);
    next->data_dir = xstrdup(cur->data_dir);
    {
        struct policy *np;

        if (policy_load_configured(next, &np, err) < 0) {
            log_err("SIGHUP: keeping the running configuration: %s", err);
            conf_release(next);
            free(next);
            return;
        }
        /* Children have their own copies: the master's can go. */
        policy_free(policy);
        policy = np;
    }
    log_set_level((enum log_level)next->log_level);
    /* Children have their own copies of the old one. */
    conf_release(cur);
    if (cur != first_conf)
        free(cur);
    cur = next;
    generation++;
    rolling = true;
    log_info("SIGHUP: configuration reread, replacing workers one by one");
}

static void drain_step(void)
{
    double now = now_ms();
    /* The keeper goes last: workers and executors hold its sandboxes. */
    int workers = count_children(CHILD_WORKER, true)
        + count_children(CHILD_EXECUTOR, true);

    /* A drain in the middle of a roll: the keeper that left its pool to
     * a successor gets that successor, and it removes the pool. */
    if (keeper_handing_over && count_children(CHILD_KEEPER, true) == 0)
        spawn(CHILD_KEEPER, KEEPER_SLOT);
    for (int i = 0; i < MAX_CHILDREN; i++) {
        struct child *ch = &children[i];

        if (!ch->pid)
            continue;
        if (ch->kind != CHILD_KEEPER && now - ch->last_signal >= 200)
            ask_to_stop(ch, SIGTERM);
        if (ch->kind == CHILD_KEEPER && workers == 0 && !ch->stopping)
            ask_to_stop(ch, SIGTERM);
    }
    /* A request can't outlive max_timeout by much; past that, force. */
    if (now - drain_started > cur->max_timeout * 1000 + DRAIN_GRACE_MS)
        for (int i = 0; i < MAX_CHILDREN; i++)
            if (children[i].pid)
                kill(children[i].pid, SIGKILL);
}

static void install_signals(void)
{
    static const int ignored[] = { SIGPIPE, SIGUSR1, 0 };

    signals_set(handled, on_signal);
    signals_set(ignored, SIG_IGN);
    signals_block(handled, NULL);
}

int master_run(struct conf *c, const struct conf_source *src)
{
    sigset_t open_mask;

    cur = first_conf = c;
    conf_src = *src;
    log_set_role("master");
    install_signals();
    {
        char err[ERR_LEN];

        if (policy_load_configured(c, &policy, err) < 0)
            die("policy_file: %s", err);
    }
    prepare_database(c);
    listen_fd = open_listener(c);
    if (pipe2(wake_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
        die("pipe: %s", strerror(errno));
    stats_create();
    queue_create();
    notify_create();
    log_info("pyexec %s: %ld workers on %s, database %s", PACKAGE_VERSION,
             c->workers, listen_fd == 0 ? "fd 0" : c->listen, c->database);
    respawn();

    signals_waiting(handled, &open_mask);
    for (;;) {
        struct timespec ts = { 0, 50 * 1000000L };

        /* Signals are only delivered inside ppoll, so the flags below
         * can't change while we act on them. */
        ppoll(NULL, 0, &ts, &open_mask);
        if (got_chld) {
            got_chld = 0;
            reap();
        }
        if (got_term && !draining) {
            draining = true;
            drain_started = now_ms();
            log_info("draining: finishing requests in flight");
        }
        if (got_hup) {
            got_hup = 0;
            if (!draining)
                reload();
        }
        if (draining) {
            drain_step();
            if (count_children(CHILD_WORKER, true) == 0
                && count_children(CHILD_KEEPER, true) == 0
                && count_children(CHILD_EXECUTOR, true) == 0
                && count_children(CHILD_DELIVERER, true) == 0)
                break;
            continue;
        }
        if (rolling)
            roll_step();
        respawn();
    }
    if (unix_path)
        unlink(unix_path);
    log_info("stopped");
    free(unix_path);
    policy_free(policy);
    conf_release(cur);
    if (cur != first_conf)
        free(cur);
    return 0;
}

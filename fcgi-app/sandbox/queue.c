/* queue.c - see queue.h.  The tickets sit in a dense array (a leaving
 * ticket's place is taken by the last one): order comes from (round,
 * seq), not from the position, and the array never needs more than
 * QUEUE_SLOTS entries.  Every walk is O(depth). */
#include "config.h"
#include "sandbox/queue.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/util.h"

#define KEY_LEN 48
#define NAME_LEN 256               /* struct session_turn's queue */
#define DRAIN_BUCKETS 16
#define DEAD_MAX 64
#define DRAIN_WINDOW_S 10
/* The head looks again this often even unwoken (see queue.h). */
#define HEAD_RECHECK_MS 1000

struct entry {
    uint64_t seq;
    uint64_t round;
    int64_t entered_ms;
    pid_t pid;
    char key[KEY_LEN];
    char queue[NAME_LEN];       /* QUEUE_POOL, or a session's turns */
};

struct area {
    pthread_mutex_t mu;
    uint64_t nonce;             /* names the wake sockets of this area */
    int64_t created_ms;
    uint64_t next_seq;
    uint64_t round;             /* the round served last */
    int n;
    uint64_t served, timed_out, abandoned, rejected;
    int64_t bucket_sec[DRAIN_BUCKETS];
    uint32_t bucket_n[DRAIN_BUCKETS];
    pid_t dead[DEAD_MAX];       /* died queueing: for the keeper */
    int n_dead;
    struct entry e[QUEUE_SLOTS];
};

static struct area *area;
static int wake_fd = -1;
static pid_t wake_owner;
static uint64_t wake_nonce;     /* of the area it is named for */
/* Per thread: the keeper's creator threads kick the queue too. */
static _Thread_local int send_fd = -1;
static _Thread_local pid_t send_owner;
/* A poke arrived on the wake socket (queue_poke): the byte 2, where a
 * queue's wake is 1. */
static bool poke_seen;

enum { WAKE_TURN = 1, WAKE_POKE = 2 };

void queue_create(void)
{
    pthread_mutexattr_t ma;

    area = xmap_shared(sizeof(*area), "the shared queue");
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&area->mu, &ma);
    pthread_mutexattr_destroy(&ma);
    area->nonce = ((uint64_t)getpid() << 32) ^ (uint64_t)wall_ms();
    area->created_ms = wall_ms();
}

/* A process that never saw queue_create (a tool, a test) gets an area of
 * its own, so callers never check. */
static struct area *get(void)
{
    if (!area)
        queue_create();
    return area;
}

static bool pid_dead(pid_t pid)
{
    return pid <= 0 || (kill(pid, 0) < 0 && errno == ESRCH);
}

static void remove_at(struct area *a, int i)
{
    if (i != a->n - 1)
        a->e[i] = a->e[a->n - 1];
    a->n--;
}

/* The lock's last holder died inside: keep what is sound. */
static void repair(struct area *a)
{
    if (a->n < 0 || a->n > QUEUE_SLOTS)
        a->n = a->n < 0 ? 0 : QUEUE_SLOTS;
    for (int i = 0; i < a->n; i++) {
        bool dup = false;

        for (int j = 0; j < i; j++)
            dup = dup || a->e[j].seq == a->e[i].seq;
        if (dup || !a->e[i].seq || pid_dead(a->e[i].pid)) {
            remove_at(a, i);
            i--;
        }
    }
}

static struct area *lock(void)
{
    struct area *a = get();

    if (pthread_mutex_lock(&a->mu) == EOWNERDEAD) {
        repair(a);
        pthread_mutex_consistent(&a->mu);
    }
    return a;
}

static void unlock(struct area *a)
{
    pthread_mutex_unlock(&a->mu);
}

static int find(const struct area *a, uint64_t seq)
{
    for (int i = 0; i < a->n; i++)
        if (a->e[i].seq == seq)
            return i;
    return -1;
}

static bool before(const struct entry *x, const struct entry *y)
{
    return x->round < y->round || (x->round == y->round && x->seq < y->seq);
}

static bool in_queue(const struct entry *e, const char *queue)
{
    return strncmp(e->queue, queue, NAME_LEN) == 0;
}

/* The head of one queue (-1: empty). */
static int head(const struct area *a, const char *queue)
{
    int h = -1;

    for (int i = 0; i < a->n; i++)
        if (in_queue(&a->e[i], queue)
            && (h < 0 || before(&a->e[i], &a->e[h])))
            h = i;
    return h;
}

/* Whether entry i heads its queue. */
static bool heads(const struct area *a, int i)
{
    return i >= 0 && head(a, a->e[i].queue) == i;
}

/* ---- wake sockets ---- */

static socklen_t wake_name(const struct area *a, pid_t pid,
                           struct sockaddr_un *sa)
{
    int n;

    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    /* Abstract: nothing in the file system, gone with the process. */
    n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1,
                 "pyexec-queue-%016llx-%d", (unsigned long long)a->nonce,
                 (int)pid);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

/* This process's wake socket (made again after a fork); -1 if none. */
static int wake_socket(void)
{
    struct sockaddr_un sa;
    socklen_t len;

    if (wake_fd >= 0 && wake_owner == getpid() && wake_nonce == get()->nonce)
        return wake_fd;
    if (wake_fd >= 0)
        close(wake_fd);         /* the parent's, or an older area's */
    wake_owner = getpid();
    wake_nonce = get()->nonce;
    wake_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (wake_fd < 0)
        return -1;
    len = wake_name(get(), wake_owner, &sa);
    if (bind(wake_fd, (struct sockaddr *)&sa, len) < 0) {
        close(wake_fd);
        wake_fd = -1;
    }
    return wake_fd;
}

/* 0 when the wake went out (or a wake is pending already), -1 when pid
 * has no wake socket. */
static int send_byte(const struct area *a, pid_t pid, char b)
{
    struct sockaddr_un sa;
    socklen_t len = wake_name(a, pid, &sa);

    if (send_fd < 0 || send_owner != getpid()) {
        if (send_fd >= 0)
            close(send_fd);
        send_owner = getpid();
        send_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                         0);
        if (send_fd < 0)
            return 0;
    }
    if (sendto(send_fd, &b, 1, MSG_DONTWAIT, (struct sockaddr *)&sa,
               len) == 1)
        return 0;
    return errno == ECONNREFUSED || errno == ENOENT ? -1 : 0;
}

static int send_wake(const struct area *a, pid_t pid)
{
    return send_byte(a, pid, WAKE_TURN);
}

void queue_poke(pid_t pid)
{
    if (pid > 0)
        send_byte(get(), pid, WAKE_POKE);
}

int queue_wake_fd(void)
{
    return wake_socket();
}

/* Empties the wake socket, noting a poke. */
static void drain_wakes(int fd)
{
    char b[64];
    ssize_t n;

    while ((n = recv(fd, b, sizeof(b), MSG_DONTWAIT)) > 0)
        if (memchr(b, WAKE_POKE, (size_t)n))
            poke_seen = true;
}

bool queue_poked(void)
{
    bool seen;

    if (wake_fd >= 0 && wake_owner == getpid())
        drain_wakes(wake_fd);
    seen = poke_seen;
    poke_seen = false;
    return seen;
}

/* ---- tickets ---- */

static void add_locked(struct area *a, const char *key, int64_t entered,
                       struct queue_ticket *t)
{
    struct entry *e = &a->e[a->n];
    uint64_t round = a->round;

    if (!key)
        key = "";
    for (int i = 0; i < a->n; i++)
        if (a->e[i].round > round && in_queue(&a->e[i], t->queue)
            && strncmp(a->e[i].key, key, KEY_LEN) == 0)
            round = a->e[i].round;
    memset(e, 0, sizeof(*e));
    snprintf(e->key, sizeof(e->key), "%s", key);
    snprintf(e->queue, sizeof(e->queue), "%s", t->queue);
    e->pid = getpid();
    e->entered_ms = entered;
    e->round = round + 1;
    e->seq = ++a->next_seq;
    /* Counted last: a holder killed before this leaves no half entry. */
    a->n++;
    t->seq = e->seq;
    t->entered_ms = entered;
}

static int count_locked(const struct area *a, const char *queue)
{
    int n = 0;

    for (int i = 0; i < a->n; i++)
        n += in_queue(&a->e[i], queue);
    return n;
}

int queue_enter_named(const char *queue, const char *key, long max,
                      struct queue_ticket *t)
{
    struct area *a;

    t->queue = queue;
    wake_socket();              /* before anyone can want to wake us */
    a = lock();
    if (count_locked(a, queue) >= max || a->n >= QUEUE_SLOTS) {
        if (strcmp(queue, QUEUE_POOL) == 0)
            a->rejected++;
        unlock(a);
        t->seq = 0;
        return -1;
    }
    add_locked(a, key, wall_ms(), t);
    unlock(a);
    return 0;
}

int queue_enter(const char *key, long max, struct queue_ticket *t)
{
    return queue_enter_named(QUEUE_POOL, key, max, t);
}

bool queue_is_head(struct queue_ticket *t)
{
    struct area *a = lock();
    int i = find(a, t->seq);
    bool is_head;

    if (i < 0 && a->n < QUEUE_SLOTS) {
        /* Dropped by a repair: back in, at the back. */
        add_locked(a, "", t->entered_ms, t);
        i = a->n - 1;
    }
    is_head = heads(a, i);
    unlock(a);
    return is_head;
}

static bool client_gone(const struct pollfd *p)
{
    return p->fd >= 0 && (p->revents & (POLLRDHUP | POLLHUP | POLLERR));
}

enum queue_wake queue_sleep(const struct queue_ticket *t, double deadline,
                            int client_fd)
{
    struct pollfd p[2];
    double left = deadline - now_ms();
    int ms, fd = wake_socket();

    if (left <= 0)
        return QUEUE_TIMEOUT;
    ms = left > 60000 ? 60000 : (int)left + 1;
    if (fd < 0 && ms > 100)
        ms = 100;               /* no wake socket: look now and then */
    {
        struct area *a = lock();
        int i = find(a, t->seq);

        if (heads(a, i) && ms > HEAD_RECHECK_MS)
            ms = HEAD_RECHECK_MS;
        unlock(a);
    }
    p[0].fd = fd;
    p[0].events = POLLIN;
    /* Only a hang-up: the body may leave bytes we must not take. */
    p[1].fd = client_fd > 0 ? client_fd : -1;
    p[1].events = POLLRDHUP;
    p[0].revents = p[1].revents = 0;
    if (poll(p, 2, ms) < 0 && errno != EINTR)
        return QUEUE_WOKEN;
    if (client_gone(&p[1]))
        return QUEUE_CLIENT_GONE;
    if (fd >= 0)
        drain_wakes(fd);
    return now_ms() >= deadline ? QUEUE_TIMEOUT : QUEUE_WOKEN;
}

static void note_drain_locked(struct area *a)
{
    int64_t sec = wall_ms() / 1000;
    int b = (int)(sec % DRAIN_BUCKETS);

    if (a->bucket_sec[b] != sec) {
        a->bucket_sec[b] = sec;
        a->bucket_n[b] = 0;
    }
    a->bucket_n[b]++;
    a->served++;
}

static bool is_pool(const char *queue)
{
    return strncmp(queue, QUEUE_POOL, NAME_LEN) == 0;
}

static void kick_queue(const char *queue);

void queue_leave(struct queue_ticket *t, enum queue_wake why, bool served)
{
    struct area *a;
    bool pool = is_pool(t->queue);
    int i;

    if (!t->seq)
        return;
    a = lock();
    i = find(a, t->seq);
    /* Rounds and counts are the pool's; a session's turns are FIFO. */
    if (i >= 0) {
        if (pool && served && a->e[i].round > a->round)
            a->round = a->e[i].round;
        remove_at(a, i);
    }
    if (pool && served)
        note_drain_locked(a);
    else if (pool && why == QUEUE_CLIENT_GONE)
        a->abandoned++;
    else if (pool)
        a->timed_out++;
    unlock(a);
    t->seq = 0;
    kick_queue(t->queue);
}

void queue_note_served(void)
{
    struct area *a = lock();

    note_drain_locked(a);
    unlock(a);
}

/* Removes pid's entries; names one queue that lost an entry. */
static int drop_pid_locked(struct area *a, pid_t pid, char *queue)
{
    int n = 0;

    for (int i = 0; i < a->n; i++)
        if (a->e[i].pid == pid) {
            if (queue)
                memcpy(queue, a->e[i].queue, NAME_LEN);
            remove_at(a, i);
            i--;
            n++;
        }
    return n;
}

static void kick_queue(const char *queue)
{
    /* A dead head is dropped and the next one tried, a few times. */
    for (int tries = 0; tries < 8; tries++) {
        struct area *a = lock();
        int h = head(a, queue);
        pid_t pid = h >= 0 ? a->e[h].pid : 0;

        unlock(a);
        if (!pid || pid == getpid() || send_wake(a, pid) == 0
            || !pid_dead(pid))
            return;
        a = lock();
        drop_pid_locked(a, pid, NULL);
        unlock(a);
    }
}

void queue_kick(void)
{
    kick_queue(QUEUE_POOL);
}

int queue_drop_pid(pid_t pid)
{
    struct area *a = lock();
    char queue[NAME_LEN] = "";
    int n = drop_pid_locked(a, pid, queue);

    if (n && a->n_dead < DEAD_MAX)
        a->dead[a->n_dead++] = pid;
    unlock(a);
    /* A worker holds at most a session's turn and a place in the pool's
     * queue: wake both heads. */
    if (n) {
        queue_kick();
        if (!is_pool(queue))
            kick_queue(queue);
    }
    return n;
}

int queue_take_dead(pid_t *pids, int max)
{
    struct area *a = lock();
    int n = a->n_dead < max ? a->n_dead : max;

    memcpy(pids, a->dead, (size_t)n * sizeof(*pids));
    memmove(a->dead, a->dead + n, (size_t)(a->n_dead - n) * sizeof(*pids));
    a->n_dead -= n;
    unlock(a);
    return n;
}

int queue_count(const char *queue)
{
    struct area *a = lock();
    int n = count_locked(a, queue);

    unlock(a);
    return n;
}

int queue_depth(void)
{
    return queue_count(QUEUE_POOL);
}

static double drain_locked(const struct area *a, int64_t now)
{
    int64_t sec = now / 1000;
    double window = (double)(now - a->created_ms) / 1000;
    uint64_t n = 0;

    for (int b = 0; b < DRAIN_BUCKETS; b++)
        if (sec - a->bucket_sec[b] < DRAIN_WINDOW_S)
            n += a->bucket_n[b];
    if (window > DRAIN_WINDOW_S)
        window = DRAIN_WINDOW_S;
    if (window < 1)
        window = 1;
    return (double)n / window;
}

void queue_get_status(struct queue_status *s)
{
    struct area *a = lock();
    int64_t now = wall_ms(), oldest = now;

    for (int i = 0; i < a->n; i++)
        if (is_pool(a->e[i].queue) && a->e[i].entered_ms < oldest)
            oldest = a->e[i].entered_ms;
    s->depth = count_locked(a, QUEUE_POOL);
    s->oldest_wait_ms = (double)(now - oldest);
    s->drain_per_s = drain_locked(a, now);
    s->served = a->served;
    s->timed_out = a->timed_out;
    s->abandoned = a->abandoned;
    s->rejected = a->rejected;
    unlock(a);
}

long queue_retry_after(long cap_s)
{
    struct queue_status s;
    double secs;

    queue_get_status(&s);
    if (cap_s < 1)
        cap_s = 1;
    if (s.drain_per_s <= 0)
        return s.depth ? cap_s : 1;     /* nothing measured yet */
    /* Everyone ahead, and then us. */
    secs = (double)(s.depth + 1) / s.drain_per_s;
    if (secs < 1)
        return 1;
    return secs > (double)cap_s ? cap_s : (long)(secs + 0.999);
}

/* notify.c - see notify.h.  The futex is a shared (not private) one: the
 * counter lives in a MAP_SHARED page that every child inherits. */
#include "config.h"
#include "base/notify.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"

/* Two counters in one shared page: ended executions, stored events. */
enum { ENDED, EVENTS, N_COUNTERS };
static uint32_t *counters;      /* NULL: not made (admin, unit tests) */
static int fds[NOTIFY_N_FDS] = { -1, -1 };

void notify_create(void)
{
    counters = xmap_shared(N_COUNTERS * sizeof(*counters),
                           "the wake-up counters");
    for (int i = 0; i < NOTIFY_N_FDS; i++) {
        fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fds[i] < 0)
            die("eventfd failed");
    }
}

static uint32_t seq_of(int which)
{
    return counters ? __atomic_load_n(&counters[which], __ATOMIC_SEQ_CST)
                    : 0;
}

static void wait_on(int which, uint32_t seen, long timeout_ms)
{
    struct timespec ts;

    if (timeout_ms <= 0)
        return;
    if (!counters) {
        sleep_ms(timeout_ms < 100 ? timeout_ms : 100);
        return;
    }
    ts.tv_sec = timeout_ms / 1000;
    ts.tv_nsec = (timeout_ms % 1000) * 1000000L;
    syscall(SYS_futex, &counters[which], FUTEX_WAIT, seen, &ts, NULL, 0);
}

static void bump(int which)
{
    if (!counters)
        return;
    __atomic_add_fetch(&counters[which], 1, __ATOMIC_SEQ_CST);
    syscall(SYS_futex, &counters[which], FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

uint32_t notify_ended_seq(void)
{
    return seq_of(ENDED);
}

void notify_ended_wait(uint32_t seen, long timeout_ms)
{
    wait_on(ENDED, seen, timeout_ms);
}

void notify_ended_bump(void)
{
    bump(ENDED);
    bump(EVENTS);               /* a stream waits for the end too */
}

uint32_t notify_events_seq(void)
{
    return seq_of(EVENTS);
}

void notify_events_wait(uint32_t seen, long timeout_ms)
{
    wait_on(EVENTS, seen, timeout_ms);
}

void notify_events_bump(void)
{
    bump(EVENTS);
}

void notify_poke(enum notify_fd which)
{
    uint64_t one = 1;

    if (fds[which] >= 0 && write(fds[which], &one, sizeof(one)) < 0
        && errno != EAGAIN)
        return;                 /* a full counter wakes them anyway */
}

int notify_fd(enum notify_fd which)
{
    return fds[which];
}

void notify_drain(enum notify_fd which)
{
    uint64_t n;

    if (fds[which] >= 0 && read(fds[which], &n, sizeof(n)) < 0)
        return;                 /* EAGAIN: another process took it */
}

bool notify_stop_asked(void)
{
    sigset_t pending;

    return sigpending(&pending) == 0 && sigismember(&pending, SIGTERM) == 1;
}

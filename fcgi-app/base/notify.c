/* notify.c - see notify.h.  The futex is a shared (not private) one: the
 * counter lives in a MAP_SHARED page that every child inherits. */
#include "config.h"
#include "base/notify.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"

static uint32_t *ended;         /* NULL: not made (admin, unit tests) */
static int fds[NOTIFY_N_FDS] = { -1, -1 };

void notify_create(void)
{
    ended = xmap_shared(sizeof(*ended), "the wake-up counter");
    for (int i = 0; i < NOTIFY_N_FDS; i++) {
        fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fds[i] < 0)
            die("eventfd failed");
    }
}

uint32_t notify_ended_seq(void)
{
    return ended ? __atomic_load_n(ended, __ATOMIC_SEQ_CST) : 0;
}

void notify_ended_wait(uint32_t seen, long timeout_ms)
{
    struct timespec ts;

    if (timeout_ms <= 0)
        return;
    if (!ended) {
        sleep_ms(timeout_ms < 100 ? timeout_ms : 100);
        return;
    }
    ts.tv_sec = timeout_ms / 1000;
    ts.tv_nsec = (timeout_ms % 1000) * 1000000L;
    syscall(SYS_futex, ended, FUTEX_WAIT, seen, &ts, NULL, 0);
}

void notify_ended_bump(void)
{
    if (!ended)
        return;
    __atomic_add_fetch(ended, 1, __ATOMIC_SEQ_CST);
    syscall(SYS_futex, ended, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
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

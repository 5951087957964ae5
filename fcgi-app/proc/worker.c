/* worker.c - the accept loop.  SIGTERM is blocked while a request is
 * being served and unblocked only around FCGX_Accept_r, which is set to
 * fail on EINTR: a stop request can never cut a response short, and an
 * idle worker leaves at once.  (If the signal lands between the flag check
 * and accept(2), the master's repeated SIGTERM wakes us.) */
#include "config.h"
#include "proc/worker.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "base/conf.h"
#include "base/log.h"
#include "base/stats.h"
#include "base/util.h"
#include "docker/docker.h"
#include "http/auth.h"
#include "http/request.h"
#include "http/serve.h"
#include "proc/signals.h"
#include "sandbox/app.h"
#include "sandbox/queue.h"
#include "store/store.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
    UNUSED(sig);
    stop = 1;
}

static void setup_signals(sigset_t *term_set)
{
    static const int term[] = { SIGTERM, 0 };
    static const int ignored[] = { SIGPIPE, SIGHUP, SIGUSR1, 0 };
    static const int reset[] = { SIGCHLD, SIGINT, 0 };

    signals_set(term, on_term);     /* accept() fails on it: EINTR */
    signals_set(ignored, SIG_IGN);
    signals_set(reset, SIG_DFL);
    signals_block(term, term_set);
}

void worker_run(const struct worker_args *a)
{
    struct app app;
    FCGX_Request fcgx;
    struct request rq;
    sigset_t term_set;
    char err[ERR_LEN];
    int failures = 0;

    log_set_role("worker");
    prctl(PR_SET_NAME, "pyexec-worker");
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    setup_signals(&term_set);
    memset(&app, 0, sizeof(app));
    app.conf = a->conf;
    app.policy = a->policy;
    app.slot = a->slot;
    app.keeper_wake_fd = a->wake_fd;
    app.client_fd = -1;
    app.store = store_open(a->conf->database, a->conf->busy_timeout_ms,
                           false, err);
    if (!app.store) {
        log_err("database: %s", err);
        _exit(3);
    }
    /* Before any execution: a cancel's poke is never lost. */
    queue_wake_fd();
    auth_init(a->conf);
    FCGX_Init();
    FCGX_InitRequest(&fcgx, a->listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
    stats_worker_set(a->slot, getpid(), WORKER_IDLE);
    log_debug("worker ready in slot %d", a->slot);

    while (!stop) {
        int rc;

        sigprocmask(SIG_UNBLOCK, &term_set, NULL);
        rc = stop ? -EINTR : FCGX_Accept_r(&fcgx);
        sigprocmask(SIG_BLOCK, &term_set, NULL);
        if (rc < 0) {
            if (stop)
                break;
            if (rc != -EINTR && ++failures > 100) {
                log_err("accept keeps failing (%s): exiting",
                        strerror(-rc));
                _exit(4);
            }
            continue;
        }
        failures = 0;
        stats_worker_set(a->slot, getpid(), WORKER_BUSY);
        app.client_fd = fcgx.ipcFd;
        request_begin(&rq, &fcgx, &app);
        serve_request(&rq);
        app.client_fd = -1;
        app.queue_key = NULL;
        FCGX_Finish_r(&fcgx);
        request_reset(&rq);
        stats_worker_set(a->slot, getpid(), WORKER_IDLE);
    }
    stats_worker_set(a->slot, 0, WORKER_FREE);
    FCGX_Free(&fcgx, 1);
    docker_close(app.docker);
    auth_release();
    store_close(app.store);
    log_debug("worker exiting");
    _exit(0);
}

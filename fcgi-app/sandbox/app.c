/* app.c - see app.h. */
#include "config.h"
#include "sandbox/app.h"

#include <unistd.h>

#include "base/conf.h"
#include "base/log.h"
#include "base/util.h"
#include "docker/docker.h"
#include "sandbox/queue.h"

struct docker *app_docker(struct app *app)
{
    char err[ERR_LEN];

    if (!app->docker) {
        app->docker = docker_open(app->conf->docker_host, err);
        if (!app->docker)
            log_err("docker: %s", err);
    }
    return app->docker;
}

int app_docker_ping(struct app *app, long timeout_ms, char *err)
{
    struct docker *d = app_docker(app);
    int rc;

    if (!d) {
        err_set(err, "cannot use docker_host %s", app->conf->docker_host);
        return -1;
    }
    docker_set_timeout(d, timeout_ms);
    rc = docker_ping(d, err);
    docker_set_timeout(d, 0);
    return rc;
}

bool app_cancelled(struct app *app)
{
    return queue_poked() && app->cancelled && app->cancelled(app->cancel_arg);
}

void app_wake_keeper(struct app *app)
{
    char b = 1;

    if (app->keeper_wake_fd >= 0 && write(app->keeper_wake_fd, &b, 1) < 0) {
        /* Full pipe: the keeper has wake-ups pending already. */
    }
}

/* log.c - see log.h.  Each line is written with one write(2) so lines of
 * concurrent processes sharing stderr never interleave. */
#include "config.h"
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level current = LOG_INFO;
static char request_id[72];
static const char *role = "pyexec";

int log_level_parse(const char *s)
{
    static const char *names[] = { "error", "warn", "info", "debug" };

    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

void log_set_level(enum log_level lvl)
{
    current = lvl;
}

void log_set_request_id(const char *id)
{
    if (id)
        snprintf(request_id, sizeof(request_id), "%s", id);
    else
        request_id[0] = '\0';
}

void log_set_role(const char *r)
{
    role = r;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    static const char *tags[] = { "error", "warn", "info", "debug" };
    char line[2048];
    struct timespec ts;
    struct tm tm;
    va_list ap;
    int n;

    if (lvl > current)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = snprintf(line, sizeof(line),
                 "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%d] %s%s%s: ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, role,
                 (int)getpid(), tags[lvl], request_id[0] ? " req=" : "",
                 request_id);
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    if (write(STDERR_FILENO, line, (size_t)n) < 0) {
        /* Nowhere left to report it. */
    }
}

/* log.h - one line per event on stderr: time, pid, level, request id.
 * Never log code, keys or stdin. */
#ifndef PYEXEC_LOG_H
#define PYEXEC_LOG_H

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Parses "error|warn|info|debug"; -1 if unknown. */
int log_level_parse(const char *s);
void log_set_level(enum log_level lvl);
/* The request id printed on every line until cleared with NULL. */
void log_set_request_id(const char *id);
/* Names the process in each line ("master", "worker", "keeper"). */
void log_set_role(const char *role);

void log_msg(enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif

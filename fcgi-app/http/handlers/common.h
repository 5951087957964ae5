/* common.h - pieces several handlers share: reading a JSON body, running
 * an execution for the caller, answering one that did not run. */
#ifndef PYEXEC_HANDLERS_COMMON_H
#define PYEXEC_HANDLERS_COMMON_H

#include <stdbool.h>

struct request;
struct json;
struct execution_request;
struct execution_result;

/* The JSON object body, or NULL after answering 400 or 413. */
const struct json *body_json(struct request *rq);

/* Answers 503 database_busy with the store's last message. */
void respond_db_error(struct request *rq);

/* Answers a lookup of what (by its id) that found nothing (rc 0: 404)
 * or failed (rc < 0: 503); true when it answered, false for rc 1. */
bool respond_missing(struct request *rq, int rc, const char *what);

/* Runs er for the caller of rq, who may watch it live (NULL: not);
 * res must be released by the caller. */
struct events_live;
void execute_for(struct request *rq, const struct execution_request *er,
                 const struct events_live *live,
                 struct execution_result *res);

/* Answers an execution that did not run: the status of res->result, and
 * for RESULT_UNSAFE the violations and the id it is recorded under. */
void respond_execution_failure(struct request *rq,
                               const struct execution_request *er,
                               const struct execution_result *res);

#endif

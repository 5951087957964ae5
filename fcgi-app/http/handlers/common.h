/* common.h - pieces several handlers share: reading a JSON body, mapping
 * an execution failure to its status, writing an execution response. */
#ifndef PYEXEC_HANDLERS_COMMON_H
#define PYEXEC_HANDLERS_COMMON_H

#include "exec/execution.h"

struct request;
struct json;
struct jw;
struct execution_request;

/* The JSON object body, or NULL after answering 400 or 413. */
const struct json *body_json(struct request *rq);

/* Answers 503 database_busy with the store's last message. */
void respond_db_error(struct request *rq);

/* Answers the failure in res (400 unsafe_code, 409, 429, 503, 507...). */
void respond_exec_failure(struct request *rq, const struct execution_request *er,
                          const struct execution_result *res);

/* Runs er for the caller of rq; res must be released by the caller. */
void execute_for(struct request *rq, const struct execution_request *er,
             struct execution_result *res);

/* Writes the images/files array of res (kind "plot" or "file"). */
void write_files(struct request *rq, const struct execution_result *res,
                 bool plots, struct jw *w);

#endif

/* handlers.h - the HTTP endpoints, and the route table (http/routes.c)
 * that names them.  A handler answers with a result (response_fail,
 * response_json), whose status http/response.c decides. */
#ifndef PYEXEC_HANDLERS_H
#define PYEXEC_HANDLERS_H

#include <stddef.h>

#include "http/router.h"

struct request;

extern const struct route route_table[];
extern const size_t route_table_len;

void handle_health(struct request *rq);
void handle_execute(struct request *rq);
void handle_session_execute(struct request *rq);
void handle_runcode(struct request *rq);
void handle_status(struct request *rq);
void handle_release(struct request *rq);
void handle_session_get(struct request *rq);
void handle_session_delete(struct request *rq);
void handle_execution_list(struct request *rq);
void handle_execution_get(struct request *rq);
void handle_image(struct request *rq);
void handle_metrics(struct request *rq);
void handle_openapi(struct request *rq);
void handle_execution_submit(struct request *rq);
void handle_execution_deliveries(struct request *rq);
void handle_execution_cancel(struct request *rq);
void handle_execution_events(struct request *rq);
void handle_webhook_secret(struct request *rq);

#endif

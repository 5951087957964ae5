/* routes.c - every endpoint pyexec serves, in one table. */
#include "config.h"

#include "base/util.h"
#include "http/handlers/handlers.h"

/* An id in the path that a cell owns (SPEC 10). */
#define CELL_ID (ROUTE_CELL_PATH | ROUTE_CELL_TAG)

const struct route route_table[] = {
    { HTTP_GET, "/health", handle_health, ROUTE_PUBLIC, "health" },
    { HTTP_POST, "/execute", handle_execute,
      ROUTE_IDEMPOTENT | ROUTE_CELL_BODY, "execute" },
    { HTTP_GET | HTTP_POST, "/runcode", handle_runcode, 0, "runcode" },
    { HTTP_GET, "/status", handle_status, ROUTE_OPERATOR, "status" },
    { HTTP_POST, "/release", handle_release, ROUTE_CELL_BODY, "release" },
    { HTTP_GET, "/sessions/{id}", handle_session_get, CELL_ID,
      "session_get" },
    { HTTP_DELETE, "/sessions/{id}", handle_session_delete, CELL_ID,
      "session_delete" },
    { HTTP_POST, "/sessions/{id}/execute", handle_session_execute,
      ROUTE_IDEMPOTENT | CELL_ID, "session_execute" },
    { HTTP_GET, "/executions", handle_execution_list, 0, "executions" },
    { HTTP_GET, "/executions/{id}", handle_execution_get, CELL_ID,
      "execution" },
    { HTTP_GET, "/images/{id}", handle_image,
      ROUTE_PUBLIC | ROUTE_CELL_PATH, "image" },
    { HTTP_GET, "/image/{id}", handle_image,
      ROUTE_PUBLIC | ROUTE_CELL_PATH, "image_compat" },
    { HTTP_GET, "/metrics", handle_metrics, ROUTE_OPERATOR, "metrics" },
    { HTTP_GET, "/openapi.json", handle_openapi, ROUTE_PUBLIC, "openapi" },
    { HTTP_POST, "/executions", handle_execution_submit,
      ROUTE_IDEMPOTENT | ROUTE_CELL_BODY, "execution_submit" },
    { HTTP_GET, "/executions/{id}/deliveries", handle_execution_deliveries,
      CELL_ID, "execution_deliveries" },
    { HTTP_POST, "/executions/{id}/cancel", handle_execution_cancel,
      CELL_ID, "execution_cancel" },
    { HTTP_GET, "/executions/{id}/events", handle_execution_events,
      CELL_ID, "execution_events" },
    { HTTP_GET | HTTP_POST, "/webhook-secret", handle_webhook_secret, 0,
      "webhook_secret" },
};

const size_t route_table_len = ARRAY_SIZE(route_table);

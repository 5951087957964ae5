/* routes.c - every endpoint pyexec serves, in one table. */
#include "config.h"

#include "base/util.h"
#include "http/handlers/handlers.h"

const struct route route_table[] = {
    { HTTP_GET, "/health", handle_health, ROUTE_PUBLIC, "health" },
    { HTTP_POST, "/execute", handle_execute, ROUTE_IDEMPOTENT, "execute" },
    { HTTP_GET | HTTP_POST, "/runcode", handle_runcode, 0, "runcode" },
    { HTTP_GET, "/status", handle_status, ROUTE_OPERATOR, "status" },
    { HTTP_POST, "/release", handle_release, 0, "release" },
    { HTTP_GET, "/sessions/{id}", handle_session_get, 0, "session_get" },
    { HTTP_DELETE, "/sessions/{id}", handle_session_delete, 0,
      "session_delete" },
    { HTTP_POST, "/sessions/{id}/execute", handle_session_execute,
      ROUTE_IDEMPOTENT, "session_execute" },
    { HTTP_GET, "/executions", handle_execution_list, 0, "executions" },
    { HTTP_GET, "/executions/{id}", handle_execution_get, 0, "execution" },
    { HTTP_GET, "/images/{id}", handle_image, ROUTE_PUBLIC, "image" },
    { HTTP_GET, "/image/{id}", handle_image, ROUTE_PUBLIC, "image_compat" },
    { HTTP_GET, "/metrics", handle_metrics, ROUTE_OPERATOR, "metrics" },
    { HTTP_GET, "/openapi.json", handle_openapi, ROUTE_PUBLIC, "openapi" },
    { HTTP_POST, "/executions", handle_execution_submit, ROUTE_IDEMPOTENT,
      "execution_submit" },
    { HTTP_GET, "/executions/{id}/deliveries", handle_execution_deliveries,
      0, "execution_deliveries" },
    { HTTP_POST, "/executions/{id}/cancel", handle_execution_cancel, 0,
      "execution_cancel" },
    { HTTP_GET, "/executions/{id}/events", handle_execution_events, 0,
      "execution_events" },
    { HTTP_GET | HTTP_POST, "/webhook-secret", handle_webhook_secret, 0,
      "webhook_secret" },
};

const size_t route_table_len = ARRAY_SIZE(route_table);

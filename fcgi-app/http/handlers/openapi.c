/* openapi.c - GET /openapi.json: the API description, compiled in from
 * docs/openapi.json so the document always matches the binary. */
#include "config.h"

#include <stddef.h>

#include "http/handlers/handlers.h"
#include "http/request.h"
#include "http/response.h"

extern const char openapi_json[];
extern const size_t openapi_json_len;

void handle_openapi(struct request *rq)
{
    response_header(rq, "Cache-Control", "public, max-age=300");
    response_send(rq, 200, "application/json", openapi_json,
                  openapi_json_len);
}

/* auth.h - who is calling: API keys from the three accepted headers,
 * checked against config keys and the api_keys table; origin allow-list
 * and CORS.  Only http/serve.c calls these. */
#ifndef PYEXEC_AUTH_H
#define PYEXEC_AUTH_H

#include <stdbool.h>

#include "base/result.h"
#include "store/store_keys.h"

struct conf;
struct request;
struct store;

/* Hashes the config keys once per process. */
void auth_init(const struct conf *c);
void auth_release(void);

/* The key the client sent (Bearer, X-API-Key or X-Auth-Token), or NULL. */
const char *auth_key_from_request(const struct request *rq);

/* Fills *p for the caller: RESULT_OK, RESULT_UNAUTHORIZED when the key
 * is missing or wrong, or RESULT_DB_BUSY when the database could not
 * tell (the client may retry); why says which. */
enum result auth_authenticate(struct request *rq, struct principal *p,
                              char *why);

/* Origin allow-list: true when the request may proceed.  Adds the CORS
 * response headers for an allowed Origin. */
bool auth_origin_allowed(struct request *rq);

#endif

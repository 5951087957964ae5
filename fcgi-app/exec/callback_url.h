/* callback_url.h - whether a callback_url may be called: an absolute
 * http or https URL without credentials, whose host (or host:port)
 * matches one of the callback_allow patterns.  A pattern is a host name
 * or address ("hooks.example.com", "127.0.0.1", "[::1]"), optionally
 * with ":port", and may start with "*." for any subdomain; "*" allows
 * every host.  Hosts compare without case. */
#ifndef PYEXEC_CALLBACK_URL_H
#define PYEXEC_CALLBACK_URL_H

#include <stdbool.h>

#include "base/result.h"

/* RESULT_OK, or RESULT_INVALID_REQUEST with err saying what is wrong
 * and, for a host outside allow, how to allow it. */
enum result callback_url_check(const char *allow, const char *url,
                               char *err);

/* True when host:port matches one pattern of the comma-separated allow
 * list.  Pure, for tests. */
bool callback_host_allowed(const char *allow, const char *host, long port);

#endif

/* addr.h - the host:port form of the listen key ("127.0.0.1:9000",
 * "[::1]:9000", ":9000" for every address), resolved the same way for
 * the master, which listens there, and the doctor, which connects. */
#ifndef PYEXEC_ADDR_H
#define PYEXEC_ADDR_H

#include <stdbool.h>

struct addrinfo;

/* Resolves spec (host and a numeric port after its last ':') into *res,
 * which the caller frees with freeaddrinfo.  passive: to bind, where an
 * empty host is every address; else to connect, where it is 127.0.0.1.
 * 0, or -1 with err (getaddrinfo's message). */
int addr_resolve(const char *spec, bool passive, struct addrinfo **res,
                 char *err);

#endif

/* addr.c - see addr.h. */
#include "config.h"
#include "base/addr.h"

#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/util.h"

int addr_resolve(const char *spec, bool passive, struct addrinfo **res,
                 char *err)
{
    char *host = xstrdup(spec), *port = strrchr(host, ':');
    struct addrinfo hints;
    int rc;

    *res = NULL;
    if (!port) {
        err_set(err, "no port: want host:port");
        free(host);
        return -1;
    }
    *port++ = '\0';
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    rc = getaddrinfo(*host ? host : passive ? NULL : "127.0.0.1", port,
                     &hints, res);
    if (rc != 0)
        err_set(err, "%s", gai_strerror(rc));
    free(host);
    return rc == 0 ? 0 : -1;
}

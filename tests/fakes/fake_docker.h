/* fake_docker.h - a scripted stand-in for dockerd, for unit tests only: a
 * small HTTP/1.1 server on a unix socket in a fresh directory under /tmp,
 * run by a thread of the test.  It answers each request from the rules
 * it was given and records what it received, so a test can check both
 * sides of a call.
 *
 * It serves one connection at a time, keeps connections alive, and reads
 * request bodies by Content-Length (no chunked requests).  Every reply
 * carries "Api-Version: 1.41" unless fake_docker_set_api says otherwise.
 * Failures to set up abort the test. */
#ifndef PYEXEC_FAKE_DOCKER_H
#define PYEXEC_FAKE_DOCKER_H

#include <stddef.h>

struct fake_docker;

enum fake_action {
    FAKE_REPLY,                 /* send status, headers and body */
    FAKE_STALL,                 /* never answer; hang up when the client does */
    FAKE_CLOSE,                 /* close the connection without a word */
};

struct fake_rule {
    const char *method;         /* "GET", ...; NULL matches any */
    const char *prefix;         /* of the path and query, after any /vX.Y */
    int status;
    const char *headers;        /* extra header lines, each ending CRLF */
    const char *body;           /* NULL: empty */
    size_t body_len;            /* 0: strlen(body) */
    enum fake_action action;
    int times;                  /* 0: always; n: the next n matches only */
    size_t chunk;               /* > 0: chunked, in pieces this big */
};

struct fake_request {
    char method[16];
    char *path;                 /* as sent, with /vX.Y and the query */
    char *headers;              /* the raw header block */
    char *body;                 /* NUL-terminated */
    size_t body_len;
    int conn;                   /* 1 for the first connection, ... */
};

struct fake_docker *fake_docker_start(void);
/* The same on TCP, 127.0.0.1 and a free port: "tcp://127.0.0.1:port". */
struct fake_docker *fake_docker_start_tcp(void);
void fake_docker_stop(struct fake_docker *f);   /* NULL is fine */

/* "unix:///tmp/fake-docker-XXXXXX/docker.sock" (or the tcp:// one) */
const char *fake_docker_host(const struct fake_docker *f);
/* The directory holding the socket (files put there are removed at
 * stop). */
const char *fake_docker_dir(const struct fake_docker *f);
/* A unix:// host in that directory where nothing listens. */
const char *fake_docker_dead_host(const struct fake_docker *f);

/* Adds a rule (copied).  The newest matching rule with uses left wins;
 * a request no rule matches gets 404 {"message":"page not found"}. */
void fake_docker_add(struct fake_docker *f, const struct fake_rule *r);
/* Shorthand: always answer method+prefix with status and a JSON body. */
void fake_docker_on(struct fake_docker *f, const char *method,
                    const char *prefix, int status, const char *body);
/* The Api-Version header of every reply; NULL leaves it out. */
void fake_docker_set_api(struct fake_docker *f, const char *version);
/* Forgets rules, requests and the connection count. */
void fake_docker_reset(struct fake_docker *f);

/* Requests received so far; the pointer is valid until the next request
 * or reset.  NULL past the end; i < 0 counts from the end. */
size_t fake_docker_count(struct fake_docker *f);
const struct fake_request *fake_docker_request(struct fake_docker *f, int i);
/* Connections accepted so far. */
int fake_docker_connections(struct fake_docker *f);

#endif

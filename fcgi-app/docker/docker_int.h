/* docker_int.h - private to the docker folder: the client's state, the
 * HTTP exchange (docker_http.c), the log demultiplexer (docker_demux.c)
 * and the text helpers the replies need (docker_reply.c). */
#ifndef PYEXEC_DOCKER_INT_H
#define PYEXEC_DOCKER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "base/buf.h"
#include "docker/docker.h"

#define DOCKER_API_MAJOR 1
#define DOCKER_API_MINOR 41
#define DOCKER_API_MIN_MINOR 25     /* Mounts, NanoCpus, Init */
#define DOCKER_TIMEOUT_MS 30000L
#define DOCKER_CONNECT_TIMEOUT_MS 2000L
#define DOCKER_JSON_MAX (4u << 20)
#define DOCKER_RAW_LOGS_MAX (64u << 20)

struct demux {
    struct buf *out, *err;
    size_t max;                 /* per stream */
    unsigned char hdr[8];
    size_t hlen;                /* header bytes seen of the next frame */
    uint32_t left;              /* payload bytes still due in this frame */
    int stream;                 /* 1 stdout, 2 stderr */
    size_t raw;                 /* bytes fed so far */
    bool is_truncated;
    bool is_bad;
    bool is_full;               /* no stream can take more */
};

struct docker {
    CURL *curl;
    char *host;                 /* as given, for messages */
    char *base;                 /* "http://localhost", "http://h:p" */
    char *socket_path;          /* NULL for tcp */
    long timeout_ms;
    int api_major, api_minor;   /* pinned version of later calls */
    int status;                 /* of the last call; 0: not reached */
    bool is_unreachable;
    struct buf body;            /* the last reply (not for logs) */
    struct demux *demux;        /* set while reading a log stream */
    char hdr_api[16];           /* the Api-Version header of the reply */
    char curl_err[CURL_ERROR_SIZE];
};

/* One HTTP exchange with the daemon. */
struct docker_http {
    const char *method;         /* "GET", "POST" or "DELETE" */
    const char *path;           /* after the base (and the version) */
    const char *body;           /* POST: JSON, or NULL */
    size_t blen;
    long timeout_ms;            /* 0: the client's default */
    bool is_versioned;          /* under /v1.NN */
};

/* Sends the request.  0 when the daemon answered (any status: see
 * d->status and d->body), -1 with err when it could not be reached,
 * timed out, or sent more than we keep. */
int docker_transfer(struct docker *d, const struct docker_http *h,
                    char *err);
/* docker_transfer under the pinned version; when a daemon older than us
 * says the version is too new, learns its version and retries once. */
int docker_call(struct docker *d, const struct docker_http *h, char *err);
/* GET /_ping; pins the API version from its Api-Version header. */
int docker_ping_once(struct docker *d, char *err);
/* Pins min(ours, api) as the version of later calls; -1 (err) when api
 * is unusable or too old. */
int docker_pin_version(struct docker *d, const char *api, char *err);

/* One endpoint's call, the skeleton every API call shares: the path
 * (/containers/{id}PATH for a container's call, the id checked first;
 * arg, escaped, appended), the exchange, and the statuses that mean
 * success (ok, and a 409 whose body mentions ok_409); anything else
 * fails with Docker's message. */
struct docker_call {
    const char *method;
    bool is_container;          /* a call on container id */
    const char *id;
    const char *path;
    const char *arg;
    const char *body;
    size_t blen;
    long timeout_ms;
    int ok[2];
    const char *ok_409;
};
/* 0 (d->status says which success), or -1 with err. */
int docker_endpoint(struct docker *d, const struct docker_call *c,
                    char *err);

/* The last reply parsed as JSON, or NULL with err naming what. */
struct json *docker_reply_json(struct docker *d, const char *what,
                               char *err);

/* Log demultiplexing (see docker_demux). */
void demux_init(struct demux *m, struct buf *out, struct buf *errout,
                size_t max);
int demux_feed(struct demux *m, const char *p, size_t n);
int demux_finish(struct demux *m);

/* ASCII classes, whatever the locale. */
bool docker_is_alnum(char c);
/* A container id: 1 to DOCKER_ID_LEN alphanumerics (and no NUL). */
bool docker_is_id(const char *s, size_t n);
/* Copies s[0..n) into dst[size], stopping at a NUL and truncating. */
void docker_copy_field(char *dst, size_t size, const char *s, size_t n);
/* Writes s[0..n) into dst[size] as one line of valid UTF-8: control
 * characters become spaces, runs of them collapse, and a cut never
 * splits a character. */
void docker_clean_text(char *dst, size_t size, const char *s, size_t n);
/* Percent-encodes s into b, leaving RFC 3986 unreserved characters and
 * those in keep alone. */
void docker_url_escape(struct buf *b, const char *s, const char *keep);
/* A container id or image name we are willing to put in a path. */
int docker_check_ref(const char *what, const char *s, char *err);

#endif

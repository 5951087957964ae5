/* docker.c - see docker.h.  A thin client of the Docker Engine API: it
 * builds requests with libcurl's easy interface and reads replies with
 * json_parse.  It knows nothing about pools, sessions or HTTP handlers,
 * and never shells out to the docker CLI.
 *
 * Each struct docker owns one curl easy handle.  curl_easy_reset() before
 * every call clears the options but keeps the live connection, so calls
 * made one after another share one keep-alive connection to the daemon.
 *
 * Replies are read into a bounded buffer (DOCKER_JSON_MAX); the log
 * stream is demultiplexed as it arrives, so a container that wrote
 * gigabytes costs at most the caller's max per stream in memory. */
#include "config.h"
#include "docker/docker.h"

#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <curl/curl.h>

#include "base/json.h"
#include "base/util.h"

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

/* ---- global init ---- */

static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static bool is_global_init;

int docker_global_init(char *err)
{
    CURLcode rc = CURLE_OK;

    pthread_mutex_lock(&global_lock);
    if (!is_global_init) {
        rc = curl_global_init(CURL_GLOBAL_DEFAULT);
        is_global_init = rc == CURLE_OK;
    }
    pthread_mutex_unlock(&global_lock);
    if (rc != CURLE_OK) {
        err_set(err, "docker: curl_global_init: %s", curl_easy_strerror(rc));
        return -1;
    }
    return 0;
}

void docker_global_cleanup(void)
{
    pthread_mutex_lock(&global_lock);
    if (is_global_init)
        curl_global_cleanup();
    is_global_init = false;
    pthread_mutex_unlock(&global_lock);
}

/* ---- small helpers ---- */

/* ASCII classes, whatever the locale. */
static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9');
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
        || (c >= 'A' && c <= 'F');
}

/* Copies s[0..n) into dst[size], stopping at a NUL and truncating. */
static void copy_field(char *dst, size_t size, const char *s, size_t n)
{
    size_t k = 0;

    while (k < n && k + 1 < size && s[k])
        k++;
    memcpy(dst, s, k);
    dst[k] = '\0';
}

/* Percent-encodes s into b, leaving RFC 3986 unreserved characters and
 * those in keep alone. */
static void url_escape(struct buf *b, const char *s, const char *keep)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (is_alnum((char)c) || c == '-' || c == '_' || c == '.' || c == '~'
            || (keep && strchr(keep, c))) {
            buf_append_char(b, (char)c);
        } else {
            buf_append_char(b, '%');
            buf_append_char(b, hex[c >> 4]);
            buf_append_char(b, hex[c & 15]);
        }
    }
}

/* "1.41" -> 1, 41.  Strict: digits, one dot, digits. */
static int parse_api(const char *s, int *major, int *minor)
{
    char *end;
    long a, b;

    if (!isdigit((unsigned char)s[0]))
        return -1;
    a = strtol(s, &end, 10);
    if (*end != '.' || !isdigit((unsigned char)end[1]))
        return -1;
    b = strtol(end + 1, &end, 10);
    if (*end || a > 99 || b > 999)
        return -1;
    *major = (int)a;
    *minor = (int)b;
    return 0;
}

/* Pins min(ours, theirs).  -1 when theirs is unusable or too old. */
static int pin_api(struct docker *d, const char *theirs, char *err)
{
    int major, minor;

    if (parse_api(theirs, &major, &minor) < 0) {
        err_set(err, "docker: bad API version \"%.32s\" from the daemon",
                theirs);
        return -1;
    }
    if (major > DOCKER_API_MAJOR
        || (major == DOCKER_API_MAJOR && minor >= DOCKER_API_MINOR)) {
        major = DOCKER_API_MAJOR;
        minor = DOCKER_API_MINOR;
    }
    if (major < DOCKER_API_MAJOR || minor < DOCKER_API_MIN_MINOR) {
        err_set(err, "docker: the daemon speaks API %d.%d; pyexec needs "
                "%d.%d or later", major, minor, DOCKER_API_MAJOR,
                DOCKER_API_MIN_MINOR);
        return -1;
    }
    d->api_major = major;
    d->api_minor = minor;
    return 0;
}

/* A container id or name we are willing to put in a path. */
static int check_ref(const char *what, const char *s, char *err)
{
    if (!s || !*s || strlen(s) > 255 || strcmp(s, ".") == 0
        || strcmp(s, "..") == 0) {
        err_set(err, "docker: bad %s \"%.64s\"", what, s ? s : "(null)");
        return -1;
    }
    return 0;
}

/* ---- open / close ---- */

/* "host:port", "[v6]:port", "host" (port 2375), one trailing '/' at most. */
static int parse_tcp(const char *hp, struct buf *base, char *err)
{
    size_t n = strlen(hp);
    const char *end, *host_end, *c;
    long port = 2375;

    if (n && hp[n - 1] == '/')
        n--;
    end = hp + n;
    if (n && hp[0] == '[') {
        host_end = memchr(hp, ']', n);
        if (!host_end || host_end == hp + 1)
            goto bad;
        for (c = hp + 1; c < host_end; c++)
            if (!is_hex(*c) && *c != ':' && *c != '.')
                goto bad;
        host_end++;
    } else {
        for (host_end = hp; host_end < end && *host_end != ':'; host_end++)
            if (!is_alnum(*host_end) && *host_end != '.'
                && *host_end != '-')
                goto bad;
        if (host_end == hp)
            goto bad;
    }
    if (host_end < end) {
        char tmp[8];
        size_t k = (size_t)(end - host_end - 1);

        if (*host_end != ':' || k == 0 || k >= sizeof(tmp))
            goto bad;
        memcpy(tmp, host_end + 1, k);
        tmp[k] = '\0';
        for (c = tmp; *c; c++)
            if (*c < '0' || *c > '9')
                goto bad;
        if (parse_long(tmp, 1, 65535, &port) < 0)
            goto bad;
    }
    buf_appendf(base, "http://%.*s:%ld", (int)(host_end - hp), hp, port);
    return 0;
bad:
    err_set(err, "docker: bad host \"tcp://%.128s\" (want tcp://host:port)",
            hp);
    return -1;
}

struct docker *docker_open(const char *host, char *err)
{
    struct docker *d = NULL;
    struct buf base = BUF_INIT(0);
    struct sockaddr_un sa;
    char *path = NULL;

    if (!host || !*host)
        host = "unix:///var/run/docker.sock";
    if (strncmp(host, "unix://", 7) == 0) {
        const char *p = host + 7;

        if (*p != '/' || strlen(p) >= sizeof(sa.sun_path)) {
            err_set(err, "docker: bad host \"%.128s\" (want unix:///path,"
                    " shorter than 108 bytes)", host);
            goto out;
        }
        path = xstrdup(p);
        buf_append_str(&base, "http://localhost");
    } else if (strncmp(host, "tcp://", 6) == 0) {
        if (parse_tcp(host + 6, &base, err) < 0)
            goto out;
    } else {
        err_set(err, "docker: unsupported host \"%.128s\" (use unix:///path"
                " or tcp://host:port)", host);
        goto out;
    }
    if (docker_global_init(err) < 0)
        goto out;
    d = xcalloc(1, sizeof(*d));
    d->curl = curl_easy_init();
    if (!d->curl) {
        err_set(err, "docker: curl_easy_init failed");
        free(d);
        d = NULL;
        goto out;
    }
    d->host = xstrdup(host);
    d->base = buf_detach(&base, NULL);
    d->socket_path = path;
    path = NULL;
    d->timeout_ms = DOCKER_TIMEOUT_MS;
    d->api_major = DOCKER_API_MAJOR;
    d->api_minor = DOCKER_API_MINOR;
    buf_init(&d->body, DOCKER_JSON_MAX);
out:
    free(path);
    buf_release(&base);
    return d;
}

void docker_close(struct docker *d)
{
    if (!d)
        return;
    curl_easy_cleanup(d->curl);
    buf_release(&d->body);
    free(d->socket_path);
    free(d->base);
    free(d->host);
    free(d);
}

void docker_set_timeout(struct docker *d, long ms)
{
    d->timeout_ms = ms > 0 ? ms : DOCKER_TIMEOUT_MS;
}

int docker_last_status(const struct docker *d)
{
    return d->status;
}

bool docker_last_unreachable(const struct docker *d)
{
    return d->is_unreachable;
}

/* ---- the log stream ---- */

static void demux_keep(struct demux *m, struct buf *b, const char *p,
                       size_t n)
{
    size_t room = 0;

    if (!b)
        return;                     /* the caller discards this stream */
    if (b->len < m->max)
        room = m->max - b->len;
    if (b->max && room > (b->max > b->len ? b->max - b->len : 0))
        room = b->max > b->len ? b->max - b->len : 0;
    if (n > room) {
        m->is_truncated = true;
        n = room;
    }
    if (n)
        buf_append(b, p, n);
}

static bool demux_stream_full(const struct demux *m, const struct buf *b)
{
    return !b || b->len >= m->max || (b->max && b->len >= b->max);
}

/* Feeds n more bytes of the stream.  -1 once a header is malformed. */
static int demux_feed(struct demux *m, const char *p, size_t n)
{
    m->raw += n;
    while (n && !m->is_bad) {
        if (m->left) {
            size_t take = n < m->left ? n : m->left;

            demux_keep(m, m->stream == 2 ? m->err : m->out, p, take);
            m->left -= (uint32_t)take;
            p += take;
            n -= take;
            continue;
        }
        m->hdr[m->hlen++] = (unsigned char)*p++;
        n--;
        if (m->hlen < 8)
            continue;
        m->hlen = 0;
        /* 0 is stdin, which Docker documents as written on stdout. */
        if (m->hdr[0] > 2 || m->hdr[1] || m->hdr[2] || m->hdr[3]) {
            m->is_bad = true;
            break;
        }
        m->stream = m->hdr[0] == 2 ? 2 : 1;
        m->left = (uint32_t)m->hdr[4] << 24 | (uint32_t)m->hdr[5] << 16
            | (uint32_t)m->hdr[6] << 8 | (uint32_t)m->hdr[7];
    }
    if (demux_stream_full(m, m->out) && demux_stream_full(m, m->err))
        m->is_full = true;
    return m->is_bad ? -1 : 0;
}

static void demux_init(struct demux *m, struct buf *out, struct buf *errout,
                       size_t max)
{
    memset(m, 0, sizeof(*m));
    m->out = out;
    m->err = errout;
    m->max = max ? max : DOCKER_LOGS_MAX;
}

/* 0, 1 when something was cut, -1 when malformed. */
static int demux_finish(struct demux *m)
{
    if (m->is_bad)
        return -1;
    if (m->hlen || m->left)
        m->is_truncated = true;     /* a final frame cut short */
    return m->is_truncated ? 1 : 0;
}

int docker_demux(const char *p, size_t n, struct buf *out,
                 struct buf *errout, size_t max)
{
    struct demux m;

    demux_init(&m, out, errout, max);
    demux_feed(&m, p, n);
    return demux_finish(&m);
}

/* ---- transport ---- */

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    struct docker *d = arg;
    size_t n = size * nmemb;
    long code = 0;

    if (d->demux) {
        curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, &code);
        if (code == 200) {
            struct demux *m = d->demux;

            if (m->raw > DOCKER_RAW_LOGS_MAX) {
                m->is_truncated = true;
                return 0;
            }
            if (demux_feed(m, p, n) < 0)
                return 0;
            /* Once output is being dropped and nothing more can be kept,
             * reading on is wasted. */
            return m->is_full && m->is_truncated ? 0 : n;
        }
    }
    return buf_append(&d->body, p, n) < 0 ? 0 : n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
    struct docker *d = arg;
    size_t n = size * nmemb;
    static const char name[] = "api-version:";
    size_t k = sizeof(name) - 1;

    if (n > k && strncasecmp(p, name, k) == 0) {
        const char *v = p + k;
        size_t vl = n - k;

        while (vl && (*v == ' ' || *v == '\t')) {
            v++;
            vl--;
        }
        while (vl && isspace((unsigned char)v[vl - 1]))
            vl--;
        copy_field(d->hdr_api, sizeof(d->hdr_api), v, vl);
    }
    return n;
}

enum { UNVERSIONED = 0, VERSIONED = 1 };

/* One HTTP exchange.  0 when the daemon answered (any status: see
 * d->status and d->body), -1 with err when it could not be reached, timed
 * out, or sent more than we keep. */
static int transfer(struct docker *d, const char *method, int versioned,
                    const char *path, const char *body, size_t blen,
                    long timeout_ms, char *err)
{
    struct curl_slist *hdrs = NULL;
    struct buf url = BUF_INIT(0);
    CURL *c = d->curl;
    CURLcode rc;
    long code = 0;
    int ret = -1;

    d->status = 0;
    d->is_unreachable = false;
    d->hdr_api[0] = '\0';
    d->curl_err[0] = '\0';
    buf_reset(&d->body);
    buf_append_str(&url, d->base);
    if (versioned)
        buf_appendf(&url, "/v%d.%d", d->api_major, d->api_minor);
    buf_append_str(&url, path);

    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url.data);
    if (d->socket_path)
        curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, d->socket_path);
    /* Pre-forked workers and threads: no SIGALRM for timeouts. */
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                     timeout_ms > 0 ? timeout_ms : d->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, DOCKER_CONNECT_TIMEOUT_MS);
    /* http_proxy in the environment must never see Docker's API. */
    curl_easy_setopt(c, CURLOPT_PROXY, "");
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTP);
#endif
#if LIBCURL_VERSION_NUM >= 0x072a00
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
#endif
    curl_easy_setopt(c, CURLOPT_USERAGENT, "pyexec/" PACKAGE_VERSION);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, d->curl_err);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, d);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, d);
    if (strcmp(method, "POST") == 0) {
        /* Docker insists on JSON for bodies; "Expect:" stops curl's
         * 100-continue round trip on larger ones. */
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        hdrs = curl_slist_append(hdrs, "Expect:");
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(body ? blen : 0));
    } else if (strcmp(method, "DELETE") == 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
    }
    if (hdrs)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    d->status = (int)code;
    if (rc == CURLE_OK) {
        ret = 0;
        goto out;
    }
    if (rc == CURLE_WRITE_ERROR && d->demux && code == 200) {
        /* We stopped reading: the streams are full or the stream is
         * malformed; docker_logs tells which. */
        ret = 0;
        goto out;
    }
    if (rc == CURLE_WRITE_ERROR) {
        err_set(err, "docker: %s %s: reply larger than %zu bytes", method,
                path, d->body.max);
        goto out;
    }
    {
        const char *why = d->curl_err[0] ? d->curl_err
                                         : curl_easy_strerror(rc);
        double pre = 0;

        /* A timeout before the request went out is a connect timeout. */
        curl_easy_getinfo(c, CURLINFO_PRETRANSFER_TIME, &pre);
        if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST
            || (rc == CURLE_OPERATION_TIMEDOUT && pre <= 0 && code == 0)) {
            d->status = 0;
            d->is_unreachable = true;
            err_set(err, "docker: cannot connect to %s: %s", d->host, why);
        } else if (rc == CURLE_OPERATION_TIMEDOUT) {
            err_set(err, "docker: %s %s: timed out after %ld ms", method,
                    path, timeout_ms > 0 ? timeout_ms : d->timeout_ms);
        } else {
            err_set(err, "docker: %s %s: %s", method, path, why);
        }
    }
out:
    curl_slist_free_all(hdrs);
    buf_release(&url);
    return ret;
}

static bool body_mentions(const struct docker *d, const char *s)
{
    return d->body.len && strstr(buf_cstr(&d->body), s) != NULL;
}

static int ping_once(struct docker *d, char *err);
static void clean_text(char *dst, size_t size, const char *s, size_t n);

/* transfer() under the pinned version; when a daemon older than us says
 * "client version 1.41 is too new", pings to learn its version and
 * retries once. */
static int call(struct docker *d, const char *method, const char *path,
                const char *body, size_t blen, long timeout_ms, char *err)
{
    int major = d->api_major, minor = d->api_minor;
    struct buf saved;

    if (transfer(d, method, VERSIONED, path, body, blen, timeout_ms, err) < 0)
        return -1;
    if (d->status != 400 || !body_mentions(d, "is too new"))
        return 0;
    saved = d->body;
    buf_init(&d->body, DOCKER_JSON_MAX);
    if (ping_once(d, NULL) == 0
        && (d->api_major != major || d->api_minor != minor)) {
        buf_release(&saved);
        return transfer(d, method, VERSIONED, path, body, blen, timeout_ms,
                        err);
    }
    buf_release(&d->body);
    d->body = saved;
    d->status = 400;
    d->is_unreachable = false;
    return 0;
}

/* err from the last reply; always -1. */
static int fail_reply(struct docker *d, char *err)
{
    docker_parse_error(d->body.data, d->body.len, d->status, err);
    return -1;
}

static struct json *parse_reply(struct docker *d, const char *what,
                                char *err)
{
    char jerr[ERR_LEN];
    struct json *j = json_parse(buf_cstr(&d->body), d->body.len, jerr);

    if (!j)
        err_set(err, "docker: %s: bad JSON in reply: %s", what, jerr);
    return j;
}

/* ---- ping and version ---- */

static int ping_once(struct docker *d, char *err)
{
    if (transfer(d, "GET", UNVERSIONED, "/_ping", NULL, 0, 0, err) < 0)
        return -1;
    if (d->status != 200)
        return fail_reply(d, err);
    if (strcmp(buf_cstr(&d->body), "OK") != 0) {
        char text[40];

        clean_text(text, sizeof(text), d->body.data, d->body.len);
        err_set(err, "docker: /_ping answered \"%s\", not OK", text);
        return -1;
    }
    if (d->hdr_api[0])
        return pin_api(d, d->hdr_api, err);
    return 0;
}

int docker_ping(struct docker *d, char *err)
{
    return ping_once(d, err);
}

int docker_version(struct docker *d, char *version, size_t vlen,
                   char *api, size_t alen, char *err)
{
    struct json *j = NULL;
    const struct json *v, *a;
    int ret = -1;

    if (transfer(d, "GET", UNVERSIONED, "/version", NULL, 0, 0, err) < 0)
        goto out;
    if (d->status != 200) {
        fail_reply(d, err);
        goto out;
    }
    j = parse_reply(d, "/version", err);
    if (!j)
        goto out;
    v = json_get(j, "Version");
    a = json_get(j, "ApiVersion");
    if (!v || v->type != JSON_STRING || !a || a->type != JSON_STRING) {
        err_set(err, "docker: /version: no Version or ApiVersion");
        goto out;
    }
    if (version && vlen)
        copy_field(version, vlen, v->str, v->len);
    if (api && alen)
        copy_field(api, alen, a->str, a->len);
    if (strlen(a->str) != a->len) {
        err_set(err, "docker: /version: bad ApiVersion");
        goto out;
    }
    ret = pin_api(d, a->str, err);
out:
    json_free(j);
    return ret;
}

/* ---- images ---- */

int docker_image_exists(struct docker *d, const char *image, char *err)
{
    struct buf path = BUF_INIT(0);
    int ret = -1;

    if (check_ref("image", image, err) < 0)
        return -1;
    buf_append_str(&path, "/images/");
    url_escape(&path, image, "/:@");
    buf_append_str(&path, "/json");
    if (call(d, "GET", path.data, NULL, 0, 0, err) < 0)
        goto out;
    if (d->status == 200)
        ret = 1;
    else if (d->status == 404)
        ret = 0;
    else
        fail_reply(d, err);
out:
    buf_release(&path);
    return ret;
}

int docker_runtime_known(struct docker *d, const char *runtime,
                         char *names, size_t nlen, char *err)
{
    struct json *j = NULL;
    const struct json *rt;
    struct buf list = BUF_INIT(0);
    int ret = -1;

    if (names && nlen)
        names[0] = '\0';
    if (call(d, "GET", "/info", NULL, 0, 0, err) < 0)
        goto out;
    if (d->status != 200) {
        fail_reply(d, err);
        goto out;
    }
    j = parse_reply(d, "/info", err);
    if (!j)
        goto out;
    rt = json_get(j, "Runtimes");
    if (!rt || rt->type != JSON_OBJECT) {
        err_set(err, "docker: /info: no Runtimes object");
        goto out;
    }
    ret = 0;
    for (size_t i = 0; i < rt->n; i++) {
        if (list.len)
            buf_append_str(&list, ",");
        buf_append(&list, rt->keys[i], rt->key_lens[i]);
        if (strlen(runtime) == rt->key_lens[i]
            && memcmp(runtime, rt->keys[i], rt->key_lens[i]) == 0)
            ret = 1;
    }
    if (names && nlen)
        clean_text(names, nlen, list.data ? list.data : "", list.len);
out:
    buf_release(&list);
    json_free(j);
    return ret;
}

/* ---- create ---- */

static bool mentions_socket(const char *s)
{
    return s && strcasestr(s, "docker.sock") != NULL;
}

/* Refuses anything that would put a Docker socket in the container:
 * a path naming one, a socket file, a directory holding docker.sock, or
 * a symlink to either (stat follows links, as the daemon does with bind
 * sources).  Only the local file system can be checked; with tcp:// the
 * daemon's may be another. */
static int check_mount(const struct docker_mount *m, char *err)
{
    struct stat st;

    if (!m->source || !m->target || m->source[0] != '/'
        || m->target[0] != '/') {
        err_set(err, "docker: a bind mount needs absolute source and "
                "target paths");
        return -1;
    }
    if (mentions_socket(m->source) || mentions_socket(m->target))
        goto refuse;
    if (stat(m->source, &st) == 0) {
        if (S_ISSOCK(st.st_mode))
            goto refuse;
        if (S_ISDIR(st.st_mode)) {
            char *p = xasprintf("%s/docker.sock", m->source);
            int found = lstat(p, &st) == 0;

            free(p);
            if (found)
                goto refuse;
        }
    }
    return 0;
refuse:
    err_set(err, "docker: refusing to mount %.100s at %.100s: no Docker "
            "socket may enter a sandbox", m->source, m->target);
    return -1;
}

static void jw_strv(struct jw *w, const char *key, const char *const *v)
{
    if (!v)
        return;
    jw_key(w, key);
    jw_arr_open(w);
    for (; *v; v++)
        jw_str(w, *v);
    jw_arr_close(w);
}

static void create_body(struct jw *w, const struct docker_create_opts *o)
{
    jw_obj_open(w);
    jw_key(w, "Image");
    jw_str(w, o->image);
    jw_strv(w, "Cmd", o->cmd);
    jw_strv(w, "Env", o->env);
    if (o->user) {
        jw_key(w, "User");
        jw_str(w, o->user);
    }
    if (o->workdir) {
        jw_key(w, "WorkingDir");
        jw_str(w, o->workdir);
    }
    jw_key(w, "Labels");
    jw_obj_open(w);
    for (const char *const *l = o->labels; l && *l; l++) {
        const char *eq = strchr(*l, '=');
        char *k = eq ? xstrndup(*l, (size_t)(eq - *l)) : xstrdup(*l);

        jw_key(w, k);
        jw_str(w, eq ? eq + 1 : "");
        free(k);
    }
    jw_obj_close(w);
    jw_key(w, "NetworkDisabled");
    jw_bool(w, true);
    jw_key(w, "AttachStdin");
    jw_bool(w, false);
    jw_key(w, "Tty");
    jw_bool(w, false);

    jw_key(w, "HostConfig");
    jw_obj_open(w);
    jw_key(w, "NetworkMode");
    jw_str(w, "none");
    jw_key(w, "CapDrop");
    jw_arr_open(w);
    jw_str(w, "ALL");
    jw_arr_close(w);
    jw_strv(w, "CapAdd", o->cap_add);
    jw_key(w, "SecurityOpt");
    jw_arr_open(w);
    jw_str(w, "no-new-privileges");
    jw_arr_close(w);
    jw_key(w, "ReadonlyRootfs");
    jw_bool(w, true);
    jw_key(w, "IpcMode");
    jw_str(w, "private");
    if (o->memory_bytes > 0) {
        jw_key(w, "Memory");
        jw_int(w, o->memory_bytes);
        jw_key(w, "MemorySwap");
        jw_int(w, o->memory_bytes);
    }
    if (o->nano_cpus > 0) {
        jw_key(w, "NanoCpus");
        jw_int(w, o->nano_cpus);
    }
    if (o->pids_limit > 0) {
        jw_key(w, "PidsLimit");
        jw_int(w, o->pids_limit);
    }
    if (o->shm_bytes > 0) {
        jw_key(w, "ShmSize");
        jw_int(w, o->shm_bytes);
    }
    jw_key(w, "Init");
    jw_bool(w, o->init);
    /* The container's own output is only the runner's diagnostics: keep
     * it for `docker logs`, but never let it grow on the host's disk. */
    jw_key(w, "LogConfig");
    jw_obj_open(w);
    jw_key(w, "Type");
    jw_str(w, "json-file");
    jw_key(w, "Config");
    jw_obj_open(w);
    jw_key(w, "max-size");
    jw_str(w, "1m");
    jw_key(w, "max-file");
    jw_str(w, "1");
    jw_obj_close(w);
    jw_obj_close(w);
    if (o->runtime) {
        jw_key(w, "Runtime");
        jw_str(w, o->runtime);
    }
    jw_strv(w, "GroupAdd", o->group_add);
    jw_key(w, "Tmpfs");
    jw_obj_open(w);
    for (size_t i = 0; i < o->n_tmpfs; i++) {
        jw_key(w, o->tmpfs[i].path);
        jw_str(w, o->tmpfs[i].options ? o->tmpfs[i].options : "");
    }
    jw_obj_close(w);
    jw_key(w, "Mounts");
    jw_arr_open(w);
    for (size_t i = 0; i < o->n_mounts; i++) {
        jw_obj_open(w);
        jw_key(w, "Type");
        jw_str(w, "bind");
        jw_key(w, "Source");
        jw_str(w, o->mounts[i].source);
        jw_key(w, "Target");
        jw_str(w, o->mounts[i].target);
        jw_key(w, "ReadOnly");
        jw_bool(w, o->mounts[i].read_only);
        jw_obj_close(w);
    }
    jw_arr_close(w);
    jw_obj_close(w);
    jw_obj_close(w);
}

static bool is_id(const char *s, size_t n)
{
    if (n == 0 || n > DOCKER_ID_LEN || strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(s[i]))
            return false;
    return true;
}

int docker_create(struct docker *d, const struct docker_create_opts *o,
                  char id[DOCKER_ID_LEN + 1], char *err)
{
    struct buf path = BUF_INIT(0);
    struct jw *w = NULL;
    struct json *j = NULL;
    const struct json *v;
    const char *text;
    size_t n;
    int ret = -1;

    id[0] = '\0';
    if (!o->image || !*o->image) {
        err_set(err, "docker: create: no image");
        goto out;
    }
    for (size_t i = 0; i < o->n_tmpfs; i++) {
        if (!o->tmpfs[i].path || o->tmpfs[i].path[0] != '/') {
            err_set(err, "docker: create: a tmpfs needs an absolute path");
            goto out;
        }
        if (mentions_socket(o->tmpfs[i].path)) {
            err_set(err, "docker: create: refusing tmpfs at %.100s",
                    o->tmpfs[i].path);
            goto out;
        }
    }
    for (size_t i = 0; i < o->n_mounts; i++)
        if (check_mount(&o->mounts[i], err) < 0)
            goto out;
    w = jw_new();
    create_body(w, o);
    text = jw_text(w, &n);
    buf_append_str(&path, "/containers/create");
    if (o->name) {
        buf_append_str(&path, "?name=");
        url_escape(&path, o->name, NULL);
    }
    if (call(d, "POST", path.data, text, n, 0, err) < 0)
        goto out;
    if (d->status != 201) {
        fail_reply(d, err);
        goto out;
    }
    j = parse_reply(d, "create", err);
    if (!j)
        goto out;
    v = json_get(j, "Id");
    if (!v || v->type != JSON_STRING || !is_id(v->str, v->len)) {
        err_set(err, "docker: create: no container Id in the reply");
        goto out;
    }
    memcpy(id, v->str, v->len + 1);
    ret = 0;
out:
    json_free(j);
    jw_free(w);
    buf_release(&path);
    return ret;
}

/* ---- start, kill, remove, wait, update ---- */

/* "/containers/{id}<suffix>" */
static void container_path(struct buf *b, const char *id, const char *suffix)
{
    buf_append_str(b, "/containers/");
    url_escape(b, id, NULL);
    buf_append_str(b, suffix);
}

int docker_start(struct docker *d, const char *id, char *err)
{
    struct buf path = BUF_INIT(0);
    int ret = -1;

    if (check_ref("container", id, err) < 0)
        return -1;
    container_path(&path, id, "/start");
    if (call(d, "POST", path.data, NULL, 0, 0, err) < 0)
        goto out;
    /* 304: already started. */
    if (d->status == 204 || d->status == 304)
        ret = 0;
    else
        fail_reply(d, err);
out:
    buf_release(&path);
    return ret;
}

int docker_kill(struct docker *d, const char *id, const char *signal,
                char *err)
{
    struct buf path = BUF_INIT(0);
    int ret = -1;

    if (check_ref("container", id, err) < 0)
        return -1;
    container_path(&path, id, "/kill");
    if (signal) {
        buf_append_str(&path, "?signal=");
        url_escape(&path, signal, NULL);
    }
    if (call(d, "POST", path.data, NULL, 0, 0, err) < 0)
        goto out;
    if (d->status == 204 || d->status == 404
        || (d->status == 409 && body_mentions(d, "not running")))
        ret = 0;
    else
        fail_reply(d, err);
out:
    buf_release(&path);
    return ret;
}

int docker_remove(struct docker *d, const char *id, char *err)
{
    struct buf path = BUF_INIT(0);
    int ret = -1;

    if (check_ref("container", id, err) < 0)
        return -1;
    container_path(&path, id, "?force=1&v=1");
    if (call(d, "DELETE", path.data, NULL, 0, 0, err) < 0)
        goto out;
    if (d->status == 204 || d->status == 404
        || (d->status == 409 && body_mentions(d, "already in progress")))
        ret = 0;
    else
        fail_reply(d, err);
out:
    buf_release(&path);
    return ret;
}

int docker_wait(struct docker *d, const char *id, long timeout_ms,
                int *exit_code, char *err)
{
    struct buf path = BUF_INIT(0);
    struct json *j = NULL;
    const struct json *v, *e;
    int ret = -1;

    if (check_ref("container", id, err) < 0)
        return -1;
    container_path(&path, id, "/wait");
    if (call(d, "POST", path.data, NULL, 0, timeout_ms, err) < 0)
        goto out;
    if (d->status != 200) {
        fail_reply(d, err);
        goto out;
    }
    j = parse_reply(d, "wait", err);
    if (!j)
        goto out;
    e = json_get(json_get(j, "Error"), "Message");
    if (e && e->type == JSON_STRING && e->len) {
        err_set(err, "docker: wait: %.200s", e->str);
        goto out;
    }
    v = json_get(j, "StatusCode");
    if (!v || v->type != JSON_NUMBER || !v->is_integer
        || v->integer < INT_MIN || v->integer > INT_MAX) {
        err_set(err, "docker: wait: no StatusCode in the reply");
        goto out;
    }
    *exit_code = (int)v->integer;
    ret = 0;
out:
    json_free(j);
    buf_release(&path);
    return ret;
}

int docker_update_memory(struct docker *d, const char *id, int64_t bytes,
                         char *err)
{
    struct buf path = BUF_INIT(0);
    struct jw *w = NULL;
    const char *text;
    size_t n;
    int ret = -1;

    if (check_ref("container", id, err) < 0)
        return -1;
    if (bytes <= 0) {
        err_set(err, "docker: update: memory must be positive");
        return -1;
    }
    w = jw_new();
    jw_obj_open(w);
    jw_key(w, "Memory");
    jw_int(w, bytes);
    jw_key(w, "MemorySwap");
    jw_int(w, bytes);
    jw_obj_close(w);
    text = jw_text(w, &n);
    container_path(&path, id, "/update");
    if (call(d, "POST", path.data, text, n, 0, err) < 0)
        goto out;
    if (d->status == 200)
        ret = 0;
    else
        fail_reply(d, err);
out:
    jw_free(w);
    buf_release(&path);
    return ret;
}

/* ---- logs ---- */

int docker_logs(struct docker *d, const char *id, struct buf *out,
                struct buf *errout, size_t max, char *err)
{
    struct buf path = BUF_INIT(0);
    struct demux m;
    int ret = -1;

    if (check_ref("container", id, err) < 0)
        return -1;
    container_path(&path, id, "/logs?stdout=1&stderr=1");
    demux_init(&m, out, errout, max);
    d->demux = &m;
    if (call(d, "GET", path.data, NULL, 0, 0, err) < 0)
        goto out;
    if (d->status != 200) {
        fail_reply(d, err);
        goto out;
    }
    ret = demux_finish(&m);
    if (ret < 0)
        err_set(err, "docker: logs: malformed log stream");
out:
    d->demux = NULL;
    buf_release(&path);
    return ret;
}

/* ---- inspect and list ---- */

static int get_bool(const struct json *o, const char *key, bool need,
                    bool *out)
{
    const struct json *v = json_get(o, key);

    if (!v)
        return need ? -1 : 0;
    if (v->type != JSON_BOOL)
        return -1;
    *out = v->boolean;
    return 0;
}

static int get_int(const struct json *o, const char *key, long long min,
                   int *out)
{
    const struct json *v = json_get(o, key);

    if (!v)
        return 0;
    if (v->type != JSON_NUMBER || !v->is_integer || v->integer < min
        || v->integer > INT_MAX)
        return -1;
    *out = (int)v->integer;
    return 0;
}

int docker_parse_inspect(const char *json, size_t n, struct docker_state *st)
{
    char jerr[ERR_LEN];
    struct json *j;
    const struct json *s, *status;
    int ret = -1;

    memset(st, 0, sizeof(*st));
    j = json_parse(json, n, jerr);
    s = json_get(j, "State");
    if (!s || s->type != JSON_OBJECT)
        goto out;
    status = json_get(s, "Status");
    if (!status || status->type != JSON_STRING)
        goto out;
    if (get_bool(s, "Running", true, &st->running) < 0
        || get_bool(s, "OOMKilled", false, &st->oom_killed) < 0
        || get_int(s, "ExitCode", INT_MIN, &st->exit_code) < 0
        || get_int(s, "Pid", 0, &st->pid) < 0)
        goto out;
    copy_field(st->status, sizeof(st->status), status->str, status->len);
    st->exists = true;
    ret = 0;
out:
    if (ret < 0)
        memset(st, 0, sizeof(*st));
    json_free(j);
    return ret;
}

/* Fills c from one element of the list; -1 if it is not a container. */
static int list_entry(const struct json *e, struct docker_container *c)
{
    const struct json *id, *names, *state;

    memset(c, 0, sizeof(*c));
    id = json_get(e, "Id");
    if (!id || id->type != JSON_STRING || !is_id(id->str, id->len))
        return -1;
    memcpy(c->id, id->str, id->len + 1);
    names = json_get(e, "Names");
    if (names && names->type != JSON_ARRAY && names->type != JSON_NULL)
        return -1;
    if (names && names->type == JSON_ARRAY && names->n) {
        const struct json *nm = names->items[0];
        const char *p;
        size_t len;

        if (nm->type != JSON_STRING)
            return -1;
        p = nm->str;
        len = nm->len;
        if (len && p[0] == '/') {
            p++;
            len--;
        }
        copy_field(c->name, sizeof(c->name), p, len);
    }
    state = json_get(e, "State");
    if (state && state->type != JSON_STRING)
        return -1;
    if (state)
        copy_field(c->state, sizeof(c->state), state->str, state->len);
    return 0;
}

int docker_parse_list(const char *json, size_t n,
                      void (*cb)(const struct docker_container *c, void *arg),
                      void *arg)
{
    char jerr[ERR_LEN];
    struct docker_container c;
    struct json *j;
    int ret = -1;

    j = json_parse(json, n, jerr);
    if (!j || j->type != JSON_ARRAY || j->n > INT_MAX)
        goto out;
    /* Check every entry before calling back, so a bad reply calls
     * nothing. */
    for (size_t i = 0; i < j->n; i++)
        if (list_entry(j->items[i], &c) < 0)
            goto out;
    for (size_t i = 0; i < j->n; i++) {
        list_entry(j->items[i], &c);
        if (cb)
            cb(&c, arg);
    }
    ret = (int)j->n;
out:
    json_free(j);
    return ret;
}

int docker_inspect(struct docker *d, const char *id, struct docker_state *st,
                   char *err)
{
    struct buf path = BUF_INIT(0);
    int ret = -1;

    memset(st, 0, sizeof(*st));
    if (check_ref("container", id, err) < 0)
        return -1;
    container_path(&path, id, "/json");
    if (call(d, "GET", path.data, NULL, 0, 0, err) < 0)
        goto out;
    if (d->status == 404) {
        ret = 0;
    } else if (d->status != 200) {
        fail_reply(d, err);
    } else if (docker_parse_inspect(d->body.data, d->body.len, st) < 0) {
        err_set(err, "docker: inspect %.80s: unexpected reply", id);
    } else {
        ret = 0;
    }
out:
    buf_release(&path);
    return ret;
}

int docker_list(struct docker *d, const char *label,
                void (*cb)(const struct docker_container *c, void *arg),
                void *arg, char *err)
{
    struct buf path = BUF_INIT(0);
    struct jw *w = NULL;
    int ret = -1;

    buf_append_str(&path, "/containers/json?all=1");
    if (label) {
        w = jw_new();
        jw_obj_open(w);
        jw_key(w, "label");
        jw_arr_open(w);
        jw_str(w, label);
        jw_arr_close(w);
        jw_obj_close(w);
        buf_append_str(&path, "&filters=");
        url_escape(&path, jw_text(w, NULL), NULL);
    }
    if (call(d, "GET", path.data, NULL, 0, 0, err) < 0)
        goto out;
    if (d->status != 200) {
        fail_reply(d, err);
        goto out;
    }
    ret = docker_parse_list(d->body.data, d->body.len, cb, arg);
    if (ret < 0)
        err_set(err, "docker: list: unexpected reply");
out:
    jw_free(w);
    buf_release(&path);
    return ret;
}

/* ---- errors ---- */

/* Writes s[0..n) into dst[size] as one line of valid UTF-8: control
 * characters become spaces, runs of them collapse, and a cut never
 * splits a character. */
static void clean_text(char *dst, size_t size, const char *s, size_t n)
{
    size_t fixed_len, o = 0;
    char *fixed = utf8_sanitize(s, n, &fixed_len);
    const unsigned char *p = (const unsigned char *)fixed;
    size_t i = 0;

    while (i < fixed_len && isspace(p[i]))
        i++;
    while (i < fixed_len) {
        size_t k = 1;

        if (p[i] >= 0xf0)
            k = 4;
        else if (p[i] >= 0xe0)
            k = 3;
        else if (p[i] >= 0xc0)
            k = 2;
        if (o + k + 1 > size)
            break;
        if (p[i] < 0x20 || p[i] == 0x7f) {
            if (o && dst[o - 1] != ' ')
                dst[o++] = ' ';
        } else {
            memcpy(dst + o, p + i, k);
            o += k;
        }
        i += k;
    }
    while (o && dst[o - 1] == ' ')
        o--;
    dst[o] = '\0';
    free(fixed);
}

void docker_parse_error(const char *body, size_t n, int status, char *err)
{
    char jerr[ERR_LEN];
    struct json *j = NULL;
    const struct json *m;
    int k;

    if (!err)
        return;
    if (!body)
        n = 0;
    if (n)
        j = json_parse(body, n, jerr);
    m = json_get(j, "message");
    k = snprintf(err, ERR_LEN, "docker: %d: ", status);
    if (m && m->type == JSON_STRING)
        clean_text(err + k, ERR_LEN - (size_t)k, m->str, m->len);
    else
        clean_text(err + k, ERR_LEN - (size_t)k, body ? body : "", n);
    if (!err[k])
        snprintf(err + k, ERR_LEN - (size_t)k, "no message");
    json_free(j);
}

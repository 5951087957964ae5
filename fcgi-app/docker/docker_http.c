/* docker_http.c - the client's transport: opening a client for
 * unix:// or tcp://, one HTTP exchange with libcurl's easy interface,
 * the API version it speaks, and the skeleton every endpoint's call
 * shares (docker_endpoint).
 *
 * Each struct docker owns one curl easy handle.  curl_easy_reset() before
 * every call clears the options but keeps the live connection, so calls
 * made one after another share one keep-alive connection to the daemon.
 * Replies are read into a bounded buffer (DOCKER_JSON_MAX); the log
 * stream is demultiplexed as it arrives (docker_demux.c). */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "base/json.h"
#include "base/util.h"
#include "docker/docker_int.h"

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

/* ---- requests ---- */

void docker_url_escape(struct buf *b, const char *s, const char *keep)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (docker_is_alnum((char)c) || c == '-' || c == '_' || c == '.'
            || c == '~' || (keep && strchr(keep, c))) {
            buf_append_char(b, (char)c);
        } else {
            buf_append_char(b, '%');
            buf_append_char(b, hex[c >> 4]);
            buf_append_char(b, hex[c & 15]);
        }
    }
}

int docker_check_ref(const char *what, const char *s, char *err)
{
    if (!s || !*s || strlen(s) > 255 || strcmp(s, ".") == 0
        || strcmp(s, "..") == 0) {
        err_set(err, "docker: bad %s \"%.64s\"", what, s ? s : "(null)");
        return -1;
    }
    return 0;
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

/* ---- open / close ---- */

/* "host:port", "[v6]:port", "host" (port 2375), one trailing '/' at most. */
static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
        || (c >= 'A' && c <= 'F');
}

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
            if (!docker_is_alnum(*host_end) && *host_end != '.'
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
        docker_copy_field(d->hdr_api, sizeof(d->hdr_api), v, vl);
    }
    return n;
}

static long timeout_of(const struct docker *d, const struct docker_http *h)
{
    return h->timeout_ms > 0 ? h->timeout_ms : d->timeout_ms;
}

/* Sets every option of the exchange on d's handle; returns the header
 * list to free after it. */
static struct curl_slist *set_options(struct docker *d,
                                      const struct docker_http *h,
                                      const char *url)
{
    struct curl_slist *hdrs = NULL;
    CURL *c = d->curl;

    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (d->socket_path)
        curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, d->socket_path);
    /* Pre-forked workers and threads: no SIGALRM for timeouts. */
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_of(d, h));
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
    if (strcmp(h->method, "POST") == 0) {
        /* Docker insists on JSON for bodies; "Expect:" stops curl's
         * 100-continue round trip on larger ones. */
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        hdrs = curl_slist_append(hdrs, "Expect:");
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, h->body ? h->body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(h->body ? h->blen : 0));
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    } else if (strcmp(h->method, "DELETE") == 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
    }
    return hdrs;
}

/* Says in err why curl_easy_perform failed with rc. */
static void transfer_failed(struct docker *d, const struct docker_http *h,
                            CURLcode rc, char *err)
{
    const char *why = d->curl_err[0] ? d->curl_err : curl_easy_strerror(rc);
    double pre = 0;

    /* A timeout before the request went out is a connect timeout. */
    curl_easy_getinfo(d->curl, CURLINFO_PRETRANSFER_TIME, &pre);
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST
        || (rc == CURLE_OPERATION_TIMEDOUT && pre <= 0 && d->status == 0)) {
        d->status = 0;
        d->is_unreachable = true;
        err_set(err, "docker: cannot connect to %s: %s", d->host, why);
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        err_set(err, "docker: %s %s: timed out after %ld ms", h->method,
                h->path, timeout_of(d, h));
    } else {
        err_set(err, "docker: %s %s: %s", h->method, h->path, why);
    }
}

int docker_transfer(struct docker *d, const struct docker_http *h,
                    char *err)
{
    struct curl_slist *hdrs;
    struct buf url = BUF_INIT(0);
    CURLcode rc;
    long code = 0;

    d->status = 0;
    d->is_unreachable = false;
    d->hdr_api[0] = '\0';
    d->curl_err[0] = '\0';
    buf_reset(&d->body);
    buf_append_str(&url, d->base);
    if (h->is_versioned)
        buf_appendf(&url, "/v%d.%d", d->api_major, d->api_minor);
    buf_append_str(&url, h->path);
    hdrs = set_options(d, h, url.data);
    rc = curl_easy_perform(d->curl);
    curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, &code);
    d->status = (int)code;
    curl_slist_free_all(hdrs);
    buf_release(&url);
    /* A write error while demultiplexing a 200 is ours: the streams are
     * full or the stream is malformed, which docker_logs tells apart. */
    if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && d->demux
                           && code == 200))
        return 0;
    if (rc == CURLE_WRITE_ERROR)
        err_set(err, "docker: %s %s: reply larger than %zu bytes",
                h->method, h->path, d->body.max);
    else
        transfer_failed(d, h, rc, err);
    return -1;
}

static bool body_mentions(const struct docker *d, const char *s)
{
    return d->body.len && strstr(buf_cstr(&d->body), s) != NULL;
}

int docker_call(struct docker *d, const struct docker_http *h, char *err)
{
    struct docker_http v = *h;
    int major = d->api_major, minor = d->api_minor;
    struct buf saved;

    v.is_versioned = true;
    if (docker_transfer(d, &v, err) < 0)
        return -1;
    if (d->status != 400 || !body_mentions(d, "is too new"))
        return 0;
    saved = d->body;
    buf_init(&d->body, DOCKER_JSON_MAX);
    if (docker_ping_once(d, NULL) == 0
        && (d->api_major != major || d->api_minor != minor)) {
        buf_release(&saved);
        return docker_transfer(d, &v, err);
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

int docker_ping_once(struct docker *d, char *err)
{
    struct docker_http h = { "GET", "/_ping", NULL, 0, 0, false };

    if (docker_transfer(d, &h, err) < 0)
        return -1;
    if (d->status != 200)
        return fail_reply(d, err);
    if (strcmp(buf_cstr(&d->body), "OK") != 0) {
        char text[40];

        docker_clean_text(text, sizeof(text), d->body.data, d->body.len);
        err_set(err, "docker: /_ping answered \"%s\", not OK", text);
        return -1;
    }
    if (d->hdr_api[0])
        return pin_api(d, d->hdr_api, err);
    return 0;
}

int docker_pin_version(struct docker *d, const char *api, char *err)
{
    return pin_api(d, api, err);
}

int docker_endpoint(struct docker *d, const struct docker_call *c,
                    char *err)
{
    struct buf path = BUF_INIT(0);
    struct docker_http h = { c->method, NULL, c->body, c->blen,
                             c->timeout_ms, true };
    int ret = -1;

    if (c->is_container) {
        if (docker_check_ref("container", c->id, err) < 0)
            return -1;
        buf_append_str(&path, "/containers/");
        docker_url_escape(&path, c->id, NULL);
    }
    buf_append_str(&path, c->path);
    if (c->arg)
        docker_url_escape(&path, c->arg, NULL);
    h.path = path.data;
    if (docker_call(d, &h, err) < 0)
        goto out;
    if (d->status == c->ok[0] || d->status == c->ok[1]
        || (c->ok_409 && d->status == 409 && body_mentions(d, c->ok_409)))
        ret = 0;
    else
        fail_reply(d, err);
out:
    buf_release(&path);
    return ret;
}

struct json *docker_reply_json(struct docker *d, const char *what,
                               char *err)
{
    char jerr[ERR_LEN];
    struct json *j = json_parse(buf_cstr(&d->body), d->body.len, jerr);

    if (!j)
        err_set(err, "docker: %s: bad JSON in reply: %s", what, jerr);
    return j;
}

/* fake_docker.c - see fake_docker.h.  One thread: poll on the listening
 * socket (or the connection being served) and a pipe that says stop.
 * Requests are parsed just enough to route them and to record them. */
#include "config.h"
#include "fakes/fake_docker.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/util.h"

struct rule {
    char *method;
    char *prefix;
    int status;
    char *headers;
    char *body;
    size_t body_len;
    enum fake_action action;
    int times;
    size_t chunk;
};

struct fake_docker {
    char dir[64];
    char sock[96];
    char host[128];
    char dead_host[128];
    char api[16];
    int listen_fd;
    int stop_pipe[2];
    pthread_t thread;
    pthread_mutex_t lock;
    struct rule *rules;
    size_t n_rules, rules_cap;
    struct fake_request *reqs;
    size_t n_reqs, reqs_cap;
    int conns;
};

static void fatal(const char *what)
{
    fprintf(stderr, "fake_docker: %s: %s\n", what, strerror(errno));
    abort();
}

/* ---- rules ---- */

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void fake_docker_add(struct fake_docker *f, const struct fake_rule *r)
{
    struct rule *n;

    pthread_mutex_lock(&f->lock);
    ALLOC_GROW(f->rules, f->n_rules + 1, f->rules_cap);
    n = &f->rules[f->n_rules++];
    n->method = dup_or_null(r->method);
    n->prefix = xstrdup(r->prefix ? r->prefix : "");
    n->status = r->status;
    n->headers = dup_or_null(r->headers);
    n->body_len = r->body ? (r->body_len ? r->body_len : strlen(r->body)) : 0;
    n->body = xmalloc(n->body_len + 1);
    if (n->body_len)
        memcpy(n->body, r->body, n->body_len);
    n->body[n->body_len] = '\0';
    n->action = r->action;
    n->times = r->times;
    n->chunk = r->chunk;
    pthread_mutex_unlock(&f->lock);
}

void fake_docker_on(struct fake_docker *f, const char *method,
                    const char *prefix, int status, const char *body)
{
    struct fake_rule r = { 0 };

    r.method = method;
    r.prefix = prefix;
    r.status = status;
    r.body = body;
    fake_docker_add(f, &r);
}

void fake_docker_set_api(struct fake_docker *f, const char *version)
{
    pthread_mutex_lock(&f->lock);
    snprintf(f->api, sizeof(f->api), "%s", version ? version : "");
    pthread_mutex_unlock(&f->lock);
}

static void free_rules(struct fake_docker *f)
{
    for (size_t i = 0; i < f->n_rules; i++) {
        free(f->rules[i].method);
        free(f->rules[i].prefix);
        free(f->rules[i].headers);
        free(f->rules[i].body);
    }
    free(f->rules);
    f->rules = NULL;
    f->n_rules = f->rules_cap = 0;
}

static void free_reqs(struct fake_docker *f)
{
    for (size_t i = 0; i < f->n_reqs; i++) {
        free(f->reqs[i].path);
        free(f->reqs[i].headers);
        free(f->reqs[i].body);
    }
    free(f->reqs);
    f->reqs = NULL;
    f->n_reqs = f->reqs_cap = 0;
}

void fake_docker_reset(struct fake_docker *f)
{
    pthread_mutex_lock(&f->lock);
    free_rules(f);
    free_reqs(f);
    f->conns = 0;
    pthread_mutex_unlock(&f->lock);
}

size_t fake_docker_count(struct fake_docker *f)
{
    size_t n;

    pthread_mutex_lock(&f->lock);
    n = f->n_reqs;
    pthread_mutex_unlock(&f->lock);
    return n;
}

const struct fake_request *fake_docker_request(struct fake_docker *f, int i)
{
    const struct fake_request *r = NULL;

    pthread_mutex_lock(&f->lock);
    if (i < 0)
        i += (int)f->n_reqs;
    if (i >= 0 && (size_t)i < f->n_reqs)
        r = &f->reqs[i];
    pthread_mutex_unlock(&f->lock);
    return r;
}

int fake_docker_connections(struct fake_docker *f)
{
    int n;

    pthread_mutex_lock(&f->lock);
    n = f->conns;
    pthread_mutex_unlock(&f->lock);
    return n;
}

const char *fake_docker_host(const struct fake_docker *f)
{
    return f->host;
}

const char *fake_docker_dir(const struct fake_docker *f)
{
    return f->dir;
}

const char *fake_docker_dead_host(const struct fake_docker *f)
{
    return f->dead_host;
}

/* "/v1.41/containers/x" -> "/containers/x" */
static const char *strip_version(const char *path)
{
    const char *p = path;

    if (p[0] != '/' || p[1] != 'v' || p[2] < '0' || p[2] > '9')
        return path;
    p += 2;
    while (*p >= '0' && *p <= '9')
        p++;
    if (*p++ != '.' || *p < '0' || *p > '9')
        return path;
    while (*p >= '0' && *p <= '9')
        p++;
    return *p == '/' ? p : path;
}

/* Copies the rule that answers; false when none matches. */
static bool match(struct fake_docker *f, const char *method,
                  const char *path, struct rule *out)
{
    const char *p = strip_version(path);
    bool found = false;

    pthread_mutex_lock(&f->lock);
    for (size_t i = f->n_rules; i-- > 0;) {
        struct rule *r = &f->rules[i];

        if (r->times < 0)
            continue;               /* used up */
        if (r->method && strcmp(r->method, method) != 0)
            continue;
        if (strncmp(p, r->prefix, strlen(r->prefix)) != 0)
            continue;
        out->status = r->status;
        out->headers = dup_or_null(r->headers);
        out->body = xmalloc(r->body_len + 1);
        memcpy(out->body, r->body, r->body_len + 1);
        out->body_len = r->body_len;
        out->action = r->action;
        out->chunk = r->chunk;
        if (r->times > 0 && --r->times == 0)
            r->times = -1;
        found = true;
        break;
    }
    pthread_mutex_unlock(&f->lock);
    return found;
}

/* ---- the server ---- */

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 500: return "Internal Server Error";
    default: return "Status";
    }
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Waits until fd is readable or we are told to stop: 1, 0 on stop. */
static int wait_readable(struct fake_docker *f, int fd)
{
    struct pollfd p[2] = {
        { fd, POLLIN, 0 }, { f->stop_pipe[0], POLLIN, 0 },
    };

    for (;;) {
        int n = poll(p, 2, -1);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            fatal("poll");
        if (p[1].revents)
            return 0;
        if (p[0].revents)
            return 1;
    }
}

static int send_reply(struct fake_docker *f, int fd, const struct rule *r)
{
    struct buf h = BUF_INIT(0);
    int rc;

    buf_appendf(&h, "HTTP/1.1 %d %s\r\n", r->status, reason(r->status));
    pthread_mutex_lock(&f->lock);
    if (f->api[0])
        buf_appendf(&h, "Api-Version: %s\r\n", f->api);
    pthread_mutex_unlock(&f->lock);
    buf_append_str(&h, "Server: fake-docker\r\n");
    if (r->headers)
        buf_append_str(&h, r->headers);
    if (r->chunk)
        buf_append_str(&h, "Transfer-Encoding: chunked\r\n\r\n");
    else
        buf_appendf(&h, "Content-Length: %zu\r\n\r\n", r->body_len);
    rc = send_all(fd, h.data, h.len);
    if (rc == 0 && !r->chunk) {
        rc = send_all(fd, r->body, r->body_len);
    } else if (rc == 0) {
        /* Small pieces with a pause between, so the client reads them
         * one by one and its parser sees every boundary. */
        for (size_t off = 0; rc == 0 && off < r->body_len; off += r->chunk) {
            size_t n = r->body_len - off < r->chunk ? r->body_len - off
                                                    : r->chunk;
            char line[32];

            snprintf(line, sizeof(line), "%zx\r\n", n);
            rc = send_all(fd, line, strlen(line));
            if (rc == 0)
                rc = send_all(fd, r->body + off, n);
            if (rc == 0)
                rc = send_all(fd, "\r\n", 2);
            usleep(500);
        }
        if (rc == 0)
            rc = send_all(fd, "0\r\n\r\n", 5);
    }
    buf_release(&h);
    return rc;
}

/* The value of header name in the block hdrs, or NULL; caller frees. */
static char *header_value(const char *hdrs, const char *name)
{
    size_t k = strlen(name);

    for (const char *l = hdrs; l && *l; ) {
        const char *eol = strstr(l, "\r\n");
        size_t len = eol ? (size_t)(eol - l) : strlen(l);

        if (len > k && l[k] == ':' && strncasecmp(l, name, k) == 0) {
            const char *v = l + k + 1;

            while (*v == ' ')
                v++;
            return xstrndup(v, (size_t)(l + len - v));
        }
        l = eol ? eol + 2 : NULL;
    }
    return NULL;
}

/* Moves one complete request from the front of in into q; false when
 * more bytes are needed.  A malformed request line sets *bad. */
static bool take_request(struct buf *in, struct fake_request *q, bool *bad)
{
    const char *end, *eol, *sp1, *sp2;
    size_t head, body_len = 0;
    char *hdrs, *cl;

    end = in->data ? strstr(in->data, "\r\n\r\n") : NULL;
    if (!end)
        return false;
    head = (size_t)(end - in->data) + 4;
    eol = strstr(in->data, "\r\n");
    sp1 = memchr(in->data, ' ', (size_t)(eol - in->data));
    sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
    if (!sp1 || !sp2 || (size_t)(sp1 - in->data) >= sizeof(q->method)) {
        *bad = true;
        return false;
    }
    hdrs = xstrndup(eol + 2, (size_t)(end + 2 - (eol + 2)));
    cl = header_value(hdrs, "Content-Length");
    if (cl)
        body_len = strtoul(cl, NULL, 10);
    free(cl);
    if (in->len < head + body_len) {
        free(hdrs);
        return false;
    }
    memset(q, 0, sizeof(*q));
    memcpy(q->method, in->data, (size_t)(sp1 - in->data));
    q->path = xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
    q->headers = hdrs;
    q->body = xstrndup(in->data + head, body_len);
    q->body_len = body_len;
    memmove(in->data, in->data + head + body_len, in->len - head - body_len);
    in->len -= head + body_len;
    in->data[in->len] = '\0';
    return true;
}

/* Serves requests on one connection until it closes or we stop. */
static void serve(struct fake_docker *f, int fd, int conn)
{
    struct buf in = BUF_INIT(0);
    bool open = true, bad = false;

    while (open) {
        struct fake_request q;
        struct rule r = { 0 };
        char tmp[4096], *conn_hdr;
        ssize_t n;

        if (!take_request(&in, &q, &bad)) {
            if (bad || !wait_readable(f, fd))
                break;
            n = read(fd, tmp, sizeof(tmp));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            buf_append(&in, tmp, (size_t)n);
            continue;
        }
        q.conn = conn;
        conn_hdr = header_value(q.headers, "Connection");
        if (conn_hdr && strcasecmp(conn_hdr, "close") == 0)
            open = false;
        free(conn_hdr);
        if (!match(f, q.method, q.path, &r)) {
            r.status = 404;
            r.body = xstrdup("{\"message\":\"page not found\"}");
            r.body_len = strlen(r.body);
        }
        /* Recorded before the reply, so the client sees it once it has
         * its answer. */
        pthread_mutex_lock(&f->lock);
        ALLOC_GROW(f->reqs, f->n_reqs + 1, f->reqs_cap);
        f->reqs[f->n_reqs++] = q;
        pthread_mutex_unlock(&f->lock);
        if (r.action == FAKE_STALL) {
            while (wait_readable(f, fd) == 1 && read(fd, tmp, 1) > 0)
                ;
            open = false;
        } else if (r.action == FAKE_CLOSE) {
            open = false;
        } else if (send_reply(f, fd, &r) < 0) {
            open = false;
        }
        free(r.headers);
        free(r.body);
    }
    buf_release(&in);
}

static void *server_main(void *arg)
{
    struct fake_docker *f = arg;

    while (wait_readable(f, f->listen_fd)) {
        int fd = accept(f->listen_fd, NULL, NULL);
        int conn;

        if (fd < 0)
            continue;
        pthread_mutex_lock(&f->lock);
        conn = ++f->conns;
        pthread_mutex_unlock(&f->lock);
        serve(f, fd, conn);
        close(fd);
    }
    return NULL;
}

static struct fake_docker *start(bool is_tcp)
{
    struct fake_docker *f = xcalloc(1, sizeof(*f));
    struct sockaddr_un sa;

    snprintf(f->dir, sizeof(f->dir), "/tmp/fake-docker-XXXXXX");
    if (!mkdtemp(f->dir))
        fatal("mkdtemp");
    snprintf(f->sock, sizeof(f->sock), "%s/docker.sock", f->dir);
    snprintf(f->host, sizeof(f->host), "unix://%s", f->sock);
    snprintf(f->dead_host, sizeof(f->dead_host), "unix://%s/absent.sock",
             f->dir);
    snprintf(f->api, sizeof(f->api), "1.41");
    f->listen_fd = socket(is_tcp ? AF_INET : AF_UNIX,
                          SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (f->listen_fd < 0)
        fatal("socket");
    if (is_tcp) {
        struct sockaddr_in in;
        socklen_t len = sizeof(in);

        memset(&in, 0, sizeof(in));
        in.sin_family = AF_INET;
        in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(f->listen_fd, (struct sockaddr *)&in, sizeof(in)) < 0)
            fatal("bind");
        if (getsockname(f->listen_fd, (struct sockaddr *)&in, &len) < 0)
            fatal("getsockname");
        snprintf(f->host, sizeof(f->host), "tcp://127.0.0.1:%d",
                 ntohs(in.sin_port));
    } else {
        memset(&sa, 0, sizeof(sa));
        sa.sun_family = AF_UNIX;
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->sock);
        if (bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
            fatal("bind");
    }
    if (listen(f->listen_fd, 16) < 0)
        fatal("listen");
    if (pipe(f->stop_pipe) < 0)
        fatal("pipe");
    pthread_mutex_init(&f->lock, NULL);
    if (pthread_create(&f->thread, NULL, server_main, f) != 0)
        fatal("pthread_create");
    return f;
}

struct fake_docker *fake_docker_start(void)
{
    return start(false);
}

struct fake_docker *fake_docker_start_tcp(void)
{
    return start(true);
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);

    if (!d)
        return;
    for (;;) {
        struct dirent *e = readdir(d);
        char *p;

        if (!e)
            break;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        p = xasprintf("%s/%s", dir, e->d_name);
        if (unlink(p) < 0)
            rmdir(p);
        free(p);
    }
    closedir(d);
    rmdir(dir);
}

void fake_docker_stop(struct fake_docker *f)
{
    if (!f)
        return;
    if (write(f->stop_pipe[1], "x", 1) != 1)
        fatal("write");
    pthread_join(f->thread, NULL);
    close(f->listen_fd);
    close(f->stop_pipe[0]);
    close(f->stop_pipe[1]);
    remove_dir(f->dir);
    free_rules(f);
    free_reqs(f);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

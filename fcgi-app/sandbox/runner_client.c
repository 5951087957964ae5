/* runner_client.c - see runner_client.h.  The reply is parsed
 * incrementally as bytes arrive, so a slow or hostile runner costs at
 * most the deadline and the caps, never unbounded memory. */
#include "config.h"
#include "sandbox/runner_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/filetype.h"
#include "base/json.h"
#include "base/util.h"

#define RESULT_MAX (4u << 20)   /* last_repr is capped by the runner */
#define NAME_MAX_LEN 255

struct frame_parser {
    const struct runner_limits *lim;
    struct runner_reply *r;
    unsigned char hdr[5];
    size_t hdr_have;
    char type;
    size_t need;                /* payload bytes of the current frame */
    bool oversized;             /* skipping a too-large figure or file */
    struct buf payload;
    size_t out_seen, err_seen;  /* totals sent, capped or not */
    int images_seen, files_seen;
    bool done;
};

void runner_reply_init(struct runner_reply *r, const struct runner_limits *lim)
{
    memset(r, 0, sizeof(*r));
    buf_init(&r->out, lim->max_output);
    buf_init(&r->err, lim->max_output);
}

void runner_reply_release(struct runner_reply *r)
{
    buf_release(&r->out);
    buf_release(&r->err);
    free(r->last_repr);
    free(r->error);
    free(r->refused);
    for (size_t i = 0; i < r->n_files; i++) {
        free(r->files[i].name);
        free(r->files[i].data);
    }
    free(r->files);
    memset(r, 0, sizeof(*r));
}

struct frame_parser *frame_parser_new(const struct runner_limits *lim,
                                      struct runner_reply *r)
{
    struct frame_parser *fp = xcalloc(1, sizeof(*fp));

    fp->lim = lim;
    fp->r = r;
    buf_init(&fp->payload, 0);
    return fp;
}

void frame_parser_free(struct frame_parser *fp)
{
    if (!fp)
        return;
    buf_release(&fp->payload);
    free(fp);
}

static size_t frame_max(const struct frame_parser *fp, char type)
{
    switch (type) {
    case 'o':
    case 'e':
        return 1u << 20;        /* chunks; totals are checked separately */
    case 'i':
        return fp->lim->max_image_bytes;
    case 'f':
        return fp->lim->max_file_bytes + 2 + NAME_MAX_LEN;
    case 'r':
        return RESULT_MAX;
    default:
        return 0;
    }
}

static void add_file(struct runner_reply *r, const struct runner_file *f)
{
    ALLOC_GROW(r->files, r->n_files + 1, r->files_cap);
    r->files[r->n_files++] = *f;
}

static bool name_ok(const char *p, size_t n)
{
    if (n == 0 || n > NAME_MAX_LEN || (n == 1 && p[0] == '.')
        || (n == 2 && p[0] == '.' && p[1] == '.'))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] < 0x20 || p[i] == '/' || p[i] == '\\'
            || p[i] == 0x7f || p[i] == '"')
            return false;
    return utf8_valid(p, n);
}

static int parse_result(struct frame_parser *fp, char *err)
{
    struct runner_reply *r = fp->r;
    const struct json *v;
    struct json *j = json_parse(fp->payload.data, fp->payload.len, err);

    if (!j || j->type != JSON_OBJECT) {
        if (j)
            err_set(err, "result is not an object");
        json_free(j);
        return -1;
    }
    v = json_get(j, "exit_code");
    if (v && v->type == JSON_NUMBER && v->is_integer) {
        r->has_exit_code = true;
        r->exit_code = (int)v->integer;
    }
    v = json_get(j, "signal");
    if (v && v->type == JSON_NUMBER && v->is_integer && v->integer > 0
        && v->integer < 128)
        r->signal = (int)v->integer;
    v = json_get(j, "timed_out");
    r->timed_out = v && v->type == JSON_BOOL && v->boolean;
    v = json_get(j, "oom");
    r->oom = v && v->type == JSON_BOOL && v->boolean;
    v = json_get(j, "session_reset");
    r->session_reset = v && v->type == JSON_BOOL && v->boolean;
    v = json_get(j, "cancelled");
    r->cancelled = v && v->type == JSON_BOOL && v->boolean;
    v = json_get(j, "truncated");
    if (v && v->type == JSON_BOOL && v->boolean)
        r->truncated = true;
    v = json_get(j, "time_ms");
    if (v && v->type == JSON_NUMBER && v->number >= 0)
        r->time_ms = v->number;
    v = json_get(j, "interpreter");
    if (v && v->type == JSON_STRING)
        r->interpreter = strcmp(v->str, "light") == 0 ? "light"
                         : strcmp(v->str, "heavy") == 0 ? "heavy" : NULL;
    v = json_get(j, "images_dropped");
    if (v && v->type == JSON_NUMBER && v->is_integer && v->integer >= 0)
        r->images_dropped += (int)(v->integer > 100000 ? 100000 : v->integer);
    v = json_get(j, "files_dropped");
    if (v && v->type == JSON_NUMBER && v->is_integer && v->integer >= 0)
        r->files_dropped += (int)(v->integer > 100000 ? 100000 : v->integer);
    v = json_get(j, "last_repr");
    if (v && v->type == JSON_STRING) {
        size_t n = v->len < fp->lim->max_output ? v->len
                                                : fp->lim->max_output;

        r->last_repr = xstrndup(v->str, n);
        r->last_repr_len = n;
        if (n < v->len)
            r->truncated = true;
    }
    v = json_get(j, "error");
    if (v && v->type == JSON_STRING)
        r->error = xstrndup(v->str, v->len < 4096 ? v->len : 4096);
    v = json_get(j, "refused");
    if (v && v->type == JSON_STRING)
        r->refused = xstrndup(v->str, v->len < 512 ? v->len : 512);
    r->got_result = true;
    json_free(j);
    return 0;
}

static void take_stream(struct frame_parser *fp, struct buf *b, size_t *seen)
{
    size_t room = b->max - b->len, n = fp->payload.len;

    *seen += n;
    if (n > room) {
        fp->r->truncated = true;
        n = room;
    }
    buf_append(b, fp->payload.data, n);
    if (n && fp->r->output)
        fp->r->output(fp->r->output_arg, fp->type, fp->payload.data, n);
}

static int end_frame(struct frame_parser *fp, char *err)
{
    struct runner_reply *r = fp->r;
    const unsigned char *p = (const unsigned char *)fp->payload.data;
    size_t n = fp->payload.len;
    struct runner_file f;

    memset(&f, 0, sizeof(f));
    switch (fp->type) {
    case 'o':
        take_stream(fp, &r->out, &fp->out_seen);
        break;
    case 'e':
        take_stream(fp, &r->err, &fp->err_seen);
        break;
    case 'i':
        if (++fp->images_seen > fp->lim->max_images
            || filetype_png_size(p, n, &f.width, &f.height) < 0) {
            r->images_dropped++;
            break;
        }
        f.is_plot = true;
        f.mime = "image/png";
        f.data = xmalloc(n);
        memcpy(f.data, p, n);
        f.len = n;
        add_file(r, &f);
        break;
    case 'f': {
        size_t nl = n >= 2 ? (size_t)(p[0] << 8 | p[1]) : 0;

        if (n < 2 || nl + 2 > n) {
            err_set(err, "malformed file frame");
            return -1;
        }
        if (++fp->files_seen > fp->lim->max_files
            || !name_ok((const char *)p + 2, nl)
            || n - 2 - nl > fp->lim->max_file_bytes) {
            r->files_dropped++;
            break;
        }
        f.name = xstrndup((const char *)p + 2, nl);
        f.mime = filetype_mime(f.name);
        f.len = n - 2 - nl;
        f.data = xmalloc(f.len ? f.len : 1);
        memcpy(f.data, p + 2 + nl, f.len);
        if (filetype_png_size(f.data, f.len, &f.width, &f.height) < 0)
            f.width = f.height = 0;
        add_file(r, &f);
        break;
    }
    case 'r':
        if (parse_result(fp, err) < 0)
            return -1;
        fp->done = true;
        break;
    }
    buf_reset(&fp->payload);
    return 0;
}

/* Reads the 5-byte header just completed; -1 for a frame we refuse. */
static int begin_frame(struct frame_parser *fp, char *err)
{
    size_t max;

    fp->type = (char)fp->hdr[0];
    fp->need = (size_t)fp->hdr[1] << 24 | (size_t)fp->hdr[2] << 16
        | (size_t)fp->hdr[3] << 8 | fp->hdr[4];
    max = frame_max(fp, fp->type);
    if (!max) {
        err_set(err, "unknown frame type 0x%02x", fp->hdr[0]);
        return -1;
    }
    /* An oversized figure or file is skipped and counted; anything
     * else that large is a broken runner. */
    fp->oversized = fp->need > max;
    if (fp->oversized && fp->type != 'i' && fp->type != 'f') {
        err_set(err, "frame '%c' of %zu bytes is too large", fp->type,
                fp->need);
        return -1;
    }
    return 0;
}

int frame_parser_feed(struct frame_parser *fp, const char *p, size_t n,
                      char *err)
{
    size_t i = 0;

    while (i < n) {
        size_t take;

        if (fp->done) {
            err_set(err, "data after the result frame");
            return -1;
        }
        if (fp->hdr_have < 5) {
            fp->hdr[fp->hdr_have++] = (unsigned char)p[i++];
            if (fp->hdr_have == 5 && begin_frame(fp, err) < 0)
                return -1;
            if (fp->hdr_have < 5 || fp->need > 0)
                continue;
        }
        take = n - i < fp->need ? n - i : fp->need;
        if (!fp->oversized)
            buf_append(&fp->payload, p + i, take);
        i += take;
        fp->need -= take;
        if (fp->need > 0)
            continue;
        fp->hdr_have = 0;
        if (fp->oversized) {
            if (fp->type == 'i')
                fp->r->images_dropped++;
            else
                fp->r->files_dropped++;
        } else if (end_frame(fp, err) < 0) {
            return -1;
        }
        /* Totals: a runner may not flood us past twice the cap. */
        if (fp->out_seen > 2 * fp->lim->max_output + (1u << 20)
            || fp->err_seen > 2 * fp->lim->max_output + (1u << 20)) {
            err_set(err, "runner sent more output than the cap allows");
            return -1;
        }
    }
    return fp->done ? 1 : 0;
}

/* A blocking connect bounded by the deadline (SO_SNDTIMEO applies to
 * unix connects that wait for backlog room), then non-blocking I/O. */
static int connect_socket(const char *path, double deadline, char *err)
{
    struct sockaddr_un sa;
    double left = deadline - now_ms();
    struct timeval tv;
    int fd, dirfd = -1, rc;

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        err_set(err, "socket: %s", strerror(errno));
        return -1;
    }
    if (left < 1)
        left = 1;
    tv.tv_sec = (time_t)(left / 1000);
    tv.tv_usec = (suseconds_t)((long)left % 1000 * 1000);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(path) < sizeof(sa.sun_path)) {
        strcpy(sa.sun_path, path);
    } else {
        /* A data dir deep in the tree: reach the socket through an open
         * descriptor of its directory instead. */
        const char *slash = strrchr(path, '/');
        char *dir = xstrndup(path, (size_t)(slash - path));

        dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        free(dir);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s",
                 dirfd, slash + 1);
    }
    rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    if (dirfd >= 0)
        close(dirfd);
    if (rc < 0) {
        err_set(err, "runner at %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static int wait_fd(int fd, short events, double deadline)
{
    for (;;) {
        struct pollfd pfd = { fd, events, 0 };
        double left = deadline - now_ms();
        int rc;

        if (left <= 0)
            return 0;
        rc = poll(&pfd, 1, (int)(left + 1));
        if (rc < 0 && errno == EINTR)
            continue;
        return rc;
    }
}

/* After EAGAIN or EINTR: waits until fd is ready for events.  RESULT_OK,
 * or RESULT_TIMEOUT with err saying what the runner did not do. */
static enum result wait_ready(int fd, short events, double deadline,
                              const char *what, char *err)
{
    if (wait_fd(fd, events, deadline) > 0)
        return RESULT_OK;
    err_set(err, "runner did not %s in time", what);
    return RESULT_TIMEOUT;
}

/* The length and the request; the runner may be cleaning up after its
 * previous execution, so this can wait in the backlog. */
static enum result send_request(int fd, struct str req, double deadline,
                                char *err)
{
    unsigned char len[4] = {
        (unsigned char)(req.len >> 24), (unsigned char)(req.len >> 16),
        (unsigned char)(req.len >> 8), (unsigned char)req.len,
    };
    size_t sent = 0;
    enum result r;

    while (sent < 4 + req.len) {
        const void *p = sent < 4 ? (const void *)(len + sent)
                                 : (const void *)(req.p + sent - 4);
        size_t n = sent < 4 ? 4 - sent : req.len - (sent - 4);
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            r = wait_ready(fd, POLLOUT, deadline, "take the execution", err);
            if (r != RESULT_OK)
                return r;
            continue;
        }
        if (w < 0) {
            err_set(err, "sending the execution: %s", strerror(errno));
            return RESULT_RUNNER_LOST;
        }
        sent += (size_t)w;
    }
    return RESULT_OK;
}

/* Waits for the runner's next bytes, passing a cancel on when it comes
 * and ticking the watch's timer. */
static enum result wait_answer(int fd, double deadline,
                               struct runner_watch *w, char *err)
{
    for (;;) {
        struct pollfd p[2] = {
            { fd, POLLIN, 0 },
            { w && !w->cancel_sent ? w->wake_fd : -1, POLLIN, 0 },
        };
        double due = w && w->due ? w->due(w->arg) : 0;
        double wake = due > 0 && due < deadline ? due : deadline;
        double left = wake - now_ms();
        int rc;

        if (due > 0 && left <= 0) {
            w->tick(w->arg);
            continue;
        }
        if (left <= 0)
            break;
        rc = poll(p, 2, (int)(left + 1));
        if (rc < 0 && errno != EINTR)
            break;
        if (rc > 0 && (p[1].revents & POLLIN)
            && w->cancel_requested(w->arg)) {
            /* One byte into an empty direction: it cannot block. */
            w->cancel_sent = send(fd, "c", 1,
                                  MSG_NOSIGNAL | MSG_DONTWAIT) == 1;
        }
        if (rc > 0 && p[0].revents)
            return RESULT_OK;
    }
    err_set(err, "runner did not answer in time");
    return RESULT_TIMEOUT;
}

/* Feeds what the runner sends to fp until the result frame. */
static enum result read_reply(int fd, double deadline,
                              struct runner_watch *watch,
                              struct frame_parser *fp, char *err)
{
    char chunk[65536];
    enum result r;

    for (;;) {
        ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
        int st;

        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            r = wait_answer(fd, deadline, watch, err);
            if (r != RESULT_OK)
                return r;
            continue;
        }
        if (n <= 0) {
            err_set(err, "runner closed the connection before its result");
            return RESULT_RUNNER_LOST;
        }
        st = frame_parser_feed(fp, chunk, (size_t)n, err);
        if (st < 0)
            return RESULT_RUNNER_PROTOCOL;
        if (st == 1)
            return RESULT_OK;
    }
}

enum result runner_call(const char *sock_path, struct str req,
                        double deadline, const struct runner_limits *lim,
                        struct runner_watch *watch,
                        struct runner_reply *r, char *err)
{
    struct frame_parser *fp;
    enum result rc;
    int fd = connect_socket(sock_path, deadline, err);

    if (fd < 0)
        return RESULT_RUNNER_DOWN;
    rc = send_request(fd, req, deadline, err);
    if (rc == RESULT_OK) {
        fp = frame_parser_new(lim, r);
        rc = read_reply(fd, deadline, watch, fp, err);
        frame_parser_free(fp);
    }
    close(fd);
    return rc;
}

/* runner_client.h - the host side of runner/PROTOCOL.md: one execution
 * over the runner's unix socket.  Everything the runner sends is
 * untrusted: frame sizes, totals and PNG headers are checked here, and
 * the deadline is ours, not the runner's. */
#ifndef PYEXEC_RUNNER_CLIENT_H
#define PYEXEC_RUNNER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/result.h"

struct runner_limits {
    size_t max_output;          /* per stream */
    int max_images;
    size_t max_image_bytes;
    int max_files;
    size_t max_file_bytes;
};

/* A figure or an output file. */
struct runner_file {
    bool is_plot;
    char *name;                 /* files only */
    const char *mime;
    unsigned char *data;
    size_t len;
    int width, height;          /* PNGs: from IHDR */
};

struct runner_reply {
    struct buf out, err;        /* capped at max_output each */
    bool truncated;
    bool got_result;            /* the 'r' frame arrived */
    bool has_exit_code;
    int exit_code;
    int signal;
    bool timed_out, oom, session_reset;
    bool cancelled;             /* the runner stopped it on our cancel */
    char *last_repr;            /* NULL when none */
    size_t last_repr_len;
    char *error;                /* "ExcType: message" or NULL */
    char *refused;              /* why the runner refused the request */
    double time_ms;
    const char *interpreter;    /* "light", "heavy" or NULL (unsaid) */
    struct runner_file *files;
    size_t n_files, files_cap;
    int images_dropped, files_dropped;
    /* Called with each chunk of stdout ('o') or stderr ('e') kept within
     * the caps, as it arrives (NULL: nobody listens). */
    void (*output)(void *arg, char stream, const char *p, size_t n);
    void *output_arg;
};

void runner_reply_init(struct runner_reply *r,
                       const struct runner_limits *lim);
void runner_reply_release(struct runner_reply *r);

/* What a call watches besides the runner (runner_call's watch, NULL:
 * nothing).  A cancel: when wake_fd (-1: none) polls readable and
 * cancel_requested(arg) says so, the runner is sent the cancel byte
 * (PROTOCOL.md), once.  A timer: when due(arg) (a now_ms() time, 0:
 * none) has passed, tick(arg) runs (the stream's next batch). */
struct runner_watch {
    void *arg;
    int wake_fd;
    bool (*cancel_requested)(void *arg);
    bool cancel_sent;           /* out: the byte went */
    double (*due)(void *arg);
    void (*tick)(void *arg);
};

/* Sends req (a JSON object) and reads the reply into r until the result
 * frame, with watch (NULL: none).  deadline is on the now_ms()
 * clock.  Returns RESULT_OK,
 * RESULT_RUNNER_DOWN (could not connect: nothing ran), RESULT_RUNNER_LOST
 * (the connection dropped before the result), RESULT_TIMEOUT (our
 * deadline passed) or RESULT_RUNNER_PROTOCOL, with err. */
enum result runner_call(const char *sock_path, struct str req,
                        double deadline, const struct runner_limits *lim,
                        struct runner_watch *watch,
                        struct runner_reply *r, char *err);

/* Feeds raw reply bytes through the frame parser, as runner_call does;
 * for unit tests and the fuzzer.  Returns 1 when the result frame was
 * complete, 0 when more is needed, -1 on a protocol error. */
struct frame_parser;
struct frame_parser *frame_parser_new(const struct runner_limits *lim,
                                      struct runner_reply *r);
int frame_parser_feed(struct frame_parser *fp, const char *p, size_t n,
                      char *err);
void frame_parser_free(struct frame_parser *fp);

#endif

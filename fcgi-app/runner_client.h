/* runner_client.h - the host side of runner/PROTOCOL.md: one job over the
 * runner's unix socket.  Everything the runner sends is untrusted: frame
 * sizes, totals and PNG headers are checked here, and the deadline is
 * ours, not the runner's. */
#ifndef PYEXEC_RUNNER_CLIENT_H
#define PYEXEC_RUNNER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct run_limits {
    size_t max_output;          /* per stream */
    int max_images;
    size_t max_image_bytes;
    int max_files;
    size_t max_file_bytes;
};

/* A figure or an output file. */
struct run_file {
    bool is_plot;
    char *name;                 /* files only */
    const char *mime;
    unsigned char *data;
    size_t len;
    int width, height;          /* PNGs: from IHDR */
};

struct run_result {
    struct buf out, err;        /* capped at max_output each */
    bool truncated;
    bool got_result;            /* the 'r' frame arrived */
    bool has_exit_code;
    int exit_code;
    int signal;
    bool timed_out, oom, session_reset;
    char *last_repr;            /* NULL when none */
    size_t last_repr_len;
    char *error;                /* "ExcType: message" or NULL */
    double time_ms;
    struct run_file *files;
    size_t n_files;
    int images_dropped, files_dropped;
};

enum runner_error {
    RUNNER_OK,
    RUNNER_DOWN,                /* could not connect: nothing ran */
    RUNNER_LOST,                /* connection lost before the result */
    RUNNER_TIMEOUT,             /* our deadline passed */
    RUNNER_PROTOCOL,            /* the runner broke the protocol */
};

void run_result_init(struct run_result *r, const struct run_limits *lim);
void run_result_release(struct run_result *r);

/* Sends req (a JSON object) and reads the reply into r until the result
 * frame.  deadline is on the now_ms() clock. */
enum runner_error runner_call(const char *sock_path, const char *req,
                              size_t req_len, double deadline,
                              const struct run_limits *lim,
                              struct run_result *r, char *err);

/* Parses a PNG header: 0 and the size, or -1 when it isn't a PNG. */
int png_size(const unsigned char *p, size_t n, int *width, int *height);
/* A MIME type for an output file name. */
const char *mime_for_name(const char *name);

/* Feeds raw reply bytes through the frame parser, as runner_call does;
 * for unit tests and the fuzzer.  Returns 1 when the result frame was
 * complete, 0 when more is needed, -1 on a protocol error. */
struct frame_parser;
struct frame_parser *frame_parser_new(const struct run_limits *lim,
                                      struct run_result *r);
int frame_parser_feed(struct frame_parser *fp, const char *p, size_t n,
                      char *err);
void frame_parser_free(struct frame_parser *fp);

#endif

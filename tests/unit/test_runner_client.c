/* test_runner_client.c - the parser of what a runner sends back, fed as
 * a socket would deliver it: streams and their caps, figures and files
 * (checked, not trusted), the result frame, and every way a runner can
 * break the protocol.  A cancel passed on during a real call.  And the
 * PNG and MIME sniffing files go through. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/buf.h"
#include "base/filetype.h"
#include "base/util.h"
#include "sandbox/runner_client.h"

static const struct runner_limits lim = {
    .max_output = 64, .max_images = 2, .max_image_bytes = 100,
    .max_files = 2, .max_file_bytes = 50,
};

/* Appends a frame: its type, its big-endian length, its payload. */
static void frame(struct buf *b, char type, const void *p, size_t n)
{
    unsigned char h[5] = { (unsigned char)type, (unsigned char)(n >> 24),
                           (unsigned char)(n >> 16), (unsigned char)(n >> 8),
                           (unsigned char)n };

    buf_append(b, h, sizeof(h));
    buf_append(b, p, n);
}

static void frame_str(struct buf *b, char type, const char *s)
{
    frame(b, type, s, strlen(s));
}

/* A file frame: the name's length in two bytes, the name, the data. */
static void frame_file(struct buf *b, const char *name, const char *data)
{
    struct buf p = BUF_INIT(0);
    size_t n = strlen(name);
    unsigned char len[2] = { (unsigned char)(n >> 8), (unsigned char)n };

    buf_append(&p, len, 2);
    buf_append(&p, name, n);
    buf_append_str(&p, data);
    frame(b, 'f', p.data, p.len);
    buf_release(&p);
}

/* A PNG's first 33 bytes: signature and IHDR of w x h. */
static void png(unsigned char out[33], unsigned w, unsigned h)
{
    static const unsigned char head[16] = {
        0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
        'I', 'H', 'D', 'R',
    };

    memset(out, 0, 33);
    memcpy(out, head, sizeof(head));
    for (int k = 0; k < 4; k++) {
        out[16 + k] = (unsigned char)(w >> (24 - 8 * k));
        out[20 + k] = (unsigned char)(h >> (24 - 8 * k));
    }
}

/* Feeds b to a new parser in chunks of step bytes: what the last feed
 * returned (1 done, 0 more needed, -1 refused). */
static int feed(const struct buf *b, size_t step, struct runner_reply *r,
                char *err)
{
    struct frame_parser *fp = frame_parser_new(&lim, r);
    int rc = 0;

    for (size_t i = 0; i < b->len && rc == 0; i += step) {
        size_t n = b->len - i < step ? b->len - i : step;

        rc = frame_parser_feed(fp, b->data + i, n, err);
    }
    frame_parser_free(fp);
    return rc;
}

static void test_streams_and_result(void **state)
{
    static const size_t steps[] = { 1, 3, 7, 4096 };
    struct buf b = BUF_INIT(0);

    (void)state;
    frame_str(&b, 'o', "hello ");
    frame_str(&b, 'e', "oops");
    frame_str(&b, 'o', "world");
    frame_str(&b, 'r', "{\"exit_code\": 0, \"time_ms\": 12.5,"
              " \"last_repr\": \"42\", \"images_dropped\": 1}");
    for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
        struct runner_reply r;
        char err[ERR_LEN];

        runner_reply_init(&r, &lim);
        assert_int_equal(feed(&b, steps[i], &r, err), 1);
        assert_string_equal(buf_cstr(&r.out), "hello world");
        assert_string_equal(buf_cstr(&r.err), "oops");
        assert_true(r.got_result && r.has_exit_code);
        assert_int_equal(r.exit_code, 0);
        assert_true(r.time_ms == 12.5);
        assert_string_equal(r.last_repr, "42");
        assert_int_equal(r.images_dropped, 1);
        assert_false(r.truncated);
        runner_reply_release(&r);
    }
    buf_release(&b);
}

static void test_result_fields(void **state)
{
    static const struct {
        const char *json;
        int signal;
        bool timed_out, oom, session_reset, has_exit_code;
        const char *interpreter;
    } cases[] = {
        { "{\"signal\": 9, \"exit_code\": null}", 9, false, false, false,
          false, NULL },
        { "{\"signal\": 200}", 0, false, false, false, false, NULL },
        { "{\"signal\": -1, \"exit_code\": 1.5}", 0, false, false, false,
          false, NULL },
        { "{\"timed_out\": true, \"oom\": 1}", 0, true, false, false,
          false, NULL },
        { "{\"oom\": true, \"session_reset\": true, \"exit_code\": 137}", 0,
          false, true, true, true, NULL },
        { "{\"interpreter\": \"light\"}", 0, false, false, false, false,
          "light" },
        { "{\"interpreter\": \"heavy\"}", 0, false, false, false, false,
          "heavy" },
        /* Only the two names: anything else is not passed on. */
        { "{\"interpreter\": \"<b>\"}", 0, false, false, false, false,
          NULL },
        { "{\"interpreter\": 1}", 0, false, false, false, false, NULL },
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf b = BUF_INIT(0);
        struct runner_reply r;
        char err[ERR_LEN];

        frame_str(&b, 'r', cases[i].json);
        runner_reply_init(&r, &lim);
        assert_int_equal(feed(&b, 4096, &r, err), 1);
        assert_int_equal(r.signal, cases[i].signal);
        assert_int_equal(r.timed_out, cases[i].timed_out);
        assert_int_equal(r.oom, cases[i].oom);
        assert_int_equal(r.session_reset, cases[i].session_reset);
        assert_int_equal(r.has_exit_code, cases[i].has_exit_code);
        if (cases[i].interpreter)
            assert_string_equal(r.interpreter, cases[i].interpreter);
        else
            assert_null(r.interpreter);
        runner_reply_release(&r);
        buf_release(&b);
    }
}

static void test_caps(void **state)
{
    struct buf b = BUF_INIT(0);
    struct runner_reply r;
    char err[ERR_LEN], big[100];

    (void)state;
    memset(big, 'x', sizeof(big));
    frame(&b, 'o', big, sizeof(big));
    frame(&b, 'e', big, 10);
    /* last_repr is cut to max_output too. */
    frame_str(&b, 'r', "{\"last_repr\": \"" "0123456789012345678901234567"
              "890123456789012345678901234567890123456789\"}");
    runner_reply_init(&r, &lim);
    assert_int_equal(feed(&b, 4096, &r, err), 1);
    assert_int_equal(r.out.len, lim.max_output);
    assert_int_equal(r.err.len, 10);
    assert_int_equal(r.last_repr_len, lim.max_output);
    assert_true(r.truncated);
    runner_reply_release(&r);
    buf_release(&b);
}

static void test_flood_is_refused(void **state)
{
    struct buf b = BUF_INIT(0);
    struct runner_reply r;
    char err[ERR_LEN];
    size_t chunk = 1u << 20;
    char *big = xcalloc(1, chunk);

    (void)state;
    /* Past twice the cap and a chunk, a runner is flooding. */
    frame(&b, 'o', big, chunk);
    frame(&b, 'o', big, chunk);
    runner_reply_init(&r, &lim);
    assert_int_equal(feed(&b, 65536, &r, err), -1);
    assert_string_equal(err, "runner sent more output than the cap allows");
    runner_reply_release(&r);
    buf_release(&b);
    free(big);
}

/* Feeds image frames, then a result; checks what was kept. */
static void feed_images(const unsigned char (*imgs)[101], const size_t *n,
                        size_t count, struct runner_reply *r)
{
    struct buf b = BUF_INIT(0);
    char err[ERR_LEN];

    for (size_t i = 0; i < count; i++)
        frame(&b, 'i', imgs[i], n[i]);
    frame_str(&b, 'r', "{}");
    runner_reply_init(r, &lim);
    assert_int_equal(feed(&b, 5, r, err), 1);
    buf_release(&b);
}

static void test_figures(void **state)
{
    unsigned char imgs[3][101];
    size_t n[3] = { 33, 33, 33 };
    struct runner_reply r;

    (void)state;
    memset(imgs, 0, sizeof(imgs));
    png(imgs[0], 640, 480);
    png(imgs[1], 1, 1);
    png(imgs[2], 2, 2);
    feed_images(imgs, n, 3, &r);
    /* max_images figures are kept, the others counted. */
    assert_int_equal(r.n_files, 2);
    assert_true(r.files[0].is_plot);
    assert_string_equal(r.files[0].mime, "image/png");
    assert_int_equal(r.files[0].width, 640);
    assert_int_equal(r.files[0].height, 480);
    assert_int_equal(r.files[0].len, 33);
    assert_int_equal(r.files[1].width, 1);
    assert_int_equal(r.images_dropped, 1);
    runner_reply_release(&r);
    /* Not PNGs: garbage, and a PNG header without a size. */
    memcpy(imgs[0], "not a png at all, not a png at all", 34);
    n[0] = 34;
    png(imgs[1], 0, 10);
    feed_images(imgs, n, 2, &r);
    assert_int_equal(r.n_files, 0);
    assert_int_equal(r.images_dropped, 2);
    runner_reply_release(&r);
    /* Past max_image_bytes: skipped, not read into memory. */
    n[0] = 101;
    feed_images(imgs, n, 1, &r);
    assert_int_equal(r.n_files, 0);
    assert_int_equal(r.images_dropped, 1);
    runner_reply_release(&r);
}

static void test_files(void **state)
{
    static const char *const bad_names[] = {
        "", ".", "..", "a/b", "a\\b", "a\"b", "tab\there",
    };
    struct buf b = BUF_INIT(0);
    struct runner_reply r;
    char err[ERR_LEN], big[60];

    (void)state;
    frame_file(&b, "out.CSV", "a,b\n");
    frame_file(&b, "r\xc3\xa9sum\xc3\xa9.bin", "");
    frame_file(&b, "third.txt", "z");       /* past max_files */
    frame_str(&b, 'r', "{}");
    runner_reply_init(&r, &lim);
    assert_int_equal(feed(&b, 4096, &r, err), 1);
    assert_int_equal(r.n_files, 2);
    assert_false(r.files[0].is_plot);
    assert_string_equal(r.files[0].name, "out.CSV");
    assert_string_equal(r.files[0].mime, "text/csv");
    assert_int_equal(r.files[0].len, 4);
    assert_memory_equal(r.files[0].data, "a,b\n", 4);
    assert_string_equal(r.files[1].mime, "application/octet-stream");
    assert_int_equal(r.files[1].len, 0);
    assert_int_equal(r.files_dropped, 1);
    runner_reply_release(&r);
    memset(big, 'y', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    for (size_t i = 0; i <= ARRAY_SIZE(bad_names); i++) {
        buf_reset(&b);
        if (i < ARRAY_SIZE(bad_names))
            frame_file(&b, bad_names[i], "x");
        else
            frame_file(&b, "big.txt", big);   /* past max_file_bytes */
        frame_str(&b, 'r', "{}");
        runner_reply_init(&r, &lim);
        assert_int_equal(feed(&b, 4096, &r, err), 1);
        assert_int_equal(r.n_files, 0);
        assert_int_equal(r.files_dropped, 1);
        runner_reply_release(&r);
    }
    buf_release(&b);
}

static void test_protocol_errors(void **state)
{
    static const struct {
        char type;
        const char *payload;
        size_t len;             /* payloads may hold NULs */
        const char *err;
    } cases[] = {
        { 'z', "", 0, "unknown frame type 0x7a" },
        { 'f', "\x01", 1, "malformed file frame" },
        { 'f', "\x00\x09" "ab", 4, "malformed file frame" },
        { 'r', "[1]", 3, "result is not an object" },
        { 'r', "{", 1, "" },
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf b = BUF_INIT(0);
        struct runner_reply r;
        char err[ERR_LEN] = "";

        frame(&b, cases[i].type, cases[i].payload, cases[i].len);
        runner_reply_init(&r, &lim);
        assert_int_equal(feed(&b, 4096, &r, err), -1);
        assert_non_null(strstr(err, cases[i].err));
        assert_true(err[0] != '\0');
        runner_reply_release(&r);
        buf_release(&b);
    }
}

static void test_oversized_and_trailing_frames(void **state)
{
    struct buf b = BUF_INIT(0);
    struct runner_reply r;
    unsigned char h[5] = { 'o', 0, 0x20, 0, 0 };    /* 2 MiB of stdout */
    char err[ERR_LEN];

    (void)state;
    buf_append(&b, h, sizeof(h));
    runner_reply_init(&r, &lim);
    assert_int_equal(feed(&b, 4096, &r, err), -1);
    assert_string_equal(err, "frame 'o' of 2097152 bytes is too large");
    runner_reply_release(&r);
    buf_reset(&b);
    frame_str(&b, 'r', "{}");
    frame_str(&b, 'o', "late");
    runner_reply_init(&r, &lim);
    assert_int_equal(feed(&b, 4096, &r, err), -1);
    assert_string_equal(err, "data after the result frame");
    runner_reply_release(&r);
    buf_release(&b);
}

static void test_filetypes(void **state)
{
    static const struct {
        const char *name, *mime;
    } mimes[] = {
        { "plot.png", "image/png" }, { "PHOTO.JPEG", "image/jpeg" },
        { "data.json", "application/json" }, { "page.html", "text/html" },
        { "book.xlsx", "application/vnd.openxmlformats-officedocument."
          "spreadsheetml.sheet" },
        { "noext", "application/octet-stream" },
        { "archive.tar.gz", "application/octet-stream" },
    };
    unsigned char p[33];
    int w = 0, h = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(mimes); i++)
        assert_string_equal(filetype_mime(mimes[i].name), mimes[i].mime);
    png(p, 100000, 2);
    assert_int_equal(filetype_png_size(p, sizeof(p), &w, &h), 0);
    assert_int_equal(w, 100000);
    assert_int_equal(h, 2);
    png(p, 100001, 2);
    assert_int_equal(filetype_png_size(p, sizeof(p), &w, &h), -1);
    png(p, 5, 5);
    assert_int_equal(filetype_png_size(p, 32, &w, &h), -1);
    p[12] = 'X';
    assert_int_equal(filetype_png_size(p, sizeof(p), &w, &h), -1);
}

/* A runner that sends one line, waits for the host's next byte and
 * answers with a result saying whether that byte was the cancel. */
static void fake_runner(int listener)
{
    struct buf b = BUF_INIT(0);
    char req[6], byte = 0;      /* the length and "{}" */
    int conn = accept(listener, NULL, NULL);

    if (conn < 0 || recv(conn, req, sizeof(req), MSG_WAITALL) != 6)
        _exit(1);
    frame_str(&b, 'o', "started\n");
    if (send(conn, b.data, b.len, 0) < 0
        || recv(conn, &byte, 1, 0) != 1)
        _exit(2);
    buf_reset(&b);
    frame_str(&b, 'r', byte == 'c' ? "{\"cancelled\": true}"
                                   : "{\"cancelled\": false}");
    _exit(send(conn, b.data, b.len, 0) < 0 ? 3 : 0);
}

static bool asked(void *arg)
{
    char b;

    return read(*(int *)arg, &b, 1) == 1;   /* drains the wake-up */
}

static void test_cancel_reaches_the_runner(void **state)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct runner_reply r;
    char err[ERR_LEN], dir[] = "/tmp/pyexec-rc-XXXXXX";
    int wake[2], listener, status;
    struct runner_watch watch;
    pid_t pid;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/runner.sock", dir);
    listener = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(listener, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(listener, 1), 0);
    pid = fork();
    if (pid == 0)
        fake_runner(listener);
    assert_int_equal(pipe(wake), 0);
    watch = (struct runner_watch){ &wake[0], wake[0], asked, false, NULL,
                                   NULL };
    /* The poke is there before the call: passed on at its first wait. */
    assert_int_equal(write(wake[1], "x", 1), 1);
    runner_reply_init(&r, &lim);
    assert_int_equal(runner_call(sa.sun_path, (struct str){ "{}", 2 },
                                 now_ms() + 10000, &lim, &watch, &r, err),
                     RESULT_OK);
    assert_true(watch.cancel_sent);
    assert_true(r.cancelled);
    assert_string_equal(buf_cstr(&r.out), "started\n");
    runner_reply_release(&r);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(status, 0);
    close(listener);
    close(wake[0]);
    close(wake[1]);
    unlink(sa.sun_path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_streams_and_result),
        cmocka_unit_test(test_result_fields),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_flood_is_refused),
        cmocka_unit_test(test_figures),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_protocol_errors),
        cmocka_unit_test(test_oversized_and_trailing_frames),
        cmocka_unit_test(test_filetypes),
        cmocka_unit_test(test_cancel_reaches_the_runner),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* grading.c - see grading.h. */
#include "config.h"
#include "exec/grading.h"

#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/util.h"

/* The end of s[from..n) without its trailing blanks (space, tab, CR). */
static size_t trim_end(const char *s, size_t from, size_t end)
{
    while (end > from && (s[end - 1] == ' ' || s[end - 1] == '\t'
                          || s[end - 1] == '\r'))
        end--;
    return end;
}

static bool all_blank(const char *s, size_t from, size_t n)
{
    for (size_t k = from; k < n; k++)
        if (!strchr(" \t\r\n", s[k]))
            return false;
    return true;
}

bool grading_output_matches(const char *got, size_t got_len,
                            const char *want, size_t want_len)
{
    /* Walk both texts line by line, ignoring trailing blanks per line and
     * trailing empty lines. */
    size_t i = 0, j = 0;

    for (;;) {
        size_t ge = i, we = j, gt, wt;

        while (ge < got_len && got[ge] != '\n')
            ge++;
        while (we < want_len && want[we] != '\n')
            we++;
        gt = trim_end(got, i, ge);
        wt = trim_end(want, j, we);
        if (gt - i != wt - j || memcmp(got + i, want + j, gt - i) != 0)
            /* Only blank tails may differ now. */
            return all_blank(got, i, got_len) && all_blank(want, j, want_len);
        i = ge < got_len ? ge + 1 : ge;
        j = we < want_len ? we + 1 : we;
        if (i >= got_len && j >= want_len)
            return true;
    }
}

bool grading_passed(const struct test_result *t)
{
    return t->ran && strcmp(t->status, "completed") == 0
        && (!t->expected || grading_output_matches(buf_cstr(&t->out),
                                                   t->out.len, t->expected,
                                                   t->expected_len));
}

/* The line seed 002's clients print for a test case. */
static char *message(const struct test_result *t)
{
    return xasprintf("%s: %s -> Expected: %.200s%s",
                     t->passed ? "\xe2\x9c\x85 Test passed"
                               : "\xe2\x9d\x8c Test failed",
                     t->input ? t->input : "(no input)",
                     t->expected ? t->expected : "(no expected output)",
                     t->ran ? "" : " (skipped)");
}

static void write_result(struct jw *w, const struct test_result *t)
{
    char *msg = message(t);

    jw_obj_open(w);
    jw_kv_bool(w, "passed", t->passed);
    jw_kv_str(w, "status", t->ran ? t->status : "skipped");
    jw_kv_buf(w, "stdout", &t->out);
    jw_kv_buf(w, "stderr", &t->err);
    jw_key(w, "expected_output");
    if (t->expected)
        jw_strn(w, t->expected, t->expected_len);
    else
        jw_null(w);
    jw_key(w, "execution_time");
    jw_double(w, t->execution_time, 6);
    jw_kv_str(w, "input", t->input);
    jw_kv_str(w, "message", msg);
    jw_obj_close(w);
    free(msg);
}

char *grading_report_json(const struct test_result *t, size_t n)
{
    struct jw *w = jw_new();
    char *out;

    jw_arr_open(w);
    for (size_t i = 0; i < n; i++)
        write_result(w, &t[i]);
    jw_arr_close(w);
    out = xstrdup(jw_text(w, NULL));
    jw_free(w);
    return out;
}

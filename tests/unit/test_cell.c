/* test_cell.c - cell names and tags (SPEC §10): which ids carry a tag,
 * who owns them, how an untagged id is named, and the config checks. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/cell.h"
#include "base/conf.h"
#include "base/util.h"

static int load(struct conf *c, const char *text, char *err)
{
    char *env[] = { NULL };

    return conf_load_string(c, text, "t.conf", env, err);
}

static void test_without_a_name_nothing_changes(void **state)
{
    struct conf c;
    char err[ERR_LEN], out[64];

    (void)state;
    assert_int_equal(load(&c, "data_dir = /srv/px\n", err), 0);
    assert_null(c.node_name);
    assert_null(c.peers);
    assert_int_equal(cell_tag_len(&c, "a.b"), 0);
    assert_null(cell_peer_url(&c, "a.b"));
    assert_int_equal(cell_own_id(&c, "x.y", out, sizeof(out)), 0);
    assert_string_equal(out, "x.y");
    conf_release(&c);
}

static void test_tags_name_known_cells_only(void **state)
{
    struct conf c;
    char err[ERR_LEN], out[16], *url;

    (void)state;
    assert_int_equal(load(&c, "data_dir = /srv/px\nnode_name = a\n"
                          "peers = a=http://127.0.0.2:80, "
                          "b=http://127.0.0.3:8080/\n", err), 0);
    assert_int_equal(cell_tag_len(&c, "a.s1"), 2);
    assert_int_equal(cell_tag_len(&c, "b.s1"), 2);
    /* A dot of the client's, not a tag. */
    assert_int_equal(cell_tag_len(&c, "user.42"), 0);
    assert_int_equal(cell_tag_len(&c, "ab.1"), 0);
    assert_int_equal(cell_tag_len(&c, "nodot"), 0);
    assert_null(cell_peer_url(&c, "a.s1"));
    assert_null(cell_peer_url(&c, "user.42"));
    url = cell_peer_url(&c, "b.s1");
    assert_string_equal(url, "http://127.0.0.3:8080/");
    free(url);
    assert_int_equal(cell_own_id(&c, "user.42", out, sizeof(out)), 0);
    assert_string_equal(out, "a.user.42");
    assert_int_equal(cell_own_id(&c, "b.s1", out, sizeof(out)), 0);
    assert_string_equal(out, "b.s1");
    assert_int_equal(cell_own_id(&c, "0123456789abcd", out, sizeof(out)),
                     -1);
    conf_release(&c);
}

static bool collect(const char *name, const char *url, void *arg)
{
    char *seen = arg;

    strcat(seen, name);
    strcat(seen, "=");
    strcat(seen, url);
    strcat(seen, ";");
    return true;
}

static void test_peers_leave_this_cell_out(void **state)
{
    struct conf c;
    char err[ERR_LEN], seen[256] = "";

    (void)state;
    assert_int_equal(load(&c, "data_dir = /srv/px\nnode_name = b\n"
                          "peers = a=http://h1,b=http://h2,c=https://h3\n",
                          err), 0);
    cell_each_peer(&c, collect, seen);
    assert_string_equal(seen, "a=http://h1;c=https://h3;");
    conf_release(&c);
}

static void test_bad_names_and_peers_are_refused(void **state)
{
    static const struct { const char *text, *want; } cases[] = {
        { "node_name = A\n", "node_name: 'A' must be 1-16" },
        { "node_name = a.b\n", "node_name" },
        { "node_name = abcdefghijklmnopq\n", "node_name" },
        { "peers = a=http://h\n", "peers: needs node_name" },
        { "node_name = a\npeers = b\n", "'b' is not name=http" },
        { "node_name = a\npeers = B=http://h\n", "'B' is not a cell name" },
        { "node_name = a\npeers = b=ftp://h\n", "must start with http://" },
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct conf c;
        char err[ERR_LEN];

        assert_int_equal(load(&c, cases[i].text, err), -1);
        if (!strstr(err, cases[i].want))
            fail_msg("%s: got \"%s\"", cases[i].text, err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_without_a_name_nothing_changes),
        cmocka_unit_test(test_tags_name_known_cells_only),
        cmocka_unit_test(test_peers_leave_this_cell_out),
        cmocka_unit_test(test_bad_names_and_peers_are_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_conf.c - the config table: defaults, file syntax, ranges, the
 * environment override, and error messages that name file, line and key. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/conf.h"
#include "base/util.h"

static void test_defaults_follow_the_spec(void **state)
{
    struct conf c;
    char err[ERR_LEN];
    char *env[] = { NULL };

    (void)state;
    assert_int_equal(conf_load_string(&c, "data_dir = /srv/px\n", "t.conf",
                                      env, err), 0);
    assert_string_equal(c.listen, "unix:/srv/px/pyexec.sock");
    assert_string_equal(c.database, "/srv/px/pyexec.db");
    assert_int_equal(c.workers, 8);
    assert_int_equal(c.pool_min_idle, 4);
    assert_int_equal(c.pool_max, 32);
    assert_int_equal(c.max_body_bytes, 1 << 20);
    assert_int_equal(c.max_code_bytes, 256 << 10);
    assert_int_equal(c.image_max_bytes, 4 << 20);
    assert_true(c.default_timeout == 5 && c.max_timeout == 600);
    assert_int_equal(c.default_memory_mb, 256);
    assert_int_equal(c.max_memory_mb, 8192);
    assert_int_equal(c.isolation, ISOLATION_CONTAINER);
    assert_true(c.policy);
    assert_null(c.api_keys);
    assert_null(c.allowed_origins);
    conf_release(&c);
}

static const struct {
    const char *text;
    const char *err;            /* NULL: must load */
} cases[] = {
    { "# comment only\n\n   \n", NULL },
    { "workers = 3   # trailing comment\n", NULL },
    { "workers=3\r\n", NULL },
    { "listen = 127.0.0.1:9000\n", NULL },
    { "listen = [::1]:9000\n", NULL },
    { "max_body_bytes = 2M\n", NULL },
    { "max_body_bytes = 64KiB\n", NULL },
    { "policy = off\n", NULL },
    { "isolation = process\n", NULL },
    { "api_keys = \"a,b\"\n", NULL },
    { "allowed_origins = *\n", NULL },
    { "log_level = debug\n", NULL },
    { "cpus = 0.5\n", NULL },
    { "\nworkerz = 3\n", "t.conf:2: workerz: unknown key" },
    { "workers = 0\n", "t.conf:1: workers: 0 is out of range" },
    { "workers = three\n", "t.conf:1: workers: 'three' is not an integer" },
    { "workers = 3x\n", "t.conf:1: workers: '3x' is not an integer" },
    { "a\nb\nworkers\n", "t.conf:1: expected 'key = value'" },
    { "policy = maybe\n", "t.conf:1: policy: 'maybe' is not on or off" },
    { "isolation = vm\n", "t.conf:1: isolation: 'vm' is not one of" },
    { "max_body_bytes = 1X\n", "t.conf:1: max_body_bytes: '1X' is not a size" },
    { "cpus = -1\n", "t.conf:1: cpus: -1 is out of range" },
    { "cpus = abc\n", "t.conf:1: cpus: 'abc' is not a number" },
    { "default_memory_mb = 9000\n", "default_memory_mb: 9000 is above" },
    { "default_timeout = 700\n", "default_timeout: 700 is above" },
    { "pool_min_idle = 40\n", "pool_min_idle: 40 is above pool_max" },
    { "listen = nowhere\n", "listen: 'nowhere' is neither" },
    { "runtime = run c\n", "runtime: 'run c' is not a runtime name" },
    { "log_level = loud\n", "t.conf:1: log_level: 'loud' is not one of" },
};

static void test_file_cases(void **state)
{
    char *env[] = { NULL };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct conf c;
        char err[ERR_LEN] = "";
        int rc = conf_load_string(&c, cases[i].text, "t.conf", env, err);

        if (!cases[i].err) {
            if (rc != 0)
                fail_msg("case %zu: unexpected error: %s", i, err);
            conf_release(&c);
        } else {
            if (rc == 0)
                fail_msg("case %zu: loaded but should fail", i);
            if (!strstr(err, cases[i].err))
                fail_msg("case %zu: got '%s', want '%s'", i, err,
                         cases[i].err);
        }
    }
}

static void test_env_overrides_file(void **state)
{
    struct conf c;
    char err[ERR_LEN];
    static char e1[] = "PYEXEC_WORKERS=5", e2[] = "PYEXEC_API_KEYS=k1,k2",
        e3[] = "PYEXEC_UNRELATED=1", e4[] = "DOCKER_HOST=tcp://127.0.0.1:2375";
    char *env[] = { e1, e2, e3, e4, NULL };

    (void)state;
    assert_int_equal(conf_load_string(&c, "workers = 3\n", "t.conf", env,
                                      err), 0);
    assert_int_equal(c.workers, 5);
    assert_string_equal(c.api_keys, "k1,k2");
    assert_string_equal(c.docker_host, "tcp://127.0.0.1:2375");
    conf_release(&c);
}

static void test_docker_host_in_file_beats_env(void **state)
{
    struct conf c;
    char err[ERR_LEN];
    static char e1[] = "DOCKER_HOST=tcp://127.0.0.1:2375";
    char *env[] = { e1, NULL };

    (void)state;
    assert_int_equal(conf_load_string(&c,
        "docker_host = unix:///run/other.sock\n", "t.conf", env, err), 0);
    assert_string_equal(c.docker_host, "unix:///run/other.sock");
    conf_release(&c);
}

/* queue_wait replaced pool_wait_ms, which still works unless both are
 * given; a fixed `workers` above workers_max raises the bound. */
static void test_queue_and_worker_keys(void **state)
{
    struct conf c;
    char err[ERR_LEN];
    char *env[] = { NULL };

    (void)state;
    assert_int_equal(conf_load_string(&c, "", "t.conf", env, err), 0);
    assert_true(c.queue_wait == 30 && c.queue_max == 256);
    assert_true(c.workers_max == 64 && c.workers_min == 1);
    conf_release(&c);
    assert_int_equal(conf_load_string(&c, "pool_wait_ms = 500\n", "t.conf",
                                      env, err), 0);
    assert_true(c.queue_wait == 0.5);
    conf_release(&c);
    assert_int_equal(conf_load_string(&c, "pool_wait_ms = 500\n"
                                      "queue_wait = 7\n", "t.conf", env,
                                      err), 0);
    assert_true(c.queue_wait == 7);
    conf_release(&c);
    assert_int_equal(conf_load_string(&c, "workers = 100\n", "t.conf", env,
                                      err), 0);
    assert_int_equal(c.workers_max, 100);
    conf_release(&c);
    assert_int_equal(conf_load_string(&c, "workers = 2\nworkers_min = 3\n",
                                      "t.conf", env, err), -1);
    assert_string_equal(err, "workers_min: 3 is above workers (2)");
    assert_int_equal(conf_load_string(&c, "queue_max = 5000\n", "t.conf",
                                      env, err), -1);
}

static void test_bad_env_names_the_variable(void **state)
{
    struct conf c;
    char err[ERR_LEN];
    static char e1[] = "PYEXEC_POOL_MAX=-4";
    char *env[] = { e1, NULL };

    (void)state;
    assert_int_equal(conf_load_string(&c, "", "t.conf", env, err), -1);
    assert_non_null(strstr(err, "PYEXEC_POOL_MAX"));
    assert_non_null(strstr(err, "out of range"));
}

static void test_missing_file(void **state)
{
    struct conf c;
    char err[ERR_LEN];
    char *env[] = { NULL };

    (void)state;
    assert_int_equal(conf_load(&c, "/nonexistent/pyexec.conf", true, env,
                               err), -1);
    assert_non_null(strstr(err, "/nonexistent/pyexec.conf"));
    /* The default path may be absent: defaults apply. */
    assert_int_equal(conf_load(&c, "/nonexistent/pyexec.conf", false, env,
                               err), 0);
    conf_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_follow_the_spec),
        cmocka_unit_test(test_file_cases),
        cmocka_unit_test(test_env_overrides_file),
        cmocka_unit_test(test_docker_host_in_file_beats_env),
        cmocka_unit_test(test_bad_env_names_the_variable),
        cmocka_unit_test(test_queue_and_worker_keys),
        cmocka_unit_test(test_missing_file),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_auth.c - who is calling: the key from each of the three headers,
 * checked against the configured keys and the hashed keys of a real
 * SQLite file; anonymous access; a database that can't answer; the
 * origin allow-list and its CORS headers. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "base/conf.h"
#include "base/sha256.h"
#include "base/util.h"
#include "fakes/fake_fcgi.h"
#include "fakes/test_store.h"
#include "http/auth.h"
#include "http/request.h"
#include "sandbox/app.h"
#include "store/store.h"
#include "store/store_keys.h"

struct fixture {
    struct test_store db;
    struct conf c;
    struct app app;
    struct fake_fcgi f;
    struct request rq;
};

static struct fixture *fixture_new(const char *conf_text)
{
    struct fixture *fx = xcalloc(1, sizeof(*fx));
    char err[ERR_LEN];
    char *env[] = { NULL };

    assert_int_equal(test_store_open(&fx->db), 0);
    assert_int_equal(conf_load_string(&fx->c, conf_text, "test", env, err),
                     0);
    fx->app.conf = &fx->c;
    fx->app.store = fx->db.s;
    auth_init(&fx->c);
    return fx;
}

static void fixture_free(struct fixture *fx)
{
    auth_release();
    test_store_close(&fx->db);
    conf_release(&fx->c);
    free(fx);
}

/* A request of fx carrying params. */
static struct request *ask(struct fixture *fx, const char *const *params)
{
    fake_fcgi_init(&fx->f, params, NULL, 0);
    request_begin(&fx->rq, &fx->f.req, &fx->app);
    return &fx->rq;
}

static void done(struct fixture *fx)
{
    request_reset(&fx->rq);
    fake_fcgi_release(&fx->f);
}

static void test_key_headers(void **state)
{
    static const struct {
        const char *params[3];
        const char *key;        /* NULL: none */
    } cases[] = {
        { { "HTTP_AUTHORIZATION=Bearer k1" }, "k1" },
        { { "HTTP_AUTHORIZATION=bearer   k1" }, "k1" },
        { { "HTTP_X_API_KEY=k2" }, "k2" },
        { { "HTTP_X_AUTH_TOKEN=k3" }, "k3" },
        /* Bearer first, then X-API-Key, then X-Auth-Token. */
        { { "HTTP_X_API_KEY=k2", "HTTP_AUTHORIZATION=Bearer k1" }, "k1" },
        { { "HTTP_X_AUTH_TOKEN=k3", "HTTP_X_API_KEY=k2" }, "k2" },
        { { "HTTP_AUTHORIZATION=Basic dXNlcg==", "HTTP_X_AUTH_TOKEN=k3" },
          "k3" },
        { { "HTTP_AUTHORIZATION=Bearer " }, NULL },
        { { "HTTP_X_API_KEY=" }, NULL },
        { { NULL }, NULL },
    };
    struct fixture *fx = fixture_new("");

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *key = auth_key_from_request(ask(fx, cases[i].params));

        if (cases[i].key)
            assert_string_equal(key, cases[i].key);
        else
            assert_null(key);
        done(fx);
    }
    fixture_free(fx);
}

/* Authenticates a request with the key given as X-API-Key (NULL: none). */
static enum result authenticate(struct fixture *fx, const char *key,
                                struct principal *p, char *why)
{
    char *h = key ? xasprintf("HTTP_X_API_KEY=%s", key) : NULL;
    const char *params[] = { h, NULL };
    enum result r = auth_authenticate(ask(fx, params), p, why);

    done(fx);
    free(h);
    return r;
}

static void test_configured_keys(void **state)
{
    struct fixture *fx = fixture_new("api_keys = k1, k2\n"
                                     "key_max_concurrent = 3\n");
    struct principal p;
    char why[ERR_LEN], hash[2 * SHA256_LEN + 1], id[32];

    (void)state;
    assert_int_equal(authenticate(fx, "k2", &p, why), RESULT_OK);
    sha256_hex("k2", 2, hash);
    snprintf(id, sizeof(id), "cfg_%.12s", hash);
    assert_string_equal(p.id, id);
    assert_int_equal(p.max_concurrent, 3);
    assert_int_equal(authenticate(fx, "k3", &p, why), RESULT_UNAUTHORIZED);
    assert_string_equal(why, "invalid API key");
    assert_int_equal(authenticate(fx, NULL, &p, why), RESULT_UNAUTHORIZED);
    assert_non_null(strstr(why, "missing API key"));
    fixture_free(fx);
}

static void test_stored_keys(void **state)
{
    struct fixture *fx = fixture_new("key_rate_per_minute = 60\n");
    struct principal p;
    char why[ERR_LEN], *id = NULL;
    char *key = store_key_create(fx->app.store, "ci", &id);

    (void)state;
    assert_non_null(key);
    assert_int_equal(strncmp(key, "pyx_", 4), 0);
    assert_int_equal(authenticate(fx, key, &p, why), RESULT_OK);
    assert_string_equal(p.id, id);
    assert_int_equal(p.rate_per_minute, 60);
    /* The key's own limits win over the configured ones. */
    assert_int_equal(store_key_set_limits(fx->app.store, id, 2, 5), 1);
    assert_int_equal(authenticate(fx, key, &p, why), RESULT_OK);
    assert_int_equal(p.max_concurrent, 2);
    assert_int_equal(p.rate_per_minute, 5);
    /* Only the hash is stored: a hash given as the key is no key. */
    {
        char hash[2 * SHA256_LEN + 1];

        sha256_hex(key, strlen(key), hash);
        assert_int_equal(authenticate(fx, hash, &p, why),
                         RESULT_UNAUTHORIZED);
    }
    assert_int_equal(store_key_revoke(fx->app.store, id), 1);
    assert_int_equal(authenticate(fx, key, &p, why), RESULT_UNAUTHORIZED);
    free(key);
    free(id);
    fixture_free(fx);
}

static void test_anonymous(void **state)
{
    struct fixture *fx = fixture_new("anonymous = on\napi_keys = k1\n");
    struct principal p;
    char why[ERR_LEN];

    (void)state;
    assert_int_equal(authenticate(fx, NULL, &p, why), RESULT_OK);
    assert_string_equal(p.id, "anonymous");
    /* A wrong key is still wrong. */
    assert_int_equal(authenticate(fx, "nope", &p, why), RESULT_UNAUTHORIZED);
    fixture_free(fx);
}

static void test_database_down(void **state)
{
    struct fixture *fx = fixture_new("");
    struct principal p;
    char why[ERR_LEN];
    sqlite3 *db;

    (void)state;
    /* Another connection takes the table away under the store. */
    assert_int_equal(sqlite3_open(fx->db.path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DROP TABLE api_keys", NULL, NULL,
                                  NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(authenticate(fx, "k", &p, why), RESULT_DB_BUSY);
    assert_non_null(strstr(why, "database: "));
    fixture_free(fx);
}

static void test_origins(void **state)
{
    static const struct {
        const char *conf;
        const char *origin;     /* HTTP_ORIGIN=..., or NULL */
        bool is_allowed, has_cors;
    } cases[] = {
        { "allowed_origins = https://a.example, https://b.example\n",
          "HTTP_ORIGIN=https://b.example", true, true },
        { "allowed_origins = https://a.example\n",
          "HTTP_ORIGIN=HTTPS://A.EXAMPLE", true, true },
        { "allowed_origins = https://a.example\n",
          "HTTP_ORIGIN=https://c.example", false, false },
        { "allowed_origins = https://a.example\n", NULL, true, false },
        { "", "HTTP_ORIGIN=https://any.example", true, true },
        { "allowed_origins = *\n", "HTTP_ORIGIN=https://x", true, true },
        { "", "HTTP_ORIGIN=https://x\r\nSet-Cookie: a=b", false, false },
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct fixture *fx = fixture_new(cases[i].conf);
        const char *params[] = { cases[i].origin, NULL };
        struct request *rq = ask(fx, params);

        assert_int_equal(auth_origin_allowed(rq), cases[i].is_allowed);
        assert_int_equal(strstr(buf_cstr(&rq->headers),
                                "Access-Control-Allow-Origin: ") != NULL,
                         cases[i].has_cors);
        if (cases[i].has_cors)
            assert_non_null(strstr(buf_cstr(&rq->headers),
                                   "Vary: Origin\r\n"));
        done(fx);
        fixture_free(fx);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_headers),
        cmocka_unit_test(test_configured_keys),
        cmocka_unit_test(test_stored_keys),
        cmocka_unit_test(test_anonymous),
        cmocka_unit_test(test_database_down),
        cmocka_unit_test(test_origins),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

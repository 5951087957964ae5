/* test_webhooks.c - the pure parts of SPEC 9: HMAC-SHA256 (RFC 4231),
 * the Standard Webhooks signature (its published test vector), which
 * callback URLs callback_allow lets through, and Idempotency-Key
 * syntax. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/sha256.h"
#include "base/util.h"
#include "exec/callback_url.h"
#include "http/idempotency.h"
#include "proc/deliverer.h"

static void test_hmac_rfc4231(void **state)
{
    static const char *const want =
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    uint8_t mac[SHA256_LEN];
    char hex[65];
    unsigned char key[131];

    (void)state;
    hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
    for (int i = 0; i < SHA256_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    assert_string_equal(hex, want);
    /* A key longer than a block is hashed first (test case 6). */
    memset(key, 0xaa, sizeof(key));
    hmac_sha256(key, sizeof(key),
                "Test Using Larger Than Block-Size Key - Hash Key First",
                54, mac);
    for (int i = 0; i < SHA256_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    assert_string_equal(hex, "60e431591ee0b67f0d8a26aacbf5b77f"
                             "8e0bc6213728c5140546040f0ee37f54");
}

static void test_standard_webhooks_vector(void **state)
{
    const char *body = "{\"test\": 2432232314}";
    char *sig;

    (void)state;
    sig = deliverer_sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                         "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330L, body,
                         strlen(body));
    assert_non_null(sig);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    free(sig);
    assert_null(deliverer_sign("not base64!", "msg_1", 1, "{}", 2));
}

static const struct {
    const char *allow, *host;
    long port;
    bool ok;
} hosts[] = {
    { "", "127.0.0.1", 80, false },
    { "127.0.0.1", "127.0.0.1", 8080, true },
    { "127.0.0.1:9000", "127.0.0.1", 8080, false },
    { "127.0.0.1:9000", "127.0.0.1", 9000, true },
    { "a.example, hooks.example.com", "HOOKS.example.com", 443, true },
    { "*.example.com", "a.b.example.com", 443, true },
    { "*.example.com", "example.com", 443, false },
    { "*.example.com", "badexample.com", 443, false },
    { "[::1]:8080", "[::1]", 8080, true },
    { "[::1]", "[::1]", 1, true },
    { "*", "anything.example", 1, true },
    { "example.com:notaport", "example.com", 80, false },
};

static void test_allow_patterns(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(hosts); i++)
        assert_int_equal(callback_host_allowed(hosts[i].allow, hosts[i].host,
                                               hosts[i].port), hosts[i].ok);
}

static const struct {
    const char *url;
    bool ok;
} urls[] = {
    { "http://127.0.0.1:8080/hook", true },
    { "https://hooks.example.com/x?y=1", true },
    { "http://hooks.example.com:444/x", false },
    { "ftp://hooks.example.com/x", false },
    { "file:///etc/passwd", false },
    { "hooks.example.com/x", false },
    { "http://user:pw@hooks.example.com/", false },
    { "http://evil.example/", false },
    { "http://127.0.0.1:8080/a b", false },
};

static void test_callback_urls(void **state)
{
    const char *allow = "127.0.0.1, hooks.example.com:443, "
                        "hooks.example.com:80";
    char err[ERR_LEN];

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(urls); i++) {
        err[0] = '\0';
        assert_int_equal(callback_url_check(allow, urls[i].url, err)
                         == RESULT_OK, urls[i].ok);
        if (!urls[i].ok)
            assert_true(strstr(err, "callback_") != NULL);
    }
    assert_int_not_equal(callback_url_check(NULL, "http://127.0.0.1/", err),
                         RESULT_OK);
    assert_non_null(strstr(err, "callback_allow"));
}

static void test_idempotency_keys(void **state)
{
    char long_key[300];

    (void)state;
    assert_true(idempotency_key_valid("order-1234"));
    assert_true(idempotency_key_valid("spaces and \xc3\xa9 are fine"));
    assert_false(idempotency_key_valid(""));
    assert_false(idempotency_key_valid("tab\there"));
    assert_false(idempotency_key_valid("del\x7f"));
    memset(long_key, 'k', 255);
    long_key[255] = '\0';
    assert_true(idempotency_key_valid(long_key));
    long_key[255] = 'k';
    long_key[256] = '\0';
    assert_false(idempotency_key_valid(long_key));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_standard_webhooks_vector),
        cmocka_unit_test(test_allow_patterns),
        cmocka_unit_test(test_callback_urls),
        cmocka_unit_test(test_idempotency_keys),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

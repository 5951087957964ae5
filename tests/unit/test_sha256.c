/* test_sha256.c - FIPS 180-4 test vectors, including the block edges. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/sha256.h"
#include "base/util.h"

static const struct { const char *in; const char *hex; } vectors[] = {
    { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    { "abc",
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
    { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
    { "The quick brown fox jumps over the lazy dog",
      "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592" },
};

static void test_vectors(void **state)
{
    char out[65];

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(vectors); i++) {
        sha256_hex(vectors[i].in, strlen(vectors[i].in), out);
        assert_string_equal(out, vectors[i].hex);
    }
}

static void test_million_a(void **state)
{
    char *m = xmalloc(1000000), out[65];

    (void)state;
    memset(m, 'a', 1000000);
    sha256_hex(m, 1000000, out);
    assert_string_equal(out,
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_million_a),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test-digest.c - SHA-256 against FIPS 180-4 test vectors */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "base/digest.h"

static void check(const char *in, size_t len, const char *want)
{
    uint8_t d[32];
    char hex[65];
    sha256(in, len, d);
    sha256_hex(d, hex);
    assert_string_equal(hex, want);
}

static void test_vectors(void **state)
{
    check("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_incremental_million_a(void **state)
{
    /* one million 'a', fed in uneven pieces: exercises the buffering */
    struct digest c;
    digest_init(&c);
    char a[997];
    memset(a, 'a', sizeof(a));
    size_t left = 1000000;
    while (left) {
        size_t n = left < sizeof(a) ? left : sizeof(a);
        digest_update(&c, a, n);
        left -= n;
    }
    uint8_t d[32];
    char hex[65];
    digest_final(&c, d);
    sha256_hex(d, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_incremental_million_a),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

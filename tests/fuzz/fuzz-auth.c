/* fuzz-auth.c - libFuzzer target for what a registry sends the client's auth code: a
 * WWW-Authenticate header and base64 (config.json's auth). Whatever the bytes, no crash and
 * no leak; what base64 decodes to encodes and decodes back to itself (the input may have
 * non-zero padding bits, which Go's decoder, docker's, accepts as well). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "base/cleanup.h"
#include "registry/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    _cleanup_free_ char *s = strndup((const char *)data, size);
    if (!s)
        return 0;
    struct auth_challenge c = {0};
    _cleanup_berr_ struct berr *err = NULL;
    if (auth_parse_challenge(s, &c, &err) == 0) {
        if (!c.scheme || !*c.scheme)
            abort();
        auth_challenge_clear(&c);
    }
    _cleanup_berr_ struct berr *e2 = NULL;
    char *plain = NULL;
    size_t n = 0;
    if (auth_b64_decode(s, &plain, &n, &e2) == 0) {
        _cleanup_free_ char *again = auth_b64_encode(plain, n), *back = NULL;
        size_t m = 0;
        _cleanup_berr_ struct berr *e3 = NULL;
        if (auth_b64_decode(again, &back, &m, &e3) < 0 || m != n || memcmp(back, plain, n) != 0)
            abort();
        free(plain);
    }
    return 0;
}

/* digest.c - SHA-256 through nettle.
 *
 * nettle is already linked (libarchive needs it) and picks SHA-NI/ARMv8 code at run time:
 * about 1.8 GB/s here, where plain C manages 330 MB/s. Image loads hash every byte. */
#include "digest.h"
#include <stdio.h>

void digest_init(struct digest *c)
{
    sha256_init(&c->ctx);
}

void digest_update(struct digest *c, const void *data, size_t len)
{
    sha256_update(&c->ctx, len, data);
}

void digest_final(struct digest *c, uint8_t out[32])
{
    sha256_digest(&c->ctx, 32, out);
}

void sha256(const void *data, size_t len, uint8_t out[32])
{
    struct digest c;
    digest_init(&c);
    digest_update(&c, data, len);
    digest_final(&c, out);
}

void sha256_hex(const uint8_t d[32], char hex[65])
{
    static const char x[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = x[d[i] >> 4];
        hex[2 * i + 1] = x[d[i] & 15];
    }
    hex[64] = 0;
}

/* digest.h - SHA-256 for small inputs (cache keys, config digests) */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct sha256 {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t fill;
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
void sha256_final(struct sha256 *c, uint8_t out[32]);
/* One call: digest of data. */
void sha256(const void *data, size_t len, uint8_t out[32]);
/* Lowercase hex of a digest into hex[65]. */
void sha256_hex(const uint8_t d[32], char hex[65]);

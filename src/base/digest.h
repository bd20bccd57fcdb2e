/* digest.h - SHA-256 (nettle's, which uses the CPU's SHA instructions where there are any) */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <nettle/sha2.h>

struct digest {
    struct sha256_ctx ctx;
};

void digest_init(struct digest *c);
void digest_update(struct digest *c, const void *data, size_t len);
void digest_final(struct digest *c, uint8_t out[32]);
/* One call: digest of data. */
void sha256(const void *data, size_t len, uint8_t out[32]);
/* Lowercase hex of a digest into hex[65]. */
void sha256_hex(const uint8_t d[32], char hex[65]);

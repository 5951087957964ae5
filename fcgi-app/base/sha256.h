/* sha256.h - SHA-256 (FIPS 180-4), for hashing API keys at rest,
 * and HMAC-SHA256 for signing webhooks. */
#ifndef PYEXEC_SHA256_H
#define PYEXEC_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

void sha256(const void *p, size_t n, uint8_t out[SHA256_LEN]);
/* Writes the 64 hex digits and a NUL into out. */
void sha256_hex(const void *p, size_t n, char out[2 * SHA256_LEN + 1]);

/* HMAC-SHA256 (RFC 2104) of msg with key: for signing webhooks. */
void hmac_sha256(const void *key, size_t key_len, const void *msg, size_t n,
                 uint8_t out[SHA256_LEN]);

#endif

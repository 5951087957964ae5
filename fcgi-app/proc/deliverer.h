/* deliverer.h - the webhook deliverer process (see deliverer.c). */
#ifndef PYEXEC_DELIVERER_H
#define PYEXEC_DELIVERER_H

#include <stddef.h>

struct conf;

/* Never returns.  SIGTERM: leave at once (what was being sent is sent
 * again by the next deliverer). */
void deliverer_run(const struct conf *c) __attribute__((noreturn));

/* The Standard Webhooks signature of body: "v1," and the base64 of
 * HMAC-SHA256(secret, "{id}.{timestamp}.{body}"), secret_b64 being the
 * key's secret without "whsec_".  A new string (caller frees), or NULL
 * when the secret is not base64. */
char *deliverer_sign(const char *secret_b64, const char *id, long timestamp,
                     const char *body, size_t len);

#endif

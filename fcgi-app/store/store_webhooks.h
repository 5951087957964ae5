/* store_webhooks.h - webhook secrets (one per API key) and deliveries:
 * one delivery per ended execution that has a callback_url, each attempt
 * kept.  A delivery is 'pending' (due at next_at), 'sending' (held by the
 * deliverer), 'delivered' or 'failed' (retries used up). */
#ifndef PYEXEC_STORE_WEBHOOKS_H
#define PYEXEC_STORE_WEBHOOKS_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

struct store;
struct jw;

#define WEBHOOK_SECRET_LEN 64   /* base64 of 32 bytes, with room */
#define WEBHOOK_ID_LEN 40

/* The key's secret (base64 of the raw bytes), made on first use; rotate
 * replaces it.  0, or -1. */
int store_webhook_secret(struct store *s, const char *key_id, bool rotate,
                         char secret[WEBHOOK_SECRET_LEN]);

/* Queues the webhook of execution id if it has a callback_url, has ended
 * and has none yet.  0 or -1. */
int store_delivery_add_ended(struct store *s, const char *id);
/* The same for every ended execution (the deliverer's sweep); the number
 * queued, or -1. */
int store_delivery_sweep(struct store *s);
/* At the deliverer's start: what a previous one was sending is pending
 * again.  0 or -1. */
int store_delivery_unsend(struct store *s);

struct delivery {
    char id[WEBHOOK_ID_LEN];
    char execution_id[72];
    char key_id[STORE_KEY_ID_LEN];
    char url[2100];
    int attempts;               /* made so far */
    char *payload;              /* NULL before the first attempt */
};
/* Takes up to max pending deliveries due by now_ms, marking them
 * 'sending': a new array *out (caller frees it and each payload); the
 * count or -1. */
int store_delivery_take(struct store *s, int64_t now_ms, int max,
                        struct delivery **out);
int store_delivery_set_payload(struct store *s, const char *id,
                               const char *payload);

/* One attempt's outcome; state is the delivery's new state and next_at
 * when it is due again (pending). */
struct delivery_attempt {
    int attempt;                /* 1 for the first */
    int64_t at;
    long status_code;           /* 0: no HTTP answer */
    const char *error;          /* NULL: none */
    long duration_ms;
    const char *state;
    int64_t next_at;
};
int store_delivery_record(struct store *s, const char *id,
                          const struct delivery_attempt *a);

/* When the next pending delivery is due (ms), 0 when none, -1. */
int64_t store_delivery_next_due(struct store *s);

/* {"execution_id", "deliveries": [{... "attempts": [...]}]} of an
 * execution of key_id: 1, 0 (no such execution), -1. */
int store_delivery_write(struct store *s, const char *execution_id,
                         const char *key_id, struct jw *w);

#endif

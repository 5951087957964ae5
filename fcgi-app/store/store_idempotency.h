/* store_idempotency.h - the idempotency table: the first answer to an
 * Idempotency-Key of one API key, kept idempotency_ttl. */
#ifndef PYEXEC_STORE_IDEMPOTENCY_H
#define PYEXEC_STORE_IDEMPOTENCY_H

#include <stddef.h>
#include <stdint.h>

struct store;

#define IDEM_FINGERPRINT_LEN 65

struct idem_row {
    char fingerprint[IDEM_FINGERPRINT_LEN];
    int holder_pid;
    int status;                 /* 0 while in progress */
    char *response;             /* NULL while in progress; caller frees */
};

/* Takes (key_id, key) for pid when nobody has it, or had it more than
 * ttl_ms ago, or its holder died before answering: 1.  Else 0 with *row
 * the holder's (in progress or answered).  -1 on error. */
int store_idem_claim(struct store *s, const char *key_id, const char *key,
                     const char *fingerprint, int pid, int64_t ttl_ms,
                     struct idem_row *row);
/* Reads the row again: 1, 0 (gone), -1. */
int store_idem_get(struct store *s, const char *key_id, const char *key,
                   struct idem_row *row);
/* The answer, for every repeat. */
int store_idem_answer(struct store *s, const char *key_id, const char *key,
                      int status, const char *response, size_t len);
/* Gives the key up (an answer worth retrying: 429, 5xx). */
int store_idem_release(struct store *s, const char *key_id, const char *key);

#endif

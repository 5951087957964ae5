/* store_keys.h - the api_keys table.  Keys are stored as SHA-256 hex;
 * the plaintext exists only in the creator's hands. */
#ifndef PYEXEC_STORE_KEYS_H
#define PYEXEC_STORE_KEYS_H

#include <stdint.h>

#include "store/store.h"

struct store;

/* Who a request runs for: the key that authenticated it and the limits
 * that apply (http/auth.c fills it). */
struct principal {
    char id[STORE_KEY_ID_LEN];  /* records and sessions hang off it */
    long max_concurrent;        /* 0: unlimited */
    long rate_per_minute;       /* 0: unlimited */
};

/* A row of api_keys. */
struct key_info {
    char id[STORE_KEY_ID_LEN];
    char name[128];
    long max_concurrent;        /* -1: the config default */
    long rate_per_minute;       /* -1: the config default */
    int64_t created_at;
    int64_t revoked_at;         /* 0 when active */
    int64_t stored_bytes;       /* figures and files kept (list only) */
};

/* 1 and *out filled when an active key has this hash, 0 if none, -1 on
 * error. */
int store_key_lookup(struct store *s, const char *hash_hex,
                     struct key_info *out);
int store_key_insert(struct store *s, const char *id, const char *hash_hex,
                     const char *name);
/* Makes a new key, stores its hash under a new id and returns the
 * plaintext (caller frees); *id_out gets the id (caller frees).  NULL on
 * a database error.  The plaintext is never stored. */
char *store_key_create(struct store *s, const char *name, char **id_out);
/* Number of keys not revoked, or -1. */
int store_key_count_active(struct store *s);
/* 1 when revoked now, 0 when no such active key, -1 on error. */
int store_key_revoke(struct store *s, const char *id);
/* Sets per-key limits (-1 restores the default); 1, 0 (no key) or -1. */
int store_key_set_limits(struct store *s, const char *id,
                         long max_concurrent, long rate_per_minute);
/* Calls cb for every key, newest first; 0 or -1. */
int store_key_list(struct store *s,
                   void (*cb)(const struct key_info *k, void *arg),
                   void *arg);

#endif

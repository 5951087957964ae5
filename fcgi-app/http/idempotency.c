/* idempotency.c - see idempotency.h.  The answer is captured as it is
 * sent (response_send) and stored after; a repeat that finds the first
 * still running sleeps on the ended-executions counter, which
 * idempotency_end() bumps once the answer is stored. */
#include "config.h"
#include "http/idempotency.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/notify.h"
#include "base/sha256.h"
#include "base/util.h"
#include "http/request.h"
#include "http/response.h"
#include "store/store.h"
#include "store/store_idempotency.h"
#include "store/store_keys.h"

#define KEY_MAX 255
/* A waiting repeat gives up this long after the longest run could end. */
#define WAIT_GRACE_MS 30000

bool idempotency_key_valid(const char *key)
{
    size_t n = strlen(key);

    if (n == 0 || n > KEY_MAX)
        return false;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

/* SHA-256 of the route and the body: what "the same request" means. */
static void fingerprint(struct request *rq, char out[IDEM_FINGERPRINT_LEN])
{
    struct buf b = BUF_INIT(0);

    buf_appendf(&b, "%s %s\n", rq->method, rq->route);
    buf_append(&b, buf_cstr(&rq->body), rq->body.len);
    sha256_hex(b.data, b.len, out);
    buf_release(&b);
}

static void replay(struct request *rq, const struct idem_row *row)
{
    char err[ERR_LEN];

    /* A 202 said where to follow the execution: say it again. */
    if (row->status == 202) {
        struct json *j = json_parse(row->response, strlen(row->response),
                                    err);
        const struct json *url = j ? json_get(j, "url") : NULL;

        if (url && url->type == JSON_STRING && !strpbrk(url->str, "\r\n"))
            response_header(rq, "Location", url->str);
        json_free(j);
    }
    response_header(rq, "Idempotent-Replayed", "true");
    response_send(rq, row->status, "application/json", row->response,
                  strlen(row->response));
}

/* Waits for the holder's answer: true when row now has one. */
static bool wait_answer(struct request *rq, const char *key,
                        struct idem_row *row)
{
    double deadline = now_ms() + rq->conf->max_timeout * 1000
        + WAIT_GRACE_MS;

    while (row->status == 0 && now_ms() < deadline) {
        uint32_t seen = notify_ended_seq();
        int rc;

        free(row->response);
        rc = store_idem_get(rq->store, rq->key->id, key, row);
        if (rc != 1)
            return false;
        if (row->status)
            break;
        notify_ended_wait(seen, 1000);
    }
    return row->status != 0;
}

bool idempotency_begin(struct request *rq)
{
    const char *key = request_param(rq, "HTTP_IDEMPOTENCY_KEY");
    char fp[IDEM_FINGERPRINT_LEN], err[ERR_LEN];
    struct idem_row row;
    int rc;

    if (!key)
        return false;
    if (!idempotency_key_valid(key)) {
        response_fail(rq, RESULT_INVALID_REQUEST, "Idempotency-Key must be "
                      "1-255 printable characters");
        return true;
    }
    /* A body that can't be read is answered by the handler, unkept. */
    if (request_read_body(rq, err) != RESULT_OK)
        return false;
    fingerprint(rq, fp);
    for (int tries = 0; tries < 3; tries++) {
        rc = store_idem_claim(rq->store, rq->key->id, key, fp,
                              (int)getpid(),
                              rq->conf->idempotency_ttl * 1000LL, &row);
        if (rc < 0) {
            response_fail(rq, RESULT_DB_BUSY, store_last_message(rq->store));
            return true;
        }
        if (rc == 1) {
            rq->idem_key = request_keep(rq, xstrdup(key));
            rq->capture = true;
            return false;
        }
        if (strcmp(row.fingerprint, fp) != 0) {
            free(row.response);
            response_fail(rq, RESULT_IDEMPOTENCY_CONFLICT, "this "
                          "Idempotency-Key was used with another request "
                          "body; use a new key for a new request");
            return true;
        }
        if (row.status || wait_answer(rq, key, &row)) {
            replay(rq, &row);
            free(row.response);
            return true;
        }
        free(row.response);
        /* The holder gave the key up (or died): try to take it. */
    }
    response_fail(rq, RESULT_IDEMPOTENCY_PENDING, "the first request with "
                  "this Idempotency-Key has not answered yet; retry later");
    return true;
}

void idempotency_end(struct request *rq)
{
    int rc;

    if (!rq->idem_key)
        return;
    if (rq->status == 429 || rq->status >= 500 || !rq->captured)
        rc = store_idem_release(rq->store, rq->key->id, rq->idem_key);
    else
        rc = store_idem_answer(rq->store, rq->key->id, rq->idem_key,
                               rq->status, rq->captured, rq->captured_len);
    if (rc < 0)
        log_warn("Idempotency-Key answer not stored: %s",
                 store_last_message(rq->store));
    notify_ended_bump();        /* repeats waiting for it look again */
}

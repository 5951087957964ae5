/* deliverer.c - the webhook deliverer.
 *
 * Theory of operation
 *
 * An execution with a callback_url that ends gets a row in
 * webhook_deliveries, written by whoever ended it (store_execution_
 * finish), and the deliverer's eventfd is poked.  This one process of the
 * master sends them all with one libcurl multi handle, so a slow or
 * hanging receiver holds one transfer (until callback_timeout), never the
 * others and never a request: at most callback_max_in_flight at once.
 *
 * - take: pending rows due now become 'sending' (so a second look
 *   can't take them twice); the payload, the final record as
 *   GET /executions/{id} shows it, is fixed at the first attempt so every
 *   retry sends the same bytes under the same webhook-id.
 * - sign: Standard Webhooks, with the key's secret at the time of the
 *   attempt and a fresh webhook-timestamp.
 * - record: each attempt (time, status, error, duration) is stored; a
 *   2xx ends it, else it is due again after 5 s, 30 s, 2 min, 10 min, 1 h
 *   (times callback_retry_scale), and after the sixth attempt it failed.
 * - sleep: curl_multi_poll on the transfers and the eventfd, until the
 *   next retry is due; SIGTERM pokes the eventfd.  A sweep at start and
 *   every minute queues what a crash left unqueued; 'sending' rows of a
 *   previous deliverer are pending again at start.
 */
#include "config.h"
#include "proc/deliverer.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base/conf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/notify.h"
#include "base/sha256.h"
#include "base/util.h"
#include "proc/signals.h"
#include "store/store.h"
#include "store/store_executions.h"
#include "store/store_webhooks.h"

#define SWEEP_MS 60000
#define MAX_ATTEMPTS 6
#define REPLY_MAX 4096

static const double backoff_s[MAX_ATTEMPTS - 1] = { 5, 30, 120, 600, 3600 };

struct transfer {
    char id[WEBHOOK_ID_LEN];
    int attempt;
    int64_t at;
    double t0;
    struct curl_slist *headers;
    char *payload;
};

static volatile sig_atomic_t stop;
static const struct conf *cfg;
static struct store *db;
static CURLM *multi;
static int in_flight;

static void on_term(int sig)
{
    UNUSED(sig);
    stop = 1;
    notify_poke(NOTIFY_DELIVERER);      /* write(2): safe here */
}

char *deliverer_sign(const char *secret_b64, const char *id, long timestamp,
                     const char *body, size_t len)
{
    unsigned char key[128];
    uint8_t mac[SHA256_LEN];
    int klen = base64_decode(secret_b64, key, sizeof(key));
    struct buf msg = BUF_INIT(0);
    char *b64, *sig;

    if (klen < 0)
        return NULL;
    buf_appendf(&msg, "%s.%ld.", id, timestamp);
    buf_append(&msg, body, len);
    hmac_sha256(key, (size_t)klen, msg.data, msg.len, mac);
    buf_release(&msg);
    b64 = base64_encode(mac, sizeof(mac), NULL);
    sig = xasprintf("v1,%s", b64);
    free(b64);
    return sig;
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    UNUSED(p);
    UNUSED(arg);
    return size * n;
}

/* The payload of d: stored, or built now from the final record. */
static char *payload_of(struct delivery *d)
{
    struct jw *w;
    char *p;

    if (d->payload)
        return xstrdup(d->payload);
    w = jw_new();
    /* Image URLs as GET /executions/{id} gives them: from public_url. */
    if (store_execution_write(db, d->execution_id, d->key_id,
                              cfg->public_url ? cfg->public_url : "", true,
                              w) != 1) {
        jw_free(w);
        return NULL;
    }
    p = xstrdup(jw_text(w, NULL));
    jw_free(w);
    if (store_delivery_set_payload(db, d->id, p) < 0)
        log_warn("webhook %s: payload not stored: %s", d->id,
                 store_last_message(db));
    return p;
}

static void record(const char *id, int attempt, int64_t at, long code,
                   const char *error, long ms)
{
    struct delivery_attempt a = { attempt, at, code, error, ms, "pending",
                                  0 };

    if (code >= 200 && code < 300) {
        a.state = "delivered";
    } else if (attempt >= MAX_ATTEMPTS) {
        a.state = "failed";
    } else {
        a.next_at = wall_ms() + (int64_t)(backoff_s[attempt - 1]
                                          * cfg->callback_retry_scale * 1000);
    }
    if (store_delivery_record(db, id, &a) < 0)
        log_err("webhook %s: attempt %d not recorded: %s", id, attempt,
                store_last_message(db));
    if (strcmp(a.state, "pending") != 0)
        log_info("webhook %s %s after %d attempt(s)", id, a.state, attempt);
}

static struct curl_slist *headers_of(struct delivery *d, const char *payload,
                                     long ts)
{
    char secret[WEBHOOK_SECRET_LEN], line[256];
    struct curl_slist *h = NULL;
    char *sig;

    if (store_webhook_secret(db, d->key_id, false, secret) < 0)
        return NULL;
    sig = deliverer_sign(secret, d->id, ts, payload, strlen(payload));
    if (!sig)
        return NULL;
    h = curl_slist_append(h, "Content-Type: application/json");
    snprintf(line, sizeof(line), "webhook-id: %s", d->id);
    h = curl_slist_append(h, line);
    snprintf(line, sizeof(line), "webhook-timestamp: %ld", ts);
    h = curl_slist_append(h, line);
    snprintf(line, sizeof(line), "webhook-signature: %s", sig);
    h = curl_slist_append(h, line);
    h = curl_slist_append(h, "Expect:");
    free(sig);
    return h;
}

static void start(struct delivery *d)
{
    struct transfer *t = xcalloc(1, sizeof(*t));
    long ts = (long)(wall_ms() / 1000);
    CURL *e;

    snprintf(t->id, sizeof(t->id), "%s", d->id);
    t->attempt = d->attempts + 1;
    t->at = wall_ms();
    t->t0 = now_ms();
    t->payload = payload_of(d);
    t->headers = t->payload ? headers_of(d, t->payload, ts) : NULL;
    if (!t->headers) {
        record(t->id, t->attempt, t->at, 0, t->payload
               ? "cannot sign: the key's secret is unreadable"
               : "the execution's record is gone", 0);
        free(t->payload);
        free(t);
        return;
    }
    e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, d->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                     (long)(cfg->callback_timeout * 1000));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->payload);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(t->payload));
    curl_easy_setopt(e, CURLOPT_USERAGENT, "pyexec-webhooks/"
                     PACKAGE_VERSION);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    curl_multi_add_handle(multi, e);
    in_flight++;
}

static void finish(CURL *e, CURLcode rc)
{
    struct transfer *t;
    long code = 0;
    char error[128];

    curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&t);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    if (rc != CURLE_OK)
        snprintf(error, sizeof(error), "%s", curl_easy_strerror(rc));
    else if (code < 200 || code >= 300)
        snprintf(error, sizeof(error), "the receiver answered %ld", code);
    else
        error[0] = '\0';
    record(t->id, t->attempt, t->at, rc == CURLE_OK ? code : 0,
           error[0] ? error : NULL, (long)(now_ms() - t->t0));
    curl_multi_remove_handle(multi, e);
    curl_easy_cleanup(e);
    curl_slist_free_all(t->headers);
    free(t->payload);
    free(t);
    in_flight--;
}

static void take_due(void)
{
    struct delivery *ds;
    int n;

    if (in_flight >= cfg->callback_max_in_flight)
        return;
    n = store_delivery_take(db, wall_ms(),
                            (int)cfg->callback_max_in_flight - in_flight,
                            &ds);
    if (n < 0)
        log_warn("webhooks: %s", store_last_message(db));
    for (int i = 0; i < n; i++) {
        start(&ds[i]);
        free(ds[i].payload);
    }
    free(ds);
}

/* How long to sleep: until the next retry is due, at most a sweep. */
static int sleep_ms_for(void)
{
    int64_t due = store_delivery_next_due(db), now = wall_ms();

    if (due <= 0)
        return SWEEP_MS;
    if (in_flight >= cfg->callback_max_in_flight)
        return SWEEP_MS;        /* a transfer ending wakes us */
    return due <= now ? 0 : (int)(due - now < SWEEP_MS ? due - now
                                                         : SWEEP_MS);
}

void deliverer_run(const struct conf *c)
{
    static const int term[] = { SIGTERM, 0 };
    static const int ignored[] = { SIGPIPE, SIGHUP, SIGUSR1, 0 };
    static const int reset[] = { SIGCHLD, SIGINT, 0 };
    struct curl_waitfd wake = { notify_fd(NOTIFY_DELIVERER), CURL_WAIT_POLLIN,
                                0 };
    char err[ERR_LEN];
    double last_sweep = 0;

    cfg = c;
    log_set_role("deliverer");
    prctl(PR_SET_NAME, "pyexec-deliver");
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    signals_set(term, on_term);
    signals_set(ignored, SIG_IGN);
    signals_set(reset, SIG_DFL);
    db = store_open(c->database, c->busy_timeout_ms, false, err);
    if (!db) {
        log_err("database: %s", err);
        _exit(3);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    multi = curl_multi_init();
    store_delivery_unsend(db);
    while (!stop) {
        CURLMsg *m;
        int running, left;

        if (now_ms() - last_sweep >= SWEEP_MS) {
            if (store_delivery_sweep(db) > 0)
                log_info("webhooks: queued what an earlier stop left");
            last_sweep = now_ms();
        }
        take_due();
        curl_multi_perform(multi, &running);
        for (;;) {
            m = curl_multi_info_read(multi, &left);
            if (!m)
                break;
            if (m->msg == CURLMSG_DONE)
                finish(m->easy_handle, m->data.result);
        }
        if (stop)
            break;
        curl_multi_poll(multi, wake.fd >= 0 ? &wake : NULL,
                        wake.fd >= 0 ? 1 : 0, sleep_ms_for(), NULL);
        notify_drain(NOTIFY_DELIVERER);
    }
    curl_multi_cleanup(multi);
    store_close(db);
    _exit(0);
}

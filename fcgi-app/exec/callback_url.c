/* callback_url.c - see callback_url.h.  libcurl parses the URL, the same
 * parser the deliverer's requests go through, so what is checked here is
 * what is called. */
#include "config.h"
#include "exec/callback_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "base/util.h"

#define URL_MAX 2048

/* Splits "host:port" or "[v6]:port" in place: the port, or -1 when the
 * pattern has none, or -2 when it is not a port. */
static long split_port(char *pat)
{
    char *colon;
    long port;

    if (pat[0] == '[') {
        char *close = strchr(pat, ']');

        colon = close && close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = strchr(pat, ':');
        if (colon && strchr(colon + 1, ':'))
            colon = NULL;               /* a bare v6 address */
    }
    if (!colon)
        return -1;
    *colon = '\0';
    return parse_long(colon + 1, 1, 65535, &port) < 0 ? -2 : port;
}

/* Does one pattern (n bytes) match host and port? */
static bool pattern_matches(const char *pat, size_t n, const char *host,
                            long port)
{
    char buf[300];
    long want_port;
    size_t hlen = strlen(host);

    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, pat, n);
    buf[n] = '\0';
    if (strcmp(buf, "*") == 0)
        return true;
    want_port = split_port(buf);
    if (want_port == -2 || (want_port >= 0 && want_port != port))
        return false;
    if (strncmp(buf, "*.", 2) == 0) {
        size_t sl = strlen(buf + 1);        /* ".example.com" */

        return hlen > sl && strcasecmp(host + hlen - sl, buf + 1) == 0;
    }
    return strcasecmp(buf, host) == 0;
}

bool callback_host_allowed(const char *allow, const char *host, long port)
{
    const char *p = allow;

    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *s = p;

        while (n && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        if (pattern_matches(s, n, host, port))
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

static enum result bad(char *err, const char *what, const char *arg)
{
    err_set(err, "callback_url %s%s", what, arg);
    return RESULT_INVALID_REQUEST;
}

enum result callback_url_check(const char *allow, const char *url,
                               char *err)
{
    CURLU *u;
    char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL;
    enum result r = RESULT_OK;
    long portn;

    if (strlen(url) > URL_MAX)
        return bad(err, "is longer than 2048 characters", "");
    for (const char *c = url; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f)
            return bad(err, "must not contain spaces or control "
                       "characters", "");
    u = curl_url();
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK
        || curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK
        || curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        r = bad(err, "is not an absolute URL (http://host[:port]/path)",
                "");
        goto out;
    }
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        r = bad(err, "must use http or https, not ", scheme);
        goto out;
    }
    if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
        r = bad(err, "must not carry credentials", "");
        goto out;
    }
    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
    if (!port || parse_long(port, 1, 65535, &portn) < 0)
        portn = strcmp(scheme, "https") == 0 ? 443 : 80;
    if (!allow || !*allow) {
        err_set(err, "callbacks are off: add the host to callback_allow in "
                "pyexec.conf (e.g. callback_allow = %s) to enable them",
                host);
        r = RESULT_INVALID_REQUEST;
        goto out;
    }
    if (!callback_host_allowed(allow, host, portn)) {
        err_set(err, "callback_url host %s:%ld is not in callback_allow; "
                "an operator can add it there", host, portn);
        r = RESULT_INVALID_REQUEST;
    }
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(user);
    curl_url_cleanup(u);
    return r;
}

/* docker_reply.c - reading Docker's replies: container state, container
 * lists and error messages, from any bytes (they are exposed for unit
 * tests and the fuzzer), and the text helpers they need. */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/util.h"
#include "docker/docker_int.h"

bool docker_is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9');
}

bool docker_is_id(const char *s, size_t n)
{
    if (n == 0 || n > DOCKER_ID_LEN || strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!docker_is_alnum(s[i]))
            return false;
    return true;
}

void docker_copy_field(char *dst, size_t size, const char *s, size_t n)
{
    size_t k = 0;

    while (k < n && k + 1 < size && s[k])
        k++;
    memcpy(dst, s, k);
    dst[k] = '\0';
}

static int get_bool(const struct json *o, const char *key, bool need,
                    bool *out)
{
    const struct json *v = json_get(o, key);

    if (!v)
        return need ? -1 : 0;
    if (v->type != JSON_BOOL)
        return -1;
    *out = v->boolean;
    return 0;
}

static int get_int(const struct json *o, const char *key, long long min,
                   int *out)
{
    const struct json *v = json_get(o, key);

    if (!v)
        return 0;
    if (v->type != JSON_NUMBER || !v->is_integer || v->integer < min
        || v->integer > INT_MAX)
        return -1;
    *out = (int)v->integer;
    return 0;
}

int docker_parse_inspect(const char *json, size_t n, struct docker_state *st)
{
    char jerr[ERR_LEN];
    struct json *j;
    const struct json *s, *status;
    int ret = -1;

    memset(st, 0, sizeof(*st));
    j = json_parse(json, n, jerr);
    s = json_get(j, "State");
    if (!s || s->type != JSON_OBJECT)
        goto out;
    status = json_get(s, "Status");
    if (!status || status->type != JSON_STRING)
        goto out;
    if (get_bool(s, "Running", true, &st->running) < 0
        || get_bool(s, "OOMKilled", false, &st->oom_killed) < 0
        || get_int(s, "ExitCode", INT_MIN, &st->exit_code) < 0
        || get_int(s, "Pid", 0, &st->pid) < 0)
        goto out;
    docker_copy_field(st->status, sizeof(st->status), status->str,
                      status->len);
    st->exists = true;
    ret = 0;
out:
    if (ret < 0)
        memset(st, 0, sizeof(*st));
    json_free(j);
    return ret;
}

/* Fills c from one element of the list; -1 if it is not a container. */
static int list_entry(const struct json *e, struct docker_container *c)
{
    const struct json *id, *names, *state;

    memset(c, 0, sizeof(*c));
    id = json_get(e, "Id");
    if (!id || id->type != JSON_STRING || !docker_is_id(id->str, id->len))
        return -1;
    memcpy(c->id, id->str, id->len + 1);
    names = json_get(e, "Names");
    if (names && names->type != JSON_ARRAY && names->type != JSON_NULL)
        return -1;
    if (names && names->type == JSON_ARRAY && names->n) {
        const struct json *nm = names->items[0];
        const char *p;
        size_t len;

        if (nm->type != JSON_STRING)
            return -1;
        p = nm->str;
        len = nm->len;
        if (len && p[0] == '/') {
            p++;
            len--;
        }
        docker_copy_field(c->name, sizeof(c->name), p, len);
    }
    state = json_get(e, "State");
    if (state && state->type != JSON_STRING)
        return -1;
    if (state)
        docker_copy_field(c->state, sizeof(c->state), state->str,
                          state->len);
    return 0;
}

int docker_parse_list(const char *json, size_t n,
                      void (*cb)(const struct docker_container *c, void *arg),
                      void *arg)
{
    char jerr[ERR_LEN];
    struct docker_container c;
    struct json *j;
    int ret = -1;

    j = json_parse(json, n, jerr);
    if (!j || j->type != JSON_ARRAY || j->n > INT_MAX)
        goto out;
    /* Check every entry before calling back, so a bad reply calls
     * nothing. */
    for (size_t i = 0; i < j->n; i++)
        if (list_entry(j->items[i], &c) < 0)
            goto out;
    for (size_t i = 0; i < j->n; i++) {
        list_entry(j->items[i], &c);
        if (cb)
            cb(&c, arg);
    }
    ret = (int)j->n;
out:
    json_free(j);
    return ret;
}

void docker_clean_text(char *dst, size_t size, const char *s, size_t n)
{
    size_t fixed_len, o = 0;
    char *fixed = utf8_sanitize(s, n, &fixed_len);
    const unsigned char *p = (const unsigned char *)fixed;
    size_t i = 0;

    while (i < fixed_len && isspace(p[i]))
        i++;
    while (i < fixed_len) {
        size_t k = 1;

        if (p[i] >= 0xf0)
            k = 4;
        else if (p[i] >= 0xe0)
            k = 3;
        else if (p[i] >= 0xc0)
            k = 2;
        if (o + k + 1 > size)
            break;
        if (p[i] < 0x20 || p[i] == 0x7f) {
            if (o && dst[o - 1] != ' ')
                dst[o++] = ' ';
        } else {
            memcpy(dst + o, p + i, k);
            o += k;
        }
        i += k;
    }
    while (o && dst[o - 1] == ' ')
        o--;
    dst[o] = '\0';
    free(fixed);
}

void docker_parse_error(const char *body, size_t n, int status, char *err)
{
    char jerr[ERR_LEN];
    struct json *j = NULL;
    const struct json *m;
    int k;

    if (!err)
        return;
    if (!body)
        n = 0;
    if (n)
        j = json_parse(body, n, jerr);
    m = json_get(j, "message");
    k = snprintf(err, ERR_LEN, "docker: %d: ", status);
    if (m && m->type == JSON_STRING)
        docker_clean_text(err + k, ERR_LEN - (size_t)k, m->str, m->len);
    else
        docker_clean_text(err + k, ERR_LEN - (size_t)k, body ? body : "",
                          n);
    if (!err[k])
        snprintf(err + k, ERR_LEN - (size_t)k, "no message");
    json_free(j);
}

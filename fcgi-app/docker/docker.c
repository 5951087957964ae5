/* docker.c - see docker.h.  The API calls: each names its endpoint and
 * the statuses that mean success (docker_endpoint does the rest) and
 * reads what it needs from the reply.  It knows nothing about pools,
 * sessions or HTTP handlers, and never shells out to the docker CLI. */
#include "config.h"
#include "docker/docker.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/util.h"
#include "docker/docker_int.h"

int docker_ping(struct docker *d, char *err)
{
    return docker_ping_once(d, err);
}

int docker_version(struct docker *d, char *version, size_t vlen,
                   char *api, size_t alen, char *err)
{
    struct docker_http h = { "GET", "/version", NULL, 0, 0, false };
    struct json *j = NULL;
    const struct json *v, *a;
    int ret = -1;

    if (docker_transfer(d, &h, err) < 0)
        return -1;
    if (d->status != 200) {
        docker_parse_error(d->body.data, d->body.len, d->status, err);
        return -1;
    }
    j = docker_reply_json(d, "/version", err);
    if (!j)
        return -1;
    v = json_get(j, "Version");
    a = json_get(j, "ApiVersion");
    if (!v || v->type != JSON_STRING || !a || a->type != JSON_STRING) {
        err_set(err, "docker: /version: no Version or ApiVersion");
        goto out;
    }
    if (version && vlen)
        docker_copy_field(version, vlen, v->str, v->len);
    if (api && alen)
        docker_copy_field(api, alen, a->str, a->len);
    if (strlen(a->str) != a->len) {
        err_set(err, "docker: /version: bad ApiVersion");
        goto out;
    }
    ret = docker_pin_version(d, a->str, err);
out:
    json_free(j);
    return ret;
}

int docker_image_exists(struct docker *d, const char *image, char *err)
{
    struct buf path = BUF_INIT(0);
    struct docker_call c = { .method = "GET", .ok = { 200, 404 } };
    int rc;

    if (docker_check_ref("image", image, err) < 0)
        return -1;
    buf_append_str(&path, "/images/");
    docker_url_escape(&path, image, "/:@");
    buf_append_str(&path, "/json");
    c.path = path.data;
    rc = docker_endpoint(d, &c, err);
    buf_release(&path);
    return rc < 0 ? -1 : d->status == 200;
}

int docker_runtime_known(struct docker *d, const char *runtime,
                         char *names, size_t nlen, char *err)
{
    struct docker_call c = { .method = "GET", .path = "/info",
                             .ok = { 200 } };
    struct json *j;
    const struct json *rt;
    struct buf list = BUF_INIT(0);
    int ret = -1;

    if (names && nlen)
        names[0] = '\0';
    if (docker_endpoint(d, &c, err) < 0)
        return -1;
    j = docker_reply_json(d, "/info", err);
    if (!j)
        return -1;
    rt = json_get(j, "Runtimes");
    if (!rt || rt->type != JSON_OBJECT) {
        err_set(err, "docker: /info: no Runtimes object");
        goto out;
    }
    ret = 0;
    for (size_t i = 0; i < rt->n; i++) {
        if (list.len)
            buf_append_str(&list, ",");
        buf_append(&list, rt->keys[i], rt->key_lens[i]);
        if (strlen(runtime) == rt->key_lens[i]
            && memcmp(runtime, rt->keys[i], rt->key_lens[i]) == 0)
            ret = 1;
    }
    if (names && nlen)
        docker_clean_text(names, nlen, buf_cstr(&list), list.len);
out:
    buf_release(&list);
    json_free(j);
    return ret;
}

int docker_start(struct docker *d, const char *id, char *err)
{
    /* 304: already started. */
    struct docker_call c = { .method = "POST", .is_container = true,
                             .id = id, .path = "/start",
                             .ok = { 204, 304 } };

    return docker_endpoint(d, &c, err);
}

int docker_kill(struct docker *d, const char *id, const char *signal,
                char *err)
{
    struct docker_call c = { .method = "POST", .is_container = true,
                             .id = id,
                             .path = signal ? "/kill?signal=" : "/kill",
                             .arg = signal, .ok = { 204, 404 },
                             .ok_409 = "not running" };

    return docker_endpoint(d, &c, err);
}

int docker_remove(struct docker *d, const char *id, char *err)
{
    struct docker_call c = { .method = "DELETE", .is_container = true,
                             .id = id,
                             .path = "?force=1&v=1", .ok = { 204, 404 },
                             .ok_409 = "already in progress" };

    return docker_endpoint(d, &c, err);
}

int docker_wait(struct docker *d, const char *id, long timeout_ms,
                int *exit_code, char *err)
{
    struct docker_call c = { .method = "POST", .is_container = true,
                             .id = id, .path = "/wait",
                             .timeout_ms = timeout_ms, .ok = { 200 } };
    struct json *j;
    const struct json *v, *e;
    int ret = -1;

    if (docker_endpoint(d, &c, err) < 0)
        return -1;
    j = docker_reply_json(d, "wait", err);
    if (!j)
        return -1;
    e = json_get(json_get(j, "Error"), "Message");
    v = json_get(j, "StatusCode");
    if (e && e->type == JSON_STRING && e->len) {
        err_set(err, "docker: wait: %.200s", e->str);
    } else if (!v || v->type != JSON_NUMBER || !v->is_integer
               || v->integer < INT_MIN || v->integer > INT_MAX) {
        err_set(err, "docker: wait: no StatusCode in the reply");
    } else {
        *exit_code = (int)v->integer;
        ret = 0;
    }
    json_free(j);
    return ret;
}

int docker_update_memory(struct docker *d, const char *id, int64_t bytes,
                         char *err)
{
    struct docker_call c = { .method = "POST", .is_container = true,
                             .id = id, .path = "/update",
                             .ok = { 200 } };
    struct jw *w;
    int rc;

    if (docker_check_ref("container", id, err) < 0)
        return -1;
    if (bytes <= 0) {
        err_set(err, "docker: update: memory must be positive");
        return -1;
    }
    w = jw_new();
    jw_obj_open(w);
    jw_kv_int(w, "Memory", bytes);
    jw_kv_int(w, "MemorySwap", bytes);
    jw_obj_close(w);
    c.body = jw_text(w, &c.blen);
    rc = docker_endpoint(d, &c, err);
    jw_free(w);
    return rc;
}

int docker_logs(struct docker *d, const char *id, struct buf *out,
                struct buf *errout, size_t max, char *err)
{
    struct docker_call c = { .method = "GET", .is_container = true,
                             .id = id,
                             .path = "/logs?stdout=1&stderr=1",
                             .ok = { 200 } };
    struct demux m;
    int ret = -1;

    demux_init(&m, out, errout, max);
    d->demux = &m;
    if (docker_endpoint(d, &c, err) == 0) {
        ret = demux_finish(&m);
        if (ret < 0)
            err_set(err, "docker: logs: malformed log stream");
    }
    d->demux = NULL;
    return ret;
}

int docker_inspect(struct docker *d, const char *id, struct docker_state *st,
                   char *err)
{
    struct docker_call c = { .method = "GET", .is_container = true,
                             .id = id, .path = "/json",
                             .ok = { 200, 404 } };

    memset(st, 0, sizeof(*st));
    if (docker_endpoint(d, &c, err) < 0)
        return -1;
    if (d->status == 404)
        return 0;
    if (docker_parse_inspect(d->body.data, d->body.len, st) < 0) {
        err_set(err, "docker: inspect %.80s: unexpected reply", id);
        return -1;
    }
    return 0;
}

int docker_list(struct docker *d, const char *label,
                void (*cb)(const struct docker_container *c, void *arg),
                void *arg, char *err)
{
    struct docker_call c = { .method = "GET",
                             .path = "/containers/json?all=1",
                             .ok = { 200 } };
    struct jw *w = NULL;
    int ret = -1;

    if (label) {
        w = jw_new();
        jw_obj_open(w);
        jw_key(w, "label");
        jw_arr_open(w);
        jw_str(w, label);
        jw_arr_close(w);
        jw_obj_close(w);
        c.path = "/containers/json?all=1&filters=";
        c.arg = jw_text(w, NULL);
    }
    if (docker_endpoint(d, &c, err) == 0) {
        ret = docker_parse_list(d->body.data, d->body.len, cb, arg);
        if (ret < 0)
            err_set(err, "docker: list: unexpected reply");
    }
    jw_free(w);
    return ret;
}

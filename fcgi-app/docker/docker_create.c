/* docker_create.c - POST /containers/create: the hardened body every
 * sandbox gets (no network, no capabilities but those asked for,
 * no-new-privileges, read-only root, private IPC, capped logs), and the
 * checks that keep a Docker socket out of any container. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/json.h"
#include "base/util.h"
#include "docker/docker_int.h"

static bool mentions_socket(const char *s)
{
    return s && strcasestr(s, "docker.sock") != NULL;
}

/* Refuses anything that would put a Docker socket in the container:
 * a path naming one, a socket file, a directory holding docker.sock, or
 * a symlink to either (stat follows links, as the daemon does with bind
 * sources).  Only the local file system can be checked; with tcp:// the
 * daemon's may be another. */
static int check_mount(const struct docker_mount *m, char *err)
{
    struct stat st;

    if (!m->source || !m->target || m->source[0] != '/'
        || m->target[0] != '/') {
        err_set(err, "docker: a bind mount needs absolute source and "
                "target paths");
        return -1;
    }
    if (mentions_socket(m->source) || mentions_socket(m->target))
        goto refuse;
    if (stat(m->source, &st) == 0) {
        if (S_ISSOCK(st.st_mode))
            goto refuse;
        if (S_ISDIR(st.st_mode)) {
            char *p = xasprintf("%s/docker.sock", m->source);
            int found = lstat(p, &st) == 0;

            free(p);
            if (found)
                goto refuse;
        }
    }
    return 0;
refuse:
    err_set(err, "docker: refusing to mount %.100s at %.100s: no Docker "
            "socket may enter a sandbox", m->source, m->target);
    return -1;
}

static int check_create(const struct docker_create_opts *o, char *err)
{
    if (!o->image || !*o->image) {
        err_set(err, "docker: create: no image");
        return -1;
    }
    for (size_t i = 0; i < o->n_tmpfs; i++) {
        if (!o->tmpfs[i].path || o->tmpfs[i].path[0] != '/') {
            err_set(err, "docker: create: a tmpfs needs an absolute path");
            return -1;
        }
        if (mentions_socket(o->tmpfs[i].path)) {
            err_set(err, "docker: create: refusing tmpfs at %.100s",
                    o->tmpfs[i].path);
            return -1;
        }
    }
    for (size_t i = 0; i < o->n_mounts; i++)
        if (check_mount(&o->mounts[i], err) < 0)
            return -1;
    return 0;
}

static void jw_strv(struct jw *w, const char *key, const char *const *v)
{
    if (!v)
        return;
    jw_key(w, key);
    jw_arr_open(w);
    for (; *v; v++)
        jw_str(w, *v);
    jw_arr_close(w);
}

/* Writes "key": v when v is set (> 0). */
static void jw_limit(struct jw *w, const char *key, int64_t v)
{
    if (v > 0) {
        jw_key(w, key);
        jw_int(w, v);
    }
}

/* Labels are "k=v" strings; Docker wants an object. */
static void write_labels(struct jw *w, const char *const *labels)
{
    jw_key(w, "Labels");
    jw_obj_open(w);
    for (const char *const *l = labels; l && *l; l++) {
        const char *eq = strchr(*l, '=');
        char *k = eq ? xstrndup(*l, (size_t)(eq - *l)) : xstrdup(*l);

        jw_kv_str(w, k, eq ? eq + 1 : "");
        free(k);
    }
    jw_obj_close(w);
}

/* Docker's default masked paths (a list given replaces them), and
 * /proc/cmdline, which shows the host's boot arguments. */
static const char *const masked_paths[] = {
    "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
    "/sys/devices/virtual/powercap", "/proc/cmdline", NULL
};

/* What is always applied, whatever o says, but the capabilities it
 * adds back. */
static void write_hardening(struct jw *w, const struct docker_create_opts *o)
{
    jw_strv(w, "MaskedPaths", masked_paths);
    jw_kv_str(w, "NetworkMode", "none");
    jw_key(w, "CapDrop");
    jw_arr_open(w);
    jw_str(w, "ALL");
    jw_arr_close(w);
    jw_strv(w, "CapAdd", o->cap_add);
    jw_key(w, "SecurityOpt");
    jw_arr_open(w);
    jw_str(w, "no-new-privileges");
    jw_arr_close(w);
    jw_kv_bool(w, "ReadonlyRootfs", true);
    jw_kv_str(w, "IpcMode", "private");
}

/* The container's own output is only the runner's diagnostics: keep it
 * for `docker logs`, but never let it grow on the host's disk. */
static void write_log_config(struct jw *w)
{
    jw_key(w, "LogConfig");
    jw_obj_open(w);
    jw_kv_str(w, "Type", "json-file");
    jw_key(w, "Config");
    jw_obj_open(w);
    jw_kv_str(w, "max-size", "1m");
    jw_kv_str(w, "max-file", "1");
    jw_obj_close(w);
    jw_obj_close(w);
}

static void write_file_systems(struct jw *w,
                               const struct docker_create_opts *o)
{
    jw_key(w, "Tmpfs");
    jw_obj_open(w);
    for (size_t i = 0; i < o->n_tmpfs; i++)
        jw_kv_str(w, o->tmpfs[i].path,
              o->tmpfs[i].options ? o->tmpfs[i].options : "");
    jw_obj_close(w);
    jw_key(w, "Mounts");
    jw_arr_open(w);
    for (size_t i = 0; i < o->n_mounts; i++) {
        jw_obj_open(w);
        jw_kv_str(w, "Type", "bind");
        jw_kv_str(w, "Source", o->mounts[i].source);
        jw_kv_str(w, "Target", o->mounts[i].target);
        jw_kv_bool(w, "ReadOnly", o->mounts[i].read_only);
        jw_obj_close(w);
    }
    jw_arr_close(w);
}

static void write_host_config(struct jw *w,
                              const struct docker_create_opts *o)
{
    jw_key(w, "HostConfig");
    jw_obj_open(w);
    write_hardening(w, o);
    if (o->memory_bytes > 0) {
        jw_limit(w, "Memory", o->memory_bytes);
        jw_limit(w, "MemorySwap", o->memory_bytes);
    }
    jw_limit(w, "NanoCpus", o->nano_cpus);
    jw_limit(w, "PidsLimit", o->pids_limit);
    jw_limit(w, "ShmSize", o->shm_bytes);
    jw_kv_bool(w, "Init", o->init);
    write_log_config(w);
    if (o->runtime)
        jw_kv_str(w, "Runtime", o->runtime);
    jw_strv(w, "GroupAdd", o->group_add);
    write_file_systems(w, o);
    jw_obj_close(w);
}

static void create_body(struct jw *w, const struct docker_create_opts *o)
{
    jw_obj_open(w);
    jw_kv_str(w, "Image", o->image);
    jw_strv(w, "Cmd", o->cmd);
    jw_strv(w, "Env", o->env);
    if (o->user)
        jw_kv_str(w, "User", o->user);
    if (o->workdir)
        jw_kv_str(w, "WorkingDir", o->workdir);
    write_labels(w, o->labels);
    jw_kv_bool(w, "NetworkDisabled", true);
    jw_kv_bool(w, "AttachStdin", false);
    jw_kv_bool(w, "Tty", false);
    write_host_config(w, o);
    jw_obj_close(w);
}

int docker_create(struct docker *d, const struct docker_create_opts *o,
                  char id[DOCKER_ID_LEN + 1], char *err)
{
    struct docker_call c = {
        .method = "POST", .path = o->name ? "/containers/create?name="
                                          : "/containers/create",
        .arg = o->name, .ok = { 201 },
    };
    struct jw *w = NULL;
    struct json *j = NULL;
    const struct json *v;
    int ret = -1;

    id[0] = '\0';
    if (check_create(o, err) < 0)
        return -1;
    w = jw_new();
    create_body(w, o);
    c.body = jw_text(w, &c.blen);
    if (docker_endpoint(d, &c, err) < 0)
        goto out;
    j = docker_reply_json(d, "create", err);
    if (!j)
        goto out;
    v = json_get(j, "Id");
    if (!v || v->type != JSON_STRING || !docker_is_id(v->str, v->len)) {
        err_set(err, "docker: create: no container Id in the reply");
        goto out;
    }
    memcpy(id, v->str, v->len + 1);
    ret = 0;
out:
    json_free(j);
    jw_free(w);
    return ret;
}

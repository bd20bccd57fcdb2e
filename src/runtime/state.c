/* state.c - container state on disk */
#include "state.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/proc.h"
#include "cgroup/cgroup.h"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int rt_check_id(const char *id, struct berr **err)
{
    size_t n = strlen(id);
    if (n == 0 || n > 1024 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0 ||
        strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-") != n)
        return berr_set(err, BERR_INVALID, EINVAL,
                        "invalid container ID \"%s\": use letters, digits and _ . + -", id);
    return 0;
}

void rt_now_rfc3339(char *buf, size_t len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%09ldZ", ts.tv_nsec);
}

void rt_state_free(struct rt_state *st)
{
    if (!st)
        return;
    free(st->id);
    free(st->dir);
    free(st->bundle);
    free(st->rootfs);
    free(st->created);
    free(st->cgroup);
    free(st->owner);
    strv_free(st->cgroup_created_in);
    free(st);
}

static char *dup_json_str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? xstrdup(s) : NULL;
}

struct rt_state *rt_state_load(const char *root, const char *id, struct berr **err)
{
    if (rt_check_id(id, err) < 0)
        return NULL;
    _cleanup_(rt_state_freep) struct rt_state *st = xcalloc(1, sizeof(*st));
    st->dir = xasprintf("%s/%s", root, id);
    st->id = xstrdup(id);
    struct stat sb;
    if (stat(st->dir, &sb) < 0) {
        berr_set(err, BERR_NOT_FOUND, ENOENT, "container \"%s\" does not exist", id);
        return NULL;
    }
    /* config.json is the longest name in the dir: rt_state_status and rt_state_json rely on
     * every "<dir>/<name>" fitting in PATH_MAX once this one does */
    char path[PATH_MAX];
    if (fs_pathf(path, sizeof(path), err, "%s/config.json", st->dir) < 0)
        return NULL;
    snprintf(path, sizeof(path), "%s/state.json", st->dir);
    json_t *o = json_load_file(path, 0, NULL);
    if (!o) /* being created, or its creator died: status "creating" */
        return TAKE_PTR(st);
    st->written = true;
    st->pid = json_integer_value(json_object_get(o, "pid"));
    st->start_time = json_integer_value(json_object_get(o, "pid_start"));
    st->bundle = dup_json_str(o, "bundle");
    st->rootfs = dup_json_str(o, "rootfs");
    st->created = dup_json_str(o, "created");
    st->cgroup = dup_json_str(o, "cgroup");
    st->owner = dup_json_str(o, "owner");
    json_t *made = json_object_get(o, "cgroup_created_in");
    if (json_is_array(made)) {
        st->cgroup_created_in = xcalloc(json_array_size(made) + 1, sizeof(char *));
        size_t i;
        json_t *v;
        json_array_foreach(made, i, v) if (json_is_string(v)) st->cgroup_created_in[i] =
            xstrdup(json_string_value(v));
    }
    json_decref(o);
    return TAKE_PTR(st);
}

int rt_state_save(const struct rt_state *st, struct berr **err)
{
    json_t *made = json_array();
    for (char **p = st->cgroup_created_in; p && *p; p++)
        json_array_append_new(made, json_string(*p));
    json_t *o =
        json_pack("{s:s,s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:o}", "id", st->id, "pid", (json_int_t)st->pid,
                  "pid_start", (json_int_t)st->start_time, "bundle", st->bundle, "rootfs",
                  st->rootfs, "created", st->created, "cgroup", st->cgroup ? st->cgroup : "",
                  "owner", st->owner ? st->owner : "", "cgroup_created_in", made);
    if (!o)
        return berr_set(err, BERR_INTERNAL, ENOMEM, "state: encode");
    _cleanup_free_ char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    _cleanup_close_ int dfd = open(st->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return berr_sys(err, errno, "open state dir %s", st->dir);
    return fs_write_replace(dfd, "state.json", s, strlen(s), 0600, err);
}

enum rt_status rt_state_status(const struct rt_state *st)
{
    if (!st->written)
        return RT_CREATING;
    if (!proc_alive(st->pid, st->start_time))
        return RT_STOPPED;
    char fifo[4096];
    snprintf(fifo, sizeof(fifo), "%s/exec.fifo", st->dir);
    if (access(fifo, F_OK) == 0)
        return RT_CREATED;
    if (st->cgroup && st->cgroup[0]) {
        struct cg cg = {.path = st->cgroup};
        if (cg_is_frozen(&cg) == 1)
            return RT_PAUSED;
    }
    return RT_RUNNING;
}

const char *rt_status_name(enum rt_status s)
{
    static const char *names[] = {"creating", "created", "running", "paused", "stopped"};
    return names[s];
}

json_t *rt_state_json(const struct rt_state *st)
{
    enum rt_status status = rt_state_status(st);
    json_t *o = json_pack("{s:s,s:s,s:s}", "ociVersion", "1.2.0", "id", st->id, "status",
                          rt_status_name(status));
    if (status != RT_STOPPED && status != RT_CREATING)
        json_object_set_new(o, "pid", json_integer(st->pid));
    else
        json_object_set_new(o, "pid", json_integer(0));
    json_object_set_new(o, "bundle", json_string(st->bundle ? st->bundle : ""));
    json_object_set_new(o, "rootfs", json_string(st->rootfs ? st->rootfs : ""));
    json_object_set_new(o, "created", json_string(st->created ? st->created : ""));
    json_object_set_new(o, "owner", json_string(st->owner ? st->owner : ""));
    /* annotations from the config saved at create time */
    char path[4096];
    snprintf(path, sizeof(path), "%s/config.json", st->dir);
    json_t *cfg = json_load_file(path, 0, NULL);
    json_t *ann = cfg ? json_object_get(cfg, "annotations") : NULL;
    if (ann && json_is_object(ann) && json_object_size(ann))
        json_object_set(o, "annotations", ann);
    json_decref(cfg);
    return o;
}

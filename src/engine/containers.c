/* containers.c - container records, names, truthful state */
#include "containers.h"
#include "engine/engine.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/proc.h"
#include "base/quote.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* docker's [a-zA-Z0-9][a-zA-Z0-9_.-]+: never ".", "..", "/", or an empty string */
static bool valid_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    return n >= 2 && n <= 255 &&
           strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", name[0]) &&
           strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

bool ctr_is_id(const char *id)
{
    return id && strlen(id) == 64 && strspn(id, "0123456789abcdef") == 64;
}

char *ctr_dir(const char *root, const char *id)
{
    /* the one place a container's path is made: an ID that is not 64 hex here (a "../x" or
     * "/abs" from a user that missed ctr_resolve) is a bug, and must not become a path */
    if (!ctr_is_id(id)) {
        log_msg(LOG_LVL_ERROR, "internal error: container ID %.80s is not 64 hex digits",
                id ? id : "(null)");
        abort();
    }
    return xasprintf("%s/containers/%s", root, id);
}

static json_t *load_json(const char *root, const char *id, const char *file)
{
    if (!ctr_is_id(id))
        return NULL;
    char path[4200];
    snprintf(path, sizeof(path), "%s/containers/%s/%s", root, id, file);
    return json_load_file(path, 0, NULL);
}

struct dated {
    char id[65];
    char created[64];
};

static int newest_first(const void *a, const void *b)
{
    return strcmp(((const struct dated *)b)->created, ((const struct dated *)a)->created);
}

json_t *ctr_ids(const char *root)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/containers", root);
    _cleanup_closedir_ DIR *d = opendir(path);
    struct dated *v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (!ctr_is_id(de->d_name))
            continue;
        json_t *c = load_json(root, de->d_name, "container.json");
        if (!c)
            continue; /* not a recorded container (a run being set up, or gone) */
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            v = xreallocarray(v, cap, sizeof(*v));
        }
        memcpy(v[n].id, de->d_name, sizeof(v[n].id)); /* 64 hex and the NUL (ctr_is_id) */
        snprintf(v[n].created, sizeof(v[n].created), "%s",
                 json_string_value(json_object_get(c, "Created")) ?: "");
        n++;
        json_decref(c);
    }
    if (n)
        qsort(v, n, sizeof(*v), newest_first);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, json_string(v[i].id));
    free(v);
    return out;
}

/* A container's record exists: one being set up, or whose directory was removed or renamed
 * away (run --rm), has none */
static bool recorded(const char *root, const char *id)
{
    if (!ctr_is_id(id))
        return false;
    char path[4200];
    snprintf(path, sizeof(path), "%s/containers/%s/container.json", root, id);
    return access(path, F_OK) == 0;
}

/* The name index, <root>/containers/.names/<name>: a symlink to the container's ID, so that
 * a name is found or checked without reading every record. A link to a container without
 * a record is free (so a removal that forgets it, or is killed, frees the name anyway).
 * Built from the records once when missing (a store made before the index). */
static int names_fd(const char *root)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/containers/.names", root);
    int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    char tmp[4300];
    snprintf(tmp, sizeof(tmp), "%s/containers/.names.tmp-%d", root, getpid());
    fs_rm_rf(tmp);
    snprintf(path, sizeof(path), "%s/containers", root);
    if (fs_mkdir_p(path, 0700) < 0 || mkdir(tmp, 0700) < 0)
        return -1;
    json_t *ids = ctr_ids(root);
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        json_t *c = load_json(root, json_string_value(v), "container.json");
        const char *name = json_string_value(json_object_get(c, "Name"));
        char link[4600];
        snprintf(link, sizeof(link), "%s/%s", tmp, name ? name : "");
        if (name && *name && !strchr(name, '/'))
            symlink(json_string_value(v), link);
        json_decref(c);
    }
    json_decref(ids);
    snprintf(path, sizeof(path), "%s/containers/.names", root);
    if (rename(tmp, path) < 0)
        fs_rm_rf(tmp); /* another made it first */
    return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* The ID a name stands for, or NULL */
static char *name_owner(const char *root, const char *name)
{
    if (!valid_name(name))
        return NULL;
    _cleanup_close_ int fd = names_fd(root);
    char id[80];
    ssize_t n = fd >= 0 ? readlinkat(fd, name, id, sizeof(id) - 1) : -1;
    if (n != 64)
        return NULL;
    id[n] = 0;
    return recorded(root, id) ? xstrdup(id) : NULL; /* recorded: 64 hex, whatever the link says */
}

int ctr_name_claim(const char *root, const char *name, const char *id, struct berr **err)
{
    if (ctr_check_name(name, err) < 0)
        return -1;
    _cleanup_close_ int fd = names_fd(root);
    if (fd < 0)
        return berr_sys(err, errno, "%s/containers/.names", root);
    for (int tries = 0; tries < 3; tries++) {
        if (symlinkat(id, fd, name) == 0)
            return 0;
        if (errno != EEXIST)
            return berr_sys(err, errno, "container name \"%s\"", name);
        _cleanup_free_ char *holder = name_owner(root, name);
        if (holder)
            return berr_set(err, BERR_CONFLICT, EEXIST,
                            "the container name \"%s\" is already in use by container %.12s", name,
                            holder);
        unlinkat(fd, name, 0); /* a link left by a container that is gone */
    }
    return berr_set(err, BERR_CONFLICT, EEXIST, "the container name \"%s\" is already in use",
                    name);
}

void ctr_name_forget(const char *root, const char *id)
{
    json_t *c = load_json(root, id, "container.json");
    ctr_name_release(root, json_string_value(json_object_get(c, "Name")), id);
    json_decref(c);
}

void ctr_name_release(const char *root, const char *name, const char *id)
{
    if (!valid_name(name))
        return;
    _cleanup_close_ int fd = names_fd(root);
    char cur[80];
    ssize_t n = fd >= 0 ? readlinkat(fd, name, cur, sizeof(cur) - 1) : -1;
    if (n == 64 && !strncmp(cur, id, 64))
        unlinkat(fd, name, 0);
}

/* docker's "No such container: NAME"; a name that is not plain printable text (it may be
 * anything a user typed) escaped and quoted */
static void no_such(struct berr **err, const char *what)
{
    char q[QUOTE_SIZE];
    bool plain = *what && strlen(what) < 200;
    for (const char *p = what; plain && *p; p++)
        plain = *p > 0x20 && *p < 0x7f && *p != '"' && *p != '\\';
    if (plain)
        snprintf(q, sizeof(q), "%s", what);
    else
        quote_str(q, sizeof(q), what);
    berr_set(err, BERR_NOT_FOUND, ENOENT, "no such container: %s", q);
}

json_t *ctr_load(const char *root, const char *id, struct berr **err)
{
    json_t *c = load_json(root, id, "container.json");
    if (!c) {
        no_such(err, id);
        return NULL;
    }
    json_t *st = load_json(root, id, "state.json");
    if (!st)
        st = json_pack("{s:s,s:i}", "Status", "created", "ExitCode", 0);
    const char *status = json_string_value(json_object_get(st, "Status"));
    pid_t pid = json_integer_value(json_object_get(st, "Pid"));
    uint64_t start = json_integer_value(json_object_get(st, "PidStart"));
    pid_t mon = json_integer_value(json_object_get(st, "MonitorPid"));
    uint64_t mon_start = json_integer_value(json_object_get(st, "MonitorStart"));
    /* the truth, whatever the monitor last wrote: a running container's process exists, and
     * one that has gone is recorded by its monitor, if that still lives, in a moment */
    if (status && !strcmp(status, "running") && !proc_alive(pid, start) &&
        !(mon > 0 && proc_alive(mon, mon_start))) {
        json_object_set_new(st, "Status", json_string("exited"));
        if (!json_object_get(st, "FinishedAt"))
            json_object_set_new(st, "FinishedAt", json_string(""));
        /* its monitor died before it could record the exit code */
        if (!json_integer_value(json_object_get(st, "ExitCode")))
            json_object_set_new(st, "ExitCode", json_integer(255));
        json_object_set_new(st, "Error", json_string("the container's monitor was killed"));
        status = json_string_value(json_object_get(st, "Status")); /* the old one was freed */
    }
    /* between two runs of a restart policy, while its monitor lives */
    if (status && !strcmp(status, "restarting") && !(mon > 0 && proc_alive(mon, mon_start)))
        json_object_set_new(st, "Status", json_string("exited"));
    status = json_string_value(json_object_get(st, "Status"));
    json_object_set_new(st, "Restarting", json_boolean(status && !strcmp(status, "restarting")));
    bool running = status && !strcmp(status, "running");
    json_object_set_new(st, "Running", json_boolean(running));
    json_object_set_new(st, "Paused",
                        json_boolean(running && json_is_true(json_object_get(st, "Paused"))));
    json_object_set_new(st, "Dead", json_false());
    if (!running)
        json_object_set_new(st, "Pid", json_integer(0));
    json_object_set_new(c, "State", st);
    return c;
}

int ctr_save_state(const char *root, const char *id, json_t *state, struct berr **err)
{
    if (!ctr_is_id(id))
        return berr_set(err, BERR_INVALID, EINVAL, "container %.80s: not an ID", id);
    _cleanup_free_ char *dir = ctr_dir(root, id);
    _cleanup_close_ int dfd = dir ? open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
    if (dfd < 0)
        return berr_sys(err, errno, "container %.12s: state", id);
    _cleanup_free_ char *text = json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS);
    /* no fsync: a state.json lost to a crash of the machine is recomputed from the
     * processes that exist (ctr_load), and this is written twice per run */
    return fs_write_replace(dfd, "state.json", text, strlen(text), 0600, err);
}

int ctr_lock(const char *root, struct berr **err)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/containers", root);
    if (fs_mkdir_p(path, 0700) < 0)
        return berr_sys(err, errno, "%s", path);
    snprintf(path, sizeof(path), "%s/containers/.lock", root);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX) < 0) {
        berr_sys(err, errno, "lock %s", path);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static bool name_taken(const char *root, const char *name)
{
    _cleanup_free_ char *id = name_owner(root, name);
    return id != NULL;
}

int ctr_check_name(const char *name, struct berr **err)
{
    if (!valid_name(name)) {
        char q[QUOTE_SIZE];
        quote_str(q, sizeof(q), name);
        return berr_set(err, BERR_INVALID, EINVAL,
                        "invalid container name %s, only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", q);
    }
    return 0;
}

char *ctr_generate_name(const char *root)
{
    static const char *left[] = {"admiring", "brave", "calm",    "clever",  "dazzling", "eager",
                                 "elegant",  "epic",  "focused", "gallant", "happy",    "jolly",
                                 "keen",     "lucid", "modest",  "nifty",   "quirky",   "serene",
                                 "sharp",    "stoic", "tender",  "vibrant", "wizardly", "zen"};
    static const char *right[] = {"babbage",  "curie",    "dijkstra", "engelbart", "franklin",
                                  "goldberg", "hopper",   "johnson",  "kare",      "lamarr",
                                  "lovelace", "mccarthy", "noether",  "pike",      "ritchie",
                                  "shannon",  "thompson", "torvalds", "turing",    "wozniak"};
    for (int tries = 0; tries < 50; tries++) {
        uint32_t r[2];
        if (getrandom(r, sizeof(r), 0) != sizeof(r))
            r[0] = r[1] = (uint32_t)getpid() + tries;
        char *name = NULL;
        if (asprintf(&name, tries < 10 ? "%s_%s" : "%s_%s%d", left[r[0] % ARRAY_SIZE(left)],
                     right[r[1] % ARRAY_SIZE(right)], tries) < 0)
            return NULL;
        if (!name_taken(root, name))
            return name;
        free(name);
    }
    return NULL;
}

char *ctr_resolve(const char *root, const char *what, struct berr **err)
{
    /* a full ID, a name, then a unique ID prefix. Nothing else is looked up: what a user
     * gives becomes a path only as 64 hex digits (a name through the index, which holds
     * only [a-zA-Z0-9][a-zA-Z0-9_.-]+), never as "../x", "/abs" or "a/b" */
    if (recorded(root, what))
        return xstrdup(what);
    char *found = name_owner(root, what);
    if (found)
        return found;
    size_t wl = strlen(what);
    if (!wl || wl > 64 || strspn(what, "0123456789abcdef") != wl) {
        no_such(err, what);
        return NULL;
    }
    int matches = 0;
    char path[4200];
    snprintf(path, sizeof(path), "%s/containers", root);
    _cleanup_closedir_ DIR *d = opendir(path);
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (ctr_is_id(de->d_name) && !strncmp(de->d_name, what, wl) && recorded(root, de->d_name)) {
            if (!found)
                found = xstrdup(de->d_name);
            matches++;
        }
    if (matches == 1)
        return found;
    free(found);
    if (matches > 1)
        berr_set(err, BERR_INVALID, EINVAL, "multiple containers match \"%s\": give more of the ID",
                 what);
    else
        no_such(err, what);
    return NULL;
}

struct ctr *ctr_open(struct engine *e, const char *ref, struct berr **err)
{
    _cleanup_free_ char *id = ctr_resolve(e->root, ref, err);
    if (!id)
        return NULL;
    json_t *rec = ctr_load(e->root, id, err);
    if (!rec)
        return NULL;
    struct ctr *c = xcalloc(1, sizeof(*c));
    snprintf(c->id, sizeof(c->id), "%s", id);
    c->dir = ctr_dir(e->root, id);
    c->rec = rec;
    const char *name = json_string_value(json_object_get(rec, "Name"));
    c->name = xstrdup(name ? name + (name[0] == '/') : "");
    return c;
}

int ctr_reload(struct engine *e, struct ctr *c, struct berr **err)
{
    json_t *rec = ctr_load(e->root, c->id, err);
    if (!rec)
        return berr_code(*err);
    json_decref(c->rec);
    c->rec = rec;
    return 0;
}

void ctr_free(struct ctr *c)
{
    if (!c)
        return;
    free(c->name);
    free(c->dir);
    json_decref(c->rec);
    free(c);
}

char *ctr_path(const struct ctr *c, const char *file)
{
    return xasprintf("%s/%s", c->dir, file);
}

static json_t *state_of(const struct ctr *c)
{
    return json_object_get(c->rec, "State");
}

const char *ctr_status(const struct ctr *c)
{
    const char *s = json_string_value(json_object_get(state_of(c), "Status"));
    return s ? s : "created";
}

bool ctr_running(const struct ctr *c)
{
    return json_is_true(json_object_get(state_of(c), "Running"));
}

bool ctr_paused(const struct ctr *c)
{
    return json_is_true(json_object_get(state_of(c), "Paused"));
}

pid_t ctr_pid(const struct ctr *c, uint64_t *ret_start)
{
    if (ret_start)
        *ret_start = json_integer_value(json_object_get(state_of(c), "PidStart"));
    return json_integer_value(json_object_get(state_of(c), "Pid"));
}

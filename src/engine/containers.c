/* containers.c - container records, names, truthful state */
#include "containers.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/proc.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

char *ctr_dir(const char *root, const char *id)
{
    char *p = NULL;
    return asprintf(&p, "%s/containers/%s", root, id) < 0 ? NULL : p;
}

static json_t *load_json(const char *root, const char *id, const char *file)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/containers/%s/%s", root, id, file);
    return json_load_file(path, 0, NULL);
}

json_t *ctr_ids(const char *root)
{
    json_t *ids = json_array();
    char path[4200];
    snprintf(path, sizeof(path), "%s/containers", root);
    _cleanup_closedir_ DIR *d = opendir(path);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (strlen(de->d_name) != 64)
            continue;
        json_t *c = load_json(root, de->d_name, "container.json");
        if (!c)
            continue; /* not a recorded container (a run --rm being set up, or gone) */
        json_array_append_new(ids, json_pack("{s:s,s:O}", "id", de->d_name, "created",
                                             json_object_get(c, "Created")));
        json_decref(c);
    }
    /* newest first */
    size_t n = json_array_size(ids);
    for (size_t a = 1; a < n; a++)
        for (size_t b = a; b > 0; b--) {
            const char *x =
                json_string_value(json_object_get(json_array_get(ids, b - 1), "created"));
            const char *y = json_string_value(json_object_get(json_array_get(ids, b), "created"));
            if (!x || !y || strcmp(x, y) >= 0)
                break;
            json_t *t = json_incref(json_array_get(ids, b));
            json_array_set(ids, b, json_array_get(ids, b - 1));
            json_array_set_new(ids, b - 1, t);
        }
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) json_array_append(out, json_object_get(v, "id"));
    json_decref(ids);
    return out;
}

json_t *ctr_load(const char *root, const char *id, struct berr **err)
{
    json_t *c = load_json(root, id, "container.json");
    if (!c) {
        berr_set(err, BERR_NOT_FOUND, ENOENT, "no such container: %s", id);
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

bool ctr_name_taken(const char *root, const char *name)
{
    json_t *ids = ctr_ids(root);
    bool taken = false;
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        json_t *c = load_json(root, json_string_value(v), "container.json");
        const char *n = json_string_value(json_object_get(c, "Name"));
        taken |= n && !strcmp(n, name);
        json_decref(c);
    }
    json_decref(ids);
    return taken;
}

int ctr_check_name(const char *name, struct berr **err)
{
    size_t n = strlen(name);
    bool ok =
        n >= 2 && n <= 255 &&
        strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", name[0]) &&
        strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
    if (!ok)
        return berr_set(err, BERR_INVALID, EINVAL,
                        "invalid container name \"%s\", only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                        name);
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
        if (!ctr_name_taken(root, name))
            return name;
        free(name);
    }
    return NULL;
}

char *ctr_resolve(const char *root, const char *what, struct berr **err)
{
    json_t *ids = ctr_ids(root);
    char *found = NULL;
    int matches = 0;
    size_t i;
    json_t *v;
    /* an exact name or ID first, then an ID prefix */
    json_array_foreach(ids, i, v)
    {
        const char *id = json_string_value(v);
        json_t *c = load_json(root, id, "container.json");
        const char *n = json_string_value(json_object_get(c, "Name"));
        if ((n && !strcmp(n, what)) || !strcmp(id, what)) {
            free(found);
            found = strdup(id);
            matches = 1;
            json_decref(c);
            json_decref(ids);
            return found;
        }
        json_decref(c);
    }
    size_t wl = strlen(what);
    json_array_foreach(ids, i, v)
    {
        const char *id = json_string_value(v);
        if (wl && strncmp(id, what, wl) == 0) {
            if (!found)
                found = strdup(id);
            matches++;
        }
    }
    json_decref(ids);
    if (matches == 1)
        return found;
    free(found);
    if (matches > 1)
        berr_set(err, BERR_INVALID, EINVAL, "multiple containers match \"%s\": give more of the ID",
                 what);
    else
        berr_set(err, BERR_NOT_FOUND, ENOENT, "no such container: %s", what);
    return NULL;
}

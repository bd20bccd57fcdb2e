/* ctr-run.c - a container's birth (create, start, run) and its streams (attach, export) */
#include "ctr-run.h"
#include "engine/engine.h"
#include "engine/bundle.h"
#include "engine/containers.h"
#include "engine/events.h"
#include "engine/monitor.h"
#include "engine/netfiles.h"
#include "engine/spawn.h"
#include "engine/volumes.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/proc.h"
#include "base/xalloc.h"
#include "image/layer.h"
#include "image/overlay.h"
#include "image/store.h"
#include "runtime/container.h"
#include "runtime/state.h"
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the sweep of what killed runs left ---- */

/* A --rm container whose monitor was killed, once it has exited: removed, as its monitor
 * would have. Others stay for `rm`. Returns true if it went. */
static bool reap_one(struct engine *e, const char *id)
{
    _cleanup_free_ char *dir = ctr_dir(e->root, id);
    char f[PATH_MAX + 80];
    snprintf(f, sizeof(f), "%s/owner", dir);
    if (proc_owner_alive(f) == 1)
        return false;
    snprintf(f, sizeof(f), "%s/container.json", dir);
    json_t *rec = json_load_file(f, 0, NULL);
    bool auto_remove =
        !rec || json_is_true(json_object_get(json_object_get(rec, "HostConfig"), "AutoRemove"));
    json_decref(rec);
    if (!auto_remove)
        return false;
    _cleanup_berr_ struct berr *err = NULL;
    json_t *state = rt_state(e->rtroot, id, &err);
    const char *status = state ? json_string_value(json_object_get(state, "status")) : NULL;
    bool running = status && strcmp(status, "stopped") != 0;
    json_decref(state);
    if (running)
        return false;
    _cleanup_berr_ struct berr *e2 = NULL;
    if (status)
        rt_delete(e->rtroot, id, true, &e2);
    log_debug("run: clearing container %.12s left by a monitor that was killed", id);
    ctr_name_forget(e->root, id);
    fs_rm_rf(dir);
    return true;
}

/* What killed runs left, found without reading every container: the directories of runs
 * killed while setting up (<root>/containers/.creating/<id>, their marker) and of --rm
 * containers whose monitor was killed while removing them (.removing-<id>). The disk is the
 * source of truth: a container still running is left alone. */
void ctr_reap_stale(struct engine *e)
{
    const char *root = e->root;
    char path[PATH_MAX], f[PATH_MAX + 300];
    snprintf(path, sizeof(path), "%s/containers/.creating", root);
    _cleanup_closedir_ DIR *c = opendir(path);
    struct dirent *de;
    while (c && (de = readdir(c))) {
        if (!ctr_is_id(de->d_name))
            continue;
        snprintf(f, sizeof(f), "%s/%s", path, de->d_name);
        if (proc_owner_alive(f) != 0) /* alive, or a marker just removed: a run that finished */
            continue;
        /* its run was killed after the monitor took over: the monitor owns it now */
        _cleanup_free_ char *dir = ctr_dir(root, de->d_name);
        char own[PATH_MAX + 80];
        snprintf(own, sizeof(own), "%s/owner", dir);
        if (proc_owner_alive(own) == 1) {
            unlink(f);
            continue;
        }
        _cleanup_berr_ struct berr *err = NULL;
        rt_delete(e->rtroot, de->d_name, true, &err);
        ctr_name_forget(root, de->d_name);
        fs_rm_rf(dir);
        unlink(f);
    }
    snprintf(path, sizeof(path), "%s/containers", root);
    _cleanup_closedir_ DIR *d = opendir(path);
    while (d && (de = readdir(d))) {
        if (strncmp(de->d_name, ".removing-", 10) != 0)
            continue;
        /* a path cut short would remove another directory */
        if (snprintf(f, sizeof(f), "%s/%s/owner", path, de->d_name) >= (int)sizeof(f) ||
            proc_owner_alive(f) != 0)
            continue;
        if (snprintf(f, sizeof(f), "%s/%s", path, de->d_name) >= (int)sizeof(f))
            continue;
        fs_rm_rf(f);
    }
}

/* ---- the root file system ---- */

/* Mounts a container's root file system (dir/rootfs over dir/upper) in a mount namespace of
 * our own: the host never sees it, and if berth is killed it goes away with the container
 * instead of staying mounted. The monitor forked after this keeps the namespace. */
static int mount_private(struct store *st, struct image *im, const char *dir, struct berr **err)
{
    char upper[PATH_MAX], work[PATH_MAX], rootfs[PATH_MAX], init[PATH_MAX];
    snprintf(upper, sizeof(upper), "%s/upper", dir);
    snprintf(work, sizeof(work), "%s/work", dir);
    snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
    snprintf(init, sizeof(init), "%s/init", dir);
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return berr_sys(err, errno, "private mount namespace");
    /* the store's fd still points into the old namespace's mounts: overlay wants its layers
     * (named relative to the store) in ours */
    int nfd = open(st->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (nfd < 0 || dup3(nfd, st->dirfd, O_CLOEXEC) < 0) {
        berr_sys(err, errno, "reopen %s", st->dir);
        if (nfd >= 0)
            close(nfd);
        return -1;
    }
    close(nfd);
    /* a container made before init layers has none */
    bool has_init = access(init, F_OK) == 0;
    return overlay_mount(st, im, has_init ? init : NULL, upper, work, rootfs, err);
}

int ctr_mount_rootfs(const char *root, const char *dir, struct berr **err)
{
    char imgfile[PATH_MAX];
    snprintf(imgfile, sizeof(imgfile), "%s/image", dir);
    _cleanup_free_ char *image_id = NULL;
    if (fs_read_file(imgfile, &image_id, NULL, err) < 0)
        return -1;
    _cleanup_store_ struct store *st = store_open(root, err);
    if (!st)
        return -1;
    _cleanup_image_ struct image *im = store_get_image(st, image_id, err);
    if (!im || mount_private(st, im, dir, err) < 0)
        return -1;
    return 0;
}

/* ---- create ---- */

/* --init: berth itself (static) bound read-only at /dev/init runs the command as its child */
static int add_init(json_t *spec, struct berr **err)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n < 0)
        return berr_sys(err, errno, "--init: /proc/self/exe");
    self[n] = 0;
    json_array_append_new(json_object_get(spec, "mounts"),
                          json_pack("{s:s,s:s,s:s,s:[s,s,s,s]}", "destination", "/dev/init", "type",
                                    "bind", "source", self, "options", "bind", "ro", "nosuid",
                                    "nodev"));
    json_t *proc = json_object_get(spec, "process");
    json_t *args = json_pack("[s,s]", "/dev/init", "--");
    json_array_extend(args, json_object_get(proc, "args"));
    json_object_set_new(proc, "args", args);
    return 0;
}

/* A container being made: what the caller's process sets up, then the helper */
struct making {
    struct engine *e;
    const struct ctr_create_opts *o;
    struct store *st;
    struct image *im;
    char id[65];
    char short_id[13];
    char *dir;
    json_t *mounts; /* the parsed mounts (with "New" for the volumes made now) */
    int dfd;        /* the container's directory */
    bool start;     /* run: started under its monitor */
    int attach_fd;  /* the monitor's end of an attached client, or -1 */
};

static int write_rec(struct making *m, const char *name, const char *text, struct berr **err)
{
    /* a --rm container is not to outlive a crash of the machine: its records need no fsync
     * (two journal commits on a disk, most of a millisecond) */
    return (m->o->auto_remove ? fs_write_replace : fs_write_atomic)(m->dfd, name, text,
                                                                    strlen(text), 0600, err);
}

/* The container's host name: -h, else the host's with --network host (as docker), else its
 * short ID. buf: room for the host's. */
static const char *ctr_hostname(const struct making *m, char *buf, size_t len)
{
    if (m->o->hostname)
        return m->o->hostname;
    if (!m->o->host_network)
        return m->short_id;
    netfiles_host_name(buf, len);
    return buf;
}

static json_t *strv_array(char **v)
{
    json_t *a = json_array();
    for (char **p = v; p && *p; p++)
        json_array_append_new(a, json_string(*p));
    return a;
}

/* the record: what `ps` and `inspect` show */
static int write_record(struct making *m, const char *name, struct berr **err)
{
    const struct ctr_create_opts *o = m->o;
    struct bundle_opts ao = {.cmd = o->cmd, .entrypoint = o->entrypoint};
    _cleanup_strv_ char **args = bundle_args(m->im->config, &ao, err);
    if (!args)
        return -1;
    json_t *jargs = json_array();
    for (char **a = args + 1; *a; a++)
        json_array_append_new(jargs, json_string(*a));
    char created[64];
    rt_now_rfc3339(created, sizeof(created));
    char hbuf[256];
    const char *hostname = ctr_hostname(m, hbuf, sizeof(hbuf));
    json_t *c = json_object_get(m->im->config, "config");
    json_t *rec = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:{s:O,s:O,s:o,s:s,s:s,s:b,s:b,s:s,s:s},s:{s:b,"
        "s:b,s:s},s:s}",
        "Id", m->id, "Name", name, "Image", m->im->id, "ImageName", o->image, "Created", created,
        "Path", args[0], "Args", jargs, "Config", "Cmd", json_object_get(c, "Cmd") ?: json_null(),
        "Entrypoint", json_object_get(c, "Entrypoint") ?: json_null(), "Env",
        json_incref(json_object_get(c, "Env")) ?: json_array(), "WorkingDir",
        o->workdir ? o->workdir : "", "User", o->user ? o->user : "", "Tty", o->tty, "OpenStdin",
        o->open_stdin, "Hostname", hostname, "Image", o->image, "HostConfig", "AutoRemove",
        o->auto_remove, "ReadonlyRootfs", o->read_only, "NetworkMode",
        o->host_network ? "host" : "none", "LogPath", "json.log");
    json_t *rc = json_object_get(rec, "Config"), *hc = json_object_get(rec, "HostConfig");
    /* the network files (netfiles.h), where docker's inspect shows them */
    static const char *const nf[][2] = {
        {"ResolvConfPath", "resolv.conf"}, {"HostnamePath", "hostname"}, {"HostsPath", "hosts"}};
    for (size_t i = 0; i < 3; i++)
        json_object_set_new(rec, nf[i][0], json_sprintf("%s/%s", m->dir, nf[i][1]));
    json_object_set_new(hc, "Dns", strv_array(o->dns));
    json_object_set_new(hc, "DnsSearch", strv_array(o->dns_search));
    json_object_set_new(hc, "DnsOptions", strv_array(o->dns_options));
    json_object_set_new(hc, "ExtraHosts", o->add_hosts ? strv_array(o->add_hosts) : json_null());
    json_t *rm_ = json_deep_copy(m->mounts);
    size_t mi;
    json_t *mv;
    json_array_foreach(rm_, mi, mv) json_object_del(mv, "New");
    json_object_set_new(rec, "Mounts", rm_);
    json_t *renv = json_deep_copy(json_object_get(rc, "Env"));
    json_object_set_new(rc, "Env", renv);
    if (bundle_env_merge(renv, o->env, err) < 0) {
        json_decref(rec);
        return -1;
    }
    json_object_set_new(rc, "Labels", o->labels ? json_incref(o->labels) : json_object());
    const char *isig = json_string_value(json_object_get(c, "StopSignal"));
    if (o->stop_signal || isig)
        json_object_set_new(rc, "StopSignal", json_string(o->stop_signal ? o->stop_signal : isig));
    if (o->stop_timeout != CTR_NO_STOP_TIMEOUT)
        json_object_set_new(rc, "StopTimeout", json_integer(o->stop_timeout));
    json_object_set_new(hc, "RestartPolicy",
                        json_pack("{s:s,s:i}", "Name", monitor_restart_name(o->restart),
                                  "MaximumRetryCount", o->max_restarts));
    json_t *ul = json_array(), *dv = json_array();
    for (char **u = o->ulimits; u && *u; u++)
        json_array_append_new(ul, json_string(*u));
    for (char **d = o->devices; d && *d; d++)
        json_array_append_new(dv, json_string(*d));
    json_object_set_new(hc, "Ulimits", ul);
    json_object_set_new(hc, "Init", json_boolean(o->init));
    json_object_set_new(hc, "Devices", dv);
    const struct bundle_resources *res = &o->res;
    int64_t pids = res->pids_limit ? res->pids_limit : m->e->config.default_pids_limit;
    json_object_set_new(hc, "Memory", json_integer(res->memory));
    json_object_set_new(hc, "MemorySwap", json_integer(res->memory_swap));
    json_object_set_new(hc, "NanoCpus", json_integer(res->nano_cpus));
    json_object_set_new(hc, "CpuShares", json_integer(res->cpu_shares));
    json_object_set_new(hc, "CpusetCpus", json_string(res->cpuset_cpus ? res->cpuset_cpus : ""));
    json_object_set_new(hc, "PidsLimit", json_integer(pids));
    json_t *ca = json_array(), *cd = json_array();
    for (char **p = o->cap_add; p && *p; p++)
        json_array_append_new(ca, json_string(*p));
    for (char **p = o->cap_drop; p && *p; p++)
        json_array_append_new(cd, json_string(*p));
    json_object_set_new(hc, "CapAdd", ca);
    json_object_set_new(hc, "CapDrop", cd);
    json_object_set_new(hc, "SecurityOpt",
                        o->security_opt ? json_incref(o->security_opt) : json_array());
    json_object_set_new(hc, "Privileged", json_boolean(o->privileged));
    json_object_set_new(hc, "LogConfig",
                        o->log_config ? json_incref(o->log_config)
                                      : json_pack("{s:s,s:{}}", "Type", "json-file", "Config"));
    _cleanup_free_ char *text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(rec);
    return write_rec(m, "container.json", text, err);
}

/* config.json, the runtime's spec, from the image and the options (rootfs mounted) */
static int write_spec(struct making *m, const char *rootfs, struct berr **err)
{
    const struct ctr_create_opts *o = m->o;
    char hbuf[256];
    struct bundle_opts bo = {.hostname = ctr_hostname(m, hbuf, sizeof(hbuf)),
                             .cmd = o->cmd,
                             .entrypoint = o->entrypoint,
                             .env = o->env,
                             .workdir = o->workdir,
                             .user = o->user,
                             .tty = o->tty,
                             .cap_add = o->cap_add,
                             .cap_drop = o->cap_drop,
                             .no_new_privileges = o->no_new_privileges,
                             .privileged = o->privileged,
                             .seccomp_unconfined = o->seccomp_unconfined,
                             .seccomp = o->seccomp};
    json_t *spec __attribute__((cleanup(json_decrefp))) =
        bundle_spec(m->im->config, rootfs, &bo, err);
    if (!spec)
        return -1;
    if (o->init && add_init(spec, err) < 0)
        return -1;
    for (char **u = o->ulimits; u && *u; u++)
        if (bundle_add_ulimit(spec, *u, err) < 0)
            return -1;
    for (char **d = o->devices; d && *d; d++)
        if (bundle_add_device(spec, *d, err) < 0)
            return -1;
    struct bundle_resources res = o->res;
    if (!res.pids_limit)
        res.pids_limit = m->e->config.default_pids_limit;
    /* hosts, hostname, resolv.conf: under the volumes, which may bind their own */
    netfiles_mounts(spec, m->dir, o->read_only);
    if (bundle_set_resources(spec, &res, err) < 0 || vol_apply(spec, m->mounts, rootfs, err) < 0)
        return -1;
    if (json_object_size(o->labels)) {
        json_t *ann = json_object_get(spec, "annotations");
        if (!ann)
            json_object_set_new(spec, "annotations", ann = json_object());
        json_object_update(ann, o->labels);
    }
    if (o->read_only)
        json_object_set_new(json_object_get(spec, "root"), "readonly", json_true());
    /* -t in the foreground: the container's terminal is born with the client's size (a
     * resize sent after the start could come after its first look) */
    if (o->tty && o->console_rows && o->console_cols)
        json_object_set_new(
            json_object_get(spec, "process"), "consoleSize",
            json_pack("{s:i,s:i}", "height", o->console_rows, "width", o->console_cols));
    if (o->host_network) {
        json_t *ns = json_object_get(json_object_get(spec, "linux"), "namespaces");
        for (size_t i = 0; i < json_array_size(ns); i++)
            if (!strcmp(json_string_value(json_object_get(json_array_get(ns, i), "type")),
                        "network"))
                json_array_remove(ns, i--);
    }
    /* the spec holds the -e values (secrets, often): 0600 whatever the caller's umask */
    _cleanup_free_ char *text = json_dumps(spec, JSON_COMPACT);
    if (!text)
        return berr_set(err, BERR_INTERNAL, EIO, "run: encode config.json");
    if (write_rec(m, "config.json", text, err) < 0)
        return berr_prefix(err, "run");
    return 0;
}

/* The root file system mounted in a mount namespace of the calling process (a helper, or
 * the monitor, which keeps it), the spec written, the creation noted */
static int prepare(struct making *m, struct berr **err)
{
    char rootfs[PATH_MAX + 16];
    snprintf(rootfs, sizeof(rootfs), "%s/rootfs", m->dir);
    if (mount_private(m->st, m->im, m->dir, err) < 0)
        return -1;
    log_debug("run %.12s: root file system mounted", m->id);
    if (write_spec(m, rootfs, err) < 0)
        return -1;
    log_debug("run %.12s: spec written", m->id);
    events_container(m->e->root, m->e->runroot, m->id, "create", NULL);
    return 0;
}

/* ---- what the helper or the monitor prepares, as data ---- */

/* strings as given, bytes and all (a helper that is only forked gets them as they are; one
 * exec'd refuses what JSON text cannot carry) */
static json_t *str_json(const char *s)
{
    return s ? json_string_nocheck(s) : json_null();
}

static json_t *strv_json(char **v)
{
    if (!v)
        return json_null();
    json_t *a = json_array();
    for (char **p = v; *p; p++)
        json_array_append_new(a, json_string_nocheck(*p));
    return a;
}

static char **json_strv(json_t *a)
{
    if (!json_is_array(a))
        return NULL;
    char **v = xcalloc(json_array_size(a) + 1, sizeof(*v));
    for (size_t i = 0; i < json_array_size(a); i++)
        v[i] = xstrdup(json_string_value(json_array_get(a, i)) ?: "");
    return v;
}

/* What prepare needs of the options, for ctr_prepare in another process */
static json_t *prepare_json(struct making *m)
{
    const struct ctr_create_opts *o = m->o;
    json_t *c = json_object();
    json_object_set_new(c, "hostname", str_json(o->hostname));
    json_object_set_new(c, "cmd", strv_json(o->cmd));
    json_object_set_new(c, "entrypoint", str_json(o->entrypoint));
    json_object_set_new(c, "env", strv_json(o->env));
    json_object_set_new(c, "workdir", str_json(o->workdir));
    json_object_set_new(c, "user", str_json(o->user));
    json_object_set_new(c, "cap_add", strv_json(o->cap_add));
    json_object_set_new(c, "cap_drop", strv_json(o->cap_drop));
    json_object_set_new(c, "ulimits", strv_json(o->ulimits));
    json_object_set_new(c, "devices", strv_json(o->devices));
    json_object_set_new(c, "cpuset_cpus", str_json(o->res.cpuset_cpus));
    json_object_set_new(c, "seccomp", o->seccomp ? json_incref(o->seccomp) : json_null());
    json_object_set_new(c, "labels", o->labels ? json_incref(o->labels) : json_null());
    int64_t pids = o->res.pids_limit ? o->res.pids_limit : m->e->config.default_pids_limit;
    json_t *flags = json_pack(
        "{s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:I,s:I,s:I,s:I,s:I,s:i,s:i}", "tty", o->tty,
        "no_new_privileges", o->no_new_privileges, "privileged", o->privileged,
        "seccomp_unconfined", o->seccomp_unconfined, "init", o->init, "read_only", o->read_only,
        "host_network", o->host_network, "auto_remove", o->auto_remove, "memory",
        (json_int_t)o->res.memory, "memory_swap", (json_int_t)o->res.memory_swap, "nano_cpus",
        (json_int_t)o->res.nano_cpus, "cpu_shares", (json_int_t)o->res.cpu_shares, "pids_limit",
        (json_int_t)pids, "console_rows", o->console_rows, "console_cols", o->console_cols);
    json_object_update(c, flags);
    json_decref(flags);
    return json_pack("{s:s,s:o,s:O}", "image", m->im->id, "create", c, "mounts", m->mounts);
}

int ctr_prepare(struct engine *e, const char *id, json_t *p, struct berr **err)
{
    _cleanup_free_ char *dir = ctr_dir(e->root, id);
    json_t *c = json_object_get(p, "create");
    if (!c) /* start: the root file system, which the monitor keeps */
        return ctr_mount_rootfs(e->root, dir, err);
#define S(k) json_string_value(json_object_get(c, k))
#define B(k) json_is_true(json_object_get(c, k))
#define I(k) json_integer_value(json_object_get(c, k))
    _cleanup_strv_ char **cmd = json_strv(json_object_get(c, "cmd"));
    _cleanup_strv_ char **env = json_strv(json_object_get(c, "env"));
    _cleanup_strv_ char **cap_add = json_strv(json_object_get(c, "cap_add"));
    _cleanup_strv_ char **cap_drop = json_strv(json_object_get(c, "cap_drop"));
    _cleanup_strv_ char **ulimits = json_strv(json_object_get(c, "ulimits"));
    _cleanup_strv_ char **devices = json_strv(json_object_get(c, "devices"));
    json_t *seccomp = json_object_get(c, "seccomp"), *labels = json_object_get(c, "labels");
    struct ctr_create_opts o = {
        .hostname = S("hostname"),
        .cmd = cmd,
        .entrypoint = S("entrypoint"),
        .env = env,
        .workdir = S("workdir"),
        .user = S("user"),
        .tty = B("tty"),
        .read_only = B("read_only"),
        .host_network = B("host_network"),
        .auto_remove = B("auto_remove"),
        .init = B("init"),
        .privileged = B("privileged"),
        .no_new_privileges = B("no_new_privileges"),
        .seccomp_unconfined = B("seccomp_unconfined"),
        .seccomp = json_is_null(seccomp) ? NULL : seccomp,
        .labels = json_is_null(labels) ? NULL : labels,
        .ulimits = ulimits,
        .devices = devices,
        .cap_add = cap_add,
        .cap_drop = cap_drop,
        .res = {.memory = I("memory"),
                .memory_swap = I("memory_swap"),
                .nano_cpus = I("nano_cpus"),
                .cpu_shares = I("cpu_shares"),
                .cpuset_cpus = S("cpuset_cpus"),
                .pids_limit = I("pids_limit")},
        .console_rows = I("console_rows"),
        .console_cols = I("console_cols"),
    };
#undef S
#undef B
#undef I
    const char *image = json_string_value(json_object_get(p, "image"));
    _cleanup_store_ struct store *st = store_open(e->root, err);
    if (!st)
        return -1;
    _cleanup_image_ struct image *im = store_get_image(st, image ? image : "", err);
    if (!im)
        return berr_prefix(err, "run");
    _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return berr_sys(err, errno, "run: %s", dir);
    struct making m = {.e = e,
                       .o = &o,
                       .st = st,
                       .im = im,
                       .dir = dir,
                       .mounts = json_object_get(p, "mounts"),
                       .dfd = dfd,
                       .attach_fd = -1};
    snprintf(m.id, sizeof(m.id), "%s", id);
    snprintf(m.short_id, sizeof(m.short_id), "%.12s", id);
    return prepare(&m, err);
}

int ctr_create_job(struct spawn_job *j, struct berr **err)
{
    const char *id = json_string_value(json_object_get(j->args, "id"));
    if (!id || !ctr_is_id(id))
        return berr_set(err, BERR_INTERNAL, EINVAL, "create: no container ID");
    /* the mount goes with the helper (`start` mounts it again) */
    return ctr_prepare(j->e, id, json_object_get(j->args, "prepare"), err);
}

/* run: the monitor prepares the container in its own process, then starts it */
static int start_monitor(struct making *m, json_t *prep, struct berr **err)
{
    struct monitor_opts mo = {.root = m->e->root,
                              .rtroot = m->e->rtroot,
                              .id = m->id,
                              .tty = m->o->tty,
                              .interactive = m->o->open_stdin,
                              .attach_fd = m->attach_fd,
                              .auto_remove = m->o->auto_remove,
                              .restart = m->o->restart,
                              .max_restarts = m->o->max_restarts,
                              .prepare = prep};
    json_t *lc __attribute__((cleanup(json_decrefp))) =
        m->o->log_config ? json_incref(m->o->log_config)
                         : json_pack("{s:s,s:{}}", "Type", "json-file", "Config");
    monitor_log_config(lc, &mo);
    if (monitor_start(m->e, &mo, err) < 0)
        return -1;
    log_debug("run %.12s: the monitor has started it", m->id);
    return 0;
}

/* Claims the name (generated if none is given) under the containers lock */
static int claim_name(struct making *m, char **ret_name, struct berr **err)
{
    const char *root = m->e->root;
    const char *name = m->o->name;
    _cleanup_free_ char *cname = name ? xstrdup(name) : ctr_generate_name(root);
    if (!cname)
        return berr_set(err, BERR_INTERNAL, EEXIST, "no free container name");
    if (name && ctr_name_claim(root, name, m->id, err) < 0 && (*err)->kind == BERR_CONFLICT) {
        /* held by a --rm container whose monitor was killed: that one is gone really */
        _cleanup_berr_ struct berr *e = NULL;
        _cleanup_free_ char *holder = ctr_resolve(root, name, &e);
        if (holder && reap_one(m->e, holder)) {
            berr_free(*err);
            *err = NULL;
            ctr_name_claim(root, name, m->id, err);
        }
    } else if (!name) {
        ctr_name_claim(root, cname, m->id, err);
    }
    if (*err)
        return berr_code(*err);
    *ret_name = TAKE_PTR(cname);
    return 0;
}

/* create and run: both made here; run's start by the monitor, which mounts the root file
 * system once (in its prepare step) */
static int make(struct engine *e, const struct ctr_create_opts *o, bool start, bool attach,
                char ret_id[65], int *ret_fd, struct berr **err)
{
    const char *root = e->root;
    struct making m = {.e = e, .o = o, .dfd = -1, .start = start, .attach_fd = -1};
    struct netfiles_opts nfc = {.dns = o->dns,
                                .dns_search = o->dns_search,
                                .dns_options = o->dns_options,
                                .add_hosts = o->add_hosts};
    if (netfiles_check(&nfc, err) < 0)
        return berr_prefix(err, "run");
    _cleanup_store_ struct store *st = store_open(root, err);
    if (!st)
        return -1;
    _cleanup_image_ struct image *im = store_find_image(st, o->image, err);
    if (!im)
        return berr_prefix(err, "run");
    m.st = st;
    m.im = im;
    uint8_t rnd[32];
    if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
        return berr_sys(err, errno, "run: random container ID");
    for (int i = 0; i < 32; i++)
        snprintf(m.id + 2 * i, 3, "%02x", rnd[i]);
    snprintf(m.short_id, sizeof(m.short_id), "%.12s", m.id);
    _cleanup_free_ char *dir = m.dir = ctr_dir(root, m.id);
    json_t *mounts __attribute__((cleanup(json_decrefp))) = m.mounts = json_array();
    /* what the monitor (run) or the helper (create) prepares: ctr_prepare's data */
    json_t *prep __attribute__((cleanup(json_decrefp))) = NULL;
    json_t *cargs __attribute__((cleanup(json_decrefp))) = NULL;

    /* names are unique: checked and recorded under one lock. The container's directory is
     * made under it too, and the stale ones cleared: a directory without its record yet
     * must not look like one a killed run left */
    _cleanup_close_ int lockfd = ctr_lock(root, err);
    if (lockfd < 0)
        return berr_prefix(err, "run");
    ctr_reap_stale(e);
    /* the marker of a container being set up: a run killed before its monitor took over
     * leaves it, and the next run clears what that run made */
    char marker[PATH_MAX + 80], mdir[PATH_MAX];
    snprintf(mdir, sizeof(mdir), "%s/containers/.creating", root);
    snprintf(marker, sizeof(marker), "%s/%s", mdir, m.id);
    char owner[64];
    int on = proc_self_owner(owner, sizeof(owner));
    {
        _cleanup_close_ int mfd = -1;
        if (fs_mkdir_p(mdir, 0700) < 0 ||
            (mfd = open(mdir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
            fs_write_replace(mfd, m.id, owner, on, 0600, err) < 0 || fs_mkdir_p(dir, 0700) < 0) {
            if (!*err)
                berr_sys(err, errno, "run: %s", dir);
            unlink(marker);
            return -1;
        }
    }
    _cleanup_free_ char *cname = NULL;
    if (claim_name(&m, &cname, err) < 0) {
        rmdir(dir);
        unlink(marker);
        return -1;
    }
    /* the mounts: volumes are made (and checked) under the lock, as the record is */
    for (size_t i = 0; i < o->n_mounts; i++) {
        const struct ctr_mount_arg *a = &o->mounts[i];
        json_t *mt = vol_parse_mount(root, a->spec, a->kind, err);
        if (!mt) {
            berr_prefix(err, "run: %s %s",
                        a->kind == VOL_ARG_V       ? "-v"
                        : a->kind == VOL_ARG_MOUNT ? "--mount"
                                                   : "--tmpfs",
                        a->spec);
            vol_remove_anonymous(root, mounts);
            ctr_name_release(root, cname, m.id);
            rmdir(dir);
            unlink(marker);
            return -1;
        }
        /* a volume this run made (a name used for the first time, or an anonymous one) */
        if (json_is_true(json_object_get(mt, "New")))
            events_note(e->runroot, "volume", "create",
                        json_string_value(json_object_get(mt, "Name")),
                        json_pack("{s:s}", "driver", "local"));
        json_array_append_new(mounts, mt);
    }
    char upper[PATH_MAX + 16], work[PATH_MAX + 16], rootfs[PATH_MAX + 16];
    snprintf(upper, sizeof(upper), "%s/upper", dir);
    snprintf(work, sizeof(work), "%s/work", dir);
    snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
    int sv[2] = {-1, -1};
    _cleanup_close_ int dfd = -1;
    /* modes exact, whatever the umask: the container's root directory (upper) as an image's
     * is, nothing of it writable by others */
    if (fs_mkdir_p(dir, 0700) < 0 || chmod(dir, 0700) < 0 || mkdir(upper, 0755) < 0 ||
        chmod(upper, 0755) < 0 || mkdir(work, 0700) < 0 || mkdir(rootfs, 0755) < 0 ||
        chmod(rootfs, 0755) < 0) {
        berr_sys(err, errno, "run: container dir %s", dir);
        goto out;
    }
    if (netfiles_init_layer(dir, err) < 0) {
        berr_prefix(err, "run");
        goto out;
    }
    /* the image this container uses: rmi and prune leave it while the container exists */
    m.dfd = dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || write_rec(&m, "image", im->id, err) < 0 ||
        fs_write_replace(dfd, "owner", owner, on, 0600, err) < 0) {
        if (!*err)
            berr_sys(err, errno, "run: %s/image", dir);
        goto out;
    }
    char hbuf[256];
    struct netfiles_opts nfo = {.hostname = ctr_hostname(&m, hbuf, sizeof(hbuf)),
                                .host_network = o->host_network,
                                .dns = o->dns,
                                .dns_search = o->dns_search,
                                .dns_options = o->dns_options,
                                .add_hosts = o->add_hosts};
    if (netfiles_write(dfd, &nfo, err) < 0) {
        berr_prefix(err, "run");
        goto out;
    }
    if (write_record(&m, cname, err) < 0)
        goto out;
    flock(lockfd, LOCK_UN);
    log_debug("run %.12s: recorded", m.id);

    /* the monitor runs it, detached or not: an attached client is its peer from the start,
     * and the container outlives that client */
    if (start && attach && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        berr_sys(err, errno, "run: attach socket");
        goto out;
    }
    m.attach_fd = sv[1];
    /* the caller's mount namespace stays as it was: the root file system is mounted in the
     * monitor's (run) or a helper's (create) */
    prep = prepare_json(&m);
    if (!start)
        cargs = json_pack("{s:s,s:O}", "id", m.id, "prepare", prep);
    int r =
        start ? start_monitor(&m, prep, err) : spawn_run(e, "create", cargs, NULL, 0, 0, NULL, err);
    if (sv[1] >= 0)
        close(sv[1]);
    if (r < 0)
        goto out;
    /* created, nobody owns it until a start's monitor does: rm must not wait for the
     * creator, which is a daemon that never exits as often as a CLI that just has */
    unlink(marker); /* the monitor owns it now */
    if (!start)
        unlinkat(dfd, "owner", 0);
    memcpy(ret_id, m.id, sizeof(m.id));
    if (ret_fd)
        *ret_fd = sv[0];
    return 0;
out:
    /* only failures come here: what was made for the container goes (a monitor that had
     * it has removed the directory and the name already) */
    if (sv[0] >= 0)
        close(sv[0]);
    ctr_name_release(root, cname, m.id);
    fs_rm_rf(dir);
    vol_remove_anonymous(root, mounts);
    unlink(marker);
    return berr_code(*err);
}

int ctr_create(struct engine *e, const struct ctr_create_opts *o, char ret_id[65],
               struct berr **err)
{
    return make(e, o, false, false, ret_id, NULL, err);
}

int ctr_run(struct engine *e, const struct ctr_create_opts *o, bool attach, char ret_id[65],
            int *ret_fd, struct berr **err)
{
    if (attach)
        *ret_fd = -1;
    return make(e, o, true, attach, ret_id, attach ? ret_fd : NULL, err);
}

/* ---- start ---- */

int ctr_start(struct engine *e, const char *ref, const struct ctr_start_opts *o, int *ret_fd,
              struct berr **err)
{
    _cleanup_ctr_ struct ctr *c = ctr_open(e, ref, err);
    if (!c)
        return -1;
    if (ctr_running(c))
        return berr_set(err, BERR_NOT_MODIFIED, EALREADY, "the container is already running");
    /* one start at a time per store: two starts of one container cannot race */
    _cleanup_close_ int lockfd = ctr_lock(e->root, err);
    if (lockfd < 0 || ctr_reload(e, c, err) < 0)
        return -1;
    if (ctr_running(c))
        return berr_set(err, BERR_NOT_MODIFIED, EALREADY, "the container is already running");
    int sv[2] = {-1, -1};
    if (o->attach && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return berr_sys(err, errno, "attach socket");
    /* whatever a killed monitor left of the last run */
    _cleanup_berr_ struct berr *e2 = NULL;
    rt_delete(e->rtroot, c->id, true, &e2);
    /* in the monitor's process: the root file system, in its own mount namespace */
    json_t *prep __attribute__((cleanup(json_decrefp))) = json_pack("{s:b}", "mount", 1);
    struct monitor_opts mo = {.root = e->root, .rtroot = e->rtroot, .id = c->id};
    monitor_opts_from_record(c->rec, &mo);
    mo.keep_on_failure = true;
    mo.interactive = o->interactive &&
                     json_is_true(json_object_get(json_object_get(c->rec, "Config"), "OpenStdin"));
    mo.attach_fd = sv[1];
    mo.prepare = prep;
    int r = monitor_start(e, &mo, err);
    if (sv[1] >= 0)
        close(sv[1]);
    if (r < 0 || !ret_fd) {
        if (sv[0] >= 0)
            close(sv[0]);
        return r;
    }
    *ret_fd = sv[0];
    return 0;
}

/* ---- attach ---- */

int ctr_attach(struct engine *e, const char *ref, struct berr **err)
{
    _cleanup_ctr_ struct ctr *c = ctr_open(e, ref, err);
    if (!c)
        return -1;
    if (!ctr_running(c))
        return berr_set(err, BERR_CONFLICT, EINVAL,
                        "you cannot attach to a stopped container, start it first");
    int fd = attach_connect(c->dir, err);
    if (fd < 0)
        return -1;
    events_ctr_record(e->runroot, c->id, c->rec, "attach", NULL);
    return fd;
}

/* ---- export ---- */

/* The container's merged root file system, opened: a running one's through its monitor's
 * mount namespace (without the container's own mounts: /proc, volumes); a stopped one's
 * mounted here, in a private namespace (the caller is a helper). */
static int open_rootfs(struct engine *e, const char *id, struct berr **err)
{
    _cleanup_ctr_ struct ctr *c = ctr_open(e, id, err);
    if (!c)
        return -1;
    json_t *st = json_object_get(c->rec, "State");
    pid_t mon = json_integer_value(json_object_get(st, "MonitorPid"));
    uint64_t mstart = json_integer_value(json_object_get(st, "MonitorStart"));
    char path[PATH_MAX + 64];
    if (ctr_running(c)) {
        if (!proc_alive(mon, mstart))
            return berr_set(err, BERR_INVALID, ESRCH,
                            "the container's monitor is gone: stop it, then export it");
        snprintf(path, sizeof(path), "/proc/%d/root%s/rootfs", mon, c->dir);
    } else {
        if (ctr_mount_rootfs(e->root, c->dir, err) < 0)
            return -1;
        snprintf(path, sizeof(path), "%s/rootfs", c->dir);
    }
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return berr_sys(err, errno, "%s", path);
    return fd;
}

int ctr_export_job(struct spawn_job *j, struct berr **err)
{
    const char *id = json_string_value(json_object_get(j->args, "id"));
    if (!id || j->nfds != 1)
        return berr_set(err, BERR_INTERNAL, EINVAL, "export: no container or no fd");
    _cleanup_close_ int rfd = open_rootfs(j->e, id, err);
    if (rfd < 0 || layer_diff(rfd, j->fds[0], LAYER_COMPRESSION_NONE, NULL, err) < 0)
        return -1;
    return 0;
}

int ctr_export(struct engine *e, const char *ref, int fd, struct berr **err)
{
    _cleanup_ctr_ struct ctr *c = ctr_open(e, ref, err);
    if (!c)
        return -1;
    /* in a process of its own: a stopped container's mount goes with it */
    json_t *args __attribute__((cleanup(json_decrefp))) = json_pack("{s:s}", "id", c->id);
    if (spawn_run(e, "export", args, &fd, 1, 0, NULL, err) != 0)
        return berr_code(*err);
    events_ctr_record(e->runroot, c->id, c->rec, "export", NULL);
    return 0;
}

/* ---- the attach protocol, the client's side ---- */

_Static_assert(CTR_ATTACH_MAX == ATTACH_MAX, "the monitor's message size");

int ctr_attach_recv(int fd, char *buf, size_t cap, struct ctr_attach_msg *ret)
{
    ssize_t n;
    do
        n = recv(fd, buf, cap - 1, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if (n == 0)
        return 0;
    buf[n] = 0;
    *ret = (struct ctr_attach_msg){.kind = CTR_ATTACH_OTHER, .data = buf + 1, .len = n - 1};
    switch (buf[0]) {
    case ATTACH_STDOUT: ret->kind = CTR_ATTACH_STDOUT; break;
    case ATTACH_STDERR: ret->kind = CTR_ATTACH_STDERR; break;
    case ATTACH_BUSY: ret->kind = CTR_ATTACH_BUSY; break;
    case ATTACH_EXIT:
        ret->kind = CTR_ATTACH_EXIT;
        ret->exit_code = atoi(buf + 1);
        break;
    }
    return 1;
}

int ctr_attach_input(int fd, const void *data, size_t len)
{
    return attach_send(fd, ATTACH_STDIN, data, len, MSG_DONTWAIT);
}

int ctr_attach_input_end(int fd)
{
    return attach_send(fd, ATTACH_STDIN_EOF, NULL, 0, MSG_DONTWAIT);
}

int ctr_attach_resize(int fd, unsigned short rows, unsigned short cols)
{
    struct winsize ws = {.ws_row = rows, .ws_col = cols};
    return attach_send(fd, ATTACH_RESIZE, &ws, sizeof(ws), MSG_DONTWAIT);
}

int ctr_attach_signal(int fd, int sig)
{
    char s[16];
    return attach_send(fd, ATTACH_SIGNAL, s, snprintf(s, sizeof(s), "%d", sig), MSG_DONTWAIT);
}

/* system.c - docker's info, version, system df and system prune over the engine's records */
#include "engine/system.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/proc.h"
#include "base/xalloc.h"
#include "cgroup/cgroup.h"
#include "engine/config.h"
#include "engine/containers.h"
#include "engine/ctr-ops.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "engine/volumes.h"
#include "image/reference.h"
#include "image/store.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static unsigned long long du_at(int dirfd)
{
    unsigned long long total = 0;
    DIR *d = fdopendir(dirfd);
    if (!d) {
        close(dirfd);
        return 0;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        struct stat s;
        if (fstatat(dirfd, de->d_name, &s, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISDIR(s.st_mode)) {
            int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                total += du_at(sub);
        } else
            total += s.st_size;
    }
    closedir(d);
    return total;
}

/* what `ps -s` counts: the apparent sizes of every file that is not a directory */
unsigned long long sys_du(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? 0 : du_at(fd);
}

static long rfc3339_unix(const char *s)
{
    struct tm tm = {0};
    if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
        return 0;
    return (long)timegm(&tm);
}

/* {"image ID": number of containers whose record names it} */
static json_t *image_users(const char *root)
{
    json_t *users = json_object();
    json_t *ids = ctr_ids(root);
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        _cleanup_free_ char *dir = ctr_dir(root, json_string_value(v));
        _cleanup_free_ char *path = xasprintf("%s/image", dir);
        _cleanup_free_ char *text = NULL;
        _cleanup_berr_ struct berr *e = NULL;
        if (fs_read_file(path, &text, NULL, &e) == 0 && text[0]) {
            json_t *n = json_object_get(users, text);
            json_object_set_new(users, text, json_integer(n ? json_integer_value(n) + 1 : 1));
        }
    }
    json_decref(ids);
    return users;
}

static const char *rec_status(json_t *c)
{
    json_t *st = json_object_get(c, "State");
    if (json_is_true(json_object_get(st, "Paused")))
        return "paused";
    return json_string_value(json_object_get(st, "Status")) ?: "created";
}

static char *os_pretty_name(void)
{
    _cleanup_free_ char *text = NULL;
    _cleanup_berr_ struct berr *e = NULL;
    if (fs_read_file("/etc/os-release", &text, NULL, &e) < 0 &&
        fs_read_file("/usr/lib/os-release", &text, NULL, &e) < 0)
        return xstrdup("Linux");
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "PRETTY_NAME=", 12) != 0)
            continue;
        char *v = line + 12;
        size_t n = strlen(v);
        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
            v[n - 1] = '\0';
            v++;
        }
        return xstrdup(v);
    }
    return xstrdup("Linux");
}

/* the file system type under the root, as docker's "Backing Filesystem" names it */
static const char *backing_fs(const char *root)
{
    struct statfs s;
    if (statfs(root, &s) < 0)
        return "unknown";
    switch ((unsigned long)s.f_type) {
    case 0xEF53: return "extfs";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x01021994: return "tmpfs";
    case 0x794c7630: return "overlayfs";
    case 0x2fc12fc1: return "zfs";
    default: return "unknown";
    }
}

json_t *sys_info(struct engine *e, struct berr **err)
{
    (void)err; /* nothing of it can fail yet; a daemon's version may */
    const char *root = e->root;
    long running = 0, paused = 0, stopped = 0;
    json_t *ids = ctr_ids(root);
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        _cleanup_berr_ struct berr *e2 = NULL;
        json_t *c = ctr_load(root, json_string_value(v), &e2);
        if (!c)
            continue;
        const char *s = rec_status(c);
        if (!strcmp(s, "running") || !strcmp(s, "restarting"))
            running++;
        else if (!strcmp(s, "paused"))
            paused++;
        else
            stopped++;
        json_decref(c);
    }
    size_t ncontainers = json_array_size(ids);
    json_decref(ids);
    size_t nimages = 0;
    {
        _cleanup_berr_ struct berr *e2 = NULL;
        _cleanup_store_ struct store *st = store_open(root, &e2);
        if (st) {
            json_t *im = store_image_ids(st);
            nimages = json_array_size(im);
            json_decref(im);
        }
    }
    struct utsname u;
    uname(&u);
    struct sysinfo si;
    long long memtotal = sysinfo(&si) == 0 ? (long long)si.totalram * si.mem_unit : 0;
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 0] = '\0';
    _cleanup_free_ char *os = os_pretty_name();
    const char *cgver = cg_mode() == CG_MODE_UNIFIED ? "2" : "1";
    return json_pack(
        "{s:s,s:I,s:I,s:I,s:I,s:I,s:s,s:[[s,s],[s,s],[s,s]],s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,"
        "s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:I,s:s,s:s,s:s,s:s,"
        "s:{s:{s:s}},s:s,s:[s,s],s:[],s:{s:s,s:I}}",
        "ID", "", "Containers", (json_int_t)ncontainers, "ContainersRunning", (json_int_t)running,
        "ContainersPaused", (json_int_t)paused, "ContainersStopped", (json_int_t)stopped, "Images",
        (json_int_t)nimages, "Driver", "overlay2", "DriverStatus", "Backing Filesystem",
        backing_fs(root), "Supports d_type", "true", "Native Overlay Diff", "true", "MemoryLimit",
        true, "SwapLimit", true, "CpuCfsPeriod", true, "CpuCfsQuota", true, "CPUShares", true,
        "PidsLimit", true, "IPv4Forwarding", false, "Debug", false, "LoggingDriver", "json-file",
        "CgroupDriver", "cgroupfs", "CgroupVersion", cgver, "KernelVersion", u.release,
        "OperatingSystem", os, "OSVersion", "", "OSType", "linux", "Architecture", u.machine,
        "IndexServerAddress", "https://index.docker.io/v1/", "Name", host, "NCPU",
        (int)sysconf(_SC_NPROCESSORS_ONLN), "MemTotal", memtotal, "DockerRootDir", root,
        "BerthRunRoot", e->runroot, "ServerVersion", BERTH_VERSION, "InitBinary", "berth-init",
        "Runtimes", "berth", "path", exe, "DefaultRuntime", "berth", "SecurityOptions",
        "name=seccomp,profile=default", "name=cgroupns", "Warnings", "BerthConfig", "ConfigFile",
        e->config_path ? e->config_path : CONFIG_DEFAULT_PATH, "DefaultPidsLimit",
        (json_int_t)e->config.default_pids_limit);
}

json_t *sys_version(void)
{
    struct utsname u;
    uname(&u);
    const char *arch = !strcmp(u.machine, "x86_64")    ? "amd64"
                       : !strcmp(u.machine, "aarch64") ? "arm64"
                                                       : u.machine;
#ifdef __clang__
    const char *cc = "clang " __clang_version__;
#else
    const char *cc = "gcc " __VERSION__;
#endif
    return json_pack("{s:{s:s},s:[{s:s,s:s}],s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Platform",
                     "Name", "berth", "Components", "Name", "Engine", "Version", BERTH_VERSION,
                     "Version", BERTH_VERSION, "ApiVersion", SYS_API_VERSION, "MinAPIVersion",
                     SYS_API_VERSION, "GitCommit", "", "GoVersion", cc, "Os", "linux", "Arch", arch,
                     "KernelVersion", u.release, "BuildTime", __DATE__ " " __TIME__);
}

static json_t *image_summary(struct store *st, const char *id, json_t *users, json_t *layer_count,
                             json_t *counted, json_int_t *layers_size)
{
    _cleanup_berr_ struct berr *e = NULL;
    struct image *im = store_get_image(st, id, &e);
    if (!im)
        return NULL;
    json_t *tags = json_array();
    json_t *names = store_image_names(st, id);
    size_t i;
    json_t *nm;
    json_array_foreach(names, i, nm)
    {
        _cleanup_free_ char *tagged = ref_familiar_tagged(json_string_value(nm));
        if (tagged)
            json_array_append_new(tags, json_string(tagged));
    }
    json_decref(names);
    /* a layer two images share counts once in LayersSize, and in SharedSize of each */
    json_int_t shared = 0;
    for (char **l = im->layers; l && *l; l++) {
        _cleanup_free_ char *path = xasprintf("layers/%s/layer.json", *l + 7);
        _cleanup_free_ char *text = NULL;
        _cleanup_berr_ struct berr *e2 = NULL;
        json_int_t size = 0;
        if (fs_read_fileat(st->dirfd, path, &text, NULL, &e2) == 0) {
            json_t *meta = json_loads(text, 0, NULL);
            size = json_integer_value(json_object_get(meta, "size"));
            json_decref(meta);
        }
        if (!json_object_get(counted, *l)) {
            json_object_set_new(counted, *l, json_true());
            *layers_size += size;
        }
        if (json_integer_value(json_object_get(layer_count, *l)) > 1)
            shared += size;
    }
    json_t *n = json_object_get(users, id);
    json_t *labels = json_object_get(json_object_get(im->config, "config"), "Labels");
    json_t *row = json_pack(
        "{s:s,s:s,s:o,s:[],s:I,s:I,s:I,s:I,s:O,s:I}", "Id", id, "ParentId", "", "RepoTags", tags,
        "RepoDigests", "Created",
        (json_int_t)rfc3339_unix(json_string_value(json_object_get(im->config, "created"))), "Size",
        (json_int_t)im->size, "SharedSize", shared, "VirtualSize", (json_int_t)im->size, "Labels",
        json_is_object(labels) ? labels : json_null(), "Containers",
        n ? json_integer_value(n) : (json_int_t)0);
    image_free(im);
    return row;
}

json_t *sys_df(struct engine *e, struct berr **err)
{
    const char *root = e->root;
    _cleanup_store_ struct store *st = store_open(root, err);
    if (!st)
        return NULL;
    json_t *users = image_users(root);
    json_t *ids = store_image_ids(st);
    /* how many images hold each layer, for SharedSize */
    json_t *layer_count = json_object();
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        _cleanup_berr_ struct berr *e2 = NULL;
        struct image *im = store_get_image(st, json_string_value(v), &e2);
        for (char **l = im ? im->layers : NULL; l && *l; l++) {
            json_t *c = json_object_get(layer_count, *l);
            json_object_set_new(layer_count, *l, json_integer(c ? json_integer_value(c) + 1 : 1));
        }
        image_free(im);
    }
    json_int_t layers_size = 0;
    json_t *images = json_array(), *counted = json_object();
    json_array_foreach(ids, i, v)
    {
        json_t *row =
            image_summary(st, json_string_value(v), users, layer_count, counted, &layers_size);
        if (row)
            json_array_append_new(images, row);
    }
    json_decref(counted);
    json_decref(ids);
    json_decref(layer_count);
    json_decref(users);

    json_t *containers = json_array();
    json_t *cids = ctr_ids(root);
    json_array_foreach(cids, i, v)
    {
        const char *id = json_string_value(v);
        _cleanup_berr_ struct berr *e2 = NULL;
        json_t *c = ctr_load(root, id, &e2);
        if (!c)
            continue;
        _cleanup_free_ char *dir = ctr_dir(root, id);
        _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
        const char *name = json_string_value(json_object_get(c, "Name")) ?: "";
        json_t *cmd = json_array();
        json_array_append_new(cmd, json_object_get(c, "Path")
                                       ? json_incref(json_object_get(c, "Path"))
                                       : json_string(""));
        size_t k;
        json_t *a;
        json_array_foreach(json_object_get(c, "Args"), k, a) json_array_append(cmd, a);
        json_t *state = json_object_get(c, "State");
        json_array_append_new(
            containers,
            json_pack("{s:s,s:[s+],s:s,s:s,s:o,s:I,s:s,s:s,s:I,s:O,s:O}", "Id", id, "Names", "/",
                      name[0] == '/' ? name + 1 : name, "Image",
                      json_string_value(json_object_get(c, "ImageName")) ?: "", "ImageID",
                      json_string_value(json_object_get(c, "Image")) ?: "", "Command", cmd,
                      "Created",
                      (json_int_t)rfc3339_unix(json_string_value(json_object_get(c, "Created"))),
                      "State", rec_status(c), "Status",
                      json_string_value(json_object_get(state, "Status")) ?: "created", "SizeRw",
                      (json_int_t)sys_du(upper), "Labels",
                      json_object_get(json_object_get(c, "Config"), "Labels") ?: json_null(),
                      "Mounts", json_object_get(c, "Mounts") ?: json_null()));
        json_decref(c);
    }
    json_decref(cids);

    json_t *vols = vol_list(root);
    json_array_foreach(vols, i, v)
    {
        const char *name = json_string_value(json_object_get(v, "Name"));
        json_t *u = vol_users(root, name);
        _cleanup_free_ char *data = xasprintf("%s/volumes/%s/_data", root, name);
        json_object_set_new(v, "UsageData",
                            json_pack("{s:I,s:I}", "Size", (json_int_t)sys_du(data), "RefCount",
                                      (json_int_t)json_array_size(u)));
        json_decref(u);
    }
    return json_pack("{s:I,s:o,s:o,s:o,s:[]}", "LayersSize", layers_size, "Images", images,
                     "Containers", containers, "Volumes", vols, "BuildCache");
}

static void prune_containers(const char *root, const char *runroot, const struct sys_prune_opts *o,
                             json_t *out, json_int_t *reclaimed)
{
    json_t *ids = ctr_ids(root);
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        const char *id = json_string_value(v);
        _cleanup_berr_ struct berr *e = NULL;
        json_t *c = ctr_load(root, id, &e);
        const char *status =
            json_string_value(json_object_get(json_object_get(c, "State"), "Status"));
        _cleanup_free_ char *dir = ctr_dir(root, id);
        _cleanup_free_ char *owner = xasprintf("%s/owner", dir);
        _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
        bool old = o->until <= 0 ||
                   rfc3339_unix(json_string_value(json_object_get(c, "Created"))) < o->until;
        /* a container whose run or start is still setting it up looks "created": its owner
         * (that process, or its monitor) lives, and it stays */
        if (c && status && strcmp(status, "running") != 0 && strcmp(status, "paused") != 0 && old &&
            proc_owner_alive(owner) != 1) {
            unsigned long long size = sys_du(upper);
            _cleanup_berr_ struct berr *e2 = NULL;
            if (ctr_remove_stopped(root, runroot, id, &e2) == 0) {
                events_ctr_record(runroot, id, c, "destroy", NULL);
                json_array_append_new(out, json_string(id));
                *reclaimed += size;
            }
        }
        json_decref(c);
    }
    json_decref(ids);
}

int sys_container_prune(struct engine *e, const struct sys_prune_opts *o, json_t *out,
                        json_int_t *reclaimed, struct berr **err)
{
    /* serialised with container creation and removal: a container being made stays */
    _cleanup_close_ int lock = ctr_lock(e->root, err);
    if (lock < 0)
        return lock;
    prune_containers(e->root, e->runroot, o, out, reclaimed);
    return 0;
}

static bool image_mounted(struct store *st, const char *id)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "mounts/%s", id + 7);
    return faccessat(st->dirfd, rel, F_OK, 0) == 0;
}

int sys_image_prune(struct engine *e, const struct sys_prune_opts *o, json_t *out,
                    json_int_t *reclaimed, struct berr **err)
{
    const char *runroot = e->runroot;
    _cleanup_store_ struct store *st = store_open(e->root, err);
    if (!st || store_lock(st, err) < 0)
        return -1;
    json_t *users = image_users(e->root);
    json_t *ids = store_image_ids(st);
    int rc = 0;
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        const char *id = json_string_value(v);
        json_t *names = store_image_names(st, id);
        bool dangling = json_array_size(names) == 0;
        _cleanup_berr_ struct berr *e2 = NULL;
        struct image *im = store_get_image(st, id, &e2);
        uint64_t size = im ? im->size : 0;
        bool old = o->until <= 0 ||
                   (im && rfc3339_unix(json_string_value(json_object_get(im->config, "created"))) <
                              o->until);
        image_free(im);
        if ((dangling || o->all) && old && !json_object_get(users, id) && !image_mounted(st, id)) {
            size_t k;
            json_t *nm;
            json_array_foreach(names, k, nm)
            {
                _cleanup_berr_ struct berr *e2 = NULL;
                store_untag(st, json_string_value(nm), &e2);
                _cleanup_free_ char *tagged = ref_familiar_tagged(json_string_value(nm));
                json_array_append_new(out, json_pack("{s:s}", "Untagged", tagged ? tagged : "?"));
                events_note(runroot, "image", "untag", id, json_pack("{s:s}", "name", id));
            }
            if (store_remove_image(st, id, err) < 0) {
                rc = -1;
                json_decref(names);
                break;
            }
            json_array_append_new(out, json_pack("{s:s}", "Deleted", id));
            events_note(runroot, "image", "delete", id, json_pack("{s:s}", "name", id));
            *reclaimed += size;
        }
        json_decref(names);
    }
    json_decref(ids);
    json_decref(users);
    return rc;
}

json_t *sys_prune(struct engine *e, const struct sys_prune_opts *o, struct berr **err)
{
    const char *root = e->root, *runroot = e->runroot;
    json_t *cdel = json_array(), *idel = json_array(), *vdel = json_array();
    json_int_t reclaimed = 0;
    {
        /* serialised with container creation and removal: a container being made stays */
        _cleanup_close_ int lock = ctr_lock(root, err);
        if (lock < 0)
            goto fail;
        prune_containers(root, runroot, o, cdel, &reclaimed);
        if (o->volumes) {
            json_t *vs = vol_list(root);
            size_t i;
            json_t *v;
            json_array_foreach(vs, i, v)
            {
                const char *name = json_string_value(json_object_get(v, "Name"));
                _cleanup_free_ char *data = xasprintf("%s/volumes/%s/_data", root, name);
                unsigned long long size = sys_du(data);
                _cleanup_berr_ struct berr *e2 = NULL;
                if (vol_remove(root, name, false, &e2) == 0) {
                    events_note(runroot, "volume", "destroy", name,
                                json_pack("{s:s}", "driver", "local"));
                    json_array_append_new(vdel, json_string(name));
                    reclaimed += size;
                }
            }
            json_decref(vs);
        }
    }
    if (sys_image_prune(e, o, idel, &reclaimed, err) < 0)
        goto fail;
    return json_pack("{s:o,s:o,s:o,s:I}", "ContainersDeleted", cdel, "ImagesDeleted", idel,
                     "VolumesDeleted", vdel, "SpaceReclaimed", reclaimed);
fail:
    json_decref(cdel);
    json_decref(idel);
    json_decref(vdel);
    return NULL;
}

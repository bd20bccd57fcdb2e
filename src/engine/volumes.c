/* volumes.c - named volumes and run's mounts */
#include "volumes.h"
#include "containers.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "engine/system.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/quote.h"
#include "oci/runtime-spec.h"
#include "runtime/state.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static const char name_first[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

int vol_check_name(const char *name, struct berr **err)
{
    size_t n = strlen(name);
    if (n < 2 || n > 255 || !strchr(name_first, name[0]) ||
        strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n) {
        char q[QUOTE_SIZE];
        quote_str(q, sizeof(q), name);
        return berr_set(err, BERR_INVALID, EINVAL,
                        "invalid volume name %s: use [a-zA-Z0-9][a-zA-Z0-9_.-]+ (or an "
                        "absolute path for a bind mount)",
                        q);
    }
    return 0;
}

json_t *vol_get(const char *root, const char *name, bool create, bool *ret_created,
                struct berr **err)
{
    char hex[65];
    bool anon = !name;
    if (anon) {
        uint8_t r[32];
        if (getrandom(r, sizeof(r), 0) != sizeof(r)) {
            berr_sys(err, errno, "volume: random name");
            return NULL;
        }
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", r[i]);
        name = hex;
    } else if (vol_check_name(name, err) < 0) {
        return NULL;
    }
    char dir[4200], meta[4300], data[4300];
    snprintf(dir, sizeof(dir), "%s/volumes/%s", root, name);
    snprintf(meta, sizeof(meta), "%s/volume.json", dir);
    snprintf(data, sizeof(data), "%s/_data", dir);
    if (ret_created)
        *ret_created = false;
    json_t *v = json_load_file(meta, 0, NULL);
    if (v || !create) {
        if (!v)
            berr_set(err, BERR_NOT_FOUND, ENOENT, "no such volume: %s", name);
        return v;
    }
    /* modes exact, whatever the umask: the record root's alone, the data as an empty
     * directory of an image is (copy-up gives it the image's mode) */
    _cleanup_close_ int datafd = -1;
    if (fs_mkdir_p(dir, 0700) < 0 || chmod(dir, 0700) < 0 ||
        (mkdir(data, 0755) < 0 && errno != EEXIST) ||
        (datafd = open(data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
        fchmod(datafd, 0755) < 0) {
        berr_sys(err, errno, "volume %s: %s", name, data);
        return NULL;
    }
    char now[64];
    rt_now_rfc3339(now, sizeof(now));
    v = json_pack("{s:s,s:s,s:s,s:s,s:{},s:s,s:b}", "Name", name, "Driver", "local", "Mountpoint",
                  data, "CreatedAt", now, "Labels", "Scope", "local", "Anonymous", anon);
    _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    _cleanup_free_ char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    if (dfd < 0 || fs_write_atomic(dfd, "volume.json", text, strlen(text), 0600, err) < 0) {
        if (!*err)
            berr_sys(err, errno, "volume %s", name);
        json_decref(v);
        fs_rm_rf(dir);
        return NULL;
    }
    if (ret_created)
        *ret_created = true;
    return v;
}

json_t *vol_list(const char *root)
{
    json_t *out = json_array();
    char path[4200];
    snprintf(path, sizeof(path), "%s/volumes", root);
    struct dirent **ents = NULL;
    int n = scandir(path, &ents, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        if (ents[i]->d_name[0] != '.') {
            _cleanup_berr_ struct berr *e = NULL;
            json_t *v = vol_get(root, ents[i]->d_name, false, NULL, &e);
            if (v)
                json_array_append_new(out, v);
        }
        free(ents[i]);
    }
    free(ents);
    return out;
}

/* the Engine API's Volume of a record: what the record keeps for berth alone (Anonymous) stays
 * out, and Options (none can be given yet) is there, as docker always sends it */
static json_t *volume_doc(json_t *rec)
{
    json_t *labels = json_object_get(rec, "Labels");
    json_t *v = json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:{}}", "Name",
                          json_string_value(json_object_get(rec, "Name")) ?: "", "Driver",
                          json_string_value(json_object_get(rec, "Driver")) ?: "local",
                          "Mountpoint", json_string_value(json_object_get(rec, "Mountpoint")) ?: "",
                          "CreatedAt", json_string_value(json_object_get(rec, "CreatedAt")) ?: "",
                          "Labels", json_is_object(labels) ? json_incref(labels) : json_object(),
                          "Scope", "local", "Options");
    json_decref(rec);
    return v;
}

json_t *vol_create(struct engine *e, const char *name, struct berr **err)
{
    json_t *v = vol_get(e->root, name, true, NULL, err);
    if (!v)
        return NULL;
    events_note(e->runroot, "volume", "create", json_string_value(json_object_get(v, "Name")),
                json_pack("{s:s}", "driver", "local"));
    return volume_doc(v);
}

json_t *vol_inspect(struct engine *e, const char *name, struct berr **err)
{
    json_t *v = vol_get(e->root, name, false, NULL, err);
    return v ? volume_doc(v) : NULL;
}

json_t *vol_ls(struct engine *e, struct berr **err)
{
    (void)err; /* a volume that cannot be read is left out, as docker leaves it */
    json_t *vs = vol_list(e->root), *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(vs, i, v) json_array_append_new(out, volume_doc(json_incref(v)));
    json_decref(vs);
    return json_pack("{s:o,s:[]}", "Volumes", out, "Warnings");
}

int vol_destroy(struct engine *e, const char *name, bool force, struct berr **err)
{
    /* serialised with container creation: a volume a new container names stays */
    _cleanup_close_ int lock = ctr_lock(e->root, err);
    if (lock < 0 || vol_remove(e->root, name, force, err) < 0)
        return -1;
    events_note(e->runroot, "volume", "destroy", name, json_pack("{s:s}", "driver", "local"));
    return 0;
}

json_t *vol_prune(struct engine *e, struct berr **err)
{
    /* serialised with container creation: a volume a new container names stays */
    _cleanup_close_ int lock = ctr_lock(e->root, err);
    if (lock < 0)
        return NULL;
    json_t *deleted = json_array();
    json_int_t reclaimed = 0;
    json_t *vs = vol_list(e->root);
    size_t i;
    json_t *v;
    json_array_foreach(vs, i, v)
    {
        const char *name = json_string_value(json_object_get(v, "Name"));
        if (!json_is_true(json_object_get(v, "Anonymous")))
            continue;
        unsigned long long size = sys_du(json_string_value(json_object_get(v, "Mountpoint")));
        _cleanup_berr_ struct berr *e2 = NULL;
        if (vol_remove(e->root, name, false, &e2) == 0) {
            events_note(e->runroot, "volume", "destroy", name,
                        json_pack("{s:s}", "driver", "local"));
            json_array_append_new(deleted, json_string(name));
            reclaimed += size;
        }
    }
    json_decref(vs);
    return json_pack("{s:o,s:I}", "VolumesDeleted", deleted, "SpaceReclaimed", reclaimed);
}

json_t *vol_users(const char *root, const char *name)
{
    json_t *users = json_array();
    json_t *ids = ctr_ids(root);
    size_t i, j;
    json_t *id, *m;
    json_array_foreach(ids, i, id)
    {
        _cleanup_berr_ struct berr *e = NULL;
        json_t *c = ctr_load(root, json_string_value(id), &e);
        json_array_foreach(json_object_get(c, "Mounts"), j, m)
        {
            const char *n = json_string_value(json_object_get(m, "Name"));
            if (n && !strcmp(n, name)) {
                char s[13];
                snprintf(s, sizeof(s), "%.12s", json_string_value(id));
                json_array_append_new(users, json_string(s));
                break;
            }
        }
        json_decref(c);
    }
    json_decref(ids);
    return users;
}

int vol_remove(const char *root, const char *name, bool force, struct berr **err)
{
    struct berr *e = NULL;
    json_t *v = vol_get(root, name, false, NULL, &e);
    if (!v) {
        bool gone = e && e->kind == BERR_NOT_FOUND;
        if (force && gone) {
            berr_free(e);
            return 0;
        }
        if (!*err)
            *err = e;
        else
            berr_free(e);
        return -1;
    }
    json_decref(v);
    json_t *users = vol_users(root, name);
    if (json_array_size(users)) {
        int r = berr_set(err, BERR_CONFLICT, EBUSY,
                         "volume %s is in use by container %s: remove the container first", name,
                         json_string_value(json_array_get(users, 0)));
        json_decref(users);
        return r;
    }
    json_decref(users);
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s/volumes/%s", root, name);
    if (fs_rm_rf(dir) < 0)
        return berr_sys(err, errno, "volume %s: remove", name);
    return 0;
}

/* "ro", "rw", propagation and SELinux label options of -v */
static int mount_opts(json_t *m, const char *opts, struct berr **err)
{
    _cleanup_free_ char *copy = strdup(opts);
    char *save = NULL;
    for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
        if (!strcmp(o, "ro") || !strcmp(o, "readonly"))
            json_object_set_new(m, "RW", json_false());
        else if (!strcmp(o, "rw"))
            json_object_set_new(m, "RW", json_true());
        else if (!strcmp(o, "shared") || !strcmp(o, "rshared") || !strcmp(o, "slave") ||
                 !strcmp(o, "rslave") || !strcmp(o, "private") || !strcmp(o, "rprivate"))
            json_object_set_new(m, "Propagation", json_string(o));
        else if (!strcmp(o, "nocopy"))
            json_object_set_new(m, "NoCopy", json_true());
        else if (!strcmp(o, "z") || !strcmp(o, "Z"))
            continue; /* SELinux relabelling: this host has no SELinux to relabel for */
        else
            return berr_set(err, BERR_INVALID, EINVAL, "unknown mount option \"%s\"", o);
    }
    return 0;
}

/* --tmpfs DST:OPTS and --mount type=tmpfs take tmpfs's own options and the mount flags, as
 * podman does: nothing else reaches the kernel's mount call ("bind" or "rbind" would turn
 * the tmpfs into a bind mount of a host path) */
static int tmpfs_option(const char *o, struct berr **err)
{
    static const char *const flags[] = {
        "ro",         "rw",          "nosuid",        "suid",       "nodev",    "dev",   "noexec",
        "exec",       "sync",        "async",         "dirsync",    "noatime",  "atime", "relatime",
        "norelatime", "strictatime", "nostrictatime", "nodiratime", "diratime", NULL};
    static const char *const huge[] = {"never", "always", "within_size", "advise",
                                       "deny",  "force",  NULL};
    for (const char *const *f = flags; *f; f++)
        if (!strcmp(o, *f))
            return 0;
    const char *eq = strchr(o, '=');
    const char *v = eq ? eq + 1 : "";
    size_t kl = eq ? (size_t)(eq - o) : strlen(o);
    size_t digits = strspn(v, "0123456789");
    bool ok = false;
    uint32_t id;
    if (!eq || !*v)
        ok = false;
    else if ((kl == 4 && !strncmp(o, "size", 4)) || (kl == 9 && !strncmp(o, "nr_blocks", 9)) ||
             (kl == 9 && !strncmp(o, "nr_inodes", 9)))
        ok = digits && (!v[digits] || (strchr("kKmMgGtTpPeE%", v[digits]) && !v[digits + 1]));
    else if (kl == 4 && !strncmp(o, "mode", 4))
        ok = strlen(v) <= 4 && strspn(v, "01234567") == strlen(v);
    else if ((kl == 3 && !strncmp(o, "uid", 3)) || (kl == 3 && !strncmp(o, "gid", 3)))
        ok = spec_parse_id(v, &id) == 0;
    else if (kl == 4 && !strncmp(o, "huge", 4))
        for (const char *const *h = huge; *h && !ok; h++)
            ok = !strcmp(v, *h);
    else if (kl == 4 && !strncmp(o, "mpol", 4))
        ok = strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789:-") == strlen(v);
    else {
        char q[QUOTE_SIZE];
        quote_str(q, sizeof(q), o);
        return berr_set(err, BERR_INVALID, EINVAL,
                        "tmpfs option %s is not supported: use size, mode, uid, gid, nr_inodes, "
                        "nr_blocks, huge, mpol and the mount flags (ro, nosuid, noexec, ...)",
                        q);
    }
    if (!ok) {
        char q[QUOTE_SIZE];
        quote_str(q, sizeof(q), o);
        return berr_set(err, BERR_INVALID, EINVAL, "tmpfs option %s: invalid value", q);
    }
    return 0;
}

static json_t *make_mount(const char *root, const char *type, const char *src, const char *dst,
                          struct berr **err)
{
    if (!dst || dst[0] != '/')
        return berr_set(err, BERR_INVALID, EINVAL,
                        "the mount destination \"%s\" must be an absolute path", dst ? dst : ""),
               NULL;
    if (!strcmp(dst, "/"))
        return berr_set(err, BERR_INVALID, EINVAL, "the mount destination must not be \"/\""), NULL;
    json_t *m = json_pack("{s:s,s:s,s:b}", "Type", type, "Destination", dst, "RW", 1);
    if (!strcmp(type, "bind")) {
        struct stat s;
        if (!src || src[0] != '/' || stat(src, &s) < 0) {
            berr_set(err, BERR_INVALID, ENOENT, "bind source path does not exist: %s",
                     src ? src : "");
            json_decref(m);
            return NULL;
        }
        json_object_set_new(m, "Source", json_string(src));
    } else if (!strcmp(type, "volume")) {
        bool created = false;
        json_t *v = vol_get(root, src, true, &created, err);
        if (!v) {
            json_decref(m);
            return NULL;
        }
        json_object_set(m, "Name", json_object_get(v, "Name"));
        json_object_set(m, "Source", json_object_get(v, "Mountpoint"));
        json_object_set_new(m, "Driver", json_string("local"));
        if (created)
            json_object_set_new(m, "New", json_true());
        if (json_is_true(json_object_get(v, "Anonymous")))
            json_object_set_new(m, "Anonymous", json_true());
        json_decref(v);
    } else {
        json_object_set_new(m, "Source", json_string(""));
        json_object_set_new(m, "Options", json_pack("[s,s,s]", "noexec", "nosuid", "nodev"));
    }
    return m;
}

json_t *vol_parse_mount(const char *root, const char *arg, int kind, struct berr **err)
{
    _cleanup_free_ char *copy = strdup(arg);
    json_t *m = NULL;
    if (kind == VOL_ARG_TMPFS) {
        char *opts = strchr(copy, ':');
        if (opts)
            *opts++ = 0;
        m = make_mount(root, "tmpfs", NULL, copy, err);
        for (char *save = NULL, *o = opts ? strtok_r(opts, ",", &save) : NULL; m && o;
             o = strtok_r(NULL, ",", &save)) {
            if (tmpfs_option(o, err) < 0) {
                json_decref(m);
                return NULL;
            }
            json_array_append_new(json_object_get(m, "Options"), json_string(o));
        }
    } else if (kind == VOL_ARG_V) {
        /* SRC:DST[:OPTS] or DST (an anonymous volume); an empty part is an error, as in
         * docker, not skipped (":/data" is no anonymous volume) */
        if (!*arg || arg[0] == ':' || arg[strlen(arg) - 1] == ':' || strstr(arg, "::"))
            return berr_set(err, BERR_INVALID, EINVAL,
                            "-v %s: an empty section between colons: use SRC:DST[:OPTS]", arg),
                   NULL;
        char *parts[4] = {0};
        int n = 0;
        for (char *save = NULL, *p = strtok_r(copy, ":", &save); p && n < 4;
             p = strtok_r(NULL, ":", &save))
            parts[n++] = p;
        if (n == 0 || n > 3)
            return berr_set(err, BERR_INVALID, EINVAL, "-v %s: use SRC:DST[:OPTS]", arg), NULL;
        const char *src = n == 1 ? NULL : parts[0], *dst = n == 1 ? parts[0] : parts[1];
        m = make_mount(root, src && src[0] == '/' ? "bind" : "volume", src, dst, err);
        if (m && n == 3 && mount_opts(m, parts[2], err) < 0) {
            json_decref(m);
            m = NULL;
        }
    } else {
        /* --mount type=bind,source=/a,target=/b,readonly */
        const char *type = "volume", *src = NULL, *dst = NULL;
        bool ro = false;
        json_t *extra = json_array();
        for (char *save = NULL, *kv = strtok_r(copy, ",", &save); kv;
             kv = strtok_r(NULL, ",", &save)) {
            char *val = strchr(kv, '=');
            if (val)
                *val++ = 0;
            if (!strcmp(kv, "type") && val)
                type = val;
            else if ((!strcmp(kv, "source") || !strcmp(kv, "src")) && val)
                src = val;
            else if ((!strcmp(kv, "target") || !strcmp(kv, "destination") || !strcmp(kv, "dst")) &&
                     val)
                dst = val;
            else if (!strcmp(kv, "readonly") || !strcmp(kv, "ro"))
                ro = !val || !strcmp(val, "true") || !strcmp(val, "1");
            else if (!strcmp(kv, "tmpfs-size") && val)
                json_array_append_new(extra, json_sprintf("size=%s", val));
            else if (!strcmp(kv, "tmpfs-mode") && val)
                json_array_append_new(extra, json_sprintf("mode=%s", val));
            else if (!strcmp(kv, "bind-propagation") && val)
                json_array_append_new(extra, json_string(val));
            else if (!strcmp(kv, "volume-nocopy"))
                json_array_append_new(extra, json_string("nocopy"));
            else {
                json_decref(extra);
                return berr_set(err, BERR_INVALID, EINVAL, "--mount %s: unknown key \"%s\"", arg,
                                kv),
                       NULL;
            }
        }
        if (strcmp(type, "bind") && strcmp(type, "volume") && strcmp(type, "tmpfs")) {
            json_decref(extra);
            return berr_set(err, BERR_INVALID, EINVAL,
                            "--mount type=%s: only bind, volume and tmpfs exist", type),
                   NULL;
        }
        if (!strcmp(type, "bind") && !src) {
            json_decref(extra);
            return berr_set(err, BERR_INVALID, EINVAL, "--mount %s: a bind needs a source", arg),
                   NULL;
        }
        bool tmpfs = !strcmp(type, "tmpfs");
        m = make_mount(root, type, tmpfs ? NULL : src, dst, err);
        size_t i;
        json_t *e;
        json_array_foreach(extra, i, e)
        {
            const char *s = json_string_value(e);
            if (!m)
                break;
            /* docker's rule: tmpfs-* keys only with type=tmpfs, bind-* and volume-* never */
            bool tmpfs_key = !strncmp(s, "size=", 5) || !strncmp(s, "mode=", 5);
            int r = 0;
            if (tmpfs != tmpfs_key)
                r = berr_set(err, BERR_INVALID, EINVAL,
                             "--mount %s: %s is not an option of type=%s", arg,
                             tmpfs_key ? (s[0] == 's' ? "tmpfs-size" : "tmpfs-mode") : s, type);
            else if (tmpfs && (r = tmpfs_option(s, err)) == 0)
                json_array_append(json_object_get(m, "Options"), e);
            else if (!tmpfs)
                r = mount_opts(m, s, err);
            if (r < 0) {
                json_decref(m);
                m = NULL;
            }
        }
        json_decref(extra);
        if (m && ro)
            json_object_set_new(m, "RW", json_false());
    }
    return m;
}

/* Owner, mode and times of a copied entry, through an fd on it (fd; or for a fifo or symlink,
 * made by us a moment ago, its name in `to` without following a link): never by a path
 * that a link could send to a host file. */
static void copy_attrs(int to, const char *name, int fd, const struct stat *s)
{
    struct timespec t[2] = {s->st_atim, s->st_mtim};
    if (fd >= 0) {
        /* chown first: it clears set-id bits, which the chmod then restores */
        if (fchown(fd, s->st_uid, s->st_gid) < 0 || fchmod(fd, s->st_mode & 07777) < 0 ||
            futimens(fd, t) < 0)
            log_debug("copy-up: %s: %s", name, strerror(errno));
        return;
    }
    fchownat(to, name, s->st_uid, s->st_gid, AT_SYMLINK_NOFOLLOW);
    /* glibc does this through an O_PATH|O_NOFOLLOW fd; a symlink has no mode of its own */
    if (!S_ISLNK(s->st_mode))
        fchmodat(to, name, s->st_mode & 07777, AT_SYMLINK_NOFOLLOW);
    utimensat(to, name, t, AT_SYMLINK_NOFOLLOW);
}

/* docker's copy-up: the image's files at a new volume's destination go into the volume.
 * Directories, regular files, symlinks (as links) and fifos are copied; device nodes and
 * sockets never: a device node of the image in the host's volume directory would open the
 * host's device for whoever can reach it there (and a volume outlives its containers). */
static int copy_tree(int from, int to, struct berr **err)
{
    _cleanup_closedir_ DIR *d = fdopendir(fcntl(from, F_DUPFD_CLOEXEC, 0));
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        struct stat s;
        if (fstatat(from, de->d_name, &s, AT_SYMLINK_NOFOLLOW) < 0)
            return berr_sys(err, errno, "copy-up: %s", de->d_name);
        if (S_ISDIR(s.st_mode)) {
            if (mkdirat(to, de->d_name, 0700) < 0 && errno != EEXIST)
                return berr_sys(err, errno, "copy-up: mkdir %s", de->d_name);
            _cleanup_close_ int a =
                openat(from, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            _cleanup_close_ int b =
                openat(to, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (a < 0 || b < 0)
                return berr_sys(err, errno, "copy-up: %s", de->d_name);
            if (copy_tree(a, b, err) < 0)
                return -1;
            copy_attrs(to, de->d_name, b, &s);
        } else if (S_ISREG(s.st_mode)) {
            _cleanup_close_ int a = openat(from, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            _cleanup_close_ int b =
                openat(to, de->d_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
            if (a < 0 || b < 0)
                return berr_sys(err, errno, "copy-up: %s", de->d_name);
            char buf[65536];
            ssize_t n;
            while ((n = read(a, buf, sizeof(buf))) > 0)
                if (write(b, buf, n) != n)
                    return berr_sys(err, errno, "copy-up: write %s", de->d_name);
            if (n < 0)
                return berr_sys(err, errno, "copy-up: read %s", de->d_name);
            copy_attrs(to, de->d_name, b, &s);
        } else if (S_ISLNK(s.st_mode) || S_ISFIFO(s.st_mode)) {
            int r;
            if (S_ISLNK(s.st_mode)) {
                char target[4096];
                ssize_t n = readlinkat(from, de->d_name, target, sizeof(target) - 1);
                if (n < 0)
                    return berr_sys(err, errno, "copy-up: readlink %s", de->d_name);
                target[n] = 0;
                r = symlinkat(target, to, de->d_name);
            } else {
                r = mknodat(to, de->d_name, S_IFIFO | 0600, 0);
            }
            /* something already there (put by another container of the volume) is left
             * alone: its attributes are not ours to set */
            if (r < 0 && errno == EEXIST)
                continue;
            if (r < 0)
                return berr_sys(err, errno, "copy-up: %s", de->d_name);
            copy_attrs(to, de->d_name, -1, &s);
        } else {
            log_debug("copy-up: %s: a device node or socket, not copied", de->d_name);
        }
    }
    return 0;
}

int vol_apply(json_t *spec, json_t *mounts, const char *rootfs, struct berr **err)
{
    json_t *sm = json_object_get(spec, "mounts");
    size_t i;
    json_t *m;
    json_array_foreach(mounts, i, m)
    {
        const char *type = json_string_value(json_object_get(m, "Type"));
        const char *src = json_string_value(json_object_get(m, "Source"));
        const char *dst = json_string_value(json_object_get(m, "Destination"));
        bool rw = json_is_true(json_object_get(m, "RW"));
        if (!strcmp(type, "volume") && json_is_true(json_object_get(m, "New")) &&
            !json_is_true(json_object_get(m, "NoCopy"))) {
            _cleanup_close_ int rfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
            _cleanup_close_ int from =
                rfd < 0 ? -1 : fs_openat_in_root(rfd, dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
            _cleanup_close_ int to = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (from >= 0 && to >= 0 && copy_tree(from, to, err) < 0)
                return -1;
            struct stat s;
            if (from >= 0 && to >= 0 && fstat(from, &s) == 0)
                copy_attrs(-1, src, to, &s);
        }
        json_object_del(m, "New");
        json_t *opts = json_array();
        if (!strcmp(type, "tmpfs")) {
            json_array_extend(opts, json_object_get(m, "Options"));
        } else {
            json_array_append_new(opts, json_string("rbind"));
            const char *prop = json_string_value(json_object_get(m, "Propagation"));
            json_array_append_new(opts, json_string(prop ? prop : "rprivate"));
        }
        json_array_append_new(opts, json_string(rw ? "rw" : "ro"));
        json_array_append_new(sm,
                              json_pack("{s:s,s:s,s:s,s:o}", "destination", dst, "type",
                                        !strcmp(type, "tmpfs") ? "tmpfs" : "bind", "source",
                                        !strcmp(type, "tmpfs") ? "tmpfs" : src, "options", opts));
    }
    return 0;
}

void vol_remove_anonymous(const char *root, json_t *mounts)
{
    size_t i;
    _cleanup_berr_ struct berr *e = NULL;
    json_t *m;
    json_array_foreach(mounts, i, m) if (json_is_true(json_object_get(m, "Anonymous")))
        vol_remove(root, json_string_value(json_object_get(m, "Name")), true, &e);
}

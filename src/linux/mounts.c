/* mounts.c - the container's root filesystem: spec mounts, /dev, pivot_root, masked paths.
 *
 * Every mount target is opened inside the rootfs with RESOLVE_IN_ROOT and mounted on through
 * /proc/self/fd/N, so a symlink in a hostile image (or one swapped in while we work) can never
 * make a mount land on the host. */
#include "init.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "lsm.h"
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif

/* Flags of the mount at path that an unprivileged user namespace may not clear ("locked"). */
static unsigned long locked_flags(const char *path)
{
    struct statvfs sv;
    if (statvfs(path, &sv) < 0)
        return 0;
    unsigned long f = 0;
    if (sv.f_flag & ST_NOSUID)
        f |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV)
        f |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC)
        f |= MS_NOEXEC;
    if (sv.f_flag & ST_RDONLY)
        f |= MS_RDONLY;
    if (sv.f_flag & ST_NOATIME)
        f |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME)
        f |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME)
        f |= MS_RELATIME;
    return f;
}

/* Remounts the bind mount at `target` with flags; in a user namespace the kernel refuses to
 * clear flags it locked, so keep those of the source. */
static int remount_bind(const char *target, unsigned long flags, const char *field,
                        struct berr **err)
{
    unsigned long f = MS_REMOUNT | MS_BIND | flags;
    if (mount(NULL, target, NULL, f, NULL) == 0)
        return 0;
    if (errno == EPERM) {
        unsigned long keep = locked_flags(target) & ~MS_RDONLY;
        if (mount(NULL, target, NULL, f | keep, NULL) == 0)
            return 0;
    }
    return berr_sys(err, errno, "%s: remount with flags", field);
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* The kernel's own file systems whose files steer the host (core_pattern, release_agent,
 * ...): the masks and read-only binds made for them later find them by name, so they must
 * land exactly where named. A symlink on the way (`/proc -> /run/p -> /realproc`, the link's
 * directory then hidden by a later mount) would put procfs where no mask reaches it. */
static long kernel_fs_magic(const char *type)
{
    static const struct {
        const char *type;
        long magic;
    } fs[] = {
        {"proc", PROC_SUPER_MAGIC},     {"sysfs", SYSFS_MAGIC}, {"mqueue", MQUEUE_MAGIC},
        {"devpts", DEVPTS_SUPER_MAGIC}, {"cgroup", 0},          {"cgroup2", CGROUP2_SUPER_MAGIC},
    };
    for (size_t i = 0; type && i < ARRAY_SIZE(fs); i++)
        if (strcmp(type, fs[i].type) == 0)
            return fs[i].magic ? fs[i].magic : -1;
    return 0;
}

static bool fd_on(int fd, long magic)
{
    struct statfs sf;
    return fstatfs(fd, &sf) == 0 && sf.f_type == magic;
}

/* Replaces the error of a failed open of a kernel file system's destination with runc's: a
 * symlink (ELOOP under RESOLVE_NO_SYMLINKS) or a non-directory is in the way. */
static int not_ordinary(int r, const char *field, const char *type, struct berr **err)
{
    if (r != -ELOOP && r != -ENOTDIR)
        return r;
    berr_free(*err);
    *err = NULL;
    return berr_set(err, BERR_INVALID, -r,
                    "%s: filesystem \"%s\" must be mounted on ordinary directory (a symlink or a "
                    "non-directory is in the way)",
                    field, type);
}

/* Mounts a copy of what src_fd is (recursively or not) on what target_fd is: both by fd,
 * so no name the container can change is looked up. */
static int bind_fd(int src_fd, int target_fd, bool recursive)
{
    _cleanup_close_ int tree = open_tree(src_fd, "",
                                         OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
                                             (recursive ? AT_RECURSIVE : 0));
    if (tree < 0)
        return -errno;
    if (move_mount(tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return -errno;
    return 0;
}

/* Creates a device node (or binds the host's, where mknod is not allowed) at path in root. */
static int make_device(int rootfd, const struct spec_device *d, bool userns, struct berr **err)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", d->path);
    char *slash = strrchr(dir, '/');
    *slash = 0;
    const char *name = base_name(d->path);
    if (!*name || strcmp(name, "..") == 0 || strcmp(name, ".") == 0)
        return berr_set(err, BERR_INVALID, EINVAL, "linux.devices: bad path \"%s\"", d->path);
    _cleanup_close_ int dfd =
        fs_open_in_root(rootfd, dir[0] ? dir : "/", O_PATH | O_DIRECTORY, FS_CREATE_DIR, err);
    if (dfd < 0)
        return berr_prefix(err, "linux.devices %s", d->path);
    mode_t mode = (d->file_mode.set ? d->file_mode.v : 0666) & 07777;
    mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
    dev_t dev = d->type == 'p' ? 0 : makedev(d->major, d->minor);

    unlinkat(dfd, name, 0); /* the image may have a file there; the spec wins */
    if (!userns && mknodat(dfd, name, mode | type, dev) == 0) {
        if (fchownat(dfd, name, d->uid.set ? d->uid.v : 0, d->gid.set ? d->gid.v : 0,
                     AT_SYMLINK_NOFOLLOW) < 0)
            return berr_sys(err, errno, "linux.devices: chown %s", d->path);
        /* mknod applied the umask; the spec's mode is exact */
        if (fchmodat(dfd, name, mode, 0) < 0)
            return berr_sys(err, errno, "linux.devices: chmod %s", d->path);
        return 0;
    }
    if (!userns && errno != EPERM)
        return berr_sys(err, errno, "linux.devices: mknod %s", d->path);
    /* In a user namespace mknod is never allowed: bind the host's node instead. */
    int fd = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return berr_sys(err, errno, "linux.devices: create %s", d->path);
    close(fd);
    _cleanup_close_ int target = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    char tp[32];
    if (target < 0 || mount(d->path, fs_fd_path(target, tp), NULL, MS_BIND, NULL) < 0)
        return berr_sys(err, errno, "linux.devices: bind host %s", d->path);
    return 0;
}

static const struct spec_device default_devices[] = {
    {.path = "/dev/null", .type = 'c', .major = 1, .minor = 3},
    {.path = "/dev/zero", .type = 'c', .major = 1, .minor = 5},
    {.path = "/dev/full", .type = 'c', .major = 1, .minor = 7},
    {.path = "/dev/random", .type = 'c', .major = 1, .minor = 8},
    {.path = "/dev/urandom", .type = 'c', .major = 1, .minor = 9},
    {.path = "/dev/tty", .type = 'c', .major = 5, .minor = 0},
};

static int setup_dev(const struct mount_ctx *m, int rootfd, bool dev_is_tmpfs, struct berr **err)
{
    const struct spec_linux *lx = m->spec->linux_;
    int r;
    if (dev_is_tmpfs) {
        for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
            bool overridden = false;
            for (size_t j = 0; lx && j < lx->n_devices; j++)
                if (strcmp(lx->devices[j].path, default_devices[i].path) == 0)
                    overridden = true;
            if (!overridden && (r = make_device(rootfd, &default_devices[i], m->userns, err)) < 0)
                return r;
        }
        static const char *links[][2] = {
            {"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"},
            {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
            {"/proc/kcore", "core"},
        };
        _cleanup_close_ int dev = fs_open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, 0, err);
        if (dev < 0)
            return dev;
        for (size_t i = 0; i < ARRAY_SIZE(links); i++)
            if (symlinkat(links[i][0], dev, links[i][1]) < 0 && errno != EEXIST)
                return berr_sys(err, errno, "symlink /dev/%s", links[i][1]);
    }
    for (size_t j = 0; lx && j < lx->n_devices; j++)
        if ((r = make_device(rootfd, &lx->devices[j], m->userns, err)) < 0)
            return r;
    /* /dev/ptmx must be the container's own devpts instance, not the host's */
    _cleanup_close_ int pts = fs_openat_in_root(rootfd, "/dev/pts/ptmx", O_PATH | O_NOFOLLOW, 0);
    if (pts >= 0) {
        _cleanup_close_ int dev = fs_open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, 0, err);
        if (dev < 0)
            return -EINVAL;
        unlinkat(dev, "ptmx", 0);
        if (symlinkat("pts/ptmx", dev, "ptmx") < 0)
            return berr_sys(err, errno, "symlink /dev/ptmx");
    }
    return 0;
}

/* The cgroup hierarchies mounted on the host under /sys/fs/cgroup: mount point, options. */
struct hier {
    char mnt[256];
    char opts[256]; /* "memory" or "name=systemd" or "" for cgroup2 */
    bool v2;
};

static size_t host_hierarchies(struct hier *out, size_t max)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
    size_t n = 0;
    char line[4096];
    while (f && n < max && fgets(line, sizeof(line), f)) {
        char mnt[256], fstype[64], super[1024];
        /* id parent maj:min root mountpoint options ... - fstype source superoptions */
        char *sep = strstr(line, " - ");
        if (!sep || sscanf(line, "%*s %*s %*s %*s %255s", mnt) != 1 ||
            sscanf(sep + 3, "%63s %*s %1023s", fstype, super) < 2)
            continue;
        if (strncmp(mnt, "/sys/fs/cgroup", 14) != 0)
            continue;
        if (strcmp(fstype, "cgroup2") == 0) {
            out[n].v2 = true;
            out[n].opts[0] = 0;
        } else if (strcmp(fstype, "cgroup") == 0) {
            out[n].v2 = false;
            /* keep only controller names and name=: drop rw, relatime, ... */
            out[n].opts[0] = 0;
            char *save = NULL;
            for (char *t = strtok_r(super, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (!strcmp(t, "rw") || !strcmp(t, "ro") || !strncmp(t, "release_agent", 13) ||
                    !strcmp(t, "relatime") || !strcmp(t, "noatime") || !strcmp(t, "nosuid") ||
                    !strcmp(t, "nodev") || !strcmp(t, "noexec") || !strcmp(t, "clone_children") ||
                    !strcmp(t, "xattr") || !strcmp(t, "cpuset_v2_mode"))
                    continue;
                if (out[n].opts[0])
                    strncat(out[n].opts, ",", sizeof(out[n].opts) - strlen(out[n].opts) - 1);
                strncat(out[n].opts, t, sizeof(out[n].opts) - strlen(out[n].opts) - 1);
            }
        } else {
            continue;
        }
        snprintf(out[n].mnt, sizeof(out[n].mnt), "%s", mnt);
        n++;
    }
    return n;
}

/* type "cgroup": the container sees its own cgroup, on v1, v2 and hybrid hosts alike. */
static int mount_cgroup(const struct mount_ctx *m, int rootfd, const struct spec_mount *sm,
                        struct berr **err)
{
    struct hier h[32];
    size_t n = host_hierarchies(h, ARRAY_SIZE(h));
    unsigned long flags =
        sm->flags & ~MS_RDONLY & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME | MS_NOATIME);
    char tp[32], path[PATH_MAX];
    _cleanup_close_ int target = fs_open_in_root(rootfd, sm->destination, O_PATH | O_DIRECTORY,
                                                 FS_CREATE_DIR | FS_NO_SYMLINKS, err);
    if (target < 0)
        return not_ordinary(target, sm->destination, "cgroup", err);

    bool unified = n == 1 && h[0].v2 && strcmp(h[0].mnt, "/sys/fs/cgroup") == 0;
    if (unified) {
        if (m->cgroupns) {
            if (mount("cgroup2", fs_fd_path(target, tp), "cgroup2", sm->flags, NULL) < 0)
                return berr_sys(err, errno, "mount cgroup2 on %s", sm->destination);
            return 0;
        }
        snprintf(path, sizeof(path), "/sys/fs/cgroup%s", m->cgroup_path);
        if (mount(path, fs_fd_path(target, tp), NULL, MS_BIND | MS_REC, NULL) < 0)
            return berr_sys(err, errno, "bind %s on %s", path, sm->destination);
        _cleanup_close_ int again =
            fs_open_in_root(rootfd, sm->destination, O_PATH, FS_NO_SYMLINKS, err);
        if (again < 0)
            return -EINVAL;
        return remount_bind(fs_fd_path(again, tp), sm->flags, sm->destination, err);
    }

    /* v1 or hybrid: a tmpfs with one directory per hierarchy, as docker shows it */
    if (mount("tmpfs", fs_fd_path(target, tp), "tmpfs", flags, "mode=755") < 0)
        return berr_sys(err, errno, "mount tmpfs on %s", sm->destination);
    _cleanup_close_ int tmpfs =
        fs_open_in_root(rootfd, sm->destination, O_PATH | O_DIRECTORY, FS_NO_SYMLINKS, err);
    if (tmpfs < 0)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        const char *name = base_name(h[i].mnt);
        if (strcmp(h[i].mnt, "/sys/fs/cgroup") == 0 || strstr(name, "process_api"))
            continue;
        if (mkdirat(tmpfs, name, 0755) < 0 && errno != EEXIST)
            return berr_sys(err, errno, "mkdir %s/%s", sm->destination, name);
        _cleanup_close_ int sub =
            openat(tmpfs, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
            return berr_sys(err, errno, "open %s/%s", sm->destination, name);
        int r;
        if (m->cgroupns)
            r = h[i].v2 ? mount("cgroup2", fs_fd_path(sub, tp), "cgroup2", sm->flags, NULL)
                        : mount("cgroup", fs_fd_path(sub, tp), "cgroup", sm->flags, h[i].opts);
        else {
            if (fs_pathf(path, sizeof(path), err, "%s%s", h[i].mnt, m->cgroup_path) < 0)
                return berr_prefix(err, "mount cgroup %s", h[i].opts);
            r = mount(path, fs_fd_path(sub, tp), NULL, MS_BIND | MS_REC, NULL);
            if (r == 0 && (sm->flags & MS_RDONLY)) {
                _cleanup_close_ int again =
                    openat(tmpfs, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                r = remount_bind(fs_fd_path(again, tp), sm->flags, sm->destination, err);
            }
        }
        if (r < 0)
            return berr_sys(err, errno, "mount cgroup %s on %s/%s", h[i].opts, sm->destination,
                            name);
    }
    /* co-mounted controllers get the usual aliases (cpu -> cpu,cpuacct) */
    for (size_t i = 0; i < n; i++) {
        const char *name = base_name(h[i].mnt);
        if (!strchr(name, ','))
            continue;
        char *copy = strdupa(name); /* a name in a path: at most NAME_MAX bytes */
        char *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
            symlinkat(name, tmpfs, t);
    }
    if (sm->flags & MS_RDONLY) {
        _cleanup_close_ int again =
            fs_open_in_root(rootfd, sm->destination, O_PATH, FS_NO_SYMLINKS, err);
        if (again < 0 || mount(NULL, fs_fd_path(again, tp), NULL, MS_REMOUNT | flags | MS_RDONLY,
                               "mode=755") < 0)
            return berr_sys(err, errno, "remount %s read-only", sm->destination);
    }
    return 0;
}

static int mount_one(struct mount_ctx *m, int rootfd, const struct spec_mount *sm, size_t idx,
                     struct berr **err)
{
    char field[PATH_MAX + 32], tp[32];
    snprintf(field, sizeof(field), "mounts[%zu] %s", idx, sm->destination);
    const char *type = sm->type;
    bool bind = sm->bind;

    if (!bind && type && strcmp(type, "cgroup") == 0)
        return mount_cgroup(m, rootfd, sm, err) < 0 ? berr_prefix(err, "mounts[%zu]", idx) : 0;

    /* sysfs in a user namespace without its own network namespace, and mqueue without its
     * own ipc namespace, cannot be mounted fresh: bind the host's, as runc does */
    if (!bind && type && m->userns &&
        ((strcmp(type, "sysfs") == 0 && !m->netns) || (strcmp(type, "mqueue") == 0 && !m->ipcns)))
        bind = true;

    /* a kernel file system goes on a real directory, found without following any symlink */
    long magic = kernel_fs_magic(type);
    unsigned strict = magic ? FS_NO_SYMLINKS : 0;
    bool is_file = false;
    const char *source = sm->source;
    if (bind) {
        if (!source)
            return berr_set(err, BERR_INVALID, EINVAL, "%s: bind mount without a source", field);
        if (sm->type && (!strcmp(sm->type, "sysfs") || !strcmp(sm->type, "mqueue")) &&
            source[0] != '/')
            source = !strcmp(sm->type, "sysfs") ? "/sys" : "/dev/mqueue";
        struct stat st;
        if (stat(source, &st) < 0)
            return berr_sys(err, errno, "%s: source \"%s\"", field, source);
        is_file = !S_ISDIR(st.st_mode);
    }
    _cleanup_close_ int target =
        fs_open_in_root(rootfd, sm->destination, strict ? O_PATH | O_DIRECTORY : O_PATH,
                        (is_file ? FS_CREATE_FILE : FS_CREATE_DIR) | strict, err);
    if (target < 0)
        return strict ? not_ordinary(target, field, type, err)
                      : berr_prefix(err, "mounts[%zu]", idx);
    /* a destination that is a symlink to somewhere inside is fine (resolved inside); but a
     * directory/file mismatch makes the kernel refuse: say so */
    if (bind) {
        unsigned long f = MS_BIND | (sm->recursive ? MS_REC : 0);
        if (mount(source, fs_fd_path(target, tp), NULL, f, NULL) < 0)
            return berr_sys(err, errno, "%s: bind %s", field, source);
        unsigned long want = sm->flags & ~MS_REMOUNT;
        if (want) {
            _cleanup_close_ int again =
                fs_open_in_root(rootfd, sm->destination, O_PATH, strict, err);
            if (again < 0)
                return berr_prefix(err, "%s", field);
            if (remount_bind(fs_fd_path(again, tp), want, field, err) < 0)
                return -EPERM;
        }
    } else {
        const char *fstype = type;
        const char *src = source ? source : type;
        /* linux.mountLabel labels the file systems we make; without SELinux there are no
         * labels (the kernel would refuse the option) */
        _cleanup_free_ char *data = NULL;
        const char *label = m->spec->linux_ ? m->spec->linux_->mount_label : NULL;
        if (label && label[0] && lsm_selinux_enabled() &&
            (!strcmp(type, "tmpfs") || !strcmp(type, "devpts") || !strcmp(type, "mqueue")) &&
            asprintf(&data, "%s%scontext=\"%s\"", sm->data ? sm->data : "", sm->data ? "," : "",
                     label) < 0)
            return berr_sys(err, ENOMEM, "%s", field);
        if (mount(src, fs_fd_path(target, tp), fstype, sm->flags & ~MS_REMOUNT,
                  data ? data : sm->data) < 0) {
            int e = errno;
            /* a proc or sysfs can be refused (locked by a user namespace's owner); a
             * devpts without newinstance options still works with fewer options */
            return berr_sys(err, e, "%s: mount %s", field, fstype);
        }
    }
    if (magic == PROC_SUPER_MAGIC || magic == SYSFS_MAGIC) {
        /* the name must lead to what we just mounted: a directory moved away meanwhile
         * (a racing container with shared mounts) would leave it somewhere unmasked */
        _cleanup_close_ int again =
            fs_open_in_root(rootfd, sm->destination, O_PATH | O_DIRECTORY, FS_NO_SYMLINKS, err);
        if (again < 0)
            return not_ordinary(again, field, type, err);
        if (!fd_on(again, magic))
            return berr_set(err, BERR_INVALID, EXDEV,
                            "%s: filesystem \"%s\" is not at its destination after mounting it",
                            field, type);
        if (!strcmp(sm->destination, "/proc") && !strcmp(type, "proc"))
            m->proc = true;
        if (!strcmp(sm->destination, "/sys") && !strcmp(type, "sysfs"))
            m->sys = true;
    }
    if (sm->propagation) {
        _cleanup_close_ int again = fs_open_in_root(rootfd, sm->destination, O_PATH, strict, err);
        if (again < 0 || mount(NULL, fs_fd_path(again, tp), NULL, sm->propagation, NULL) < 0)
            return berr_sys(err, errno, "%s: set propagation", field);
    }
    return 0;
}

/* The /dev/null masks are bound from: the container's own, opened now without following
 * a symlink and checked to be the null device (char 1:3), and kept open. A /dev/null that
 * is a symlink or a planted file (a bind-mounted /dev, CVE-2025-31133) would make a "mask"
 * expose whatever it names. Negative errno if there is no such /dev/null. */
static int open_devnull(int rootfd)
{
    _cleanup_close_ int fd = fs_openat2(rootfd, "/dev/null", O_PATH | O_NOFOLLOW, 0,
                                        RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS);
    if (fd < 0)
        return fd;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
        return -EXDEV;
    return TAKE_FD(fd);
}

/* /dev/console, the target of the pty bind after the pivot: made by us in a /dev found
 * without symlinks, or one that is there already as a file or char device, never a symlink
 * (CVE-2025-52565: a bind that follows a planted link lands on what it names). */
static int open_console(int rootfd, struct berr **err)
{
    _cleanup_close_ int dev =
        fs_open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, FS_CREATE_DIR | FS_NO_SYMLINKS, err);
    if (dev < 0)
        return berr_prefix(err, "/dev/console");
    int c = openat(dev, "console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (c >= 0)
        close(c);
    else if (errno != EEXIST)
        return berr_sys(err, errno, "create /dev/console");
    _cleanup_close_ int fd = openat(dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return berr_sys(err, errno, "open /dev/console");
    if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
        return berr_set(err, BERR_INVALID, EXDEV,
                        "/dev/console is not a file or a character device (a symlink?): "
                        "refusing to bind the console on it");
    return TAKE_FD(fd);
}

int mounts_setup(struct mount_ctx *m, int rootfd, struct berr **err)
{
    const struct spec *s = m->spec;
    int r;
    bool dev_tmpfs = false, dev_bound = false;
    m->devnull_fd = -ENOENT;
    m->console_fd = -1;
    m->proc = m->sys = false;
    for (size_t i = 0; i < s->n_mounts; i++) {
        const struct spec_mount *sm = &s->mounts[i];
        if (strcmp(sm->destination, "/dev") == 0) {
            dev_bound = sm->bind;
            dev_tmpfs = !sm->bind;
        }
        if ((r = mount_one(m, rootfd, sm, i, err)) < 0)
            return r;
    }
    /* default devices go into a /dev the runtime made; a /dev bound from the host has them */
    if ((r = setup_dev(m, rootfd, dev_tmpfs || !dev_bound, err)) < 0)
        return r;
    if (s->process && s->process->terminal && (m->console_fd = open_console(rootfd, err)) < 0)
        return m->console_fd;
    m->devnull_fd = open_devnull(rootfd);
    return 0;
}

void mounts_ctx_close(struct mount_ctx *m)
{
    if (m->devnull_fd >= 0)
        close(m->devnull_fd);
    if (m->console_fd >= 0)
        close(m->console_fd);
    m->devnull_fd = -EBADF;
    m->console_fd = -1;
}

int mounts_console(const struct mount_ctx *m, int slave, struct berr **err)
{
    if (m->console_fd < 0)
        return 0;
    /* the pty slave is the container's own (TIOCGPTPEER): bound by fd onto the fd of the
     * /dev/console made before the pivot */
    int r = bind_fd(slave, m->console_fd, false);
    return r < 0 ? berr_sys(err, -r, "bind pty to /dev/console") : 0;
}

int mounts_pivot(const char *rootfs, bool no_pivot, struct berr **err)
{
    if (chdir(rootfs) < 0)
        return berr_sys(err, errno, "chdir %s", rootfs);
    if (no_pivot) {
        if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
            return berr_sys(err, errno, "move root filesystem to /");
        if (chroot(".") < 0)
            return berr_sys(err, errno, "chroot");
        return chdir("/") < 0 ? berr_sys(err, errno, "chdir /") : 0;
    }
    /* pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves
     * nothing of the host reachable, with no temporary directory in the image */
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return berr_sys(err, errno, "pivot_root %s", rootfs);
    /* never let the unmount propagate back to the host */
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return berr_sys(err, errno, "make old root a slave");
    if (umount2(".", MNT_DETACH) < 0)
        return berr_sys(err, errno, "detach old root");
    return chdir("/") < 0 ? berr_sys(err, errno, "chdir /") : 0;
}

/* Opens a masked or read-only path after the pivot. Nothing there is fine (-ENOENT, *ret_fd
 * -1), but only if nothing really is: with RESOLVE_NO_SYMLINKS a symlink at any component,
 * dangling or not, is an error and not "missing". What is under /proc or /sys must be on
 * procfs or sysfs: a mask applied to something else protects nothing. */
static int open_listed(int root, const char *field, const char *path, int *ret_fd,
                       struct berr **err)
{
    *ret_fd = -1;
    int fd = fs_openat2(root, path, O_PATH, 0, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS);
    if (fd == -ENOENT)
        return 0;
    if (fd == -ELOOP)
        return berr_set(err, BERR_INVALID, ELOOP,
                        "%s: %s is a symlink or lies under one: cannot apply it", field, path);
    if (fd < 0)
        return berr_sys(err, -fd, "%s: open %s", field, path);
    _cleanup_close_ int owned = fd;
    long magic = !strncmp(path, "/proc/", 6)  ? PROC_SUPER_MAGIC
                 : !strncmp(path, "/sys/", 5) ? SYSFS_MAGIC
                                              : 0;
    if (magic && !fd_on(fd, magic))
        return berr_set(err, BERR_INVALID, EXDEV, "%s: %s is not on %s: cannot apply it", field,
                        path, magic == PROC_SUPER_MAGIC ? "procfs" : "sysfs");
    *ret_fd = TAKE_FD(owned);
    return 0;
}

/* A directory is covered by an empty read-only tmpfs, anything else by the null device;
 * both mounted by fd. */
static int mask_path(const struct mount_ctx *m, int root, const char *path, struct berr **err)
{
    static const char field[] = "linux.maskedPaths";
    _cleanup_close_ int fd = -1;
    int r = open_listed(root, field, path, &fd, err);
    if (r < 0 || fd < 0)
        return r;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return berr_sys(err, errno, "%s: stat %s", field, path);
    if (S_ISDIR(st.st_mode)) {
        _cleanup_close_ int fsfd = fsopen("tmpfs", FSOPEN_CLOEXEC);
        if (fsfd < 0 || fsconfig(fsfd, FSCONFIG_SET_STRING, "mode", "755", 0) < 0 ||
            fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
            return berr_sys(err, errno, "%s: mask %s: make tmpfs", field, path);
        _cleanup_close_ int mnt =
            fsmount(fsfd, FSMOUNT_CLOEXEC,
                    MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        if (mnt < 0 ||
            move_mount(mnt, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
            return berr_sys(err, errno, "%s: mask %s", field, path);
        return 0;
    }
    if (m->devnull_fd == -EXDEV)
        return berr_set(err, BERR_INVALID, EXDEV,
                        "%s: mask %s: /dev/null is not the null device (char 1:3)", field, path);
    if (m->devnull_fd < 0)
        return berr_set(err, BERR_INVALID, -m->devnull_fd, "%s: mask %s: /dev/null: %s", field,
                        path, strerror(-m->devnull_fd));
    if ((r = bind_fd(m->devnull_fd, fd, false)) < 0)
        return berr_sys(err, -r, "%s: mask %s", field, path);
    return 0;
}

/* A read-only copy of the path (and what is mounted under it) mounted on it, by fd.
 * mount_setattr only adds flags: those a user namespace's owner locked stay as they are. */
static int readonly_path(int root, const char *path, struct berr **err)
{
    static const char field[] = "linux.readonlyPaths";
    _cleanup_close_ int fd = -1;
    int r = open_listed(root, field, path, &fd, err);
    if (r < 0 || fd < 0)
        return r;
    _cleanup_close_ int tree =
        open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
    if (tree < 0)
        return berr_sys(err, errno, "%s: bind %s", field, path);
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                          MOUNT_ATTR_NOEXEC};
    if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
        return berr_sys(err, errno, "%s: make %s read-only", field, path);
    if (move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return berr_sys(err, errno, "%s: bind %s", field, path);
    return 0;
}

/* After the pivot, /proc and /sys are what the spec mounted there, found without symlinks */
static int check_top(int root, bool want, const char *path, long magic, struct berr **err)
{
    if (!want)
        return 0;
    _cleanup_close_ int fd =
        fs_openat2(root, path, O_PATH | O_DIRECTORY, 0, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS);
    if (fd < 0 || !fd_on(fd, magic))
        return berr_set(err, BERR_INVALID, EXDEV,
                        "%s is not the %s mounted there: refusing the container", path,
                        magic == PROC_SUPER_MAGIC ? "procfs" : "sysfs");
    return 0;
}

int mounts_finish(const struct mount_ctx *m, struct berr **err)
{
    const struct spec *s = m->spec;
    const struct spec_linux *lx = s->linux_;
    int r;
    _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return berr_sys(err, errno, "open /");
    if ((r = check_top(root, m->proc, "/proc", PROC_SUPER_MAGIC, err)) < 0 ||
        (r = check_top(root, m->sys, "/sys", SYSFS_MAGIC, err)) < 0)
        return r;
    for (char **p = lx ? lx->readonly_paths : NULL; p && *p; p++)
        if ((r = readonly_path(root, *p, err)) < 0)
            return r;
    for (char **p = lx ? lx->masked_paths : NULL; p && *p; p++)
        if ((r = mask_path(m, root, *p, err)) < 0)
            return r;
    if (s->root.readonly && remount_bind("/", MS_RDONLY, "root.readonly", err) < 0)
        return -EPERM;
    if (lx && lx->rootfs_propagation_flags & (MS_SHARED | MS_UNBINDABLE)) {
        if (mount(NULL, "/", NULL, lx->rootfs_propagation_flags, NULL) < 0)
            return berr_sys(err, errno, "linux.rootfsPropagation: %s", lx->rootfs_propagation);
    }
    return 0;
}

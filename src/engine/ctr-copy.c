/* ctr-copy.c - files in and out of a container as tar streams (Docker's archive API), and
 * docker cp's planning that both sides of a copy share.
 *
 * A container is untrusted: its symlinks, its names, its files may all be made to trick us.
 * So the two sides of a copy never meet in one process. A helper process sees the container:
 * in a mount namespace of its own it has the container's root file system with its volumes
 * and binds at their destinations (what docker cp sees: not the container's /proc, /sys,
 * /dev or tmpfs), and every path in it is resolved with RESOLVE_IN_ROOT from the root's fd.
 * The caller stays on the host. Between them runs a plain tar stream: copying out, the helper
 * writes the source as a tar and the caller unpacks it under the destination directory
 * (copy_untar_host), resolving every entry inside that directory; copying in, the caller
 * writes the host source as a tar (copy_tar) and the helper unpacks it inside the container
 * root. The helper's mounts live and die with its namespace: nothing is ever mounted on the
 * host, whatever fails. The helper tells the caller over a socket (SOCK_SEQPACKET: one
 * message each) the stat of what it found, or that it is ready, then its error if it fails. */
#include "engine/ctr-copy.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/proc.h"
#include "base/xalloc.h"
#include "engine/containers.h"
#include "engine/ctr-run.h"
#include "engine/engine.h"
#include "engine/spawn.h"
#include "image/layer.h"
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* --- paths as docker cp reads them ------------------------------------------------------- */

void copy_path_clear(struct copy_path *p)
{
    free(p->path);
    free(p->base);
    free(p->shown);
    *p = (struct copy_path){0};
}

void copy_path_parse(const char *arg, const char *cwd, const char *ctr, struct copy_path *ret)
{
    _cleanup_free_ char *full = xasprintf("%s/%s", cwd && arg[0] != '/' ? cwd : "", arg);
    struct copy_path p = {0};
    p.path = xcalloc(1, strlen(full) + 2);
    p.shown = ctr ? xasprintf("%s:%s", ctr, arg) : xstrdup(arg);
    size_t len = 0;
    const char *last = "";
    size_t last_n = 0;
    for (const char *c = full; *c;) {
        if (*c == '/') {
            c++;
            continue;
        }
        const char *end = strchrnul(c, '/');
        size_t n = end - c;
        last = c;
        last_n = n;
        if (n == 2 && c[0] == '.' && c[1] == '.') {
            while (len > 0 && p.path[len - 1] != '/')
                len--;
            if (len > 0)
                len--;
        } else if (!(n == 1 && c[0] == '.')) {
            p.path[len++] = '/';
            memcpy(p.path + len, c, n);
            len += n;
        }
        c = end;
    }
    if (len == 0)
        p.path[len++] = '/';
    p.path[len] = 0;
    bool dot = (last_n == 1 && last[0] == '.') || len == 1;
    p.slash = dot || (*arg && arg[strlen(arg) - 1] == '/');
    p.base = xstrdup(dot ? "." : strrchr(p.path, '/') + 1);
    *ret = p;
}

/* --- resolving inside a root: the container's, or the host's "/" ----------------------- */

int copy_resolve_src(int rootfd, const struct copy_path *p, bool follow, struct copy_src *ret,
                     struct berr **err)
{
    _cleanup_free_ char *canon = NULL;
    if (fs_resolve_in_root(rootfd, p->path, follow || p->slash, &canon, err) < 0)
        return -1;
    _cleanup_close_ int fd = fs_openat_in_root(rootfd, canon, O_PATH | O_NOFOLLOW, 0);
    struct stat st;
    if (fd < 0)
        return berr_sys(err, -fd, "%s", p->shown);
    if (fstat(fd, &st) < 0)
        return berr_sys(err, errno, "%s", p->shown);
    if (p->slash && !S_ISDIR(st.st_mode))
        return berr_sys(err, ENOTDIR, "%s", p->shown);
    ret->canon = TAKE_PTR(canon);
    ret->st = st;
    return 0;
}

int copy_resolve_dst(int rootfd, const struct copy_path *p, struct copy_dst *ret, struct berr **err)
{
    _cleanup_free_ char *canon = NULL;
    if (fs_resolve_in_root(rootfd, p->path, true, &canon, err) < 0)
        return -1;
    _cleanup_close_ int fd = fs_openat_in_root(rootfd, canon, O_PATH | O_NOFOLLOW, 0);
    struct stat st;
    *ret = (struct copy_dst){.slash = p->slash};
    if (fd >= 0 && fstat(fd, &st) < 0)
        return berr_sys(err, errno, "%s", p->shown);
    if (fd < 0 && fd != -ENOENT)
        return berr_sys(err, -fd, "%s", p->shown);
    if (fd >= 0) {
        ret->exists = true;
        ret->isdir = S_ISDIR(st.st_mode);
        ret->special = !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode);
    }
    ret->canon = TAKE_PTR(canon);
    return 0;
}

int copy_plan_check(bool src_isdir, const struct copy_dst *d, const char *shown, struct berr **err)
{
    if (d->exists && !d->isdir && d->slash)
        return berr_set(err, BERR_INVALID, ENOTDIR, "%s: not a directory", shown);
    if (d->exists && !d->isdir && src_isdir)
        return berr_set(err, BERR_CONFLICT, ENOTDIR, "cannot copy a directory to the file %s",
                        shown);
    if (!d->exists && !src_isdir && d->slash)
        return berr_set(err, BERR_NOT_FOUND, ENOENT, "%s: no such directory", shown);
    return 0;
}

void copy_plan_dir(const struct copy_dst *d, const char *src_base, char **ret_dir, char **ret_name)
{
    if (d->exists && d->isdir) {
        *ret_dir = xstrdup(d->canon);
        *ret_name = xstrdup(src_base);
    } else {
        const char *slash = strrchr(d->canon, '/');
        *ret_dir = slash == d->canon ? xstrdup("/") : xstrndup(d->canon, slash - d->canon);
        *ret_name = xstrdup(slash + 1);
    }
}

/* --- the host's side ---------------------------------------------------------------------- */

int copy_tar(int rootfd, const char *path, const char *name, int fd_out, uint64_t *ret_size,
             struct berr **err)
{
    struct layer_stats ls = {0};
    if (layer_tar_path(rootfd, path, name, fd_out, &ls, err) < 0)
        return -1;
    if (ret_size)
        *ret_size = ls.size;
    return 0;
}

int copy_untar_host(int fd_in, int dirfd, const struct copy_untar_opts *o, uint64_t *ret_size,
                    uint64_t *ret_devs_skipped, struct berr **err)
{
    /* what the container sends lands in dirfd and stays there: every entry resolves inside
     * it, and must be `top` or under it. The host gets no device node, and without -a no
     * setuid/setgid bit or file capability, from a container. */
    struct layer_untar_opts uo = {.top = o->top,
                                  .rename = o->rename,
                                  .owner = o->archive ? LAYER_OWNER_KEEP : LAYER_OWNER_CALLER,
                                  .drop_privileges = !o->archive,
                                  .no_devices = true};
    struct layer_stats ls = {0};
    if (layer_untar(fd_in, dirfd, &uo, &ls, err) < 0)
        return -1;
    if (ret_size)
        *ret_size = ls.size;
    if (ret_devs_skipped)
        *ret_devs_skipped = ls.devs_skipped;
    return 0;
}

/* --- the container's side, in a helper process ------------------------------------------ */

struct view_mount {
    int tree; /* a detached copy of the source (open_tree), read-only as the container has it */
    char *dst;
    bool dir;
    int depth;
};

static int by_depth(const void *a, const void *b)
{
    return ((const struct view_mount *)a)->depth - ((const struct view_mount *)b)->depth;
}

/* Copies of the container's volumes and bind mounts (not its tmpfs: docker cp does not see
 * them either), to be attached under its root later. Of a running container (ctr_root: its
 * root, and we are in its mount namespace), what it has mounted at each destination now; of
 * a stopped one, what its runtime would mount: the sources, as the host has them. */
static int clone_mounts(json_t *mounts, int ctr_root, struct view_mount **ret, size_t *ret_n,
                        struct berr **err)
{
    size_t n = json_array_size(mounts), k = 0, i;
    struct view_mount *v = xcalloc(n + 1, sizeof(*v));
    json_t *m;
    json_array_foreach(mounts, i, m)
    {
        const char *type = json_string_value(json_object_get(m, "Type"));
        const char *src = json_string_value(json_object_get(m, "Source"));
        const char *dst = json_string_value(json_object_get(m, "Destination"));
        if (!type || !src || !dst || (strcmp(type, "bind") && strcmp(type, "volume")))
            continue;
        int tree = -1;
        if (ctr_root >= 0) {
            _cleanup_close_ int at = fs_openat_in_root(ctr_root, dst, O_PATH, 0);
            if (at < 0)
                errno = -at;
            else
                tree = open_tree(
                    at, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
        } else {
            tree = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        }
        struct view_mount *vm = &v[k];
        vm->tree = tree;
        if (tree >= 0)
            k++; /* v owns it */
        struct stat st;
        struct mount_attr attr = {.propagation = MS_PRIVATE};
        if (!json_is_true(json_object_get(m, "RW")))
            attr.attr_set = MOUNT_ATTR_RDONLY;
        if (tree < 0 || fstat(tree, &st) < 0 || !(vm->dst = strdup(dst)) ||
            mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0) {
            berr_sys(err, errno, "mount %s at %s", src, dst);
            goto fail;
        }
        vm->dir = S_ISDIR(st.st_mode);
        for (const char *c = dst; *c; c++)
            vm->depth += *c == '/' && c[1] && c[1] != '/';
    }
    qsort(v, k, sizeof(*v), by_depth);
    *ret = v;
    *ret_n = k;
    return 0;
fail:
    for (size_t j = 0; j < k; j++) {
        close(v[j].tree);
        free(v[j].dst);
    }
    free(v);
    return -1;
}

/* An fd of /proc/PID/<what>, if PID is still the process that started at `start` */
static int open_proc(pid_t pid, uint64_t start, const char *what, int flags)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
    int fd = open(path, flags | O_CLOEXEC);
    if (fd >= 0 && !proc_alive(pid, start)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Waits up to timeout_ms for PID, if it is still the process that started at `start`, to
 * exit. */
static void wait_exit(pid_t pid, uint64_t start, int timeout_ms)
{
    _cleanup_close_ int pidfd = syscall(SYS_pidfd_open, pid, 0);
    /* checked after the pidfd is open: it cannot name another process later */
    if (pidfd < 0 || !proc_alive(pid, start))
        return;
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    while (poll(&p, 1, timeout_ms) < 0 && errno == EINTR)
        ;
}

/* The container's files as docker cp sees them, in this process (the helper, alone in its
 * mount namespace from here on): its root file system, with its volumes and binds at their
 * destinations. Returns an fd of the root. A running container's root file system is the one
 * its monitor mounted; a stopped one's is mounted here, under the containers lock (so that
 * no start mounts it beside us; the lock goes when this process does). Not writable, the view
 * is read-only as a whole: copying out can change nothing in the container. */
static int open_view(struct engine *e, struct ctr *ctr, bool writable, struct berr **err)
{
    int lock = ctr_lock(e->root, err);
    if (lock < 0)
        return -1;
    /* the record again, under the lock: the container may have started or stopped */
    if (ctr_reload(e, ctr, err) < 0)
        return -1;
    json_t *c = ctr->rec;
    json_t *st = json_object_get(c, "State");
    bool running = json_is_true(json_object_get(st, "Running"));
    pid_t pid = json_integer_value(json_object_get(st, "Pid"));
    uint64_t pstart = json_integer_value(json_object_get(st, "PidStart"));
    pid_t mon = json_integer_value(json_object_get(st, "MonitorPid"));
    uint64_t mstart = json_integer_value(json_object_get(st, "MonitorStart"));
    bool ro_rootfs =
        json_is_true(json_object_get(json_object_get(c, "HostConfig"), "ReadonlyRootfs"));
    struct view_mount *mounts = NULL;
    size_t n_mounts = 0;
    int rootfd = -1;
    _cleanup_free_ char *path = ctr_path(ctr, "rootfs");
    /* a container that has just exited: its monitor is still recording the exit and
     * unmounting; its namespace is about to lose the root file system, so wait for it to go
     * and mount the root here (one whose restart policy keeps it waits no longer than 2 s) */
    if (!running && mon > 0)
        wait_exit(mon, mstart, 2000);
    if (mon > 0 && proc_alive(mon, mstart)) {
        /* its monitor's namespace has the root file system (not the container's own
         * mounts); we take a copy of it, so that what we mount stays ours */
        _cleanup_close_ int monns = open_proc(mon, mstart, "ns/mnt", O_RDONLY);
        _cleanup_close_ int ctrns = -1, ctr_root = -1;
        if (running && pid > 0) {
            ctrns = open_proc(pid, pstart, "ns/mnt", O_RDONLY);
            ctr_root = open_proc(pid, pstart, "root", O_PATH | O_DIRECTORY);
        }
        if (monns < 0 || (running && pid > 0 && (ctrns < 0 || ctr_root < 0))) {
            berr_set(err, BERR_CONFLICT, ESRCH, "the container stopped meanwhile: try again");
            goto out;
        }
        if (ctrns >= 0 && setns(ctrns, CLONE_NEWNS) < 0) {
            berr_sys(err, errno, "enter the container's mount namespace");
            goto out;
        }
        if (clone_mounts(json_object_get(c, "Mounts"), ctr_root, &mounts, &n_mounts, err) < 0)
            goto out;
        if (setns(monns, CLONE_NEWNS) < 0 || unshare(CLONE_NEWNS) < 0 ||
            mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
            berr_sys(err, errno, "enter the container's mount namespace");
            goto out;
        }
        /* nothing of ours can clash with the monitor's mount: start and rm need not wait */
        close(lock);
    } else if (running) {
        berr_set(err, BERR_CONFLICT, ESRCH, "the container's monitor is gone: stop it, then copy");
        goto out;
    } else if (clone_mounts(json_object_get(c, "Mounts"), -1, &mounts, &n_mounts, err) < 0 ||
               ctr_mount_rootfs(e->root, ctr->dir, err) < 0) {
        goto out;
    }
    rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct statfs sf;
    if (rootfd < 0 || fstatfs(rootfd, &sf) < 0) {
        berr_sys(err, errno, "open the container's root file system");
        goto out;
    }
    if (sf.f_type != OVERLAYFS_SUPER_MAGIC) {
        berr_set(err, BERR_CONFLICT, EAGAIN, "the container's root file system is not mounted");
        goto fail;
    }
    for (size_t i = 0; i < n_mounts; i++) {
        /* the destination resolves inside the root, as the runtime resolved it: a symlink
         * the container planted there leads somewhere in the container, nowhere else */
        _cleanup_close_ int target = fs_open_in_root(
            rootfd, mounts[i].dst, O_PATH, mounts[i].dir ? FS_CREATE_DIR : FS_CREATE_FILE, err);
        if (target < 0) {
            berr_prefix(err, "mount at %s", mounts[i].dst);
            goto fail;
        }
        if (move_mount(mounts[i].tree, "", target, "",
                       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
            berr_sys(err, errno, "mount at %s", mounts[i].dst);
            goto fail;
        }
    }
    struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
    unsigned ro_flags = AT_EMPTY_PATH | (writable ? 0 : AT_RECURSIVE);
    if ((!writable || ro_rootfs) && mount_setattr(rootfd, "", ro_flags, &ro, sizeof(ro)) < 0) {
        berr_sys(err, errno, "make the container's root file system read-only");
        goto fail;
    }
    goto out;
fail:
    close(rootfd);
    rootfd = -1;
out:
    for (size_t i = 0; i < n_mounts; i++) {
        close(mounts[i].tree);
        free(mounts[i].dst);
    }
    free(mounts);
    return rootfd;
}

/* docker's checkWritablePath: the directory a copy lands in is not read-only */
static int check_writable(int rootfd, const char *dir, struct berr **err)
{
    _cleanup_close_ int fd = fs_openat_in_root(rootfd, dir, O_PATH | O_DIRECTORY, 0);
    struct statfs sf;
    if (fd < 0)
        return berr_sys(err, -fd, "%s", dir);
    if (fstatfs(fd, &sf) < 0)
        return berr_sys(err, errno, "%s", dir);
    if (!(sf.f_flags & ST_RDONLY))
        return 0;
    struct statx a, b;
    bool on_root = statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &a) == 0 &&
                   statx(rootfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &b) == 0 &&
                   a.stx_mnt_id == b.stx_mnt_id;
    return berr_set(err, BERR_INVALID, EROFS,
                    on_root ? "container rootfs is marked read-only"
                            : "mounted volume is marked read-only");
}

/* --- the helper's messages ---------------------------------------------------------------- */

enum msg_type {
    MSG_STAT = 1, /* the path found: a stat, then name and link target (NUL-terminated) */
    MSG_READY,    /* copying in: the destination is resolved, the stream may come */
};

struct msg {
    int32_t type;
    uint32_t mode;
    int64_t size, sec, nsec;
    char text[2 * PATH_MAX + 256];
};

static void send_msg(int sock, struct msg *m, size_t text_len)
{
    /* the caller may be gone (it is then killing us): nothing to do about it */
    (void)!send(sock, m, offsetof(struct msg, text) + text_len, MSG_NOSIGNAL);
}

/* The stat of the source as docker's ContainerPathStat gives it. */
static void send_stat(int sock, int rootfd, const char *name, const struct copy_src *s)
{
    struct msg m = {.type = MSG_STAT,
                    .mode = s->st.st_mode,
                    .size = s->st.st_size,
                    .sec = s->st.st_mtim.tv_sec,
                    .nsec = s->st.st_mtim.tv_nsec};
    /* a symlink: where it leads, resolved inside the root as any path there is */
    _cleanup_free_ char *target = NULL;
    _cleanup_berr_ struct berr *e = NULL;
    if (S_ISLNK(s->st.st_mode))
        fs_resolve_in_root(rootfd, s->canon, true, &target, &e);
    int n = snprintf(m.text, sizeof(m.text), "%s%c%s", name, 0, target ? target : "");
    send_msg(sock, &m, (size_t)n < sizeof(m.text) ? (size_t)n + 1 : sizeof(m.text));
}

/* One message, or 0 at the end of the stream (the helper has gone). Waiting, the helper's
 * exit ends the wait too (the socket's other end may live on in another fork). */
static int recv_msg(int sock, int pidfd, bool wait, struct msg *m)
{
    for (;;) {
        ssize_t n = recv(sock, m, sizeof(*m), MSG_DONTWAIT);
        if (n >= (ssize_t)offsetof(struct msg, text)) {
            size_t len = n - offsetof(struct msg, text);
            m->text[len < sizeof(m->text) ? len : sizeof(m->text) - 1] = 0;
            return 1;
        }
        if (n >= 0 || (errno != EAGAIN && errno != EINTR) || !wait)
            return 0;
        struct pollfd p[2] = {{.fd = sock, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            return 0;
        if (p[1].revents) /* it has exited: what it sent is queued already */
            wait = false;
    }
}

struct job {
    struct engine *e;
    struct ctr *ctr;
    const char *ref;       /* the container as the user named it */
    const char *path_arg;  /* the path as given */
    struct copy_path path; /* in the container */
    bool follow;
    const struct ctr_copy_in_opts *in;
};

struct ctr_copy {
    struct spawn *helper;
    int pidfd;
    int sock; /* the helper's messages */
};

/* docker's message for a path that is not there, naming the container as the user did */
static int not_found(struct berr **err, const char *path, const char *ref)
{
    berr_free(*err);
    *err = NULL;
    return berr_set(err, BERR_NOT_FOUND, ENOENT, "could not find the file %s in container %s", path,
                    ref);
}

/* The helper of a stat: the path, not followed. */
static int stat_helper(struct job *j, int fd, int sock, struct berr **err)
{
    (void)fd;
    _cleanup_close_ int rootfd = open_view(j->e, j->ctr, false, err);
    if (rootfd < 0)
        return -1;
    struct copy_src s = {0};
    if (copy_resolve_src(rootfd, &j->path, false, &s, err) < 0)
        return (*err)->kind == BERR_NOT_FOUND ? not_found(err, j->path.path, j->ref) : -1;
    _cleanup_free_ char *canon = s.canon;
    send_stat(sock, rootfd, j->path.base, &s);
    return 0;
}

/* The helper of a copy out: the source, as a tar, to fd_out. */
static int out_helper(struct job *j, int fd_out, int sock, struct berr **err)
{
    _cleanup_close_ int rootfd = open_view(j->e, j->ctr, false, err);
    if (rootfd < 0)
        return -1;
    struct copy_src s = {0};
    if (copy_resolve_src(rootfd, &j->path, j->follow, &s, err) < 0)
        return (*err)->kind == BERR_NOT_FOUND ? not_found(err, j->path.path, j->ref) : -1;
    _cleanup_free_ char *canon = s.canon;
    send_stat(sock, rootfd, j->path.base, &s);
    return layer_tar_path(rootfd, canon, j->path.base, fd_out, NULL, err);
}

/* The helper of a copy in: the tar read from fd_in, unpacked at the destination. */
static int in_helper(struct job *j, int fd_in, int sock, struct berr **err)
{
    const struct ctr_copy_in_opts *o = j->in;
    _cleanup_close_ int rootfd = open_view(j->e, j->ctr, true, err);
    if (rootfd < 0)
        return -1;
    struct copy_dst d = {0};
    if (copy_resolve_dst(rootfd, &j->path, &d, err) < 0) {
        if ((*err)->kind != BERR_NOT_FOUND)
            return -1;
        /* docker names the directory it would have unpacked into */
        _cleanup_free_ char *parent = xstrdup(j->path.path);
        char *slash = strrchr(parent, '/');
        *(slash == parent ? slash + 1 : slash) = 0;
        return not_found(err, parent, j->ref);
    }
    _cleanup_free_ char *canon = d.canon, *dir = NULL, *name = NULL;
    if (d.special)
        return berr_set(err, BERR_INVALID, EINVAL,
                        "destination \"%s\" must be a directory or a regular file", j->path.shown);
    struct layer_untar_opts uo = {.owner = o->copy_uid_gid ? LAYER_OWNER_KEEP : LAYER_OWNER_SET};
    if (!o->src_base) {
        if (!d.isdir)
            return berr_set(err, BERR_INVALID, ENOTDIR, "destination \"%s\" must be a directory",
                            j->path.shown);
        uo.prefix = canon;
    } else {
        if (copy_plan_check(o->src_isdir, &d, j->path.shown, err) < 0)
            return -1;
        copy_plan_dir(&d, o->src_base, &dir, &name);
        uo.prefix = dir;
        uo.top = o->src_base;
        uo.rename = strcmp(name, o->src_base) ? name : NULL;
    }
    if (check_writable(rootfd, uo.prefix, err) < 0)
        return -1;
    send_msg(sock, &(struct msg){.type = MSG_READY}, 0);
    return layer_untar(fd_in, rootfd, &uo, NULL, err);
}

static void job_close(struct job *j);

int ctr_copy_job(struct spawn_job *sj, struct berr **err)
{
    json_t *a = sj->args;
    const char *op = json_string_value(json_object_get(a, "op"));
    const char *id = json_string_value(json_object_get(a, "id"));
    const char *ref = json_string_value(json_object_get(a, "ref"));
    const char *path = json_string_value(json_object_get(a, "path"));
    int fd = sj->nfds > 1 ? sj->fds[1] : -1;
    if (!op || !id || !ref || !path || sj->nfds < 1)
        return berr_set(err, BERR_INTERNAL, EINVAL, "copy: its arguments are incomplete");
    struct ctr_copy_in_opts in = {
        .path = path,
        .copy_uid_gid = json_is_true(json_object_get(a, "copy_uid_gid")),
        .src_base = json_string_value(json_object_get(a, "src_base")),
        .src_isdir = json_is_true(json_object_get(a, "src_isdir")),
        .peer_fd = -1,
    };
    struct job j = {.e = sj->e,
                    .ref = ref,
                    .path_arg = path,
                    .follow = json_is_true(json_object_get(a, "follow")),
                    .in = &in};
    /* by its ID: the container the caller found, whatever it is named meanwhile */
    if (!(j.ctr = ctr_open(sj->e, id, err)))
        return -1;
    copy_path_parse(path, NULL, ref, &j.path);
    int sock = sj->fds[0];
    int r = !strcmp(op, "stat")  ? stat_helper(&j, fd, sock, err)
            : !strcmp(op, "out") ? out_helper(&j, fd, sock, err)
            : !strcmp(op, "in")  ? in_helper(&j, fd, sock, err)
                                 : berr_set(err, BERR_INTERNAL, EINVAL, "copy: no op %s", op);
    job_close(&j);
    return r < 0 ? -1 : 0;
}

/* Runs op in a helper process (engine/spawn.h, job "copy"); its error comes back in its
 * report, not printed there. The helper does not outlive its caller. */
static struct ctr_copy *spawn_helper(struct job *j, const char *op, int fd, struct berr **err)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        berr_sys(err, errno, "socketpair");
        return NULL;
    }
    /* names and paths as given, bytes and all */
    json_t *args __attribute__((cleanup(json_decrefp))) = json_object();
    json_object_set_new(args, "op", json_string(op));
    json_object_set_new(args, "id", json_string(j->ctr->id));
    json_object_set_new(args, "ref", json_string_nocheck(j->ref));
    json_object_set_new(args, "path", json_string_nocheck(j->path_arg));
    json_object_set_new(args, "follow", json_boolean(j->follow));
    if (j->in) {
        json_object_set_new(args, "copy_uid_gid", json_boolean(j->in->copy_uid_gid));
        if (j->in->src_base)
            json_object_set_new(args, "src_base", json_string_nocheck(j->in->src_base));
        json_object_set_new(args, "src_isdir", json_boolean(j->in->src_isdir));
    }
    /* the peer of fd's pipe stays behind: the helper holds only what it is handed */
    int fds[2] = {sv[1], fd};
    struct spawn *h =
        spawn_start(j->e, "copy", args, fds, fd >= 0 ? 2 : 1, SPAWN_DIE_WITH_CALLER, err);
    close(sv[1]);
    if (!h) {
        close(sv[0]);
        return NULL;
    }
    struct ctr_copy *cp = xcalloc(1, sizeof(*cp));
    cp->helper = h;
    cp->sock = sv[0];
    /* our own child, not yet waited for: its pid cannot be another's */
    cp->pidfd = syscall(SYS_pidfd_open, spawn_pid(h), 0);
    if (cp->pidfd < 0) {
        berr_sys(err, errno, "pidfd_open");
        _cleanup_berr_ struct berr *e = NULL;
        ctr_copy_finish(cp, true, &e);
        return NULL;
    }
    return cp;
}

/* The helper's first message, of type `want`; or its error, and it is finished. */
static struct ctr_copy *started(struct ctr_copy *cp, int want, struct msg *m, struct berr **err)
{
    if (recv_msg(cp->sock, cp->pidfd, true, m) && m->type == want)
        return cp;
    /* it failed before it found the path: its report has the error */
    if (ctr_copy_finish(cp, false, err) == 0)
        berr_set(err, BERR_INTERNAL, EPROTO, "the copy's helper said nothing");
    return NULL;
}

int ctr_copy_finish(struct ctr_copy *cp, bool abort, struct berr **err)
{
    if (abort)
        kill(spawn_pid(cp->helper), SIGKILL);
    int status = 0;
    _cleanup_berr_ struct berr *he = NULL;
    int r = spawn_wait(cp->helper, &status, &he);
    close(cp->sock);
    if (cp->pidfd >= 0)
        close(cp->pidfd);
    free(cp);
    /* its error is the cause of ours, if we failed too (a broken pipe, a short tar): it
     * reported it before its end of the stream closed */
    if (r < 0)
        return berr_set(err, he->kind, he->errnum, "%s", he->msg);
    if (abort || r == 0)
        return 0;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE)
        return berr_sys(err, EPIPE, "write the tar stream");
    return berr_set(err, BERR_INTERNAL, 0, "the copy failed (%s %d)",
                    WIFEXITED(status) ? "exit status" : "signal",
                    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

/* --- Docker's archive API ----------------------------------------------------------------- */

void ctr_path_stat_clear(struct ctr_path_stat *s)
{
    free(s->name);
    free(s->link_target);
    *s = (struct ctr_path_stat){0};
}

static void stat_from_msg(const struct msg *m, struct ctr_path_stat *ret)
{
    const char *link = m->text + strlen(m->text) + 1;
    *ret = (struct ctr_path_stat){.name = xstrdup(m->text),
                                  .size = m->size,
                                  .mode = m->mode,
                                  .mtime = {.tv_sec = m->sec, .tv_nsec = m->nsec},
                                  .link_target = *link ? xstrdup(link) : NULL};
}

json_t *ctr_path_stat_json(const struct ctr_path_stat *s)
{
    /* Go's os.FileMode: the permission bits, and a bit of its own for each type and for
     * setuid, setgid and sticky */
    uint32_t mode = s->mode & 0777;
    switch (s->mode & S_IFMT) {
    case S_IFDIR: mode |= 1u << 31; break;
    case S_IFLNK: mode |= 1u << 27; break;
    case S_IFBLK: mode |= 1u << 26; break;
    case S_IFCHR: mode |= 1u << 26 | 1u << 21; break;
    case S_IFIFO: mode |= 1u << 25; break;
    case S_IFSOCK: mode |= 1u << 24; break;
    }
    if (s->mode & S_ISUID)
        mode |= 1u << 23;
    if (s->mode & S_ISGID)
        mode |= 1u << 22;
    if (s->mode & S_ISVTX)
        mode |= 1u << 20;
    /* RFC 3339 with nanoseconds, as Go's time.Time marshals: trailing zeros dropped */
    char ts[64], frac[16] = "";
    struct tm tm;
    time_t sec = s->mtime.tv_sec;
    gmtime_r(&sec, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    if (s->mtime.tv_nsec) {
        snprintf(frac, sizeof(frac), ".%09ld", s->mtime.tv_nsec);
        for (size_t n = strlen(frac); n > 1 && frac[n - 1] == '0'; n--)
            frac[n - 1] = 0;
    }
    return json_pack("{s:s,s:I,s:I,s:s++,s:s}", "name", s->name ? s->name : "", "size",
                     (json_int_t)s->size, "mode", (json_int_t)mode, "mtime", ts, frac, "Z",
                     "linkTarget", s->link_target ? s->link_target : "");
}

/* The job for container ref and path: false with the error if the container is not there. */
static bool job_open(struct job *j, struct engine *e, const char *ref, const char *path,
                     struct berr **err)
{
    *j = (struct job){.e = e, .ref = ref, .path_arg = path};
    j->ctr = ctr_open(e, ref, err);
    if (!j->ctr)
        return false;
    copy_path_parse(path, NULL, ref, &j->path);
    return true;
}

static void job_close(struct job *j)
{
    ctr_free(j->ctr);
    copy_path_clear(&j->path);
}

int ctr_copy_stat(struct engine *e, const char *ref, const char *path, struct ctr_path_stat *ret,
                  struct berr **err)
{
    struct job j;
    if (!job_open(&j, e, ref, path, err))
        return berr_code(*err);
    struct ctr_copy *cp = spawn_helper(&j, "stat", -1, err);
    job_close(&j);
    struct msg m = {0};
    if (!cp || !started(cp, MSG_STAT, &m, err))
        return berr_code(*err);
    if (ctr_copy_finish(cp, false, err) < 0)
        return berr_code(*err);
    stat_from_msg(&m, ret);
    return 0;
}

struct ctr_copy *ctr_copy_out(struct engine *e, const char *ref, const struct ctr_copy_out_opts *o,
                              int fd_out, struct ctr_path_stat *ret_stat, struct berr **err)
{
    struct job j;
    if (!job_open(&j, e, ref, o->path, err))
        return NULL;
    j.follow = o->follow;
    struct ctr_copy *cp = spawn_helper(&j, "out", fd_out, err);
    job_close(&j);
    struct msg m = {0};
    if (!cp || !started(cp, MSG_STAT, &m, err))
        return NULL;
    stat_from_msg(&m, ret_stat);
    return cp;
}

struct ctr_copy *ctr_copy_in(struct engine *e, const char *ref, const struct ctr_copy_in_opts *o,
                             int fd_in, struct berr **err)
{
    struct job j;
    if (!job_open(&j, e, ref, o->path, err))
        return NULL;
    j.in = o;
    struct ctr_copy *cp = spawn_helper(&j, "in", fd_in, err);
    job_close(&j);
    struct msg m = {0};
    if (!cp || !started(cp, MSG_READY, &m, err))
        return NULL;
    return cp;
}

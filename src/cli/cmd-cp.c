/* cmd-cp.c - berth cp (and container cp): files between a container and the host, both
 * ways, with docker cp's rules.
 *
 * A container is untrusted: its symlinks, its names, its files may all be made to trick us.
 * So the two sides never meet in one process. A child process sees the container: in a mount
 * namespace of its own it has the container's root file system with its volumes and binds at
 * their destinations (what docker cp sees: not the container's /proc, /sys, /dev or tmpfs),
 * and every path in it is resolved with RESOLVE_IN_ROOT from the root's fd. The parent stays
 * on the host. Between them runs a plain tar stream: copying out, the child writes the
 * source as a tar and the parent unpacks it under the destination directory, resolving every
 * entry inside that directory; copying in, the parent writes the host source as a tar and
 * the child unpacks it inside the container root. The child's mounts live and die with its
 * namespace: nothing is ever mounted on the host, whatever fails. */
#include "cli.h"
#include "engine/engine.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/proc.h"
#include "engine/containers.h"
#include "image/layer.h"
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

struct cp_opts {
    bool archive; /* -a: keep the source's uid/gid */
    bool follow;  /* -L: follow a symlink that is SRC_PATH itself */
    bool quiet;   /* -q: no summary line */
};

/* A path as the user gave it, cleaned lexically as docker does, keeping what a trailing "/"
 * or "/." says. */
struct cpath {
    char *path;  /* absolute, without ".", ".." or repeated "/" */
    char *base;  /* its last component; "." for a directory's contents ("dir/.", "/") */
    bool slash;  /* it ended in "/" or "/.": a directory, and a symlink there is followed */
    char *shown; /* how messages name it: "CONTAINER:PATH" or the host path given */
};

static void cpath_free(struct cpath *p)
{
    free(p->path);
    free(p->base);
    free(p->shown);
}

/* Cleans `arg` (relative to the current directory on the host, to "/" in a container). */
static int cpath_parse(const char *arg, const char *ctr, struct cpath *ret, struct berr **err)
{
    char cwd[PATH_MAX] = "";
    if (!ctr && arg[0] != '/' && !getcwd(cwd, sizeof(cwd)))
        return berr_sys(err, errno, "the current directory");
    _cleanup_free_ char *full = NULL;
    if (asprintf(&full, "%s/%s", cwd, arg) < 0)
        return berr_sys(err, ENOMEM, "cp");
    struct cpath p = {0};
    p.path = malloc(strlen(full) + 2);
    if (!p.path ||
        (ctr ? asprintf(&p.shown, "%s:%s", ctr, arg) : asprintf(&p.shown, "%s", arg)) < 0) {
        free(p.path);
        return berr_sys(err, ENOMEM, "cp");
    }
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
    p.base = strdup(dot ? "." : strrchr(p.path, '/') + 1);
    if (!p.base) {
        cpath_free(&p);
        return berr_sys(err, ENOMEM, "cp");
    }
    *ret = p;
    return 0;
}

/* --- resolving inside a root: the container's, or the host's "/" ----------------------- */

struct srcinfo {
    char *canon; /* the source, symlinks before it resolved (all of them with -L) */
    bool isdir;
};

/* The source must exist: -ENOENT (BERR_NOT_FOUND) otherwise. */
static int resolve_src(int rootfd, const struct cpath *p, bool follow, struct srcinfo *ret,
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
    ret->isdir = S_ISDIR(st.st_mode);
    return 0;
}

struct dstinfo {
    char *canon;                 /* the destination with every symlink followed, the last one too */
    bool exists, isdir, special; /* special: neither a directory nor a regular file */
    bool slash;
};

/* docker's CopyInfoDestinationPath: a symlink at the destination is followed (it may
 * dangle: the copy makes its target); what is missing may only be the last component. */
static int resolve_dst(int rootfd, const struct cpath *p, struct dstinfo *ret, struct berr **err)
{
    _cleanup_free_ char *canon = NULL;
    if (fs_resolve_in_root(rootfd, p->path, true, &canon, err) < 0)
        return -1;
    _cleanup_close_ int fd = fs_openat_in_root(rootfd, canon, O_PATH | O_NOFOLLOW, 0);
    struct stat st;
    *ret = (struct dstinfo){.slash = p->slash};
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

/* docker's PrepareArchiveCopy, the half that needs the source: what cannot be copied. */
static int plan_check(bool src_isdir, const struct dstinfo *d, const char *shown, struct berr **err)
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

/* ... and the half that does not: the directory the copy lands in and the name its top entry
 * takes there. Into an existing directory, under the source's own name; anywhere else, as the
 * destination's last component, in its parent. */
static int plan_dir(const struct dstinfo *d, const char *src_base, char **ret_dir, char **ret_name)
{
    if (d->exists && d->isdir) {
        *ret_dir = strdup(d->canon);
        *ret_name = strdup(src_base);
    } else {
        const char *slash = strrchr(d->canon, '/');
        *ret_dir = slash == d->canon ? strdup("/") : strndup(d->canon, slash - d->canon);
        *ret_name = strdup(slash + 1);
    }
    return *ret_dir && *ret_name ? 0 : -ENOMEM;
}

/* --- the container's side, in a child process ------------------------------------------- */

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
    struct view_mount *v = calloc(n + 1, sizeof(*v));
    if (!v)
        return berr_sys(err, ENOMEM, "cp");
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

/* The container's files as docker cp sees them, in this process (a child, alone in its
 * mount namespace from here on): its root file system, with its volumes and binds at their
 * destinations. Returns an fd of the root. A running container's root file system is the one
 * its monitor mounted; a stopped one's is mounted here, under the containers lock (so that
 * no start mounts it beside us; the lock goes when this process does). Not writable, the view
 * is read-only as a whole: copying out can change nothing in the container. */
static int open_view(const char *root, const char *id, bool writable, struct berr **err)
{
    int lock = ctr_lock(root, err);
    if (lock < 0)
        return -1;
    json_t *c = ctr_load(root, id, err);
    if (!c)
        return -1;
    json_t *st = json_object_get(c, "State");
    bool running = json_is_true(json_object_get(st, "Running"));
    pid_t pid = json_integer_value(json_object_get(st, "Pid"));
    uint64_t pstart = json_integer_value(json_object_get(st, "PidStart"));
    pid_t mon = json_integer_value(json_object_get(st, "MonitorPid"));
    uint64_t mstart = json_integer_value(json_object_get(st, "MonitorStart"));
    bool ro_rootfs =
        json_is_true(json_object_get(json_object_get(c, "HostConfig"), "ReadonlyRootfs"));
    _cleanup_free_ char *dir = ctr_dir(root, id);
    struct view_mount *mounts = NULL;
    size_t n_mounts = 0;
    int rootfd = -1;
    /* a container that has just exited: its monitor is still recording the exit and
     * unmounting; its namespace is about to lose the root file system, so wait for it to go
     * and mount the root here (one whose restart policy keeps it waits no longer than 2 s) */
    for (int k = 0; !running && mon > 0 && k < 200 && proc_alive(mon, mstart); k++)
        usleep(10000);
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
               mount_container(root, dir, err) < 0) {
        goto out;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/rootfs", dir);
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
    json_decref(c);
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

struct job {
    const char *root, *id, *name; /* name: the container as the user named it */
    struct cp_opts o;
    struct cpath src, dst;
    bool stream;         /* SRC or DEST is "-" */
    struct dstinfo hdst; /* copying out to the host: the destination, resolved there */
    bool src_isdir;      /* copying in: the host source is a directory */
};

/* The container's side of a copy out: the source, as a tar, to fd_out. */
static int out_child(struct job *j, int fd_out, struct berr **err)
{
    _cleanup_close_ int rootfd = open_view(j->root, j->id, false, err);
    if (rootfd < 0)
        return -1;
    struct srcinfo s = {0};
    if (resolve_src(rootfd, &j->src, j->o.follow, &s, err) < 0) {
        if ((*err)->kind == BERR_NOT_FOUND) {
            berr_free(*err);
            *err = NULL;
            return berr_set(err, BERR_NOT_FOUND, ENOENT,
                            "could not find the file %s in container %s", j->src.path, j->name);
        }
        return -1;
    }
    _cleanup_free_ char *canon = s.canon, *dir = NULL, *name = NULL;
    if (!j->stream && (plan_check(s.isdir, &j->hdst, j->dst.shown, err) < 0 ||
                       plan_dir(&j->hdst, j->src.base, &dir, &name) < 0))
        return *err ? -1 : berr_sys(err, ENOMEM, "cp");
    return layer_tar_path(rootfd, canon, j->stream ? j->src.base : name, fd_out, NULL, err);
}

/* The container's side of a copy in: the tar read from fd_in, unpacked at the destination. */
static int in_child(struct job *j, int fd_in, struct berr **err)
{
    _cleanup_close_ int rootfd = open_view(j->root, j->id, true, err);
    if (rootfd < 0)
        return -1;
    struct dstinfo d = {0};
    if (resolve_dst(rootfd, &j->dst, &d, err) < 0) {
        if ((*err)->kind == BERR_NOT_FOUND) {
            /* docker names the directory it would have unpacked into */
            berr_free(*err);
            *err = NULL;
            _cleanup_free_ char *parent = strdup(j->dst.path);
            char *slash = parent ? strrchr(parent, '/') : NULL;
            if (slash)
                *(slash == parent ? slash + 1 : slash) = 0;
            return berr_set(err, BERR_NOT_FOUND, ENOENT,
                            "could not find the file %s in container %s",
                            parent ? parent : j->dst.path, j->name);
        }
        return -1;
    }
    _cleanup_free_ char *canon = d.canon, *dir = NULL, *name = NULL;
    if (d.special)
        return berr_set(err, BERR_INVALID, EINVAL,
                        "destination \"%s\" must be a directory or a regular file", j->dst.shown);
    struct layer_untar_opts uo = {.owner = j->o.archive ? LAYER_OWNER_KEEP : LAYER_OWNER_SET};
    if (j->stream) {
        if (!d.isdir)
            return berr_set(err, BERR_INVALID, ENOTDIR, "destination \"%s\" must be a directory",
                            j->dst.shown);
        uo.prefix = canon;
    } else {
        if (plan_check(j->src_isdir, &d, j->dst.shown, err) < 0)
            return -1;
        if (plan_dir(&d, j->src.base, &dir, &name) < 0)
            return berr_sys(err, ENOMEM, "cp");
        uo.prefix = dir;
        uo.top = j->src.base;
        uo.rename = strcmp(name, j->src.base) ? name : NULL;
    }
    if (check_writable(rootfd, uo.prefix, err) < 0)
        return -1;
    return layer_untar(fd_in, rootfd, &uo, NULL, err);
}

struct child {
    pid_t pid;
    int errfd; /* the child's error message, if it fails */
};

/* Runs fn in a child. Its error comes back to us, not printed there: whichever side fails,
 * one message is printed, the one that says why (see finish). */
static int spawn(struct job *j, int (*fn)(struct job *, int, struct berr **), int fd, int close_fd,
                 struct child *ret)
{
    struct berr *err = NULL;
    int errp[2];
    if (pipe2(errp, O_CLOEXEC) < 0) {
        berr_sys(&err, errno, "cp: pipe");
        return cli_fail(err, 1);
    }
    pid_t parent = getpid();
    fflush(NULL);
    pid_t p = fork();
    if (p < 0) {
        berr_sys(&err, errno, "cp: fork");
        close(errp[0]);
        close(errp[1]);
        return cli_fail(err, 1);
    }
    if (p > 0) {
        close(errp[1]);
        *ret = (struct child){p, errp[0]};
        return 0;
    }
    /* the copy is over if berth is gone */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(1);
    close(errp[0]);
    if (close_fd >= 0)
        close(close_fd);
    if (fn(j, fd, &err) < 0) {
        berr_prefix(&err, "cp");
        const char *m = err && err->msg ? err->msg : "cp: failed";
        if (write(errp[1], m, strlen(m)) < 0)
            _exit(2);
        _exit(1);
    }
    _exit(0);
}

/* Waits for the child, and prints the error of the copy if there is one. When both sides
 * failed, the child's error is the cause (ours is its consequence: a broken pipe, a short
 * tar): it wrote it before its end of the stream closed. When only we failed, the child is
 * stopped at once, before it can see half a stream. 0 on success. */
static int finish(struct child *c, struct berr *ours)
{
    if (ours)
        kill(c->pid, SIGKILL);
    int status = 0;
    while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
        ;
    char msg[4096];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof(msg) - 1 && (r = read(c->errfd, msg + n, sizeof(msg) - 1 - n)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        n += r;
    }
    msg[n] = 0;
    close(c->errfd);
    if (n > 0) {
        berr_free(ours);
        ours = NULL;
        berr_set(&ours, BERR_INTERNAL, 0, "%s", msg);
        return cli_fail(ours, 1);
    }
    if (ours) {
        berr_prefix(&ours, "cp");
        return cli_fail(ours, 1);
    }
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE) {
        berr_sys(&ours, EPIPE, "cp: write the tar stream");
        return cli_fail(ours, 1);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        berr_set(&ours, BERR_INTERNAL, 0, "cp: the copy failed (%s %d)",
                 WIFEXITED(status) ? "exit status" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        return cli_fail(ours, 1);
    }
    return 0;
}

/* docker's "Successfully copied 2.05kB to /x" (units.HumanSizeWithPrecision, 3 digits) */
static void summary(const struct cp_opts *o, uint64_t size, const char *to)
{
    if (o->quiet || !isatty(STDOUT_FILENO))
        return;
    static const char *units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    double n = (double)size;
    int u = 0;
    while (n >= 1000 && u < 6) {
        n /= 1000;
        u++;
    }
    fprintf(stderr, "Successfully copied %.3g%s to %s\n", n, units[u], to);
}

/* a system call failed on our side: one line, exit 1 */
static int fail_errno(const char *what)
{
    struct berr *err = NULL;
    berr_sys(&err, errno, "cp: %s", what);
    return cli_fail(err, 1);
}

static int copy_out(struct job *j)
{
    struct berr *err = NULL;
    struct child c;
    if (j->stream)
        return spawn(j, out_child, STDOUT_FILENO, -1, &c) ? 1 : finish(&c, NULL);
    /* the host side first, as docker: its destination directory must exist, and what is there
     * must be a directory or a file */
    _cleanup_close_ int hostroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    _cleanup_free_ char *parent = strdup(j->dst.path);
    if (hostroot < 0 || !parent)
        return fail_errno("open /");
    char *slash = strrchr(parent, '/');
    *(slash == parent ? slash + 1 : slash) = 0;
    struct stat st;
    if (stat(parent, &st) < 0 && errno == ENOENT) {
        berr_set(&err, BERR_NOT_FOUND, ENOENT,
                 "cp: invalid output path: directory \"%s\" does not exist", parent);
        return cli_fail(err, 1);
    }
    if (resolve_dst(hostroot, &j->dst, &j->hdst, &err) < 0) {
        berr_prefix(&err, "cp");
        return cli_fail(err, 1);
    }
    _cleanup_free_ char *canon = j->hdst.canon, *dir = NULL, *name = NULL;
    if (j->hdst.special) {
        berr_set(&err, BERR_INVALID, EINVAL,
                 "cp: invalid output path: \"%s\" must be a directory or a regular file",
                 j->dst.shown);
        return cli_fail(err, 1);
    }
    if (plan_dir(&j->hdst, j->src.base, &dir, &name) < 0)
        return fail_errno("plan");

    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return fail_errno("pipe");
    int r = spawn(j, out_child, pipefd[1], pipefd[0], &c);
    close(pipefd[1]);
    if (r) {
        close(pipefd[0]);
        return 1;
    }
    /* what the container sends lands in `dir` and stays there: every entry resolves inside
     * it, and must be `name` or under it. The host gets no device node, and without -a no
     * setuid/setgid bit or file capability, from a container. */
    struct layer_untar_opts uo = {.top = name,
                                  .owner = j->o.archive ? LAYER_OWNER_KEEP : LAYER_OWNER_CALLER,
                                  .drop_privileges = !j->o.archive,
                                  .no_devices = true};
    struct layer_stats ls = {0};
    _cleanup_close_ int dfd = fs_openat_in_root(hostroot, dir, O_PATH | O_DIRECTORY, 0);
    if (dfd < 0)
        berr_sys(&err, -dfd, "%s", dir);
    else
        layer_untar(pipefd[0], dfd, &uo, &ls, &err);
    close(pipefd[0]);
    int rc = finish(&c, err);
    if (rc == 0 && ls.devs_skipped)
        log_warn("cp: %llu device node(s) not made on the host (copy to \"-\" to get them)",
                 (unsigned long long)ls.devs_skipped);
    if (rc == 0)
        summary(&j->o, ls.size, j->dst.path);
    return rc;
}

static int copy_in(struct job *j)
{
    struct berr *err = NULL;
    struct child c;
    if (j->stream)
        return spawn(j, in_child, STDIN_FILENO, -1, &c) ? 1 : finish(&c, NULL);
    _cleanup_close_ int hostroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (hostroot < 0)
        return fail_errno("open /");
    struct srcinfo s = {0};
    if (resolve_src(hostroot, &j->src, j->o.follow, &s, &err) < 0) {
        berr_prefix(&err, "cp");
        return cli_fail(err, 1);
    }
    _cleanup_free_ char *canon = s.canon;
    j->src_isdir = s.isdir;
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return fail_errno("pipe");
    int r = spawn(j, in_child, pipefd[0], pipefd[1], &c);
    close(pipefd[0]);
    if (r) {
        close(pipefd[1]);
        return 1;
    }
    /* a child that stopped reading (it failed, and says why) must not kill us */
    signal(SIGPIPE, SIG_IGN);
    struct layer_stats ls = {0};
    layer_tar_path(hostroot, canon, j->src.base, pipefd[1], &ls, &err);
    /* our failure: the child is stopped before it sees the stream end early */
    if (err)
        kill(c.pid, SIGKILL);
    close(pipefd[1]);
    int rc = finish(&c, err);
    if (rc == 0) {
        char to[PATH_MAX + 300];
        snprintf(to, sizeof(to), "%s:%s", j->name, j->dst.path);
        summary(&j->o, ls.size, to);
    }
    return rc;
}

/* docker's splitCpArg: CONTAINER:PATH, unless it is an absolute path or starts with "."
 * (./file:name is a local file). *ret_ctr is NULL for a local path. */
static void split_arg(char *arg, char **ret_ctr, char **ret_path)
{
    char *colon = strchr(arg, ':');
    *ret_ctr = NULL;
    *ret_path = arg;
    if (arg[0] == '/' || !colon || arg[0] == '.')
        return;
    *colon = 0;
    if (*arg)
        *ret_ctr = arg;
    *ret_path = colon + 1;
}

static void usage(FILE *f)
{
    fputs("Usage: berth cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"
          "       berth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH\n"
          "\n"
          "Copy files/folders between a container and the local filesystem.\n"
          "'-' as the source reads a tar archive from stdin and extracts it into a directory\n"
          "of the container; '-' as the destination writes a tar archive of the source to\n"
          "stdout. The container may be running or stopped.\n"
          "\n"
          "Options:\n"
          "  -a, --archive       Archive mode (copy all uid/gid information); without it,\n"
          "                      what is copied in is owned by root, what is copied out by\n"
          "                      you, with no setuid/setgid bit or file capability\n"
          "  -L, --follow-link   Always follow symbol link in SRC_PATH\n"
          "  -q, --quiet         Suppress the summary printed on a terminal\n",
          f);
}

int cmd_cp(struct engine *e, int argc, char **argv)
{
    const char *root = e->root;
    static const struct option longs[] = {{"archive", no_argument, NULL, 'a'},
                                          {"follow-link", no_argument, NULL, 'L'},
                                          {"quiet", no_argument, NULL, 'q'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    struct job j = {.root = root};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+aLqh", longs, NULL)) != -1) {
        switch (c) {
        case 'a': j.o.archive = true; break;
        case 'L': j.o.follow = true; break;
        case 'q': j.o.quiet = true; break;
        case 'h': usage(stdout); return 0;
        default: return 125;
        }
    }
    struct berr *err = NULL;
    if (argc - optind != 2) {
        berr_set(&err, BERR_INVALID, EINVAL,
                 "cp: give a source and a destination: see 'berth cp --help'");
        return cli_fail(err, 1);
    }
    if (!*argv[optind] || !*argv[optind + 1]) {
        berr_set(&err, BERR_INVALID, EINVAL, "cp: %s can not be empty",
                 *argv[optind] ? "destination" : "source");
        return cli_fail(err, 1);
    }
    char *sctr, *spath, *dctr, *dpath;
    split_arg(argv[optind], &sctr, &spath);
    split_arg(argv[optind + 1], &dctr, &dpath);
    if (sctr && dctr)
        berr_set(&err, BERR_UNSUPPORTED, ENOTSUP,
                 "cp: copying between containers is not supported");
    else if (!sctr && !dctr)
        berr_set(&err, BERR_INVALID, EINVAL, "cp: must specify at least one container source");
    if (err)
        return cli_fail(err, 1);
    j.name = sctr ? sctr : dctr;
    _cleanup_free_ char *id = ctr_resolve(root, j.name, &err);
    if (!id) {
        berr_prefix(&err, "cp");
        return cli_fail(err, 1);
    }
    j.id = id;
    /* "-": a tar stream, stdout out of the container, stdin into it */
    j.stream = !strcmp(sctr ? dpath : spath, "-");
    int r = 0;
    if (!(j.stream && sctr))
        r = cpath_parse(dpath, dctr, &j.dst, &err);
    if (r == 0 && !(j.stream && dctr))
        r = cpath_parse(spath, sctr, &j.src, &err);
    if (r < 0) {
        berr_prefix(&err, "cp");
        return cli_fail(err, 1);
    }
    int rc = sctr ? copy_out(&j) : copy_in(&j);
    cpath_free(&j.src);
    cpath_free(&j.dst);
    return rc;
}

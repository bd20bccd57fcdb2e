/* fs.c - file helpers */
#include "fs.h"
#include <sys/mman.h>
#include "cleanup.h"
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <ftw.h>

int fs_pathf(char *buf, size_t size, struct berr **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < size)
        return 0;
    _cleanup_free_ char *full = NULL;
    va_start(ap, fmt);
    if (vasprintf(&full, fmt, ap) < 0)
        full = NULL;
    va_end(ap);
    if (size > 0)
        buf[0] = 0; /* never a usable prefix of the path */
    return berr_set(err, BERR_INVALID, ENAMETOOLONG, "path \"%s\" is too long (over %zu bytes)",
                    full ? full : fmt, size - 1);
}

int fs_read_fileat(int dirfd, const char *path, char **ret, size_t *ret_len, struct berr **err)
{
    _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return berr_sys(err, errno, "open %s", path);
    size_t cap = 4096, len = 0;
    _cleanup_free_ char *buf = malloc(cap);
    if (!buf)
        return berr_sys(err, ENOMEM, "read %s", path);
    for (;;) {
        if (len + 1 >= cap) {
            char *n = realloc(buf, cap *= 2);
            if (!n)
                return berr_sys(err, ENOMEM, "read %s", path);
            buf = n;
        }
        ssize_t r = read(fd, buf + len, cap - len - 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return berr_sys(err, errno, "read %s", path);
        }
        if (r == 0)
            break;
        len += r;
    }
    buf[len] = 0;
    if (ret_len)
        *ret_len = len;
    *ret = TAKE_PTR(buf);
    return 0;
}

int fs_read_file(const char *path, char **ret, size_t *ret_len, struct berr **err)
{
    return fs_read_fileat(AT_FDCWD, path, ret, ret_len, err);
}

static int write_file(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                      bool durable, struct berr **err);

int fs_write_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                    struct berr **err)
{
    return write_file(dirfd, name, data, len, mode, true, err);
}

int fs_write_replace(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                     struct berr **err)
{
    return write_file(dirfd, name, data, len, mode, false, err);
}

static int write_file(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                      bool durable, struct berr **err)
{
    char tmp[PATH_MAX];
    /* the temp file beside its target: "dir/.name.tmp.PID" for "dir/name" */
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    int r =
        fs_pathf(tmp, sizeof(tmp), err, "%.*s.%s.tmp.%d", (int)(base - name), name, base, getpid());
    if (r < 0)
        return r;
    _cleanup_close_ int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return berr_sys(err, errno, "create %s", name);
    r = fs_write_all(fd, data, len);
    if (r < 0) {
        unlinkat(dirfd, tmp, 0);
        return berr_sys(err, -r, "write %s", name);
    }
    if ((durable && fsync(fd) < 0) || renameat(dirfd, tmp, dirfd, name) < 0) {
        int e = errno;
        unlinkat(dirfd, tmp, 0);
        return berr_sys(err, e, "write %s", name);
    }
    if (!durable)
        return 0;
    /* the rename is durable only once the directory that holds the new name is on disk: a
     * crash before that may bring back the old content, or no file at all */
    _cleanup_free_ char *parent = base > name ? strndup(name, base - name) : NULL;
    _cleanup_close_ int pfd =
        openat(dirfd, parent ? parent : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pfd < 0 || fsync(pfd) < 0)
        return berr_sys(err, errno, "write %s: sync its directory", name);
    return 0;
}

int fs_write_string(const char *path, const char *s)
{
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t len = strlen(s);
    ssize_t w = write(fd, s, len);
    if (w < 0)
        return -errno;
    return (size_t)w == len ? 0 : -EIO;
}

int fs_mkdir_p(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    if (strlen(path) >= sizeof(buf))
        return -ENAMETOOLONG;
    strcpy(buf, path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int rm_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int fs_rm_rf(const char *path)
{
    if (nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
        return -errno;
    return 0;
}

int fs_openat2(int dirfd, const char *path, int open_flags, mode_t mode, uint64_t resolve)
{
    struct open_how how = {
        .flags = (uint64_t)(open_flags | O_CLOEXEC),
        .mode = (open_flags & O_CREAT) ? mode : 0,
        .resolve = resolve,
    };
    int fd;
    do
        fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
    while (fd < 0 && (errno == EAGAIN || errno == EINTR));
    return fd < 0 ? -errno : fd;
}

int fs_openat_in_root(int rootfd, const char *path, int open_flags, mode_t mode)
{
    return fs_openat2(rootfd, path, open_flags, mode, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

const char *fs_fd_path(int fd, char buf[static 32])
{
    snprintf(buf, 32, "/proc/self/fd/%d", fd);
    return buf;
}

int fs_open_in_root(int rootfd, const char *path, int open_flags, unsigned flags, struct berr **err)
{
    int oflags = open_flags ? open_flags : O_PATH;
    uint64_t resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    if (flags & FS_NO_SYMLINKS)
        resolve |= RESOLVE_NO_SYMLINKS;
    int fd = fs_openat2(rootfd, path, oflags, 0, resolve);
    if (fd >= 0 || fd != -ENOENT || !(flags & (FS_CREATE_DIR | FS_CREATE_FILE)))
        return fd >= 0 ? fd : berr_sys(err, -fd, "open %s in the root filesystem", path);

    /* Walk component by component. Each prefix is resolved from the root again with
     * RESOLVE_IN_ROOT, so symlinks resolve as they would inside the container and none,
     * even one planted while we walk, can lead outside. Missing ones are made in the
     * directory the previous step resolved to. */
    _cleanup_free_ char *copy = strdup(path);
    _cleanup_free_ char *prefix = calloc(1, strlen(path) + 2);
    if (!copy || !prefix)
        return berr_sys(err, ENOMEM, "open %s", path);
    _cleanup_close_ int parent = fs_openat2(rootfd, "/", O_PATH | O_DIRECTORY, 0, resolve);
    if (parent < 0)
        return berr_sys(err, -parent, "open root filesystem");
    char *save = NULL;
    char *comp = strtok_r(copy, "/", &save);
    while (comp) {
        char *next = strtok_r(NULL, "/", &save);
        bool last = next == NULL;
        strcat(prefix, "/");
        strcat(prefix, comp);
        int want = last ? oflags : O_PATH | O_DIRECTORY;
        int nfd = fs_openat2(rootfd, prefix, want, 0, resolve);
        if (nfd == -ENOENT) {
            if (strcmp(comp, "..") == 0 || strcmp(comp, ".") == 0)
                return berr_sys(err, ENOENT, "open %s in the root filesystem", path);
            if (last && (flags & FS_CREATE_FILE)) {
                int c = openat(parent, comp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                               0644);
                if (c >= 0)
                    close(c);
                else if (errno != EEXIST)
                    return berr_sys(err, errno, "create %s in the root filesystem", path);
            } else if (mkdirat(parent, comp, 0755) < 0 && errno != EEXIST) {
                return berr_sys(err, errno, "create %s in the root filesystem", path);
            }
            nfd = fs_openat2(rootfd, prefix, want, 0, resolve);
            if (nfd == -ENOENT)
                return berr_set(err, BERR_INVALID, ENOENT,
                                "create %s in the root filesystem: %s is a symlink to a path that "
                                "does not exist there",
                                path, prefix);
        }
        if (nfd < 0)
            return berr_sys(err, -nfd, "open %s in the root filesystem", path);
        close(parent);
        parent = nfd;
        comp = next;
    }
    return TAKE_FD(parent);
}

/* the target of the symlink fd (an O_PATH fd of the link itself), malloc'd */
static int read_link_fd(int fd, char **ret)
{
    for (size_t cap = 256; cap <= 65536; cap *= 2) {
        _cleanup_free_ char *buf = malloc(cap);
        if (!buf)
            return -ENOMEM;
        ssize_t n = readlinkat(fd, "", buf, cap);
        if (n < 0)
            return -errno;
        if ((size_t)n < cap) {
            buf[n] = 0;
            *ret = TAKE_PTR(buf);
            return 0;
        }
    }
    return -ENAMETOOLONG;
}

int fs_resolve_in_root(int rootfd, const char *path, bool follow_last, char **ret,
                       struct berr **err)
{
    /* `todo` is what is left to walk (symlink targets are spliced in front of it), `done`
     * the symlink-free path walked so far. `done` only ever gets components that exist as
     * directories, so ".." is its last component taken off, as the kernel would do. */
    _cleanup_free_ char *todo = strdup(path);
    size_t cap = strlen(path) + 2, len = 0;
    _cleanup_free_ char *done = malloc(cap);
    if (!todo || !done)
        return berr_sys(err, ENOMEM, "resolve %s", path);
    done[0] = 0;
    int hops = 0;
    const char *p = todo;
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *end = strchrnul(p, '/');
        size_t n = end - p;
        if (n == 1 && p[0] == '.') {
            p = end;
            continue;
        }
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            while (len > 0 && done[len - 1] != '/')
                len--;
            if (len > 0)
                len--;
            done[len] = 0;
            p = end;
            continue;
        }
        const char *rest = end;
        while (*rest == '/')
            rest++;
        bool last = !*rest;
        size_t old = len;
        if (len + n + 2 > cap) {
            cap = (len + n + 2) * 2;
            char *nd = realloc(done, cap);
            if (!nd)
                return berr_sys(err, ENOMEM, "resolve %s", path);
            done = nd;
        }
        done[len++] = '/';
        memcpy(done + len, p, n);
        len += n;
        done[len] = 0;
        if (last && !follow_last)
            break;
        _cleanup_close_ int fd = fs_openat_in_root(rootfd, done, O_PATH | O_NOFOLLOW, 0);
        if (fd == -ENOENT && last)
            break;
        if (fd < 0)
            return berr_sys(err, -fd, "%s", done);
        struct stat st;
        if (fstat(fd, &st) < 0)
            return berr_sys(err, errno, "%s", done);
        if (S_ISLNK(st.st_mode)) {
            if (++hops > 40)
                return berr_sys(err, ELOOP, "%s", path);
            _cleanup_free_ char *target = NULL;
            int r = read_link_fd(fd, &target);
            if (r < 0)
                return berr_sys(err, -r, "read link %s", done);
            len = target[0] == '/' ? 0 : old;
            done[len] = 0;
            char *next = NULL;
            if (asprintf(&next, "%s/%s", target, rest) < 0)
                return berr_sys(err, ENOMEM, "resolve %s", path);
            free(todo);
            todo = next;
            p = todo;
            continue;
        }
        if (!last && !S_ISDIR(st.st_mode))
            return berr_sys(err, ENOTDIR, "%s", done);
        p = end;
    }
    if (len == 0) {
        done[0] = '/';
        done[1] = 0;
    }
    *ret = TAKE_PTR(done);
    return 0;
}

int fs_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return -errno;
        }
        p += w;
        len -= w;
    }
    return 0;
}

int fs_memfd_sealed(const char *name, const void *data, size_t len)
{
    _cleanup_close_ int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -errno;
    int r = fs_write_all(fd, data, len);
    if (r < 0)
        return r;
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
        return -errno;
    return TAKE_FD(fd);
}

int fs_recv_fds(struct msghdr *msg, int *ret_fds, size_t want)
{
    size_t got = 0;
    bool cut = msg->msg_flags & MSG_CTRUNC;
    for (size_t i = 0; i < want; i++)
        ret_fds[i] = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (!cut && got < want)
                ret_fds[got++] = fd;
            else
                close(fd);
        }
    }
    return cut ? -EPROTO : 0;
}

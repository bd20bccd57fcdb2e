/* fs.c - file helpers */
#include "fs.h"
#include "cleanup.h"
#include <fcntl.h>
#include <stdint.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <ftw.h>

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
    snprintf(tmp, sizeof(tmp), ".%s.tmp.%d", name, getpid());
    _cleanup_close_ int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return berr_sys(err, errno, "create %s", name);
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            unlinkat(dirfd, tmp, 0);
            return berr_sys(err, e, "write %s", name);
        }
        p += w;
        len -= w;
    }
    if ((durable && fsync(fd) < 0) || renameat(dirfd, tmp, dirfd, name) < 0) {
        int e = errno;
        unlinkat(dirfd, tmp, 0);
        return berr_sys(err, e, "write %s", name);
    }
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

int fs_openat_in_root(int rootfd, const char *path, int open_flags, mode_t mode)
{
    struct open_how how = {
        .flags = (uint64_t)(open_flags | O_CLOEXEC),
        .mode = (open_flags & O_CREAT) ? mode : 0,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    int fd;
    do
        fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
    while (fd < 0 && (errno == EAGAIN || errno == EINTR));
    return fd < 0 ? -errno : fd;
}

const char *fs_fd_path(int fd, char buf[static 32])
{
    snprintf(buf, 32, "/proc/self/fd/%d", fd);
    return buf;
}

int fs_open_in_root(int rootfd, const char *path, int open_flags, unsigned flags, struct berr **err)
{
    int oflags = open_flags ? open_flags : O_PATH;
    int fd = fs_openat_in_root(rootfd, path, oflags, 0);
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
    _cleanup_close_ int parent = fs_openat_in_root(rootfd, "/", O_PATH | O_DIRECTORY, 0);
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
        int nfd = fs_openat_in_root(rootfd, prefix, want, 0);
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
            nfd = fs_openat_in_root(rootfd, prefix, want, 0);
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

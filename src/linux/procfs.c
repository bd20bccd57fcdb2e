/* procfs.c - writes to /proc files through a procfs handle nothing can redirect */
#include "procfs.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define PROC_ROOT_INO 1

static bool on_procfs(int fd)
{
    struct statfs sf;
    return fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

/* the root directory of a procfs, not a directory inside one nor anything else */
static int verify_root(int fd)
{
    struct stat st;
    if (!on_procfs(fd) || fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_ino != PROC_ROOT_INO)
        return -EXDEV;
    return 0;
}

static int new_instance(void)
{
    _cleanup_close_ int fsfd = fsopen("proc", FSOPEN_CLOEXEC);
    if (fsfd < 0)
        return -errno;
    if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return -errno;
    int fd =
        fsmount(fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    return fd < 0 ? -errno : fd;
}

int procfs_open(struct berr **err)
{
    /* A new instance is ours alone; where the kernel refuses one (a user namespace whose
     * /proc is partly masked), a clone of /proc's mount has none of what is mounted on top of
     * its files; plain /proc is the last resort. Whichever: it must be a procfs root. */
    int fd = new_instance();
    if (fd < 0)
        fd = open_tree(AT_FDCWD, "/proc", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (fd < 0)
        fd = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return berr_sys(err, errno, "open procfs");
    if (verify_root(fd) < 0) {
        close(fd);
        return berr_set(err, BERR_INVALID, EXDEV, "open procfs: /proc is not the root of a procfs");
    }
    return fd;
}

/* "self" and "thread-self" of the handle, as "1234" or "1234/task/1235", checked to be that
 * and nothing else */
static int read_self(int procfd, const char *link, char *buf, size_t len)
{
    ssize_t n = readlinkat(procfd, link, buf, len - 1);
    if (n < 0)
        return -errno;
    buf[n] = 0;
    if (n == 0 || strspn(buf, "0123456789/task") != (size_t)n || buf[0] == '/' || strstr(buf, ".."))
        return -EXDEV;
    return 0;
}

int procfs_openat(int procfd, const char *path, int flags)
{
    char self[64], full[4096];
    const char *rest = NULL;
    if (strncmp(path, "self/", 5) == 0)
        rest = path + 5;
    else if (strncmp(path, "thread-self/", 12) == 0)
        rest = path + 12;
    if (rest) {
        int r = read_self(procfd, path[0] == 's' ? "self" : "thread-self", self, sizeof(self));
        if (r < 0)
            return r;
        if ((size_t)snprintf(full, sizeof(full), "%s/%s", self, rest) >= sizeof(full))
            return -ENAMETOOLONG;
        path = full;
    }
    _cleanup_close_ int fd =
        fs_openat2(procfd, path, flags | O_NOFOLLOW, 0,
                   RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);
    if (fd < 0)
        return fd;
    if (!on_procfs(fd))
        return -EXDEV;
    return TAKE_FD(fd);
}

int procfs_write(int procfd, const char *path, const void *data, size_t len)
{
    _cleanup_close_ int fd = procfs_openat(procfd, path, O_WRONLY);
    if (fd < 0)
        return fd;
    ssize_t w = write(fd, data, len);
    if (w < 0)
        return -errno;
    return (size_t)w == len ? 0 : -EIO;
}

int procfs_write_once(const char *path, const void *data, size_t len)
{
    struct berr *e = NULL;
    _cleanup_close_ int procfd = procfs_open(&e);
    if (procfd < 0) {
        int r = berr_code(e);
        berr_free(e);
        return r;
    }
    return procfs_write(procfd, path, data, len);
}

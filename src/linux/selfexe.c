/* selfexe.c - re-execute from a copy of the berth binary that nobody can write */
#include "selfexe.h"
#include "base/cleanup.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

int selfexe_sealed(void)
{
    _cleanup_close_ int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (self < 0)
        return -errno;
    int seals = fcntl(self, F_GET_SEALS);
    if (seals >= 0)
        return (seals & SEALS) == SEALS;
    /* Our own read-only bind of the binary: a detached mount (its root, the file, reads as
     * "/"), read-only per mount, which only CAP_SYS_ADMIN could change. A binary that merely
     * lies on a read-only file system does not count: the host may remount it writable while
     * a container still holds it open. */
    char link[8];
    ssize_t n = readlink("/proc/self/exe", link, sizeof(link));
    struct statvfs sv;
    return n == 1 && link[0] == '/' && fstatvfs(self, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

/* A read-only bind mount of the binary, detached (attached nowhere, gone with its last
 * user): no copy, so it costs only the exec. Needs open_tree and mount_setattr (5.12). */
static int readonly_bind(int self)
{
    _cleanup_close_ int tree =
        syscall(SYS_open_tree, self, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
    if (tree < 0)
        return -errno;
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
    if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
        return -errno;
    return TAKE_FD(tree);
}

/* A sealed memfd copy of the binary: works where mounts cannot be made. */
static int sealed_copy(int self)
{
    struct stat st;
    if (fstat(self, &st) < 0)
        return -errno;
    _cleanup_close_ int mfd = memfd_create("berth", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (mfd < 0)
        return -errno;
    /* sendfile copies in the kernel: no pages of the binary pass through ours */
    off_t off = 0;
    while (off < st.st_size) {
        ssize_t n = sendfile(mfd, self, &off, st.st_size - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
    }
    if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
        return -errno;
    return TAKE_FD(mfd);
}

int selfexe_reexec(char **argv)
{
    int r = selfexe_sealed();
    if (r != 0)
        return r > 0 ? 0 : r;
    _cleanup_close_ int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (self < 0)
        return -errno;
    /* close-on-exec: an ELF binary runs from an fd that closes on exec (only a script, which
     * would read the fd after the exec, could not) */
    _cleanup_close_ int fd = readonly_bind(self);
    if (fd >= 0) {
        syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
        close(fd);
    }
    if ((fd = sealed_copy(self)) < 0)
        return fd;
    syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
    return -errno;
}

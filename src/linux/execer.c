/* execer.c - exec a container's process through the sealed trampoline */
#include "execer.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

extern const unsigned char berth_execer[];
extern const unsigned long berth_execer_len;

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

int execer_memfd(void)
{
    _cleanup_close_ int fd = memfd_create("berth-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -errno;
    const unsigned char *p = berth_execer;
    size_t left = berth_execer_len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        left -= w;
    }
    if (fcntl(fd, F_ADD_SEALS, SEALS) < 0)
        return -errno;
    return TAKE_FD(fd);
}

int execer_exec(int memfd, int started_fd, const char *path, char *const argv[], char *const envp[])
{
    size_t n = 0;
    while (argv[n])
        n++;
    char **nargv = calloc(n + 3, sizeof(char *));
    char fdnum[16];
    if (!nargv)
        return -ENOMEM;
    snprintf(fdnum, sizeof(fdnum), "%d", started_fd >= 3 ? started_fd : 0);
    nargv[0] = fdnum;
    nargv[1] = (char *)path;
    memcpy(nargv + 2, argv, n * sizeof(char *));
    syscall(SYS_execveat, memfd, "", nargv, envp, AT_EMPTY_PATH);
    int e = errno;
    /* a seccomp profile that allows execve but not execveat: the same memfd by its path */
    if (e == EPERM || e == ENOSYS || e == EACCES) {
        char fdpath[32];
        execve(fs_fd_path(memfd, fdpath), nargv, envp);
        e = errno;
    }
    free(nargv);
    return -e;
}

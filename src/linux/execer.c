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

int execer_memfd(void)
{
    return fs_memfd_sealed("berth-exec", berth_execer, berth_execer_len);
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

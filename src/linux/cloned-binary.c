/* cloned-binary.c - run from a sealed in-memory copy of ourselves */
#include "cloned-binary.h"
#include "base/cleanup.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

int cloned_binary_ensure(char **argv)
{
    _cleanup_close_ int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (self < 0)
        return -errno;
    int seals = fcntl(self, F_GET_SEALS);
    if (seals >= 0 && (seals & SEALS) == SEALS)
        return 0; /* already the sealed copy */

    struct stat st;
    if (fstat(self, &st) < 0)
        return -errno;
    /* not MFD_CLOEXEC: execveat of a close-on-exec fd fails for scripts, and harmlessly
     * leaves nothing open for an ELF binary; we close it in the new image anyway */
    _cleanup_close_ int mfd = memfd_create("berth", MFD_ALLOW_SEALING | MFD_CLOEXEC);
    if (mfd < 0)
        return -errno;
    off_t off = 0;
    while (off < st.st_size) {
        ssize_t n = sendfile(mfd, self, &off, st.st_size - off);
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
    }
    if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
        return -errno;
    syscall(SYS_execveat, mfd, "", argv, environ, AT_EMPTY_PATH);
    return -errno;
}

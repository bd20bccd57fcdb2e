/* fuzz-layer.c - libFuzzer target for layer_apply: whatever the bytes, no crash, no leak, and
 * nothing written outside the layer directory. Runs as root (devices, chown, xattrs).
 * Each input gets base/{layer,canary/file}; after the apply, base must still hold exactly
 * those two, canary/file unchanged, and the layer is removed again. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include "base/cleanup.h"
#include "base/fs.h"
#include "image/layer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int basefd)
{
    char buf[16] = {0};
    int fd = openat(basefd, "canary/file", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || read(fd, buf, sizeof(buf)) != 6 || memcmp(buf, "canary", 6) != 0)
        abort();
    close(fd);
    int dfd = openat(basefd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fdopendir(dfd);
    if (!d)
        abort();
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    if (n != 2)
        abort();
    struct stat st;
    if (fstatat(basefd, "canary", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char base[] = "/tmp/berth-fuzz-layer-XXXXXX";
    if (!mkdtemp(base))
        return 0;
    _cleanup_close_ int basefd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (basefd < 0 || mkdirat(basefd, "layer", 0755) < 0 || mkdirat(basefd, "canary", 0755) < 0)
        abort();
    int c = openat(basefd, "canary/file", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (c < 0 || write(c, "canary", 6) != 6)
        abort();
    close(c);

    _cleanup_close_ int in = memfd_create("layer", MFD_CLOEXEC);
    if (in < 0 || (size && write(in, data, size) != (ssize_t)size) || lseek(in, 0, SEEK_SET))
        abort();
    _cleanup_close_ int layer = openat(basefd, "layer", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (layer < 0)
        abort();
    _cleanup_berr_ struct berr *err = NULL;
    struct layer_stats st;
    int r = layer_apply(in, layer, &st, &err);
    if ((r < 0) != (err != NULL))
        abort();
    if (r < 0 && (!err->msg || !*err->msg))
        abort();
    check(basefd);

    /* a layer that applied must diff again (the whiteouts and opaque dirs it made are
     * overlay's own, which layer_diff reads back) */
    if (r >= 0) {
        _cleanup_close_ int out = memfd_create("diff", MFD_CLOEXEC);
        _cleanup_berr_ struct berr *derr = NULL;
        if (out < 0)
            abort();
        (void)layer_diff(layer, out, LAYER_COMPRESSION_NONE, NULL, &derr);
    }
    /* nftw with FTW_PHYS: symlinks the layer made are removed, never followed */
    if (fs_rm_rf(base) < 0)
        abort();
    return 0;
}

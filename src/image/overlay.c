/* overlay.c - an image's layers as one file system */
#include "overlay.h"
#include "base/cleanup.h"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

int overlay_mount(struct store *st, const struct image *im, const char *init, const char *upper,
                  const char *work, const char *target, struct berr **err)
{
    size_t n = 0;
    while (im->layers[n])
        n++;
    if (n == 0)
        return berr_set(err, BERR_INVALID, EINVAL, "image %s has no layers", im->id);
    if (n == 1 && !upper) {
        /* overlay wants two lower dirs when it has no upper: one layer is a read-only bind */
        _cleanup_free_ char *dir = store_layer_path(st, im->layers[0]);
        if (!dir || mount(dir, target, NULL, MS_BIND, NULL) < 0 ||
            mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
            return berr_sys(err, errno, "mount image %s on %s", im->id, target);
        return 0;
    }
    /* lowerdir lists the top layer first */
    if (!upper)
        init = NULL;
    size_t cap = n * 32 + 64 + (upper ? strlen(upper) + strlen(work) + 32 : 0) +
                 (init ? strlen(init) + 1 : 0);
    _cleanup_free_ char *opts = malloc(cap);
    if (!opts)
        return berr_sys(err, ENOMEM, "mount image");
    size_t len = snprintf(opts, cap, "lowerdir=%s%s", init ? init : "", init ? ":" : "");
    for (size_t i = n; i-- > 0;) {
        char s[32];
        store_layer_short(im->layers[i], s);
        len += snprintf(opts + len, cap - len, "%s%s", s, i ? ":" : "");
    }
    if (upper)
        len += snprintf(opts + len, cap - len, ",upperdir=%s,workdir=%s", upper, work);
    if (len >= (size_t)getpagesize())
        return berr_set(err, BERR_UNSUPPORTED, E2BIG,
                        "image %s has too many layers (%zu) for one overlay mount", im->id, n);
    /* the short names are relative to the store: mount from there */
    _cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cwd < 0 || fchdir(st->dirfd) < 0)
        return berr_sys(err, errno, "mount image %s", im->id);
    /* EBUSY: the upper directory is still held by the overlay of a container that just
     * exited (the kernel lets go of a dying process's mounts a moment later, from a work
     * queue); it is ours again within milliseconds */
    int r, e = 0;
    for (int tries = 0; tries < 200; tries++) {
        r = mount("overlay", target, "overlay", upper ? 0 : MS_RDONLY, opts);
        e = errno;
        if (r == 0 || e != EBUSY || !upper)
            break;
        usleep(10000);
    }
    if (fchdir(cwd) < 0) {
        /* nothing sensible to do: we are in the store dir, which is still a valid cwd */
    }
    if (r < 0)
        return berr_sys(err, e, "mount image %s on %s", im->id, target);
    return 0;
}

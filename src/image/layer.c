/* layer.c - layer tars: apply one with its whiteouts into an overlay lower dir, diff an upper dir
 */
#include "layer.h"
#include "base/cleanup.h"
#include "base/digest.h"
#include "base/fs.h"
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define WH_PREFIX ".wh."
#define WH_META_PREFIX ".wh..wh."
#define WH_OPAQUE ".wh..wh..opq"
#define OVL_OPAQUE_XATTR "trusted.overlay.opaque"

static void archive_read_freep(struct archive **a)
{
    if (*a)
        archive_read_free(*a);
}

static void archive_write_freep(struct archive **a)
{
    if (*a)
        archive_write_free(*a);
}

static void archive_entry_freep(struct archive_entry **e)
{
    if (*e)
        archive_entry_free(*e);
}

/* libarchive converts names between the locale's charset and UTF-8 (pax). Pinned to "C"
 * for the call, the bytes of a name pass through unchanged (a non-ASCII name is kept as
 * bytes, with a pax hdrcharset=BINARY record on write) and the output never depends on the
 * caller's locale. */
struct pinned_locale {
    locale_t c, old;
};

static struct pinned_locale pin_c_locale(void)
{
    struct pinned_locale p = {newlocale(LC_ALL_MASK, "C", (locale_t)0), (locale_t)0};
    if (p.c)
        p.old = uselocale(p.c);
    return p;
}

static void unpin_locale(struct pinned_locale *p)
{
    if (p->c) {
        uselocale(p->old);
        freelocale(p->c);
    }
}

static bool startswith(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The kernel's overlayfs reads its own metadata from these xattrs: whiteouts, opaque
 * directories, redirects to other lower paths, metacopy (data elsewhere). A layer must never
 * carry them as data, or it could hide or borrow files of other layers behind the engine's
 * back. Only `.wh.` entries make whiteouts and opaque directories. */
static bool is_overlay_xattr(const char *name)
{
    return startswith(name, "trusted.overlay.") || startswith(name, "user.overlay.");
}

int layer_clean_path(const char *name, char **ret)
{
    size_t len = 0;
    _cleanup_free_ char *out = malloc(strlen(name) + 1);
    if (!out)
        return -ENOMEM;
    for (const char *p = name; *p;) {
        if (*p == '/') {
            p++;
            continue;
        }
        const char *end = strchrnul(p, '/');
        size_t n = end - p;
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (len == 0)
                return -EINVAL;
            while (len > 0 && out[len - 1] != '/')
                len--;
            if (len > 0)
                len--;
        } else if (!(n == 1 && p[0] == '.')) {
            if (len > 0)
                out[len++] = '/';
            memcpy(out + len, p, n);
            len += n;
        }
        p = end;
    }
    out[len] = 0;
    *ret = TAKE_PTR(out);
    return 0;
}

/* --- apply ------------------------------------------------------------------------------- */

struct dirtime {
    char *path;
    struct timespec ts[2];
};

struct apply {
    int fd_in;
    int rootfd;
    struct archive *raw; /* fd_in through the gzip/zstd filters: the uncompressed tar bytes */
    struct archive *tar; /* parses what raw hands it */
    struct digest blob, diff;
    uint64_t blob_size, tar_size;
    int read_errno;       /* read(2) of fd_in failed */
    char raw_msg[256];    /* the decompressor failed */
    struct dirtime *dirs; /* directory mtimes, set once all entries are in */
    size_t n_dirs;
    struct layer_stats st;
    /* layer_untar: cp's options, with prefix, top and rename cleaned (layer_clean_path) */
    const struct layer_untar_opts *cp;
    char *cp_prefix, *cp_top, *cp_rename;
    uint8_t buf[128 * 1024];
};

static void apply_done(struct apply *ap)
{
    for (size_t i = 0; i < ap->n_dirs; i++)
        free(ap->dirs[i].path);
    free(ap->dirs);
    free(ap->cp_prefix);
    free(ap->cp_top);
    free(ap->cp_rename);
}

/* The DiffID is the digest of the uncompressed tar stream, byte for byte, padding and
 * trailing data included, which no re-serialisation of the entries reproduces. So the
 * stream is read by two libarchive readers: `raw` owns the input (every byte read from
 * fd_in is hashed into the blob digest here) and undoes the compression with format "raw";
 * `tar` parses the decompressed bytes, which it can only get from raw_block below, where
 * they are hashed into the DiffID. One pass, libarchive's own decompressors, and the bytes
 * hashed are exactly the bytes parsed. */
static la_ssize_t input_read(struct archive *a, void *data, const void **buf)
{
    struct apply *ap = data;
    for (;;) {
        ssize_t n = read(ap->fd_in, ap->buf, sizeof(ap->buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ap->read_errno = errno;
            archive_set_error(a, errno, "read layer");
            return -1;
        }
        digest_update(&ap->blob, ap->buf, n);
        ap->blob_size += n;
        *buf = ap->buf;
        return n;
    }
}

static la_ssize_t raw_block(struct archive *a, void *data, const void **buf)
{
    struct apply *ap = data;
    size_t len;
    la_int64_t off;
    int r = archive_read_data_block(ap->raw, buf, &len, &off);
    if (r == ARCHIVE_EOF)
        return 0;
    if (r != ARCHIVE_OK) {
        snprintf(ap->raw_msg, sizeof(ap->raw_msg), "%s",
                 archive_error_string(ap->raw) ?: "decompression failed");
        if (a)
            archive_set_error(a, EIO, "%s", ap->raw_msg);
        return -1;
    }
    digest_update(&ap->diff, *buf, len);
    ap->tar_size += len;
    return (la_ssize_t)len;
}

/* The error of a failed libarchive call on the tar reader, with its root cause. */
static int tar_error(struct apply *ap, struct berr **err, const char *what)
{
    if (ap->read_errno)
        return berr_sys(err, ap->read_errno, "read layer");
    if (ap->raw_msg[0])
        return berr_set(err, BERR_INVALID, EBADMSG, "decompress layer: %s", ap->raw_msg);
    const char *msg = archive_error_string(ap->tar);
    return berr_set(err, BERR_INVALID, EBADMSG, "%s: %s", what, msg ?: "invalid tar stream");
}

/* Opens the directory that holds `path` (creating missing ones, 0755, as tar does) and
 * points *ret_base at the last component, "." for the root itself. */
static int open_parent(struct apply *ap, char *path, const char **ret_base, struct berr **err)
{
    char *slash = strrchr(path, '/');
    if (!slash) {
        *ret_base = *path ? path : ".";
        int fd = fs_openat_in_root(ap->rootfd, ".", O_PATH | O_DIRECTORY, 0);
        return fd >= 0 ? fd : berr_sys(err, -fd, "open layer root");
    }
    *slash = 0;
    int fd = fs_open_in_root(ap->rootfd, path, O_PATH | O_DIRECTORY, FS_CREATE_DIR, err);
    *slash = '/';
    *ret_base = slash + 1;
    return fd;
}

static int rm_tree_at(int parent, const char *name)
{
    _cleanup_close_ int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    _cleanup_closedir_ DIR *d = fdopendir(fd);
    if (!d)
        return -errno;
    fd = -1;
    struct dirent *de;
    while ((errno = 0, de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return -errno;
        int r = S_ISDIR(st.st_mode) ? rm_tree_at(dirfd(d), de->d_name)
                                    : (unlinkat(dirfd(d), de->d_name, 0) < 0 ? -errno : 0);
        if (r < 0)
            return r;
    }
    if (errno)
        return -errno;
    return unlinkat(parent, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}

/* Tar semantics for a name that exists already: a directory stays a directory (its new
 * metadata is applied), anything else is replaced. Returns 1 if a directory was kept, 0 if
 * the name is free; *ret_whiteout tells whether a whiteout was removed. */
static int make_room(int parent, const char *name, bool want_dir, bool *ret_whiteout,
                     struct berr **err)
{
    struct stat st;
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : berr_sys(err, errno, "stat");
    if (ret_whiteout)
        *ret_whiteout = S_ISCHR(st.st_mode) && st.st_rdev == 0;
    if (S_ISDIR(st.st_mode) && want_dir)
        return 1;
    int r = S_ISDIR(st.st_mode) ? rm_tree_at(parent, name)
                                : (unlinkat(parent, name, 0) < 0 ? -errno : 0);
    return r < 0 ? berr_sys(err, -r, "remove the existing entry") : 0;
}

/* cp (docker's NoOverwriteDirNonDir): an existing directory is never replaced by something
 * else, nor something else by a directory: a copy must not delete a tree it was not given. */
static int check_overwrite(struct apply *ap, int parent, const char *name, bool want_dir,
                           const char *path, struct berr **err)
{
    struct stat st;
    if (!ap->cp || fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return 0;
    if (S_ISDIR(st.st_mode) && !want_dir)
        return berr_set(err, BERR_CONFLICT, EISDIR,
                        "cannot overwrite directory \"%s\" with a non-directory", path);
    if (!S_ISDIR(st.st_mode) && want_dir)
        return berr_set(err, BERR_CONFLICT, ENOTDIR,
                        "cannot overwrite non-directory \"%s\" with a directory", path);
    return 0;
}

static int set_opaque(int dirfd_, struct berr **err)
{
    if (fsetxattr(dirfd_, OVL_OPAQUE_XATTR, "y", 1, 0) < 0)
        return berr_sys(err, errno, "set %s", OVL_OPAQUE_XATTR);
    return 0;
}

/* `.wh.NAME`: NAME of the lower layers is deleted, which overlayfs reads from a 0/0
 * character device named NAME in this one. */
static int apply_whiteout(struct apply *ap, char *path, struct berr **err)
{
    const char *base;
    _cleanup_close_ int parent = open_parent(ap, path, &base, err);
    if (parent < 0)
        return parent;
    int r = make_room(parent, base, false, NULL, err);
    if (r < 0)
        return r;
    if (mknodat(parent, base, S_IFCHR, makedev(0, 0)) < 0)
        return berr_sys(err, errno, "make whiteout");
    return 0;
}

/* `.wh..wh..opq` in DIR: nothing of DIR in lower layers shows through; what this layer put
 * in DIR, before or after the marker, stays. */
static int apply_opaque(struct apply *ap, const char *dir, struct berr **err)
{
    _cleanup_close_ int fd =
        fs_open_in_root(ap->rootfd, dir, O_RDONLY | O_DIRECTORY, FS_CREATE_DIR, err);
    if (fd < 0)
        return fd;
    return set_opaque(fd, err);
}

static int push_dirtime(struct apply *ap, const char *path, const struct timespec ts[2])
{
    if ((ap->n_dirs & (ap->n_dirs - 1)) == 0) {
        size_t cap = ap->n_dirs ? ap->n_dirs * 2 : 16;
        struct dirtime *n = realloc(ap->dirs, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        ap->dirs = n;
    }
    char *p = strdup(path);
    if (!p)
        return -ENOMEM;
    ap->dirs[ap->n_dirs++] = (struct dirtime){p, {ts[0], ts[1]}};
    return 0;
}

/* Owner, mode, xattrs and times of a new entry, in that order: chown clears setuid bits
 * and security.capability, so the mode and the xattrs come after it. The entry is reached
 * through an O_PATH fd so that devices and fifos are never opened. */
static int apply_meta(struct apply *ap, int parent, const char *base, const char *path,
                      struct archive_entry *e, struct berr **err)
{
    la_int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);
    enum layer_owner owner = ap->cp ? ap->cp->owner : LAYER_OWNER_KEEP;
    if (owner == LAYER_OWNER_SET) {
        uid = ap->cp->uid;
        gid = ap->cp->gid;
    }
    if (uid < 0 || uid >= UINT32_MAX || gid < 0 || gid >= UINT32_MAX)
        return berr_set(err, BERR_INVALID, EINVAL, "invalid owner %lld:%lld", (long long)uid,
                        (long long)gid);
    if (owner != LAYER_OWNER_CALLER &&
        fchownat(parent, base, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW) < 0)
        return berr_sys(err, errno, "chown");
    /* cp without -a: the owner is not the archive's, and neither are the privileges only
     * an owner gives, as chown(2) takes them away */
    bool drop = ap->cp && ap->cp->drop_privileges;

    _cleanup_close_ int fd = openat(parent, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return berr_sys(err, errno, "open");
    struct stat st;
    if (fstat(fd, &st) < 0)
        return berr_sys(err, errno, "stat");
    char proc[32];
    fs_fd_path(fd, proc);
    mode_t perm = archive_entry_perm(e) & (drop && !S_ISDIR(st.st_mode) ? 01777 : 07777);
    if (!S_ISLNK(st.st_mode) && chmod(proc, perm) < 0)
        return berr_sys(err, errno, "chmod");

    const char *name;
    const void *value;
    size_t size;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        if (is_overlay_xattr(name) || (drop && strcmp(name, "security.capability") == 0))
            continue;
        /* setxattr (not l-) on the magic link reaches the entry itself, symlinks too */
        if (setxattr(proc, name, value, size, 0) < 0) {
            /* as docker: not every filesystem takes every xattr */
            if (errno == EOPNOTSUPP || errno == EPERM) {
                ap->st.xattrs_skipped++;
                continue;
            }
            return berr_sys(err, errno, "set xattr %s", name);
        }
    }

    struct timespec ts[2];
    ts[1].tv_sec = archive_entry_mtime(e);
    ts[1].tv_nsec = archive_entry_mtime_nsec(e);
    if (!archive_entry_mtime_is_set(e))
        ts[1].tv_nsec = UTIME_OMIT;
    if (archive_entry_atime_is_set(e)) {
        ts[0].tv_sec = archive_entry_atime(e);
        ts[0].tv_nsec = archive_entry_atime_nsec(e);
    } else {
        ts[0] = ts[1];
    }
    if (S_ISDIR(st.st_mode))
        return push_dirtime(ap, path, ts) < 0 ? berr_sys(err, ENOMEM, "apply") : 0;
    if (utimensat(parent, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return berr_sys(err, errno, "set times");
    return 0;
}

static int write_data(struct apply *ap, int fd, struct archive_entry *e, struct berr **err)
{
    la_int64_t size = archive_entry_size(e);
    if (size < 0)
        return berr_set(err, BERR_INVALID, EINVAL, "invalid size %lld", (long long)size);
    for (;;) {
        const void *buf;
        size_t len;
        la_int64_t off;
        int r = archive_read_data_block(ap->tar, &buf, &len, &off);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK)
            return tar_error(ap, err, "read data");
        if (off < 0 || (la_int64_t)len > size || off > size - (la_int64_t)len)
            return berr_set(err, BERR_INVALID, EINVAL, "data outside the file's size");
        /* writing at the block's offset leaves the holes of a sparse entry unwritten */
        for (size_t done = 0; done < len;) {
            ssize_t w = pwrite(fd, (const char *)buf + done, len - done, off + done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return berr_sys(err, errno, "write");
            done += w;
        }
        ap->st.size += len;
    }
    if (ftruncate(fd, size) < 0)
        return berr_sys(err, errno, "truncate");
    return 0;
}

static int apply_hardlink(struct apply *ap, int parent, const char *base, const char *target,
                          struct berr **err)
{
    _cleanup_free_ char *clean = NULL;
    if (layer_clean_path(target, &clean) < 0)
        return berr_set(err, BERR_INVALID, EINVAL, "hardlink target \"%s\" is outside the layer",
                        target);
    /* O_NOFOLLOW: a hardlink to a symlink links the symlink; RESOLVE_IN_ROOT: any symlink
     * on the way resolves inside the layer, so the target is always one of its files */
    _cleanup_close_ int tfd =
        *clean ? fs_openat_in_root(ap->rootfd, clean, O_PATH | O_NOFOLLOW, 0) : -EISDIR;
    if (tfd == -ENOENT || tfd == -ENOTDIR)
        return berr_set(err, BERR_INVALID, -tfd, "hardlink target \"%s\" is not in the layer",
                        target);
    if (tfd < 0)
        return berr_sys(err, -tfd, "hardlink to \"%s\"", target);
    struct stat tst, st;
    if (fstat(tfd, &tst) < 0)
        return berr_sys(err, errno, "stat \"%s\"", target);
    if (S_ISDIR(tst.st_mode))
        return berr_set(err, BERR_INVALID, EISDIR, "hardlink to directory \"%s\"", target);
    if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == tst.st_dev &&
        st.st_ino == tst.st_ino)
        return 0;
    int r = check_overwrite(ap, parent, base, false, base, err);
    if (r < 0)
        return r;
    r = make_room(parent, base, false, NULL, err);
    if (r < 0)
        return r;
    if (linkat(tfd, "", parent, base, AT_EMPTY_PATH) == 0)
        return 0;
    /* AT_EMPTY_PATH wants CAP_DAC_READ_SEARCH; the magic link does not */
    char proc[32];
    if (linkat(AT_FDCWD, fs_fd_path(tfd, proc), parent, base, AT_SYMLINK_FOLLOW) < 0)
        return berr_sys(err, errno, "hardlink to \"%s\"", target);
    return 0;
}

static int apply_entry(struct apply *ap, struct archive_entry *e, char *path, struct berr **err)
{
    const char *base;
    _cleanup_close_ int parent = open_parent(ap, path, &base, err);
    if (parent < 0)
        return parent;

    const char *hardlink = archive_entry_hardlink(e);
    if (hardlink) {
        if (!*path)
            return berr_set(err, BERR_INVALID, EINVAL, "hardlink as the layer root");
        return apply_hardlink(ap, parent, base, hardlink, err);
    }

    mode_t type = archive_entry_filetype(e);
    if (!*path && type != AE_IFDIR)
        return berr_set(err, BERR_INVALID, EINVAL, "the layer root is not a directory");
    if (type == AE_IFSOCK)
        return 0;
    bool whiteout = false;
    int r = check_overwrite(ap, parent, base, type == AE_IFDIR, *path ? path : ".", err);
    if (r < 0)
        return r;
    r = make_room(parent, base, type == AE_IFDIR, &whiteout, err);
    if (r < 0)
        return r;

    switch (type) {
    case AE_IFREG: {
        _cleanup_close_ int fd =
            openat(parent, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
            return berr_sys(err, errno, "create");
        r = write_data(ap, fd, e, err);
        if (r < 0)
            return r;
        break;
    }
    case AE_IFDIR:
        if (r == 0 && mkdirat(parent, base, 0700) < 0)
            return berr_sys(err, errno, "mkdir");
        if (whiteout && !ap->cp) {
            /* this layer deleted the lower NAME and made a new directory NAME: nothing
             * of the old one may show through */
            _cleanup_close_ int fd =
                openat(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0)
                return berr_sys(err, errno, "open");
            r = set_opaque(fd, err);
            if (r < 0)
                return r;
        }
        break;
    case AE_IFLNK: {
        const char *target = archive_entry_symlink(e);
        /* the target is data, it may point anywhere: nothing is ever created through it
         * except by resolving it inside the root */
        if (!target || symlinkat(target, parent, base) < 0)
            return berr_sys(err, target ? errno : EINVAL, "symlink");
        break;
    }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO: {
        dev_t dev =
            type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
        if (mknodat(parent, base, type | 0600, dev) < 0)
            return berr_sys(err, errno, "mknod");
        break;
    }
    default: return berr_set(err, BERR_INVALID, EINVAL, "unknown entry type 0%o", (unsigned)type);
    }
    return apply_meta(ap, parent, base, path, e, err);
}

/* cp: where a cleaned archive path lands, relative to the root: under top (renamed), inside
 * prefix. -EXDEV if it is not under top. */
static int cp_path(struct apply *ap, const char *clean, char **ret)
{
    const char *head = "", *rest = clean;
    if (ap->cp_top) {
        size_t n = strlen(ap->cp_top);
        if (n && (strncmp(clean, ap->cp_top, n) != 0 || (clean[n] && clean[n] != '/')))
            return -EXDEV;
        head = ap->cp_rename ? ap->cp_rename : ap->cp_top;
        rest = clean + n;
        if (*rest == '/')
            rest++;
    }
    const char *pre = ap->cp_prefix;
    if (asprintf(ret, "%s%s%s%s%s", pre, *pre && (*head || *rest) ? "/" : "", head,
                 *head && *rest ? "/" : "", rest) < 0)
        return -ENOMEM;
    return 0;
}

/* cp's entry: no whiteouts, names mapped by cp_path */
static int untar_one(struct apply *ap, struct archive_entry *e, struct berr **err)
{
    const char *name = archive_entry_pathname(e);
    if (!name)
        return berr_set(err, BERR_INVALID, EINVAL, "entry without a name");
    _cleanup_free_ char *clean = NULL, *path = NULL;
    int r = layer_clean_path(name, &clean);
    if (r == 0)
        r = cp_path(ap, clean, &path);
    if (r == -ENOMEM)
        return berr_sys(err, ENOMEM, "unpack");
    if (r == -EINVAL)
        return berr_set(err, BERR_INVALID, EINVAL,
                        "entry \"%s\": path climbs above the archive's root", name);
    if (r == -EXDEV)
        return berr_set(err, BERR_INVALID, EXDEV, "entry \"%s\" is not under \"%s\"", name,
                        ap->cp->top);
    const char *link = archive_entry_hardlink(e);
    if (link) {
        _cleanup_free_ char *lclean = NULL, *lpath = NULL;
        r = layer_clean_path(link, &lclean);
        if (r == 0)
            r = cp_path(ap, lclean, &lpath);
        if (r == -ENOMEM)
            return berr_sys(err, ENOMEM, "unpack");
        if (r < 0)
            return berr_set(err, BERR_INVALID, EINVAL,
                            "entry \"%s\": hardlink target \"%s\" is outside the archive", name,
                            link);
        archive_entry_copy_hardlink(e, lpath);
    } else {
        mode_t type = archive_entry_filetype(e);
        if (ap->cp->no_devices && (type == AE_IFCHR || type == AE_IFBLK)) {
            ap->st.devs_skipped++;
            return 0;
        }
    }
    r = apply_entry(ap, e, path, err);
    if (r < 0)
        berr_prefix(err, "entry \"%s\"", name);
    return r;
}

static int apply_one(struct apply *ap, struct archive_entry *e, struct berr **err)
{
    if (ap->cp)
        return untar_one(ap, e, err);
    const char *name = archive_entry_pathname(e);
    if (!name)
        return berr_set(err, BERR_INVALID, EINVAL, "entry without a name");
    _cleanup_free_ char *path = NULL;
    int r = layer_clean_path(name, &path);
    if (r == -ENOMEM)
        return berr_sys(err, ENOMEM, "apply");
    if (r < 0)
        return berr_set(err, BERR_INVALID, EINVAL, "entry \"%s\": path climbs above the layer root",
                        name);

    /* aufs metadata (.wh..wh.plnk, .wh..wh.aufs) at the top: docker skips it */
    if (startswith(path, WH_META_PREFIX))
        return 0;

    char *slash = strrchr(path, '/');
    char *base = slash ? slash + 1 : path;
    bool zero_chr = !archive_entry_hardlink(e) && archive_entry_filetype(e) == AE_IFCHR &&
                    archive_entry_rdev(e) == 0;
    if (startswith(base, WH_PREFIX)) {
        if (slash)
            *slash = 0;
        const char *dir = slash ? path : ".";
        if (strcmp(base, WH_OPAQUE) == 0)
            r = apply_opaque(ap, dir, err);
        else {
            const char *victim = base + strlen(WH_PREFIX);
            if (!*victim || strcmp(victim, ".") == 0 || strcmp(victim, "..") == 0)
                return berr_set(err, BERR_INVALID, EINVAL, "entry \"%s\": invalid whiteout", name);
            memmove(base, victim, strlen(victim) + 1);
            if (slash)
                *slash = '/';
            r = apply_whiteout(ap, path, err);
        }
    } else if (zero_chr && *path) {
        /* a 0/0 character device is how overlayfs spells a whiteout: it gets exactly the
         * `.wh.` treatment, nothing more */
        r = apply_whiteout(ap, path, err);
    } else {
        r = apply_entry(ap, e, path, err);
    }
    if (r < 0) {
        berr_prefix(err, "entry \"%s\"", name);
        return r;
    }
    return 0;
}

/* Directory mtimes last: every entry made inside a directory changed its mtime. At this
 * point none is added any more, so the order among them does not matter; in archive order
 * the last of duplicate entries wins, as it does for everything else. */
static int apply_dirtimes(struct apply *ap, struct berr **err)
{
    for (size_t i = 0; i < ap->n_dirs; i++) {
        const char *base;
        _cleanup_berr_ struct berr *e = NULL;
        _cleanup_close_ int parent = open_parent(ap, ap->dirs[i].path, &base, &e);
        struct stat st;
        if (parent < 0 || fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISDIR(st.st_mode))
            continue; /* replaced by a later entry */
        if (utimensat(parent, base, ap->dirs[i].ts, AT_SYMLINK_NOFOLLOW) < 0)
            return berr_sys(err, errno, "set times of \"%s\"", ap->dirs[i].path);
    }
    return 0;
}

static int open_readers(struct apply *ap, struct berr **err)
{
    ap->raw = archive_read_new();
    ap->tar = archive_read_new();
    if (!ap->raw || !ap->tar)
        return berr_sys(err, ENOMEM, "apply layer");
    /* ARCHIVE_WARN would mean an external gzip/zstd program: never from library code */
    if (archive_read_support_filter_gzip(ap->raw) != ARCHIVE_OK ||
        archive_read_support_filter_zstd(ap->raw) != ARCHIVE_OK ||
        archive_read_support_format_raw(ap->raw) != ARCHIVE_OK ||
        archive_read_support_format_tar(ap->tar) != ARCHIVE_OK)
        return berr_set(err, BERR_UNSUPPORTED, ENOTSUP, "libarchive lacks gzip, zstd or tar");
    if (archive_read_open(ap->raw, ap, NULL, input_read, NULL) != ARCHIVE_OK)
        return berr_set(err, BERR_INVALID, EBADMSG, "open layer: %s",
                        archive_error_string(ap->raw) ?: "unreadable");
    /* libarchive stacks filters: gzip inside zstd would be unpacked too. A layer is
     * compressed once, so the chain is one filter and the reader ("none") at most. */
    if (archive_filter_count(ap->raw) > 2)
        return berr_set(err, BERR_INVALID, EBADMSG, "open layer: compressed more than once");
    struct archive_entry *re;
    int r = archive_read_next_header(ap->raw, &re);
    if (r != ARCHIVE_OK) {
        if (ap->read_errno)
            return berr_sys(err, ap->read_errno, "read layer");
        return berr_set(err, BERR_INVALID, EBADMSG, "open layer: %s",
                        r == ARCHIVE_EOF ? "empty" : archive_error_string(ap->raw) ?: "unreadable");
    }
    if (archive_read_open(ap->tar, ap, NULL, raw_block, NULL) != ARCHIVE_OK)
        return tar_error(ap, err, "open layer");
    return 0;
}

static int apply_stream(struct apply *ap, int fd_in, int dirfd, struct layer_stats *ret,
                        struct berr **err);

int layer_apply(int fd_in, int dirfd, struct layer_stats *ret, struct berr **err)
{
    struct apply *ap = calloc(1, sizeof(*ap));
    if (!ap)
        return berr_sys(err, ENOMEM, "apply layer");
    return apply_stream(ap, fd_in, dirfd, ret, err);
}

/* a cleaned copy of a cp option ("" for NULL); -EINVAL if it climbs above the root */
static int clean_opt(const char *s, char **ret)
{
    return layer_clean_path(s ? s : "", ret);
}

int layer_untar(int fd_in, int rootfd, const struct layer_untar_opts *o, struct layer_stats *ret,
                struct berr **err)
{
    struct apply *ap = calloc(1, sizeof(*ap));
    if (!ap)
        return berr_sys(err, ENOMEM, "unpack");
    ap->cp = o;
    int r = clean_opt(o->prefix, &ap->cp_prefix);
    if (r == 0 && o->top)
        r = clean_opt(o->top, &ap->cp_top);
    if (r == 0 && o->top && o->rename) {
        r = clean_opt(o->rename, &ap->cp_rename);
        /* one name, not a path: it replaces top's last component */
        if (r == 0 && (!*ap->cp_rename || strchr(ap->cp_rename, '/')))
            r = -EINVAL;
    }
    if (r < 0) {
        apply_done(ap);
        free(ap);
        return r == -ENOMEM ? berr_sys(err, ENOMEM, "unpack")
                            : berr_set(err, BERR_INVALID, EINVAL, "unpack: invalid destination");
    }
    return apply_stream(ap, fd_in, rootfd, ret, err);
}

/* layer_apply and layer_untar; frees ap */
static int apply_stream(struct apply *ap, int fd_in, int dirfd, struct layer_stats *ret,
                        struct berr **err)
{
    _cleanup_(unpin_locale) struct pinned_locale loc = pin_c_locale();
    ap->fd_in = fd_in;
    ap->rootfd = dirfd;
    digest_init(&ap->blob);
    digest_init(&ap->diff);

    int r = open_readers(ap, err);
    while (r >= 0) {
        struct archive_entry *e;
        int ar = archive_read_next_header(ap->tar, &e);
        if (ar == ARCHIVE_EOF)
            break;
        /* ARCHIVE_WARN: a name libarchive could not convert to the locale (kept as bytes)
         * or a pax record it ignored; the entry is whole. Anything worse ends the apply. */
        if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN) {
            r = tar_error(ap, err, "read layer");
            break;
        }
        ap->st.entries++;
        r = apply_one(ap, e, err);
    }
    /* the tar end marker need not be the end of the stream: hash the rest, and let a
     * truncated or corrupt compressed tail fail the apply */
    while (r >= 0) {
        const void *buf;
        la_ssize_t n = raw_block(NULL, ap, &buf);
        if (n == 0)
            break;
        if (n < 0)
            r = tar_error(ap, err, "read layer");
    }
    while (r >= 0) {
        const void *buf;
        la_ssize_t n = input_read(ap->raw, ap, &buf);
        if (n == 0)
            break;
        if (n < 0)
            r = berr_sys(err, ap->read_errno, "read layer");
    }
    if (r >= 0)
        r = apply_dirtimes(ap, err);
    if (r >= 0 && ret) {
        uint8_t d[32];
        ap->st.blob_size = ap->blob_size;
        ap->st.tar_size = ap->tar_size;
        digest_final(&ap->diff, d);
        sha256_hex(d, ap->st.diff_id);
        digest_final(&ap->blob, d);
        sha256_hex(d, ap->st.blob_digest);
        *ret = ap->st;
    }
    archive_read_freep(&ap->tar);
    archive_read_freep(&ap->raw);
    apply_done(ap);
    free(ap);
    return r < 0 ? r : 0;
}

/* --- diff -------------------------------------------------------------------------------- */

struct hardlink {
    dev_t dev;
    ino_t ino;
    char *path;
};

struct diff {
    int fd_out;
    struct archive *tar;  /* pax writer; its output is the DiffID stream */
    struct archive *comp; /* format raw + compression filter, or NULL */
    struct digest diff, blob;
    uint64_t tar_size, blob_size;
    int write_errno;
    bool discard; /* failed: closing the writers must not put half an archive out */
    bool plain;   /* layer_tar_path: no whiteouts, overlay's xattrs left out */
    const char *top_path, *top_name; /* layer_tar_path: what to write, as what */
    struct hardlink *links;
    size_t n_links;
    struct layer_stats st;
    char buf[128 * 1024];
};

static la_ssize_t output_write(struct archive *a, void *data, const void *buf, size_t len)
{
    struct diff *d = data;
    if (d->discard)
        return (la_ssize_t)len;
    int r = fs_write_all(d->fd_out, buf, len);
    if (r < 0) {
        d->write_errno = -r;
        archive_set_error(a, -r, "write layer");
        return -1;
    }
    digest_update(&d->blob, buf, len);
    d->blob_size += len;
    return (la_ssize_t)len;
}

/* Mirror of the apply side: the pax writer's bytes are hashed into the DiffID here, then
 * handed to the compressing writer (or straight to the output). */
static la_ssize_t tar_write(struct archive *a, void *data, const void *buf, size_t len)
{
    struct diff *d = data;
    if (d->discard)
        return (la_ssize_t)len;
    digest_update(&d->diff, buf, len);
    d->tar_size += len;
    if (!d->comp)
        return output_write(a, d, buf, len);
    for (size_t done = 0; done < len;) {
        la_ssize_t w = archive_write_data(d->comp, (const char *)buf + done, len - done);
        if (w <= 0) {
            archive_set_error(a, EIO, "%s", archive_error_string(d->comp) ?: "compress");
            return -1;
        }
        done += w;
    }
    return (la_ssize_t)len;
}

static int diff_error(struct diff *d, struct archive *a, struct berr **err, const char *what)
{
    if (d->write_errno)
        return berr_sys(err, d->write_errno, "write layer");
    const char *m = d->comp ? archive_error_string(d->comp) : NULL;
    if (!m)
        m = archive_error_string(a);
    return berr_set(err, BERR_INTERNAL, EIO, "%s: %s", what, m ?: "libarchive failed");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a directory, sorted bytewise: the tar's order must not depend on the
 * filesystem's. */
static int list_dir(int fd, char ***ret, size_t *ret_n)
{
    int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    _cleanup_closedir_ DIR *dir = fdopendir(dfd);
    if (!dir) {
        close(dfd);
        return -errno;
    }
    _cleanup_strv_ char **v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((errno = 0, de = readdir(dir))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n + 2 > cap) {
            cap = cap ? cap * 2 : 32;
            char **nv = realloc(v, cap * sizeof(*nv));
            if (!nv)
                return -ENOMEM;
            v = nv;
        }
        v[n] = strdup(de->d_name);
        if (!v[n])
            return -ENOMEM;
        v[++n] = NULL;
    }
    if (errno)
        return -errno;
    if (n)
        qsort(v, n, sizeof(*v), cmp_str);
    *ret = TAKE_PTR(v);
    *ret_n = n;
    return 0;
}

/* Adds the entry's xattrs (sorted, overlay's own left out) and tells whether overlay marks
 * it opaque. Redirects and metacopy mean the content lives in a lower layer under another
 * name: a tar of the upper dir alone would be wrong, so they are refused. */
static int read_xattrs(const char *proc, const char *path, struct archive_entry *e, bool plain,
                       bool *ret_opaque, struct berr **err)
{
    *ret_opaque = false;
    ssize_t len = listxattr(proc, NULL, 0);
    if (len < 0)
        return errno == EOPNOTSUPP ? 0 : berr_sys(err, errno, "list xattrs of \"%s\"", path);
    _cleanup_free_ char *names = malloc(len + 1);
    if (!names)
        return berr_sys(err, ENOMEM, "diff");
    len = listxattr(proc, names, len);
    if (len < 0)
        return berr_sys(err, errno, "list xattrs of \"%s\"", path);
    size_t n = 0;
    for (ssize_t i = 0; i < len; i += strlen(names + i) + 1)
        n++;
    _cleanup_free_ const char **v = calloc(n + 1, sizeof(*v));
    if (!v)
        return berr_sys(err, ENOMEM, "diff");
    n = 0;
    for (ssize_t i = 0; i < len; i += strlen(names + i) + 1)
        v[n++] = names + i;
    qsort(v, n, sizeof(*v), cmp_str);
    for (size_t i = 0; i < n; i++) {
        ssize_t vlen = getxattr(proc, v[i], NULL, 0);
        if (vlen < 0)
            return berr_sys(err, errno, "read xattr %s of \"%s\"", v[i], path);
        _cleanup_free_ char *val = malloc(vlen + 1);
        if (!val)
            return berr_sys(err, ENOMEM, "diff");
        vlen = getxattr(proc, v[i], val, vlen);
        if (vlen < 0)
            return berr_sys(err, errno, "read xattr %s of \"%s\"", v[i], path);
        if (is_overlay_xattr(v[i]) && plain)
            continue;
        if (is_overlay_xattr(v[i])) {
            const char *key = strstr(v[i], ".overlay.") + strlen(".overlay.");
            if (strcmp(key, "opaque") == 0 && vlen == 1 && val[0] == 'y')
                *ret_opaque = true;
            else if (strcmp(key, "redirect") == 0 || strcmp(key, "metacopy") == 0)
                return berr_set(err, BERR_UNSUPPORTED, ENOTSUP,
                                "\"%s\" has overlay %s set: mount the overlay with "
                                "redirect_dir=off,metacopy=off",
                                path, key);
            continue;
        }
        archive_entry_xattr_add_entry(e, v[i], val, vlen);
    }
    return 0;
}

/* Data extents of a file with holes as the entry's sparse map; none for a dense file. */
static int add_sparse(int fd, off_t size, struct archive_entry *e)
{
    off_t data = lseek(fd, 0, SEEK_DATA);
    if (data < 0)
        return errno == ENXIO ? 0 : (errno == EINVAL ? 0 : -errno);
    off_t hole = lseek(fd, data, SEEK_HOLE);
    if (hole < 0)
        return -errno;
    if (data == 0 && hole >= size)
        return 0;
    for (;;) {
        if (hole > size)
            hole = size;
        archive_entry_sparse_add_entry(e, data, hole - data);
        if (hole >= size)
            break;
        data = lseek(fd, hole, SEEK_DATA);
        if (data < 0)
            return errno == ENXIO ? 0 : -errno;
        hole = lseek(fd, data, SEEK_HOLE);
        if (hole < 0)
            return -errno;
    }
    return 0;
}

static int copy_data(struct diff *d, int fd, off_t size, const char *path, struct berr **err)
{
    for (off_t off = 0; off < size;) {
        off_t left = size - off;
        ssize_t n =
            pread(fd, d->buf, left < (off_t)sizeof(d->buf) ? (size_t)left : sizeof(d->buf), off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return berr_sys(err, errno, "read \"%s\"", path);
        if (n == 0)
            return berr_set(err, BERR_CONFLICT, EAGAIN, "\"%s\" shrank while being read", path);
        if (archive_write_data(d->tar, d->buf, n) != n)
            return diff_error(d, d->tar, err, "write layer");
        off += n;
        d->st.size += n;
    }
    return 0;
}

static int diff_dir(struct diff *d, int dfd, const char *prefix, struct berr **err);

/* An empty regular file standing for a whiteout or an opaque marker, with the owner, mode
 * bits and mtime of what it stands for. */
static int emit_marker(struct diff *d, const char *path, const struct stat *st, struct berr **err)
{
    _cleanup_(archive_entry_freep) struct archive_entry *e = archive_entry_new();
    if (!e)
        return berr_sys(err, ENOMEM, "diff");
    archive_entry_copy_pathname(e, path);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, st->st_mode & 0777);
    archive_entry_set_uid(e, st->st_uid);
    archive_entry_set_gid(e, st->st_gid);
    archive_entry_set_mtime(e, st->st_mtim.tv_sec, 0);
    archive_entry_set_size(e, 0);
    int r = archive_write_header(d->tar, e);
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        return diff_error(d, d->tar, err, "write layer");
    d->st.entries++;
    return 0;
}

static int find_link(struct diff *d, const struct stat *st, const char *path, const char **ret)
{
    for (size_t i = 0; i < d->n_links; i++)
        if (d->links[i].dev == st->st_dev && d->links[i].ino == st->st_ino) {
            *ret = d->links[i].path;
            return 0;
        }
    *ret = NULL;
    if ((d->n_links & (d->n_links - 1)) == 0) {
        size_t cap = d->n_links ? d->n_links * 2 : 16;
        struct hardlink *n = realloc(d->links, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        d->links = n;
    }
    char *p = strdup(path);
    if (!p)
        return -ENOMEM;
    d->links[d->n_links++] = (struct hardlink){st->st_dev, st->st_ino, p};
    return 0;
}

static int diff_entry(struct diff *d, int dfd, const char *name, const char *path, struct stat st,
                      struct berr **err);

static int diff_one(struct diff *d, int dfd, const char *prefix, const char *name,
                    struct berr **err)
{
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return berr_sys(err, errno, "stat \"%s%s\"", prefix, name);
    _cleanup_free_ char *path = NULL;
    if (!d->plain && S_ISCHR(st.st_mode) && st.st_rdev == 0) {
        if (asprintf(&path, "%s" WH_PREFIX "%s", prefix, name) < 0)
            return berr_sys(err, ENOMEM, "diff");
        return emit_marker(d, path, &st, err);
    }
    if (asprintf(&path, "%s%s", prefix, name) < 0)
        return berr_sys(err, ENOMEM, "diff");
    if (S_ISSOCK(st.st_mode))
        return 0;
    if (!d->plain && startswith(name, WH_PREFIX))
        return berr_set(err, BERR_UNSUPPORTED, EINVAL,
                        "\"%s\": a layer cannot hold a file whose name starts with " WH_PREFIX,
                        path);
    return diff_entry(d, dfd, name, path, st, err);
}

/* The entry `name` of dfd, stat'ed as st, written as `path` (and what it holds under it) */
static int diff_entry(struct diff *d, int dfd, const char *name, const char *path, struct stat st,
                      struct berr **err)
{
    if (S_ISSOCK(st.st_mode)) /* layer_tar_path's top entry */
        return 0;

    /* O_PATH: devices and fifos are never opened; the fd pins what was stat'ed */
    _cleanup_close_ int fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct stat fst;
    if (fd < 0 || fstat(fd, &fst) < 0)
        return berr_sys(err, errno, "open \"%s\"", path);
    if (fst.st_ino != st.st_ino || fst.st_dev != st.st_dev)
        return berr_set(err, BERR_CONFLICT, EAGAIN, "\"%s\" changed while being read", path);

    _cleanup_(archive_entry_freep) struct archive_entry *e = archive_entry_new();
    if (!e)
        return berr_sys(err, ENOMEM, "diff");
    archive_entry_copy_pathname(e, path);
    archive_entry_set_mode(e, st.st_mode);
    archive_entry_set_uid(e, st.st_uid);
    archive_entry_set_gid(e, st.st_gid);
    /* whole seconds as docker writes them: no pax record per entry, and the same tar
     * from filesystems with coarser timestamps */
    archive_entry_set_mtime(e, st.st_mtim.tv_sec, 0);

    char proc[32];
    bool opaque;
    int r = read_xattrs(fs_fd_path(fd, proc), path, e, d->plain, &opaque, err);
    if (r < 0)
        return r;

    const char *link = NULL;
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1 && find_link(d, &st, path, &link) < 0)
        return berr_sys(err, ENOMEM, "diff");
    _cleanup_close_ int data = -1;
    _cleanup_free_ char *target = NULL;
    if (link) {
        archive_entry_set_hardlink(e, link);
        archive_entry_set_size(e, 0);
    } else if (S_ISREG(st.st_mode)) {
        data = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (data < 0 || fstat(data, &fst) < 0)
            return berr_sys(err, errno, "open \"%s\"", path);
        if (fst.st_ino != st.st_ino || fst.st_dev != st.st_dev)
            return berr_set(err, BERR_CONFLICT, EAGAIN, "\"%s\" changed while being read", path);
        archive_entry_set_size(e, fst.st_size);
        r = add_sparse(data, fst.st_size, e);
        if (r < 0)
            return berr_sys(err, -r, "find holes in \"%s\"", path);
        st.st_size = fst.st_size;
    } else if (S_ISLNK(st.st_mode)) {
        size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : PATH_MAX;
        for (;;) {
            target = malloc(cap);
            if (!target)
                return berr_sys(err, ENOMEM, "diff");
            ssize_t n = readlinkat(dfd, name, target, cap);
            if (n < 0)
                return berr_sys(err, errno, "readlink \"%s\"", path);
            if ((size_t)n < cap) {
                target[n] = 0;
                break;
            }
            free(target);
            cap *= 2;
        }
        archive_entry_set_symlink(e, target);
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        archive_entry_set_rdevmajor(e, major(st.st_rdev));
        archive_entry_set_rdevminor(e, minor(st.st_rdev));
    }

    r = archive_write_header(d->tar, e);
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        return diff_error(d, d->tar, err, "write layer");
    d->st.entries++;
    if (data >= 0) {
        r = copy_data(d, data, st.st_size, path, err);
        if (r < 0)
            return r;
    }
    if (!S_ISDIR(st.st_mode))
        return 0;

    _cleanup_free_ char *sub = NULL;
    if (asprintf(&sub, "%s/", path) < 0)
        return berr_sys(err, ENOMEM, "diff");
    if (opaque) {
        _cleanup_free_ char *marker = NULL;
        if (asprintf(&marker, "%s" WH_OPAQUE, sub) < 0)
            return berr_sys(err, ENOMEM, "diff");
        r = emit_marker(d, marker, &st, err);
        if (r < 0)
            return r;
    }
    _cleanup_close_ int child = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (child < 0 || fstat(child, &fst) < 0)
        return berr_sys(err, errno, "open \"%s\"", path);
    if (fst.st_ino != st.st_ino || fst.st_dev != st.st_dev)
        return berr_set(err, BERR_CONFLICT, EAGAIN, "\"%s\" changed while being read", path);
    return diff_dir(d, child, sub, err);
}

static int diff_dir(struct diff *d, int dfd, const char *prefix, struct berr **err)
{
    _cleanup_strv_ char **names = NULL;
    size_t n = 0;
    int r = list_dir(dfd, &names, &n);
    if (r < 0)
        return berr_sys(err, -r, "list \"%s\"", *prefix ? prefix : ".");
    for (size_t i = 0; i < n; i++) {
        r = diff_one(d, dfd, prefix, names[i], err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int open_writers(struct diff *d, enum layer_compression comp, struct berr **err)
{
    if (comp != LAYER_COMPRESSION_NONE) {
        d->comp = archive_write_new();
        if (!d->comp)
            return berr_sys(err, ENOMEM, "diff");
        int r = comp == LAYER_COMPRESSION_GZIP ? archive_write_add_filter_gzip(d->comp)
                                               : archive_write_add_filter_zstd(d->comp);
        if (r != ARCHIVE_OK)
            return berr_set(err, BERR_UNSUPPORTED, ENOTSUP, "libarchive lacks %s",
                            comp == LAYER_COMPRESSION_GZIP ? "gzip" : "zstd");
        /* no mtime in the gzip header: the same tree gives the same blob */
        if (comp == LAYER_COMPRESSION_GZIP &&
            archive_write_set_filter_option(d->comp, "gzip", "timestamp", NULL) != ARCHIVE_OK)
            return diff_error(d, d->comp, err, "gzip");
        _cleanup_(archive_entry_freep) struct archive_entry *e = archive_entry_new();
        if (!e || archive_write_set_format_raw(d->comp) != ARCHIVE_OK ||
            archive_write_set_bytes_in_last_block(d->comp, 1) != ARCHIVE_OK ||
            archive_write_open(d->comp, d, NULL, output_write, NULL) != ARCHIVE_OK)
            return diff_error(d, d->comp, err, "open compressor");
        archive_entry_set_pathname(e, "layer.tar");
        archive_entry_set_filetype(e, AE_IFREG);
        if (archive_write_header(d->comp, e) != ARCHIVE_OK)
            return diff_error(d, d->comp, err, "open compressor");
    }
    d->tar = archive_write_new();
    if (!d->tar)
        return berr_sys(err, ENOMEM, "diff");
    /* pax records only where ustar falls short; the tar ends right after its end marker */
    if (archive_write_set_format_pax_restricted(d->tar) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(d->tar, 1) != ARCHIVE_OK ||
        archive_write_open(d->tar, d, NULL, tar_write, NULL) != ARCHIVE_OK)
        return diff_error(d, d->tar, err, "open layer");
    return 0;
}

static int diff_stream(struct diff *d, int dirfd, int fd_out, enum layer_compression comp,
                       struct layer_stats *ret, struct berr **err);

int layer_diff(int upper_dirfd, int fd_out, enum layer_compression comp, struct layer_stats *ret,
               struct berr **err)
{
    if (comp != LAYER_COMPRESSION_NONE && comp != LAYER_COMPRESSION_GZIP &&
        comp != LAYER_COMPRESSION_ZSTD)
        return berr_set(err, BERR_INVALID, EINVAL, "unknown layer compression %d", (int)comp);
    struct diff *d = calloc(1, sizeof(*d));
    if (!d)
        return berr_sys(err, ENOMEM, "diff");
    return diff_stream(d, upper_dirfd, fd_out, comp, ret, err);
}

/* layer_tar_path's one entry (and what is under it): the parent directory resolved inside
 * the root, the entry itself never followed */
static int tar_top(struct diff *d, int rootfd, struct berr **err)
{
    _cleanup_free_ char *full = NULL;
    int r = layer_clean_path(d->top_path, &full);
    if (r < 0)
        return berr_set(err, BERR_INVALID, -r, "invalid path %s", d->top_path);
    const char *parent = ".", *base = *full ? full : ".";
    char *slash = strrchr(full, '/');
    if (slash) {
        *slash = 0;
        parent = full;
        base = slash + 1;
    }
    _cleanup_close_ int dfd = fs_openat_in_root(rootfd, parent, O_PATH | O_DIRECTORY, 0);
    if (dfd < 0)
        return berr_sys(err, -dfd, "open %s", d->top_path);
    struct stat st;
    if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return berr_sys(err, errno, "stat %s", d->top_path);
    return diff_entry(d, dfd, base, d->top_name, st, err);
}

int layer_tar_path(int rootfd, const char *path, const char *name, int fd_out,
                   struct layer_stats *ret, struct berr **err)
{
    struct diff *d = calloc(1, sizeof(*d));
    if (!d)
        return berr_sys(err, ENOMEM, "archive %s", path);
    d->plain = true;
    d->top_path = path;
    d->top_name = name;
    return diff_stream(d, rootfd, fd_out, LAYER_COMPRESSION_NONE, ret, err);
}

/* layer_diff and layer_tar_path; frees d */
static int diff_stream(struct diff *d, int dirfd, int fd_out, enum layer_compression comp,
                       struct layer_stats *ret, struct berr **err)
{
    _cleanup_(unpin_locale) struct pinned_locale loc = pin_c_locale();
    d->fd_out = fd_out;
    digest_init(&d->diff);
    digest_init(&d->blob);

    int r = open_writers(d, comp, err);
    if (r >= 0)
        r = d->top_path ? tar_top(d, dirfd, err) : diff_dir(d, dirfd, "", err);
    if (r >= 0 && archive_write_close(d->tar) != ARCHIVE_OK)
        r = diff_error(d, d->tar, err, "finish layer");
    if (r >= 0 && d->comp && archive_write_close(d->comp) != ARCHIVE_OK)
        r = diff_error(d, d->comp, err, "finish layer");
    if (r >= 0 && ret) {
        uint8_t h[32];
        d->st.tar_size = d->tar_size;
        d->st.blob_size = d->blob_size;
        digest_final(&d->diff, h);
        sha256_hex(h, d->st.diff_id);
        digest_final(&d->blob, h);
        sha256_hex(h, d->st.blob_digest);
        *ret = d->st;
    }
    d->discard = r < 0;
    archive_write_freep(&d->tar);
    archive_write_freep(&d->comp);
    for (size_t i = 0; i < d->n_links; i++)
        free(d->links[i].path);
    free(d->links);
    free(d);
    return r < 0 ? r : 0;
}

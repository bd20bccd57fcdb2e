/* layer.h - image layers: unpack a layer tar into an overlay lower dir, diff an upper dir into one
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/error.h"

enum layer_compression {
    LAYER_COMPRESSION_NONE = 0,
    LAYER_COMPRESSION_GZIP,
    LAYER_COMPRESSION_ZSTD,
};

struct layer_stats {
    char diff_id[65];        /* hex SHA-256 of the uncompressed tar stream (the OCI DiffID) */
    char blob_digest[65];    /* hex SHA-256 of the bytes as stored (the blob/descriptor digest) */
    uint64_t blob_size;      /* length of the stored (maybe compressed) stream */
    uint64_t tar_size;       /* length of the uncompressed tar stream */
    uint64_t size;           /* bytes of file data written (apply) or read (diff) */
    uint64_t entries;        /* archive entries, whiteouts included */
    uint64_t xattrs_skipped; /* apply: xattrs the filesystem refused (EOPNOTSUPP/EPERM) */
    uint64_t devs_skipped;   /* untar with no_devices: device entries left out */
};

/* Unpacks the layer read from fd_in (plain tar, gzip or zstd, told apart by content; tar,
 * pax and GNU tar only) into dirfd, an empty directory the caller made, as an overlayfs
 * lower dir: `.wh.NAME` becomes a 0/0 character device NAME, `.wh..wh..opq` sets
 * trusted.overlay.opaque=y on its directory. Entries apply in archive order, so a whiteout
 * replaces what the same layer made before it, and a directory that replaces a whiteout is
 * made opaque (the layer deleted the lower one and made a new one).
 * Every path resolves inside dirfd (RESOLVE_IN_ROOT); a name or hardlink that climbs above
 * the root with "..", a hardlink to something that does not exist inside, a corrupt or
 * truncated stream: all are errors (BERR_INVALID), and nothing is ever written outside
 * dirfd. On error the directory is partly filled and the caller removes it. fd_in is read
 * to its end. ret (may be NULL) is written only on success. */
int layer_apply(int fd_in, int dirfd, struct layer_stats *ret, struct berr **err);

/* Writes the overlayfs upper dir upper_dirfd as a layer to fd_out: pax, reproducible (entries
 * depth first, sorted by name; mtimes in whole seconds; numeric uid/gid, no user or group
 * names, no atime/ctime), compressed as asked (gzip without a timestamp). 0/0 character
 * devices become `.wh.NAME`, an opaque directory gets `.wh..wh..opq`; overlay's own xattrs
 * are left out; regular files with holes are written as sparse entries; sockets are skipped.
 * A redirected or metacopy entry (overlay redirect_dir/metacopy) cannot be represented and
 * is an error (BERR_UNSUPPORTED), as is a file whose own name starts with ".wh.". The root
 * directory itself is not an entry. ret (may be NULL) is written only on success. */
int layer_diff(int upper_dirfd, int fd_out, enum layer_compression comp, struct layer_stats *ret,
               struct berr **err);

/* The path of a tar entry as it lands in the layer, relative to its root: leading "/" and
 * "." components dropped, repeated "/" folded, "a/../b" folded lexically to "b". "" is the
 * root itself. A ".." that would climb above the root is -EINVAL; *ret is malloc'd. */
int layer_clean_path(const char *name, char **ret);

/* --- plain tars of one path: what `cp` writes and reads --------------------------------- */

/* Writes the file or directory `path` inside rootfd (its directories resolved there with
 * RESOLVE_IN_ROOT; the last component itself is archived: a symlink as a symlink) to fd_out
 * as a plain tar (the format of layer_diff) whose top entry is named `name`, a directory's
 * entries under it ("." gives "./" and "./x"). Unlike layer_diff, nothing is a whiteout:
 * `.wh.` names and 0/0 devices are ordinary entries; overlay's own xattrs are left out.
 * Walks with O_NOFOLLOW, never through a symlink. ret (may be NULL): size is the bytes of
 * file data written. */
int layer_tar_path(int rootfd, const char *path, const char *name, int fd_out,
                   struct layer_stats *ret, struct berr **err);

enum layer_owner {
    LAYER_OWNER_KEEP = 0, /* the archive's uid/gid */
    LAYER_OWNER_SET,      /* uid/gid of the options, for every entry */
    LAYER_OWNER_CALLER,   /* no chown: what is made belongs to the caller */
};

struct layer_untar_opts {
    const char *prefix; /* directory inside rootfd the entries land in (NULL, "" or "/": rootfd) */
    const char *top;    /* if set, every entry must be `top` or under it ("." : any) */
    const char *rename; /* if set (with top), `top` lands as this name (one component) */
    enum layer_owner owner;
    uid_t uid; /* LAYER_OWNER_SET */
    gid_t gid;
    bool drop_privileges; /* no setuid/setgid bit, no security.capability xattr */
    bool no_devices;      /* character and block devices are left out (devs_skipped) */
};

/* Unpacks a plain tar (or gzip/zstd of one) read from fd_in into the directory prefix
 * inside rootfd, as `cp` and `tar -x` do: no whiteouts (`.wh.` names are names), tar's
 * order, existing directories kept and given the entry's metadata, other existing entries
 * replaced, never written through. An existing directory where a non-directory goes, or the
 * other way round, is an error (BERR_CONFLICT), as with docker cp. Every path resolves with
 * RESOLVE_IN_ROOT from rootfd, prefix included: symlinks in the tree or made by the archive
 * resolve as they would for a process whose root is rootfd; a name or hardlink that climbs
 * above the archive's root, or an entry outside `top`, is an error (BERR_INVALID). On error
 * what was unpacked so far stays. fd_in is read to its end on success. */
int layer_untar(int fd_in, int rootfd, const struct layer_untar_opts *o, struct layer_stats *ret,
                struct berr **err);

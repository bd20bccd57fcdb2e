/* fs.h - file helpers: whole-file reads and atomic writes, safe resolution inside a root */
#pragma once
#include <stdbool.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/error.h"

/* The longest state root berth takes: the paths it builds under a root need room beside it. */
#define FS_ROOT_MAX (PATH_MAX - 256)
/* snprintf for a path: one that does not fit in size bytes is an error naming it
 * (-ENAMETOOLONG), never a shorter path that names another file. */
int fs_pathf(char *buf, size_t size, struct berr **err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Reads a whole file (NUL-terminated); *ret is malloc'd. */
int fs_read_file(const char *path, char **ret, size_t *ret_len, struct berr **err);
int fs_read_fileat(int dirfd, const char *path, char **ret, size_t *ret_len, struct berr **err);
/* Writes data to a temp file in the same directory, fsyncs, renames over `name`. */
int fs_write_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                    struct berr **err);
/* The same without fsync: readers see the old or the new content, never a mix, but a crash
 * of the machine may lose it. For state that does not outlive a reboot (/run). */
int fs_write_replace(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                     struct berr **err);
/* Writes a string to an existing file (a /proc or /sys knob); negative errno. */
int fs_write_string(const char *path, const char *s);
int fs_mkdir_p(const char *path, mode_t mode);
/* Writes all of data (again after EINTR and EAGAIN); 0 or negative errno. */
int fs_write_all(int fd, const void *data, size_t len);
/* A close-on-exec memfd holding data, sealed against every change (a program to exec that
 * nothing can alter); negative errno on failure. */
int fs_memfd_sealed(const char *name, const void *data, size_t len);
/* Removes a directory tree (used for state dirs); no error if absent. */
int fs_rm_rf(const char *path);

enum fs_resolve_flags {
    FS_CREATE_DIR = 1 << 0,  /* create missing components; the last as a directory */
    FS_CREATE_FILE = 1 << 1, /* create missing components; the last as an empty file */
    FS_NO_SYMLINKS = 1 << 2, /* a symlink at any component is refused (-ELOOP), even one
                              * that stays inside: for what must land exactly where named */
};
/* Opens `path` inside the directory `rootfd` as if rootfd were "/" (RESOLVE_IN_ROOT: no
 * symlink or ".." can leave it, even if the tree is hostile and changes under us), creating
 * missing components as asked. Returns an O_PATH fd (or with open_flags if not 0). */
int fs_open_in_root(int rootfd, const char *path, int open_flags, unsigned flags,
                    struct berr **err);
/* openat2 with the given RESOLVE_* flags (again after EAGAIN/EINTR), O_CLOEXEC added;
 * negative errno. */
int fs_openat2(int dirfd, const char *path, int open_flags, mode_t mode, uint64_t resolve);
/* openat2 wrapper with RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS; negative errno. */
int fs_openat_in_root(int rootfd, const char *path, int open_flags, mode_t mode);
/* What `path` resolves to inside rootfd, spelled from the root without symlinks ("/a/b", "/"
 * for the root): every component is looked up with RESOLVE_IN_ROOT, so symlinks (absolute ones
 * from rootfd) and ".." resolve as they would for a process whose root is rootfd, never above
 * it. A symlink as the last component is followed only with follow_last; the last component
 * may be missing (the answer then names what would be made), the ones before it must be
 * directories (-ENOENT, -ENOTDIR otherwise; -ELOOP after 40 symlinks). *ret is malloc'd. The
 * answer is a snapshot: a tree that changes may resolve elsewhere later, but still inside. */
int fs_resolve_in_root(int rootfd, const char *path, bool follow_last, char **ret,
                       struct berr **err);
/* Room for the fds a receiver takes in one message: it expects one, but takes (and closes)
 * this many, so a peer that sends more cannot leave fds open in us. */
#define FS_RECV_FDS_MAX 16
struct msghdr;
/* Takes the fds a recvmsg() received, in every SCM_RIGHTS control message: the first `want`
 * into ret_fds (-1 for those that did not come), every other one closed. A message whose
 * control data was cut (MSG_CTRUNC: fds lost on the way) is -EPROTO, with every fd closed. */
int fs_recv_fds(struct msghdr *msg, int *ret_fds, size_t want);
/* The path of an fd as /proc/self/fd/N in buf. */
const char *fs_fd_path(int fd, char buf[static 32]);

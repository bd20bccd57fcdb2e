/* procfs.h - writes to /proc files through a procfs handle nothing can redirect.
 *
 * A path like /proc/self/attr/exec or /proc/sys/kernel/... is a name the container (or a
 * container sharing mounts with it) can change: a bind mount over it, a symlink, a different
 * file system at /proc. Writing through that name can reach the host's core_pattern
 * (CVE-2025-52881). Every write to a /proc file goes through here instead: a private procfs
 * instance (or a verified clone of one), files opened beneath it without symlinks or mount
 * crossings, and each checked to be on procfs. */
#pragma once
#include <stddef.h>
#include "base/error.h"

/* Opens the root of a procfs we can trust: a new instance mounted nowhere (fsopen+fsmount),
 * else a detached clone of the mount at /proc (open_tree: nothing mounted over a file in it
 * comes along), else /proc itself; each verified to be the root of a procfs. The pid
 * namespace it shows is the caller's (the new instance) or /proc's. */
int procfs_open(struct berr **err);
/* Opens `path` ("sys/kernel/hostname", "self/oom_score_adj", "1234/uid_map") beneath the
 * handle: no symlink, magic link, ".." or mount crossing on the way, and the file must be on
 * procfs. A leading "self/" or "thread-self/" is read from the handle itself (it names the
 * caller as the handle's pid namespace sees it). Negative errno (-EXDEV: not procfs). */
int procfs_openat(int procfd, const char *path, int flags);
/* Writes data to `path` beneath the handle in one write(2) (a /proc knob takes it whole or
 * not at all); negative errno. */
int procfs_write(int procfd, const char *path, const void *data, size_t len);
/* procfs_write with a handle of its own (procfs_open): for a single write. */
int procfs_write_once(const char *path, const void *data, size_t len);

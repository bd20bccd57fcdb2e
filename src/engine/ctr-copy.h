/* ctr-copy.h - files in and out of a container as tar streams: Docker's archive API (HEAD,
 * GET and PUT /containers/{id}/archive) and the planning of `docker cp` that both of its
 * sides share.
 *
 * A container is untrusted: its symlinks, its names, its files may all be made to trick us.
 * So the container's side of a copy runs in a helper process of its own (forked here): in a
 * mount namespace of its own it has the container's root file system with its volumes and
 * binds at their destinations (what docker cp sees: not the container's /proc, /sys, /dev or
 * tmpfs), and every path in it is resolved with RESOLVE_IN_ROOT from the root's fd; the
 * helper's mounts live and die with its namespace. The caller stays where it is (its
 * namespaces, cwd and signal mask untouched) and sees a plain tar stream on an fd.
 *
 * ctr_copy_out and ctr_copy_in return once the helper has opened the container and resolved
 * the path (errors come before any data, as an HTTP status before a body) and leave the
 * helper streaming; ctr_copy_finish waits for it and gives its error. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <jansson.h>
#include "base/error.h"

struct engine;

/* --- paths as docker cp reads them: both sides -------------------------------------------- */

/* A path as the user gave it, cleaned lexically as docker does, keeping what a trailing "/"
 * or "/." says. */
struct copy_path {
    char *path;  /* absolute, without ".", ".." or repeated "/" */
    char *base;  /* its last component; "." for a directory's contents ("dir/.", "/") */
    bool slash;  /* it ended in "/" or "/.": a directory, and a symlink there is followed */
    char *shown; /* how messages name it: "CONTAINER:PATH" or the path as given */
};
/* Cleans arg, relative to cwd if it is relative (NULL: "/"). ctr: the container as the user
 * named it (shown as "CONTAINER:PATH"), NULL for a host path. */
void copy_path_parse(const char *arg, const char *cwd, const char *ctr, struct copy_path *ret);
void copy_path_clear(struct copy_path *p);

/* The source of a copy, resolved inside rootfd (the container's root or the host's "/"):
 * symlinks before its last component are followed, the last one too with follow or a
 * trailing "/". It must exist (BERR_NOT_FOUND). */
struct copy_src {
    char *canon; /* the path in rootfd, symlinks resolved */
    struct stat st;
};
int copy_resolve_src(int rootfd, const struct copy_path *p, bool follow, struct copy_src *ret,
                     struct berr **err);

/* The destination of a copy, docker's CopyInfoDestinationPath: every symlink is followed, the
 * last one too (it may dangle: the copy makes its target); what is missing may only be the
 * last component. */
struct copy_dst {
    char *canon;
    bool exists, isdir, special; /* special: neither a directory nor a regular file */
    bool slash;
};
int copy_resolve_dst(int rootfd, const struct copy_path *p, struct copy_dst *ret,
                     struct berr **err);

/* docker's PrepareArchiveCopy, the half that needs the source: what cannot be copied (a
 * directory onto a file: BERR_CONFLICT; "file/": BERR_INVALID; a file to a missing "dir/":
 * BERR_NOT_FOUND). shown names the destination. */
int copy_plan_check(bool src_isdir, const struct copy_dst *d, const char *shown, struct berr **err);
/* ... and the half that does not: the directory the copy lands in and the name its top entry
 * takes there. Into an existing directory, under the source's own name; anywhere else, as the
 * destination's last component, in its parent. */
void copy_plan_dir(const struct copy_dst *d, const char *src_base, char **ret_dir, char **ret_name);

/* --- the host's side of docker cp (what docker's CLI does): for front ends ------------------ */

/* Writes `path` inside rootfd (a copy_src's canon) to fd_out as a plain tar whose top entry is
 * `name`; *ret_size (may be NULL): the bytes of file data. */
int copy_tar(int rootfd, const char *path, const char *name, int fd_out, uint64_t *ret_size,
             struct berr **err);

struct copy_untar_opts {
    const char *top;    /* the tar's top entry (a ctr_path_stat's name): nothing outside it */
    const char *rename; /* NULL, or the name top lands as */
    bool archive;       /* -a: the tar's owners and privileges */
};
/* Unpacks a tar a container sent (ctr_copy_out) under the host directory dirfd, every entry
 * resolved inside it. The host gets no device node, and without archive no setuid/setgid bit
 * or file capability, and what is made belongs to the caller. ret_size: bytes of file data;
 * ret_devs_skipped: device nodes left out (both may be NULL). */
int copy_untar_host(int fd_in, int dirfd, const struct copy_untar_opts *o, uint64_t *ret_size,
                    uint64_t *ret_devs_skipped, struct berr **err);

/* --- the container's side: Docker's archive API ------------------------------------------- */

/* A path in a container: docker's ContainerPathStat (X-Docker-Container-Path-Stat). */
struct ctr_path_stat {
    char *name; /* its last component; "." for a directory's contents ("dir/.", "/"): the name
                 * of the top entry of ctr_copy_out's tar */
    int64_t size;
    mode_t mode; /* st_mode */
    struct timespec mtime;
    char *link_target; /* a symlink: where it leads in the container, resolved; else NULL */
};
void ctr_path_stat_clear(struct ctr_path_stat *s);
/* {"name", "size", "mode" (Go's os.FileMode bits, as docker sends them), "mtime" (RFC 3339,
 * UTC), "linkTarget"} */
json_t *ctr_path_stat_json(const struct ctr_path_stat *s);

/* HEAD /containers/{id}/archive?path=PATH: the path itself, not followed if it is a symlink
 * (unless it ends in "/"). A missing container or path is BERR_NOT_FOUND. */
int ctr_copy_stat(struct engine *e, const char *ref, const char *path, struct ctr_path_stat *ret,
                  struct berr **err);

/* A copy under way: its helper process. */
struct ctr_copy;

struct ctr_copy_out_opts {
    const char *path; /* in the container, as the user gave it */
    bool follow;      /* -L: the last component is followed if it is a symlink */
    int peer_fd;      /* the caller's other end of fd_out's pipe, closed in the helper; or -1 */
};
/* GET /containers/{id}/archive?path=PATH: starts writing the path as a tar (top entry
 * ret_stat->name) to fd_out, and returns its stat. A missing container or path is
 * BERR_NOT_FOUND ("could not find the file PATH in container REF"); a running container
 * whose monitor has gone, or one stopping right now, BERR_CONFLICT. */
struct ctr_copy *ctr_copy_out(struct engine *e, const char *ref, const struct ctr_copy_out_opts *o,
                              int fd_out, struct ctr_path_stat *ret_stat, struct berr **err);

struct ctr_copy_in_opts {
    const char *path;  /* in the container, as the user gave it */
    bool copy_uid_gid; /* -a: the tar's owners (else root's) */
    /* NULL: docker's PUT, path is a directory the tar is unpacked in. Else docker cp's plan:
     * the tar holds one entry named src_base (a directory if src_isdir), which lands at path
     * as `cp` places it (copy_plan_check, copy_plan_dir) */
    const char *src_base;
    bool src_isdir;
    int peer_fd; /* the caller's other end of fd_in's pipe, closed in the helper; or -1 */
};
/* PUT /containers/{id}/archive?path=PATH: starts unpacking the tar read from fd_in in the
 * container. Errors as ctr_copy_out, and BERR_INVALID for a destination that is not a
 * directory or a regular file, or is read-only. */
struct ctr_copy *ctr_copy_in(struct engine *e, const char *ref, const struct ctr_copy_in_opts *o,
                             int fd_in, struct berr **err);

/* Waits for the helper and frees cp. 0 if it succeeded, else its error. abort: the caller
 * failed; the helper is killed at once (before it sees half a stream), and an error is given
 * only if the helper had failed by itself (then it is the cause of the caller's). */
int ctr_copy_finish(struct ctr_copy *cp, bool abort, struct berr **err);

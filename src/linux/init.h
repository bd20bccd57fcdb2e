/* init.h - the code between clone and execve: a container's init and `exec`'d processes,
 * and the sync protocol with the runtime process that created them */
#pragma once
#include <stdbool.h>
#include <sys/types.h>
#include "base/error.h"
#include "oci/runtime-spec.h"
#include "linux/seccomp-cache.h"

/* Messages over the SOCK_SEQPACKET sync socket between runtime (parent) and init (child). */
enum sync_type {
    SYNC_GO = 1, /* parent -> child: maps written, cgroup entered: continue */
    SYNC_MAPS,   /* child -> parent: write uid/gid maps for `value` (pid), reply SYNC_MAPS_DONE */
    SYNC_MAPS_DONE, /* parent -> child */
    SYNC_PID,       /* grandchild -> parent: I am the init (pid in SCM_CREDENTIALS) */
    SYNC_HOOKS,     /* child -> parent: run prestart + createRuntime hooks, reply SYNC_HOOKS_DONE */
    SYNC_HOOKS_DONE, /* parent -> child */
    SYNC_READY,      /* child -> parent: set up, waiting for start */
    SYNC_ERROR,      /* child -> parent: text is the error; errnum in value */
    SYNC_PTY,        /* child -> parent: pty master attached (SCM_RIGHTS) */
};

struct sync_msg {
    int type;
    int value;
    int kind; /* enum berr_kind for SYNC_ERROR */
    char text[2048];
};

int sync_send(int fd, int type, int value);
/* Sends an fd with the message (SCM_RIGHTS) */
int sync_send_fd(int fd, int type, int passfd);
/* Sends an error; returns the negative errno stored. */
int sync_send_error(int fd, const struct berr *e);
/* Receives one message; *ret_fd (if not NULL) gets a passed fd or -1; *ret_pid the sender's
 * pid in our namespace if the socket has SO_PASSCRED. Returns 0, -EPIPE on EOF, or negative
 * errno. */
int sync_recv(int fd, struct sync_msg *m, int *ret_fd, pid_t *ret_pid);

struct init_config {
    struct spec *spec;
    const char *id, *bundle;
    const char *rootfs;      /* absolute host path of the root filesystem */
    const char *cgroup_path; /* the container's cgroup ("/berth/id") */
    int sync_fd;             /* the child's end of the sync socket */
    int fifo_fd;             /* exec.fifo opened O_RDWR; -1: exec right away */
    int console_fd;          /* connected console socket, or -1 */
    bool no_pivot;
    bool no_new_keyring;
    int preserve_fds;             /* fds 3..3+n-1 of the caller stay open in the container */
    bool complex;                 /* namespaces are set up by the child (paths, time ns) */
    unsigned long clone_flags;    /* namespaces clone() already made */
    struct seccomp_prog *seccomp; /* compiled filter or NULL */
    int execer_fd;                /* the sealed exec trampoline (linux/execer.h) */
    const int *cg_tasks;          /* v1 `tasks` files the child writes "0" to (cg_birth_fds) */
    size_t n_cg_tasks;
};

/* Runs in the cloned child: sets up the container and execs its process. Returns only on
 * failure (after reporting the error over sync_fd); the caller then _exit()s. */
int init_container(struct init_config *c);

struct exec_config {
    struct spec *spec;            /* the container's config (for seccomp, mounts...) */
    struct spec_process *process; /* what to run */
    pid_t target;                 /* the container's init */
    int sync_fd;
    int console_fd; /* connected console socket, or -1 */
    int preserve_fds;
    struct seccomp_prog *seccomp;
    int execer_fd;       /* the sealed exec trampoline (linux/execer.h) */
    const int *cg_tasks; /* v1 `tasks` files the child writes "0" to (cg_birth_fds) */
    size_t n_cg_tasks;
};
/* Runs in the forked child of `exec`, already in the target's pid (and time) namespace. */
int init_exec(struct exec_config *c);

/* mounts.c */
struct mount_ctx {
    const struct spec *spec;
    const char *rootfs;
    const char *cgroup_path;
    bool userns, cgroupns, netns, ipcns;
    /* Set by mounts_setup, kept for after the pivot (close with mounts_ctx_close): */
    int devnull_fd; /* O_PATH fd of the container's /dev/null (char 1:3), or negative errno */
    int console_fd; /* O_PATH fd of the /dev/console the pty is bound on, or -1 */
    bool proc, sys; /* the spec mounts procfs on /proc, sysfs on /sys */
};
/* Mounts everything the spec lists under the rootfs (before pivot_root), creates devices.
 * procfs, sysfs, mqueue, devpts and cgroup go only on real directories (no symlink on the
 * way): otherwise the container is refused. */
int mounts_setup(struct mount_ctx *m, int rootfd, struct berr **err);
/* Switches root to the rootfs: pivot_root, or MS_MOVE+chroot with no_pivot. */
int mounts_pivot(const char *rootfs, bool no_pivot, struct berr **err);
/* After the pivot: binds the pty slave on the /dev/console mounts_setup made. */
int mounts_console(const struct mount_ctx *m, int slave, struct berr **err);
/* After the pivot: masked and read-only paths (each applied, or the container refused),
 * read-only root, rootfs propagation. */
int mounts_finish(const struct mount_ctx *m, struct berr **err);
void mounts_ctx_close(struct mount_ctx *m);

/* caps.c */
/* Drops the bounding set to caps->bounding (needs CAP_SETPCAP: before the user switch). */
int caps_drop_bounding(const struct spec_caps *caps, struct berr **err);
/* Sets effective, permitted, inheritable and ambient (after the user switch). */
int caps_apply(const struct spec_caps *caps, struct berr **err);

/* terminal.c */
/* Opens a new pty in the current mount namespace's /dev/ptmx; returns master, *ret_slave. */
int pty_open(int *ret_slave, char *ret_name, size_t name_len, struct berr **err);
/* Sends a pty master over a connected unix socket as runc does (SCM_RIGHTS). */
int pty_send_master(int sock, int master, const char *name, struct berr **err);
/* Receives an fd sent with SCM_RIGHTS. */
int pty_recv_fd(int sock, struct berr **err);
/* Makes slave the controlling terminal and stdio of the calling process. */
int pty_make_controlling(int slave, struct berr **err);
/* Copies between our stdio and the pty master until the master hangs up (returns 1) or
 * `wakefd` (e.g. a signalfd) is readable (returns 0). Puts our stdin in raw mode meanwhile
 * (if it is a tty). */
int pty_relay(int master, int wakefd);

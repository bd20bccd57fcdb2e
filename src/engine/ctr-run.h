/* ctr-run.h - a container's birth and its streams: create, start, run (create and start with
 * a client attached from the start), attach, export, and the sweep of what killed runs left.
 *
 * The container's root file system is mounted in a mount namespace of the container's monitor
 * (run, start) or of a helper process the engine forks (create, export): the caller's
 * namespaces, cwd, stdin and signal mask are never changed. The attached client is a SOCK_SEQPACKET
 * socket speaking the monitor's attach protocol (engine/attach-proto.h); a terminal (the CLI's
 * attach.c) or a network connection (the daemon) drives it. Events (create, attach, export)
 * are noted here; the monitor notes start, die and destroy. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "base/error.h"
#include "engine/bundle.h"

struct engine;

#define CTR_NO_STOP_TIMEOUT (-2) /* ctr_create_opts.stop_timeout not given */

/* -v, --mount or --tmpfs as given (kind: VOL_ARG_V, VOL_ARG_MOUNT, VOL_ARG_TMPFS of
 * engine/volumes.h): parsed, and named volumes made, once the container's name is settled */
struct ctr_mount_arg {
    int kind;
    const char *spec;
};

/* What `run` and `create` take (docker's Config and HostConfig); every pointer borrowed. */
struct ctr_create_opts {
    const char *image;      /* name, ID or unique ID prefix */
    const char *name;       /* NULL: a generated one */
    char **cmd;             /* NULL-terminated; NULL: the image's */
    const char *entrypoint; /* NULL: the image's; "": none */
    char **env;             /* KEY=VALUE over the image's (checked UTF-8 by the caller) */
    const char *workdir, *user, *hostname;
    bool tty, open_stdin, read_only, host_network, auto_remove, init, privileged;
    bool no_new_privileges, seccomp_unconfined;
    json_t *seccomp;      /* docker's seccomp profile, or NULL */
    json_t *security_opt; /* the --security-opt strings as given (HostConfig.SecurityOpt) */
    json_t *labels;       /* object of strings, or NULL */
    json_t *log_config;   /* HostConfig.LogConfig ({Type, Config}); NULL: json-file */
    const char *stop_signal;
    long stop_timeout; /* seconds, -1: for ever; CTR_NO_STOP_TIMEOUT: not given */
    int restart;       /* RESTART_* of engine/monitor.h */
    int max_restarts;
    const struct ctr_mount_arg *mounts;
    size_t n_mounts;
    char **ulimits, **devices, **cap_add, **cap_drop;
    /* --dns, --dns-search, --dns-option, --add-host HOST:IP (engine/netfiles.h) */
    char **dns, **dns_search, **dns_options, **add_hosts;
    struct bundle_resources res;               /* pids_limit 0: the configuration's default */
    unsigned short console_rows, console_cols; /* -t: the terminal's size at birth (0: none) */
};

/* Creates a container (record, layer, name, volumes, config.json) and writes its ID into
 * ret_id. BERR_NOT_FOUND: no such image; BERR_CONFLICT: the name is taken. */
int ctr_create(struct engine *e, const struct ctr_create_opts *o, char ret_id[65],
               struct berr **err);

/* ctr_create, then a start under its monitor. With attach, *ret_fd is a client of the
 * monitor connected from the start (it sees every byte of output, and the exit code).
 * A failure of the container's command comes as BERR_CMD_NOT_FOUND or
 * BERR_CMD_NOT_RUNNABLE; the container is gone then. */
int ctr_run(struct engine *e, const struct ctr_create_opts *o, bool attach, char ret_id[65],
            int *ret_fd, struct berr **err);

struct ctr_start_opts {
    bool attach;      /* *ret_fd: a client attached from the start */
    bool interactive; /* its input goes to the container (with the record's OpenStdin) */
};
/* Starts a created or exited container under a new monitor. BERR_NOT_MODIFIED if it runs
 * already (docker's 304); BERR_NOT_FOUND if there is no such container. */
int ctr_start(struct engine *e, const char *ref, const struct ctr_start_opts *o, int *ret_fd,
              struct berr **err);

/* A client connection to a running container's monitor (its fd). BERR_CONFLICT ("you cannot
 * attach to a stopped container, start it first") if it does not run. */
int ctr_attach(struct engine *e, const char *ref, struct berr **err);

/* The container's file system as a tar (what import takes) written to fd. */
int ctr_export(struct engine *e, const char *ref, int fd, struct berr **err);

/* In the process that keeps the container's mounts (create's helper, the container's
 * monitor): what `prepare` (data the engine made: monitor_opts.prepare of engine/monitor.h)
 * says. {"mount": true}: the root file system mounted (start); {"image", "create", "mounts"}:
 * mounted, the volumes' contents copied up, config.json written, the creation noted (run,
 * create). */
int ctr_prepare(struct engine *e, const char *id, json_t *prepare, struct berr **err);

/* Mounts a stopped container's root file system (dir/rootfs over dir/upper, from the image
 * it records) in a new private mount namespace of the calling process: call it only in a
 * process of its own (a helper forked for the job). */
int ctr_mount_rootfs(const char *root, const char *dir, struct berr **err);

/* Clears what killed runs left: containers being set up whose run was killed, --rm
 * containers whose monitor was killed while removing them. Call under ctr_lock. */
void ctr_reap_stale(struct engine *e);

/* The attach protocol, from the client's side (the fd of ctr_run, ctr_start or ctr_attach):
 * what a terminal or a network connection relays. None of these blocks: a full socket is
 * -EAGAIN (poll for POLLOUT and send again). */
#define CTR_ATTACH_MAX 16384 /* data bytes in one message (the monitor's ATTACH_MAX) */
enum ctr_attach_kind {
    CTR_ATTACH_STDOUT,
    CTR_ATTACH_STDERR,
    CTR_ATTACH_EXIT, /* the container is gone for good: exit_code */
    CTR_ATTACH_BUSY, /* another client has the container's input */
    CTR_ATTACH_OTHER,
};
struct ctr_attach_msg {
    enum ctr_attach_kind kind;
    const char *data; /* output, in the caller's buffer */
    size_t len;
    int exit_code;
};
/* One message from the monitor, read into buf (CTR_ATTACH_MAX + 2 bytes is enough): 1, 0 when
 * the monitor has closed the connection, or negative errno (blocks unless fd does not). */
int ctr_attach_recv(int fd, char *buf, size_t cap, struct ctr_attach_msg *ret);
/* Input for the container (len <= CTR_ATTACH_MAX), its end, the terminal's size, a signal for
 * its process. 0 or negative errno. */
int ctr_attach_input(int fd, const void *data, size_t len);
int ctr_attach_input_end(int fd);
int ctr_attach_resize(int fd, unsigned short rows, unsigned short cols);
int ctr_attach_signal(int fd, int sig);

/* monitor.h - the per-container monitor: the parent of a detached container's process.
 *
 * `berth run -d` forks it, with the container's root file system mounted in a mount
 * namespace the monitor then keeps alive. It creates and starts the container (so the container's
 * init is its child), copies the container's output into json.log (Docker's json-file format,
 * rotated), waits for the exit, records it in state.json, deletes the runtime container and, for
 * --rm, the container. The caller returns once the container runs, or with the error that stopped
 * it. docs/monitor.md has the plan for making it a tiny program of its own. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "base/error.h"

enum { RESTART_NO, RESTART_ALWAYS, RESTART_UNLESS_STOPPED, RESTART_ON_FAILURE };

struct monitor_opts {
    const char *root;   /* berth's state root */
    const char *rtroot; /* the runtime's state root */
    const char *id;     /* container ID (64 hex): dir, runtime ID */
    bool tty;
    bool auto_remove;
    bool keep_on_failure; /* start of an existing container: a failure leaves it as it was */
    int restart;          /* RESTART_*: --restart */
    int max_restarts;     /* on-failure:N (0: no limit) */
    long log_max_size;    /* bytes per json.log file before rotation */
    int log_max_files;
    bool no_log;      /* --log-driver none: the output is dropped */
    bool interactive; /* -i: the container's stdin comes from the attached client */
    int attach_fd;    /* a client attached from the start (SOCK_SEQPACKET), or -1 */
};

/* The attach protocol between the monitor and a client (`run` in the foreground,
 * `start -a`): SOCK_SEQPACKET messages of a type byte and data. The client goes when it
 * likes (a detach); the monitor sends ATTACH_EXIT, the exit code in decimal, when the
 * container is gone for good (after --rm's removal). */
enum {
    ATTACH_STDOUT = 'o',    /* monitor -> client: output */
    ATTACH_STDERR = 'e',    /* monitor -> client */
    ATTACH_EXIT = 'x',      /* monitor -> client: "137" */
    ATTACH_STDIN = 'i',     /* client -> monitor: input */
    ATTACH_STDIN_EOF = 'c', /* client -> monitor: end of input */
    ATTACH_RESIZE = 'w',    /* client -> monitor: struct winsize */
    ATTACH_SIGNAL = 's',    /* client -> monitor: "15", for the container's process */
    ATTACH_BUSY = 'b',      /* monitor -> client: another client is attached */
};
#define ATTACH_MAX 16384 /* data bytes in one message */

/* One message; flags for send(2) (MSG_DONTWAIT). Returns 0 or negative errno. */
int attach_send(int fd, char type, const void *data, size_t len, int flags);

/* A connection to the monitor of container dir `dir` (its `attach` socket), or -1. */
int attach_connect(const char *dir, struct berr **err);

/* Starts the monitor; returns 0 once the container is running. On failure returns the
 * error (BERR_NOT_FOUND "exec: ...": 127, other exec errors: 126) and the container dir is
 * gone. */
int monitor_start(const struct monitor_opts *o, struct berr **err);

/* monitor.h - the per-container monitor: the parent of every container berth starts.
 *
 * `run` (detached or not) and `start` start it as a helper process (engine/spawn.h: forked,
 * or forked and exec'd afresh for a threaded caller), which first mounts the container's root
 * file system in a mount namespace it then keeps alive. It creates and starts the container (so
 * the container's init is its child), then execs its loop (monitor-loop.c, a small musl
 * program) which logs the output, serves the attached client and reaps; at the exit the loop
 * execs berth again to record it, restart or clean up. The caller returns once the container
 * runs, or with the error that stopped it. docs/monitor.md has the whole story. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
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
    /* what the monitor's process does first (ctr_prepare of engine/ctr-run.h: the root file
     * system mounted in a mount namespace of its own, and for run the spec written), so the
     * caller's stays as it was; a failure is the start's, and leaves the container dir to the
     * caller. Data, not code: a monitor exec'd afresh reads it as a forked one does. */
    json_t *prepare;
};

#include "engine/attach-proto.h"

/* A connection to the monitor of container dir `dir` (its `attach` socket), or -1. */
int attach_connect(const char *dir, struct berr **err);

/* Starts the monitor, a helper process (engine/spawn.h, job "monitor": forked, or forked
 * and exec'd as e->exec_helpers says) that outlives the call; returns 0 once the container
 * is running. On failure returns the error, of its kind as it arose (BERR_CMD_NOT_FOUND or
 * BERR_CMD_NOT_RUNNABLE when the container's command is missing or cannot be run), and the
 * container dir is gone (unless keep_on_failure). o->root and o->rtroot are e's. */
struct engine;
int monitor_start(struct engine *e, const struct monitor_opts *o, struct berr **err);

/* docker's --restart: no, always, unless-stopped, on-failure[:N]. Returns 0 (policy, and
 * N or 0) or -1. monitor_restart_name gives a policy's name back. */
int monitor_parse_restart(const char *s, int *ret_policy, int *ret_max);
const char *monitor_restart_name(int policy);

/* A container's recorded settings (container.json with State, as ctr_load gives it) into
 * o: tty, stdin (OpenStdin), --rm, the restart policy and the log settings. o keeps
 * pointing into c. */
void monitor_opts_from_record(json_t *c, struct monitor_opts *o);

/* HostConfig.LogConfig into o's log settings: json-file's max-size (docker's decimal units:
 * 10m is 10,000,000 bytes) and max-file, or the none driver; without them 3 files of 10 MB.
 * Returns -2 for an unknown option, -1 for a bad value. */
int monitor_log_config(json_t *log_config, struct monitor_opts *o);

/* `berth-monitor key=value...`: berth exec'd again by the monitor's loop once the container
 * has exited, to record it and restart or clean up (monitor-loop.c). */
int monitor_resume(int argc, char **argv);

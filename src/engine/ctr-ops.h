/* ctr-ops.h - what changes a running container's state: stop, kill, pause, unpause, rename,
 * wait, remove and exec, one engine function per operation (the Engine API's
 * /containers/{id}/stop, kill, pause, unpause, rename, wait, DELETE and exec).
 *
 * Each takes a user's reference (name, ID or unique ID prefix): BERR_NOT_FOUND ("no such
 * container: REF") if there is none. A container in the wrong state is BERR_CONFLICT (docker's
 * 409). Each notes its events (kill with its signal, stop, pause, unpause, rename, destroy,
 * exec_create, exec_start, exec_die) in the journal of e->runroot. Waits use inotify on the
 * container's directory and pidfds of its process and monitor, never a sleep loop. */
#pragma once
#include <stdbool.h>
#include "base/error.h"

struct engine;

/* "KILL", "SIGKILL", "sigkill", "9", "RTMIN+3" -> signal number, or -1 */
int ctr_signal_parse(const char *s);

/* timeout: the container's own --stop-timeout, else 10 seconds */
#define CTR_STOP_TIMEOUT_DEFAULT (-2)

struct ctr_stop_opts {
    int signal;   /* 0: the container's StopSignal, else SIGTERM */
    long timeout; /* seconds before SIGKILL; -1: wait for ever; CTR_STOP_TIMEOUT_DEFAULT */
    bool restart; /* the stop of a restart: no stop event (the start that follows notes its own) */
};
/* Stops a container: the signal, then SIGKILL after the timeout; returns once its end is
 * recorded. The stop is the user's: the monitor applies no restart policy after it. Returns
 * 0 when it stopped it, 1 when it was not running (docker's 304: not an error for stop). */
int ctr_stop(struct engine *e, const char *ref, const struct ctr_stop_opts *o, struct berr **err);

/* Sends sig to a running container (BERR_CONFLICT if it does not run). SIGKILL and SIGTERM
 * from the user are a stop: no restart after them. */
int ctr_kill(struct engine *e, const char *ref, int sig, struct berr **err);

/* Freezes (pause) or thaws the container's processes in their cgroup. BERR_CONFLICT if it does
 * not run, for pause of a paused one and for unpause of one that is not paused. */
int ctr_pause(struct engine *e, const char *ref, bool pause, struct berr **err);

/* Gives the container a new name: BERR_CONFLICT if another has it, BERR_INVALID if it is not
 * a valid name. */
int ctr_rename(struct engine *e, const char *ref, const char *name, struct berr **err);

/* Waits until the container no longer runs and returns its exit code (0 to 255).
 * BERR_NOT_FOUND if it was removed (--rm) before its exit code could be read. */
int ctr_wait(struct engine *e, const char *ref, struct berr **err);

struct ctr_remove_opts {
    bool force;   /* a running container is killed first (else BERR_CONFLICT) */
    bool volumes; /* its anonymous volumes too (named ones stay, as with docker) */
};
/* Removes a container: its runtime state, its mount, its directory, its name. */
int ctr_remove(struct engine *e, const char *ref, const struct ctr_remove_opts *o,
               struct berr **err);
/* The same for container `id` that no longer runs, under ctr_lock (which the caller holds):
 * what remove and prune share. */
int ctr_remove_stopped(const char *root, const char *runroot, const char *id, struct berr **err);

struct ctr_exec_opts {
    char **args;         /* the command and its arguments (NULL-terminated) */
    char **env;          /* KEY=VALUE added to the container's environment, or NULL */
    const char *user;    /* USER[:GROUP] from the container's /etc/passwd; NULL: its own */
    const char *workdir; /* absolute; NULL: the container's */
    bool tty;            /* the process gets a terminal, relayed to stdio[0] and stdio[1] */
    bool interactive;    /* its stdin is read from stdio[0] (else /dev/null) */
    bool detach;         /* started and left running: no output, no exit code */
    bool privileged;     /* every capability berth holds, whatever the container's */
    /* the fds its stdin, stdout and stderr are relayed from and to. 0, 1, 2 (the calling
     * process's own, a CLI's) are relayed in this process, whose signals go to the process
     * while it runs, unless e->exec_helpers; any others (and all with e->exec_helpers)
     * through a helper process, so the caller's stdio, signal mask and children are never
     * touched (a daemon's case) */
    int stdio[3];
};
/* Runs a process in a running container (BERR_CONFLICT if it does not run) and returns its
 * exit code (shell convention: 128+signal), or 0 with detach. The process is a clone of
 * berth in the container: the caller must run from a sealed copy of berth (ctr_exec_reexec). */
int ctr_exec(struct engine *e, const char *ref, const struct ctr_exec_opts *o, struct berr **err);
/* Unless this process runs from a sealed copy of berth (linux/selfexe.h), re-executes it from
 * one with argv: does not return then. 0 if already sealed, negative errno if it cannot. A
 * front end calls it before it does anything it must not do twice. */
int ctr_exec_reexec(char **argv);

/* spawn.h - a named job in a helper process: the one way the engine forks.
 *
 * What must not happen in the caller's process (a mount namespace of its own, a container's
 * monitor, a copy that sees the container, an exec that relays stdio and signals) runs as a
 * job in a helper: the caller gives the job's name, a JSON document of its arguments and the
 * fds to hand over, and gets back success or the job's error with its kind, reported over a
 * pipe as "0" or "1 <kind> <errno> <message>".
 *
 * Two modes, by e->exec_helpers. Fork only (the single-threaded CLI: fast): the helper is a
 * fork of the caller and runs the job at once, with the document as it is. Fork+exec (a
 * threaded daemon: a bare fork of a threaded process may inherit a lock another thread held,
 * and deadlock): the child does only async-signal-safe steps, then execs berth afresh as
 * `berth-spawn JOB` from e->berth, which re-makes the engine handle from the roots and reads
 * the document from an fd. Either way the job function gets the same decoded arguments, so
 * both modes run the same code. The helper's signal mask starts empty, and it holds no fd of
 * the caller's but its stdio and those handed over. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <jansson.h>
#include "base/error.h"

struct engine;

#define SPAWN_MAX_FDS 8 /* fds one job may be handed */

/* What a job gets, in the helper */
struct spawn_job {
    struct engine *e; /* the caller's handle, or one made again from its roots */
    json_t *args;     /* the arguments (borrowed) */
    const int *fds;   /* the fds handed over, in the caller's order (numbers are the helper's) */
    size_t nfds;
    int report; /* the report pipe; -1 once spawn_report has used it */
};

/* A job returns its helper's exit status (0 to 255), or negative with err set (reported as
 * its error). One that reports early (spawn_report) may go on running (SPAWN_DETACH). */
typedef int spawn_job_fn(struct spawn_job *j, struct berr **err);

enum spawn_flags {
    SPAWN_DETACH = 1 << 0,          /* the job outlives its success report (the monitor):
                                     * not waited for then */
    SPAWN_DIE_WITH_CALLER = 1 << 1, /* killed when the caller (its thread) goes */
    /* set by spawn_start for a detached helper of a long-lived caller (e->exec_helpers):
     * forked through a middle process that exits at once, so that the helper is not the
     * caller's child and never its zombie; spawn_pid is then the middle process's */
    SPAWN_ORPHAN = 1 << 2,
};

struct spawn; /* a job started */

/* Starts job `job` (a name of the table in spawn.c; BERR_NOT_FOUND if there is none) with
 * args (borrowed; NULL: {}) and fds[0..nfds) handed over. */
struct spawn *spawn_start(struct engine *e, const char *job, json_t *args, const int *fds,
                          size_t nfds, int flags, struct berr **err);
/* The helper's pid (its parent is the caller until spawn_wait) */
pid_t spawn_pid(const struct spawn *s);

#define SPAWN_DIED 1 /* spawn_wait: the helper ended without a report */
/* Waits for the job's report, then (unless detached and successful) for the helper's exit,
 * and frees s. Returns 0 if the job succeeded, negative errno with its error if it reported
 * one, or SPAWN_DIED with an error saying how it ended. ret_wstatus (may be NULL): the
 * helper's wait status, or -1 if not waited for. */
int spawn_wait(struct spawn *s, int *ret_wstatus, struct berr **err);
/* spawn_start and spawn_wait; ret_status (may be NULL): the job's exit status on success */
int spawn_run(struct engine *e, const char *job, json_t *args, const int *fds, size_t nfds,
              int flags, int *ret_status, struct berr **err);

/* In a job: tells the caller now that it succeeded (err NULL) or failed; the job may go on */
void spawn_report(struct spawn_job *j, const struct berr *err);

/* `berth-spawn JOB`, exec'd by spawn_start in fork+exec mode (berth's main dispatches it):
 * refuses to run unless started so. Does not return. */
int spawn_main(int argc, char **argv);

/* The jobs, defined in their modules */
spawn_job_fn monitor_job;    /* monitor.c: a container's monitor */
spawn_job_fn ctr_create_job; /* ctr-run.c: create's mount and spec */
spawn_job_fn ctr_export_job; /* ctr-run.c: export's tar */
spawn_job_fn ctr_copy_job;   /* ctr-copy.c: the container's side of a copy */
spawn_job_fn ctr_exec_job;   /* ctr-ops.c: exec's process, with stdio handed over */
spawn_job_fn img_mount_job;  /* images.c: an image's overlay, in the caller's mount namespace */

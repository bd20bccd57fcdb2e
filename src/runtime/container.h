/* container.h - the OCI runtime operations: create, start, state, kill, delete, exec, ... */
#pragma once
#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>
#include "base/error.h"
#include "oci/runtime-spec.h"
#include "runtime/state.h"

struct rt_create_opts {
    const char *bundle;         /* NULL: current directory */
    const char *pid_file;       /* NULL: none */
    const char *console_socket; /* NULL: none */
    bool no_pivot;
    bool no_new_keyring;
    int preserve_fds;
    bool want_pty;  /* terminal without console socket: return the pty master (foreground run) */
    bool subreaper; /* the caller waits for the init itself (run): become its subreaper */
};

/* Creates the container and leaves its init waiting for start. *ret_pid is the init's pid;
 * *ret_pty the pty master if want_pty and the process has a terminal (else -1). */
int rt_create(const char *root, const char *id, const struct rt_create_opts *o, pid_t *ret_pid,
              int *ret_pty, struct berr **err);
int rt_start(const char *root, const char *id, struct berr **err);
int rt_kill(const char *root, const char *id, int sig, bool all, struct berr **err);
int rt_delete(const char *root, const char *id, bool force, struct berr **err);
int rt_pause(const char *root, const char *id, bool pause, struct berr **err);
int rt_ps(const char *root, const char *id, pid_t **ret, size_t *ret_n, struct berr **err);
int rt_update(const char *root, const char *id, const struct spec_resources *res,
              struct berr **err);
/* Resource usage of the container as runc's `events --stats` prints it ("data" object). */
json_t *rt_stats(const char *root, const char *id, struct berr **err);

/* Every container under root, as state JSON objects. */
json_t *rt_list(const char *root, struct berr **err);
/* state JSON of one container */
json_t *rt_state(const char *root, const char *id, struct berr **err);

struct rt_exec_opts {
    struct spec_process *process; /* complete process to run */
    const char *pid_file;
    const char *console_socket;
    bool detach;
    bool want_pty;
    int preserve_fds;
    /* The process gets stdio of its own, never the caller's (which may be the admin's
     * terminal): pipes that rt_exec relays while it waits, stdin only with stdin_open (else
     * /dev/null); /dev/null with detach; the pty with a terminal. Without it the process
     * gets the caller's stdio, the runtime command's contract (containerd passes pipes). */
    bool own_stdio;
    bool stdin_open;
};
/* Runs a process in the container. The caller must run from a sealed copy of berth
 * (linux/selfexe.h): the process is a clone of it in the container's pid namespace. Without detach
 * waits and returns its exit code in *ret_status (shell convention); *ret_pid gets its pid. */
int rt_exec(const char *root, const char *id, const struct rt_exec_opts *o, pid_t *ret_pid,
            int *ret_status, struct berr **err);
/* The container's saved config (for building an exec process from it). */
struct spec *rt_load_config(const char *root, const char *id, json_t **ret_json, struct berr **err);
/* Waits for the foreground child `pid` forwarding signals to it (and relaying the pty if
 * pty >= 0); returns its exit code in shell convention. */
int rt_wait_foreground(pid_t pid, int pty, struct berr **err);

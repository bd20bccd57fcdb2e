/* containers.h - containers as users know them: records on disk, names, truthful state.
 *
 * <root>/containers/<id>/
 *   container.json   what was asked for: Id, Name, Image, ImageName, Created, Path, Args,
 *                    Config (Cmd, Entrypoint, Env, WorkingDir, User, Tty, OpenStdin, Labels,
 *                    Hostname, StopSignal), HostConfig (AutoRemove, RestartPolicy, LogConfig,
 *                    resources, Privileged, SecurityOpt, ...), Mounts
 *   state.json       what happened, written by the monitor: Status, Pid, PidStart, ExitCode,
 *                    StartedAt, FinishedAt, OOMKilled, MonitorPid, MonitorStart, RestartCount
 *   config.json      the runtime spec the monitor creates the container from
 *   image, owner     the image ID (rmi leaves used images), and "PID START" of the process
 *                    that owns the container (its run, then its monitor)
 *   attach           the monitor's socket for `berth attach`
 *   upper/ work/ rootfs/   the container's layer and its mount point
 *   json.log[.N]     its output, Docker's json-file lines, rotated
 *   stopped-by-user  a stop or kill by the user: no restart after it
 * <root>/containers/.lock        serialises names, creation and removal
 * <root>/containers/.names/NAME  a symlink to the ID (free if that container has no record)
 * <root>/containers/.creating/ID a run setting the container up ("PID START" of that run)
 * <root>/containers/.removing-ID a --rm container's directory, renamed away while it goes
 * The status shown is computed from state.json and the processes that still exist: a
 * container whose monitor was killed is still "running" while its process lives. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "base/error.h"

struct engine;

/* A container as the engine works on it: its ID, its directory and its record (container.json
 * merged with the truthful State, as ctr_load gives it). Engine operations take a user's
 * reference (name, ID or unique prefix) and open one; front ends never build its paths. */
struct ctr {
    char id[65];
    char *name; /* without docker's leading '/' */
    char *dir;  /* <root>/containers/<id> */
    json_t *rec;
};
/* Resolves ref (name, full ID or unique ID prefix) and loads the record: BERR_NOT_FOUND
 * ("no such container: REF") if there is none. */
struct ctr *ctr_open(struct engine *e, const char *ref, struct berr **err);
/* Reads the record again (its state changes under us: the monitor writes it). */
int ctr_reload(struct engine *e, struct ctr *c, struct berr **err);
void ctr_free(struct ctr *c);
static inline void ctr_freep(struct ctr **c)
{
    ctr_free(*c);
}
#define _cleanup_ctr_ __attribute__((cleanup(ctr_freep)))
/* <dir>/<file>, malloc'd; file is one of the names listed above, never user input. */
char *ctr_path(const struct ctr *c, const char *file);
/* State.Status ("created", "running", "paused" is running with State.Paused, "exited", ...),
 * State.Running and State.Paused, State.Pid and State.PidStart of its process. */
const char *ctr_status(const struct ctr *c);
bool ctr_running(const struct ctr *c);
bool ctr_paused(const struct ctr *c);
pid_t ctr_pid(const struct ctr *c, uint64_t *ret_start);

/* A container ID: 64 lowercase hex digits (what every user-given ID, name or prefix is
 * resolved to before it becomes a path). */
bool ctr_is_id(const char *id);
/* A container's directory, malloc'd. id must be an ID (ctr_resolve's, a record's): anything
 * else is a bug and aborts rather than become a path outside the store. */
char *ctr_dir(const char *root, const char *id);
/* The full ID of a container given by name, full ID or unique ID prefix (hex); anything else
 * is "no such container". */
char *ctr_resolve(const char *root, const char *what, struct berr **err);
/* IDs of every container, newest first. */
json_t *ctr_ids(const char *root);
/* container.json merged with a truthful "State" object; NULL if absent. */
json_t *ctr_load(const char *root, const char *id, struct berr **err);
/* Writes state.json atomically. */
int ctr_save_state(const char *root, const char *id, json_t *state, struct berr **err);
/* Gives container `id` the name (call under ctr_lock, before its record is written);
 * BERR_CONFLICT if another container has it. */
int ctr_name_claim(const char *root, const char *name, const char *id, struct berr **err);
/* Frees a name if it is still container id's. */
void ctr_name_release(const char *root, const char *name, const char *id);
/* Frees the name container id's record gives it: before its directory goes. */
void ctr_name_forget(const char *root, const char *id);
/* A docker-style name ("eager_turing") no container has yet; malloc'd. */
char *ctr_generate_name(const char *root);
/* Takes <root>/containers/.lock (made if missing), which serialises names, container
 * creation and removal, and volume removal. Returns its fd (close it to unlock), or -1. */
int ctr_lock(const char *root, struct berr **err);
/* Checks a user-given name: [a-zA-Z0-9][a-zA-Z0-9_.-]+. */
int ctr_check_name(const char *name, struct berr **err);

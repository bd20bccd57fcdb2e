/* cgroup.h - container cgroups on v2 (unified), v1 (legacy) and hybrid hosts, detected at run time
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/error.h"
#include "oci/runtime-spec.h"

enum cg_mode {
    CG_MODE_UNIFIED = 1, /* pure v2: /sys/fs/cgroup is cgroup2 */
    CG_MODE_LEGACY,      /* pure v1 */
    CG_MODE_HYBRID,      /* v1 controllers plus a cgroup2 mount at /sys/fs/cgroup/unified */
};

/* Detects the host's cgroup layout (cached after the first call). Never fails: a host with
 * no cgroups at all reports CG_MODE_LEGACY with no controllers. */
enum cg_mode cg_mode(void);

/* A container's cgroup. `path` is the cgroup path relative to each hierarchy's root,
 * always starting with '/', e.g. "/berth/<id>". It is what goes into the state file and
 * what `cg_open` takes back. */
struct cg {
    char *path;
    /* The hierarchies (mount points, NULL-terminated) where cg_create made the cgroup's own
     * directory. cg_destroy removes it only there: a cgroup that existed before is someone
     * else's. NULL: unknown, remove everywhere. */
    char **created_in;
};

/* Resolves a spec's cgroupsPath for container `id` to a cgroup path:
 *  - absent or empty: "/berth/<id>"
 *  - relative "a/b": "/berth/a/b"
 *  - absolute "/a/b": "/a/b" as the runtime-spec requires
 *  - "slice:prefix:name" (systemd form): refused with BERR_UNSUPPORTED.
 * Returns a malloc'd string or NULL with err set. */
char *cg_resolve_path(const char *cgroups_path, const char *id, struct berr **err);

/* Creates the cgroup (in every mounted hierarchy: v1 controllers, name=systemd, unified),
 * applies `res` (may be NULL) and returns it. Fails with a clear error naming the field if a
 * resource needs a controller that is not available ("linux.resources.memory: memory
 * controller not available"). On failure nothing is left behind. */
struct cg *cg_create(const char *path, const struct spec_resources *res, struct berr **err);
/* Opens an existing container cgroup by path (no checks beyond existence in one hierarchy). */
struct cg *cg_open(const char *path, struct berr **err);
/* On a pure v2 host, an O_PATH|O_DIRECTORY fd of the cgroup for clone3's CLONE_INTO_CGROUP
 * (a child born there costs no migration); -1 elsewhere. */
int cg_clone_fd(const struct cg *cg);
/* On a v1 or hybrid host, how a new process joins the cgroup without the kernel's global
 * migration lock (whose first taking after a pause waits for an RCU grace period, 5-10 ms):
 * for each v1 hierarchy an open `tasks` file, to which the new process itself writes "0"
 * (moving itself, a single thread, skips that lock), and the unified hierarchy's directory
 * for clone3's CLONE_INTO_CGROUP (-1 if there is none). Returns the number of fds in
 * ret_tasks (malloc'd), or -1 on a pure v2 host or an error (then use cg_enter). */
int cg_birth_fds(const struct cg *cg, int *ret_clone_fd, int **ret_tasks);
/* Moves process `pid` into the cgroup in every hierarchy. */
int cg_enter(const struct cg *cg, pid_t pid, struct berr **err);
/* Applies resources to an existing cgroup (used by `update`). */
int cg_update(const struct cg *cg, const struct spec_resources *res, struct berr **err);
/* Freezes (true) or thaws (false); waits until the state is reached. */
int cg_freeze(const struct cg *cg, bool frozen, struct berr **err);
/* Returns 1 if frozen, 0 if not, negative errno on failure. */
int cg_is_frozen(const struct cg *cg);
/* Lists the pids in the cgroup (and sub-cgroups); *ret is malloc'd. */
int cg_pids(const struct cg *cg, pid_t **ret, size_t *ret_n, struct berr **err);
/* Sends sig to every process in the cgroup (freezing first so none escape by forking). */
int cg_kill_all(const struct cg *cg, int sig, struct berr **err);
/* Removes the cgroup from every hierarchy in created_in (all if NULL), retrying briefly
 * while processes exit. Removes sub-cgroups the container made. Does not remove the
 * "berth" parent. */
int cg_destroy(const struct cg *cg, struct berr **err);
/* Number of OOM kills in this cgroup so far (memory.events oom_kill on v2,
 * memory.oom_control oom_kill on v1); 0 if unknown. */
uint64_t cg_oom_kills(const struct cg *cg);

struct cg_stats {
    uint64_t cpu_usage_ns;
    uint64_t memory_usage, memory_limit, memory_max_usage;
    uint64_t pids_current, pids_limit;
    uint64_t oom_kills;
};
int cg_stats(const struct cg *cg, struct cg_stats *ret, struct berr **err);
/* The mount point of the hierarchy holding controller (e.g. "memory") or the unified one
 * for NULL; NULL if not mounted. Static storage. */
const char *cg_hierarchy(const char *controller);
void cg_free(struct cg *cg);
static inline void cg_freep(struct cg **c)
{
    cg_free(*c);
}
#define _cleanup_cg_ __attribute__((cleanup(cg_freep)))

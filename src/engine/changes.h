/* changes.h - what a container changed in its file system (`berth diff`, GET
 * /containers/{id}/changes): its overlay upper dir read against its image's layers. */
#pragma once
#include <jansson.h>
#include <stddef.h>
#include "base/error.h"

/* Docker's change kinds (the Engine API's "Kind") */
enum ctr_change_kind {
    CTR_CHANGE_MODIFIED = 0,
    CTR_CHANGE_ADDED = 1,
    CTR_CHANGE_DELETED = 2,
};

/* The changes of the upper dir upper_fd over the layer dirs lower_fds (the top layer first),
 * as the Engine API's array [{"Path":"/x","Kind":0|1|2}] sorted by path (strcmp) as docker
 * sorts them. As docker reads them: a 0/0
 * character device or an opaque directory (trusted.overlay.opaque=y) over something the
 * layers have is a deletion; a path the layers have is modified, otherwise added; a
 * directory the layers have with the same mode and mtime is left out, unless something was
 * added or deleted in it (then it is modified). Empty /proc, /sys and /dev, which the runtime
 * makes as mount points, are left out. Nothing is followed through a symlink. */
int changes_compute(int upper_fd, const int *lower_fds, size_t n_lower, json_t **ret,
                    struct berr **err);

/* The changes of container ref (name, ID or prefix), running or stopped. */
struct engine;
int ctr_changes(struct engine *e, const char *ref, json_t **ret, struct berr **err);

/* "C", "A" or "D", as `docker diff` prints them ("?" for anything else). */
const char *ctr_change_letter(int kind);

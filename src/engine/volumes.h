/* volumes.h - named volumes, and the mounts `run -v/--mount/--tmpfs` ask for.
 *
 * <root>/volumes/<name>/volume.json   Name, Driver ("local"), Mountpoint, CreatedAt, Labels,
 *                                     Anonymous
 * <root>/volumes/<name>/_data         what the containers see
 * A volume is in use while any container (running or not) names it in its Mounts; it cannot
 * be removed then. */
#pragma once
#include <stdbool.h>
#include <jansson.h>
#include "base/error.h"

struct engine;

/* The front ends' operations. A volume comes back as the Engine API's Volume: Name, Driver
 * ("local"), Mountpoint, CreatedAt, Labels, Scope ("local"), Options. */

/* volume create (POST /volumes/create): the volume, made if missing (name NULL: an anonymous
 * one). BERR_INVALID for a bad name. Notes "create". */
json_t *vol_create(struct engine *e, const char *name, struct berr **err);
/* volume inspect (GET /volumes/{name}): BERR_NOT_FOUND "no such volume: NAME", BERR_INVALID
 * for a bad name. */
json_t *vol_inspect(struct engine *e, const char *name, struct berr **err);
/* volume ls (GET /volumes): {"Volumes": [Volume...] sorted by name, "Warnings": []}. */
json_t *vol_ls(struct engine *e, struct berr **err);
/* volume rm (DELETE /volumes/{name}): removes a volume no container uses (force: also one
 * that does not exist), serialised with container creation. Notes "destroy". */
int vol_destroy(struct engine *e, const char *name, bool force, struct berr **err);
/* volume prune (POST /volumes/prune): every anonymous volume no container uses, as docker's
 * default; {"VolumesDeleted": [name], "SpaceReclaimed": bytes}. Notes "destroy" for each. */
json_t *vol_prune(struct engine *e, struct berr **err);

/* The engine's own helpers (system.c, run's mounts), on records under root. */

/* A volume's record; it is created (and *ret_created set) if missing. name NULL makes an
 * anonymous volume with a random 64-hex name. */
json_t *vol_get(const char *root, const char *name, bool create, bool *ret_created,
                struct berr **err);
/* Every volume's record, sorted by name. */
json_t *vol_list(const char *root);
/* Short IDs of the containers using a volume, as a JSON array. */
json_t *vol_users(const char *root, const char *name);
/* Removes a volume nobody uses (force: also one that does not exist). */
int vol_remove(const char *root, const char *name, bool force, struct berr **err);
/* Checks a volume name: [a-zA-Z0-9][a-zA-Z0-9_.-]+. */
int vol_check_name(const char *name, struct berr **err);

/* Parses -v SRC:DST[:OPTS], --mount k=v,... (mount=true) or --tmpfs DST[:OPTS] (tmpfs=true)
 * into a docker-shaped Mounts entry: {Type: bind|volume|tmpfs, Source, Destination, RW,
 * Name?, Options[]}. Named volumes are created on first use; nothing else is touched. */
json_t *vol_parse_mount(const char *root, const char *arg, int kind, struct berr **err);
enum { VOL_ARG_V, VOL_ARG_MOUNT, VOL_ARG_TMPFS };

/* Adds the mounts to config.json; a new, empty volume first gets the image's files at its
 * destination (docker's copy-up; rootfs is the container's mounted root). */
int vol_apply(json_t *spec, json_t *mounts, const char *rootfs, struct berr **err);

/* Removes the anonymous volumes among a container's Mounts (once the container is gone). */
void vol_remove_anonymous(const char *root, json_t *mounts);

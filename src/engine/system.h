/* system.h - the engine's view of the whole host and store: docker's /info, /version,
 * /system/df and system prune, as JSON documents in the Engine API's (v1.41) shapes so a
 * daemon can send them as they are. */
#pragma once
#include <stdbool.h>
#include <jansson.h>
#include "base/error.h"

struct engine;

/* The Engine API's version string berth speaks. */
#define SYS_API_VERSION "1.41"

/* SystemInfo (GET /info): containers by state, images, storage and cgroup drivers, kernel,
 * OS, CPUs, memory, the root, runtimes, security options, and berth's configuration in force
 * ("BerthConfig": the handle's, read from e->config_path or the default). */
json_t *sys_info(struct engine *e, struct berr **err);
/* The server's part of GET /version: Version, ApiVersion, GoVersion, Os, Arch, ... */
json_t *sys_version(void);
/* GET /system/df: LayersSize, Images (with Containers: how many use each), Containers
 * (with SizeRw), Volumes (with UsageData {Size, RefCount}) and BuildCache (empty). */
json_t *sys_df(struct engine *e, struct berr **err);

struct sys_prune_opts {
    bool all;     /* images: every one no container uses, not only dangling ones */
    bool volumes; /* also every volume no container uses (API 1.41's system prune) */
    long until;   /* > 0: only containers and images created before this Unix time */
};
/* system prune: stopped containers, then dangling (all: unused) images, then unused volumes.
 * Returns {"ContainersDeleted": [ID], "ImagesDeleted": [{"Untagged"|"Deleted": X}],
 * "VolumesDeleted": [name], "SpaceReclaimed": bytes}; a removal that fails is skipped. */
json_t *sys_prune(struct engine *e, const struct sys_prune_opts *o, struct berr **err);
/* container prune: every container that neither runs, is paused, nor is being set up (its
 * owner lives), created before o->until if set; appends their IDs to out, the bytes of their
 * writable layers to *reclaimed. A container that cannot be removed is left. */
int sys_container_prune(struct engine *e, const struct sys_prune_opts *o, json_t *out,
                        json_int_t *reclaimed, struct berr **err);
/* image prune: dangling (o->all: unused) images no container uses and none mounted, created
 * before o->until if set; appends {"Untagged": NAME} and {"Deleted": ID} to out and adds the
 * bytes freed to *reclaimed. */
int sys_image_prune(struct engine *e, const struct sys_prune_opts *o, json_t *out,
                    json_int_t *reclaimed, struct berr **err);
/* Bytes of the files under path (not following symlinks; 0 if it is missing). */
unsigned long long sys_du(const char *path);

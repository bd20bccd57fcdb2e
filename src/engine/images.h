/* images.h - images as users know them: import, list, inspect, history, tag, remove, save,
 * load, mount (prune is sys_image_prune, system.h).
 *
 * Results come in the Engine API's (v1.41) shapes, so a daemon sends them as they are and the
 * CLI formats them: ImageSummary (GET /images/json), ImageInspect, HistoryResponseItem,
 * ImageDeleteResponseItem. Times docker gives as Unix seconds are Go's zero time
 * (IMG_TIME_UNKNOWN) when the image does not say. Each change notes its event in the
 * journal: image import, tag, untag, delete, load. An image is named by a reference
 * ("busybox", "host:5000/a:tag"), its full ID or a unique ID prefix. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "base/error.h"

struct engine;

/* time.Time{}.Unix(): what docker sends for a time that is not known */
#define IMG_TIME_UNKNOWN (-62135596800LL)

struct img_import_opts {
    const char *const *changes; /* Dockerfile-style changes (`import -c`), NULL-terminated */
    const char *message;        /* the history entry's comment, or NULL */
    const char *reference;      /* REPO[:TAG] to name the image, or NULL */
    const char *source;         /* the tarball's path, opened when fd < 0; else its label */
};
/* Makes a one-layer image of a root file system tarball (plain, gzip or zstd) read from fd
 * (or o->source). A bad change or reference is BERR_INVALID, a URL BERR_UNSUPPORTED, and
 * both are refused before anything is read; nothing is recorded unless the tarball unpacks
 * as a layer. ret_id: "sha256:<hex>". Notes "import". */
int img_import(struct engine *e, int fd, const struct img_import_opts *o, char ret_id[72],
               struct berr **err);

/* Checks one filter of the image list (docker's): dangling (true, false, 1, 0), reference (a
 * shell pattern of REPOSITORY[:TAG]), label (KEY or KEY=VALUE), before and since (an image).
 * BERR_INVALID "invalid filter ..." otherwise. */
int img_check_filter(const char *key, const char *value, struct berr **err);

struct img_list_opts {
    /* {"dangling": ["true"], "reference": ["app*"], ...}: the values of a key are or'ed
     * (label's and'ed, as docker has it), the keys and'ed; NULL: every image */
    json_t *filters;
    bool all; /* intermediate images too (none exist without builds) */
};
/* ImageSummary of each image the filters select, newest first: Id, ParentId, RepoTags
 * (["busybox:latest"]; with a reference filter only the names it matches), RepoDigests
 * (["busybox@sha256:..."], one per name), Created, Size, VirtualSize, SharedSize (-1),
 * Labels, Containers (-1) and Descriptor (the manifest: mediaType, digest, size). An image
 * before= or since= name that does not exist is BERR_NOT_FOUND. */
json_t *img_list(struct engine *e, const struct img_list_opts *o, struct berr **err);

/* ImageInspect (GET /images/{name}/json): Id, RepoTags, RepoDigests, Comment, Created, Author,
 * Architecture, Os, Size, Config, RootFS, Metadata. BERR_NOT_FOUND: `image "x" not found`. */
json_t *img_inspect(struct engine *e, const char *what, struct berr **err);

/* HistoryResponseItem rows (GET /images/{name}/history), newest first: Id (the image's on the
 * newest, "<missing>" on the others), Created, CreatedBy, Tags (the newest's), Size (bytes of
 * the layer the step made, 0 for an empty one), Comment. */
json_t *img_history(struct engine *e, const char *what, struct berr **err);

/* Gives image what the name ref (REPO[:TAG]); BERR_INVALID for a bad one. Notes "tag". */
int img_tag(struct engine *e, const char *what, const char *ref, struct berr **err);

struct img_remove_opts {
    bool force;    /* untag an image a container uses (it stays, nameless), or one with names
                      in several repositories given by ID */
    bool no_prune; /* refused: BERR_UNSUPPORTED */
};
/* Removes image what as `docker rmi` does: given by a name, that name goes, and the image
 * only with its last name; given by ID, every name and the image. Appends docker's
 * {"Untagged": "busybox:latest"} and {"Deleted": "sha256:..."} to out as they happen (also
 * before a failure). BERR_CONFLICT: a container uses it, it is mounted, or (without force)
 * an ID names it in several repositories. Notes "untag" and "delete". */
int img_remove(struct engine *e, const char *what, const struct img_remove_opts *o, json_t *out,
               struct berr **err);

enum img_archive {
    IMG_ARCHIVE_DOCKER = 1, /* docker save's manifest.json (and the OCI layout) */
    IMG_ARCHIVE_OCI,        /* an OCI image layout */
};
/* "docker-archive" (or "docker") and "oci-archive" (or "oci"); BERR_INVALID otherwise. */
int img_archive_format(const char *name, enum img_archive *ret, struct berr **err);

struct img_save_opts {
    enum img_archive format;
    const char *path; /* write here (a temporary file next to it, renamed when whole), or NULL
                         to write to fd */
};
/* Writes images what[0..n-1] to one archive, byte-identical for the same images. An image
 * given by name keeps that name in the archive; one given by ID has none, as docker does. */
int img_save(struct engine *e, const char *const *what, size_t n, const struct img_save_opts *o,
             int fd, struct berr **err);

/* Loads every image of the archive read from fd (docker save or OCI layout, plain, gzip or
 * zstd): [{"id": "sha256:...", "names": ["docker.io/library/busybox:latest"], "RepoTags":
 * ["busybox:latest"]}]. Nothing is recorded of an image that does not check out. Notes "load"
 * for each. */
json_t *img_load(struct engine *e, int fd, struct berr **err);

/* Mounts image what read-only under the store (once: mounting a mounted one gives the same
 * path) and returns the path, malloc'd. The mount is in the caller's mount namespace. */
char *img_mount(struct engine *e, const char *what, struct berr **err);
/* Unmounts it; ret_id gets its ID. BERR_NOT_MODIFIED if it is not mounted. */
int img_unmount(struct engine *e, const char *what, char ret_id[72], struct berr **err);

/* ---- pull (engine/pull.c): for run and create; `berth pull` is berth-registry's own ---- */

struct img_pull_opts {
    const char *platform; /* OS/ARCH[/VARIANT] to choose from an index; NULL: the host's */
    bool quiet;           /* no progress, only the name at the end */
};
/* Pulls image what from its registry (the configuration's default registry for Docker Hub
 * names) by running berth-registry next to e->berth (or on PATH), which writes its progress
 * to out_fd; blocks until it ends. A bad reference is BERR_INVALID before anything runs, a
 * missing berth-registry BERR_UNSUPPORTED; a failed pull BERR_INTERNAL with the client's own
 * one-line message ("pull x: GET http://...: ..."), its store unchanged. */
int img_pull(struct engine *e, const char *what, const struct img_pull_opts *o, int out_fd,
             struct berr **err);
/* What docker's "Unable to find image '...' locally" names: "busybox:latest",
 * "host:5000/a@sha256:..."; NULL with BERR_INVALID for a bad reference. Caller frees. */
char *img_pull_name(const char *what, struct berr **err);
/* True if what names an image in the store (a name, an ID or an ID prefix) */
bool img_exists(struct engine *e, const char *what);

/* store.h - the image store: content-addressed blobs, unpacked layers, images and names.
 *
 * Layout under <root>/image (docs/images.md):
 *   blobs/sha256/<hex>        verified blobs: layers as given, configs, manifests
 *   layers/<chain-hex>/diff   a layer unpacked once, shared by every image that has it
 *   images/<id-hex>.json      an image: its config, manifest and layer chain
 *   repositories.json         names ("docker.io/library/busybox:latest") -> image IDs
 *   tmp/                      staging, on the same file system, renamed into place
 *   lock                      flock: one writer at a time; readers need no lock
 * Everything is written to tmp/ first and renamed, so a crash or kill never leaves a
 * visible half-written blob, layer or image. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "base/error.h"

struct store {
    char *dir; /* <root>/image */
    int dirfd;
    int lock_fd;   /* held while locked, else -1 */
    bool keep_tmp; /* this process has staging in tmp/ that gc must leave */
};

struct store *store_open(const char *root, struct berr **err);
void store_close(struct store *st);
static inline void store_closep(struct store **s)
{
    store_close(*s);
}
#define _cleanup_store_ __attribute__((cleanup(store_closep)))

/* Exclusive lock for changes (names, images, layers); released by store_unlock/close. */
int store_lock(struct store *st, struct berr **err);
void store_unlock(struct store *st);

/* Blobs. A digest is "sha256:<64 hex>". */
int store_put_blob(struct store *st, const void *data, size_t len, char ret_digest[72],
                   struct berr **err);
/* Moves a staged file (in tmp/) with a known digest into the blob store. */
int store_adopt_blob(struct store *st, const char *tmp_name, const char *digest, struct berr **err);
int store_read_blob(struct store *st, const char *digest, char **ret, size_t *ret_len,
                    struct berr **err);
/* Opens a blob for reading (O_RDONLY|O_CLOEXEC). */
int store_open_blob(struct store *st, const char *digest, struct berr **err);
bool store_has_blob(struct store *st, const char *digest);

/* A staging file or directory in tmp/: *ret_name is malloc'd, relative to the store dir. */
int store_mktemp(struct store *st, bool dir, char **ret_name, struct berr **err);

/* Unpacks the layer blob `digest` on top of the chain `parent` (NULL for a base layer)
 * unless that chain exists already. Returns the chain ID ("sha256:...") in ret_chain and
 * the layer's DiffID and unpacked size. */
int store_add_layer(struct store *st, const char *parent_chain, const char *blob_digest,
                    char ret_chain[72], char ret_diff_id[72], uint64_t *ret_size,
                    struct berr **err);
/* The directory of a layer's tree (for overlay lowerdir), malloc'd. */
char *store_layer_path(struct store *st, const char *chain_id);
/* Its short name relative to the store dir ("l/<26 hex>"), for overlay's lowerdir option. */
void store_layer_short(const char *chain_id, char out[32]);

struct image {
    char id[72];           /* "sha256:<hex>": the digest of the config */
    char manifest[72];     /* digest of the manifest blob */
    char **layers;         /* chain IDs, base first, NULL-terminated */
    uint64_t size;         /* sum of the unpacked layers */
    json_t *config;        /* the image config (owned) */
    json_t *manifest_json; /* the manifest (owned) */
};
void image_free(struct image *im);
static inline void image_freep(struct image **i)
{
    image_free(*i);
}
#define _cleanup_image_ __attribute__((cleanup(image_freep)))

/* Records an image from its manifest (JSON text stored as a blob already) whose config and
 * layers are in the store. Returns its ID. Idempotent. */
int store_add_image(struct store *st, const char *manifest_digest, char ret_id[72],
                    struct berr **err);
/* Finds an image by name ("busybox", "host/a:tag"), full ID, or unique ID prefix.
 * BERR_NOT_FOUND: `image "x" not found`; an ambiguous prefix: BERR_INVALID. */
struct image *store_find_image(struct store *st, const char *what, struct berr **err);
struct image *store_get_image(struct store *st, const char *id, struct berr **err);
/* IDs of every image, as a JSON array of strings. */
json_t *store_image_ids(struct store *st);

/* Names. `name` is normalised (ref_parse) first. */
int store_tag(struct store *st, const char *id, const char *name, struct berr **err);
int store_untag(struct store *st, const char *name, struct berr **err);
/* The repositories table: {"docker.io/library/busybox:latest": "sha256:..."} (new ref). */
json_t *store_names(struct store *st);
/* The names of one image (JSON array, full form). */
json_t *store_image_names(struct store *st, const char *id);

/* Removes an image record (its names must be gone) and then every layer and blob no image
 * uses any more. */
int store_remove_image(struct store *st, const char *id, struct berr **err);
/* Removes layers and blobs that no image references (under the lock). */
int store_gc(struct store *st, struct berr **err);

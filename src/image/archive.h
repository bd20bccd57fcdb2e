/* archive.h - image archives: `docker save` format and OCI image layout, both ways */
#pragma once
#include <jansson.h>
#include "base/error.h"
#include "image/store.h"

enum archive_format {
    ARCHIVE_DOCKER = 1, /* docker save: manifest.json (+ the OCI layout, as Docker 25 writes) */
    ARCHIVE_OCI,        /* OCI image layout: oci-layout, index.json, blobs/ */
};

/* Loads every image of the archive read from fd (format told by its content). Returns a
 * JSON array of {"id": ..., "names": [...]}. Nothing is recorded unless the whole image
 * checks out: digests, DiffIDs, manifest and config. */
json_t *archive_load(struct store *st, int fd, struct berr **err);

/* Writes the images (with the names to record for each: names[i] is a NULL-terminated
 * list, may be empty) to fd. Byte-identical output for the same input. */
int archive_save(struct store *st, struct image **images, char ***names, size_t n,
                 enum archive_format fmt, int fd, struct berr **err);

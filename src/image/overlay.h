/* overlay.h - an image's layers as one file system: overlayfs over the unpacked layers */
#pragma once
#include "base/error.h"
#include "image/store.h"

/* Mounts the image at target: read-only if upper is NULL, else with upper/work dirs (on the
 * same file system as each other). Layer directories are named by their short links relative
 * to the store, so the mount options fit images of more than 128 layers. init (NULL: none,
 * only with upper): a directory laid over the image's layers, under upper, as docker's init
 * layer: the mount points the runtime binds files onto, kept out of the container's changes. */
int overlay_mount(struct store *st, const struct image *im, const char *init, const char *upper,
                  const char *work, const char *target, struct berr **err);

/* commit.h - a container's changes made into a new image (`berth commit`, POST /commit) */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include "base/error.h"

struct ctr_commit_opts {
    const char *const *changes; /* Dockerfile-style changes ("CMD [...]"), NULL-terminated */
    const char *message;        /* the history entry's comment, or NULL */
    const char *author;         /* the image's author, or NULL */
    const char *reference;      /* REPO[:TAG] to tag it with, or NULL */
    bool pause;                 /* freeze a running container while its layer is read */
};

/* The container's image config made the new image's from what the container ran with (Cmd
 * and Entrypoint from its command line, Env, WorkingDir, User, Labels, StopSignal over the
 * image's), then the changes applied. Pure: rec is the container record (ctr_load's). */
int ctr_commit_config(json_t *image_config, json_t *rec, const char *const *changes, json_t **ret,
                      struct berr **err);

/* Makes an image of container ref (name, ID or prefix): its image's layers and one new layer from
 * its upper dir (none if it changed nothing), its config (ctr_commit_config), a history entry. A
 * running container is frozen while its layer is read if o->pause, and thawed after, even on error.
 * A bad change or reference is BERR_INVALID and nothing is written. ret_id: "sha256:<hex>". */
struct engine;
int ctr_commit(struct engine *e, const char *ref, const struct ctr_commit_opts *o, char ret_id[72],
               struct berr **err);

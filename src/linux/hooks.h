/* hooks.h - OCI hooks: run a hook program with the container's state on stdin, with a timeout */
#pragma once
#include <sys/types.h>
#include <jansson.h>
#include "base/error.h"
#include "oci/runtime-spec.h"

struct hook_state {
    const char *id;
    const char *bundle;
    const char *status;      /* "creating", "created", "running", "stopped" */
    pid_t pid;               /* 0: none (omitted from the JSON) */
    const struct spec *spec; /* for annotations, may be NULL */
};

/* The runtime-spec state JSON object. */
json_t *hook_state_json(const struct hook_state *st);
/* Runs every hook of `kind` in order; the first failure stops and is returned, naming the hook
 * ("hooks.createRuntime[0] /bin/x: exited with status 1"). */
int hooks_run(const struct spec *s, enum spec_hook_kind kind, const struct hook_state *st,
              struct berr **err);

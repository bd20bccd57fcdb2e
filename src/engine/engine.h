/* engine.h - the engine's handle: the roots and the configuration every operation needs.
 *
 * The engine is the one place that knows containers, images and volumes as users see them;
 * the CLI and the coming daemon are front ends that parse, call one engine function with
 * the handle and an options struct, and print (docs/engine.md). A handle is read-only after
 * engine_new, so threads may share it; the state it names lives on disk under its own
 * locks. */
#pragma once
#include <stdbool.h>
#include "base/error.h"
#include "engine/config.h"

struct engine {
    char *root;        /* state root: images, containers, volumes (--root) */
    char *runroot;     /* run root: runtime state, monitors' sockets, events (--runroot) */
    char *rtroot;      /* <runroot>/runtime: the OCI runtime's state */
    char *config_path; /* the configuration file read, or NULL for the default */
    struct config config;
    /* helper processes (engine/spawn.h): false, forked only (a single-threaded caller, the
     * CLI); true, forked and exec'd afresh from `berth` (a threaded daemon must set it) */
    bool exec_helpers;
    char *berth; /* the berth binary helpers exec: /proc/self/exe's at engine_new */
};

/* A handle for these roots (absolute paths) and configuration file (NULL: $BERTH_CONFIG,
 * else /etc/berth/berth.json); the configuration is read once, here. */
struct engine *engine_new(const char *root, const char *runroot, const char *config_path,
                          struct berr **err);
void engine_free(struct engine *e);
/* The program name installed beside the binary self (an absolute path): that path if it is
 * executable there, else name alone (looked up on PATH). Caller frees. */
char *engine_helper_path(const char *self, const char *name);
static inline void engine_freep(struct engine **e)
{
    engine_free(*e);
}
#define _cleanup_engine_ __attribute__((cleanup(engine_freep)))

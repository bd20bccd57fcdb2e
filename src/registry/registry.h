/* registry.h - the verbs of berth-registry, the program berth execs for the registry's
 * commands (src/cli/main.c, cli_exec_registry). Each takes the engine handle and its
 * arguments from the verb's own name on (argv[0] is the verb), prints what it prints, and
 * returns the exit code. */
#pragma once
#include "engine/engine.h"

/* `registry serve|gc ...` (src/registry/server.c) */
int registry_cmd_registry(struct engine *e, int argc, char **argv);

/* main.c - berth-registry: `berth-registry --root R --runroot RR [--config F] VERB ARGS...`,
 * exec'd by berth for pull, push, login, logout and registry. It is a program of its own
 * because it links libcurl and libmicrohttpd, which Debian cannot link statically, and berth
 * stays one static binary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/error.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "engine/engine.h"
#include "registry/client.h"
#include "registry/registry.h"

/* VERB -> its function */
static const struct {
    const char *name;
    int (*fn)(struct engine *e, int argc, char **argv);
} verbs[] = {
    {"pull", reg_pull_main},
    {"push", reg_push_main},
    {"login", reg_login_main},
    {"logout", reg_logout_main},
    {"registry", registry_cmd_registry},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: berth-registry --root DIR --runroot DIR [--config FILE] VERB [ARGS...]\n"
               "verbs:");
    for (size_t i = 0; i < sizeof(verbs) / sizeof(*verbs); i++)
        fprintf(f, " %s", verbs[i].name);
    fprintf(f, "\n(berth runs it: see 'berth registry --help')\n");
}

int main(int argc, char **argv)
{
    const char *root = NULL, *runroot = NULL, *config = NULL;
    log_set_program("berth");
    xalloc_setup_jansson();
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        const char **slot = strcmp(a, "--root") == 0      ? &root
                            : strcmp(a, "--runroot") == 0 ? &runroot
                            : strcmp(a, "--config") == 0  ? &config
                                                          : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (!slot) {
            fprintf(stderr, "berth-registry: unknown option %s\n", a);
            return 125;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "berth-registry: %s needs a value\n", a);
            return 125;
        }
        *slot = argv[++i];
    }
    if (i >= argc) {
        usage(stderr);
        return 125;
    }
    if (!root || !runroot || root[0] != '/' || runroot[0] != '/') {
        fprintf(stderr, "berth-registry: give --root and --runroot as absolute paths\n");
        return 125;
    }
    for (size_t k = 0; k < sizeof(verbs) / sizeof(*verbs); k++) {
        if (strcmp(argv[i], verbs[k].name) != 0)
            continue;
        _cleanup_berr_ struct berr *err = NULL;
        struct engine *e = engine_new(root, runroot, config, &err);
        if (!e) {
            fprintf(stderr, "berth: %s\n", err && err->msg ? err->msg : "unknown error");
            return berr_exit_code(err);
        }
        int rc = verbs[k].fn(e, argc - i, argv + i);
        engine_free(e);
        return rc;
    }
    fprintf(stderr, "berth: '%s' is not a berth-registry verb\n", argv[i]);
    return 125;
}

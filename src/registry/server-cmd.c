/* server-cmd.c - `registry serve` and `registry gc`: their flags, then server.c or regstore.c */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/cleanup.h"
#include "base/xalloc.h"
#include "registry/registry.h"
#include "registry/regstore.h"
#include "registry/server.h"

static int fail(struct berr *e)
{
    fprintf(stderr, "berth: registry: %s\n", e && e->msg ? e->msg : "unknown error");
    return berr_exit_code(e);
}

/* --flag VALUE or --flag=VALUE; returns the value and advances *i, or NULL. */
static const char *flag_value(int argc, char **argv, int *i, const char *flag, bool *bad)
{
    const char *a = argv[*i];
    size_t n = strlen(flag);
    if (strncmp(a, flag, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        fprintf(stderr, "berth: registry: %s needs a value\n", flag);
        *bad = true;
        return NULL;
    }
    return argv[++*i];
}

static int cmd_serve(struct engine *e, int argc, char **argv)
{
    struct server_opts o = {.addr = ":5000"};
    _cleanup_free_ char *root = xasprintf("%s/registry", e->root);
    o.root = root;
    for (int i = 1; i < argc; i++) {
        bool bad = false;
        const char *v;
        if (strcmp(argv[i], "--read-only") == 0)
            o.read_only = true;
        else if ((v = flag_value(argc, argv, &i, "--addr", &bad)))
            o.addr = v;
        else if ((v = flag_value(argc, argv, &i, "--root", &bad)))
            o.root = v;
        else if ((v = flag_value(argc, argv, &i, "--tls-cert", &bad)))
            o.tls_cert = v;
        else if ((v = flag_value(argc, argv, &i, "--tls-key", &bad)))
            o.tls_key = v;
        else if ((v = flag_value(argc, argv, &i, "--htpasswd", &bad)))
            o.htpasswd = v;
        else if (bad)
            return 125;
        else if (strcmp(argv[i], "--help") == 0) {
            printf("usage: berth registry serve [--addr HOST:PORT] [--root DIR] [--tls-cert F "
                   "--tls-key F] [--htpasswd F] [--read-only]\n");
            return 0;
        } else {
            fprintf(stderr, "berth: registry serve: unknown argument %s\n", argv[i]);
            return 125;
        }
    }
    _cleanup_berr_ struct berr *err = NULL;
    if (server_run(&o, &err) < 0)
        return fail(err);
    return 0;
}

static int cmd_gc(struct engine *e, int argc, char **argv)
{
    _cleanup_free_ char *root = xasprintf("%s/registry", e->root);
    const char *dir = root;
    bool dry = false;
    for (int i = 1; i < argc; i++) {
        bool bad = false;
        const char *v;
        if (strcmp(argv[i], "--dry-run") == 0 || strcmp(argv[i], "-n") == 0)
            dry = true;
        else if ((v = flag_value(argc, argv, &i, "--root", &bad)))
            dir = v;
        else if (bad)
            return 125;
        else {
            fprintf(stderr, "berth: registry gc: unknown argument %s\n", argv[i]);
            return 125;
        }
    }
    _cleanup_berr_ struct berr *err = NULL;
    struct regstore *s = NULL;
    if (regstore_open(dir, &s, &err) < 0)
        return fail(err);
    size_t n = 0;
    unsigned long long bytes = 0;
    /* sessions idle for a day are abandoned: distribution's purge age is a week, but its
     * sessions are resumable across restarts, which a day covers here as well */
    int r = regstore_gc(s, 24 * 3600, dry, &n, &bytes, &err);
    regstore_free(s);
    if (r < 0)
        return fail(err);
    printf("%s %zu blobs, %llu bytes\n", dry ? "would remove" : "removed", n, bytes);
    return 0;
}

int registry_cmd_registry(struct engine *e, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: berth registry serve [--addr HOST:PORT] [--root DIR] [--tls-cert F "
                   "--tls-key F] [--htpasswd F] [--read-only]\n"
                   "       berth registry gc [--root DIR] [--dry-run]\n");
        return argc < 2 ? 125 : 0;
    }
    if (strcmp(argv[1], "serve") == 0)
        return cmd_serve(e, argc - 1, argv + 1);
    if (strcmp(argv[1], "gc") == 0)
        return cmd_gc(e, argc - 1, argv + 1);
    fprintf(stderr, "berth: registry: '%s' is not a registry command (serve, gc)\n", argv[1]);
    return 125;
}

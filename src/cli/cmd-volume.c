/* cmd-volume.c - berth volume create, ls, inspect, rm, prune */
#include "cli.h"
#include "engine/engine.h"
#include "format.h"
#include "base/cleanup.h"
#include "engine/volumes.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int usage_fail(const char *msg)
{
    fprintf(stderr, "berth: volume %s\n", msg);
    return 125;
}

static bool has_flag(int argc, char **argv, const char *a, const char *b)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], a) || (b && !strcmp(argv[i], b)))
            return true;
    return false;
}

/* volume ls [-q] [--format F]: docker's fields Name, Driver, Scope, Mountpoint, Labels */
static int volume_ls(struct engine *e, int argc, char **argv)
{
    const char *format = NULL;
    bool quiet = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
            quiet = true;
        else if (!strcmp(argv[i], "--format") && i + 1 < argc)
            format = argv[++i];
        else if (!strncmp(argv[i], "--format=", 9))
            format = argv[i] + 9;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return printf("Usage: berth volume ls [-q] [--format json|table|TEMPLATE]\n"), 0;
        else
            return fprintf(stderr, "berth: volume ls: unknown argument %s\n", argv[i]), 125;
    }
    struct berr *err = NULL;
    json_t *header = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Name", "VOLUME NAME", "Driver",
                               "DRIVER", "Scope", "SCOPE", "Mountpoint", "MOUNTPOINT", "Labels",
                               "LABELS", "Links", "LINKS", "Size", "SIZE");
    struct listfmt *f =
        listfmt_new(quiet ? "{{.Name}}" : format, "table {{.Driver}}\t{{.Name}}", header, &err);
    json_decref(header);
    if (!f)
        return cli_fail(err, 125);
    json_t *vs = vol_ls(e, &err);
    if (!vs) {
        listfmt_end(f, NULL);
        return cli_fail(err, 125);
    }
    size_t i;
    json_t *v;
    int rc = 0;
    json_array_foreach(json_object_get(vs, "Volumes"), i, v)
    {
        json_t *row =
            json_pack("{s:O,s:O,s:O,s:O,s:o,s:s,s:s}", "Name", json_object_get(v, "Name"), "Driver",
                      json_object_get(v, "Driver"), "Scope", json_object_get(v, "Scope"),
                      "Mountpoint", json_object_get(v, "Mountpoint"), "Labels",
                      listfmt_labels(json_object_get(v, "Labels")), "Links", "N/A", "Size", "N/A");
        if (rc == 0 && listfmt_add(f, row, NULL, &err) < 0)
            rc = cli_fail(err, 125);
        json_decref(row);
    }
    json_decref(vs);
    listfmt_end(f, rc ? NULL : stdout);
    return rc;
}

int cmd_volume(struct engine *e, int argc, char **argv)
{
    if (argc < 2)
        return usage_fail(": give a command (create, ls, inspect, rm, prune)");
    const char *verb = argv[1];
    argc--;
    argv++;
    if (!strcmp(verb, "inspect"))
        return cmd_inspect(e, "volume", argc, argv);
    if (!strcmp(verb, "ls") || !strcmp(verb, "list"))
        return volume_ls(e, argc, argv);
    /* every option of these verbs is one of these: anything else is refused */
    for (int i = 1; i < argc; i++)
        if (argv[i][0] == '-' && strcmp(argv[i], "-q") && strcmp(argv[i], "--quiet") &&
            strcmp(argv[i], "-f") && strcmp(argv[i], "--force")) {
            fprintf(stderr, "berth: volume %s: unknown option %s\n", verb, argv[i]);
            return 125;
        }
    bool force = has_flag(argc, argv, "-f", "--force");
    struct berr *err = NULL;
    if (!strcmp(verb, "create")) {
        const char *name = NULL;
        for (int i = 1; i < argc; i++)
            if (argv[i][0] != '-')
                name = argv[i];
        json_t *v = vol_create(e, name, &err);
        if (!v)
            return cli_fail(err, 125);
        printf("%s\n", json_string_value(json_object_get(v, "Name")));
        json_decref(v);
        return 0;
    }
    if (!strcmp(verb, "rm") || !strcmp(verb, "remove")) {
        if (argc < 2)
            return usage_fail("rm: give a volume");
        int rc = 0;
        for (int i = 1; i < argc; i++) {
            if (argv[i][0] == '-')
                continue;
            if (vol_destroy(e, argv[i], force, &err) < 0) {
                rc = cli_fail(err, 1);
                err = NULL;
                continue;
            }
            printf("%s\n", argv[i]);
        }
        return rc;
    }
    if (!strcmp(verb, "prune")) {
        if (!force) {
            fprintf(stderr, "berth: volume prune: this removes every unused anonymous volume; "
                            "run it with -f to go ahead\n");
            return 125;
        }
        json_t *out = vol_prune(e, &err);
        if (!out)
            return cli_fail(err, 1);
        printf("Deleted Volumes:\n");
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(out, "VolumesDeleted"), i, v)
            printf("%s\n", json_string_value(v));
        json_decref(out);
        return 0;
    }
    fprintf(stderr, "berth: volume %s: not a volume command (create, ls, inspect, rm, prune)\n",
            verb);
    return 125;
}

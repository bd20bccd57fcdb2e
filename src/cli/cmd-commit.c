/* cmd-commit.c - berth diff and berth commit: a container's changes, shown or made an image */
#include "cli.h"
#include "engine/engine.h"
#include "base/cleanup.h"
#include "base/xalloc.h"
#include "engine/changes.h"
#include "engine/commit.h"
#include "engine/containers.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail_usage(const char *msg)
{
    struct berr *e = NULL;
    berr_set(&e, BERR_INVALID, EINVAL, "%s", msg);
    return cli_fail(e, 125);
}

/* berth diff CONTAINER: docker's "C /etc", "A /new", "D /gone" lines */
int cmd_diff(struct engine *e, int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("Usage: berth diff CONTAINER\n\n"
               "Show the files and directories a container added (A), changed (C) and "
               "deleted (D).\n");
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-')
        return fail_usage("diff: usage: berth diff CONTAINER");
    struct berr *err = NULL;
    _cleanup_(json_decrefp) json_t *changes = NULL;
    if (ctr_changes(e, argv[1], &changes, &err) < 0)
        return cli_fail(err, 125);
    size_t i;
    json_t *c;
    json_array_foreach(changes, i, c)
    {
        printf("%s %s\n", ctr_change_letter((int)json_integer_value(json_object_get(c, "Kind"))),
               json_string_value(json_object_get(c, "Path")));
    }
    return 0;
}

/* "true", "false" and docker's other spellings of a boolean flag's value */
static int parse_bool(const char *s)
{
    if (!strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "t") || !strcmp(s, "TRUE") ||
        !strcmp(s, "True"))
        return 1;
    if (!strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "f") || !strcmp(s, "FALSE") ||
        !strcmp(s, "False"))
        return 0;
    return -1;
}

/* berth commit [-a AUTHOR] [-c CHANGE]... [-m MESSAGE] [-p|--pause=BOOL] CONTAINER [REPO[:TAG]] */
int cmd_commit(struct engine *e, int argc, char **argv)
{
    static const struct option longs[] = {
        {"author", required_argument, NULL, 'a'},  {"change", required_argument, NULL, 'c'},
        {"message", required_argument, NULL, 'm'}, {"pause", optional_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},          {0}};
    struct ctr_commit_opts o = {.pause = true};
    _cleanup_strv_ char **changes = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "a:c:m:p::h", longs, NULL)) != -1) {
        switch (c) {
        case 'a': o.author = optarg; break;
        case 'c': changes = strv_append(changes, optarg); break;
        case 'm': o.message = optarg; break;
        case 'p': {
            /* -p, --pause, --pause=false, -p=false */
            const char *v = optarg ? (optarg[0] == '=' ? optarg + 1 : optarg) : "true";
            int b = parse_bool(v);
            if (b < 0) {
                struct berr *e = NULL;
                berr_set(&e, BERR_INVALID, EINVAL, "commit: --pause %s: not true or false", v);
                return cli_fail(e, 125);
            }
            o.pause = b;
            break;
        }
        case 'h':
            printf("Usage: berth commit [-a AUTHOR] [-c CHANGE]... [-m MESSAGE] [-p=true|false] "
                   "CONTAINER [REPOSITORY[:TAG]]\n\n"
                   "Make an image of a container's changes.\n");
            return 0;
        default: return 125;
        }
    }
    if (optind >= argc || argc - optind > 2)
        return fail_usage("commit: usage: berth commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]");
    o.changes = (const char *const *)changes;
    o.reference = optind + 1 < argc ? argv[optind + 1] : NULL;
    struct berr *err = NULL;
    char image[72];
    if (ctr_commit(e, argv[optind], &o, image, &err) < 0)
        return cli_fail(err, 125);
    printf("%s\n", image);
    return 0;
}

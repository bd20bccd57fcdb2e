/* cmd-image.c - berth import, images, tag, rmi, image inspect, history, save, load, image
 * mount, unmount, prune: flags in, the engine's images.h operations, tables out */
#include "cli.h"
#include "engine/engine.h"
#include "engine/images.h"
#include "engine/system.h"
#include "format.h"
#include "table.h"
#include "base/cleanup.h"
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int fail(struct berr *e)
{
    return cli_fail(e, 125);
}

static int fail_msg(const char *fmt, const char *a)
{
    struct berr *e = NULL;
    berr_set(&e, BERR_INVALID, EINVAL, fmt, a);
    return fail(e);
}

/* The engine's Unix seconds as RFC 3339, what the table's helpers read ("" if unknown). */
static void created_at(json_t *t, char *buf, size_t len)
{
    time_t secs = (time_t)json_integer_value(t);
    struct tm tm;
    buf[0] = 0;
    if (json_is_integer(t) && json_integer_value(t) != IMG_TIME_UNKNOWN && gmtime_r(&secs, &tm))
        strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- import ---- */

static int cmd_import(struct engine *e, int argc, char **argv)
{
    static const struct option longs[] = {{"change", required_argument, NULL, 'c'},
                                          {"message", required_argument, NULL, 'm'},
                                          {"platform", required_argument, NULL, 'p'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    _cleanup_strv_ char **changes = NULL;
    struct img_import_opts o = {0};
    struct berr *err = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "c:m:h", longs, NULL)) != -1) {
        switch (c) {
        case 'c': changes = strv_append(changes, optarg); break;
        case 'm': o.message = optarg; break;
        case 'p':
            if (strcmp(optarg, "linux/amd64") != 0 && strcmp(optarg, "linux") != 0)
                return fail_msg(
                    "import: --platform %s: only the host's platform (linux/amd64) is supported",
                    optarg);
            break;
        case 'h':
            printf(
                "Usage: berth import [-c CHANGE] [-m MESSAGE] FILE|- [REPOSITORY[:TAG]]\n\n"
                "Make a one-layer image from a root filesystem tarball (plain, gzip or zstd).\n");
            return 0;
        default: return 125;
        }
    }
    if (optind >= argc)
        return fail_msg("import: %s",
                        "give a tarball (or - for standard input): see 'berth import --help'");
    o.changes = (const char *const *)changes;
    o.source = argv[optind];
    o.reference = optind + 1 < argc ? argv[optind + 1] : NULL;
    /* "-" is standard input; the engine opens a file itself */
    _cleanup_close_ int in = -1;
    if (!strcmp(o.source, "-") && (in = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0)) < 0) {
        berr_sys(&err, errno, "import -");
        return fail(err);
    }
    char id[72];
    if (img_import(e, in, &o, id, &err) < 0)
        return fail(err);
    printf("%s\n", id);
    return 0;
}

/* ---- images ---- */

/* --filter KEY=VALUE of images (img_check_filter's keys) added to filters */
static int images_filter_add(json_t *filters, const char *arg, struct berr **err)
{
    const char *eq = strchr(arg, '=');
    if (!eq)
        return berr_set(err, BERR_INVALID, EINVAL,
                        "bad format of filter \"%s\" (expected name=value)", arg);
    _cleanup_free_ char *key = strndup(arg, eq - arg);
    if (img_check_filter(key, eq + 1, err) < 0)
        return -1;
    if (!json_object_get(filters, key))
        json_object_set_new(filters, key, json_array());
    json_array_append_new(json_object_get(filters, key), json_string(eq + 1));
    return 0;
}

/* The rows `docker images` shows for an image: one per tag, then one ("<none>" tag) per name
 * of a repository it has no tag in, or one <none>:<none> for a dangling image. Each row is
 * {"Repository", "Tag"}. */
static json_t *image_rows(json_t *summary)
{
    json_t *rows = json_array();
    json_t *tags = json_object_get(summary, "RepoTags");
    size_t i, k;
    json_t *v, *t;
    json_array_foreach(tags, i, v)
    {
        const char *s = json_string_value(v), *colon = strrchr(s, ':');
        json_array_append_new(
            rows, json_pack("{s:s%,s:s}", "Repository", s, (size_t)(colon - s), "Tag", colon + 1));
    }
    json_array_foreach(json_object_get(summary, "RepoDigests"), i, v)
    {
        const char *s = json_string_value(v), *at = strchr(s, '@');
        size_t n = at ? (size_t)(at - s) : strlen(s);
        bool tagged = false;
        json_array_foreach(tags, k, t) tagged |=
            !strncmp(json_string_value(t), s, n) && json_string_value(t)[n] == ':';
        if (!tagged)
            json_array_append_new(rows,
                                  json_pack("{s:s%,s:s}", "Repository", s, n, "Tag", "<none>"));
    }
    if (!json_array_size(rows))
        json_array_append_new(rows,
                              json_pack("{s:s,s:s}", "Repository", "<none>", "Tag", "<none>"));
    return rows;
}

static int cmd_images(struct engine *e, int argc, char **argv)
{
    static const struct option longs[] = {
        {"all", no_argument, NULL, 'a'},          {"quiet", no_argument, NULL, 'q'},
        {"digests", no_argument, NULL, 'd'},      {"no-trunc", no_argument, NULL, 'n'},
        {"format", required_argument, NULL, 'F'}, {"filter", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},         {0}};
    bool quiet = false, digests = false, notrunc = false;
    const char *format = NULL;
    int c;
    struct berr *err = NULL;
    _cleanup_(json_decrefp) json_t *filters = json_object();
    struct img_list_opts lo = {.filters = filters};
    while ((c = getopt_long(argc, argv, "aqhf:", longs, NULL)) != -1) {
        switch (c) {
        case 'a': lo.all = true; break;
        case 'q': quiet = true; break;
        case 'd': digests = true; break;
        case 'n': notrunc = true; break;
        case 'F': format = optarg; break;
        case 'f':
            if (images_filter_add(filters, optarg, &err) < 0)
                return fail(err);
            break;
        case 'h':
            printf("Usage: berth images [-a] [-q] [--digests] [--no-trunc] [-f KEY=VALUE]... "
                   "[--format json|table|TEMPLATE] [REPOSITORY[:TAG]]\n"
                   "Filters: dangling=true|false, reference=PATTERN, label=KEY[=VALUE], "
                   "before=IMAGE, since=IMAGE\n");
            return 0;
        default: return 125;
        }
    }
    /* images REPOSITORY[:TAG]: a reference filter, as docker has it */
    if (optind < argc) {
        _cleanup_free_ char *ref = NULL;
        if (asprintf(&ref, "reference=%s", argv[optind++]) < 0 ||
            images_filter_add(filters, ref, &err) < 0)
            return fail(err);
    }
    if (optind < argc)
        return fail_msg("images: unexpected argument \"%s\"", argv[optind]);
    /* docker's default table, and its columns' names */
    char def[200];
    snprintf(def, sizeof(def),
             "table {{.Repository}}\t{{.Tag}}\t%s{{.ID}}\t"
             "{{if .CreatedSince}}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}",
             digests ? "{{.Digest}}\t" : "");
    _cleanup_free_ char *custom = NULL;
    if (format && digests && !strncmp(format, "table", 5) && !strstr(format, "{{.Digest}}") &&
        asprintf(&custom, "%s\\t{{.Digest}}", format) >= 0)
        format = custom;
    _cleanup_(json_decrefp) json_t *header =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", "IMAGE ID", "Repository",
                  "REPOSITORY", "Tag", "TAG", "Digest", "DIGEST", "CreatedSince", "CREATED",
                  "CreatedAt", "CREATED AT", "Size", "SIZE", "Containers", "CONTAINERS",
                  "SharedSize", "SHARED SIZE", "UniqueSize", "UNIQUE SIZE");
    _cleanup_listfmt_ struct listfmt *lf = listfmt_new(format, def, header, &err);
    if (!lf)
        return fail(err);
    _cleanup_(json_decrefp) json_t *images = img_list(e, &lo, &err);
    if (!images)
        return cli_fail(err, err->kind == BERR_INTERNAL ? 125 : 1);
    size_t i;
    json_t *im;
    json_array_foreach(images, i, im)
    {
        const char *id = json_string_value(json_object_get(im, "Id"));
        if (quiet) {
            printf("%.*s\n", notrunc ? 71 : 12, notrunc ? id : id + 7);
            continue;
        }
        /* docker's fields of an image row */
        char created[64], since_s[64], at[64], size[32], idbuf[80];
        created_at(json_object_get(im, "Created"), created, sizeof(created));
        table_since(created, since_s, sizeof(since_s));
        table_go_time(created, at, sizeof(at));
        table_size(json_integer_value(json_object_get(im, "Size")), size, sizeof(size));
        snprintf(idbuf, sizeof(idbuf), "%.*s", notrunc ? 71 : 12, notrunc ? id : id + 7);
        _cleanup_(json_decrefp) json_t *rows = image_rows(im);
        size_t k;
        json_t *row;
        json_array_foreach(rows, k, row)
        {
            json_t *o = json_pack("{s:s,s:s,s:s,s:O,s:s,s:O,s:O,s:s,s:s,s:s,s:s}", "Containers",
                                  "N/A", "CreatedAt", at, "CreatedSince", since_s, "Digest",
                                  json_object_get(json_object_get(im, "Descriptor"), "digest"),
                                  "ID", idbuf, "Repository", json_object_get(row, "Repository"),
                                  "Tag", json_object_get(row, "Tag"), "Size", size, "VirtualSize",
                                  size, "SharedSize", "N/A", "UniqueSize", "N/A");
            int r = listfmt_add(lf, o, NULL, &err);
            json_decref(o);
            if (r < 0)
                return fail(err);
        }
    }
    listfmt_end(TAKE_PTR(lf), quiet ? NULL : stdout);
    return 0;
}

/* ---- tag, rmi ---- */

static int cmd_tag(struct engine *e, int argc, char **argv)
{
    if (argc != 3)
        return fail_msg("tag: %s", "usage: berth tag SOURCE_IMAGE TARGET_IMAGE[:TAG]");
    struct berr *err = NULL;
    if (img_tag(e, argv[1], argv[2], &err) < 0)
        return fail(err);
    return 0;
}

/* docker's ImageDeleteResponseItems as lines: "Untagged: NAME", "Deleted: ID" (prune writes
 * them in lowercase) */
static void print_deleted(json_t *out, bool lower)
{
    size_t i;
    json_t *v;
    json_array_foreach(out, i, v)
    {
        const char *u = json_string_value(json_object_get(v, "Untagged"));
        printf("%s: %s\n", u ? (lower ? "untagged" : "Untagged") : (lower ? "deleted" : "Deleted"),
               u ? u : json_string_value(json_object_get(v, "Deleted")));
    }
}

static int cmd_rmi(struct engine *e, int argc, char **argv)
{
    static const struct option longs[] = {{"force", no_argument, NULL, 'f'},
                                          {"no-prune", no_argument, NULL, 'n'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    struct img_remove_opts o = {0};
    int c;
    while ((c = getopt_long(argc, argv, "fh", longs, NULL)) != -1) {
        if (c == 'f')
            o.force = true;
        else if (c == 'n')
            return fail_msg("rmi: %s", "--no-prune is not supported");
        else if (c == 'h') {
            printf("Usage: berth rmi [-f] IMAGE...\n");
            return 0;
        } else
            return 125;
    }
    if (optind >= argc)
        return fail_msg("rmi: %s", "give at least one image");
    int rc = 0;
    for (int i = optind; i < argc; i++) {
        struct berr *err = NULL;
        json_t *out = json_array();
        int r = img_remove(e, argv[i], &o, out, &err);
        print_deleted(out, false);
        json_decref(out);
        if (r < 0)
            rc = cli_fail(err, 1);
    }
    return rc;
}

/* ---- history ---- */

static int cmd_history(struct engine *e, int argc, char **argv)
{
    bool notrunc = argc > 2 && !strcmp(argv[1], "--no-trunc");
    if (argc < 2 || (notrunc && argc < 3))
        return fail_msg("history: %s", "usage: berth history [--no-trunc] IMAGE");
    struct berr *err = NULL;
    _cleanup_(json_decrefp) json_t *h = img_history(e, argv[notrunc ? 2 : 1], &err);
    if (!h)
        return fail(err);
    struct table *t = table_new(5);
    size_t i;
    json_t *v;
    json_array_foreach(h, i, v)
    {
        char created[64], since[64], size[32];
        created_at(json_object_get(v, "Created"), created, sizeof(created));
        table_since(created, since, sizeof(since));
        table_size(json_integer_value(json_object_get(v, "Size")), size, sizeof(size));
        const char *id = json_string_value(json_object_get(v, "Id"));
        const char *by = json_string_value(json_object_get(v, "CreatedBy"));
        char idbuf[16], bybuf[4200];
        snprintf(idbuf, sizeof(idbuf), "%.12s", strncmp(id, "sha256:", 7) ? id : id + 7);
        if (!notrunc && strlen(by) > 45)
            snprintf(bybuf, sizeof(bybuf), "%.44s…", by);
        else
            snprintf(bybuf, sizeof(bybuf), "%s", by);
        table_add(t, (const char *[]){idbuf, since, bybuf, size,
                                      json_string_value(json_object_get(v, "Comment"))});
    }
    table_print(t, stdout, (const char *[]){"IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"});
    return 0;
}

/* ---- save, load ---- */

static int cmd_save(struct engine *e, int argc, char **argv)
{
    static const struct option longs[] = {{"output", required_argument, NULL, 'o'},
                                          {"format", required_argument, NULL, 'f'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    const char *out = NULL, *format = "docker-archive";
    int c;
    while ((c = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
        if (c == 'o')
            out = optarg;
        else if (c == 'f')
            format = optarg;
        else if (c == 'h') {
            printf("Usage: berth save [-o FILE] [--format docker-archive|oci-archive] IMAGE...\n");
            return 0;
        } else
            return 125;
    }
    struct berr *err = NULL;
    struct img_save_opts o = {.path = out};
    if (img_archive_format(format, &o.format, &err) < 0)
        return fail(err);
    if (optind >= argc)
        return fail_msg("save: %s", "give at least one image");
    if (!out && isatty(STDOUT_FILENO))
        return fail_msg("save: %s",
                        "refusing to write an archive to a terminal: use -o FILE or redirect");
    if (img_save(e, (const char *const *)argv + optind, argc - optind, &o, STDOUT_FILENO, &err) < 0)
        return fail(err);
    return 0;
}

static int cmd_load(struct engine *e, int argc, char **argv)
{
    static const struct option longs[] = {{"input", required_argument, NULL, 'i'},
                                          {"quiet", no_argument, NULL, 'q'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    const char *in = NULL;
    bool quiet = false;
    int c;
    while ((c = getopt_long(argc, argv, "i:qh", longs, NULL)) != -1) {
        if (c == 'i')
            in = optarg;
        else if (c == 'q')
            quiet = true;
        else if (c == 'h') {
            printf("Usage: berth load [-i FILE] [-q]\n\nLoads images from a docker save or OCI "
                   "archive (plain, gzip or zstd), from FILE or standard input.\n");
            return 0;
        } else
            return 125;
    }
    if (!in && isatty(STDIN_FILENO))
        return fail_msg("load: %s", "requested load from stdin, but stdin is empty: use -i FILE");
    struct berr *err = NULL;
    _cleanup_close_ int fd =
        in ? open(in, O_RDONLY | O_CLOEXEC) : fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        berr_sys(&err, errno, "load %s", in ? in : "-");
        return fail(err);
    }
    _cleanup_(json_decrefp) json_t *loaded = img_load(e, fd, &err);
    if (!loaded) {
        berr_prefix(&err, "load %s", in ? in : "-");
        return fail(err);
    }
    size_t i;
    json_t *v;
    json_array_foreach(loaded, i, v)
    {
        json_t *tags = json_object_get(v, "RepoTags");
        if (quiet)
            continue;
        if (!json_array_size(tags))
            printf("Loaded image ID: %s\n", json_string_value(json_object_get(v, "id")));
        size_t k;
        json_t *t;
        json_array_foreach(tags, k, t) printf("Loaded image: %s\n", json_string_value(t));
    }
    return 0;
}

/* ---- mount, unmount, prune ---- */

static int cmd_mount(struct engine *e, int argc, char **argv, bool mount_it)
{
    if (argc < 2)
        return fail_msg("image %s: give an image", mount_it ? "mount" : "unmount");
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        struct berr *err = NULL;
        if (mount_it) {
            _cleanup_free_ char *path = img_mount(e, argv[i], &err);
            if (!path) {
                rc = fail(err);
                continue;
            }
            printf("%s\n", path);
        } else {
            char id[72];
            if (img_unmount(e, argv[i], id, &err) < 0) {
                rc = fail(err);
                continue;
            }
            printf("%s\n", id);
        }
    }
    return rc;
}

static int cmd_prune(struct engine *e, int argc, char **argv)
{
    static const struct option longs[] = {{"all", no_argument, NULL, 'a'},
                                          {"force", no_argument, NULL, 'f'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    bool all = false, force = false;
    int c;
    while ((c = getopt_long(argc, argv, "afh", longs, NULL)) != -1) {
        if (c == 'a')
            all = true;
        else if (c == 'f')
            force = true;
        else if (c == 'h') {
            printf("Usage: berth image prune [-a] [-f]\n\nRemoves dangling (untagged) images; "
                   "with -a, every image no container uses.\n");
            return 0;
        } else
            return 125;
    }
    if (!force) {
        printf("WARNING! This will remove all %s.\nAre you sure you want to continue? [y/N] ",
               all ? "images without at least one container associated to them"
                   : "dangling images");
        fflush(stdout);
        char answer[16] = "";
        if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y')) {
            printf("\nTotal reclaimed space: 0B\n");
            return 0;
        }
    }
    struct berr *err = NULL;
    struct sys_prune_opts o = {.all = all};
    json_t *out = json_array();
    json_int_t reclaimed = 0;
    int r = sys_image_prune(e, &o, out, &reclaimed, &err);
    bool header = json_array_size(out) > 0;
    if (header)
        printf("Deleted Images:\n");
    print_deleted(out, true);
    json_decref(out);
    if (r < 0)
        return fail(err);
    char size[32];
    table_size(reclaimed, size, sizeof(size));
    printf("%sTotal reclaimed space: %s\n", header ? "\n" : "", size);
    return 0;
}

int cmd_image(struct engine *e, const char *verb, int argc, char **argv)
{
    if (!strcmp(verb, "mount"))
        return cmd_mount(e, argc, argv, true);
    if (!strcmp(verb, "unmount") || !strcmp(verb, "umount"))
        return cmd_mount(e, argc, argv, false);
    if (!strcmp(verb, "prune"))
        return optind = 1, cmd_prune(e, argc, argv);
    if (!strcmp(verb, "save"))
        return optind = 1, cmd_save(e, argc, argv);
    if (!strcmp(verb, "load"))
        return optind = 1, cmd_load(e, argc, argv);
    optind = 1;
    if (!strcmp(verb, "import"))
        return cmd_import(e, argc, argv);
    if (!strcmp(verb, "images") || !strcmp(verb, "ls") || !strcmp(verb, "list"))
        return cmd_images(e, argc, argv);
    if (!strcmp(verb, "tag"))
        return cmd_tag(e, argc, argv);
    if (!strcmp(verb, "rmi") || !strcmp(verb, "rm") || !strcmp(verb, "remove"))
        return cmd_rmi(e, argc, argv);
    if (!strcmp(verb, "inspect"))
        return cmd_inspect(e, "image", argc, argv);
    if (!strcmp(verb, "history"))
        return cmd_history(e, argc, argv);
    fprintf(stderr, "berth: '%s' is not an image command: see 'berth --help'\n", verb);
    return 125;
}

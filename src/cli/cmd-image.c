/* cmd-image.c - berth import, images, tag, rmi, image inspect, history */
#include "cli.h"
#include "engine/engine.h"
#include "engine/system.h"
#include "format.h"
#include "table.h"
#include "base/cleanup.h"
#include "base/digest.h"
#include "base/fs.h"
#include "base/log.h"
#include "image/reference.h"
#include "image/store.h"
#include "runtime/state.h"
#include "image/archive.h"
#include "image/change.h"
#include "image/overlay.h"
#include <sys/mount.h>
#include <ctype.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int fail(struct berr *e)
{
    return cli_fail(e, 125);
}

static bool image_mounted(struct store *st, const char *id);

/* The short ID of a container that uses image id (<root>/containers/<cid>/image), or NULL. */
static char *image_user(const char *root, const char *id)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/containers", root);
    _cleanup_closedir_ DIR *d = opendir(path);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char f[4600];
        snprintf(f, sizeof(f), "%s/%s/image", path, de->d_name);
        _cleanup_free_ char *text = NULL;
        _cleanup_berr_ struct berr *e = NULL;
        if (fs_read_file(f, &text, NULL, &e) == 0 && strcmp(text, id) == 0)
            return strndup(de->d_name, 12);
    }
    return NULL;
}

static int fail_msg(const char *fmt, const char *a)
{
    struct berr *e = NULL;
    berr_set(&e, BERR_INVALID, EINVAL, fmt, a);
    return fail(e);
}

/* ---- import ---- */

static const char *layer_media_type(const unsigned char *head, size_t n)
{
    if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b)
        return "application/vnd.oci.image.layer.v1.tar+gzip";
    if (n >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd)
        return "application/vnd.oci.image.layer.v1.tar+zstd";
    return "application/vnd.oci.image.layer.v1.tar";
}

static int cmd_import(struct engine *e, int argc, char **argv)
{
    const char *root = e->root;
    static const struct option longs[] = {{"change", required_argument, NULL, 'c'},
                                          {"message", required_argument, NULL, 'm'},
                                          {"platform", required_argument, NULL, 'p'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    _cleanup_(json_decrefp) json_t *cfg = json_object();
    const char *message = NULL;
    struct berr *err = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "+c:m:h", longs, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (image_config_change(cfg, optarg, &err) < 0)
                return fail(err);
            break;
        case 'm': message = optarg; break;
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
    const char *src = argv[optind];
    const char *name = optind + 1 < argc ? argv[optind + 1] : NULL;
    if (strstr(src, "://"))
        return fail_msg(
            "import %s: importing from a URL is not supported: download it and import the file",
            src);
    if (name) {
        struct ref *r = ref_parse(name, &err);
        if (!r)
            return fail(err);
        ref_free(r);
    }
    _cleanup_store_ struct store *st = store_open(root, &err);
    if (!st)
        return fail(err);
    /* One writer at a time: a concurrent rmi's garbage collection must never see the blob
     * or layer of this import before the image that uses them is recorded. */
    if (store_lock(st, &err) < 0)
        return fail(err);

    /* the tarball becomes the layer blob as it is, hashed while it is copied in */
    _cleanup_close_ int in = strcmp(src, "-") == 0 ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0)
                                                   : open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        berr_sys(&err, errno, "import %s", src);
        return fail(err);
    }
    _cleanup_free_ char *tmp = NULL;
    if (store_mktemp(st, false, &tmp, &err) < 0)
        return fail(err);
    _cleanup_close_ int out = openat(st->dirfd, tmp, O_WRONLY | O_TRUNC | O_CLOEXEC);
    struct digest h;
    digest_init(&h);
    unsigned char head[8] = {0};
    size_t headn = 0;
    uint64_t total = 0;
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0) {
                berr_sys(&err, errno, "import %s: read", src);
                unlinkat(st->dirfd, tmp, 0);
                return fail(err);
            }
            break;
        }
        if (headn < sizeof(head)) {
            size_t t = (size_t)n < sizeof(head) - headn ? (size_t)n : sizeof(head) - headn;
            memcpy(head + headn, buf, t);
            headn += t;
        }
        digest_update(&h, buf, n);
        if (write(out, buf, n) != n) {
            berr_sys(&err, errno, "import %s: write", src);
            unlinkat(st->dirfd, tmp, 0);
            return fail(err);
        }
        total += n;
    }
    if (total == 0) {
        unlinkat(st->dirfd, tmp, 0);
        return fail_msg("import %s: the tarball is empty", src);
    }
    uint8_t d[32];
    char hex[65], blob[72];
    digest_final(&h, d);
    sha256_hex(d, hex);
    snprintf(blob, sizeof(blob), "sha256:%s", hex);
    if (store_adopt_blob(st, tmp, blob, &err) < 0)
        return fail(err);

    /* unpack it now: a tarball that is not a valid layer is refused before any image exists */
    char chain[72], diff_id[72];
    uint64_t size = 0;
    if (store_add_layer(st, NULL, blob, chain, diff_id, &size, &err) < 0) {
        _cleanup_berr_ struct berr *e = NULL;
        store_gc(st, &e);
        berr_prefix(&err, "import %s", src);
        return fail(err);
    }

    char created[64];
    rt_now_rfc3339(created, sizeof(created));
    _cleanup_free_ char *by = NULL;
    if (asprintf(&by, "berth import %s", src) < 0) {
        berr_sys(&err, ENOMEM, "import %s", src);
        return fail(err);
    }
    json_t *history = json_pack("[{s:s,s:s}]", "created", created, "created_by", by);
    if (message)
        json_object_set_new(json_array_get(history, 0), "comment", json_string(message));
    if (!json_object_get(cfg, "Env"))
        json_object_set_new(
            cfg, "Env",
            json_pack("[s]", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
    json_t *config = json_pack("{s:s,s:s,s:s,s:O,s:{s:s,s:[s]},s:o}", "architecture", "amd64", "os",
                               "linux", "created", created, "config", cfg, "rootfs", "type",
                               "layers", "diff_ids", diff_id, "history", history);
    _cleanup_free_ char *ctext = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(config);
    char cdigest[72], mdigest[72], id[72];
    if (store_put_blob(st, ctext, strlen(ctext), cdigest, &err) < 0)
        return fail(err);
    struct stat sb;
    _cleanup_close_ int bfd = store_open_blob(st, blob, &err);
    if (bfd < 0 || fstat(bfd, &sb) < 0)
        return fail(err);
    json_t *manifest =
        json_pack("{s:i,s:s,s:{s:s,s:s,s:I},s:[{s:s,s:s,s:I}]}", "schemaVersion", 2, "mediaType",
                  "application/vnd.oci.image.manifest.v1+json", "config", "mediaType",
                  "application/vnd.oci.image.config.v1+json", "digest", cdigest, "size",
                  (json_int_t)strlen(ctext), "layers", "mediaType", layer_media_type(head, headn),
                  "digest", blob, "size", (json_int_t)sb.st_size);
    _cleanup_free_ char *mtext = json_dumps(manifest, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(manifest);
    if (store_put_blob(st, mtext, strlen(mtext), mdigest, &err) < 0 ||
        store_add_image(st, mdigest, id, &err) < 0)
        return fail(err);
    if (name && store_tag(st, id, name, &err) < 0)
        return fail(err);
    cli_event("image", "import", id, json_pack("{s:s}", "name", name ? name : id));
    printf("%s\n", id);
    return 0;
}

/* ---- images ---- */

/* --filter of images: dangling, reference (a pattern of repository[:tag]), label, before,
 * since; a row is one name (or <none>) of an image */
static int images_filter_add(json_t *filters, const char *arg, struct berr **err)
{
    static const char *keys[] = {"dangling", "reference", "label", "before", "since"};
    const char *eq = strchr(arg, '=');
    if (!eq)
        return berr_set(err, BERR_INVALID, EINVAL,
                        "bad format of filter \"%s\" (expected name=value)", arg);
    _cleanup_free_ char *key = strndup(arg, eq - arg);
    size_t k = 0;
    while (k < ARRAY_SIZE(keys) && strcmp(keys[k], key))
        k++;
    if (k == ARRAY_SIZE(keys))
        return berr_set(err, BERR_INVALID, EINVAL, "invalid filter '%s'", key);
    if (!strcmp(key, "dangling") && strcmp(eq + 1, "true") && strcmp(eq + 1, "false") &&
        strcmp(eq + 1, "1") && strcmp(eq + 1, "0"))
        return berr_set(err, BERR_INVALID, EINVAL, "invalid filter '%s'", arg);
    if (!json_object_get(filters, key))
        json_object_set_new(filters, key, json_array());
    json_array_append_new(json_object_get(filters, key), json_string(eq + 1));
    return 0;
}

/* before=, since=: the created time of the image named */
static int images_when(struct store *st, json_t *filters, const char *key, char **ret,
                       struct berr **err)
{
    json_t *v = json_array_get(json_object_get(filters, key), 0);
    if (!v)
        return 0;
    struct image *im = store_find_image(st, json_string_value(v), err);
    if (!im)
        return -1;
    *ret = strdup(json_string_value(json_object_get(im->config, "created")) ?: "");
    image_free(im);
    return 0;
}

static bool images_match(json_t *f, json_t *row, json_t *labels, const char *before,
                         const char *since)
{
    const char *repo = json_string_value(json_object_get(row, "Repository"));
    const char *tag = json_string_value(json_object_get(row, "Tag"));
    const char *created = json_string_value(json_object_get(row, "CreatedAt"));
    bool dangling = !strcmp(repo, "<none>");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(f, "dangling"), i, v)
    {
        const char *s = json_string_value(v);
        if (dangling != (!strcmp(s, "true") || !strcmp(s, "1")))
            return false;
    }
    /* reference: a shell pattern ('*' stops at '/') of the name, with or without its tag */
    json_t *refs = json_object_get(f, "reference");
    bool any = !refs;
    char full[600];
    snprintf(full, sizeof(full), "%s:%s", repo, tag);
    json_array_foreach(refs, i, v)
    {
        const char *pat = json_string_value(v);
        any |= !dangling &&
               (fnmatch(pat, repo, FNM_PATHNAME) == 0 || fnmatch(pat, full, FNM_PATHNAME) == 0);
    }
    if (!any)
        return false;
    if (!listfmt_labels_match(json_object_get(f, "label"), labels))
        return false;
    return (!before || strcmp(created, before) < 0) && (!since || strcmp(created, since) > 0);
}

static int cmd_images(struct engine *e, int argc, char **argv)
{
    const char *root = e->root;
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
    while ((c = getopt_long(argc, argv, "aqhf:", longs, NULL)) != -1) {
        switch (c) {
        case 'a': break; /* no intermediate images exist without builds: -a shows the same */
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
    _cleanup_store_ struct store *st = store_open(root, &err);
    if (!st)
        return fail(err);
    _cleanup_free_ char *before = NULL, *since = NULL;
    if (images_when(st, filters, "before", &before, &err) < 0 ||
        images_when(st, filters, "since", &since, &err) < 0)
        return cli_fail(err, 1);
    json_t *ids = store_image_ids(st);
    json_t *names = store_names(st);
    json_t *rows = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        const char *id = json_string_value(v);
        struct berr *e = NULL;
        struct image *im = store_get_image(st, id, &e);
        berr_free(e);
        if (!im)
            continue;
        const char *created = json_string_value(json_object_get(im->config, "created"));
        json_t *labels = json_object_get(json_object_get(im->config, "config"), "Labels");
        bool any = false;
        const char *k;
        json_t *nv;
        json_object_foreach(names, k, nv)
        {
            if (strcmp(json_string_value(nv), id) != 0)
                continue;
            _cleanup_berr_ struct berr *e = NULL;
            struct ref *r = ref_parse(k, &e);
            if (!r)
                continue;
            _cleanup_free_ char *repo = ref_familiar(r);
            json_t *row =
                json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "Repository", repo, "Tag",
                          r->tag ? r->tag : "<none>", "ID", id, "Digest", im->manifest, "CreatedAt",
                          created ? created : "", "Size", (json_int_t)im->size);
            ref_free(r);
            any = true;
            if (images_match(filters, row, labels, before, since))
                json_array_append(rows, row);
            json_decref(row);
        }
        json_t *row = any ? NULL
                          : json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "Repository", "<none>", "Tag",
                                      "<none>", "ID", id, "Digest", im->manifest, "CreatedAt",
                                      created ? created : "", "Size", (json_int_t)im->size);
        if (row && images_match(filters, row, labels, before, since))
            json_array_append(rows, row);
        json_decref(row);
        image_free(im);
    }
    json_decref(ids);
    json_decref(names);
    /* newest first, as docker lists them */
    size_t n = json_array_size(rows);
    for (size_t a = 1; a < n; a++)
        for (size_t b = a; b > 0; b--) {
            const char *x =
                json_string_value(json_object_get(json_array_get(rows, b - 1), "CreatedAt"));
            const char *y =
                json_string_value(json_object_get(json_array_get(rows, b), "CreatedAt"));
            if (strcmp(x, y) >= 0)
                break;
            json_t *tmp = json_incref(json_array_get(rows, b));
            json_array_set(rows, b, json_array_get(rows, b - 1));
            json_array_set_new(rows, b - 1, tmp);
        }
    json_t *row, *seen = json_object();
    json_array_foreach(rows, i, row)
    {
        const char *id = json_string_value(json_object_get(row, "ID"));
        if (quiet) {
            /* each image once */
            if (!json_object_get(seen, id))
                printf("%.*s\n", notrunc ? 71 : 12, notrunc ? id : id + 7);
            json_object_set_new(seen, id, json_true());
            continue;
        }
        /* docker's fields of an image row */
        char since_s[64], at[64], size[32], idbuf[80];
        const char *created = json_string_value(json_object_get(row, "CreatedAt"));
        table_since(created, since_s, sizeof(since_s));
        table_go_time(created, at, sizeof(at));
        table_size(json_integer_value(json_object_get(row, "Size")), size, sizeof(size));
        snprintf(idbuf, sizeof(idbuf), "%.*s", notrunc ? 71 : 12, notrunc ? id : id + 7);
        json_t *o =
            json_pack("{s:s,s:s,s:s,s:s,s:s,s:O,s:O,s:s,s:s,s:s,s:s}", "Containers", "N/A",
                      "CreatedAt", at, "CreatedSince", since_s, "Digest",
                      json_string_value(json_object_get(row, "Digest")), "ID", idbuf, "Repository",
                      json_object_get(row, "Repository"), "Tag", json_object_get(row, "Tag"),
                      "Size", size, "VirtualSize", size, "SharedSize", "N/A", "UniqueSize", "N/A");
        int r = listfmt_add(lf, o, NULL, &err);
        json_decref(o);
        if (r < 0) {
            json_decref(seen);
            json_decref(rows);
            return fail(err);
        }
    }
    json_decref(seen);
    json_decref(rows);
    listfmt_end(TAKE_PTR(lf), quiet ? NULL : stdout);
    return 0;
}

/* ---- tag, rmi ---- */

static int cmd_tag(struct engine *e, int argc, char **argv)
{
    const char *root = e->root;
    if (argc != 3)
        return fail_msg("tag: %s", "usage: berth tag SOURCE_IMAGE TARGET_IMAGE[:TAG]");
    struct berr *err = NULL;
    _cleanup_store_ struct store *st = store_open(root, &err);
    if (!st)
        return fail(err);
    _cleanup_image_ struct image *im = store_find_image(st, argv[1], &err);
    if (!im || store_tag(st, im->id, argv[2], &err) < 0)
        return fail(err);
    cli_event("image", "tag", im->id, json_pack("{s:s}", "name", argv[2]));
    return 0;
}

static int cmd_rmi(struct engine *e, int argc, char **argv)
{
    const char *root = e->root;
    static const struct option longs[] = {{"force", no_argument, NULL, 'f'},
                                          {"no-prune", no_argument, NULL, 'n'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    bool force = false;
    int c;
    while ((c = getopt_long(argc, argv, "fh", longs, NULL)) != -1) {
        if (c == 'f')
            force = true;
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
    struct berr *err = NULL;
    _cleanup_store_ struct store *st = store_open(root, &err);
    if (!st || store_lock(st, &err) < 0)
        return fail(err);
    int rc = 0;
    for (int i = optind; i < argc; i++) {
        const char *what = argv[i];
        struct image *im = store_find_image(st, what, &err);
        if (!im) {
            rc = cli_fail(err, 1);
            err = NULL;
            continue;
        }
        json_t *names = store_image_names(st, im->id);
        /* given by name: that name goes, and the image only with its last name */
        _cleanup_berr_ struct berr *e = NULL;
        struct ref *r = ref_parse(what, &e);
        _cleanup_free_ char *full = r ? ref_string(r) : NULL;
        ref_free(r);
        bool by_name = false;
        size_t k;
        json_t *nv;
        json_array_foreach(names, k, nv) if (full && !strcmp(json_string_value(nv), full)) by_name =
            true;
        /* a mounted image, or one a container uses, cannot go: refuse before any of its
         * names is removed */
        bool deleting = !(by_name && json_array_size(names) > 1);
        _cleanup_free_ char *user = deleting ? image_user(root, im->id) : NULL;
        if (user && force) {
            /* -f: its names go; the image itself stays, nameless, while a container needs it
             * (image prune removes it once none does) */
            json_array_foreach(names, k, nv)
            {
                const char *n = json_string_value(nv);
                _cleanup_berr_ struct berr *e = NULL;
                store_untag(st, n, &e);
                cli_event("image", "untag", im->id, json_pack("{s:s}", "name", im->id));
                struct ref *fr = ref_parse(n, &e);
                _cleanup_free_ char *fam = fr ? ref_familiar(fr) : NULL;
                printf("Untagged: %s:%s\n", fam ? fam : n, fr && fr->tag ? fr->tag : "");
                ref_free(fr);
            }
            json_decref(names);
            image_free(im);
            continue;
        }
        if (user) {
            berr_set(&err, BERR_CONFLICT, EBUSY,
                     "conflict: unable to remove image %s - container %s is using it", what, user);
            rc = cli_fail(err, 1);
            err = NULL;
            json_decref(names);
            image_free(im);
            continue;
        }
        if (deleting && image_mounted(st, im->id)) {
            berr_set(&err, BERR_CONFLICT, EBUSY,
                     "image %.12s is mounted: 'berth image unmount' it first", im->id + 7);
            rc = cli_fail(err, 1);
            err = NULL;
            json_decref(names);
            image_free(im);
            continue;
        }
        if (by_name) {
            _cleanup_berr_ struct berr *e = NULL;
            store_untag(st, full, &e);
            cli_event("image", "untag", im->id, json_pack("{s:s}", "name", im->id));
            struct ref *fr = ref_parse(full, &e);
            _cleanup_free_ char *fam = fr ? ref_familiar(fr) : NULL;
            printf("Untagged: %s:%s\n", fam ? fam : full, fr && fr->tag ? fr->tag : "");
            ref_free(fr);
            if (json_array_size(names) > 1) {
                json_decref(names);
                image_free(im);
                continue;
            }
        } else if (json_array_size(names) > 1 && !force) {
            berr_set(&err, BERR_CONFLICT, EBUSY,
                     "conflict: unable to delete %.12s (must be forced) - image is referenced in "
                     "multiple repositories",
                     im->id + 7);
            rc = cli_fail(err, 1);
            err = NULL;
            json_decref(names);
            image_free(im);
            continue;
        } else {
            json_array_foreach(names, k, nv)
            {
                _cleanup_berr_ struct berr *e = NULL;
                store_untag(st, json_string_value(nv), &e);
                cli_event("image", "untag", im->id, json_pack("{s:s}", "name", im->id));
                struct ref *fr = ref_parse(json_string_value(nv), &e);
                _cleanup_free_ char *fam = fr ? ref_familiar(fr) : NULL;
                printf("Untagged: %s:%s\n", fam ? fam : "", fr && fr->tag ? fr->tag : "");
                ref_free(fr);
            }
        }
        json_decref(names);
        if (store_remove_image(st, im->id, &err) < 0) {
            rc = cli_fail(err, 1);
            err = NULL;
        } else {
            cli_event("image", "delete", im->id, json_pack("{s:s}", "name", im->id));
            printf("Deleted: %s\n", im->id);
        }
        image_free(im);
    }
    return rc;
}

/* ---- inspect, history ---- */

static json_t *inspect_one(struct store *st, struct image *im)
{
    json_t *tags = json_array(), *digests = json_array();
    json_t *names = store_image_names(st, im->id);
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v)
    {
        _cleanup_berr_ struct berr *e = NULL;
        struct ref *r = ref_parse(json_string_value(v), &e);
        if (!r)
            continue;
        _cleanup_free_ char *fam = ref_familiar(r);
        json_array_append_new(tags, json_sprintf("%s:%s", fam, r->tag ? r->tag : "latest"));
        json_array_append_new(digests, json_sprintf("%s@%s", fam, im->manifest));
        ref_free(r);
    }
    json_decref(names);
    json_t *c = im->config;
    json_t *layers = json_array();
    json_array_foreach(json_object_get(json_object_get(c, "rootfs"), "diff_ids"), i, v)
        json_array_append(layers, v);
    json_t *o =
        json_pack("{s:s,s:o,s:o,s:s,s:s,s:s,s:s,s:s,s:I,s:o,s:{s:s,s:o},s:{s:s}}", "Id", im->id,
                  "RepoTags", tags, "RepoDigests", digests, "Comment",
                  json_string_value(json_object_get(c, "comment")) ?: "", "Created",
                  json_string_value(json_object_get(c, "created")) ?: "", "Author",
                  json_string_value(json_object_get(c, "author")) ?: "", "Architecture",
                  json_string_value(json_object_get(c, "architecture")) ?: "", "Os",
                  json_string_value(json_object_get(c, "os")) ?: "", "Size", (json_int_t)im->size,
                  "Config", json_incref(json_object_get(c, "config")) ?: json_object(), "RootFS",
                  "Type", "layers", "Layers", layers, "Metadata", "LastTagTime", "");
    return o;
}

json_t *cli_image_inspect(struct engine *e, const char *what, struct berr **err)
{
    const char *root = e->root;
    _cleanup_store_ struct store *st = store_open(root, err);
    struct image *im = st ? store_find_image(st, what, err) : NULL;
    if (!im)
        return NULL;
    json_t *o = inspect_one(st, im);
    image_free(im);
    return o;
}

static int cmd_history(struct engine *e, int argc, char **argv)
{
    const char *root = e->root;
    bool notrunc = argc > 2 && !strcmp(argv[1], "--no-trunc");
    if (argc < 2 || (notrunc && argc < 3))
        return fail_msg("history: %s", "usage: berth history [--no-trunc] IMAGE");
    struct berr *err = NULL;
    _cleanup_store_ struct store *st = store_open(root, &err);
    if (!st)
        return fail(err);
    _cleanup_image_ struct image *im = store_find_image(st, argv[notrunc ? 2 : 1], &err);
    if (!im)
        return fail(err);
    struct table *t = table_new(5);
    json_t *h = json_object_get(im->config, "history");
    /* newest first; the image ID goes on the newest entry, <missing> on the others */
    size_t n = json_array_size(h), layer = 0;
    for (size_t i = 0; i < n; i++)
        layer += !json_is_true(json_object_get(json_array_get(h, i), "empty_layer"));
    for (size_t i = n; i-- > 0;) {
        json_t *e = json_array_get(h, i);
        bool empty = json_is_true(json_object_get(e, "empty_layer"));
        char since[64], size[32] = "0B";
        table_since(json_string_value(json_object_get(e, "created")), since, sizeof(since));
        if (!empty && layer > 0) {
            layer--;
            char lj[4200];
            snprintf(lj, sizeof(lj), "layers/%s/layer.json", im->layers[layer] + 7);
            _cleanup_free_ char *text = NULL;
            _cleanup_berr_ struct berr *e = NULL;
            json_t *meta = fs_read_fileat(st->dirfd, lj, &text, NULL, &e) == 0
                               ? json_loads(text, 0, NULL)
                               : NULL;
            table_size(json_integer_value(json_object_get(meta, "size")), size, sizeof(size));
            json_decref(meta);
        }
        const char *by = json_string_value(json_object_get(e, "created_by")) ?: "";
        char idbuf[16], bybuf[4200];
        snprintf(idbuf, sizeof(idbuf), "%.12s", i == n - 1 ? im->id + 7 : "<missing>");
        if (!notrunc && strlen(by) > 45)
            snprintf(bybuf, sizeof(bybuf), "%.44s…", by);
        else
            snprintf(bybuf, sizeof(bybuf), "%s", by);
        table_add(t, (const char *[]){idbuf, since, bybuf, size,
                                      json_string_value(json_object_get(e, "comment")) ?: ""});
    }
    table_print(t, stdout, (const char *[]){"IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"});
    return 0;
}

/* ---- save, load ---- */

static int cmd_save(struct engine *e, int argc, char **argv)
{
    const char *root = e->root;
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
    enum archive_format fmt;
    if (!strcmp(format, "docker-archive") || !strcmp(format, "docker"))
        fmt = ARCHIVE_DOCKER;
    else if (!strcmp(format, "oci-archive") || !strcmp(format, "oci"))
        fmt = ARCHIVE_OCI;
    else
        return fail_msg("save: --format %s: use docker-archive or oci-archive", format);
    if (optind >= argc)
        return fail_msg("save: %s", "give at least one image");
    if (!out && isatty(STDOUT_FILENO))
        return fail_msg("save: %s",
                        "refusing to write an archive to a terminal: use -o FILE or redirect");
    struct berr *err = NULL;
    _cleanup_store_ struct store *st = store_open(root, &err);
    if (!st)
        return fail(err);
    size_t n = argc - optind;
    struct image **ims = calloc(n, sizeof(*ims));
    char ***names = calloc(n, sizeof(*names));
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        const char *what = argv[optind + i];
        if (!(ims[i] = store_find_image(st, what, &err))) {
            rc = fail(err);
            goto out;
        }
        names[i] = xcalloc(2, sizeof(char *));
        /* saved by name: that name goes with it; by ID: no name, as docker does */
        _cleanup_berr_ struct berr *e = NULL;
        struct ref *r = ref_parse(what, &e);
        json_t *known = store_image_names(st, ims[i]->id);
        _cleanup_free_ char *full = r ? ref_string(r) : NULL;
        size_t k;
        json_t *v;
        json_array_foreach(known, k, v) if (full && !strcmp(json_string_value(v), full))
            names[i][0] = strdup(full);
        json_decref(known);
        ref_free(r);
    }
    /* written next to the target and renamed: an interrupted save leaves no half archive */
    _cleanup_free_ char *tmp = NULL;
    int fd = STDOUT_FILENO;
    if (out) {
        if (asprintf(&tmp, "%s.berth-tmp-%d", out, getpid()) < 0 ||
            (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
            berr_sys(&err, errno, "save: create %s", out);
            rc = fail(err);
            goto out;
        }
    }
    if (archive_save(st, ims, names, n, fmt, fd, &err) < 0) {
        if (out) {
            close(fd);
            unlink(tmp);
        }
        rc = fail(err);
        goto out;
    }
    if (out) {
        if (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, out) < 0) {
            berr_sys(&err, errno, "save: write %s", out);
            unlink(tmp);
            rc = fail(err);
        }
    }
out:
    for (size_t i = 0; i < n; i++) {
        image_free(ims[i]);
        if (names[i])
            free(names[i][0]);
        free(names[i]);
    }
    free(ims);
    free(names);
    return rc;
}

static int cmd_load(struct engine *e, int argc, char **argv)
{
    const char *root = e->root;
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
    _cleanup_store_ struct store *st = store_open(root, &err);
    if (!st)
        return fail(err);
    json_t *loaded = archive_load(st, fd, &err);
    if (!loaded) {
        berr_prefix(&err, "load %s", in ? in : "-");
        return fail(err);
    }
    size_t i;
    json_t *v;
    json_array_foreach(loaded, i, v)
    {
        json_t *names = json_object_get(v, "names");
        cli_event("image", "load", json_string_value(json_object_get(v, "id")),
                  json_pack("{s:O}", "name", json_array_get(names, 0) ?: json_object_get(v, "id")));
        if (quiet)
            continue;
        if (!json_array_size(names))
            printf("Loaded image ID: %s\n", json_string_value(json_object_get(v, "id")));
        size_t k;
        json_t *nm;
        json_array_foreach(names, k, nm)
        {
            _cleanup_free_ char *tagged = ref_familiar_tagged(json_string_value(nm));
            printf("Loaded image: %s\n", tagged ? tagged : "?:latest");
        }
    }
    json_decref(loaded);
    return 0;
}

/* ---- mount, unmount, prune ---- */

static bool image_mounted(struct store *st, const char *id)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "mounts/%s", id + 7);
    return faccessat(st->dirfd, rel, F_OK, 0) == 0;
}

static int cmd_mount(struct engine *e, int argc, char **argv, bool mount_it)
{
    const char *root = e->root;
    if (argc < 2)
        return fail_msg("image %s: give an image", mount_it ? "mount" : "unmount");
    struct berr *err = NULL;
    _cleanup_store_ struct store *st = store_open(root, &err);
    if (!st || store_lock(st, &err) < 0)
        return fail(err);
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        _cleanup_image_ struct image *im = store_find_image(st, argv[i], &err);
        if (!im) {
            rc = cli_fail(err, 125);
            err = NULL;
            continue;
        }
        char path[4200];
        snprintf(path, sizeof(path), "%s/mounts/%s", st->dir, im->id + 7);
        if (mount_it) {
            if (!image_mounted(st, im->id)) {
                if (mkdir(path, 0700) < 0 || overlay_mount(st, im, NULL, NULL, path, &err) < 0) {
                    if (!err)
                        berr_sys(&err, errno, "mkdir %s", path);
                    rmdir(path);
                    rc = cli_fail(err, 125);
                    err = NULL;
                    continue;
                }
            }
            printf("%s\n", path);
        } else {
            if (!image_mounted(st, im->id)) {
                rc = fail_msg("image unmount %s: not mounted", argv[i]);
                continue;
            }
            if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL) {
                berr_sys(&err, errno, "unmount %s", path);
                rc = cli_fail(err, 125);
                err = NULL;
                continue;
            }
            rmdir(path);
            printf("%s\n", im->id);
        }
    }
    return rc;
}

static int cmd_prune(struct engine *e, int argc, char **argv)
{
    const char *root = e->root;
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
    int r = sys_image_prune(root, cli_runroot(), &o, out, &reclaimed, &err);
    bool header = json_array_size(out) > 0;
    if (header)
        printf("Deleted Images:\n");
    size_t i;
    json_t *v;
    json_array_foreach(out, i, v)
    {
        const char *u = json_string_value(json_object_get(v, "Untagged"));
        printf(u ? "untagged: %s\n" : "deleted: %s\n",
               u ? u : json_string_value(json_object_get(v, "Deleted")));
    }
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

/* images.c - the image operations users have, over the image store */
#include "engine/filters.h"
#include "engine/images.h"
#include "engine/spawn.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "base/cleanup.h"
#include "base/digest.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include "image/archive.h"
#include "image/change.h"
#include "image/overlay.h"
#include "image/reference.h"
#include "image/store.h"
#include "runtime/state.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
            return xstrndup(de->d_name, 12);
    }
    return NULL;
}

static bool image_mounted(struct store *st, const char *id)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "mounts/%s", id + 7);
    return faccessat(st->dirfd, rel, F_OK, 0) == 0;
}

/* Opens the store (locked, for a change) and finds image what in it. */
static int open_image(struct engine *e, const char *what, bool lock, struct store **ret_st,
                      struct image **ret_im, struct berr **err)
{
    struct store *st = store_open(e->root, err);
    if (!st)
        return -1;
    struct image *im = NULL;
    if ((lock && store_lock(st, err) < 0) || !(im = store_find_image(st, what, err))) {
        store_close(st);
        return -1;
    }
    *ret_st = st;
    *ret_im = im;
    return 0;
}

/* docker's times are Unix seconds; an image's are RFC 3339 */
static json_int_t unix_time(const char *rfc3339)
{
    struct tm tm = {0};
    if (!rfc3339 || !strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm))
        return IMG_TIME_UNKNOWN;
    return (json_int_t)timegm(&tm);
}

/* RepoTags ("busybox:latest") and RepoDigests ("busybox@<manifest>") of the names given (a
 * JSON array of full names). A name without a tag (only a digest) is in RepoTags with the
 * tag untagged (inspect shows "latest"), or not at all if that is NULL (the list's). */
static void repo_names(json_t *names, const char *manifest, const char *untagged, json_t **ret_tags,
                       json_t **ret_digests)
{
    json_t *tags = json_array(), *digests = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v)
    {
        _cleanup_berr_ struct berr *e = NULL;
        struct ref *r = ref_parse(json_string_value(v), &e);
        if (!r)
            continue;
        _cleanup_free_ char *fam = ref_familiar(r);
        if (r->tag || untagged)
            json_array_append_new(tags, json_sprintf("%s:%s", fam, r->tag ? r->tag : untagged));
        json_array_append_new(digests, json_sprintf("%s@%s", fam, manifest));
        ref_free(r);
    }
    *ret_tags = tags;
    *ret_digests = digests;
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

/* Copies fd into a new blob of the store, hashing it on the way: ret_blob its digest, head
 * its first bytes (for the media type). */
static int import_blob(struct store *st, int in, const char *src, char ret_blob[72],
                       unsigned char head[8], size_t *ret_headn, struct berr **err)
{
    _cleanup_free_ char *tmp = NULL;
    if (store_mktemp(st, false, &tmp, err) < 0)
        return -1;
    _cleanup_close_ int out = openat(st->dirfd, tmp, O_WRONLY | O_TRUNC | O_CLOEXEC);
    struct digest h;
    digest_init(&h);
    size_t headn = 0;
    uint64_t total = 0;
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0) {
                int r = berr_sys(err, errno, "import %s: read", src);
                unlinkat(st->dirfd, tmp, 0);
                return r;
            }
            break;
        }
        if (headn < 8) {
            size_t t = (size_t)n < 8 - headn ? (size_t)n : 8 - headn;
            memcpy(head + headn, buf, t);
            headn += t;
        }
        digest_update(&h, buf, n);
        if (write(out, buf, n) != n) {
            int r = berr_sys(err, errno, "import %s: write", src);
            unlinkat(st->dirfd, tmp, 0);
            return r;
        }
        total += n;
    }
    if (total == 0) {
        unlinkat(st->dirfd, tmp, 0);
        return berr_set(err, BERR_INVALID, EINVAL, "import %s: the tarball is empty", src);
    }
    uint8_t d[32];
    char hex[65];
    digest_final(&h, d);
    sha256_hex(d, hex);
    snprintf(ret_blob, 72, "sha256:%s", hex);
    *ret_headn = headn;
    return store_adopt_blob(st, tmp, ret_blob, err);
}

int img_import(struct engine *e, int fd, const struct img_import_opts *o, char ret_id[72],
               struct berr **err)
{
    const char *src = o->source ? o->source : "-";
    _cleanup_(json_decrefp) json_t *cfg = json_object();
    for (const char *const *c = o->changes; c && *c; c++)
        if (image_config_change(cfg, *c, err) < 0)
            return -1;
    if (strstr(src, "://"))
        return berr_set(
            err, BERR_UNSUPPORTED, ENOTSUP,
            "import %s: importing from a URL is not supported: download it and import the file",
            src);
    if (o->reference) {
        struct ref *r = ref_parse(o->reference, err);
        if (!r)
            return -1;
        ref_free(r);
    }
    _cleanup_store_ struct store *st = store_open(e->root, err);
    if (!st)
        return -1;
    /* One writer at a time: a concurrent rmi's garbage collection must never see the blob
     * or layer of this import before the image that uses them is recorded. */
    if (store_lock(st, err) < 0)
        return -1;

    /* the tarball becomes the layer blob as it is, hashed while it is copied in */
    _cleanup_close_ int own = fd < 0 ? open(src, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0 && own < 0)
        return berr_sys(err, errno, "import %s", src);
    char blob[72];
    unsigned char head[8] = {0};
    size_t headn = 0;
    if (import_blob(st, fd < 0 ? own : fd, src, blob, head, &headn, err) < 0)
        return -1;

    /* unpack it now: a tarball that is not a valid layer is refused before any image exists */
    char chain[72], diff_id[72];
    uint64_t size = 0;
    if (store_add_layer(st, NULL, blob, chain, diff_id, &size, err) < 0) {
        _cleanup_berr_ struct berr *e2 = NULL;
        store_gc(st, &e2);
        return berr_prefix(err, "import %s", src);
    }

    char created[64];
    rt_now_rfc3339(created, sizeof(created));
    _cleanup_free_ char *by = xasprintf("berth import %s", src);
    json_t *history = json_pack("[{s:s,s:s}]", "created", created, "created_by", by);
    if (o->message)
        json_object_set_new(json_array_get(history, 0), "comment", json_string(o->message));
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
    if (store_put_blob(st, ctext, strlen(ctext), cdigest, err) < 0)
        return -1;
    struct stat sb;
    _cleanup_close_ int bfd = store_open_blob(st, blob, err);
    if (bfd < 0)
        return -1;
    if (fstat(bfd, &sb) < 0)
        return berr_sys(err, errno, "import %s: %s", src, blob);
    json_t *manifest =
        json_pack("{s:i,s:s,s:{s:s,s:s,s:I},s:[{s:s,s:s,s:I}]}", "schemaVersion", 2, "mediaType",
                  "application/vnd.oci.image.manifest.v1+json", "config", "mediaType",
                  "application/vnd.oci.image.config.v1+json", "digest", cdigest, "size",
                  (json_int_t)strlen(ctext), "layers", "mediaType", layer_media_type(head, headn),
                  "digest", blob, "size", (json_int_t)sb.st_size);
    _cleanup_free_ char *mtext = json_dumps(manifest, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(manifest);
    if (store_put_blob(st, mtext, strlen(mtext), mdigest, err) < 0 ||
        store_add_image(st, mdigest, id, err) < 0)
        return -1;
    if (o->reference && store_tag(st, id, o->reference, err) < 0)
        return -1;
    events_note(e->runroot, "image", "import", id,
                json_pack("{s:s}", "name", o->reference ? o->reference : id));
    memcpy(ret_id, id, 72);
    return 0;
}

/* ---- list ---- */

int img_check_filter(const char *key, const char *value, struct berr **err)
{
    static const char *keys[] = {"dangling", "reference", "label", "before", "since"};
    size_t k = 0;
    while (k < ARRAY_SIZE(keys) && strcmp(keys[k], key))
        k++;
    if (k == ARRAY_SIZE(keys))
        return berr_set(err, BERR_INVALID, EINVAL, "invalid filter '%s'", key);
    if (!strcmp(key, "dangling") && strcmp(value, "true") && strcmp(value, "false") &&
        strcmp(value, "1") && strcmp(value, "0"))
        return berr_set(err, BERR_INVALID, EINVAL, "invalid filter '%s=%s'", key, value);
    return 0;
}

static int check_filters(json_t *filters, struct berr **err)
{
    const char *key;
    json_t *vs, *v;
    size_t i;
    json_object_foreach(filters, key, vs)
    {
        if (!json_is_array(vs))
            return berr_set(err, BERR_INVALID, EINVAL, "invalid filter '%s'", key);
        json_array_foreach(vs, i, v)
        {
            if (!json_is_string(v))
                return berr_set(err, BERR_INVALID, EINVAL, "invalid filter '%s'", key);
            if (img_check_filter(key, json_string_value(v), err) < 0)
                return -1;
        }
    }
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
    *ret = xstrdup(json_string_value(json_object_get(im->config, "created")) ?: "");
    image_free(im);
    return 0;
}

/* reference: a shell pattern ('*' stops at '/') of the name, with or without its tag, as
 * `docker images` shows it (a name without a tag has "<none>") */
static bool reference_match(json_t *refs, const char *name)
{
    if (!refs)
        return true;
    _cleanup_berr_ struct berr *e = NULL;
    struct ref *r = ref_parse(name, &e);
    if (!r)
        return false;
    _cleanup_free_ char *repo = ref_familiar(r);
    _cleanup_free_ char *full = xasprintf("%s:%s", repo, r->tag ? r->tag : "<none>");
    ref_free(r);
    size_t i;
    json_t *v;
    json_array_foreach(refs, i, v)
    {
        const char *pat = json_string_value(v);
        if (fnmatch(pat, repo, FNM_PATHNAME) == 0 || fnmatch(pat, full, FNM_PATHNAME) == 0)
            return true;
    }
    return false;
}

/* One image's summary if the filters keep it (with the names they keep), else NULL. */
static json_t *image_summary(struct store *st, struct image *im, json_t *all_names, json_t *f,
                             const char *before, const char *since)
{
    const char *created = json_string_value(json_object_get(im->config, "created")) ?: "";
    json_t *labels = json_object_get(json_object_get(im->config, "config"), "Labels");
    if (!filter_labels_match(json_object_get(f, "label"), labels) ||
        (before && strcmp(created, before) >= 0) || (since && strcmp(created, since) <= 0))
        return NULL;
    _cleanup_(json_decrefp) json_t *names = json_array();
    const char *k;
    json_t *nv;
    json_object_foreach(all_names, k, nv) if (!strcmp(json_string_value(nv), im->id))
        json_array_append_new(names, json_string(k));
    bool dangling = json_array_size(names) == 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(f, "dangling"), i, v)
    {
        const char *s = json_string_value(v);
        if (dangling != (!strcmp(s, "true") || !strcmp(s, "1")))
            return NULL;
    }
    json_t *refs = json_object_get(f, "reference");
    for (i = json_array_size(names); i-- > 0;)
        if (!reference_match(refs, json_string_value(json_array_get(names, i))))
            json_array_remove(names, i);
    if (refs && !json_array_size(names))
        return NULL;
    json_t *tags, *digests;
    repo_names(names, im->manifest, NULL, &tags, &digests);
    json_t *mf = im->manifest_json;
    struct stat sb = {0};
    _cleanup_berr_ struct berr *e = NULL;
    _cleanup_close_ int mfd = store_open_blob(st, im->manifest, &e);
    if (mfd >= 0 && fstat(mfd, &sb) < 0)
        sb.st_size = 0;
    return json_pack("{s:s,s:s,s:o,s:o,s:I,s:I,s:I,s:I,s:O,s:I,s:{s:s,s:s,s:I}}", "Id", im->id,
                     "ParentId", "", "RepoTags", tags, "RepoDigests", digests, "Created",
                     unix_time(created), "Size", (json_int_t)im->size, "VirtualSize",
                     (json_int_t)im->size, "SharedSize", (json_int_t)-1, "Labels",
                     labels ? labels : json_null(), "Containers", (json_int_t)-1, "Descriptor",
                     "mediaType",
                     json_string_value(json_object_get(mf, "mediaType"))
                         ?: "application/vnd.oci.image.manifest.v1+json",
                     "digest", im->manifest, "size", (json_int_t)sb.st_size);
}

struct listed {
    char *created; /* RFC 3339, as the image has it: the order */
    size_t n;      /* the order the store gave: the tie-break, so the sort is stable */
    json_t *summary;
};

static int newest_first(const void *a, const void *b)
{
    const struct listed *x = a, *y = b;
    int c = strcmp(y->created, x->created);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

json_t *img_list(struct engine *e, const struct img_list_opts *o, struct berr **err)
{
    json_t *f = o ? o->filters : NULL;
    if (check_filters(f, err) < 0)
        return NULL;
    _cleanup_store_ struct store *st = store_open(e->root, err);
    if (!st)
        return NULL;
    _cleanup_free_ char *before = NULL, *since = NULL;
    if (images_when(st, f, "before", &before, err) < 0 ||
        images_when(st, f, "since", &since, err) < 0)
        return NULL;
    _cleanup_(json_decrefp) json_t *ids = store_image_ids(st);
    _cleanup_(json_decrefp) json_t *names = store_names(st);
    struct listed *l = xcalloc(json_array_size(ids) + 1, sizeof(*l));
    size_t n = 0, i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        _cleanup_berr_ struct berr *e2 = NULL;
        _cleanup_image_ struct image *im = store_get_image(st, json_string_value(v), &e2);
        json_t *s = im ? image_summary(st, im, names, f, before, since) : NULL;
        if (!s)
            continue;
        l[n] = (struct listed){
            xstrdup(json_string_value(json_object_get(im->config, "created")) ?: ""), n, s};
        n++;
    }
    /* newest first, as docker lists them */
    qsort(l, n, sizeof(*l), newest_first);
    json_t *out = json_array();
    for (i = 0; i < n; i++) {
        json_array_append_new(out, l[i].summary);
        free(l[i].created);
    }
    free(l);
    return out;
}

/* ---- inspect, history ---- */

static json_t *inspect_one(struct store *st, struct image *im)
{
    json_t *names = store_image_names(st, im->id);
    json_t *tags, *digests;
    repo_names(names, im->manifest, "latest", &tags, &digests);
    json_decref(names);
    json_t *c = im->config;
    json_t *layers = json_array();
    size_t i;
    json_t *v;
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

json_t *img_inspect(struct engine *e, const char *what, struct berr **err)
{
    _cleanup_store_ struct store *st = NULL;
    _cleanup_image_ struct image *im = NULL;
    if (open_image(e, what, false, &st, &im, err) < 0)
        return NULL;
    return inspect_one(st, im);
}

/* the unpacked size of a layer (its layer.json), 0 if unknown */
static json_int_t layer_size(struct store *st, const char *chain)
{
    char lj[4200];
    snprintf(lj, sizeof(lj), "layers/%s/layer.json", chain + 7);
    _cleanup_free_ char *text = NULL;
    _cleanup_berr_ struct berr *e = NULL;
    json_t *meta =
        fs_read_fileat(st->dirfd, lj, &text, NULL, &e) == 0 ? json_loads(text, 0, NULL) : NULL;
    json_int_t size = json_integer_value(json_object_get(meta, "size"));
    json_decref(meta);
    return size;
}

json_t *img_history(struct engine *e, const char *what, struct berr **err)
{
    _cleanup_store_ struct store *st = NULL;
    _cleanup_image_ struct image *im = NULL;
    if (open_image(e, what, false, &st, &im, err) < 0)
        return NULL;
    json_t *h = json_object_get(im->config, "history");
    json_t *out = json_array();
    /* newest first; the image ID goes on the newest entry, <missing> on the others */
    size_t n = json_array_size(h), layer = 0;
    for (size_t i = 0; i < n; i++)
        layer += !json_is_true(json_object_get(json_array_get(h, i), "empty_layer"));
    for (size_t i = n; i-- > 0;) {
        json_t *he = json_array_get(h, i);
        json_int_t size = 0;
        if (!json_is_true(json_object_get(he, "empty_layer")) && layer > 0)
            size = layer_size(st, im->layers[--layer]);
        json_t *tags = json_null();
        if (i == n - 1) {
            json_t *names = store_image_names(st, im->id), *digests;
            repo_names(names, im->manifest, "latest", &tags, &digests);
            json_decref(names);
            json_decref(digests);
        }
        json_array_append_new(
            out, json_pack("{s:s,s:I,s:s,s:o,s:I,s:s}", "Id", i == n - 1 ? im->id : "<missing>",
                           "Created", unix_time(json_string_value(json_object_get(he, "created"))),
                           "CreatedBy", json_string_value(json_object_get(he, "created_by")) ?: "",
                           "Tags", tags, "Size", size, "Comment",
                           json_string_value(json_object_get(he, "comment")) ?: ""));
    }
    return out;
}

/* ---- tag, remove ---- */

int img_tag(struct engine *e, const char *what, const char *ref, struct berr **err)
{
    _cleanup_store_ struct store *st = NULL;
    _cleanup_image_ struct image *im = NULL;
    if (open_image(e, what, false, &st, &im, err) < 0 || store_tag(st, im->id, ref, err) < 0)
        return -1;
    events_note(e->runroot, "image", "tag", im->id, json_pack("{s:s}", "name", ref));
    return 0;
}

/* Removes the name (a full one) of image id: docker's {"Untagged": "busybox:latest"} */
static void untag(struct engine *e, struct store *st, const char *id, const char *name, json_t *out)
{
    _cleanup_berr_ struct berr *e2 = NULL;
    store_untag(st, name, &e2);
    events_note(e->runroot, "image", "untag", id, json_pack("{s:s}", "name", id));
    struct ref *fr = ref_parse(name, &e2);
    _cleanup_free_ char *fam = fr ? ref_familiar(fr) : NULL;
    json_array_append_new(
        out, json_pack("{s:o}", "Untagged",
                       json_sprintf("%s:%s", fam ? fam : name, fr && fr->tag ? fr->tag : "")));
    ref_free(fr);
}

int img_remove(struct engine *e, const char *what, const struct img_remove_opts *o, json_t *out,
               struct berr **err)
{
    if (o->no_prune)
        return berr_set(err, BERR_UNSUPPORTED, ENOTSUP, "rmi: --no-prune is not supported");
    _cleanup_store_ struct store *st = NULL;
    _cleanup_image_ struct image *im = NULL;
    if (open_image(e, what, true, &st, &im, err) < 0)
        return -1;
    _cleanup_(json_decrefp) json_t *names = store_image_names(st, im->id);
    /* given by name: that name goes, and the image only with its last name */
    _cleanup_berr_ struct berr *e2 = NULL;
    struct ref *r = ref_parse(what, &e2);
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
    _cleanup_free_ char *user = deleting ? image_user(e->root, im->id) : NULL;
    if (user && o->force) {
        /* -f: its names go; the image itself stays, nameless, while a container needs it
         * (image prune removes it once none does) */
        json_array_foreach(names, k, nv) untag(e, st, im->id, json_string_value(nv), out);
        return 0;
    }
    if (user)
        return berr_set(err, BERR_CONFLICT, EBUSY,
                        "conflict: unable to remove image %s - container %s is using it", what,
                        user);
    if (deleting && image_mounted(st, im->id))
        return berr_set(err, BERR_CONFLICT, EBUSY,
                        "image %.12s is mounted: 'berth image unmount' it first", im->id + 7);
    if (by_name) {
        untag(e, st, im->id, full, out);
        if (json_array_size(names) > 1)
            return 0;
    } else if (json_array_size(names) > 1 && !o->force) {
        return berr_set(err, BERR_CONFLICT, EBUSY,
                        "conflict: unable to delete %.12s (must be forced) - image is referenced "
                        "in multiple repositories",
                        im->id + 7);
    } else {
        json_array_foreach(names, k, nv) untag(e, st, im->id, json_string_value(nv), out);
    }
    if (store_remove_image(st, im->id, err) < 0)
        return -1;
    events_note(e->runroot, "image", "delete", im->id, json_pack("{s:s}", "name", im->id));
    json_array_append_new(out, json_pack("{s:s}", "Deleted", im->id));
    return 0;
}

/* ---- save, load ---- */

int img_archive_format(const char *name, enum img_archive *ret, struct berr **err)
{
    if (!strcmp(name, "docker-archive") || !strcmp(name, "docker"))
        *ret = IMG_ARCHIVE_DOCKER;
    else if (!strcmp(name, "oci-archive") || !strcmp(name, "oci"))
        *ret = IMG_ARCHIVE_OCI;
    else
        return berr_set(err, BERR_INVALID, EINVAL,
                        "save: --format %s: use docker-archive or oci-archive", name);
    return 0;
}

/* Writes the archive to path: next to it first (named by the thread, so two saves at once
 * never share it), renamed when whole, so an interrupted save leaves no half archive. */
static int save_to(struct store *st, struct image **ims, char ***names, size_t n,
                   enum archive_format fmt, const char *path, struct berr **err)
{
    _cleanup_free_ char *tmp = xasprintf("%s.berth-tmp-%d", path, gettid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return berr_sys(err, errno, "save: create %s", path);
    if (archive_save(st, ims, names, n, fmt, fd, err) < 0) {
        close(fd);
        unlink(tmp);
        return -1;
    }
    if (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
        int r = berr_sys(err, errno, "save: write %s", path);
        unlink(tmp);
        return r;
    }
    return 0;
}

int img_save(struct engine *e, const char *const *what, size_t n, const struct img_save_opts *o,
             int fd, struct berr **err)
{
    if (n == 0)
        return berr_set(err, BERR_INVALID, EINVAL, "save: give at least one image");
    enum archive_format fmt = o->format == IMG_ARCHIVE_OCI ? ARCHIVE_OCI : ARCHIVE_DOCKER;
    _cleanup_store_ struct store *st = store_open(e->root, err);
    if (!st)
        return -1;
    struct image **ims = xcalloc(n, sizeof(*ims));
    char ***names = xcalloc(n, sizeof(*names));
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!(ims[i] = store_find_image(st, what[i], err))) {
            rc = -1;
            break;
        }
        names[i] = xcalloc(2, sizeof(char *));
        /* saved by name: that name goes with it; by ID: no name, as docker does */
        _cleanup_berr_ struct berr *e2 = NULL;
        struct ref *r = ref_parse(what[i], &e2);
        json_t *known = store_image_names(st, ims[i]->id);
        _cleanup_free_ char *full = r ? ref_string(r) : NULL;
        size_t k;
        json_t *v;
        json_array_foreach(known, k, v) if (full && !strcmp(json_string_value(v), full))
            names[i][0] = xstrdup(full);
        json_decref(known);
        ref_free(r);
    }
    if (rc == 0)
        rc = o->path ? save_to(st, ims, names, n, fmt, o->path, err)
                     : archive_save(st, ims, names, n, fmt, fd, err);
    for (size_t i = 0; i < n; i++) {
        image_free(ims[i]);
        if (names[i])
            free(names[i][0]);
        free(names[i]);
    }
    free(ims);
    free(names);
    return rc < 0 ? -1 : 0;
}

json_t *img_load(struct engine *e, int fd, struct berr **err)
{
    _cleanup_store_ struct store *st = store_open(e->root, err);
    if (!st)
        return NULL;
    json_t *loaded = archive_load(st, fd, err);
    size_t i;
    json_t *v;
    json_array_foreach(loaded, i, v)
    {
        json_t *id = json_object_get(v, "id"), *names = json_object_get(v, "names");
        json_t *tags = json_array(), *nm;
        size_t k;
        json_array_foreach(names, k, nm)
        {
            char *tagged = ref_familiar_tagged(json_string_value(nm));
            json_array_append_new(tags, json_string(tagged ? tagged : "?:latest"));
            free(tagged);
        }
        json_object_set_new(v, "RepoTags", tags);
        events_note(e->runroot, "image", "load", json_string_value(id),
                    json_pack("{s:O}", "name", json_array_get(names, 0) ?: id));
    }
    return loaded;
}

/* ---- mount, unmount ---- */

char *img_mount(struct engine *e, const char *what, struct berr **err)
{
    _cleanup_store_ struct store *st = NULL;
    _cleanup_image_ struct image *im = NULL;
    if (open_image(e, what, true, &st, &im, err) < 0)
        return NULL;
    char *path = xasprintf("%s/mounts/%s", st->dir, im->id + 7);
    if (!image_mounted(st, im->id)) {
        /* overlay_mount changes its process's working directory for a moment: a helper's,
         * not the caller's (threads share one) */
        json_t *args __attribute__((cleanup(json_decrefp))) =
            json_pack("{s:s,s:s}", "image", im->id, "path", path);
        if (mkdir(path, 0700) < 0 ||
            spawn_run(e, "image-mount", args, NULL, 0, 0, NULL, err) != 0) {
            if (!*err)
                berr_sys(err, errno, "mkdir %s", path);
            rmdir(path);
            free(path);
            return NULL;
        }
    }
    return path;
}

int img_mount_job(struct spawn_job *j, struct berr **err)
{
    const char *id = json_string_value(json_object_get(j->args, "image"));
    const char *path = json_string_value(json_object_get(j->args, "path"));
    if (!id || !path)
        return berr_set(err, BERR_INTERNAL, EINVAL, "image mount: no image or no path");
    _cleanup_store_ struct store *st = store_open(j->e->root, err);
    if (!st)
        return -1;
    _cleanup_image_ struct image *im = store_get_image(st, id, err);
    if (!im || overlay_mount(st, im, NULL, NULL, NULL, path, err) < 0)
        return -1;
    return 0;
}

int img_unmount(struct engine *e, const char *what, char ret_id[72], struct berr **err)
{
    _cleanup_store_ struct store *st = NULL;
    _cleanup_image_ struct image *im = NULL;
    if (open_image(e, what, true, &st, &im, err) < 0)
        return -1;
    if (!image_mounted(st, im->id))
        return berr_set(err, BERR_NOT_MODIFIED, EINVAL, "image unmount %s: not mounted", what);
    _cleanup_free_ char *path = xasprintf("%s/mounts/%s", st->dir, im->id + 7);
    if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL)
        return berr_sys(err, errno, "unmount %s", path);
    rmdir(path);
    memcpy(ret_id, im->id, 72);
    return 0;
}

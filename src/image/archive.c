/* archive.c - image archives: `docker save` format and OCI image layout, both ways */
#include "archive.h"
#include "layer.h"
#include "reference.h"
#include "base/cleanup.h"
#include "base/digest.h"
#include "base/fs.h"
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

static void json_decref_p(json_t **j)
{
    json_decref(*j);
}
#define _cleanup_json_ __attribute__((cleanup(json_decref_p)))

/* ---- load: stage every file of the archive, hashed, then read it like a directory ---- */

struct staged {
    json_t *files; /* archive path -> {"file": staged name, "digest": ..., "size": n} or {"link":
                      target} */
    char *dir;     /* tmp/<x>, relative to the store */
    struct store *st;
};

static int stage_archive(struct staged *sg, int fd, struct berr **err)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_zstd(a);
    archive_read_support_filter_none(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
        int r = berr_set(err, BERR_INVALID, EINVAL, "read archive: %s", archive_error_string(a));
        archive_read_free(a);
        return r;
    }
    int r = 0, n = 0;
    struct archive_entry *e;
    char buf[1 << 16];
    for (;;) {
        int h = archive_read_next_header(a, &e);
        if (h == ARCHIVE_EOF)
            break;
        if (h != ARCHIVE_OK && h != ARCHIVE_WARN) {
            r = berr_set(err, BERR_INVALID, EINVAL, "read archive: %s", archive_error_string(a));
            break;
        }
        _cleanup_free_ char *path = NULL;
        if (layer_clean_path(archive_entry_pathname(e), &path) < 0) {
            r = berr_set(err, BERR_INVALID, EINVAL, "archive entry \"%s\": path leaves the archive",
                         archive_entry_pathname(e));
            break;
        }
        mode_t type = archive_entry_filetype(e);
        const char *hl = archive_entry_hardlink(e);
        if (hl) {
            _cleanup_free_ char *target = NULL;
            json_t *t =
                layer_clean_path(hl, &target) == 0 ? json_object_get(sg->files, target) : NULL;
            if (!t) {
                r = berr_set(err, BERR_INVALID, EINVAL,
                             "archive entry \"%s\": hardlink to \"%s\" that is not in the archive",
                             path, hl);
                break;
            }
            json_object_set(sg->files, path, t);
            continue;
        }
        if (type == AE_IFLNK) {
            json_object_set_new(sg->files, path,
                                json_pack("{s:s}", "link", archive_entry_symlink(e)));
            continue;
        }
        if (type != AE_IFREG)
            continue;
        char name[PATH_MAX];
        snprintf(name, sizeof(name), "%s/f%d", sg->dir, n++);
        _cleanup_close_ int out =
            openat(sg->st->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (out < 0) {
            r = berr_sys(err, errno, "stage %s", path);
            break;
        }
        struct digest hs;
        digest_init(&hs);
        uint64_t size = 0;
        for (;;) {
            la_ssize_t got = archive_read_data(a, buf, sizeof(buf));
            if (got < 0) {
                r = berr_set(err, BERR_INVALID, EIO, "read archive entry \"%s\": %s", path,
                             archive_error_string(a));
                break;
            }
            if (got == 0)
                break;
            digest_update(&hs, buf, got);
            if (write(out, buf, got) != got) {
                r = berr_sys(err, errno, "stage %s", path);
                break;
            }
            size += got;
        }
        if (r < 0)
            break;
        uint8_t d[32];
        char hex[65], digest[72];
        digest_final(&hs, d);
        sha256_hex(d, hex);
        snprintf(digest, sizeof(digest), "sha256:%s", hex);
        json_object_set_new(
            sg->files, path,
            json_pack("{s:s,s:s,s:I}", "file", name, "digest", digest, "size", (json_int_t)size));
    }
    archive_read_free(a);
    return r;
}

/* The staged file for an archive path, following symlinks inside the archive. */
static json_t *lookup(struct staged *sg, const char *path)
{
    _cleanup_free_ char *cur = NULL;
    if (layer_clean_path(path, &cur) < 0)
        return NULL;
    for (int hops = 0; hops < 16; hops++) {
        json_t *f = json_object_get(sg->files, cur);
        if (!f)
            return NULL;
        const char *link = json_string_value(json_object_get(f, "link"));
        if (!link)
            return f;
        char joined[PATH_MAX];
        const char *slash = strrchr(cur, '/');
        if (link[0] == '/' || !slash)
            snprintf(joined, sizeof(joined), "%s", link);
        else
            snprintf(joined, sizeof(joined), "%.*s/%s", (int)(slash - cur), cur, link);
        free(cur);
        cur = NULL;
        if (layer_clean_path(joined, &cur) < 0)
            return NULL;
    }
    return NULL;
}

static json_t *read_staged_json(struct staged *sg, const char *path, const char *what,
                                struct berr **err)
{
    json_t *f = lookup(sg, path);
    if (!f) {
        berr_set(err, BERR_INVALID, ENOENT, "%s: \"%s\" is not in the archive", what, path);
        return NULL;
    }
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (fs_read_fileat(sg->st->dirfd, json_string_value(json_object_get(f, "file")), &text, &len,
                       err) < 0)
        return NULL;
    json_error_t je;
    json_t *j = json_loadb(text, len, 0, &je);
    if (!j)
        berr_set(err, BERR_INVALID, EINVAL, "%s: \"%s\": invalid JSON: %s", what, path, je.text);
    return j;
}

/* Moves a staged file into the blob store; the same file may be adopted twice. */
static int adopt(struct staged *sg, json_t *f, struct berr **err)
{
    const char *digest = json_string_value(json_object_get(f, "digest"));
    if (json_is_true(json_object_get(f, "adopted")))
        return 0;
    int r = store_adopt_blob(sg->st, json_string_value(json_object_get(f, "file")), digest, err);
    if (r == 0)
        json_object_set_new(f, "adopted", json_true());
    return r;
}

static const char *layer_type_of(struct staged *sg, json_t *f)
{
    unsigned char head[4] = {0};
    _cleanup_close_ int fd =
        openat(sg->st->dirfd, json_string_value(json_object_get(f, "file")), O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && read(fd, head, 4) == 4) {
        if (head[0] == 0x1f && head[1] == 0x8b)
            return MT_OCI_LAYER "+gzip";
        if (head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd)
            return MT_OCI_LAYER "+zstd";
    }
    return MT_OCI_LAYER;
}

static int record(struct store *st, const char *manifest_digest, json_t *names, json_t *loaded,
                  struct berr **err)
{
    char id[72];
    int r = store_add_image(st, manifest_digest, id, err);
    if (r < 0)
        return r;
    json_t *tagged = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v)
    {
        if ((r = store_tag(st, id, json_string_value(v), err)) < 0) {
            json_decref(tagged);
            return r;
        }
        json_array_append(tagged, v);
    }
    json_array_append_new(loaded, json_pack("{s:s,s:o}", "id", id, "names", tagged));
    return 0;
}

static int load_docker(struct staged *sg, json_t *loaded, struct berr **err)
{
    _cleanup_json_ json_t *mf = read_staged_json(sg, "manifest.json", "manifest.json", err);
    if (!mf)
        return berr_code(*err);
    if (!json_is_array(mf) || json_array_size(mf) == 0)
        return berr_set(err, BERR_INVALID, EINVAL, "manifest.json: must be a non-empty array");
    size_t i;
    json_t *ent;
    json_array_foreach(mf, i, ent)
    {
        const char *cfgpath = json_string_value(json_object_get(ent, "Config"));
        json_t *layers = json_object_get(ent, "Layers");
        if (!cfgpath || !json_is_array(layers))
            return berr_set(err, BERR_INVALID, EINVAL,
                            "manifest.json[%zu]: needs Config and Layers", i);
        json_t *cf = lookup(sg, cfgpath);
        if (!cf)
            return berr_set(err, BERR_INVALID, ENOENT,
                            "manifest.json[%zu].Config: \"%s\" is not in the archive", i, cfgpath);
        int r;
        if ((r = adopt(sg, cf, err)) < 0)
            return r;
        json_t *descs = json_array();
        size_t k;
        json_t *lp;
        json_array_foreach(layers, k, lp)
        {
            json_t *lf = json_is_string(lp) ? lookup(sg, json_string_value(lp)) : NULL;
            if (!lf) {
                json_decref(descs);
                return berr_set(err, BERR_INVALID, ENOENT,
                                "manifest.json[%zu].Layers[%zu]: \"%s\" is not in the archive", i,
                                k, json_string_value(lp) ?: "?");
            }
            const char *mt = layer_type_of(sg, lf);
            if ((r = adopt(sg, lf, err)) < 0) {
                json_decref(descs);
                return r;
            }
            json_array_append_new(descs, json_pack("{s:s,s:O,s:O}", "mediaType", mt, "digest",
                                                   json_object_get(lf, "digest"), "size",
                                                   json_object_get(lf, "size")));
        }
        json_t *m = json_pack("{s:i,s:s,s:{s:s,s:O,s:O},s:o}", "schemaVersion", 2, "mediaType",
                              MT_OCI_MANIFEST, "config", "mediaType", MT_OCI_CONFIG, "digest",
                              json_object_get(cf, "digest"), "size", json_object_get(cf, "size"),
                              "layers", descs);
        _cleanup_free_ char *text = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(m);
        char md[72];
        if ((r = store_put_blob(sg->st, text, strlen(text), md, err)) < 0)
            return r;
        json_t *names = json_object_get(ent, "RepoTags");
        /* every name is checked before anything is recorded: a bad one fails the load */
        size_t t;
        json_t *nv;
        json_array_foreach(names, t, nv)
        {
            struct ref *rf = json_is_string(nv) ? ref_parse(json_string_value(nv), err) : NULL;
            bool digest = rf && rf->digest;
            ref_free(rf);
            if (!rf || digest) {
                if (!*err)
                    berr_set(err, BERR_INVALID, EINVAL, "RepoTags[%zu]: %s", t,
                             digest ? "a digest reference is not a tag" : "not a string");
                return berr_prefix(err, "manifest.json[%zu]", i);
            }
        }
        if ((r = record(sg->st, md, json_is_array(names) ? names : NULL, loaded, err)) < 0)
            return berr_prefix(err, "manifest.json[%zu]", i);
    }
    return 0;
}

static json_t *blob_of(struct staged *sg, const char *digest, const char *what, struct berr **err)
{
    if (!digest || !ref_is_digest(digest)) {
        berr_set(err, BERR_INVALID, EINVAL, "%s: invalid digest \"%s\"", what,
                 digest ? digest : "");
        return NULL;
    }
    char path[128];
    snprintf(path, sizeof(path), "blobs/sha256/%s", digest + 7);
    json_t *f = lookup(sg, path);
    if (!f) {
        berr_set(err, BERR_INVALID, ENOENT, "%s: blob %s is not in the archive", what, digest);
        return NULL;
    }
    if (strcmp(json_string_value(json_object_get(f, "digest")), digest) != 0) {
        berr_set(err, BERR_INVALID, EIO, "%s: blob %s does not match its digest (it is %s)", what,
                 digest, json_string_value(json_object_get(f, "digest")));
        return NULL;
    }
    return f;
}

static int load_manifest(struct staged *sg, const char *digest, json_t *names, json_t *loaded,
                         struct berr **err)
{
    json_t *mfile = blob_of(sg, digest, "index.json", err);
    if (!mfile)
        return berr_code(*err);
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    int r = fs_read_fileat(sg->st->dirfd, json_string_value(json_object_get(mfile, "file")), &text,
                           &len, err);
    if (r < 0)
        return r;
    _cleanup_json_ json_t *m = json_loadb(text, len, 0, NULL);
    if (!m)
        return berr_set(err, BERR_INVALID, EINVAL, "manifest %s: invalid JSON", digest);
    const char *mt = json_string_value(json_object_get(m, "mediaType"));
    if (mt && (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST))) {
        /* a multi-platform index: the host's platform */
        size_t i;
        json_t *d;
        json_array_foreach(json_object_get(m, "manifests"), i, d)
        {
            json_t *p = json_object_get(d, "platform");
            const char *os = json_string_value(json_object_get(p, "os"));
            const char *arch = json_string_value(json_object_get(p, "architecture"));
            if (!p || ((!os || !strcmp(os, "linux")) && (!arch || !strcmp(arch, "amd64"))))
                return load_manifest(sg, json_string_value(json_object_get(d, "digest")), names,
                                     loaded, err);
        }
        return berr_set(err, BERR_NOT_FOUND, ENOENT, "index %s has no manifest for linux/amd64",
                        digest);
    }
    if (mt && strcmp(mt, MT_OCI_MANIFEST) != 0 && strcmp(mt, MT_DOCKER_MANIFEST) != 0)
        return berr_set(err, BERR_UNSUPPORTED, ENOTSUP,
                        "manifest %s: media type %s is not supported", digest, mt);
    json_t *cfg =
        blob_of(sg, json_string_value(json_object_get(json_object_get(m, "config"), "digest")),
                "manifest config", err);
    if (!cfg || (r = adopt(sg, cfg, err)) < 0)
        return cfg ? r : berr_code(*err);
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(m, "layers"), i, l)
    {
        json_t *lf =
            blob_of(sg, json_string_value(json_object_get(l, "digest")), "manifest layer", err);
        if (!lf || (r = adopt(sg, lf, err)) < 0)
            return lf ? r : berr_code(*err);
    }
    if ((r = adopt(sg, mfile, err)) < 0)
        return r;
    return record(sg->st, digest, names, loaded, err);
}

static int load_oci(struct staged *sg, json_t *loaded, struct berr **err)
{
    _cleanup_json_ json_t *index = read_staged_json(sg, "index.json", "index.json", err);
    if (!index)
        return berr_code(*err);
    json_t *ms = json_object_get(index, "manifests");
    if (!json_is_array(ms) || json_array_size(ms) == 0)
        return berr_set(err, BERR_INVALID, EINVAL, "index.json: no manifests");
    size_t i;
    json_t *d;
    json_array_foreach(ms, i, d)
    {
        json_t *ann = json_object_get(d, "annotations");
        const char *full = json_string_value(json_object_get(ann, "io.containerd.image.name"));
        const char *ref =
            json_string_value(json_object_get(ann, "org.opencontainers.image.ref.name"));
        json_t *names = json_array();
        /* a full name is a name; a bare tag ("latest", as skopeo writes) names nothing */
        const char *name =
            full ? full : (ref && (strchr(ref, '/') || strchr(ref, ':')) ? ref : NULL);
        if (name) {
            _cleanup_berr_ struct berr *e = NULL;
            struct ref *r = ref_parse(name, &e);
            if (r)
                json_array_append_new(names, json_string(name));
            ref_free(r);
        }
        int r =
            load_manifest(sg, json_string_value(json_object_get(d, "digest")), names, loaded, err);
        json_decref(names);
        if (r < 0)
            return berr_prefix(err, "index.json manifests[%zu]", i);
    }
    return 0;
}

json_t *archive_load(struct store *st, int fd, struct berr **err)
{
    if (store_lock(st, err) < 0)
        return NULL;
    struct staged sg = {.files = json_object(), .st = st};
    json_t *loaded = json_array();
    int r = store_mktemp(st, true, &sg.dir, err);
    if (r >= 0)
        r = stage_archive(&sg, fd, err);
    if (r >= 0) {
        if (json_object_get(sg.files, "manifest.json"))
            r = load_docker(&sg, loaded, err);
        else if (json_object_get(sg.files, "index.json"))
            r = load_oci(&sg, loaded, err);
        else
            r = berr_set(
                err, BERR_INVALID, EINVAL,
                "not an image archive: no manifest.json (docker save) or index.json (OCI)");
    }
    if (sg.dir) {
        char abs[PATH_MAX];
        snprintf(abs, sizeof(abs), "%s/%s", st->dir, sg.dir);
        fs_rm_rf(abs);
        free(sg.dir);
    }
    json_decref(sg.files);
    if (r < 0) {
        /* images recorded before the failure stay (they are whole); blobs adopted for the
         * one that failed go */
        _cleanup_berr_ struct berr *e = NULL;
        store_gc(st, &e);
        json_decref(loaded);
        return NULL;
    }
    return loaded;
}

/* ---- save ---- */

struct writer {
    struct archive *a;
    json_t *done; /* paths written */
};

static int put_header(struct writer *w, const char *path, mode_t type, mode_t perm, int64_t size,
                      struct berr **err)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, perm);
    archive_entry_set_size(e, size);
    archive_entry_set_mtime(e, 0, 0); /* reproducible: the same image saves to the same bytes */
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    int r = archive_write_header(w->a, e);
    archive_entry_free(e);
    if (r != ARCHIVE_OK)
        return berr_set(err, BERR_INTERNAL, EIO, "write archive entry %s: %s", path,
                        archive_error_string(w->a));
    json_object_set_new(w->done, path, json_true());
    return 0;
}

static int put_mem(struct writer *w, const char *path, const void *data, size_t len,
                   struct berr **err)
{
    if (json_object_get(w->done, path))
        return 0;
    int r = put_header(w, path, AE_IFREG, 0644, len, err);
    if (r < 0)
        return r;
    if (len && archive_write_data(w->a, data, len) != (la_ssize_t)len)
        return berr_set(err, BERR_INTERNAL, EIO, "write %s: %s", path, archive_error_string(w->a));
    return 0;
}

/* Copies a blob, decompressed if `plain` (docker save layers are plain tars). */
static int put_blob(struct writer *w, struct store *st, const char *path, const char *digest,
                    bool plain, int64_t plain_size, struct berr **err)
{
    if (json_object_get(w->done, path))
        return 0;
    _cleanup_close_ int fd = store_open_blob(st, digest, err);
    if (fd < 0)
        return fd;
    struct stat sb;
    if (fstat(fd, &sb) < 0)
        return berr_sys(err, errno, "blob %s", digest);
    struct archive *in = NULL;
    if (plain) {
        in = archive_read_new();
        archive_read_support_filter_gzip(in);
        archive_read_support_filter_zstd(in);
        archive_read_support_filter_none(in);
        archive_read_support_format_raw(in);
        struct archive_entry *e;
        if (archive_read_open_fd(in, fd, 1 << 16) != ARCHIVE_OK ||
            archive_read_next_header(in, &e) != ARCHIVE_OK) {
            int r =
                berr_set(err, BERR_INTERNAL, EIO, "blob %s: %s", digest, archive_error_string(in));
            archive_read_free(in);
            return r;
        }
    }
    int r = put_header(w, path, AE_IFREG, 0644, plain ? plain_size : sb.st_size, err);
    char buf[1 << 16];
    int64_t total = 0;
    while (r >= 0) {
        la_ssize_t n = plain ? archive_read_data(in, buf, sizeof(buf)) : read(fd, buf, sizeof(buf));
        if (n < 0) {
            r = berr_set(err, BERR_INTERNAL, EIO, "blob %s: read failed", digest);
            break;
        }
        if (n == 0)
            break;
        if (archive_write_data(w->a, buf, n) != n)
            r = berr_set(err, BERR_INTERNAL, EIO, "write %s: %s", path, archive_error_string(w->a));
        total += n;
    }
    if (in)
        archive_read_free(in);
    if (r >= 0 && total != (plain ? plain_size : sb.st_size))
        r = berr_set(err, BERR_INTERNAL, EIO, "blob %s: size changed while saving", digest);
    return r;
}

/* The uncompressed size of a layer blob, by reading it through (for layers recorded without
 * their tar size). */
static int64_t plain_size_of(struct store *st, const char *digest)
{
    _cleanup_berr_ struct berr *err = NULL;
    _cleanup_close_ int fd = store_open_blob(st, digest, &err);
    if (fd < 0)
        return -1;
    struct archive *in = archive_read_new();
    archive_read_support_filter_gzip(in);
    archive_read_support_filter_zstd(in);
    archive_read_support_filter_none(in);
    archive_read_support_format_raw(in);
    struct archive_entry *e;
    int64_t total = -1;
    if (archive_read_open_fd(in, fd, 1 << 16) == ARCHIVE_OK &&
        archive_read_next_header(in, &e) == ARCHIVE_OK) {
        char buf[1 << 16];
        la_ssize_t n;
        total = 0;
        while ((n = archive_read_data(in, buf, sizeof(buf))) > 0)
            total += n;
        if (n < 0)
            total = -1;
    }
    archive_read_free(in);
    return total;
}

static int64_t layer_tar_size(struct store *st, const char *chain)
{
    char rel[PATH_MAX];
    snprintf(rel, sizeof(rel), "layers/%s/layer.json", chain + 7);
    _cleanup_free_ char *text = NULL;
    _cleanup_berr_ struct berr *e = NULL;
    if (fs_read_fileat(st->dirfd, rel, &text, NULL, &e) < 0)
        return -1;
    json_t *j = json_loads(text, 0, NULL);
    int64_t n = j ? json_integer_value(json_object_get(j, "tar_size")) : -1;
    json_decref(j);
    return n > 0 ? n : -1;
}

int archive_save(struct store *st, struct image **images, char ***names, size_t n,
                 enum archive_format fmt, int fd, struct berr **err)
{
    struct writer w = {.a = archive_write_new(), .done = json_object()};
    archive_write_set_format_pax_restricted(w.a);
    archive_write_set_bytes_in_last_block(w.a, 1);
    int r = 0;
    if (archive_write_open_fd(w.a, fd) != ARCHIVE_OK) {
        r = berr_set(err, BERR_INTERNAL, EIO, "write archive: %s", archive_error_string(w.a));
        goto out;
    }
    json_t *index = json_array(), *dmf = json_array(), *repos = json_object();
    if ((r = put_header(&w, "blobs", AE_IFDIR, 0755, 0, err)) < 0 ||
        (r = put_header(&w, "blobs/sha256", AE_IFDIR, 0755, 0, err)) < 0)
        goto done;
    for (size_t i = 0; i < n && r >= 0; i++) {
        struct image *im = images[i];
        char path[128];
        _cleanup_free_ char *ctext = NULL;
        size_t clen = 0;
        if ((r = store_read_blob(st, im->id, &ctext, &clen, err)) < 0)
            break;
        snprintf(path, sizeof(path), "blobs/sha256/%s", im->id + 7);
        if ((r = put_mem(&w, path, ctext, clen, err)) < 0)
            break;
        json_t *mdesc = NULL;
        json_t *layers_json = json_object_get(im->manifest_json, "layers");
        json_t *dlayers = json_array();
        if (fmt == ARCHIVE_OCI) {
            size_t k;
            json_t *l;
            json_array_foreach(layers_json, k, l)
            {
                const char *dg = json_string_value(json_object_get(l, "digest"));
                snprintf(path, sizeof(path), "blobs/sha256/%s", dg + 7);
                if ((r = put_blob(&w, st, path, dg, false, 0, err)) < 0)
                    break;
            }
            _cleanup_free_ char *mtext = NULL;
            size_t mlen = 0;
            if (r >= 0 && (r = store_read_blob(st, im->manifest, &mtext, &mlen, err)) >= 0) {
                snprintf(path, sizeof(path), "blobs/sha256/%s", im->manifest + 7);
                r = put_mem(&w, path, mtext, mlen, err);
                mdesc = json_pack("{s:s,s:s,s:I}", "mediaType", MT_OCI_MANIFEST, "digest",
                                  im->manifest, "size", (json_int_t)mlen);
            }
        } else {
            /* docker save: plain tar layers named by their DiffID, plus an OCI manifest for
             * them, so that the archive is also an OCI layout (as Docker 25 writes) */
            json_t *diff_ids = json_object_get(json_object_get(im->config, "rootfs"), "diff_ids");
            json_t *descs = json_array();
            size_t k;
            json_t *l;
            json_array_foreach(layers_json, k, l)
            {
                const char *dg = json_string_value(json_object_get(l, "digest"));
                const char *did = json_string_value(json_array_get(diff_ids, k));
                int64_t tsize = layer_tar_size(st, im->layers[k]);
                if (tsize < 0)
                    tsize = plain_size_of(st, dg);
                if (!did || tsize < 0) {
                    r = berr_set(err, BERR_INTERNAL, EIO,
                                 "image %s: layer %zu has no recorded size", im->id, k);
                    break;
                }
                snprintf(path, sizeof(path), "blobs/sha256/%s", did + 7);
                if ((r = put_blob(&w, st, path, dg, true, tsize, err)) < 0)
                    break;
                json_array_append_new(dlayers, json_string(path));
                json_array_append_new(descs, json_pack("{s:s,s:s,s:I}", "mediaType", MT_OCI_LAYER,
                                                       "digest", did, "size", (json_int_t)tsize));
            }
            json_t *m = json_pack("{s:i,s:s,s:{s:s,s:s,s:I},s:o}", "schemaVersion", 2, "mediaType",
                                  MT_OCI_MANIFEST, "config", "mediaType", MT_OCI_CONFIG, "digest",
                                  im->id, "size", (json_int_t)clen, "layers", descs);
            _cleanup_free_ char *mtext = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
            json_decref(m);
            uint8_t d[32];
            char hex[65];
            sha256(mtext, strlen(mtext), d);
            sha256_hex(d, hex);
            snprintf(path, sizeof(path), "blobs/sha256/%s", hex);
            if (r >= 0)
                r = put_mem(&w, path, mtext, strlen(mtext), err);
            char md[72];
            snprintf(md, sizeof(md), "sha256:%s", hex);
            mdesc = json_pack("{s:s,s:s,s:I}", "mediaType", MT_OCI_MANIFEST, "digest", md, "size",
                              (json_int_t)strlen(mtext));
        }
        json_t *tags = json_array();
        for (char **nm = names[i]; nm && *nm; nm++) {
            _cleanup_berr_ struct berr *e = NULL;
            struct ref *rf = ref_parse(*nm, &e);
            if (!rf)
                continue;
            _cleanup_free_ char *full = ref_string(rf);
            _cleanup_free_ char *fam = ref_familiar(rf);
            json_t *d = json_deep_copy(mdesc);
            json_object_set_new(d, "annotations",
                                json_pack("{s:s,s:s}", "io.containerd.image.name", full,
                                          "org.opencontainers.image.ref.name",
                                          rf->tag ? rf->tag : "latest"));
            json_array_append_new(index, d);
            json_array_append_new(tags, json_sprintf("%s:%s", fam, rf->tag ? rf->tag : "latest"));
            if (fmt == ARCHIVE_DOCKER && json_array_size(im->layers ? dlayers : NULL)) {
                json_t *repo = json_object_get(repos, fam);
                if (!repo)
                    json_object_set_new(repos, fam, repo = json_object());
                const char *top =
                    json_string_value(json_array_get(dlayers, json_array_size(dlayers) - 1));
                json_object_set_new(repo, rf->tag ? rf->tag : "latest", json_string(top + 13));
            }
            ref_free(rf);
        }
        if (!json_array_size(tags) && mdesc)
            json_array_append(index, mdesc);
        if (fmt == ARCHIVE_DOCKER) {
            char cpath[128];
            snprintf(cpath, sizeof(cpath), "blobs/sha256/%s", im->id + 7);
            json_array_append_new(dmf, json_pack("{s:s,s:o,s:O}", "Config", cpath, "RepoTags", tags,
                                                 "Layers", dlayers));
        } else {
            json_decref(tags);
        }
        json_decref(dlayers);
        json_decref(mdesc);
    }
    if (r >= 0) {
        json_t *ij = json_pack("{s:i,s:s,s:O}", "schemaVersion", 2, "mediaType", MT_OCI_INDEX,
                               "manifests", index);
        _cleanup_free_ char *it = json_dumps(ij, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(ij);
        static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
        r = put_mem(&w, "index.json", it, strlen(it), err);
        if (r >= 0 && fmt == ARCHIVE_DOCKER) {
            _cleanup_free_ char *mt = json_dumps(dmf, JSON_COMPACT);
            _cleanup_free_ char *rt = json_dumps(repos, JSON_COMPACT | JSON_SORT_KEYS);
            r = put_mem(&w, "manifest.json", mt, strlen(mt), err);
            if (r >= 0 && json_object_size(repos))
                r = put_mem(&w, "repositories", rt, strlen(rt), err);
        }
        if (r >= 0)
            r = put_mem(&w, "oci-layout", layout, strlen(layout), err);
    }
done:
    json_decref(index);
    json_decref(dmf);
    json_decref(repos);
    if (archive_write_close(w.a) != ARCHIVE_OK && r >= 0)
        r = berr_set(err, BERR_INTERNAL, EIO, "write archive: %s", archive_error_string(w.a));
out:
    archive_write_free(w.a);
    json_decref(w.done);
    return r;
}

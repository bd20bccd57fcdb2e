/* store.c - the image store: blobs, layers, images, names */
#include "store.h"
#include "layer.h"
#include "reference.h"
#include "base/cleanup.h"
#include "base/digest.h"
#include "base/fs.h"
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static bool valid_digest(const char *d)
{
    return ref_is_digest(d);
}

struct store *store_open(const char *root, struct berr **err)
{
    _cleanup_free_ char *dir = xasprintf("%s/image", root);
    static const char *subdirs[] = {"blobs/sha256", "layers", "images", "tmp",
                                    "diffids",      "l",      "mounts"};
    for (size_t i = 0; i < ARRAY_SIZE(subdirs); i++) {
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s/%s", dir, subdirs[i]);
        int r = fs_mkdir_p(p, 0700);
        if (r < 0) {
            berr_sys(err, -r, "image store %s", p);
            return NULL;
        }
    }
    int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        berr_sys(err, errno, "image store %s", dir);
        return NULL;
    }
    struct store *st = xcalloc(1, sizeof(*st));
    st->dir = TAKE_PTR(dir);
    st->dirfd = fd;
    st->lock_fd = -1;
    return st;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    store_unlock(st);
    close(st->dirfd);
    free(st->dir);
    free(st);
}

int store_lock(struct store *st, struct berr **err)
{
    if (st->lock_fd >= 0)
        return 0;
    int fd = openat(st->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return berr_sys(err, errno, "lock image store");
    while (flock(fd, LOCK_EX) < 0) {
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            return berr_sys(err, e, "lock image store");
        }
    }
    st->lock_fd = fd;
    return 0;
}

void store_unlock(struct store *st)
{
    if (st->lock_fd >= 0) {
        close(st->lock_fd); /* releases the flock */
        st->lock_fd = -1;
    }
}

static void blob_rel(const char *digest, char out[PATH_MAX])
{
    snprintf(out, PATH_MAX, "blobs/sha256/%s", digest + 7);
}

bool store_has_blob(struct store *st, const char *digest)
{
    char rel[PATH_MAX];
    if (!valid_digest(digest))
        return false;
    blob_rel(digest, rel);
    return faccessat(st->dirfd, rel, F_OK, 0) == 0;
}

int store_put_blob(struct store *st, const void *data, size_t len, char ret_digest[72],
                   struct berr **err)
{
    uint8_t d[32];
    char hex[65];
    sha256(data, len, d);
    sha256_hex(d, hex);
    snprintf(ret_digest, 72, "sha256:%s", hex);
    if (store_has_blob(st, ret_digest))
        return 0;
    _cleanup_close_ int bdir = openat(st->dirfd, "blobs/sha256", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (bdir < 0)
        return berr_sys(err, errno, "blob store");
    return fs_write_atomic(bdir, hex, data, len, 0600, err);
}

int store_mktemp(struct store *st, bool dir, char **ret_name, struct berr **err)
{
    for (int tries = 0; tries < 100; tries++) {
        uint8_t rnd[8];
        char name[64];
        _cleanup_close_ int ur = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (ur < 0 || read(ur, rnd, sizeof(rnd)) != sizeof(rnd))
            return berr_sys(err, EIO, "random name");
        snprintf(name, sizeof(name), "tmp/%d-%02x%02x%02x%02x%02x%02x%02x%02x", getpid(), rnd[0],
                 rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
        int r;
        if (dir) {
            r = mkdirat(st->dirfd, name, 0700);
        } else {
            r = openat(st->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            if (r >= 0) {
                close(r);
                r = 0;
            }
        }
        if (r == 0) {
            *ret_name = strdup(name);
            return *ret_name ? 0 : -ENOMEM;
        }
        if (errno != EEXIST)
            return berr_sys(err, errno, "staging %s", name);
    }
    return berr_sys(err, EEXIST, "staging");
}

int store_adopt_blob(struct store *st, const char *tmp_name, const char *digest, struct berr **err)
{
    char rel[PATH_MAX];
    if (!valid_digest(digest))
        return berr_set(err, BERR_INVALID, EINVAL, "invalid digest \"%s\"", digest);
    blob_rel(digest, rel);
    if (faccessat(st->dirfd, rel, F_OK, 0) == 0) {
        unlinkat(st->dirfd, tmp_name, 0);
        return 0;
    }
    _cleanup_close_ int fd = openat(st->dirfd, tmp_name, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0)
        return berr_sys(err, errno, "store blob %s", digest);
    if (renameat(st->dirfd, tmp_name, st->dirfd, rel) < 0)
        return berr_sys(err, errno, "store blob %s", digest);
    return 0;
}

int store_open_blob(struct store *st, const char *digest, struct berr **err)
{
    char rel[PATH_MAX];
    if (!valid_digest(digest))
        return berr_set(err, BERR_INVALID, EINVAL, "invalid digest \"%s\"", digest);
    blob_rel(digest, rel);
    int fd = openat(st->dirfd, rel, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return berr_set(err, errno == ENOENT ? BERR_NOT_FOUND : BERR_INTERNAL, errno, "blob %s: %s",
                        digest, strerror(errno));
    return fd;
}

int store_read_blob(struct store *st, const char *digest, char **ret, size_t *ret_len,
                    struct berr **err)
{
    char rel[PATH_MAX];
    if (!valid_digest(digest))
        return berr_set(err, BERR_INVALID, EINVAL, "invalid digest \"%s\"", digest);
    blob_rel(digest, rel);
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    int r = fs_read_fileat(st->dirfd, rel, &buf, &len, err);
    if (r < 0)
        return berr_prefix(err, "blob %s", digest);
    /* small blobs (configs, manifests) are checked on every read: cheap, and a damaged
     * store then says so instead of misbehaving */
    uint8_t d[32];
    char hex[65];
    sha256(buf, len, d);
    sha256_hex(d, hex);
    if (strcmp(hex, digest + 7) != 0)
        return berr_set(err, BERR_INTERNAL, EIO, "blob %s is corrupt (its content hashes to %s)",
                        digest, hex);
    *ret = TAKE_PTR(buf);
    if (ret_len)
        *ret_len = len;
    return 0;
}

static json_t *read_json_blob(struct store *st, const char *digest, struct berr **err)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    if (store_read_blob(st, digest, &buf, &len, err) < 0)
        return NULL;
    json_error_t je;
    json_t *j = json_loadb(buf, len, 0, &je);
    if (!j)
        berr_set(err, BERR_INVALID, EINVAL, "blob %s: invalid JSON: %s", digest, je.text);
    return j;
}

/* ---- layers ---- */

static void chain_of(const char *parent, const char *diff_id, char out[72])
{
    if (!parent) {
        snprintf(out, 72, "%s", diff_id);
        return;
    }
    /* the OCI ChainID: sha256(parent ChainID + " " + DiffID) */
    char buf[160];
    int n = snprintf(buf, sizeof(buf), "%s %s", parent, diff_id);
    uint8_t d[32];
    char hex[65];
    sha256(buf, n, d);
    sha256_hex(d, hex);
    snprintf(out, 72, "sha256:%s", hex);
}

/* l/<first 26 hex of the chain ID> -> ../layers/<chain>/diff: overlay's mount options hold
 * a page at most, and short relative names fit more than 128 layers in it */
static int layer_link(struct store *st, const char *chain, struct berr **err)
{
    char name[64], target[128];
    snprintf(name, sizeof(name), "l/%.26s", chain + 7);
    snprintf(target, sizeof(target), "../layers/%s/diff", chain + 7);
    mkdirat(st->dirfd, "l", 0700);
    if (symlinkat(target, st->dirfd, name) < 0 && errno != EEXIST)
        return berr_sys(err, errno, "link layer %s", chain);
    return 0;
}

void store_layer_short(const char *chain_id, char out[32])
{
    snprintf(out, 32, "l/%.26s", chain_id + 7);
}

char *store_layer_path(struct store *st, const char *chain_id)
{
    char *p = NULL;
    if (asprintf(&p, "%s/layers/%s/diff", st->dir, chain_id + 7) < 0)
        return NULL;
    return p;
}

int store_add_layer(struct store *st, const char *parent_chain, const char *blob_digest,
                    char ret_chain[72], char ret_diff_id[72], uint64_t *ret_size, struct berr **err)
{
    char rel[PATH_MAX];
    /* a blob unpacked before has its DiffID recorded: no need to unpack it to know */
    snprintf(rel, sizeof(rel), "diffids/%s", blob_digest + 7);
    _cleanup_free_ char *known = NULL;
    _cleanup_berr_ struct berr *e = NULL;
    if (fs_read_fileat(st->dirfd, rel, &known, NULL, &e) == 0 && ref_is_digest(known)) {
        chain_of(parent_chain, known, ret_chain);
        char lj[PATH_MAX];
        snprintf(lj, sizeof(lj), "layers/%s/layer.json", ret_chain + 7);
        json_t *meta = NULL;
        _cleanup_free_ char *text = NULL;
        _cleanup_berr_ struct berr *e = NULL;
        if (fs_read_fileat(st->dirfd, lj, &text, NULL, &e) == 0 &&
            (meta = json_loads(text, 0, NULL))) {
            snprintf(ret_diff_id, 72, "%s", known);
            *ret_size = json_integer_value(json_object_get(meta, "size"));
            json_decref(meta);
            return layer_link(st, ret_chain, err);
        }
    }

    _cleanup_close_ int in = store_open_blob(st, blob_digest, err);
    if (in < 0)
        return in;
    /* every owned local is declared before the first goto: cleanup runs on all paths */
    _cleanup_free_ char *tmp = NULL, *mtext = NULL;
    _cleanup_close_ int dfd = -1, tfd = -1, idfd = -1;
    int r = store_mktemp(st, true, &tmp, err);
    if (r < 0)
        return r;
    char diffrel[PATH_MAX];
    snprintf(diffrel, sizeof(diffrel), "%s/diff", tmp);
    struct layer_stats stats = {0};
    if (mkdirat(st->dirfd, diffrel, 0755) < 0 ||
        (dfd = openat(st->dirfd, diffrel, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        r = berr_sys(err, errno, "staging layer");
        goto fail;
    }
    if ((r = layer_apply(in, dfd, &stats, err)) < 0) {
        berr_prefix(err, "layer %s", blob_digest);
        goto fail;
    }
    if (strcmp(stats.blob_digest, blob_digest + 7) != 0) {
        r = berr_set(err, BERR_INVALID, EIO, "layer %s: content does not match its digest",
                     blob_digest);
        goto fail;
    }
    char diff_id[72];
    snprintf(diff_id, sizeof(diff_id), "sha256:%s", stats.diff_id);
    chain_of(parent_chain, diff_id, ret_chain);
    json_t *meta = json_pack("{s:s,s:s,s:s,s:I,s:I}", "chain_id", ret_chain, "diff_id", diff_id,
                             "blob", blob_digest, "size", (json_int_t)stats.size, "tar_size",
                             (json_int_t)stats.tar_size);
    if (parent_chain)
        json_object_set_new(meta, "parent", json_string(parent_chain));
    mtext = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(meta);
    tfd = openat(st->dirfd, tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (tfd < 0 || (r = fs_write_atomic(tfd, "layer.json", mtext, strlen(mtext), 0600, err)) < 0) {
        if (tfd < 0)
            r = berr_sys(err, errno, "staging layer");
        goto fail;
    }
    syncfs(dfd);
    char dest[PATH_MAX];
    snprintf(dest, sizeof(dest), "layers/%s", ret_chain + 7);
    if (renameat(st->dirfd, tmp, st->dirfd, dest) < 0) {
        if (errno != EEXIST && errno != ENOTEMPTY) {
            r = berr_sys(err, errno, "store layer %s", ret_chain);
            goto fail;
        }
        /* someone else unpacked the same chain meanwhile: theirs stays */
        char abs[PATH_MAX];
        snprintf(abs, sizeof(abs), "%s/%s", st->dir, tmp);
        fs_rm_rf(abs);
    }
    if ((r = layer_link(st, ret_chain, err)) < 0)
        goto fail;
    idfd = openat(st->dirfd, "diffids", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (idfd >= 0)
        fs_write_atomic(idfd, blob_digest + 7, diff_id, strlen(diff_id), 0600, &e);
    snprintf(ret_diff_id, 72, "%s", diff_id);
    *ret_size = stats.size;
    return 0;
fail : {
    char abs[PATH_MAX];
    snprintf(abs, sizeof(abs), "%s/%s", st->dir, tmp);
    fs_rm_rf(abs);
    return r;
}
}

/* ---- images ---- */

void image_free(struct image *im)
{
    if (!im)
        return;
    for (char **p = im->layers; p && *p; p++)
        free(*p);
    free(im->layers);
    json_decref(im->config);
    json_decref(im->manifest_json);
    free(im);
}

int store_add_image(struct store *st, const char *manifest_digest, char ret_id[72],
                    struct berr **err)
{
    json_t *m = read_json_blob(st, manifest_digest, err);
    if (!m)
        return berr_code(*err);
    _cleanup_free_ char *text = NULL;
    _cleanup_close_ int idir = -1;
    const char *cfg = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
    json_t *layers = json_object_get(m, "layers");
    int r = 0;
    if (!cfg || !json_is_array(layers)) {
        r = berr_set(err, BERR_INVALID, EINVAL, "manifest %s: no config or layers",
                     manifest_digest);
        goto out;
    }
    json_t *config = read_json_blob(st, cfg, err);
    if (!config) {
        r = berr_code(*err);
        goto out;
    }
    json_t *diff_ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
    if (!json_is_array(diff_ids) || json_array_size(diff_ids) != json_array_size(layers)) {
        json_decref(config);
        r = berr_set(err, BERR_INVALID, EINVAL,
                     "image config %s: rootfs.diff_ids does not match the manifest's layers", cfg);
        goto out;
    }
    json_t *chains = json_array();
    char parent[72] = "";
    uint64_t total = 0;
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l)
    {
        const char *blob = json_string_value(json_object_get(l, "digest"));
        char chain[72], diff_id[72];
        uint64_t size = 0;
        if (!blob) {
            r = berr_set(err, BERR_INVALID, EINVAL, "manifest %s: layers[%zu] has no digest",
                         manifest_digest, i);
            break;
        }
        if ((r = store_add_layer(st, parent[0] ? parent : NULL, blob, chain, diff_id, &size, err)) <
            0)
            break;
        const char *want = json_string_value(json_array_get(diff_ids, i));
        if (!want || strcmp(want, diff_id) != 0) {
            r = berr_set(err, BERR_INVALID, EINVAL,
                         "layer %s: its content (DiffID %s) is not what the config says (%s)", blob,
                         diff_id, want ? want : "none");
            break;
        }
        json_array_append_new(chains, json_string(chain));
        snprintf(parent, sizeof(parent), "%s", chain);
        total += size;
    }
    json_decref(config);
    if (r < 0) {
        json_decref(chains);
        goto out;
    }
    snprintf(ret_id, 72, "%s", cfg);
    json_t *rec = json_pack("{s:s,s:s,s:o,s:I}", "id", cfg, "manifest", manifest_digest, "layers",
                            chains, "size", (json_int_t)total);
    text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(rec);
    idir = openat(st->dirfd, "images", O_PATH | O_DIRECTORY | O_CLOEXEC);
    char name[80];
    snprintf(name, sizeof(name), "%s.json", cfg + 7);
    if (idir < 0)
        r = berr_sys(err, errno, "images");
    else
        r = fs_write_atomic(idir, name, text, strlen(text), 0600, err);
out:
    json_decref(m);
    return r;
}

/* "sha256:" and 64 hex, or the 64 hex alone: the only image IDs that become paths */
static const char *image_hex(const char *id)
{
    const char *hex = id && strncmp(id, "sha256:", 7) == 0 ? id + 7 : id;
    return hex && strlen(hex) == 64 && ref_looks_like_id(hex) ? hex : NULL;
}

struct image *store_get_image(struct store *st, const char *id, struct berr **err)
{
    if (!image_hex(id)) {
        berr_set(err, BERR_NOT_FOUND, ENOENT, "image %.80s not found: not an image ID", id);
        return NULL;
    }
    char rel[PATH_MAX];
    snprintf(rel, sizeof(rel), "images/%s.json", strncmp(id, "sha256:", 7) == 0 ? id + 7 : id);
    _cleanup_free_ char *text = NULL;
    _cleanup_berr_ struct berr *e = NULL;
    if (fs_read_fileat(st->dirfd, rel, &text, NULL, &e) < 0) {
        berr_set(err, BERR_NOT_FOUND, ENOENT, "image \"%s\" not found", id);
        return NULL;
    }
    json_t *rec = json_loads(text, 0, NULL);
    if (!rec) {
        berr_set(err, BERR_INTERNAL, EIO, "image %s: damaged record", id);
        return NULL;
    }
    struct image *im = calloc(1, sizeof(*im));
    snprintf(im->id, sizeof(im->id), "%s", json_string_value(json_object_get(rec, "id")));
    snprintf(im->manifest, sizeof(im->manifest), "%s",
             json_string_value(json_object_get(rec, "manifest")));
    im->size = json_integer_value(json_object_get(rec, "size"));
    json_t *layers = json_object_get(rec, "layers");
    im->layers = calloc(json_array_size(layers) + 1, sizeof(char *));
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l) im->layers[i] = strdup(json_string_value(l));
    json_decref(rec);
    if (!(im->config = read_json_blob(st, im->id, err)) ||
        !(im->manifest_json = read_json_blob(st, im->manifest, err))) {
        image_free(im);
        return NULL;
    }
    return im;
}

json_t *store_image_ids(struct store *st)
{
    json_t *a = json_array();
    _cleanup_close_ int fd = openat(st->dirfd, "images", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(TAKE_FD(fd)) : NULL;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n != 64 + 5 || strcmp(de->d_name + 64, ".json") != 0)
            continue;
        char id[72];
        snprintf(id, sizeof(id), "sha256:%.64s", de->d_name);
        json_array_append_new(a, json_string(id));
    }
    if (d)
        closedir(d);
    return a;
}

/* ---- names ---- */

json_t *store_names(struct store *st)
{
    _cleanup_free_ char *text = NULL;
    json_t *j = NULL;
    _cleanup_berr_ struct berr *e = NULL;
    if (fs_read_fileat(st->dirfd, "repositories.json", &text, NULL, &e) == 0)
        j = json_loads(text, 0, NULL);
    json_t *names = j ? json_incref(json_object_get(j, "names")) : NULL;
    json_decref(j);
    return names && json_is_object(names) ? names : (json_decref(names), json_object());
}

static int save_names(struct store *st, json_t *names, struct berr **err)
{
    json_t *j = json_pack("{s:O}", "names", names);
    _cleanup_free_ char *text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
    json_decref(j);
    return fs_write_atomic(st->dirfd, "repositories.json", text, strlen(text), 0600, err);
}

json_t *store_image_names(struct store *st, const char *id)
{
    json_t *names = store_names(st), *out = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(names, k, v) if (strcmp(json_string_value(v), id) == 0)
        json_array_append_new(out, json_string(k));
    json_decref(names);
    return out;
}

int store_tag(struct store *st, const char *id, const char *name, struct berr **err)
{
    struct ref *r = ref_parse(name, err);
    if (!r)
        return berr_code(*err);
    _cleanup_free_ char *full = ref_string(r);
    bool digest_only = r->digest != NULL;
    ref_free(r);
    if (digest_only)
        return berr_set(err, BERR_INVALID, EINVAL,
                        "cannot tag with a digest reference \"%s\": use a tag", name);
    int ret = store_lock(st, err);
    if (ret < 0)
        return ret;
    json_t *names = store_names(st);
    json_object_set_new(names, full, json_string(id));
    ret = save_names(st, names, err);
    json_decref(names);
    return ret;
}

int store_untag(struct store *st, const char *name, struct berr **err)
{
    struct ref *r = ref_parse(name, err);
    if (!r)
        return berr_code(*err);
    _cleanup_free_ char *full = ref_string(r);
    ref_free(r);
    int ret = store_lock(st, err);
    if (ret < 0)
        return ret;
    json_t *names = store_names(st);
    if (!json_object_get(names, full)) {
        json_decref(names);
        return berr_set(err, BERR_NOT_FOUND, ENOENT, "image \"%s\" not found", name);
    }
    json_object_del(names, full);
    ret = save_names(st, names, err);
    json_decref(names);
    return ret;
}

struct image *store_find_image(struct store *st, const char *what, struct berr **err)
{
    /* a name first (docker's order: "abc" may be both), then an ID or unique prefix */
    struct berr *perr = NULL;
    struct ref *r = ref_parse(what, &perr);
    if (r) {
        _cleanup_free_ char *full = ref_string(r);
        ref_free(r);
        json_t *names = store_names(st);
        const char *id = json_string_value(json_object_get(names, full));
        struct image *im = id ? store_get_image(st, id, err) : NULL;
        json_decref(names);
        if (im || id)
            return im;
    }
    if (ref_looks_like_id(what)) {
        const char *hex = strncmp(what, "sha256:", 7) == 0 ? what + 7 : what;
        json_t *ids = store_image_ids(st);
        const char *found = NULL;
        int matches = 0;
        size_t i;
        json_t *v;
        json_array_foreach(ids, i, v)
        {
            if (strncmp(json_string_value(v) + 7, hex, strlen(hex)) == 0) {
                found = json_string_value(v);
                matches++;
            }
        }
        struct image *im = NULL;
        if (matches == 1)
            im = store_get_image(st, found, err);
        else if (matches > 1)
            berr_set(err, BERR_INVALID, EINVAL,
                     "image ID prefix \"%s\" is ambiguous: %d images match", what, matches);
        json_decref(ids);
        if (matches) {
            berr_free(perr);
            return im;
        }
    }
    if (!r && perr) {
        *err = perr;
        return NULL;
    }
    berr_free(perr);
    berr_set(err, BERR_NOT_FOUND, ENOENT, "image \"%s\" not found", what);
    return NULL;
}

/* ---- removal ---- */

int store_remove_image(struct store *st, const char *id, struct berr **err)
{
    if (!ref_is_digest(id))
        return berr_set(err, BERR_INVALID, EINVAL, "remove image %.80s: not an image ID", id);
    int r = store_lock(st, err);
    if (r < 0)
        return r;
    char rel[PATH_MAX];
    snprintf(rel, sizeof(rel), "images/%s.json", id + 7);
    if (unlinkat(st->dirfd, rel, 0) < 0 && errno != ENOENT)
        return berr_sys(err, errno, "remove image %s", id);
    return store_gc(st, err);
}

static void mark(json_t *set, const char *s)
{
    if (s)
        json_object_set_new(set, s, json_true());
}

int store_gc(struct store *st, struct berr **err)
{
    int r = store_lock(st, err);
    if (r < 0)
        return r;
    /* what the remaining images use */
    json_t *keep_layers = json_object(), *keep_blobs = json_object();
    json_t *ids = store_image_ids(st);
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        struct berr *e = NULL;
        struct image *im = store_get_image(st, json_string_value(v), &e);
        berr_free(e);
        if (!im)
            continue;
        mark(keep_blobs, im->id);
        mark(keep_blobs, im->manifest);
        for (char **l = im->layers; *l; l++)
            mark(keep_layers, *l + 7);
        size_t k;
        json_t *ld;
        json_array_foreach(json_object_get(im->manifest_json, "layers"), k, ld)
            mark(keep_blobs, json_string_value(json_object_get(ld, "digest")));
        image_free(im);
    }
    json_decref(ids);
    /* layers: renamed into tmp/ first, so a half-removed layer is never visible */
    _cleanup_close_ int lfd = openat(st->dirfd, "layers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = lfd >= 0 ? fdopendir(TAKE_FD(lfd)) : NULL;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.' || json_object_get(keep_layers, de->d_name))
            continue;
        _cleanup_free_ char *tmp = NULL;
        char from[PATH_MAX], abs[PATH_MAX];
        snprintf(from, sizeof(from), "layers/%s", de->d_name);
        _cleanup_berr_ struct berr *e = NULL;
        if (store_mktemp(st, true, &tmp, &e) < 0)
            continue;
        unlinkat(st->dirfd, tmp, AT_REMOVEDIR);
        if (renameat(st->dirfd, from, st->dirfd, tmp) == 0) {
            snprintf(abs, sizeof(abs), "%s/%s", st->dir, tmp);
            fs_rm_rf(abs);
            char link[64];
            snprintf(link, sizeof(link), "l/%.26s", de->d_name);
            unlinkat(st->dirfd, link, 0);
        }
    }
    if (d)
        closedir(d);
    _cleanup_close_ int bfd = openat(st->dirfd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    d = bfd >= 0 ? fdopendir(TAKE_FD(bfd)) : NULL;
    while (d && (de = readdir(d))) {
        char dg[sizeof("sha256:") + sizeof(de->d_name)];
        if (de->d_name[0] == '.')
            continue;
        snprintf(dg, sizeof(dg), "sha256:%s", de->d_name);
        if (!json_object_get(keep_blobs, dg)) {
            unlinkat(dirfd(d), de->d_name, 0);
            char idrel[PATH_MAX];
            snprintf(idrel, sizeof(idrel), "diffids/%s", de->d_name);
            unlinkat(st->dirfd, idrel, 0);
        }
    }
    if (d)
        closedir(d);
    json_decref(keep_layers);
    json_decref(keep_blobs);
    /* staging left by a killed writer: every writer stages under the lock we hold, so
     * whatever is in tmp/ now belongs to no one */
    _cleanup_close_ int tfd = openat(st->dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    d = tfd >= 0 ? fdopendir(TAKE_FD(tfd)) : NULL;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.' || st->keep_tmp)
            continue;
        char abs[PATH_MAX];
        snprintf(abs, sizeof(abs), "%s/tmp/%s", st->dir, de->d_name);
        fs_rm_rf(abs);
    }
    if (d)
        closedir(d);
    return 0;
}

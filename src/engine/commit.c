/* commit.c - a container's upper dir made the top layer of a new image */
#include "engine/commit.h"
#include "engine/containers.h"
#include "engine/engine.h"
#include "base/cleanup.h"
#include "base/xalloc.h"
#include "image/change.h"
#include "image/layer.h"
#include "image/reference.h"
#include "image/store.h"
#include "runtime/container.h"
#include "runtime/state.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The record keeps the image's Cmd and Entrypoint, and the command the container ran as
 * Path and Args; docker commits the container's own, so they are taken apart again: what
 * follows the image's Entrypoint is the Cmd, and a command that does not start with it
 * had its entrypoint replaced (--entrypoint) by its first word. */
static void split_command(json_t *cfg, json_t *rec)
{
    json_t *argv = json_array();
    const char *path = json_string_value(json_object_get(rec, "Path"));
    if (path)
        json_array_append_new(argv, json_string(path));
    json_array_extend(argv, json_object_get(rec, "Args"));
    json_t *ep = json_object_get(json_object_get(rec, "Config"), "Entrypoint");
    size_t n_ep = json_array_size(ep), skip = 0;
    if (n_ep > 0) {
        bool same = n_ep <= json_array_size(argv);
        for (size_t i = 0; same && i < n_ep; i++)
            same = json_equal(json_array_get(ep, i), json_array_get(argv, i));
        skip = same ? n_ep : 1;
        json_t *nep = json_array();
        for (size_t i = 0; i < skip && i < json_array_size(argv); i++)
            json_array_append(nep, json_array_get(argv, i));
        json_object_set_new(cfg, "Entrypoint", nep);
    } else {
        json_object_set_new(cfg, "Entrypoint", json_null());
    }
    json_t *cmd = json_array();
    for (size_t i = skip; i < json_array_size(argv); i++)
        json_array_append(cmd, json_array_get(argv, i));
    json_object_set_new(cfg, "Cmd", json_array_size(cmd) ? cmd : json_null());
    if (!json_array_size(cmd))
        json_decref(cmd);
    json_decref(argv);
}

int ctr_commit_config(json_t *image_config, json_t *rec, const char *const *changes, json_t **ret,
                      struct berr **err)
{
    json_t *ic = json_object_get(image_config, "config");
    _cleanup_(json_decrefp) json_t *cfg = json_is_object(ic) ? json_deep_copy(ic) : json_object();
    json_t *rc = json_object_get(rec, "Config");
    if (json_object_get(rec, "Path"))
        split_command(cfg, rec);
    if (json_is_array(json_object_get(rc, "Env")))
        json_object_set_new(cfg, "Env", json_deep_copy(json_object_get(rc, "Env")));
    /* empty in the record: the container ran with the image's */
    static const char *const strs[] = {"WorkingDir", "User", "StopSignal"};
    for (size_t i = 0; i < sizeof(strs) / sizeof(*strs); i++) {
        const char *v = json_string_value(json_object_get(rc, strs[i]));
        if (v && v[0])
            json_object_set_new(cfg, strs[i], json_string(v));
    }
    json_t *labels = json_object_get(rc, "Labels");
    if (json_object_size(labels)) {
        json_t *l = json_object_get(cfg, "Labels");
        if (!json_is_object(l))
            json_object_set_new(cfg, "Labels", l = json_object());
        json_object_update(l, labels);
    }
    for (const char *const *c = changes; c && *c; c++)
        if (image_config_change(cfg, *c, err) < 0)
            return -1;
    *ret = TAKE_PTR(cfg);
    return 0;
}

/* Writes the upper dir as a layer blob staged in the store's tmp/ (*ret_tmp). */
static int diff_upper(struct store *st, const char *dir, char **ret_tmp, struct layer_stats *ret,
                      struct berr **err)
{
    _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
    _cleanup_close_ int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (ufd < 0)
        return berr_sys(err, errno, "open %s", upper);
    _cleanup_free_ char *tmp = NULL;
    if (store_mktemp(st, false, &tmp, err) < 0)
        return -1;
    _cleanup_close_ int out = openat(st->dirfd, tmp, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (out < 0 || layer_diff(ufd, out, LAYER_COMPRESSION_NONE, ret, err) < 0) {
        if (out < 0)
            berr_sys(err, errno, "open %s/%s", st->dir, tmp);
        unlinkat(st->dirfd, tmp, 0);
        return -1;
    }
    *ret_tmp = TAKE_PTR(tmp);
    return 0;
}

/* "sh -c echo hi": docker's created_by for a commit, the container's Cmd */
static char *created_by(json_t *cfg)
{
    char *s = xstrdup("");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(cfg, "Cmd"), i, v)
    {
        char *n = xasprintf("%s%s%s", s, i ? " " : "", json_string_value(v) ?: "");
        free(s);
        s = n;
    }
    return s;
}

int ctr_commit(struct engine *e, const char *ref, const struct ctr_commit_opts *o, char ret_id[72],
               struct berr **err)
{
    _cleanup_ctr_ struct ctr *c = ctr_open(e, ref, err);
    if (!c)
        return berr_code(*err);
    const char *root = e->root, *id = c->id;
    json_t *rec = c->rec;
    if (o->reference) {
        struct ref *r = ref_parse(o->reference, err);
        if (!r)
            return -1;
        ref_free(r);
    }
    const char *image_id = json_string_value(json_object_get(rec, "Image"));
    if (!image_id)
        return berr_set(err, BERR_INTERNAL, EINVAL, "container %.12s: its record has no image", id);
    _cleanup_store_ struct store *st = store_open(root, err);
    if (!st)
        return -1;
    _cleanup_image_ struct image *im = store_get_image(st, image_id, err);
    if (!im)
        return berr_prefix(err, "container %.12s", id);
    _cleanup_(json_decrefp) json_t *cfg = NULL;
    if (ctr_commit_config(im->config, rec, o->changes, &cfg, err) < 0)
        return -1;

    /* one writer at a time: an rmi's garbage collection must not see the new blob and
     * layer before the image that uses them is recorded */
    if (store_lock(st, err) < 0)
        return -1;
    json_t *state = json_object_get(rec, "State");
    bool freeze = o->pause && json_is_true(json_object_get(state, "Running")) &&
                  !json_is_true(json_object_get(state, "Paused"));
    const char *rtroot = e->rtroot;
    if (freeze && rt_pause(rtroot, id, true, err) < 0)
        return berr_prefix(err, "commit: pause %.12s", id);
    const char *dir = c->dir;
    _cleanup_free_ char *tmp = NULL;
    struct layer_stats ls = {0};
    int r = diff_upper(st, dir, &tmp, &ls, err);
    if (freeze) {
        /* thawed whatever happened: a commit never leaves a container frozen */
        _cleanup_berr_ struct berr *e2 = NULL;
        if (rt_pause(rtroot, id, false, &e2) < 0 && r == 0) {
            unlinkat(st->dirfd, tmp, 0);
            *err = TAKE_PTR(e2);
            return berr_prefix(err, "commit: unpause %.12s", id);
        }
    }
    if (r < 0)
        return berr_prefix(err, "commit %.12s", id);

    /* a container that changed nothing adds a history entry but no layer, as docker does */
    bool empty = ls.entries == 0;
    char blob[72] = "", chain[72], diff_id[72];
    if (empty) {
        unlinkat(st->dirfd, tmp, 0);
    } else {
        size_t n = 0;
        while (im->layers[n])
            n++;
        uint64_t size = 0;
        snprintf(blob, sizeof(blob), "sha256:%s", ls.blob_digest);
        if (store_adopt_blob(st, tmp, blob, err) < 0)
            return -1;
        if (store_add_layer(st, n ? im->layers[n - 1] : NULL, blob, chain, diff_id, &size, err) <
            0) {
            _cleanup_berr_ struct berr *e = NULL;
            store_gc(st, &e);
            return berr_prefix(err, "commit %.12s", id);
        }
    }

    char created[64];
    rt_now_rfc3339(created, sizeof(created));
    _cleanup_(json_decrefp) json_t *config = json_deep_copy(im->config);
    _cleanup_free_ char *by = created_by(cfg);
    json_t *h = json_pack("{s:s,s:s}", "created", created, "created_by", by);
    if (o->author && o->author[0]) {
        json_object_set_new(h, "author", json_string(o->author));
        json_object_set_new(config, "author", json_string(o->author));
    } else {
        json_object_del(config, "author");
    }
    if (o->message && o->message[0]) {
        json_object_set_new(h, "comment", json_string(o->message));
        json_object_set_new(config, "comment", json_string(o->message));
    } else {
        json_object_del(config, "comment");
    }
    if (empty)
        json_object_set_new(h, "empty_layer", json_true());
    json_t *history = json_object_get(config, "history");
    if (!json_is_array(history))
        json_object_set_new(config, "history", history = json_array());
    json_array_append_new(history, h);
    json_object_set_new(config, "created", json_string(created));
    json_object_set_new(config, "container", json_string(id));
    json_object_set(config, "config", cfg);
    json_t *rootfs = json_object_get(config, "rootfs");
    if (!json_is_object(rootfs))
        json_object_set_new(config, "rootfs", rootfs = json_pack("{s:s}", "type", "layers"));
    json_t *diff_ids = json_object_get(rootfs, "diff_ids");
    if (!json_is_array(diff_ids))
        json_object_set_new(rootfs, "diff_ids", diff_ids = json_array());
    if (!empty)
        json_array_append_new(diff_ids, json_string(diff_id));

    _cleanup_free_ char *ctext = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
    char cdigest[72], mdigest[72], nid[72];
    if (store_put_blob(st, ctext, strlen(ctext), cdigest, err) < 0)
        return -1;
    _cleanup_(json_decrefp) json_t *manifest = json_deep_copy(im->manifest_json);
    if (!json_is_object(manifest)) {
        json_decref(manifest);
        manifest = json_pack("{s:i,s:s}", "schemaVersion", 2, "mediaType",
                             "application/vnd.oci.image.manifest.v1+json");
    }
    json_object_set_new(manifest, "config",
                        json_pack("{s:s,s:s,s:I}", "mediaType",
                                  "application/vnd.oci.image.config.v1+json", "digest", cdigest,
                                  "size", (json_int_t)strlen(ctext)));
    json_t *layers = json_object_get(manifest, "layers");
    if (!json_is_array(layers))
        json_object_set_new(manifest, "layers", layers = json_array());
    if (!empty)
        json_array_append_new(layers, json_pack("{s:s,s:s,s:I}", "mediaType",
                                                "application/vnd.oci.image.layer.v1.tar", "digest",
                                                blob, "size", (json_int_t)ls.blob_size));
    _cleanup_free_ char *mtext = json_dumps(manifest, JSON_COMPACT | JSON_SORT_KEYS);
    if (store_put_blob(st, mtext, strlen(mtext), mdigest, err) < 0 ||
        store_add_image(st, mdigest, nid, err) < 0)
        return berr_prefix(err, "commit %.12s", id);
    if (o->reference && store_tag(st, nid, o->reference, err) < 0)
        return -1;
    memcpy(ret_id, nid, sizeof(nid));
    return 0;
}

/* changes.c - a container's changes: its overlay upper dir read against its image's layers */
#include "engine/changes.h"
#include "engine/containers.h"
#include "engine/engine.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include "image/store.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define OVL_OPAQUE_XATTR "trusted.overlay.opaque"

const char *ctr_change_letter(int kind)
{
    switch (kind) {
    case CTR_CHANGE_MODIFIED: return "C";
    case CTR_CHANGE_ADDED: return "A";
    case CTR_CHANGE_DELETED: return "D";
    default: return "?";
    }
}

static bool is_whiteout(const struct stat *s)
{
    return S_ISCHR(s->st_mode) && major(s->st_rdev) == 0 && minor(s->st_rdev) == 0;
}

static bool is_opaque(int dirfd_)
{
    char v[2];
    return fgetxattr(dirfd_, OVL_OPAQUE_XATTR, v, sizeof(v)) == 1 && v[0] == 'y';
}

enum lookup { LOOKUP_ABSENT, LOOKUP_PRESENT, LOOKUP_NOT_HERE };

/* rel ("etc/passwd") in one layer dir: present, absent for good (a whiteout of it or of a
 * directory above it, a non-directory above it, an opaque directory above it without it),
 * or not in this layer (look in the ones below). Component by component with O_NOFOLLOW:
 * a symlink in a layer is a name like any other, never a way out of it. */
static enum lookup layer_lookup(int layer_fd, const char *rel, struct stat *ret)
{
    _cleanup_free_ char *copy = xstrdup(rel);
    _cleanup_close_ int owned = -1;
    int cur = layer_fd;
    bool opaque = false;
    char *comp = copy, *slash;
    struct stat s;
    while ((slash = strchr(comp, '/'))) {
        *slash = 0;
        if (fstatat(cur, comp, &s, AT_SYMLINK_NOFOLLOW) < 0)
            return opaque ? LOOKUP_ABSENT : LOOKUP_NOT_HERE;
        if (is_whiteout(&s) || !S_ISDIR(s.st_mode))
            return LOOKUP_ABSENT;
        int fd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return LOOKUP_NOT_HERE;
        opaque = opaque || is_opaque(fd);
        if (owned >= 0)
            close(owned);
        cur = owned = fd;
        comp = slash + 1;
    }
    if (fstatat(cur, comp, &s, AT_SYMLINK_NOFOLLOW) < 0)
        return opaque ? LOOKUP_ABSENT : LOOKUP_NOT_HERE;
    if (is_whiteout(&s))
        return LOOKUP_ABSENT;
    *ret = s;
    return LOOKUP_PRESENT;
}

struct walk {
    const int *lower;
    size_t n_lower;
    json_t *out;     /* the changes, in walk order */
    json_t *changed; /* directories recorded already (a set: path -> true) */
};

/* Whether the image's layers have rel (*ret: what they have). */
static bool in_lower(const struct walk *w, const char *rel, struct stat *ret)
{
    for (size_t i = 0; i < w->n_lower; i++) {
        enum lookup l = layer_lookup(w->lower[i], rel, ret);
        if (l != LOOKUP_NOT_HERE)
            return l == LOOKUP_PRESENT;
    }
    return false;
}

static void record(struct walk *w, const char *path, int kind)
{
    json_array_append_new(w->out, json_pack("{s:s,s:i}", "Path", path, "Kind", kind));
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool dir_is_empty(int parent, const char *name)
{
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return false;
    }
    struct dirent *de;
    bool empty = true;
    while (empty && (de = readdir(d)))
        empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
    closedir(d);
    return empty;
}

/* path: "" for the root, else "/a/b"; hidden: an opaque directory above hides the layers */
static int walk_dir(struct walk *w, int dfd, const char *path, bool hidden, int depth,
                    struct berr **err)
{
    if (depth > 4096)
        return berr_set(err, BERR_INVALID, ELOOP, "%s: directories nested too deep", path);
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return berr_sys(err, errno, "read %s", path[0] ? path : "/");
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        names = xreallocarray(names, n + 1, sizeof(*names));
        names[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), cmp_names);

    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        _cleanup_free_ char *child = xasprintf("%s/%s", path, names[i]);
        struct stat s, ls = {0};
        if (fstatat(dfd, names[i], &s, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT) /* gone while we read: a running container's */
                continue;
            r = berr_sys(err, errno, "stat %s", child);
            break;
        }
        bool dir = S_ISDIR(s.st_mode);
        /* the runtime's mount points, made in an image without them: docker's init layer */
        if (!path[0] && dir &&
            (!strcmp(names[i], "proc") || !strcmp(names[i], "sys") || !strcmp(names[i], "dev")) &&
            dir_is_empty(dfd, names[i]))
            continue;
        _cleanup_close_ int cfd =
            dir ? openat(dfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
        if (dir && cfd < 0) {
            if (errno == ENOENT)
                continue;
            r = berr_sys(err, errno, "open %s", child);
            break;
        }
        bool opaque = dir && is_opaque(cfd);
        bool lower = !hidden && in_lower(w, child + 1, &ls);
        int kind = -1;
        if (is_whiteout(&s) || opaque)
            kind = lower ? CTR_CHANGE_DELETED : opaque ? CTR_CHANGE_ADDED : -1;
        else if (!lower)
            kind = CTR_CHANGE_ADDED;
        else if (!(dir && S_ISDIR(ls.st_mode) && s.st_mode == ls.st_mode &&
                   s.st_mtim.tv_sec == ls.st_mtim.tv_sec &&
                   s.st_mtim.tv_nsec == ls.st_mtim.tv_nsec))
            kind = CTR_CHANGE_MODIFIED;
        /* what was added to or deleted from a directory changed it, whatever its mtime says */
        if ((kind == CTR_CHANGE_ADDED || kind == CTR_CHANGE_DELETED) && path[0] &&
            !json_object_get(w->changed, path)) {
            record(w, path, CTR_CHANGE_MODIFIED);
            json_object_set_new(w->changed, path, json_true());
        }
        if (kind >= 0) {
            record(w, child, kind);
            if (dir)
                json_object_set_new(w->changed, child, json_true());
        }
        if (dir)
            r = walk_dir(w, cfd, child, hidden || opaque, depth + 1, err);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return r;
}

static int cmp_paths(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "Path")),
                  json_string_value(json_object_get(*(json_t *const *)b, "Path")));
}

/* docker sorts its changes by path (a parent recorded late, for its child, moves up) */
static json_t *sorted(json_t *changes)
{
    size_t n = json_array_size(changes);
    json_t **v = xcalloc(n ? n : 1, sizeof(*v));
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(changes, i));
    if (n)
        qsort(v, n, sizeof(*v), cmp_paths);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, v[i]);
    free(v);
    json_decref(changes);
    return out;
}

int changes_compute(int upper_fd, const int *lower_fds, size_t n_lower, json_t **ret,
                    struct berr **err)
{
    struct walk w = {
        .lower = lower_fds, .n_lower = n_lower, .out = json_array(), .changed = json_object()};
    int r = walk_dir(&w, upper_fd, "", false, 0, err);
    json_decref(w.changed);
    if (r < 0) {
        json_decref(w.out);
        return r;
    }
    *ret = sorted(w.out);
    return 0;
}

int ctr_changes(struct engine *e, const char *ref, json_t **ret, struct berr **err)
{
    _cleanup_ctr_ struct ctr *c = ctr_open(e, ref, err);
    if (!c)
        return berr_code(*err);
    const char *root = e->root, *id = c->id, *dir = c->dir;
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return errno == ENOENT ? berr_set(err, BERR_NOT_FOUND, ENOENT, "no such container: %s", id)
                               : berr_sys(err, errno, "open %s", dir);
    _cleanup_free_ char *image = NULL;
    if (fs_read_fileat(dfd, "image", &image, NULL, err) < 0)
        return berr_prefix(err, "container %.12s", id);
    _cleanup_store_ struct store *st = store_open(root, err);
    if (!st)
        return -1;
    _cleanup_image_ struct image *im = store_get_image(st, image, err);
    if (!im)
        return berr_prefix(err, "container %.12s", id);
    size_t n = 0;
    while (im->layers[n])
        n++;
    _cleanup_free_ int *lower = xcalloc(n ? n : 1, sizeof(int));
    int r = 0;
    for (size_t i = 0; i < n; i++)
        lower[i] = -1;
    for (size_t i = 0; i < n && r == 0; i++) {
        _cleanup_free_ char *p = store_layer_path(st, im->layers[n - 1 - i]);
        lower[i] = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (lower[i] < 0)
            r = berr_sys(err, errno, "open layer %s", p);
    }
    _cleanup_close_ int upper = -1;
    if (r == 0) {
        upper = openat(dfd, "upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (upper < 0)
            r = berr_sys(err, errno, "open %s/upper", dir);
    }
    if (r == 0)
        r = changes_compute(upper, lower, n, ret, err);
    for (size_t i = 0; i < n; i++)
        if (lower[i] >= 0)
            close(lower[i]);
    return r;
}

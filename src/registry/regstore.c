/* regstore.c - the registry server's storage (layout and rules in regstore.h) */
#include "registry/regstore.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "base/cleanup.h"
#include "base/digest.h"
#include "base/fs.h"
#include "base/xalloc.h"

/* ---- validation ---- */

static bool is_alnum_lower(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* ; returns its length, 0 if bad. */
static size_t component_len(const char *p)
{
    size_t i = 0;
    if (!is_alnum_lower(p[i]))
        return 0;
    for (;;) {
        while (is_alnum_lower(p[i]))
            i++;
        if (p[i] == '.' || (p[i] == '_' && p[i + 1] != '_')) {
            i++;
        } else if (p[i] == '_' && p[i + 1] == '_') {
            i += 2;
        } else if (p[i] == '-') {
            while (p[i] == '-')
                i++;
        } else {
            return i;
        }
        if (!is_alnum_lower(p[i]))
            return 0; /* a separator must be followed by an alphanumeric */
    }
}

bool regstore_name_valid(const char *name)
{
    if (!name || strlen(name) > 255)
        return false;
    const char *p = name;
    for (;;) {
        size_t n = component_len(p);
        if (n == 0)
            return false;
        p += n;
        if (*p == '\0')
            return true;
        if (*p != '/')
            return false;
        p++;
    }
}

bool regstore_tag_valid(const char *tag)
{
    if (!tag || !*tag || strlen(tag) > 128)
        return false;
    for (const char *p = tag; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || (p > tag && (c == '.' || c == '-'));
        if (!ok)
            return false;
    }
    return true;
}

static bool hex_valid(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return s[n] == '\0';
}

bool regstore_digest_valid(const char *digest)
{
    return digest && strncmp(digest, "sha256:", 7) == 0 && hex_valid(digest + 7, 64);
}

bool regstore_upload_id_valid(const char *id)
{
    return id && hex_valid(id, REGSTORE_ID_LEN);
}

/* ---- files ---- */

static char *path(struct regstore *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *path(struct regstore *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    _cleanup_free_ char *rel = NULL;
    if (vasprintf(&rel, fmt, ap) < 0)
        oom_abort();
    va_end(ap);
    return xasprintf("%s/%s", s->root, rel);
}

static int mkparent(const char *p)
{
    _cleanup_free_ char *dir = xstrdup(p);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    return fs_mkdir_p(dir, 0755);
}

/* Writes a small file atomically: a temp name unique to this thread and call, then rename;
 * the server's threads may write the same name at once (two pushes of one tag). */
static int write_small(const char *p, const void *data, size_t len, struct berr **err)
{
    static atomic_ulong seq;
    int r = mkparent(p);
    if (r < 0)
        return berr_sys(err, -r, "create the directory of %s", p);
    _cleanup_free_ char *tmp = xasprintf("%s.tmp.%d.%lu", p, getpid(), atomic_fetch_add(&seq, 1));
    _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return berr_sys(err, errno, "create %s", tmp);
    r = fs_write_all(fd, data, len);
    if (r < 0 || fsync(fd) < 0 || rename(tmp, p) < 0) {
        int e = r < 0 ? -r : errno;
        unlink(tmp);
        return berr_sys(err, e, "write %s", p);
    }
    return 0;
}

/* The shared (writers) or exclusive (gc) lock on the store; returns the fd holding it. */
static int store_lock(struct regstore *s, int op, struct berr **err)
{
    _cleanup_free_ char *p = path(s, ".lock");
    _cleanup_close_ int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return berr_sys(err, errno, "open %s", p);
    while (flock(fd, op) < 0)
        if (errno != EINTR)
            return berr_sys(err, errno, "lock %s", p);
    return TAKE_FD(fd);
}

int regstore_open(const char *root, struct regstore **ret, struct berr **err)
{
    static const char *dirs[] = {"blobs/sha256", "uploads", "repositories"};
    for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
        _cleanup_free_ char *p = xasprintf("%s/%s", root, dirs[i]);
        int r = fs_mkdir_p(p, 0755);
        if (r < 0)
            return berr_sys(err, -r, "create %s", p);
    }
    struct regstore *s = xcalloc(1, sizeof(*s));
    s->root = xstrdup(root);
    *ret = s;
    return 0;
}

void regstore_free(struct regstore *s)
{
    if (!s)
        return;
    free(s->root);
    free(s);
}

static bool exists(const char *p)
{
    return access(p, F_OK) == 0;
}

bool regstore_repo_exists(struct regstore *s, const char *name)
{
    _cleanup_free_ char *p = path(s, "repositories/%s", name);
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- blobs ---- */

static bool blob_linked(struct regstore *s, const char *name, const char *digest)
{
    _cleanup_free_ char *p = path(s, "repositories/%s/_layers/sha256/%s", name, digest + 7);
    return exists(p);
}

static int blob_link(struct regstore *s, const char *name, const char *digest, struct berr **err)
{
    _cleanup_free_ char *p = path(s, "repositories/%s/_layers/sha256/%s", name, digest + 7);
    if (exists(p))
        return 0;
    return write_small(p, digest, strlen(digest), err);
}

int regstore_blob_open(struct regstore *s, const char *name, const char *digest, int *ret_fd,
                       off_t *ret_size, struct berr **err)
{
    /* a repository's blobs are the ones linked to it, or manifests it holds */
    _cleanup_free_ char *rev =
        path(s, "repositories/%s/_manifests/revisions/sha256/%s", name, digest + 7);
    if (!blob_linked(s, name, digest) && !exists(rev))
        return berr_set(err, BERR_NOT_FOUND, ENOENT, "blob %s unknown to %s", digest, name);
    _cleanup_free_ char *p = path(s, "blobs/sha256/%s", digest + 7);
    _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return berr_set(err, BERR_NOT_FOUND, ENOENT, "blob %s unknown", digest);
        return berr_sys(err, errno, "open %s", p);
    }
    struct stat st;
    if (fstat(fd, &st) < 0)
        return berr_sys(err, errno, "stat %s", p);
    *ret_size = st.st_size;
    *ret_fd = TAKE_FD(fd);
    return 0;
}

int regstore_blob_mount(struct regstore *s, const char *name, const char *from, const char *digest,
                        struct berr **err)
{
    _cleanup_free_ char *blob = path(s, "blobs/sha256/%s", digest + 7);
    if (!blob_linked(s, from, digest) || !exists(blob))
        return berr_set(err, BERR_NOT_FOUND, ENOENT, "blob %s unknown to %s", digest, from);
    _cleanup_close_ int lock = store_lock(s, LOCK_SH, err);
    if (lock < 0)
        return lock;
    return blob_link(s, name, digest, err);
}

int regstore_blob_delete(struct regstore *s, const char *name, const char *digest,
                         struct berr **err)
{
    _cleanup_free_ char *p = path(s, "repositories/%s/_layers/sha256/%s", name, digest + 7);
    if (unlink(p) < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return berr_set(err, BERR_NOT_FOUND, ENOENT, "blob %s unknown to %s", digest, name);
        return berr_sys(err, errno, "remove %s", p);
    }
    return 0;
}

/* ---- uploads ---- */

int regstore_upload_new(struct regstore *s, const char *name, char ret_id[REGSTORE_ID_LEN + 1],
                        struct berr **err)
{
    unsigned char rnd[REGSTORE_ID_LEN / 2];
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        return berr_sys(err, errno, "getrandom");
    char id[REGSTORE_ID_LEN + 1];
    for (size_t i = 0; i < sizeof(rnd); i++)
        snprintf(id + 2 * i, 3, "%02x", rnd[i]);
    _cleanup_free_ char *dir = path(s, "uploads/%s", id);
    if (mkdir(dir, 0755) < 0)
        return berr_sys(err, errno, "create %s", dir);
    _cleanup_free_ char *data = path(s, "uploads/%s/data", id);
    _cleanup_close_ int fd = open(data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    _cleanup_free_ char *repo = path(s, "uploads/%s/repo", id);
    if (fd < 0 || write_small(repo, name, strlen(name), err) < 0) {
        if (fd < 0)
            berr_sys(err, errno, "create %s", data);
        fs_rm_rf(dir);
        return berr_code(*err);
    }
    memcpy(ret_id, id, sizeof(id));
    return 0;
}

/* The session exists and belongs to name. */
static int upload_check(struct regstore *s, const char *name, const char *id, struct berr **err)
{
    if (!regstore_upload_id_valid(id))
        return berr_set(err, BERR_NOT_FOUND, ENOENT, "upload %s unknown", id);
    _cleanup_free_ char *repo = path(s, "uploads/%s/repo", id);
    _cleanup_free_ char *owner = NULL;
    _cleanup_berr_ struct berr *e = NULL;
    if (fs_read_file(repo, &owner, NULL, &e) < 0 || strcmp(owner, name) != 0)
        return berr_set(err, BERR_NOT_FOUND, ENOENT, "upload %s unknown", id);
    return 0;
}

int regstore_upload_size(struct regstore *s, const char *name, const char *id, off_t *ret_size,
                         struct berr **err)
{
    int r = upload_check(s, name, id, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *data = path(s, "uploads/%s/data", id);
    struct stat st;
    if (stat(data, &st) < 0)
        return berr_set(err, BERR_NOT_FOUND, ENOENT, "upload %s unknown", id);
    *ret_size = st.st_size;
    return 0;
}

int regstore_upload_open(struct regstore *s, const char *name, const char *id, int *ret_fd,
                         off_t *ret_size, struct berr **err)
{
    int r = upload_check(s, name, id, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *data = path(s, "uploads/%s/data", id);
    _cleanup_close_ int fd = open(data, O_RDWR | O_APPEND | O_CLOEXEC);
    if (fd < 0)
        return berr_set(err, BERR_NOT_FOUND, ENOENT, "upload %s unknown", id);
    while (flock(fd, LOCK_EX) < 0)
        if (errno != EINTR)
            return berr_sys(err, errno, "lock %s", data);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return berr_sys(err, errno, "stat %s", data);
    if (st.st_nlink == 0) /* committed or cancelled while we waited */
        return berr_set(err, BERR_NOT_FOUND, ENOENT, "upload %s unknown", id);
    *ret_size = st.st_size;
    *ret_fd = TAKE_FD(fd);
    return 0;
}

static int hash_fd(int fd, char out[REGSTORE_DIGEST_LEN + 1])
{
    struct digest d;
    digest_init(&d);
    static const size_t bufsz = 1 << 20;
    _cleanup_free_ char *buf = xmalloc(bufsz);
    off_t off = 0;
    for (;;) {
        ssize_t n = pread(fd, buf, bufsz, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        digest_update(&d, buf, n);
        off += n;
    }
    uint8_t raw[32];
    char hex[65];
    digest_final(&d, raw);
    sha256_hex(raw, hex);
    snprintf(out, REGSTORE_DIGEST_LEN + 1, "sha256:%s", hex);
    return 0;
}

int regstore_upload_commit(struct regstore *s, const char *name, const char *id, const char *digest,
                           struct berr **err)
{
    int r = upload_check(s, name, id, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *dir = path(s, "uploads/%s", id);
    _cleanup_free_ char *data = path(s, "uploads/%s/data", id);
    _cleanup_close_ int fd = open(data, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return berr_set(err, BERR_NOT_FOUND, ENOENT, "upload %s unknown", id);
    char got[REGSTORE_DIGEST_LEN + 1];
    r = hash_fd(fd, got);
    if (r < 0)
        return berr_sys(err, -r, "read %s", data);
    if (strcmp(got, digest) != 0) {
        fs_rm_rf(dir);
        return berr_set(err, BERR_INVALID, EBADMSG, "content is %s, not %s", got, digest);
    }
    if (fsync(fd) < 0)
        return berr_sys(err, errno, "sync %s", data);
    _cleanup_close_ int lock = store_lock(s, LOCK_SH, err);
    if (lock < 0)
        return lock;
    _cleanup_free_ char *blob = path(s, "blobs/sha256/%s", digest + 7);
    /* the same content from two sessions: either rename wins, both are the same bytes */
    if (rename(data, blob) < 0)
        return berr_sys(err, errno, "store %s", digest);
    fs_rm_rf(dir);
    return blob_link(s, name, digest, err);
}

int regstore_upload_cancel(struct regstore *s, const char *name, const char *id, struct berr **err)
{
    int r = upload_check(s, name, id, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *dir = path(s, "uploads/%s", id);
    fs_rm_rf(dir);
    return 0;
}

/* ---- manifests ---- */

static char *manifest_rev(struct regstore *s, const char *name, const char *digest)
{
    return path(s, "repositories/%s/_manifests/revisions/sha256/%s", name, digest + 7);
}

/* Every descriptor in arr must name something the repository has: a blob, or a manifest
 * when manifests is set. */
static int check_descriptors(struct regstore *s, const char *name, json_t *arr, bool manifests,
                             struct berr **err)
{
    size_t i;
    json_t *d;
    json_array_foreach(arr, i, d)
    {
        const char *dg = json_string_value(json_object_get(d, "digest"));
        if (!json_is_object(d) || !regstore_digest_valid(dg))
            return berr_set(err, BERR_INVALID, EINVAL, "descriptor %zu has no valid digest", i);
        if (!manifests && json_array_size(json_object_get(d, "urls")) > 0)
            continue; /* a foreign layer, fetched from its URLs */
        _cleanup_free_ char *rev = manifest_rev(s, name, dg);
        _cleanup_free_ char *blob = path(s, "blobs/sha256/%s", dg + 7);
        bool ok = manifests ? exists(rev) : (blob_linked(s, name, dg) && exists(blob));
        if (!ok)
            return berr_set(err, BERR_NOT_FOUND, ENOENT, "blob unknown: %s", dg);
    }
    return 0;
}

int regstore_manifest_put(struct regstore *s, const char *name, const char *ref, const char *data,
                          size_t len, const char *content_type,
                          char ret_digest[REGSTORE_DIGEST_LEN + 1],
                          char ret_subject[REGSTORE_DIGEST_LEN + 1], struct berr **err)
{
    uint8_t raw[32];
    char hex[65], digest[REGSTORE_DIGEST_LEN + 1];
    sha256(data, len, raw);
    sha256_hex(raw, hex);
    snprintf(digest, sizeof(digest), "sha256:%s", hex);
    bool by_digest = strncmp(ref, "sha256:", 7) == 0;
    if (by_digest && strcmp(ref, digest) != 0)
        return berr_set(err, BERR_INVALID, EBADMSG, "content is %s, not %s", digest, ref);

    json_error_t je;
    json_auto_t *m = json_loadb(data, len, 0, &je);
    if (!json_is_object(m))
        return berr_set(err, BERR_INVALID, EINVAL, "manifest is not a JSON object");
    json_t *sv = json_object_get(m, "schemaVersion");
    if (!json_is_integer(sv) || json_integer_value(sv) != 2)
        return berr_set(err, BERR_INVALID, EINVAL, "schemaVersion is not 2");
    const char *mt = json_string_value(json_object_get(m, "mediaType"));
    /* a manifest that says what it is must say what it was sent as (distribution's rule) */
    if (mt && content_type && *content_type && strcmp(mt, content_type) != 0)
        return berr_set(err, BERR_INVALID, EINVAL, "mediaType %s but Content-Type %s", mt,
                        content_type);
    const char *type = mt ? mt : (content_type && *content_type ? content_type : NULL);
    json_t *manifests = json_object_get(m, "manifests");
    json_t *layers = json_object_get(m, "layers");
    json_t *config = json_object_get(m, "config");
    int r;
    if (json_is_array(manifests)) {
        r = check_descriptors(s, name, manifests, true, err);
    } else {
        if (!json_is_object(config))
            return berr_set(err, BERR_INVALID, EINVAL, "manifest has no config");
        json_auto_t *cfg = json_array();
        json_array_append(cfg, config);
        r = check_descriptors(s, name, cfg, false, err);
        if (r >= 0 && layers && !json_is_array(layers))
            return berr_set(err, BERR_INVALID, EINVAL, "layers is not an array");
        if (r >= 0 && layers)
            r = check_descriptors(s, name, layers, false, err);
    }
    if (r < 0)
        return r;
    if (!type)
        type = json_is_array(manifests) ? "application/vnd.oci.image.index.v1+json"
                                        : "application/vnd.oci.image.manifest.v1+json";
    const char *subject = NULL;
    json_t *subj = json_object_get(m, "subject");
    if (subj) {
        subject = json_string_value(json_object_get(subj, "digest"));
        if (!regstore_digest_valid(subject))
            return berr_set(err, BERR_INVALID, EINVAL, "subject has no valid digest");
    }

    _cleanup_close_ int lock = store_lock(s, LOCK_SH, err);
    if (lock < 0)
        return lock;
    _cleanup_free_ char *blob = path(s, "blobs/sha256/%s", hex);
    if (!exists(blob) && write_small(blob, data, len, err) < 0)
        return berr_code(*err);
    _cleanup_free_ char *rev = manifest_rev(s, name, digest);
    if (write_small(rev, type, strlen(type), err) < 0)
        return berr_code(*err);
    if (subject) {
        _cleanup_free_ char *link =
            path(s, "repositories/%s/_referrers/%s/%s", name, subject + 7, hex);
        if (write_small(link, digest, strlen(digest), err) < 0)
            return berr_code(*err);
    }
    if (!by_digest) {
        _cleanup_free_ char *tag = path(s, "repositories/%s/_manifests/tags/%s", name, ref);
        if (write_small(tag, digest, strlen(digest), err) < 0)
            return berr_code(*err);
    }
    memcpy(ret_digest, digest, sizeof(digest));
    snprintf(ret_subject, REGSTORE_DIGEST_LEN + 1, "%s", subject ? subject : "");
    return 0;
}

/* The digest a reference names in name: itself, or what its tag holds. */
static int resolve(struct regstore *s, const char *name, const char *ref,
                   char out[REGSTORE_DIGEST_LEN + 1], struct berr **err)
{
    if (strncmp(ref, "sha256:", 7) == 0) {
        snprintf(out, REGSTORE_DIGEST_LEN + 1, "%s", ref);
        return 0;
    }
    _cleanup_free_ char *tag = path(s, "repositories/%s/_manifests/tags/%s", name, ref);
    _cleanup_free_ char *d = NULL;
    _cleanup_berr_ struct berr *e = NULL;
    if (fs_read_file(tag, &d, NULL, &e) < 0 || !regstore_digest_valid(d))
        return berr_set(err, BERR_NOT_FOUND, ENOENT, "manifest %s:%s unknown", name, ref);
    snprintf(out, REGSTORE_DIGEST_LEN + 1, "%s", d);
    return 0;
}

int regstore_manifest_get(struct regstore *s, const char *name, const char *ref, char **ret_data,
                          size_t *ret_len, char **ret_type,
                          char ret_digest[REGSTORE_DIGEST_LEN + 1], struct berr **err)
{
    char digest[REGSTORE_DIGEST_LEN + 1];
    int r = resolve(s, name, ref, digest, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *rev = manifest_rev(s, name, digest);
    _cleanup_free_ char *type = NULL;
    _cleanup_berr_ struct berr *e = NULL;
    if (fs_read_file(rev, &type, NULL, &e) < 0)
        return berr_set(err, BERR_NOT_FOUND, ENOENT, "manifest %s@%s unknown", name, digest);
    _cleanup_free_ char *blob = path(s, "blobs/sha256/%s", digest + 7);
    _cleanup_free_ char *data = NULL;
    size_t len;
    if (fs_read_file(blob, &data, &len, err) < 0)
        return berr_prefix(err, "manifest %s", digest);
    *ret_data = TAKE_PTR(data);
    *ret_len = len;
    *ret_type = TAKE_PTR(type);
    memcpy(ret_digest, digest, sizeof(digest));
    return 0;
}

static char **list_dir(const char *p, bool *ret_missing)
{
    char **v = xcalloc(1, sizeof(char *));
    size_t n = 0;
    _cleanup_closedir_ DIR *d = opendir(p);
    if (ret_missing)
        *ret_missing = !d;
    if (!d)
        return v;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || strstr(de->d_name, ".tmp."))
            continue;
        v = xreallocarray(v, n + 2, sizeof(char *));
        v[n++] = xstrdup(de->d_name);
        v[n] = NULL;
    }
    return v;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t strv_len(char **v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

int regstore_manifest_delete(struct regstore *s, const char *name, const char *ref,
                             struct berr **err)
{
    if (strncmp(ref, "sha256:", 7) != 0) {
        _cleanup_free_ char *tag = path(s, "repositories/%s/_manifests/tags/%s", name, ref);
        if (unlink(tag) < 0)
            return berr_set(err, BERR_NOT_FOUND, ENOENT, "manifest %s:%s unknown", name, ref);
        return 0;
    }
    _cleanup_free_ char *rev = manifest_rev(s, name, ref);
    if (unlink(rev) < 0)
        return berr_set(err, BERR_NOT_FOUND, ENOENT, "manifest %s@%s unknown", name, ref);
    /* the tags that named it go with it, and it is nobody's referrer any more */
    _cleanup_free_ char *tagdir = path(s, "repositories/%s/_manifests/tags", name);
    _cleanup_strv_ char **tags = list_dir(tagdir, NULL);
    for (size_t i = 0; tags[i]; i++) {
        char d[REGSTORE_DIGEST_LEN + 1];
        _cleanup_berr_ struct berr *e = NULL;
        if (resolve(s, name, tags[i], d, &e) == 0 && strcmp(d, ref) == 0) {
            _cleanup_free_ char *t = path(s, "repositories/%s/_manifests/tags/%s", name, tags[i]);
            unlink(t);
        }
    }
    _cleanup_free_ char *refdir = path(s, "repositories/%s/_referrers", name);
    _cleanup_strv_ char **subjects = list_dir(refdir, NULL);
    for (size_t i = 0; subjects[i]; i++) {
        _cleanup_free_ char *l =
            path(s, "repositories/%s/_referrers/%s/%s", name, subjects[i], ref + 7);
        unlink(l);
    }
    return 0;
}

int regstore_tags(struct regstore *s, const char *name, char ***ret, struct berr **err)
{
    if (!regstore_repo_exists(s, name))
        return berr_set(err, BERR_NOT_FOUND, ENOENT, "repository %s unknown", name);
    _cleanup_free_ char *dir = path(s, "repositories/%s/_manifests/tags", name);
    char **v = list_dir(dir, NULL);
    qsort(v, strv_len(v), sizeof(char *), cmp_str);
    *ret = v;
    return 0;
}

/* Repositories under dir (relative name prefix): a directory with _manifests or _layers is
 * one; every other directory may hold more. */
static void walk_repos(const char *dir, const char *prefix, char ***v, int depth)
{
    if (depth > 64)
        return;
    _cleanup_strv_ char **entries = list_dir(dir, NULL);
    for (size_t i = 0; entries[i]; i++) {
        const char *e = entries[i];
        if (e[0] == '_')
            continue;
        _cleanup_free_ char *sub = xasprintf("%s/%s", dir, e);
        _cleanup_free_ char *name = *prefix ? xasprintf("%s/%s", prefix, e) : xstrdup(e);
        _cleanup_free_ char *m = xasprintf("%s/_manifests", sub);
        _cleanup_free_ char *l = xasprintf("%s/_layers", sub);
        if (exists(m) || exists(l))
            *v = strv_append(*v, name);
        walk_repos(sub, name, v, depth + 1);
    }
}

int regstore_catalog(struct regstore *s, char ***ret, struct berr **err)
{
    _cleanup_free_ char *dir = path(s, "repositories");
    char **v = xcalloc(1, sizeof(char *));
    walk_repos(dir, "", &v, 0);
    qsort(v, strv_len(v), sizeof(char *), cmp_str);
    *ret = v;
    return 0;
}

int regstore_referrers(struct regstore *s, const char *name, const char *subject,
                       const char *artifact_type, json_t **ret, struct berr **err)
{
    json_auto_t *index = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType",
                                   "application/vnd.oci.image.index.v1+json", "manifests");
    json_t *list = json_object_get(index, "manifests");
    _cleanup_free_ char *dir = path(s, "repositories/%s/_referrers/%s", name, subject + 7);
    _cleanup_strv_ char **hexes = list_dir(dir, NULL);
    qsort(hexes, strv_len(hexes), sizeof(char *), cmp_str);
    for (size_t i = 0; hexes[i]; i++) {
        if (!hex_valid(hexes[i], 64))
            continue;
        _cleanup_free_ char *dg = xasprintf("sha256:%s", hexes[i]);
        _cleanup_free_ char *data = NULL, *type = NULL;
        size_t len;
        char d[REGSTORE_DIGEST_LEN + 1];
        _cleanup_berr_ struct berr *e = NULL;
        if (regstore_manifest_get(s, name, dg, &data, &len, &type, d, &e) < 0)
            continue; /* deleted since */
        json_auto_t *m = json_loadb(data, len, 0, NULL);
        if (!m)
            continue;
        const char *at = json_string_value(json_object_get(m, "artifactType"));
        if (!at)
            at = json_string_value(json_object_get(json_object_get(m, "config"), "mediaType"));
        if (artifact_type && (!at || strcmp(at, artifact_type) != 0))
            continue;
        json_t *desc =
            json_pack("{s:s, s:s, s:I}", "mediaType", type, "digest", dg, "size", (json_int_t)len);
        if (at)
            json_object_set_new(desc, "artifactType", json_string(at));
        json_t *ann = json_object_get(m, "annotations");
        if (json_is_object(ann))
            json_object_set(desc, "annotations", ann);
        json_array_append_new(list, desc);
    }
    *ret = json_incref(index);
    return 0;
}

/* ---- gc ---- */

static void mark_manifest(struct regstore *s, const char *digest, json_t *keep)
{
    _cleanup_free_ char *blob = path(s, "blobs/sha256/%s", digest + 7);
    _cleanup_free_ char *data = NULL;
    size_t len;
    _cleanup_berr_ struct berr *e = NULL;
    json_object_set_new(keep, digest + 7, json_true());
    if (fs_read_file(blob, &data, &len, &e) < 0)
        return;
    json_auto_t *m = json_loadb(data, len, 0, NULL);
    json_t *cfg = json_object_get(m, "config");
    const char *d = json_string_value(json_object_get(cfg, "digest"));
    if (regstore_digest_valid(d))
        json_object_set_new(keep, d + 7, json_true());
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(m, "layers"), i, x)
    {
        d = json_string_value(json_object_get(x, "digest"));
        if (regstore_digest_valid(d))
            json_object_set_new(keep, d + 7, json_true());
    }
}

static void mark_repos(struct regstore *s, const char *name, json_t *keep)
{
    _cleanup_free_ char *ld = path(s, "repositories/%s/_layers/sha256", name);
    _cleanup_strv_ char **layers = list_dir(ld, NULL);
    for (size_t i = 0; layers[i]; i++)
        json_object_set_new(keep, layers[i], json_true());
    _cleanup_free_ char *md = path(s, "repositories/%s/_manifests/revisions/sha256", name);
    _cleanup_strv_ char **revs = list_dir(md, NULL);
    for (size_t i = 0; revs[i]; i++) {
        if (!hex_valid(revs[i], 64))
            continue;
        _cleanup_free_ char *dg = xasprintf("sha256:%s", revs[i]);
        mark_manifest(s, dg, keep);
    }
}

int regstore_gc(struct regstore *s, long max_upload_age, bool dry_run, size_t *ret_removed,
                unsigned long long *ret_bytes, struct berr **err)
{
    _cleanup_close_ int lock = store_lock(s, LOCK_EX, err);
    if (lock < 0)
        return lock;
    json_auto_t *keep = json_object();
    _cleanup_strv_ char **repos = NULL;
    int r = regstore_catalog(s, &repos, err);
    if (r < 0)
        return r;
    for (size_t i = 0; repos[i]; i++)
        mark_repos(s, repos[i], keep);
    size_t removed = 0;
    unsigned long long bytes = 0;
    _cleanup_free_ char *bd = path(s, "blobs/sha256");
    _cleanup_strv_ char **blobs = list_dir(bd, NULL);
    for (size_t i = 0; blobs[i]; i++) {
        if (json_object_get(keep, blobs[i]))
            continue;
        _cleanup_free_ char *p = path(s, "blobs/sha256/%s", blobs[i]);
        struct stat st;
        if (stat(p, &st) < 0)
            continue;
        if (!dry_run && unlink(p) < 0)
            return berr_sys(err, errno, "remove %s", p);
        removed++;
        bytes += st.st_size;
    }
    /* sessions nobody touched for a long time: their data is what a client gave up on */
    _cleanup_free_ char *ud = path(s, "uploads");
    _cleanup_strv_ char **ups = list_dir(ud, NULL);
    time_t now = time(NULL);
    for (size_t i = 0; ups[i]; i++) {
        _cleanup_free_ char *p = path(s, "uploads/%s/data", ups[i]);
        struct stat st;
        if (stat(p, &st) == 0 && now - st.st_mtime > max_upload_age && !dry_run) {
            _cleanup_free_ char *dir = path(s, "uploads/%s", ups[i]);
            fs_rm_rf(dir);
        }
    }
    *ret_removed = removed;
    *ret_bytes = bytes;
    return 0;
}

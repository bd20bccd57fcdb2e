/* server.c - the HTTP side of `berth registry serve` (server.h): routes, the spec's errors,
 * uploads streamed to disk, Basic auth, TLS, the access log */
#include "registry/server.h"
#include <arpa/inet.h>
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "base/cleanup.h"
#include "base/digest.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include "registry/regstore.h"

struct htuser {
    char *name;
    char *hash;
    uint8_t ok[32]; /* sha256 of the last password that matched: bcrypt once, not per request */
    bool cached;
};

struct server {
    struct regstore *store;
    bool read_only;
    struct htuser *users;
    size_t nusers;
    pthread_mutex_t lock; /* the users' caches */
};

enum route {
    R_NONE,
    R_BASE,
    R_CATALOG,
    R_TAGS,
    R_MANIFEST,
    R_BLOB,
    R_UPLOADS,
    R_UPLOAD,
    R_REFERRERS
};

struct req {
    struct server *srv;
    char *method, *url, *user;
    struct timespec start;
    int status;
    uint64_t bytes;
    enum route route;
    char *name, *ref;
    /* a body that goes to an upload session's data (locked while we hold fd) */
    int fd;
    off_t base;       /* the session's size before this request */
    off_t written;    /* what this request appended */
    long long expect; /* bytes a Content-Range announced, or -1 */
    int write_err;
    bool temp_upload; /* POST ?digest=: the session is this request's own */
    bool committed;
    char digest[REGSTORE_DIGEST_LEN + 1]; /* PUT/POST ?digest= */
    /* a body kept in memory (manifests) */
    char *buf;
    size_t len;
    bool too_big;
    bool replied;
    bool begun;
};

/* ---- responses ---- */

static enum MHD_Result send_resp(struct MHD_Connection *c, struct req *r, int status,
                                 struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "Docker-Distribution-API-Version", "registry/2.0");
    r->status = status;
    r->replied = true;
    enum MHD_Result ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static struct MHD_Response *resp_buf(const char *data, size_t len)
{
    return MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
}

static enum MHD_Result send_json(struct MHD_Connection *c, struct req *r, int status, json_t *j,
                                 const char *ctype)
{
    _cleanup_free_ char *s = json_dumps(j, JSON_COMPACT);
    struct MHD_Response *resp = resp_buf(s, strlen(s));
    MHD_add_response_header(resp, "Content-Type", ctype ? ctype : "application/json");
    r->bytes = strlen(s);
    return send_resp(c, r, status, resp);
}

/* The spec's error body: {"errors":[{"code","message","detail"}]} */
static enum MHD_Result send_err(struct MHD_Connection *c, struct req *r, int status,
                                const char *code, const char *message)
{
    json_auto_t *j = json_pack("{s:[{s:s, s:s, s:{}}]}", "errors", "code", code, "message",
                               message ? message : code, "detail");
    return send_json(c, r, status, j, NULL);
}

static enum MHD_Result send_empty(struct MHD_Connection *c, struct req *r, int status,
                                  const char *const *headers)
{
    struct MHD_Response *resp = resp_buf("", 0);
    for (size_t i = 0; headers && headers[i]; i += 2)
        MHD_add_response_header(resp, headers[i], headers[i + 1]);
    return send_resp(c, r, status, resp);
}

static const char *arg(struct MHD_Connection *c, const char *key)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
}

static const char *header(struct MHD_Connection *c, const char *key)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, key);
}

/* ---- routes ---- */

/* Splits "/v2/<name>/<suffix>/<last>" at the last occurrence of "/<suffix>/", where last has
 * no slash; name and last are set on a match. */
static bool split_at(const char *rest, const char *suffix, char **name, char **last)
{
    size_t sl = strlen(suffix);
    const char *hit = NULL;
    for (const char *p = rest; (p = strstr(p, suffix)); p++)
        hit = p;
    if (!hit || hit == rest || strchr(hit + sl, '/'))
        return false;
    *name = xstrndup(rest, hit - rest);
    *last = xstrdup(hit + sl);
    return true;
}

static enum route parse_route(const char *url, char **name, char **ref)
{
    if (strcmp(url, "/v2/") == 0 || strcmp(url, "/v2") == 0)
        return R_BASE;
    if (strncmp(url, "/v2/", 4) != 0)
        return R_NONE;
    const char *rest = url + 4;
    if (strcmp(rest, "_catalog") == 0)
        return R_CATALOG;
    size_t n = strlen(rest);
    if (n > 10 && strcmp(rest + n - 10, "/tags/list") == 0) {
        *name = xstrndup(rest, n - 10);
        return R_TAGS;
    }
    if (split_at(rest, "/blobs/uploads/", name, ref))
        return **ref ? R_UPLOAD : R_UPLOADS;
    if (n > 14 && strcmp(rest + n - 14, "/blobs/uploads") == 0) {
        *name = xstrndup(rest, n - 14);
        *ref = xstrdup("");
        return R_UPLOADS;
    }
    if (split_at(rest, "/blobs/", name, ref))
        return R_BLOB;
    if (split_at(rest, "/manifests/", name, ref))
        return R_MANIFEST;
    if (split_at(rest, "/referrers/", name, ref))
        return R_REFERRERS;
    return R_NONE;
}

/* ---- auth ---- */

static bool const_eq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = la != lb;
    for (size_t i = 0; i < la && i < lb; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

static bool check_password(struct server *srv, const char *user, const char *pass)
{
    for (size_t i = 0; i < srv->nusers; i++) {
        struct htuser *u = &srv->users[i];
        if (strcmp(u->name, user) != 0)
            continue;
        uint8_t h[32];
        sha256(pass, strlen(pass), h);
        pthread_mutex_lock(&srv->lock);
        bool hit = u->cached && memcmp(h, u->ok, 32) == 0;
        pthread_mutex_unlock(&srv->lock);
        if (hit)
            return true;
        _cleanup_free_ struct crypt_data *cd = xcalloc(1, sizeof(*cd));
        /* crypt_rn (libxcrypt): NULL on failure, never a failure token to mistake for a
         * hash */
        const char *out = crypt_rn(pass, u->hash, cd, sizeof(*cd));
        bool ok = out && const_eq(out, u->hash);
        if (ok) {
            pthread_mutex_lock(&srv->lock);
            memcpy(u->ok, h, 32);
            u->cached = true;
            pthread_mutex_unlock(&srv->lock);
        }
        return ok;
    }
    return false;
}

static int load_htpasswd(struct server *srv, const char *file, struct berr **err)
{
    _cleanup_free_ char *data = NULL;
    if (fs_read_file(file, &data, NULL, err) < 0)
        return berr_prefix(err, "--htpasswd %s", file);
    char *save = NULL;
    int line = 0;
    for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        line++;
        size_t n = strlen(l);
        while (n && (l[n - 1] == '\r' || l[n - 1] == ' '))
            l[--n] = '\0';
        if (!*l || *l == '#')
            continue;
        char *colon = strchr(l, ':');
        if (!colon || colon == l)
            return berr_set(err, BERR_INVALID, EINVAL, "--htpasswd %s: line %d: not USER:HASH",
                            file, line);
        *colon = '\0';
        const char *hash = colon + 1;
        if (strncmp(hash, "$2y$", 4) != 0 && strncmp(hash, "$2b$", 4) != 0 &&
            strncmp(hash, "$2a$", 4) != 0)
            return berr_set(err, BERR_INVALID, EINVAL,
                            "--htpasswd %s: line %d: user %s: only bcrypt hashes are accepted "
                            "(htpasswd -B)",
                            file, line, l);
        srv->users = xreallocarray(srv->users, srv->nusers + 1, sizeof(*srv->users));
        srv->users[srv->nusers++] = (struct htuser){.name = xstrdup(l), .hash = xstrdup(hash)};
    }
    if (srv->nusers == 0)
        return berr_set(err, BERR_INVALID, EINVAL, "--htpasswd %s: no users in it", file);
    return 0;
}

/* ---- handlers that answer at once ---- */

static void location_upload(char *buf, size_t size, const struct req *r, const char *id)
{
    snprintf(buf, size, "/v2/%s/blobs/uploads/%s", r->name, id);
}

static void range_of(char *buf, size_t size, off_t len)
{
    /* distribution's: an empty session says 0-0 */
    snprintf(buf, size, "0-%lld", (long long)(len > 0 ? len - 1 : 0));
}

static enum MHD_Result send_upload_state(struct MHD_Connection *c, struct req *r, int status,
                                         const char *id, off_t size)
{
    char loc[600], range[64];
    location_upload(loc, sizeof(loc), r, id);
    range_of(range, sizeof(range), size);
    const char *h[] = {"Location", loc, "Range", range, "Docker-Upload-UUID", id, NULL};
    return send_empty(c, r, status, h);
}

static enum MHD_Result send_store_err(struct MHD_Connection *c, struct req *r, struct berr *e,
                                      int nf_status, const char *nf_code)
{
    if (e && e->kind == BERR_NOT_FOUND)
        return send_err(c, r, nf_status, nf_code, e->msg);
    if (e && e->kind == BERR_INVALID)
        return send_err(c, r, 400, e->errnum == EBADMSG ? "DIGEST_INVALID" : "MANIFEST_INVALID",
                        e->msg);
    fprintf(stderr, "berth registry: %s %s: %s\n", r->method, r->url,
            e && e->msg ? e->msg : "unknown error");
    return send_err(c, r, 500, "UNKNOWN", "internal error");
}

/* Parses "bytes=A-B", "bytes=A-" or "bytes=-N" against size; 1 with a range, 0 without one
 * (absent, or several ranges: the whole blob is an answer RFC 9110 allows), -1 if it cannot
 * be satisfied. */
static int parse_range(const char *h, off_t size, off_t *start, off_t *end)
{
    if (!h)
        return 0;
    if (strncmp(h, "bytes=", 6) != 0)
        return -1;
    h += 6;
    if (strchr(h, ','))
        return 0;
    char *e;
    if (*h == '-') {
        long long n = strtoll(h + 1, &e, 10);
        if (*e || n <= 0 || size == 0)
            return -1;
        *start = n >= size ? 0 : size - n;
        *end = size - 1;
        return 1;
    }
    long long a = strtoll(h, &e, 10);
    if (e == h || *e != '-' || a < 0)
        return -1;
    const char *b = e + 1;
    long long z = size - 1;
    if (*b) {
        z = strtoll(b, &e, 10);
        if (*e || z < a)
            return -1;
    }
    if (a >= size)
        return -1;
    if (z >= size)
        z = size - 1;
    *start = a;
    *end = z;
    return 1;
}

static enum MHD_Result blob_get(struct MHD_Connection *c, struct req *r, bool head)
{
    _cleanup_berr_ struct berr *e = NULL;
    int fd;
    off_t size;
    if (regstore_blob_open(r->srv->store, r->name, r->ref, &fd, &size, &e) < 0)
        return send_store_err(c, r, e, 404, "BLOB_UNKNOWN");
    off_t a = 0, z = size - 1;
    int rg = head ? 0 : parse_range(header(c, "Range"), size, &a, &z);
    if (rg < 0) {
        close(fd);
        char cr[64];
        snprintf(cr, sizeof(cr), "bytes */%lld", (long long)size);
        struct MHD_Response *resp = resp_buf("", 0);
        MHD_add_response_header(resp, "Content-Range", cr);
        return send_resp(c, r, 416, resp);
    }
    off_t len = rg ? z - a + 1 : size;
    struct MHD_Response *resp;
    if (len == 0) {
        close(fd);
        resp = resp_buf("", 0);
    } else {
        resp = MHD_create_response_from_fd_at_offset64(len, fd, a);
    }
    MHD_add_response_header(resp, "Content-Type", "application/octet-stream");
    MHD_add_response_header(resp, "Docker-Content-Digest", r->ref);
    MHD_add_response_header(resp, "Accept-Ranges", "bytes");
    char etag[80];
    snprintf(etag, sizeof(etag), "\"%s\"", r->ref);
    MHD_add_response_header(resp, "ETag", etag);
    if (rg) {
        char cr[96];
        snprintf(cr, sizeof(cr), "bytes %lld-%lld/%lld", (long long)a, (long long)z,
                 (long long)size);
        MHD_add_response_header(resp, "Content-Range", cr);
    }
    r->bytes = head ? 0 : len;
    return send_resp(c, r, rg ? 206 : 200, resp);
}

static enum MHD_Result manifest_get(struct MHD_Connection *c, struct req *r, bool head)
{
    _cleanup_berr_ struct berr *e = NULL;
    _cleanup_free_ char *data = NULL, *type = NULL;
    size_t len;
    char digest[REGSTORE_DIGEST_LEN + 1];
    if (regstore_manifest_get(r->srv->store, r->name, r->ref, &data, &len, &type, digest, &e) < 0)
        return send_store_err(c, r, e, 404, "MANIFEST_UNKNOWN");
    struct MHD_Response *resp = resp_buf(data, len);
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Docker-Content-Digest", digest);
    char etag[80];
    snprintf(etag, sizeof(etag), "\"%s\"", digest);
    MHD_add_response_header(resp, "ETag", etag);
    r->bytes = head ? 0 : len;
    return send_resp(c, r, 200, resp);
}

/* n and last of a paginated list: the page of v to answer, and whether more follow. */
static int paginate(struct MHD_Connection *c, char **v, size_t *first, size_t *count, bool *more)
{
    size_t total = 0;
    while (v[total])
        total++;
    const char *ns = arg(c, "n"), *last = arg(c, "last");
    size_t i = 0;
    if (last && *last)
        while (i < total && strcmp(v[i], last) <= 0)
            i++;
    size_t n = total - i;
    if (ns && *ns) {
        char *end;
        long long x = strtoll(ns, &end, 10);
        if (*end || x < 0)
            return -1;
        if ((size_t)x < n)
            n = x;
    }
    *first = i;
    *count = n;
    *more = ns && *ns && i + n < total && n > 0;
    return 0;
}

static enum MHD_Result list_reply(struct MHD_Connection *c, struct req *r, char **v,
                                  const char *key, const char *path)
{
    size_t first, count;
    bool more;
    if (paginate(c, v, &first, &count, &more) < 0)
        return send_err(c, r, 400, "PAGINATION_NUMBER_INVALID", "n is not a number of entries");
    json_auto_t *j = json_object();
    if (r->name)
        json_object_set_new(j, "name", json_string(r->name));
    json_t *arr = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(arr, json_string(v[first + i]));
    json_object_set_new(j, key, arr);
    _cleanup_free_ char *s = json_dumps(j, JSON_COMPACT);
    struct MHD_Response *resp = resp_buf(s, strlen(s));
    MHD_add_response_header(resp, "Content-Type", "application/json");
    if (more) {
        _cleanup_free_ char *link =
            xasprintf("<%s?n=%zu&last=%s>; rel=\"next\"", path, count, v[first + count - 1]);
        MHD_add_response_header(resp, "Link", link);
    }
    r->bytes = strlen(s);
    return send_resp(c, r, 200, resp);
}

/* ---- the request's first call: route, check, answer or get ready for a body ---- */

static bool is_method(const struct req *r, const char *m)
{
    return strcmp(r->method, m) == 0;
}

static enum MHD_Result begin(struct MHD_Connection *c, struct req *r)
{
    struct server *srv = r->srv;
    struct regstore *st = srv->store;
    _cleanup_berr_ struct berr *e = NULL;
    r->route = parse_route(r->url, &r->name, &r->ref);
    if (r->route == R_NONE)
        return send_err(c, r, 404, "NAME_UNKNOWN", "no such endpoint");

    if (srv->nusers) {
        char *pass = NULL;
        char *user = MHD_basic_auth_get_username_password(c, &pass);
        bool ok = user && pass && check_password(srv, user, pass);
        if (ok)
            r->user = xstrdup(user);
        if (user)
            MHD_free(user);
        if (pass)
            MHD_free(pass);
        if (!ok) {
            json_auto_t *j = json_pack("{s:[{s:s, s:s, s:{}}]}", "errors", "code", "UNAUTHORIZED",
                                       "message", "authentication required", "detail");
            _cleanup_free_ char *s = json_dumps(j, JSON_COMPACT);
            struct MHD_Response *resp = resp_buf(s, strlen(s));
            MHD_add_response_header(resp, "Content-Type", "application/json");
            MHD_add_response_header(resp, "Docker-Distribution-API-Version", "registry/2.0");
            r->status = 401;
            r->replied = true;
            enum MHD_Result ret = MHD_queue_basic_auth_fail_response(c, "berth-registry", resp);
            MHD_destroy_response(resp);
            return ret;
        }
    }

    bool reading = is_method(r, "GET") || is_method(r, "HEAD");
    if (srv->read_only && !reading)
        return send_err(c, r, 405, "UNSUPPORTED", "the registry is read-only");
    if (r->route == R_BASE) {
        if (!reading)
            return send_err(c, r, 405, "UNSUPPORTED", "method not allowed");
        struct MHD_Response *resp = resp_buf("{}", 2);
        MHD_add_response_header(resp, "Content-Type", "application/json");
        return send_resp(c, r, 200, resp);
    }
    if (r->route == R_CATALOG) {
        if (!is_method(r, "GET"))
            return send_err(c, r, 405, "UNSUPPORTED", "method not allowed");
        _cleanup_strv_ char **v = NULL;
        if (regstore_catalog(st, &v, &e) < 0)
            return send_store_err(c, r, e, 404, "NAME_UNKNOWN");
        return list_reply(c, r, v, "repositories", "/v2/_catalog");
    }
    if (!regstore_name_valid(r->name))
        return send_err(c, r, 400, "NAME_INVALID", "invalid repository name");

    switch (r->route) {
    case R_TAGS: {
        if (!is_method(r, "GET"))
            return send_err(c, r, 405, "UNSUPPORTED", "method not allowed");
        _cleanup_strv_ char **v = NULL;
        if (regstore_tags(st, r->name, &v, &e) < 0)
            return send_store_err(c, r, e, 404, "NAME_UNKNOWN");
        _cleanup_free_ char *p = xasprintf("/v2/%s/tags/list", r->name);
        return list_reply(c, r, v, "tags", p);
    }
    case R_REFERRERS: {
        if (!is_method(r, "GET"))
            return send_err(c, r, 405, "UNSUPPORTED", "method not allowed");
        if (!regstore_digest_valid(r->ref))
            return send_err(c, r, 400, "DIGEST_INVALID", "invalid digest");
        const char *at = arg(c, "artifactType");
        json_auto_t *idx = NULL;
        if (regstore_referrers(st, r->name, r->ref, at && *at ? at : NULL, &idx, &e) < 0)
            return send_store_err(c, r, e, 404, "NAME_UNKNOWN");
        _cleanup_free_ char *s = json_dumps(idx, JSON_COMPACT);
        struct MHD_Response *resp = resp_buf(s, strlen(s));
        MHD_add_response_header(resp, "Content-Type", "application/vnd.oci.image.index.v1+json");
        if (at && *at)
            MHD_add_response_header(resp, "OCI-Filters-Applied", "artifactType");
        r->bytes = strlen(s);
        return send_resp(c, r, 200, resp);
    }
    case R_BLOB:
        if (!regstore_digest_valid(r->ref))
            return send_err(c, r, 400, "DIGEST_INVALID", "invalid digest");
        if (reading)
            return blob_get(c, r, is_method(r, "HEAD"));
        if (is_method(r, "DELETE")) {
            if (regstore_blob_delete(st, r->name, r->ref, &e) < 0)
                return send_store_err(c, r, e, 404, "BLOB_UNKNOWN");
            return send_empty(c, r, 202, NULL);
        }
        return send_err(c, r, 405, "UNSUPPORTED", "method not allowed");
    case R_MANIFEST: {
        bool by_digest = strchr(r->ref, ':') != NULL;
        if (by_digest && !regstore_digest_valid(r->ref))
            return send_err(c, r, 400, "DIGEST_INVALID", "invalid digest");
        /* reading or deleting what no tag can name finds nothing (distribution's 404); a
         * push under it is refused as invalid */
        if (!by_digest && !regstore_tag_valid(r->ref))
            return is_method(r, "PUT") ? send_err(c, r, 400, "TAG_INVALID", "invalid tag")
                                       : send_err(c, r, 404, "MANIFEST_UNKNOWN", "invalid tag");
        if (reading)
            return manifest_get(c, r, is_method(r, "HEAD"));
        if (is_method(r, "DELETE")) {
            if (regstore_manifest_delete(st, r->name, r->ref, &e) < 0)
                return send_store_err(c, r, e, 404, "MANIFEST_UNKNOWN");
            return send_empty(c, r, 202, NULL);
        }
        if (is_method(r, "PUT")) {
            const char *cl = header(c, "Content-Length");
            if (cl && strtoull(cl, NULL, 10) > REGSTORE_MANIFEST_MAX)
                return send_err(c, r, 413, "SIZE_INVALID", "manifest over 4 MiB");
            return MHD_YES; /* the body next */
        }
        return send_err(c, r, 405, "UNSUPPORTED", "method not allowed");
    }
    case R_UPLOADS: {
        if (!is_method(r, "POST"))
            return send_err(c, r, 405, "UNSUPPORTED", "method not allowed");
        const char *mount = arg(c, "mount"), *from = arg(c, "from"), *dg = arg(c, "digest");
        if (mount && from) {
            if (!regstore_digest_valid(mount))
                return send_err(c, r, 400, "DIGEST_INVALID", "invalid digest");
            if (regstore_name_valid(from) &&
                regstore_blob_mount(st, r->name, from, mount, &e) == 0) {
                _cleanup_free_ char *loc = xasprintf("/v2/%s/blobs/%s", r->name, mount);
                const char *h[] = {"Location", loc, "Docker-Content-Digest", mount, NULL};
                return send_empty(c, r, 201, h);
            }
            if (e && e->kind != BERR_NOT_FOUND)
                return send_store_err(c, r, e, 404, "BLOB_UNKNOWN");
            berr_free(TAKE_PTR(e));
            /* not there: a session, as the spec says */
        }
        char id[REGSTORE_ID_LEN + 1];
        if (dg && !(mount && from)) {
            if (!regstore_digest_valid(dg))
                return send_err(c, r, 400, "DIGEST_INVALID", "invalid digest");
            if (regstore_upload_new(st, r->name, id, &e) < 0 ||
                regstore_upload_open(st, r->name, id, &r->fd, &r->base, &e) < 0)
                return send_store_err(c, r, e, 404, "BLOB_UPLOAD_UNKNOWN");
            free(r->ref);
            r->ref = xstrdup(id);
            snprintf(r->digest, sizeof(r->digest), "%s", dg);
            r->temp_upload = true;
            return MHD_YES; /* the blob next */
        }
        if (regstore_upload_new(st, r->name, id, &e) < 0)
            return send_store_err(c, r, e, 404, "BLOB_UPLOAD_UNKNOWN");
        return send_upload_state(c, r, 202, id, 0);
    }
    case R_UPLOAD: {
        if (is_method(r, "GET")) {
            off_t size;
            if (regstore_upload_size(st, r->name, r->ref, &size, &e) < 0)
                return send_store_err(c, r, e, 404, "BLOB_UPLOAD_UNKNOWN");
            return send_upload_state(c, r, 204, r->ref, size);
        }
        if (is_method(r, "DELETE")) {
            if (regstore_upload_cancel(st, r->name, r->ref, &e) < 0)
                return send_store_err(c, r, e, 404, "BLOB_UPLOAD_UNKNOWN");
            return send_empty(c, r, 204, NULL);
        }
        if (!is_method(r, "PATCH") && !is_method(r, "PUT"))
            return send_err(c, r, 405, "UNSUPPORTED", "method not allowed");
        if (is_method(r, "PUT")) {
            const char *dg = arg(c, "digest");
            if (!regstore_digest_valid(dg))
                return send_err(c, r, 400, "DIGEST_INVALID", "invalid or missing digest");
            snprintf(r->digest, sizeof(r->digest), "%s", dg);
        }
        if (regstore_upload_open(st, r->name, r->ref, &r->fd, &r->base, &e) < 0)
            return send_store_err(c, r, e, 404, "BLOB_UPLOAD_UNKNOWN");
        /* a chunk must start where the session ends: anything else is out of order */
        const char *cr = header(c, "Content-Range");
        if (cr && *cr) {
            const char *p = strncmp(cr, "bytes ", 6) == 0 ? cr + 6 : cr;
            char *end;
            long long a = strtoll(p, &end, 10), z;
            if (end == p || *end != '-')
                return send_err(c, r, 400, "BLOB_UPLOAD_INVALID", "bad Content-Range");
            const char *q = end + 1;
            z = strtoll(q, &end, 10);
            if (end == q || (*end && *end != '/') || z < a)
                return send_err(c, r, 416, "BLOB_UPLOAD_INVALID", "bad Content-Range");
            if (a != r->base) {
                char loc[600], range[64];
                location_upload(loc, sizeof(loc), r, r->ref);
                range_of(range, sizeof(range), r->base);
                json_auto_t *j =
                    json_pack("{s:[{s:s, s:s, s:{}}]}", "errors", "code", "BLOB_UPLOAD_INVALID",
                              "message", "chunk out of order", "detail");
                _cleanup_free_ char *s = json_dumps(j, JSON_COMPACT);
                struct MHD_Response *resp = resp_buf(s, strlen(s));
                MHD_add_response_header(resp, "Content-Type", "application/json");
                MHD_add_response_header(resp, "Location", loc);
                MHD_add_response_header(resp, "Range", range);
                return send_resp(c, r, 416, resp);
            }
            r->expect = z - a + 1;
        }
        return MHD_YES;
    }
    default: return send_err(c, r, 404, "NAME_UNKNOWN", "no such endpoint");
    }
}

/* ---- bodies ---- */

static void body(struct req *r, const char *data, size_t len)
{
    if (r->fd >= 0) {
        if (r->write_err)
            return;
        int w = fs_write_all(r->fd, data, len);
        if (w < 0)
            r->write_err = -w;
        else
            r->written += len;
        return;
    }
    if (r->route == R_MANIFEST) {
        if (r->too_big || r->len + len > REGSTORE_MANIFEST_MAX) {
            r->too_big = true;
            return;
        }
        r->buf = xrealloc(r->buf, r->len + len + 1);
        memcpy(r->buf + r->len, data, len);
        r->len += len;
        r->buf[r->len] = '\0';
    }
}

/* Puts the session back as it was before this request's chunk. */
static void undo_chunk(struct req *r)
{
    if (r->fd >= 0 && r->written > 0 && ftruncate(r->fd, r->base) == 0)
        r->written = 0;
}

static enum MHD_Result finish(struct MHD_Connection *c, struct req *r)
{
    struct regstore *st = r->srv->store;
    _cleanup_berr_ struct berr *e = NULL;
    if (r->route == R_MANIFEST) {
        if (r->too_big)
            return send_err(c, r, 413, "SIZE_INVALID", "manifest over 4 MiB");
        char digest[REGSTORE_DIGEST_LEN + 1], subject[REGSTORE_DIGEST_LEN + 1];
        if (regstore_manifest_put(st, r->name, r->ref, r->buf ? r->buf : "", r->len,
                                  header(c, "Content-Type"), digest, subject, &e) < 0) {
            if (e && e->kind == BERR_NOT_FOUND)
                return send_err(c, r, 400, "MANIFEST_BLOB_UNKNOWN", e->msg);
            return send_store_err(c, r, e, 404, "MANIFEST_UNKNOWN");
        }
        _cleanup_free_ char *loc = xasprintf("/v2/%s/manifests/%s", r->name, digest);
        const char *h[] = {
            "Location", loc, "Docker-Content-Digest", digest, *subject ? "OCI-Subject" : NULL,
            subject,    NULL};
        return send_empty(c, r, 201, h);
    }
    if (r->write_err) {
        undo_chunk(r);
        fprintf(stderr, "berth registry: %s %s: write: %s\n", r->method, r->url,
                strerror(r->write_err));
        return send_err(c, r, 500, "UNKNOWN", "cannot store the upload");
    }
    if (r->expect >= 0 && r->written != r->expect) {
        undo_chunk(r);
        return send_err(c, r, 400, "BLOB_UPLOAD_INVALID", "body does not match Content-Range");
    }
    if (is_method(r, "PATCH"))
        return send_upload_state(c, r, 202, r->ref, r->base + r->written);
    /* PUT of the last chunk, or a POST with the whole blob */
    if (regstore_upload_commit(st, r->name, r->ref, r->digest, &e) < 0) {
        r->committed = true; /* a mismatch removed the session */
        if (e && e->kind == BERR_INVALID)
            return send_err(c, r, 400, "DIGEST_INVALID", e->msg);
        return send_store_err(c, r, e, 404, "BLOB_UPLOAD_UNKNOWN");
    }
    r->committed = true;
    _cleanup_free_ char *loc = xasprintf("/v2/%s/blobs/%s", r->name, r->digest);
    const char *h[] = {"Location", loc, "Docker-Content-Digest", r->digest, NULL};
    return send_empty(c, r, 201, h);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls)
{
    struct req *r = *con_cls;
    if (!r) {
        r = xcalloc(1, sizeof(*r));
        r->srv = cls;
        r->fd = -1;
        r->expect = -1;
        r->method = xstrdup(method);
        r->url = xstrdup(url);
        clock_gettime(CLOCK_MONOTONIC, &r->start);
        *con_cls = r;
        /* MHD takes an answer only now (headers read) or once the body is in: a request
         * with a body is checked now, so a refusal never waits for its body; one without
         * is answered on the next call, which keeps the connection open for the next */
        const char *cl = header(c, "Content-Length");
        bool has_body = header(c, "Transfer-Encoding") || (cl && strtoull(cl, NULL, 10) > 0);
        if (!has_body)
            return MHD_YES;
        r->begun = true;
        return begin(c, r);
    }
    if (!r->begun) {
        r->begun = true;
        enum MHD_Result ret = begin(c, r);
        if (ret != MHD_YES)
            return ret;
        if (r->replied || *upload_data_size)
            goto body_or_done;
        return finish(c, r); /* no body: the request is complete */
    }
body_or_done:
    if (r->replied) { /* answered already (an error): what the client still sends is dropped */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size) {
        body(r, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    return finish(c, r);
}

/* After each request: the access log line, and a session this request made or grew left as
 * it was unless the request completed. */
static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct req *r = *con_cls;
    if (!r)
        return;
    struct server *srv = cls;
    bool ok = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK;
    if (r->fd >= 0 && !ok && !r->committed)
        undo_chunk(r);
    if (r->temp_upload && !r->committed) {
        _cleanup_berr_ struct berr *e = NULL;
        regstore_upload_cancel(srv->store, r->name, r->ref, &e);
    }
    if (r->fd >= 0)
        close(r->fd);

    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double ms = (now.tv_sec - r->start.tv_sec) * 1e3 + (now.tv_nsec - r->start.tv_nsec) / 1e6;
    char host[INET6_ADDRSTRLEN] = "-";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, host, sizeof(host));
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, host, sizeof(host));
    }
    time_t t = time(NULL);
    struct tm tm;
    char ts[32];
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    /* one write per line: lines of concurrent requests never interleave */
    _cleanup_free_ char *line = xasprintf(
        "%s %s [%s] \"%s %s\" %d %" PRIu64 " %.1fms%s\n", host, r->user ? r->user : "-", ts,
        r->method, r->url, r->status ? r->status : 0, r->bytes, ms, ok ? "" : " (aborted)");
    (void)!write(STDERR_FILENO, line, strlen(line));

    free(r->method);
    free(r->url);
    free(r->user);
    free(r->name);
    free(r->ref);
    free(r->buf);
    free(r);
    *con_cls = NULL;
}

/* ---- the daemon ---- */

static int parse_addr(const char *addr, struct sockaddr_storage *ss, struct berr **err)
{
    memset(ss, 0, sizeof(*ss));
    const char *colon = strrchr(addr, ':');
    if (!colon)
        return berr_set(err, BERR_INVALID, EINVAL, "--addr %s: give HOST:PORT", addr);
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end || port < 0 || port > 65535)
        return berr_set(err, BERR_INVALID, EINVAL, "--addr %s: bad port", addr);
    _cleanup_free_ char *host = xstrndup(addr, colon - addr);
    if (host[0] == '[') {
        size_t n = strlen(host);
        if (n < 2 || host[n - 1] != ']')
            return berr_set(err, BERR_INVALID, EINVAL, "--addr %s: bad IPv6 address", addr);
        host[n - 1] = '\0';
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
            return berr_set(err, BERR_INVALID, EINVAL, "--addr %s: bad IPv6 address", addr);
        return 0;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    /* numeric addresses only (and localhost): serving never asks a resolver */
    const char *h = !*host ? "0.0.0.0" : strcmp(host, "localhost") == 0 ? "127.0.0.1" : host;
    if (inet_pton(AF_INET, h, &s4->sin_addr) != 1)
        return berr_set(err, BERR_INVALID, EINVAL,
                        "--addr %s: give a numeric address (127.0.0.1:5000, [::1]:5000, :5000)",
                        addr);
    return 0;
}

int server_run(const struct server_opts *o, struct berr **err)
{
    struct sockaddr_storage ss;
    if (parse_addr(o->addr, &ss, err) < 0)
        return berr_code(*err);
    if (!!o->tls_cert != !!o->tls_key)
        return berr_set(err, BERR_INVALID, EINVAL, "give both --tls-cert and --tls-key");
    _cleanup_free_ char *cert = NULL, *key = NULL;
    if (o->tls_cert) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
            return berr_set(err, BERR_UNSUPPORTED, ENOTSUP,
                            "--tls-cert: this libmicrohttpd has no TLS support");
        if (fs_read_file(o->tls_cert, &cert, NULL, err) < 0)
            return berr_prefix(err, "--tls-cert %s", o->tls_cert);
        if (fs_read_file(o->tls_key, &key, NULL, err) < 0)
            return berr_prefix(err, "--tls-key %s", o->tls_key);
    }
    struct server srv = {.read_only = o->read_only};
    pthread_mutex_init(&srv.lock, NULL);
    int r = 0;
    if (o->htpasswd && load_htpasswd(&srv, o->htpasswd, err) < 0) {
        r = berr_code(*err);
        goto out;
    }
    if (regstore_open(o->root, &srv.store, err) < 0) {
        r = berr_prefix(err, "registry root %s", o->root);
        goto out;
    }

    /* the threads MHD starts inherit this mask: only the main thread takes the signals */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_POLL | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (cert)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, key},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, handler, &srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_NOTIFY_COMPLETED, completed, &srv, MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300, MHD_OPTION_LISTENING_ADDRESS_REUSE,
        (unsigned)1, MHD_OPTION_ARRAY, cert ? tls_opts : tls_opts + 2, MHD_OPTION_END);
    if (!d) {
        r = berr_set(err, BERR_INTERNAL, EADDRINUSE,
                     "cannot serve on %s (address in use, not ours, or a bad TLS key pair)",
                     o->addr);
        goto out;
    }
    fprintf(stderr, "berth registry: serving %s://%s from %s%s%s\n", cert ? "https" : "http",
            o->addr, o->root, o->read_only ? " (read-only)" : "", srv.nusers ? " (htpasswd)" : "");
    int sig;
    while (sigwait(&set, &sig) == 0 && sig == SIGHUP)
        ;
    MHD_stop_daemon(d);
out:
    regstore_free(srv.store);
    for (size_t i = 0; i < srv.nusers; i++) {
        free(srv.users[i].name);
        free(srv.users[i].hash);
    }
    free(srv.users);
    pthread_mutex_destroy(&srv.lock);
    return r;
}

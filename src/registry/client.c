/* client.c - pull, push, login and logout against an OCI distribution registry */
#include "registry/client.h"
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <termios.h>
#include <unistd.h>
#include "base/cleanup.h"
#include "base/digest.h"
#include "base/fs.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "image/reference.h"
#include "image/store.h"
#include "registry/auth.h"
#include "registry/client-http.h"

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MANIFEST_MAX (4 << 20)
#define CONFIG_MAX (16 << 20)
/* uploads bigger than this go in chunks (POST, PATCH..., PUT) */
#define CHUNK_SIZE (64ULL << 20)

static const char *const accept_manifests[] = {
    "Accept: " MT_OCI_MANIFEST ", " MT_DOCKER_MANIFEST ", " MT_OCI_INDEX ", " MT_DOCKER_LIST, NULL};

/* ---- names, endpoints, platforms (pure) ---- */

char *reg_endpoint(const struct config *c, const char *domain)
{
    if (strcmp(domain, "docker.io") != 0)
        return xstrdup(domain);
    const char *d = c && c->default_registry[0] ? c->default_registry : "docker.io";
    return xstrdup(strcmp(d, "docker.io") == 0 ? "registry-1.docker.io" : d);
}

/* host[:port] -> host without brackets or port */
static char *host_only(const char *hp)
{
    if (hp[0] == '[') {
        const char *e = strchr(hp, ']');
        return e ? xstrndup(hp + 1, (size_t)(e - hp - 1)) : xstrdup(hp);
    }
    const char *colon = strchr(hp, ':');
    return colon ? xstrndup(hp, (size_t)(colon - hp)) : xstrdup(hp);
}

static bool in_cidr(const char *host, const char *cidr)
{
    const char *slash = strchr(cidr, '/');
    if (!slash)
        return false;
    char net[64];
    snprintf(net, sizeof(net), "%.*s", (int)(slash - cidr), cidr);
    char *end;
    long bits = strtol(slash + 1, &end, 10);
    struct in_addr a, n;
    if (*end || bits < 0 || bits > 32 || inet_pton(AF_INET, host, &a) != 1 ||
        inet_pton(AF_INET, net, &n) != 1)
        return false;
    uint32_t mask = bits == 0 ? 0 : htonl(~0U << (32 - bits));
    return (a.s_addr & mask) == (n.s_addr & mask);
}

bool reg_insecure(const struct config *c, const char *hp)
{
    _cleanup_free_ char *h = host_only(hp);
    struct in_addr a;
    if (!strcmp(h, "localhost") || !strcmp(h, "::1") ||
        (inet_pton(AF_INET, h, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127))
        return true;
    for (int i = 0; c && i < c->n_insecure; i++) {
        const char *x = c->insecure_registries[i];
        if (!strcmp(x, hp) || !strcmp(x, h) || in_cidr(h, x))
            return true;
    }
    return false;
}

int reg_platform_parse(const char *s, struct reg_platform *ret, struct berr **err)
{
    struct reg_platform p = {0};
    const char *a = strchr(s, '/');
    const char *v = a ? strchr(a + 1, '/') : NULL;
    size_t on = a ? (size_t)(a - s) : 0;
    size_t an = a ? (v ? (size_t)(v - a - 1) : strlen(a + 1)) : 0;
    if (!a || on == 0 || an == 0 || on >= sizeof(p.os) || an >= sizeof(p.arch) ||
        (v && (!v[1] || strlen(v + 1) >= sizeof(p.variant) || strchr(v + 1, '/'))))
        return berr_set(err, BERR_INVALID, EINVAL,
                        "invalid platform \"%s\": expected OS/ARCH[/VARIANT]", s);
    memcpy(p.os, s, on);
    memcpy(p.arch, a + 1, an);
    if (v)
        snprintf(p.variant, sizeof(p.variant), "%s", v + 1);
    *ret = p;
    return 0;
}

void reg_platform_host(struct reg_platform *ret)
{
    struct utsname u;
    memset(ret, 0, sizeof(*ret));
    strcpy(ret->os, "linux");
    uname(&u);
    const char *m = u.machine, *arch = m, *var = "";
    if (!strcmp(m, "x86_64"))
        arch = "amd64";
    else if (!strcmp(m, "aarch64"))
        arch = "arm64", var = "v8";
    else if (!strcmp(m, "i686") || !strcmp(m, "i386"))
        arch = "386";
    else if (!strncmp(m, "armv7", 5))
        arch = "arm", var = "v7";
    else if (!strncmp(m, "armv6", 5))
        arch = "arm", var = "v6";
    snprintf(ret->arch, sizeof(ret->arch), "%.31s", arch);
    snprintf(ret->variant, sizeof(ret->variant), "%.31s", var);
}

json_t *reg_select_platform(json_t *index, const struct reg_platform *p)
{
    size_t i;
    json_t *d, *loose = NULL;
    json_array_foreach(json_object_get(index, "manifests"), i, d)
    {
        json_t *pl = json_object_get(d, "platform");
        const char *os = json_string_value(json_object_get(pl, "os"));
        const char *arch = json_string_value(json_object_get(pl, "architecture"));
        const char *var = json_string_value(json_object_get(pl, "variant"));
        if (!os || !arch || strcmp(os, p->os) != 0 || strcmp(arch, p->arch) != 0)
            continue;
        if (!var || !*var || !p->variant[0]) {
            /* arm64 without a variant is v8; otherwise the first that does not say */
            if (!strcmp(p->arch, "arm64") && var && *var && strcmp(var, "v8") != 0)
                continue;
            if (!p->variant[0] || !strcmp(p->variant, "v8") || !var || !*var) {
                if (!loose)
                    loose = d;
                continue;
            }
            continue;
        }
        if (!strcmp(var, p->variant))
            return d;
    }
    return loose;
}

/* ---- common ---- */

/* curl's global state, once per process before any thread starts (reference-counted by
 * curl, so the program's main may have done it too) */
static void http_init(void)
{
    static bool done;
    if (!done && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
        done = true;
}

static int fail(const char *verb, const char *what, struct berr *err)
{
    fprintf(stderr, "berth: %s%s%s: %s\n", verb, what ? " " : "", what ? what : "",
            err && err->msg ? err->msg : "unknown error");
    berr_free(err);
    return 1;
}

static int usage_error(const char *verb, const char *msg)
{
    fprintf(stderr, "berth: %s: %s\nSee 'berth %s --help'.\n", verb, msg, verb);
    return 125;
}

/* r->host's certs.d material, then its scheme: a registry with a certs.d CA is verified
 * with it even when it would be insecure (docker: certs.d makes a registry secure) */
static int reg_secure_setup(struct engine *e, struct reg *r, struct berr **err)
{
    int ca = reg_load_tls(r, e->config.certs_dir, err);
    if (ca < 0)
        return berr_prefix(err, "%s", r->host);
    reg_pick_scheme(r, !ca && reg_insecure(&e->config, r->host));
    return 0;
}

/* A session for a reference: endpoint, scheme, credentials from config.json. */
static int reg_open(struct engine *e, const struct ref *rf, bool push, struct reg *r,
                    struct berr **err)
{
    reg_init(r);
    r->host = reg_endpoint(&e->config, rf->domain);
    if (reg_secure_setup(e, r, err) < 0)
        return -1;
    r->repo = xstrdup(rf->path);
    r->push = push;
    /* credentials are kept under the name users log in with: the domain, or the endpoint
     * when the default registry stands in for docker.io */
    if (auth_get(NULL, r->host, &r->user, &r->pass, err) < 0)
        return -1;
    if (!r->user && strcmp(r->host, rf->domain) != 0 &&
        auth_get(NULL, rf->domain, &r->user, &r->pass, err) < 0)
        return -1;
    return 0;
}

/* A session at a mirror of Docker Hub (a URL of "registry-mirrors"): the URL's scheme (https
 * without checking the certificate for an insecure mirror without a certs.d CA), the
 * mirror's certs.d material, credentials as reg_open finds them. */
static int reg_open_mirror(struct engine *e, const struct ref *rf, const char *url, struct reg *r,
                           struct berr **err)
{
    reg_init(r);
    const char *sep = strstr(url, "://");
    r->host = xstrdup(sep ? sep + 3 : url);
    int ca = reg_load_tls(r, e->config.certs_dir, err);
    if (ca < 0)
        return berr_prefix(err, "mirror %s", url);
    r->base = xstrdup(url);
    r->tls_noverify = !strncmp(url, "https://", 8) && !ca && reg_insecure(&e->config, r->host);
    r->repo = xstrdup(rf->path);
    if (auth_get(NULL, r->host, &r->user, &r->pass, err) < 0)
        return -1;
    if (!r->user && auth_get(NULL, rf->domain, &r->user, &r->pass, err) < 0)
        return -1;
    return 0;
}

static bool valid_digest_text(const char *d)
{
    return d && ref_is_digest(d);
}

static void digest_of(const void *data, size_t len, char out[72])
{
    uint8_t d[32];
    char hex[65];
    sha256(data, len, d);
    sha256_hex(d, hex);
    snprintf(out, 72, "sha256:%s", hex);
}

/* ---- pull ---- */

/* GET a manifest (tag or digest): its bytes, media type and digest, checked. */
static int get_manifest(struct reg *r, const char *ref, const char *want_digest, char **ret_body,
                        size_t *ret_len, char **ret_type, char ret_digest[72], struct berr **err)
{
    _cleanup_free_ char *url = xasprintf("/v2/%s/manifests/%s", r->repo, ref), *ctype = NULL;
    struct reg_resp p;
    reg_resp_init(&p);
    p.limit = MANIFEST_MAX;
    int rc = reg_do(r, "GET", url, accept_manifests, NULL, &p, err);
    if (rc < 0) {
        if ((*err)->errnum == EFBIG) {
            berr_free(TAKE_PTR(*err));
            rc = berr_set(err, BERR_INVALID, EFBIG, "manifest %s: larger than 4 MiB", ref);
        }
        goto out;
    }
    if (p.status != 200) {
        _cleanup_free_ char *why = reg_error_text(&p);
        rc = berr_set(err, p.status == 404 ? BERR_NOT_FOUND : BERR_INTERNAL, EIO,
                      "manifest for %s not found: %s", ref, why);
        if (p.status != 404) {
            berr_free(TAKE_PTR(*err));
            rc = berr_set(err, p.status == 401 || p.status == 403 ? BERR_INVALID : BERR_INTERNAL,
                          EIO, "manifest %s: %s", ref, why);
        }
        goto out;
    }
    char d[72];
    digest_of(p.body ? p.body : "", p.len, d);
    if (want_digest && strcmp(d, want_digest) != 0) {
        rc = berr_set(err, BERR_INVALID, EIO, "manifest %s: its content has digest %s", ref, d);
        goto out;
    }
    if (!want_digest && p.digest && valid_digest_text(p.digest) && strcmp(p.digest, d) != 0) {
        rc = berr_set(err, BERR_INVALID, EIO,
                      "manifest %s: the registry says digest %s, its content has %s", ref, p.digest,
                      d);
        goto out;
    }
    json_t *j = json_loadb(p.body ? p.body : "", p.len, 0, NULL);
    const char *mt = json_string_value(json_object_get(j, "mediaType"));
    if (p.content_type)
        ctype = xstrndup(p.content_type, strcspn(p.content_type, ";"));
    char *type = xstrdup(mt ? mt : ctype ? ctype : MT_OCI_MANIFEST);
    json_decref(j);
    if (!j) {
        free(type);
        rc = berr_set(err, BERR_INVALID, EINVAL, "manifest %s: not JSON", ref);
        goto out;
    }
    *ret_body = TAKE_PTR(p.body);
    *ret_len = p.len;
    *ret_type = type;
    memcpy(ret_digest, d, 72);
out:
    reg_resp_clear(&p);
    return rc;
}

/* GETs blob digest (size bytes) into a staging file of the store, checked on the way, and
 * adopts it. */
static int fetch_blob(struct reg *r, struct store *st, const char *digest, int64_t size,
                      struct berr **err)
{
    _cleanup_free_ char *tmp = NULL;
    if (store_mktemp(st, false, &tmp, err) < 0)
        return -1;
    _cleanup_close_ int fd = openat(st->dirfd, tmp, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) {
        unlinkat(st->dirfd, tmp, 0);
        return berr_sys(err, errno, "staging %s", digest);
    }
    _cleanup_free_ char *url = xasprintf("/v2/%s/blobs/%s", r->repo, digest);
    struct reg_resp p;
    reg_resp_init(&p);
    p.fd = fd;
    p.expect = size;
    int rc = reg_do(r, "GET", url, NULL, NULL, &p, err);
    if (rc == 0 && p.status != 200) {
        _cleanup_free_ char *why = reg_error_text(&p);
        rc = berr_set(err, BERR_INTERNAL, EIO, "blob %s: %s", digest, why);
    }
    if (rc == 0 && size >= 0 && p.got != (uint64_t)size)
        rc = berr_set(err, BERR_INVALID, EIO, "blob %s: truncated: %llu of %lld bytes", digest,
                      (unsigned long long)p.got, (long long)size);
    if (rc == 0) {
        uint8_t d[32];
        char hex[65];
        digest_final(&p.dg, d);
        sha256_hex(d, hex);
        if (strcmp(hex, digest + 7) != 0)
            rc = berr_set(err, BERR_INVALID, EIO, "blob %s: its content has digest sha256:%s",
                          digest, hex);
    }
    p.fd = -1;
    reg_resp_clear(&p);
    if (rc == 0)
        rc = store_adopt_blob(st, tmp, digest, err);
    if (rc < 0)
        unlinkat(st->dirfd, tmp, 0);
    return rc;
}

static bool known_layer_type(const char *mt)
{
    return !mt || !strncmp(mt, "application/vnd.oci.image.layer.v1.tar", 38) ||
           !strncmp(mt, "application/vnd.docker.image.rootfs.diff.tar", 44);
}

/* The session and the manifest a pull starts from: a Hub name is asked of each of
 * "registry-mirrors" in turn, then of the default registry (docker's order); a mirror that
 * fails in any way (down, no such manifest, unauthorized) passes to the next. Push never
 * comes here. */
static int open_for_pull(struct engine *e, const struct ref *rf, const char *ref, struct reg *r,
                         char **ret_body, size_t *ret_len, char **ret_type, char ret_digest[72],
                         struct berr **err)
{
    for (int i = 0; !strcmp(rf->domain, "docker.io") && i < e->config.n_mirrors; i++) {
        _cleanup_berr_ struct berr *me = NULL;
        if (reg_open_mirror(e, rf, e->config.registry_mirrors[i], r, &me) == 0 &&
            get_manifest(r, ref, rf->digest, ret_body, ret_len, ret_type, ret_digest, &me) == 0)
            return 0;
        reg_clear(r);
    }
    if (reg_open(e, rf, false, r, err) < 0)
        return -1;
    return get_manifest(r, ref, rf->digest, ret_body, ret_len, ret_type, ret_digest, err);
}

/* ---- several blobs at once: a few threads, each with its own connection ---- */

#define PULL_PARALLEL 3 /* docker's max-concurrent-downloads */

struct job {
    const char *digest;
    int64_t size;
    bool show; /* a layer, with its "Download complete" line */
};

struct fetcher {
    const struct reg *proto;
    struct store *st;
    struct job *jobs;
    size_t n, next;
    pthread_mutex_t mu;
    struct berr *err; /* the first failure; the others stop taking jobs */
};

static void *fetch_worker(void *arg)
{
    struct fetcher *f = arg;
    struct reg r __attribute__((cleanup(reg_clear)));
    reg_copy(&r, f->proto);
    for (;;) {
        pthread_mutex_lock(&f->mu);
        struct job *j = !f->err && f->next < f->n ? &f->jobs[f->next++] : NULL;
        pthread_mutex_unlock(&f->mu);
        if (!j)
            break;
        struct berr *e = NULL;
        int rc = fetch_blob(&r, f->st, j->digest, j->size, &e);
        pthread_mutex_lock(&f->mu);
        if (rc < 0 && !f->err)
            f->err = TAKE_PTR(e);
        else if (rc == 0 && j->show) {
            printf("%.12s: Download complete\n", j->digest + 7);
            fflush(stdout);
        }
        pthread_mutex_unlock(&f->mu);
        berr_free(e);
    }
    return NULL;
}

static int fetch_all(struct reg *r, struct store *st, struct job *jobs, size_t n, struct berr **err)
{
    struct fetcher f = {.proto = r, .st = st, .jobs = jobs, .n = n};
    pthread_mutex_init(&f.mu, NULL);
    pthread_t th[PULL_PARALLEL];
    size_t started = 0;
    for (size_t k = 0; k < PULL_PARALLEL && k < n; k++) {
        if (pthread_create(&th[k], NULL, fetch_worker, &f) != 0)
            break;
        started++;
    }
    if (started == 0 && n > 0)
        fetch_worker(&f);
    for (size_t k = 0; k < started; k++)
        pthread_join(th[k], NULL);
    pthread_mutex_destroy(&f.mu);
    if (f.err) {
        *err = f.err;
        return berr_code(*err);
    }
    return 0;
}

struct pull_opts {
    bool quiet;
    bool step;     /* one tag of pull -a: no default-tag, Status or name lines */
    bool *changed; /* set when the step fetched or retagged anything */
    bool platform_set;
    struct reg_platform platform;
};

static int pull(struct engine *e, const char *name, const struct pull_opts *o, struct berr **err)
{
    _cleanup_(ref_freep) struct ref *rf = ref_parse(name, err);
    if (!rf)
        return -1;
    /* "Using default tag": the user gave neither a tag nor a digest */
    const char *last = strrchr(name, '/');
    bool gave_tag = strchr(last ? last : name, ':') != NULL || strchr(name, '@') != NULL;
    _cleanup_free_ char *full = ref_string(rf), *fam = ref_familiar(rf);
    const char *ref = rf->digest ? rf->digest : rf->tag;
    if (!gave_tag && !o->quiet && !o->step)
        printf("Using default tag: latest\n");
    if (!o->quiet) {
        printf("%s: Pulling from %s\n", ref, rf->path);
        fflush(stdout);
    }
    struct reg r __attribute__((cleanup(reg_clear)));
    _cleanup_free_ char *body = NULL, *type = NULL, *mbody = NULL, *mtype = NULL;
    size_t len = 0, mlen = 0;
    char top[72], mdigest[72];
    if (open_for_pull(e, rf, ref, &r, &body, &len, &type, top, err) < 0)
        return -1;
    if (!strcmp(type, MT_OCI_INDEX) || !strcmp(type, MT_DOCKER_LIST)) {
        json_t *idx __attribute__((cleanup(json_decrefp))) = json_loadb(body, len, 0, NULL);
        struct reg_platform pl = o->platform;
        if (!o->platform_set)
            reg_platform_host(&pl);
        json_t *d = reg_select_platform(idx, &pl);
        const char *dd = json_string_value(json_object_get(d, "digest"));
        if (!d)
            return berr_set(err, BERR_NOT_FOUND, ENOENT,
                            "no matching manifest for %s/%s%s%s in the manifest list entries",
                            pl.os, pl.arch, pl.variant[0] ? "/" : "", pl.variant);
        if (!valid_digest_text(dd))
            return berr_set(err, BERR_INVALID, EINVAL, "index %s: invalid digest", top);
        if (get_manifest(&r, dd, dd, &mbody, &mlen, &mtype, mdigest, err) < 0)
            return -1;
    } else {
        mbody = TAKE_PTR(body);
        mlen = len;
        mtype = TAKE_PTR(type);
        memcpy(mdigest, top, 72);
    }
    if (strcmp(mtype, MT_OCI_MANIFEST) != 0 && strcmp(mtype, MT_DOCKER_MANIFEST) != 0)
        return berr_set(err, BERR_UNSUPPORTED, ENOTSUP,
                        "manifest %s: media type %s is not "
                        "supported",
                        mdigest, mtype);
    json_t *m __attribute__((cleanup(json_decrefp))) = json_loadb(mbody, mlen, 0, NULL);
    json_t *cfg = json_object_get(m, "config");
    const char *cfgd = json_string_value(json_object_get(cfg, "digest"));
    json_t *layers = json_object_get(m, "layers");
    if (!valid_digest_text(cfgd) || !json_is_array(layers))
        return berr_set(err, BERR_INVALID, EINVAL, "manifest %s: no config or layers", mdigest);
    json_int_t cfgsize = json_integer_value(json_object_get(cfg, "size"));
    if (cfgsize < 0 || cfgsize > CONFIG_MAX)
        return berr_set(err, BERR_INVALID, EFBIG, "manifest %s: config of %lld bytes", mdigest,
                        (long long)cfgsize);
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l)
    {
        const char *ld = json_string_value(json_object_get(l, "digest"));
        const char *lt = json_string_value(json_object_get(l, "mediaType"));
        if (!valid_digest_text(ld) || json_integer_value(json_object_get(l, "size")) < 0)
            return berr_set(err, BERR_INVALID, EINVAL, "manifest %s: layers[%zu]: bad descriptor",
                            mdigest, i);
        if (!known_layer_type(lt))
            return berr_set(err, BERR_UNSUPPORTED, ENOTSUP,
                            "manifest %s: layer media type %s is not supported", mdigest, lt);
    }

    _cleanup_store_ struct store *st = store_open(e->root, err);
    if (!st || store_lock(st, err) < 0)
        return -1;
    _cleanup_berr_ struct berr *nf = NULL;
    _cleanup_image_ struct image *before = rf->digest ? NULL : store_find_image(st, full, &nf);
    _cleanup_berr_ struct berr *nf2 = NULL;
    /* by digest, "up to date" means the image is here already */
    _cleanup_image_ struct image *had = rf->digest ? store_get_image(st, cfgd, &nf2) : NULL;
    /* the layers the store lacks, and the config: fetched several at once */
    struct job *jobs = xcalloc(json_array_size(layers) + 1, sizeof(*jobs));
    size_t njobs = 0;
    json_array_foreach(layers, i, l)
    {
        const char *ld = json_string_value(json_object_get(l, "digest"));
        bool dup = false;
        for (size_t k = 0; k < njobs; k++)
            dup = dup || !strcmp(jobs[k].digest, ld);
        if (store_has_blob(st, ld) || dup) {
            if (!o->quiet && !dup)
                printf("%.12s: Already exists\n", ld + 7);
            continue;
        }
        if (!o->quiet)
            printf("%.12s: Pulling fs layer\n", ld + 7);
        jobs[njobs++] = (struct job){ld, json_integer_value(json_object_get(l, "size")), !o->quiet};
    }
    bool fetched = njobs > 0;
    if (!store_has_blob(st, cfgd)) {
        jobs[njobs++] = (struct job){cfgd, cfgsize, false};
        fetched = true;
    }
    fflush(stdout);
    int rc = fetch_all(&r, st, jobs, njobs, err);
    char md[72], id[72];
    if (rc == 0 && (rc = store_put_blob(st, mbody, mlen, md, err)) == 0)
        rc = store_add_image(st, md, id, err);
    if (rc == 0 && !rf->digest)
        rc = store_tag(st, id, full, err);
    for (size_t k = 0; rc == 0 && k < njobs; k++)
        if (jobs[k].show)
            printf("%.12s: Pull complete\n", jobs[k].digest + 7);
    free(jobs);
    if (rc < 0) {
        /* what this pull adopted and no image uses goes again */
        _cleanup_berr_ struct berr *ge = NULL;
        store_gc(st, &ge);
        return -1;
    }
    store_unlock(st);
    events_note(e->runroot, "image", "pull", id, json_pack("{s:s}", "name", full));
    bool same = !fetched && ((before && !strcmp(before->id, id)) || had);
    if (o->changed && !same)
        *o->changed = true;
    if (o->step) {
        if (!o->quiet)
            printf("Digest: %s\n", top);
    } else if (o->quiet) {
        printf("%s\n", full);
    } else {
        printf("Digest: %s\n", top);
        _cleanup_free_ char *shown =
            rf->digest ? xasprintf("%s@%s", fam, rf->digest) : xasprintf("%s:%s", fam, rf->tag);
        printf("Status: %s for %s\n", same ? "Image is up to date" : "Downloaded newer image",
               shown);
        printf("%s\n", full);
    }
    return 0;
}

/* The repository's tags (GET /v2/<repo>/tags/list, page by page along the Link headers). */
static json_t *list_tags(struct engine *e, const struct ref *rf, struct berr **err)
{
    struct reg r __attribute__((cleanup(reg_clear)));
    if (reg_open(e, rf, false, &r, err) < 0)
        return NULL;
    json_t *tags = json_array();
    _cleanup_free_ char *url = xasprintf("/v2/%s/tags/list?n=1000", rf->path);
    for (int page = 0; url && page < 1000; page++) {
        struct reg_resp p;
        reg_resp_init(&p);
        p.limit = MANIFEST_MAX;
        int rc = reg_do(&r, "GET", url, NULL, NULL, &p, err);
        if (rc == 0 && p.status != 200) {
            _cleanup_free_ char *why = reg_error_text(&p);
            rc = berr_set(err, p.status == 404 ? BERR_NOT_FOUND : BERR_INTERNAL, EIO,
                          "tags of %s: %s", rf->path, why);
        }
        json_t *j = rc == 0 ? json_loadb(p.body ? p.body : "", p.len, 0, NULL) : NULL;
        json_t *list = json_object_get(j, "tags");
        if (rc == 0 && !json_is_array(list) && !json_is_null(list))
            rc = berr_set(err, BERR_INVALID, EPROTO, "tags of %s: not a tag list", rf->path);
        size_t i;
        json_t *t;
        json_array_foreach(list, i, t)
        {
            if (json_is_string(t))
                json_array_append(tags, t);
        }
        json_decref(j);
        free(url);
        url = NULL;
        /* Link: </v2/x/tags/list?last=b&n=1000>; rel="next" */
        const char *lt = p.link ? strchr(p.link, '<') : NULL;
        const char *gt = lt ? strchr(lt, '>') : NULL;
        if (rc == 0 && gt && strstr(gt, "rel=\"next\""))
            url = xstrndup(lt + 1, (size_t)(gt - lt - 1));
        reg_resp_clear(&p);
        if (rc < 0) {
            json_decref(tags);
            return NULL;
        }
    }
    return tags;
}

static int pull_all(struct engine *e, const char *name, const struct pull_opts *o,
                    struct berr **err)
{
    _cleanup_(ref_freep) struct ref *rf = ref_parse(name, err);
    if (!rf)
        return -1;
    const char *last = strrchr(name, '/');
    if (strchr(last ? last : name, ':') || rf->digest)
        return berr_set(err, BERR_INVALID, EINVAL, "tag can't be used with --all-tags/-a");
    json_t *tags __attribute__((cleanup(json_decrefp))) = list_tags(e, rf, err);
    if (!tags)
        return -1;
    _cleanup_free_ char *repo = ref_name(rf), *fam = ref_familiar(rf);
    if (json_array_size(tags) == 0)
        return berr_set(err, BERR_NOT_FOUND, ENOENT, "repository %s has no tags", repo);
    bool changed = false;
    struct pull_opts step = *o;
    step.step = true;
    step.changed = &changed;
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        _cleanup_free_ char *one = xasprintf("%s:%s", repo, json_string_value(t));
        if (pull(e, one, &step, err) < 0)
            return -1;
    }
    if (!o->quiet)
        printf("Status: %s for %s\n", changed ? "Downloaded newer image" : "Image is up to date",
               fam);
    printf("%s\n", repo);
    return 0;
}

int reg_pull_main(struct engine *e, int argc, char **argv)
{
    http_init();
    static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
                                         {"platform", required_argument, NULL, 'P'},
                                         {"all-tags", no_argument, NULL, 'a'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct pull_opts o = {0};
    bool all = false;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "qah", opts, NULL)) != -1) {
        struct berr *err = NULL;
        switch (c) {
        case 'q': o.quiet = true; break;
        case 'P':
            if (reg_platform_parse(optarg, &o.platform, &err) < 0)
                return fail("pull", NULL, err);
            o.platform_set = true;
            break;
        case 'a': all = true; break;
        case 'h':
            printf("Usage: berth pull [-q] [-a] [--platform OS/ARCH[/VARIANT]] "
                   "NAME[:TAG|@DIGEST]\n");
            return 0;
        default: return usage_error("pull", "unknown flag");
        }
    }
    if (argc - optind != 1)
        return usage_error("pull", "requires exactly 1 argument");
    struct berr *err = NULL;
    if ((all ? pull_all(e, argv[optind], &o, &err) : pull(e, argv[optind], &o, &err)) < 0)
        return fail("pull", argv[optind], err);
    return 0;
}

/* ---- push ---- */

/* Another repository of the same registry that a local image names and whose image holds
 * blob digest: the registry may mount it from there rather than take an upload. */
static char *mount_source(struct store *st, const struct ref *rf, const char *digest)
{
    json_t *names __attribute__((cleanup(json_decrefp))) = store_names(st);
    const char *name;
    json_t *id;
    json_object_foreach(names, name, id)
    {
        _cleanup_berr_ struct berr *e = NULL;
        _cleanup_(ref_freep) struct ref *o = ref_parse(name, &e);
        if (!o || strcmp(o->domain, rf->domain) != 0 || strcmp(o->path, rf->path) == 0)
            continue;
        _cleanup_image_ struct image *im = store_get_image(st, json_string_value(id), &e);
        if (!im)
            continue;
        json_t *m = im->manifest_json;
        bool has = !strcmp(
            json_string_value(json_object_get(json_object_get(m, "config"), "digest")) ?: "",
            digest);
        size_t i;
        json_t *l;
        json_array_foreach(json_object_get(m, "layers"), i, l)
        {
            has = has || !strcmp(json_string_value(json_object_get(l, "digest")) ?: "", digest);
        }
        if (has)
            return xstrdup(o->path);
    }
    return NULL;
}

/* Uploads blob digest (size bytes from fd) unless the registry has it: 1 if it had it, 2 if
 * it mounted it from repository `from`. */
static int push_blob(struct reg *r, int fd, const char *digest, uint64_t size, const char *from,
                     struct berr **err)
{
    _cleanup_free_ char *head = xasprintf("/v2/%s/blobs/%s", r->repo, digest);
    struct reg_resp p;
    reg_resp_init(&p);
    p.limit = 1 << 20;
    int rc = reg_do(r, "HEAD", head, NULL, NULL, &p, err);
    if (rc == 0 && p.status == 200) {
        reg_resp_clear(&p);
        return 1;
    }
    /* a cross-repository mount when we know where it is; a registry that cannot mount it
     * answers 202 with an upload session, as for a plain POST */
    _cleanup_free_ char *start =
        from ? xasprintf("/v2/%s/blobs/uploads/?mount=%s&from=%s", r->repo, digest, from)
             : xasprintf("/v2/%s/blobs/uploads/", r->repo);
    if (rc == 0)
        rc = reg_do(r, "POST", start, NULL, NULL, &p, err);
    if (rc == 0 && from && p.status == 201) {
        reg_resp_clear(&p);
        return 2;
    }
    if (rc == 0 && (p.status != 202 || !p.location)) {
        _cleanup_free_ char *why = reg_error_text(&p);
        rc = berr_set(err, p.status == 401 || p.status == 403 ? BERR_INVALID : BERR_INTERNAL, EIO,
                      "blob %s: start upload: %s", digest, why);
    }
    _cleanup_free_ char *loc = rc == 0 ? xstrdup(p.location) : NULL;
    /* chunks for large blobs: a registry may cap one request's body */
    uint64_t off = 0;
    while (rc == 0 && size > CHUNK_SIZE && off < size) {
        uint64_t n = size - off > CHUNK_SIZE ? CHUNK_SIZE : size - off;
        struct reg_body b = {.fd = fd, .off = (off_t)off, .size = n};
        char cr[96];
        snprintf(cr, sizeof(cr), "Content-Range: %llu-%llu", (unsigned long long)off,
                 (unsigned long long)(off + n - 1));
        const char *h[] = {"Content-Type: application/octet-stream", cr, NULL};
        rc = reg_do(r, "PATCH", loc, h, &b, &p, err);
        if (rc == 0 && (p.status != 202 || !p.location)) {
            _cleanup_free_ char *why = reg_error_text(&p);
            rc = berr_set(err, BERR_INTERNAL, EIO, "blob %s: upload chunk: %s", digest, why);
        }
        if (rc == 0) {
            free(loc);
            loc = xstrdup(p.location);
            off += n;
        }
    }
    if (rc == 0) {
        /* the location may have a query already (distribution's _state) */
        _cleanup_free_ char *url =
            xasprintf("%s%sdigest=%s", loc, strchr(loc, '?') ? "&" : "?", digest);
        if (!strncmp(loc, "/", 1)) {
            char *abs = xasprintf("%s%s", r->base, url);
            free(url);
            url = abs;
        }
        struct reg_body b = {.fd = fd, .off = (off_t)off, .size = size - off};
        const char *h[] = {"Content-Type: application/octet-stream", NULL};
        rc = reg_do(r, "PUT", url, h, &b, &p, err);
        if (rc == 0 && p.status != 201) {
            _cleanup_free_ char *why = reg_error_text(&p);
            rc = berr_set(err, BERR_INTERNAL, EIO, "blob %s: %s", digest, why);
        }
    }
    reg_resp_clear(&p);
    return rc;
}

/* podman's DEST: a registry reference, "docker://" accepted; its other transports refused */
static int push_dest(const char *dest, char **ret, struct berr **err)
{
    static const char *const transports[] = {"containers-storage",
                                             "dir",
                                             "docker-archive",
                                             "docker-daemon",
                                             "oci",
                                             "oci-archive",
                                             "ostree",
                                             "sif",
                                             "tarball"};
    if (!strncmp(dest, "docker://", 9)) {
        *ret = xstrdup(dest + 9);
        return 0;
    }
    const char *sep = strstr(dest, "://");
    size_t tn = sep ? (size_t)(sep - dest) : strcspn(dest, ":");
    for (size_t i = 0; !sep && dest[tn] && i < sizeof(transports) / sizeof(*transports); i++)
        if (strlen(transports[i]) == tn && !strncmp(dest, transports[i], tn))
            sep = dest + tn;
    if (sep)
        return berr_set(err, BERR_UNSUPPORTED, ENOTSUP,
                        "destination %s: transport \"%.*s\" is not supported (only a registry, "
                        "as NAME or docker://NAME)",
                        dest, (int)tn, dest);
    *ret = xstrdup(dest);
    return 0;
}

/* Pushes local image name, to its own name or (dest) to another, without tagging it. */
static int push(struct engine *e, const char *name, const char *dest, bool quiet, struct berr **err)
{
    _cleanup_free_ char *to = NULL;
    if (dest && push_dest(dest, &to, err) < 0)
        return -1;
    _cleanup_(ref_freep) struct ref *rf = ref_parse(to ? to : name, err);
    if (!rf)
        return -1;
    if (rf->digest)
        return berr_set(err, BERR_INVALID, EINVAL, "cannot push a digest reference");
    _cleanup_free_ char *full = ref_string(rf), *repo = ref_name(rf);
    _cleanup_store_ struct store *st = store_open(e->root, err);
    if (!st)
        return -1;
    /* with a destination, the local image is named as any command names one (name or ID) */
    _cleanup_image_ struct image *im = store_find_image(st, to ? name : full, err);
    if (!im) {
        if (to && (*err)->kind != BERR_NOT_FOUND)
            return -1;
        _cleanup_free_ char *fam = to ? xstrdup(name) : ref_familiar(rf);
        berr_free(TAKE_PTR(*err));
        return berr_set(err, BERR_NOT_FOUND, ENOENT,
                        "an image does not exist locally with the tag: %s", fam);
    }
    if (!quiet) {
        printf("The push refers to repository [%s]\n", repo);
        fflush(stdout);
    }
    struct reg r __attribute__((cleanup(reg_clear)));
    if (reg_open(e, rf, true, &r, err) < 0)
        return -1;
    _cleanup_free_ char *mtext = NULL;
    size_t mlen = 0;
    if (store_read_blob(st, im->manifest, &mtext, &mlen, err) < 0)
        return -1;
    json_t *m = im->manifest_json;
    json_t *layers = json_object_get(m, "layers");
    /* the layers top first, as docker lists them; the config last */
    for (size_t k = json_array_size(layers) + 1; k-- > 0;) {
        json_t *d =
            k == json_array_size(layers) ? json_object_get(m, "config") : json_array_get(layers, k);
        bool is_cfg = k == json_array_size(layers);
        const char *dg = json_string_value(json_object_get(d, "digest"));
        _cleanup_close_ int fd = store_open_blob(st, dg, err);
        if (fd < 0)
            return -1;
        struct stat sb;
        if (fstat(fd, &sb) < 0)
            return berr_sys(err, errno, "blob %s", dg);
        if (!quiet && !is_cfg) {
            printf("%.12s: Preparing\n", dg + 7);
            fflush(stdout);
        }
        _cleanup_free_ char *from = mount_source(st, rf, dg);
        int rc = push_blob(&r, fd, dg, (uint64_t)sb.st_size, from, err);
        if (rc < 0)
            return -1;
        if (!quiet && !is_cfg && rc == 2)
            printf("%.12s: Mounted from %s\n", dg + 7, from);
        else if (!quiet && !is_cfg)
            printf("%.12s: %s\n", dg + 7, rc == 1 ? "Layer already exists" : "Pushed");
    }
    const char *mt = json_string_value(json_object_get(m, "mediaType"));
    _cleanup_free_ char *ct = xasprintf("Content-Type: %s", mt ? mt : MT_OCI_MANIFEST);
    const char *h[] = {ct, NULL};
    _cleanup_free_ char *url = xasprintf("/v2/%s/manifests/%s", r.repo, rf->tag);
    struct reg_body b = {.data = mtext, .len = mlen};
    struct reg_resp p;
    reg_resp_init(&p);
    p.limit = 1 << 20;
    int rc = reg_do(&r, "PUT", url, h, &b, &p, err);
    if (rc == 0 && p.status != 201) {
        _cleanup_free_ char *why = reg_error_text(&p);
        rc = berr_set(err, BERR_INTERNAL, EIO, "manifest %s: %s", rf->tag, why);
    }
    reg_resp_clear(&p);
    if (rc < 0)
        return -1;
    events_note(e->runroot, "image", "push", im->id, json_pack("{s:s}", "name", full));
    if (quiet)
        printf("%s\n", full);
    else
        printf("%s: digest: %s size: %zu\n", rf->tag, im->manifest, mlen);
    return 0;
}

int reg_push_main(struct engine *e, int argc, char **argv)
{
    http_init();
    static const struct option opts[] = {
        {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool quiet = false;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        if (c == 'q') {
            quiet = true;
        } else if (c == 'h') {
            printf("Usage: berth push [-q] NAME[:TAG] [DEST]\n");
            return 0;
        } else {
            return usage_error("push", "unknown flag");
        }
    }
    if (argc - optind < 1 || argc - optind > 2)
        return usage_error("push", "requires 1 or 2 arguments: NAME[:TAG] [DEST]");
    struct berr *err = NULL;
    const char *dest = argc - optind == 2 ? argv[optind + 1] : NULL;
    if (push(e, argv[optind], dest, quiet, &err) < 0)
        return fail("push", argv[optind], err);
    return 0;
}

/* ---- login, logout ---- */

/* The registry a login is for: HOST as given (an URL's host), or the default registry. */
static char *login_host(struct engine *e, const char *arg)
{
    if (!arg) {
        const char *d = e->config.default_registry;
        return xstrdup(strcmp(d, "docker.io") == 0 ? "docker.io" : d);
    }
    const char *s = arg;
    if (!strncmp(s, "https://", 8))
        s += 8;
    else if (!strncmp(s, "http://", 7))
        s += 7;
    char *h = xstrndup(s, strcspn(s, "/"));
    if (!strcmp(h, "index.docker.io") || !strcmp(h, "registry-1.docker.io")) {
        free(h);
        h = xstrdup("docker.io");
    }
    return h;
}

static char *read_line(FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, f);
    if (n < 0) {
        free(line);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = 0;
    return line;
}

static char *read_password_tty(void)
{
    struct termios old, raw;
    if (tcgetattr(STDIN_FILENO, &old) < 0)
        return NULL;
    raw = old;
    raw.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
    fputs("Password: ", stderr);
    char *p = read_line(stdin);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fputs("\n", stderr);
    return p;
}

/* GET /v2/ with the credentials: 200, or a 401 answered by the challenge's flow */
static int check_login(struct engine *e, const char *host, const char *user, const char *pass,
                       struct berr **err)
{
    struct reg r __attribute__((cleanup(reg_clear)));
    reg_init(&r);
    r.host = reg_endpoint(&e->config, host);
    if (reg_secure_setup(e, &r, err) < 0)
        return -1;
    r.user = xstrdup(user);
    r.pass = xstrdup(pass);
    struct reg_resp p;
    reg_resp_init(&p);
    p.limit = 1 << 20;
    int rc = reg_do(&r, "GET", "/v2/", NULL, NULL, &p, err);
    if (rc == 0 && p.status != 200) {
        rc = berr_set(err, BERR_INVALID, EACCES, "%s: unauthorized: %s", host,
                      p.status == 401 ? "incorrect username or password" : "login failed");
        if (p.status != 401) {
            _cleanup_free_ char *why = reg_error_text(&p);
            berr_free(TAKE_PTR(*err));
            rc = berr_set(err, BERR_INTERNAL, EIO, "%s: %s", host, why);
        }
    }
    reg_resp_clear(&p);
    return rc;
}

int reg_login_main(struct engine *e, int argc, char **argv)
{
    http_init();
    static const struct option opts[] = {{"username", required_argument, NULL, 'u'},
                                         {"password", required_argument, NULL, 'p'},
                                         {"password-stdin", no_argument, NULL, 'S'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    _cleanup_free_ char *user = NULL, *pass = NULL;
    bool from_stdin = false;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "u:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'u':
            free(user);
            user = xstrdup(optarg);
            break;
        case 'p':
            free(pass);
            pass = xstrdup(optarg);
            fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use "
                            "--password-stdin.\n");
            break;
        case 'S': from_stdin = true; break;
        case 'h': printf("Usage: berth login [-u USER] [--password-stdin] [HOST]\n"); return 0;
        default: return usage_error("login", "unknown flag");
        }
    }
    if (argc - optind > 1)
        return usage_error("login", "requires at most 1 argument");
    if (from_stdin && pass)
        return usage_error("login", "--password and --password-stdin are mutually exclusive");
    if (from_stdin && !user)
        return usage_error("login", "must provide --username with --password-stdin");
    _cleanup_free_ char *host = login_host(e, argc > optind ? argv[optind] : NULL);
    if (!user) {
        if (!isatty(STDIN_FILENO))
            return usage_error("login", "cannot ask for a username: stdin is not a terminal "
                                        "(use -u USER --password-stdin)");
        fprintf(stderr, "Username: ");
        user = read_line(stdin);
    }
    if (from_stdin) {
        pass = read_line(stdin);
    } else if (!pass) {
        if (!isatty(STDIN_FILENO))
            return usage_error("login", "cannot ask for a password: stdin is not a terminal "
                                        "(use --password-stdin)");
        pass = read_password_tty();
    }
    if (!user || !*user || !pass || !*pass || strchr(user, ':'))
        return usage_error("login", !user || !*user     ? "username is empty"
                                    : strchr(user, ':') ? "username must not contain ':'"
                                                        : "password is empty");
    struct berr *err = NULL;
    if (check_login(e, host, user, pass, &err) < 0 || auth_store(NULL, host, user, pass, &err) < 0)
        return fail("login", host, err);
    printf("Login Succeeded\n");
    return 0;
}

int reg_logout_main(struct engine *e, int argc, char **argv)
{
    http_init();
    optind = 1;
    opterr = 0;
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            printf("Usage: berth logout [HOST]\n");
            return 0;
        }
        return usage_error("logout", "unknown flag");
    }
    if (argc - optind > 1)
        return usage_error("logout", "requires at most 1 argument");
    _cleanup_free_ char *host = login_host(e, argc > optind ? argv[optind] : NULL);
    struct berr *err = NULL;
    int r = auth_remove(NULL, host, &err);
    if (r < 0)
        return fail("logout", host, err);
    _cleanup_free_ char *key = auth_key(host);
    if (r == 0)
        printf("Not logged in to %s\n", key);
    else
        printf("Removing login credentials for %s\n", key);
    return 0;
}

/* client-http.c - a registry session over libcurl: auth, redirects, retries */
#include "registry/client-http.h"
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "base/cleanup.h"
#include "base/fs.h"
#include "registry/auth.h"

void reg_init(struct reg *r)
{
    memset(r, 0, sizeof(*r));
}

void reg_clear(struct reg *r)
{
    free(r->host);
    free(r->base);
    free(r->repo);
    free(r->user);
    free(r->pass);
    free(r->authz);
    free(r->ca_pem);
    free(r->tls_cert);
    free(r->tls_key);
    if (r->curl)
        curl_easy_cleanup(r->curl);
    memset(r, 0, sizeof(*r));
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void reg_copy(struct reg *dst, const struct reg *src)
{
    reg_init(dst);
    dst->host = dup_or_null(src->host);
    dst->base = dup_or_null(src->base);
    dst->repo = dup_or_null(src->repo);
    dst->push = src->push;
    dst->user = dup_or_null(src->user);
    dst->pass = dup_or_null(src->pass);
    dst->authz = dup_or_null(src->authz);
    dst->tls_noverify = src->tls_noverify;
    if (src->ca_pem) {
        dst->ca_pem = xmalloc(src->ca_len + 1);
        memcpy(dst->ca_pem, src->ca_pem, src->ca_len + 1);
        dst->ca_len = src->ca_len;
    }
    dst->tls_cert = dup_or_null(src->tls_cert);
    dst->tls_key = dup_or_null(src->tls_key);
}

/* ---- certs.d ---- */

int reg_certs_dirs(const char *certs_dir, const char *host, char *ret[2], struct berr **err)
{
    if (!host || !*host || strchr(host, '/') || !strcmp(host, ".") || !strcmp(host, ".."))
        return berr_set(err, BERR_INVALID, EINVAL,
                        "registry \"%s\" cannot name a certs.d directory", host ? host : "");
    const char *d = certs_dir && *certs_dir ? certs_dir : "/etc/berth/certs.d";
    size_t n = strlen(d);
    while (n > 1 && d[n - 1] == '/')
        n--;
    ret[0] = xasprintf("%.*s/%s", (int)n, d, host);
    ret[1] = xasprintf("%s/%s", REG_DOCKER_CERTS_DIR, host);
    return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a > b && !strcmp(s + a - b, suffix);
}

/* at least one PEM certificate in text, as OpenSSL reads it */
static bool has_pem_cert(const char *text, size_t len)
{
    BIO *b = BIO_new_mem_buf(text, (int)len);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    bool ok = x != NULL;
    X509_free(x);
    BIO_free(b);
    return ok;
}

static void append(char **buf, size_t *len, const char *text, size_t n)
{
    *buf = xrealloc(*buf, *len + n + 2);
    memcpy(*buf + *len, text, n);
    *len += n;
    if (n && text[n - 1] != '\n')
        (*buf)[(*len)++] = '\n';
    (*buf)[*len] = 0;
}

/* one certs.d directory: its CAs appended to *cas, its first client pair kept (docker's
 * checks: each .cert has its .key and each .key its .cert) */
static int load_certs_dir(struct reg *r, const char *dir, char **cas, size_t *cas_len,
                          struct berr **err)
{
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, alphasort);
    if (n < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        return berr_sys(err, errno, "certs.d %s", dir);
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *name = ents[i]->d_name;
        if (rc < 0 || name[0] == '.')
            continue;
        _cleanup_free_ char *file = xasprintf("%s/%s", dir, name);
        if (ends_with(name, ".crt")) {
            _cleanup_free_ char *text = NULL;
            size_t len = 0;
            if (fs_read_file(file, &text, &len, err) < 0)
                rc = berr_prefix(err, "certs.d CA");
            else if (!has_pem_cert(text, len))
                rc = berr_set(err, BERR_INVALID, EINVAL, "certs.d CA %s: no PEM certificate in it",
                              file);
            else
                append(cas, cas_len, text, len);
        } else if (ends_with(name, ".cert")) {
            _cleanup_free_ char *key = xasprintf("%s/%.*s.key", dir, (int)(strlen(name) - 5), name);
            if (access(key, R_OK) < 0)
                rc = berr_set(err, BERR_INVALID, ENOENT, "missing key %s for client certificate %s",
                              key, file);
            else if (!r->tls_cert) {
                r->tls_cert = TAKE_PTR(file);
                r->tls_key = TAKE_PTR(key);
            }
        } else if (ends_with(name, ".key")) {
            _cleanup_free_ char *cert =
                xasprintf("%s/%.*s.cert", dir, (int)(strlen(name) - 4), name);
            if (access(cert, R_OK) < 0)
                rc = berr_set(err, BERR_INVALID, ENOENT, "missing client certificate %s for key %s",
                              cert, file);
        }
    }
    for (int i = 0; i < n; i++)
        free(ents[i]);
    free(ents);
    return rc;
}

int reg_load_tls(struct reg *r, const char *certs_dir, struct berr **err)
{
    free(TAKE_PTR(r->ca_pem));
    free(TAKE_PTR(r->tls_cert));
    free(TAKE_PTR(r->tls_key));
    r->ca_len = 0;
    char *dirs[2] = {NULL, NULL};
    if (reg_certs_dirs(certs_dir, r->host, dirs, err) < 0)
        return -1;
    _cleanup_free_ char *cas = NULL;
    size_t cas_len = 0;
    int rc = 0;
    for (int i = 0; i < 2 && rc == 0; i++)
        rc = load_certs_dir(r, dirs[i], &cas, &cas_len, err);
    free(dirs[0]);
    free(dirs[1]);
    if (rc < 0) {
        free(TAKE_PTR(r->tls_cert));
        free(TAKE_PTR(r->tls_key));
        return -1;
    }
    if (!cas)
        return 0;
    /* CURLOPT_CAINFO_BLOB replaces curl's CA file: the system's bundle goes first */
    _cleanup_free_ char *sys = NULL;
    size_t sys_len = 0;
    _cleanup_berr_ struct berr *e = NULL;
    char *bundle = NULL;
    size_t len = 0;
    if (fs_read_file(REG_SYSTEM_CA_BUNDLE, &sys, &sys_len, &e) == 0)
        append(&bundle, &len, sys, sys_len);
    append(&bundle, &len, cas, cas_len);
    free(r->ca_pem);
    r->ca_pem = bundle;
    r->ca_len = len;
    return 1;
}

/* the session's certs.d material on a request (the handle was reset) */
_Static_assert(sizeof(((struct reg *)0)->ebuf) >= CURL_ERROR_SIZE, "curl's error buffer size");

static void apply_tls(CURL *c, const struct reg *r)
{
    if (r->ca_pem) {
        struct curl_blob b = {.data = r->ca_pem, .len = r->ca_len, .flags = CURL_BLOB_COPY};
        curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &b);
    }
    if (r->tls_cert) {
        curl_easy_setopt(c, CURLOPT_SSLCERT, r->tls_cert);
        curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(c, CURLOPT_SSLKEY, r->tls_key);
    }
}

/* curl's error for a failed transfer: its error buffer's detail when there is one */
static const char *curl_why(CURLcode cc, const char *ebuf)
{
    return ebuf && *ebuf ? ebuf : curl_easy_strerror(cc);
}

void reg_resp_init(struct reg_resp *p)
{
    memset(p, 0, sizeof(*p));
    p->fd = -1;
    p->expect = -1;
    p->content_length = -1;
}

static void resp_reset(struct reg_resp *p)
{
    free(p->content_type);
    free(p->digest);
    free(p->location);
    free(p->www_auth);
    free(p->range);
    free(p->link);
    free(p->body);
    p->content_type = p->digest = p->location = p->www_auth = p->range = p->link = p->body = NULL;
    p->len = 0;
    p->status = 0;
    p->got = 0;
    p->over = false;
    p->content_length = -1;
    p->retry_after = -1;
    digest_init(&p->dg);
    if (p->fd >= 0) {
        if (ftruncate(p->fd, 0) < 0 || lseek(p->fd, 0, SEEK_SET) < 0) {
            /* the write callback fails on the next write */
        }
    }
}

void reg_resp_clear(struct reg_resp *p)
{
    int fd = p->fd;
    p->fd = -1;
    resp_reset(p);
    p->fd = fd;
}

static size_t on_header(char *buf, size_t size, size_t n, void *data)
{
    struct reg_resp *p = data;
    size_t len = size * n;
    /* a new response (after a redirect or a 100 Continue): forget the previous headers */
    if (len > 5 && !strncmp(buf, "HTTP/", 5)) {
        free(p->content_type);
        free(p->digest);
        free(p->location);
        free(p->www_auth);
        free(p->range);
        free(p->link);
        p->content_type = p->digest = p->location = p->www_auth = p->range = p->link = NULL;
        p->content_length = -1;
        p->retry_after = -1;
        return len;
    }
    const char *colon = memchr(buf, ':', len);
    if (!colon)
        return len;
    size_t kn = (size_t)(colon - buf);
    const char *v = colon + 1;
    while (v < buf + len && (*v == ' ' || *v == '\t'))
        v++;
    size_t vn = (size_t)(buf + len - v);
    while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' '))
        vn--;
    char **slot = NULL;
    if (kn == 12 && !strncasecmp(buf, "Content-Type", kn))
        slot = &p->content_type;
    else if (kn == 21 && !strncasecmp(buf, "Docker-Content-Digest", kn))
        slot = &p->digest;
    else if (kn == 8 && !strncasecmp(buf, "Location", kn))
        slot = &p->location;
    else if (kn == 16 && !strncasecmp(buf, "WWW-Authenticate", kn))
        slot = &p->www_auth;
    else if (kn == 5 && !strncasecmp(buf, "Range", kn))
        slot = &p->range;
    else if (kn == 4 && !strncasecmp(buf, "Link", kn))
        slot = &p->link;
    else if (kn == 11 && !strncasecmp(buf, "Retry-After", kn)) {
        char tmp[16];
        snprintf(tmp, sizeof(tmp), "%.*s", (int)(vn < 15 ? vn : 15), v);
        char *end;
        long s = strtol(tmp, &end, 10);
        p->retry_after = end != tmp && !*end && s >= 0 ? (int)(s > 3600 ? 3600 : s) : -1;
    } else if (kn == 14 && !strncasecmp(buf, "Content-Length", kn)) {
        char tmp[32];
        snprintf(tmp, sizeof(tmp), "%.*s", (int)(vn < 31 ? vn : 31), v);
        p->content_length = strtoll(tmp, NULL, 10);
    }
    if (slot) {
        free(*slot);
        *slot = xstrndup(v, vn);
    }
    return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *data)
{
    struct reg_resp *p = data;
    size_t len = size * n;
    if (p->fd >= 0) {
        if (p->expect >= 0 && p->got + len > (uint64_t)p->expect) {
            p->over = true;
            return 0; /* CURLE_WRITE_ERROR: more than the descriptor's size */
        }
        if (fs_write_all(p->fd, buf, len) < 0)
            return 0;
        digest_update(&p->dg, buf, len);
        p->got += len;
        return len;
    }
    if (p->len + len > p->limit) {
        p->over = true;
        return 0;
    }
    p->body = xrealloc(p->body, p->len + len + 1);
    memcpy(p->body + p->len, buf, len);
    p->len += len;
    p->body[p->len] = 0;
    return len;
}

struct upload {
    const struct reg_body *b;
    uint64_t pos;
};

static size_t on_read(char *buf, size_t size, size_t n, void *data)
{
    struct upload *u = data;
    size_t want = size * n;
    uint64_t total = u->b->data ? u->b->len : u->b->size;
    if (u->pos >= total)
        return 0;
    if (want > total - u->pos)
        want = (size_t)(total - u->pos);
    if (u->b->data) {
        memcpy(buf, u->b->data + u->pos, want);
    } else {
        ssize_t k = pread(u->b->fd, buf, want, u->b->off + (off_t)u->pos);
        if (k <= 0)
            return CURL_READFUNC_ABORT;
        want = (size_t)k;
    }
    u->pos += want;
    return want;
}

void reg_pick_scheme(struct reg *r, bool insecure)
{
    free(r->base);
    r->base = NULL;
    r->tls_noverify = false;
    if (insecure) {
        /* one GET /v2/ over TLS: any HTTP answer means the registry speaks it */
        CURL *c = curl_easy_init();
        if (c) {
            _cleanup_free_ char *url = xasprintf("https://%s/v2/", r->host);
            curl_easy_setopt(c, CURLOPT_URL, url);
            apply_tls(c, r);
            curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
            curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
            curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
            curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
            curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
            curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
            CURLcode cc = curl_easy_perform(c);
            curl_easy_cleanup(c);
            if (cc == CURLE_OK) {
                r->tls_noverify = true;
                r->base = xasprintf("https://%s", r->host);
                return;
            }
        }
        r->base = xasprintf("http://%s", r->host);
        return;
    }
    r->base = xasprintf("https://%s", r->host);
}

static void backoff(int attempt)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 200000000L << attempt};
    while (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    nanosleep(&ts, NULL);
}

static bool retryable(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM: return true;
    default: return false;
    }
}

/* GET realm?service=..&scope=.. (with Basic credentials when there are any): the token */
static int bearer(struct reg *r, const struct auth_challenge *ch, struct berr **err)
{
    if (!ch->realm || strncmp(ch->realm, "http", 4) != 0)
        return berr_set(err, BERR_INVALID, EPROTO, "%s: bearer challenge without a realm URL",
                        r->host);
    CURL *c = r->curl;
    _cleanup_free_ char *scope = NULL;
    if (r->repo)
        scope = xasprintf("repository:%s:%s", r->repo, r->push ? "pull,push" : "pull");
    else if (ch->scope)
        scope = xstrdup(ch->scope);
    char *esvc = ch->service ? curl_easy_escape(c, ch->service, 0) : NULL;
    char *escope = scope ? curl_easy_escape(c, scope, 0) : NULL;
    _cleanup_free_ char *url = xasprintf(
        "%s%s%s%s%s%s", ch->realm, strchr(ch->realm, '?') ? "&" : "?", esvc ? "service=" : "",
        esvc ? esvc : "", escope ? (esvc ? "&scope=" : "scope=") : "", escope ? escope : "");
    curl_free(esvc);
    curl_free(escope);
    _cleanup_free_ char *basic = NULL;
    if (r->user) {
        _cleanup_free_ char *plain = xasprintf("%s:%s", r->user, r->pass ? r->pass : "");
        _cleanup_free_ char *b = auth_b64_encode(plain, strlen(plain));
        basic = xasprintf("Authorization: Basic %s", b);
    }
    struct reg_resp p;
    reg_resp_init(&p);
    p.limit = 1 << 20;
    /* the token request goes without the registry's own Authorization */
    _cleanup_free_ char *saved = TAKE_PTR(r->authz);
    int rc = 0;
    for (int attempt = 0;; attempt++) {
        resp_reset(&p);
        curl_easy_reset(c);
        struct curl_slist *sl = NULL;
        if (basic)
            sl = curl_slist_append(sl, basic);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, sl);
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)REG_MAX_REDIRECTS);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &p);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &p);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        apply_tls(c, r);
        if (r->tls_noverify) {
            curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
            curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        CURLcode cc = curl_easy_perform(c);
        curl_slist_free_all(sl);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &p.status);
        bool again = (cc != CURLE_OK && retryable(cc)) ||
                     (cc == CURLE_OK && (p.status >= 500 || p.status == 429));
        if (again && attempt + 1 < REG_MAX_ATTEMPTS) {
            backoff(attempt);
            continue;
        }
        if (cc != CURLE_OK) {
            rc = berr_set(err, BERR_INTERNAL, EIO, "token from %s: %s", ch->realm,
                          p.over ? "response too large" : curl_easy_strerror(cc));
            break;
        }
        if (p.status == 401 || p.status == 403) {
            rc = berr_set(err, BERR_INVALID, EACCES, "%s: unauthorized: %s", r->host,
                          r->user ? "incorrect username or password" : "authentication required");
            break;
        }
        if (p.status != 200) {
            rc = berr_set(err, BERR_INTERNAL, EIO, "token from %s: HTTP %ld", ch->realm, p.status);
            break;
        }
        json_t *j = json_loadb(p.body ? p.body : "", p.len, 0, NULL);
        const char *tok = json_string_value(json_object_get(j, "token"));
        if (!tok || !*tok)
            tok = json_string_value(json_object_get(j, "access_token"));
        if (!tok || !*tok || strpbrk(tok, "\r\n")) {
            json_decref(j);
            rc = berr_set(err, BERR_INTERNAL, EPROTO, "token from %s: no token in the answer",
                          ch->realm);
            break;
        }
        r->authz = xasprintf("Authorization: Bearer %s", tok);
        json_decref(j);
        break;
    }
    if (rc < 0)
        r->authz = TAKE_PTR(saved);
    p.fd = -1;
    resp_reset(&p);
    return rc;
}

static int authenticate(struct reg *r, const char *www, struct berr **err)
{
    struct auth_challenge ch = {0};
    if (auth_parse_challenge(www, &ch, err) < 0)
        return berr_prefix(err, "%s", r->host);
    int rc;
    if (!strcmp(ch.scheme, "bearer")) {
        rc = bearer(r, &ch, err);
    } else if (!strcmp(ch.scheme, "basic")) {
        if (!r->user) {
            rc = berr_set(err, BERR_INVALID, EACCES, "%s: unauthorized: authentication required",
                          r->host);
        } else {
            _cleanup_free_ char *plain = xasprintf("%s:%s", r->user, r->pass ? r->pass : "");
            _cleanup_free_ char *b = auth_b64_encode(plain, strlen(plain));
            free(r->authz);
            r->authz = xasprintf("Authorization: Basic %s", b);
            rc = 0;
        }
    } else {
        rc = berr_set(err, BERR_UNSUPPORTED, ENOTSUP,
                      "%s: authentication scheme %s is not "
                      "supported",
                      r->host, ch.scheme);
    }
    auth_challenge_clear(&ch);
    return rc;
}

int reg_do(struct reg *r, const char *method, const char *url, const char *const *headers,
           const struct reg_body *body, struct reg_resp *resp, struct berr **err)
{
    if (!r->curl && !(r->curl = curl_easy_init()))
        return berr_set(err, BERR_INTERNAL, ENOMEM, "curl_easy_init failed");
    CURL *c = r->curl;
    _cleanup_free_ char *full = strncmp(url, "http://", 7) && strncmp(url, "https://", 8)
                                    ? xasprintf("%s%s", r->base, url)
                                    : xstrdup(url);
    bool authed = false;
    bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    for (int attempt = 0;;) {
        resp_reset(resp);
        curl_easy_reset(c);
        struct curl_slist *sl = NULL;
        for (const char *const *h = headers; h && *h; h++)
            sl = curl_slist_append(sl, *h);
        /* credentials only to the registry itself, never to an absolute URL of another
         * origin that a Location or Link header named */
        size_t bl = strlen(r->base);
        if (r->authz && !strncmp(full, r->base, bl) && (full[bl] == '/' || !full[bl]))
            sl = curl_slist_append(sl, r->authz);
        /* no "Expect: 100-continue" round trip before each upload */
        sl = curl_slist_append(sl, "Expect:");
        curl_easy_setopt(c, CURLOPT_URL, full);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, sl);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "berth/" BERTH_VERSION);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
        /* a stalled transfer (under 1 KiB/s for 60 s) is a broken connection */
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        apply_tls(c, r);
        r->ebuf[0] = 0;
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->ebuf);
        if (r->tls_noverify) {
            curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
            curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        if (get) {
            /* blobs are often served by a redirect to storage; the custom Authorization
             * header is not sent to another host (curl drops it there) */
            curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
            curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)REG_MAX_REDIRECTS);
        }
        struct upload up = {.b = body};
        if (!strcmp(method, "HEAD")) {
            curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        } else if (!get) {
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
            curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
            curl_easy_setopt(c, CURLOPT_READDATA, &up);
            curl_off_t size = body ? (curl_off_t)(body->data ? body->len : body->size) : 0;
            curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, size);
            if (!body) {
                static const struct reg_body none = {0};
                up.b = &none;
            }
        }
        CURLcode cc = curl_easy_perform(c);
        curl_slist_free_all(sl);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
        if (cc == CURLE_TOO_MANY_REDIRECTS)
            return berr_set(err, BERR_INTERNAL, ELOOP, "%s %s: more than %d redirects", method,
                            full, REG_MAX_REDIRECTS);
        if (cc == CURLE_WRITE_ERROR && resp->over)
            return berr_set(err, BERR_INVALID, EFBIG, "%s %s: the response is larger than %s",
                            method, full, resp->fd >= 0 ? "its descriptor says" : "allowed");
        bool again = (cc != CURLE_OK && retryable(cc)) ||
                     (cc == CURLE_OK && (resp->status >= 500 || resp->status == 429));
        if (again && attempt + 1 < REG_MAX_ATTEMPTS) {
            /* a registry's Retry-After (in seconds), up to 10 s; else our backoff */
            if (cc == CURLE_OK && resp->retry_after >= 0) {
                sleep((unsigned)(resp->retry_after > 10 ? 10 : resp->retry_after));
                attempt++;
            } else {
                backoff(attempt++);
            }
            continue;
        }
        if (cc != CURLE_OK) {
            if (cc == CURLE_PARTIAL_FILE)
                return berr_set(err, BERR_INTERNAL, EIO,
                                "%s %s: truncated: the connection closed "
                                "before the whole body came",
                                method, full);
            if (cc == CURLE_PEER_FAILED_VERIFICATION)
                return berr_set(err, BERR_INVALID, EPROTO,
                                "%s %s: TLS certificate verification failed: %s (a CA for %s "
                                "belongs in certs.d/%s/)",
                                method, full, curl_why(cc, r->ebuf), r->host, r->host);
            return berr_set(err, BERR_INTERNAL, EIO, "%s %s: %s", method, full,
                            curl_why(cc, r->ebuf));
        }
        if (resp->status == 401 && !authed && resp->www_auth) {
            authed = true;
            _cleanup_free_ char *www = xstrdup(resp->www_auth);
            if (authenticate(r, www, err) < 0)
                return berr_code(*err);
            continue;
        }
        return 0;
    }
}

char *reg_error_text(const struct reg_resp *p)
{
    json_t *j = p->body ? json_loadb(p->body, p->len, 0, NULL) : NULL;
    json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
    const char *code = json_string_value(json_object_get(e0, "code"));
    const char *msg = json_string_value(json_object_get(e0, "message"));
    char *s;
    if (code || msg) {
        _cleanup_free_ char *lc = xstrdup(code ? code : "");
        for (char *q = lc; *q; q++)
            *q = *q == '_' ? ' ' : (char)(*q >= 'A' && *q <= 'Z' ? *q + 32 : *q);
        s = xasprintf("%s%s%s", lc, *lc && msg ? ": " : "", msg ? msg : "");
    } else {
        s = xasprintf("HTTP %ld", p->status);
    }
    json_decref(j);
    return s;
}

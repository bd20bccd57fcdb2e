/* client-http.h - one registry session over libcurl: requests with the registry's auth
 * (anonymous, Basic, Bearer tokens from the WWW-Authenticate challenge), bounded redirects,
 * and bounded retries with backoff on 5xx, 429 and broken connections. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/digest.h"
#include "base/error.h"

#define REG_MAX_REDIRECTS 10
#define REG_MAX_ATTEMPTS 4

struct reg {
    char *host;        /* the endpoint's host[:port] */
    char *base;        /* "https://host" or "http://host" (insecure registries) */
    char *repo;        /* the repository path, "library/busybox" */
    bool push;         /* the token's scope asks for push as well as pull */
    char *user, *pass; /* from config.json or login; NULL: anonymous */
    char *authz;       /* the Authorization header line in use, or NULL */
    void *curl;        /* CURL *, reused: connections are kept alive */
    bool tls_noverify; /* an insecure registry that speaks TLS: its certificate unchecked */
    /* from certs.d (reg_load_tls): the system's CAs and the registry's, one PEM bundle for
     * CURLOPT_CAINFO_BLOB (NULL: curl's defaults); a client certificate and its key */
    char *ca_pem;
    size_t ca_len;
    char *tls_cert, *tls_key;
    char ebuf[256]; /* curl's error buffer (CURL_ERROR_SIZE): it outlives each request */
};

/* Sets r->base for r->host: https with the system's CAs; for an insecure registry, as docker
 * does, https without checking the certificate if the registry answers TLS, else http. */
void reg_pick_scheme(struct reg *r, bool insecure);

#define REG_DOCKER_CERTS_DIR "/etc/docker/certs.d"
#define REG_SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

/* The certs.d directories of host (docker's layout: HOST:PORT, or HOST without a port), in
 * the order read: certs_dir/HOST (certs_dir NULL or "": /etc/berth/certs.d), then
 * /etc/docker/certs.d/HOST. BERR_INVALID for a host that cannot name a directory. */
int reg_certs_dirs(const char *certs_dir, const char *host, char *ret[2], struct berr **err);
/* Loads r->host's certs.d material into r: every *.crt as a CA trusted besides the system's,
 * and a *.cert with its *.key as the client certificate (the first pair, berth's directory
 * first). 1 if there is a CA (the registry is then verified with it, never insecure), else
 * 0. BERR_INVALID, naming the file, for a .cert without its .key or the reverse, or a .crt
 * that holds no PEM certificate. */
int reg_load_tls(struct reg *r, const char *certs_dir, struct berr **err);

/* A response. The body goes to memory (up to limit bytes: more is an error) or, with fd >= 0,
 * to that file with its sha256 computed on the way and at most `expect` bytes (if >= 0). */
struct reg_resp {
    long status;
    char *content_type, *digest, *location, *www_auth, *range, *link;
    int64_t content_length;
    int retry_after; /* Retry-After in seconds, or -1 */
    char *body;
    size_t len, limit;
    int fd;
    int64_t expect;
    struct digest dg;
    uint64_t got;
    bool over; /* the body went past limit or expect */
};

/* What a request sends: data in memory, or size bytes of fd from off. */
struct reg_body {
    const char *data;
    size_t len;
    int fd;
    off_t off;
    uint64_t size;
};

void reg_init(struct reg *r);
void reg_clear(struct reg *r);
/* A session like src (its endpoint, credentials and token) with a connection of its own,
 * for another thread. */
void reg_copy(struct reg *dst, const struct reg *src);
void reg_resp_init(struct reg_resp *p);
void reg_resp_clear(struct reg_resp *p);

/* One request: method ("GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"), an URL (absolute, or
 * a path that is appended to r->base), extra header lines (NULL-terminated, or NULL), a body
 * or NULL. Answers 401 by authenticating once from the challenge; retries as said above. An
 * HTTP status that is not 2xx is not an error here: the caller reads resp->status. */
int reg_do(struct reg *r, const char *method, const char *url, const char *const *headers,
           const struct reg_body *body, struct reg_resp *resp, struct berr **err);

/* The registry's message for a failed response: "CODE: message" from the spec's JSON
 * errors, else "HTTP <status>". Caller frees. */
char *reg_error_text(const struct reg_resp *p);

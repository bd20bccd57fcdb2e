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
};

/* Sets r->base for r->host: https with the system's CAs; for an insecure registry, as docker
 * does, https without checking the certificate if the registry answers TLS, else http. */
void reg_pick_scheme(struct reg *r, bool insecure);

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

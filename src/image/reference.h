/* reference.h - Docker image references: parse, normalise and print them as Docker does */
#pragma once
#include <stdbool.h>
#include "base/error.h"

/* A normalised reference. "busybox" is {"docker.io", "library/busybox", "latest", NULL}. */
struct ref {
    char *domain; /* registry host[:port], "docker.io" for Docker Hub; never NULL */
    char *path;   /* repository path below the domain, "library/busybox"; never NULL */
    char *tag;    /* "latest" if neither tag nor digest was given; NULL if only a digest was */
    char *digest; /* "sha256:<64 lowercase hex>", or NULL */
};

/* Parses and normalises s like Docker's ParseNormalizedNamed + TagNameOnly: the registry
 * defaults to docker.io, one-component Hub names get "library/", a bare name gets ":latest".
 * On failure returns NULL and sets *err (BERR_INVALID, a message that quotes s). */
struct ref *ref_parse(const char *s, struct berr **err);
void ref_free(struct ref *r);
static inline void ref_freep(struct ref **r)
{
    ref_free(*r);
    *r = NULL;
}

/* The full form: "docker.io/library/busybox:latest", "host:5000/a/b@sha256:...",
 * "name:tag@sha256:...". NULL only when out of memory; the caller frees. */
char *ref_string(const struct ref *r);
/* The repository name, domain/path: "docker.io/library/busybox". Caller frees. */
char *ref_name(const struct ref *r);
/* The short name `docker images` shows as REPOSITORY, without tag or digest: "busybox",
 * "user/app", "host:5000/a/b". Caller frees. */
char *ref_familiar(const struct ref *r);
/* The name as `docker images` shows it with its tag ("busybox:latest", "host:5000/a:1") for a
 * stored name; NULL if it does not parse. Caller frees. */
char *ref_familiar_tagged(const char *name);

/* True if s is a digest berth accepts: "sha256:" and 64 lowercase hex digits. */
bool ref_is_digest(const char *s);
/* True if s could be an image ID or a prefix of one as users type it: 1 to 64 lowercase hex
 * digits, optionally after "sha256:". Short hex strings are also valid names ("abc"); as
 * Docker does, look a string up as a name first and as an ID prefix second. */
bool ref_looks_like_id(const char *s);

/* auth.h - registry credentials: the WWW-Authenticate challenge, and docker's config.json
 * (`auths`, base64 "user:password" in `auth`) where login keeps them.
 *
 * The file is $DOCKER_CONFIG/config.json, else ~/.docker/config.json, as docker and podman
 * read it: a login with berth is a login for docker, and the other way round. Other keys of
 * the file (credsStore, proxies, ...) are kept as they are. */
#pragma once
#include <stdbool.h>
#include <jansson.h>
#include "base/error.h"

/* A parsed challenge: `Bearer realm="https://auth",service="reg",scope="repository:a:pull"`
 * or `Basic realm="x"`. Strings are malloc'd, NULL when absent. */
struct auth_challenge {
    char *scheme; /* "bearer" or "basic", lowercased */
    char *realm;
    char *service;
    char *scope;
};
/* Parses the value of a WWW-Authenticate header (RFC 7235: scheme, then comma-separated
 * key=value or key="quoted\"value" pairs). BERR_INVALID for a header without a scheme. */
int auth_parse_challenge(const char *header, struct auth_challenge *ret, struct berr **err);
void auth_challenge_clear(struct auth_challenge *c);

/* base64 (standard alphabet, padded). Decoding refuses anything that is not base64. */
char *auth_b64_encode(const void *data, size_t len);
int auth_b64_decode(const char *s, char **ret, size_t *ret_len, struct berr **err);

/* The key docker uses in `auths` for a registry: "https://index.docker.io/v1/" for Docker Hub
 * (docker.io, index.docker.io, registry-1.docker.io), else the host[:port] itself. */
char *auth_key(const char *host);

/* The path of config.json (malloc'd): $DOCKER_CONFIG/config.json or $HOME/.docker/... */
char *auth_config_path(void);

/* Reads user and password for host from the file at path (NULL: auth_config_path()). 0 and
 * NULLs when there are none (no file, no entry); an entry that is not "user:password" in
 * base64 is BERR_INVALID. Entries keyed by an URL ("https://host/v1/") count for host. */
int auth_get(const char *path, const char *host, char **ret_user, char **ret_pass,
             struct berr **err);
/* Stores them (mode 0600, written atomically; the directory made 0700 if missing). */
int auth_store(const char *path, const char *host, const char *user, const char *pass,
               struct berr **err);
/* Removes host's entry: 1 if there was one, 0 if not. */
int auth_remove(const char *path, const char *host, struct berr **err);

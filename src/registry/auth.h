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

/* docker's credential helpers (docker-credential-helpers' protocol). The helper of host in a
 * parsed config.json: "credHelpers" (keyed by host or by its auths key), else "credsStore";
 * NULL for none (the file's auths are used then). A name with '/' is BERR_INVALID. */
int auth_helper_name(json_t *config, const char *host, char **ret, struct berr **err);
/* Runs `docker-credential-NAME ACTION` (found on $PATH) with input on its stdin; its stdout
 * (trimmed) in *ret_out. Exit status 0: 0. Else a one-line BERR_INVALID naming the helper
 * and its message, or ENOENT when it is not on $PATH; *ret_out is set for a failure with a
 * message too (the caller tells "credentials not found" from other failures). */
int auth_helper_run(const char *name, const char *action, const char *input, char **ret_out,
                    struct berr **err);
/* The stdin of `store`: {"ServerURL":..,"Username":..,"Secret":..}. */
char *auth_helper_store_input(const char *server, const char *user, const char *secret);
/* The stdout of `get`: Username and Secret (both strings, Secret not empty), else BERR_INVALID. */
int auth_helper_parse_get(const char *out, char **ret_user, char **ret_secret, struct berr **err);
/* The helper's message for credentials it does not have (exit 1 on get and erase). */
bool auth_helper_not_found(const char *out);

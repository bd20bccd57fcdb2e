/* client.h - berth-registry's client verbs: pull, push, login, logout.
 *
 * Each *_main takes the engine's handle and the command line from the verb on (argv[0] is
 * "pull"), prints as docker prints (errors as one line "berth: VERB ...: why" on stderr)
 * and returns the exit code: 0, or 1 for any failure (docker's for these verbs), 125 for bad
 * usage. The pure parts below are exposed for tests/unit/test-registry-client.c. */
#pragma once
#include <stdbool.h>
#include <jansson.h>
#include "base/error.h"
#include "engine/config.h"

struct engine;

int reg_pull_main(struct engine *e, int argc, char **argv);
int reg_push_main(struct engine *e, int argc, char **argv);
int reg_login_main(struct engine *e, int argc, char **argv);
int reg_logout_main(struct engine *e, int argc, char **argv);

/* The host[:port] to speak to for a reference's domain: Docker Hub's names ("docker.io")
 * go to the configured default registry (registry-1.docker.io when that is docker.io), as a
 * mirror would serve them; other domains are themselves. Caller frees. */
char *reg_endpoint(const struct config *c, const char *domain);
/* Plain HTTP for this host[:port]? 127.0.0.0/8, ::1 and localhost always; else if the
 * configuration lists it (host:port, host, or an IPv4 CIDR holding host). */
bool reg_insecure(const struct config *c, const char *host);

struct reg_platform {
    char os[32], arch[32], variant[32];
};
/* "linux/arm64/v8" -> {linux, arm64, v8}; BERR_INVALID unless OS/ARCH[/VARIANT]. */
int reg_platform_parse(const char *s, struct reg_platform *ret, struct berr **err);
/* This host's platform as Go names it (amd64, arm64 with variant v8, ...). */
void reg_platform_host(struct reg_platform *ret);
/* The descriptor in an index's manifests for platform p (a variant is matched when both
 * have one; arm64's empty variant matches v8), skipping attestations (unknown/unknown).
 * Borrowed from index; NULL if none. */
json_t *reg_select_platform(json_t *index, const struct reg_platform *p);

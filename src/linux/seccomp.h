/* seccomp.h - seccomp filters from the runtime-spec (libseccomp), and berth's default profile */
#pragma once
#include <jansson.h>
#include "base/error.h"
#include "oci/runtime-spec.h"

/* Builds the filter described by `sc` and checks it (names, actions, operators, arches,
 * flags); errors name the field (linux.seccomp.syscalls[3].action: unknown action "X").
 * Returns an opaque filter (scmp_filter_ctx) or NULL. Call before entering the container,
 * so that errors reach the user while it is still possible to report them. */
void *seccomp_prepare(const struct spec_seccomp *sc, struct berr **err);
/* Loads the prepared filter into the calling thread (must be the last step that needs the
 * syscalls the filter blocks). Returns 0 or negative errno. */
int seccomp_load_filter(void *filter, struct berr **err);
void seccomp_filter_free(void *filter);

/* Docker's default profile as runtime-spec JSON (linux.seccomp), for `spec` and for the
 * engine. `caps` is the bitmask of capabilities the container gets: syscalls gated by a
 * capability (e.g. CAP_SYS_ADMIN -> mount, unshare ...) are allowed only when it is held. */
json_t *seccomp_default_profile(uint64_t caps);

/* Lists for `features`: names of supported actions, operators, archs and flags (NULL-terminated,
 * static). */
extern const char *const seccomp_supported_actions[];
extern const char *const seccomp_supported_operators[];
extern const char *const seccomp_supported_archs[];
extern const char *const seccomp_supported_flags[];

/* seccomp-cache.h - compiled seccomp programs, cached by the SHA-256 of their spec.
 *
 * libseccomp takes ~10 ms to compile Docker's default profile: more than everything else a
 * container start does. The BPF it produces depends only on the profile, the libseccomp
 * version and the architecture, so it is compiled once and kept. */
#pragma once
#include <stddef.h>
#include <jansson.h>
#include "base/error.h"
#include "oci/runtime-spec.h"

struct seccomp_prog {
    void *bpf;          /* struct sock_filter[] */
    size_t len;         /* bytes */
    unsigned int flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
};

/* Fills *ret with the program for `sc` (whose JSON text is `sc_json`): from cache_dir if it
 * was compiled before, else compiled now (errors name the field) and stored there.
 * cache_dir may be NULL (no cache). */
int seccomp_prog_get(const char *cache_dir, json_t *sc_json, const struct spec_seccomp *sc,
                     struct seccomp_prog *ret, struct berr **err);
/* Loads the program into the calling thread. */
int seccomp_prog_load(const struct seccomp_prog *p, struct berr **err);
void seccomp_prog_free(struct seccomp_prog *p);

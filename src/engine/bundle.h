/* bundle.h - a container's runtime spec from an image config and `run` options, as Docker
 * makes it: the default capability set, seccomp profile, masked and read-only paths, mounts,
 * and the image's Env, Cmd, Entrypoint, WorkingDir, User (names looked up in the image's
 * /etc/passwd and /etc/group), StopSignal. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "base/error.h"

struct bundle_opts {
    const char *hostname;    /* NULL: none set */
    char **cmd;              /* the command given to run, NULL-terminated; NULL: the image's */
    const char *entrypoint;  /* --entrypoint (NULL: the image's; "": none) */
    char **env;              /* -e KEY=VALUE..., added over the image's */
    const char *workdir;     /* -w */
    const char *user;        /* -u user[:group] or uid[:gid] */
    bool tty;                /* -t */
    char **cap_add;          /* --cap-add NAME|ALL (with or without CAP_, any case) */
    char **cap_drop;         /* --cap-drop NAME|ALL */
    bool no_new_privileges;  /* --security-opt no-new-privileges */
    bool privileged;         /* --privileged: every capability, device, no seccomp or masks */
    bool seccomp_unconfined; /* --security-opt seccomp=unconfined */
    json_t *seccomp;         /* --security-opt seccomp=FILE: docker's profile format */
};

/* --memory and friends, as docker takes them; 0 (or -1 for swap) where not given. */
struct bundle_resources {
    int64_t memory;      /* bytes */
    int64_t memory_swap; /* bytes of memory + swap; -1 unlimited; 0 not given */
    int64_t nano_cpus;   /* --cpus × 1e9 */
    uint64_t cpu_shares;
    const char *cpuset_cpus;
    int64_t pids_limit; /* 0 not given; -1 unlimited */
};

/* Docker's sizes: "512m", "1g", "100k", "4096", "1.5g", with an optional "b"/"B" after the
 * unit (1024-based). */
int bundle_parse_bytes(const char *s, int64_t *ret, struct berr **err);
/* Checks the values as docker does and sets linux.resources in spec. */
int bundle_set_resources(json_t *spec, const struct bundle_resources *r, struct berr **err);

/* The user spec "name", "uid", "name:group", "uid:gid" resolved in the root filesystem
 * (rootfd, read with RESOLVE_IN_ROOT: the image cannot point the lookup outside).
 * A name missing from /etc/passwd is an error; a number need not exist. The user's primary
 * group and the supplementary groups it is listed in are returned. */
int bundle_resolve_user(int rootfd, const char *spec, uint32_t *ret_uid, uint32_t *ret_gid,
                        uint32_t **ret_groups, size_t *ret_ngroups, struct berr **err);

/* process.args: the entrypoint followed by the command, Docker's rules: a command given to
 * run replaces the image's Cmd; --entrypoint replaces the image's Entrypoint and drops its
 * Cmd. Error "no command specified" when both are empty. NULL-terminated, malloc'd. */
char **bundle_args(json_t *image_config, const struct bundle_opts *o, struct berr **err);

/* The whole config.json for a container whose root filesystem is rootfs (absolute path). */
json_t *bundle_spec(json_t *image_config, const char *rootfs, const struct bundle_opts *o,
                    struct berr **err);

/* Docker's seccomp profile format (defaultAction, archMap, syscalls with names, includes and
 * excludes by capability, architecture and kernel) as runtime-spec linux.seccomp for a
 * container holding the capabilities in `caps`. An OCI-shaped profile passes too. */
json_t *bundle_seccomp_profile(json_t *docker, uint64_t caps, struct berr **err);

/* The capabilities berth itself may hand out (its bounding set): --privileged's set. */
uint64_t bundle_all_caps(void);
/* process.capabilities for the capabilities in `mask` (bounding, effective, permitted). */
json_t *bundle_caps(uint64_t mask);

/* Sets KEY=VALUE in a JSON array of environment strings, replacing KEY's old value. */
void bundle_env_set(json_t *env, const char *kv);
/* bundle_env_set for each of kvs (NULL-terminated), in linear time. A variable that is not
 * valid UTF-8 is refused (bundle_text_check): JSON cannot carry it, and dropping it silently
 * would run the container without it. */
int bundle_env_merge(json_t *env, char *const *kvs, struct berr **err);
/* Whether s is valid UTF-8 (no overlong forms, surrogates, or code points past U+10FFFF). */
bool bundle_utf8_valid(const char *s);
/* An error naming what (e.g. "label") with s escaped, if s is not valid UTF-8. */
int bundle_text_check(const char *what, const char *s, struct berr **err);

/* --ulimit NAME=SOFT[:HARD] (docker's names: nofile, nproc, core, ...; -1 unlimited) added to
 * process.rlimits. */
int bundle_add_ulimit(json_t *spec, const char *arg, struct berr **err);
/* --device HOST[:CONTAINER][:PERMS]: the host's device node made in the container and
 * allowed in its device cgroup (PERMS of r, w, m; default rwm). */
int bundle_add_device(json_t *spec, const char *arg, struct berr **err);

/* runtime-spec.h - OCI runtime-spec config.json as C structs (parse, validate, free, default) */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "base/error.h"

/* An optional number: set says whether config.json had it. */
typedef struct {
    bool set;
    int64_t v;
} opt_i64;
typedef struct {
    bool set;
    uint64_t v;
} opt_u64;

struct spec_idmap {
    uint32_t container_id, host_id, size;
};

struct spec_mount {
    char *destination;
    char *type;     /* may be NULL: then a bind if options say bind/rbind */
    char *source;   /* may be NULL */
    char **options; /* NULL-terminated, as given */
    /* parsed from options */
    unsigned long flags;       /* MS_* to set */
    unsigned long clear_flags; /* MS_* explicitly cleared (rw, suid, dev, exec, ...) */
    unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC) or 0 */
    bool bind, recursive;      /* bind or rbind */
    char *data;                /* the options that are not flags, comma-joined, or NULL */
};

struct spec_rlimit {
    char *type; /* "RLIMIT_NOFILE" */
    int resource;
    uint64_t soft, hard;
};

struct spec_caps {
    /* bitmasks of capability numbers; set says whether the list was present */
    bool set;
    uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct spec_user {
    uint32_t uid, gid;
    opt_u64 umask;
    uint32_t *additional_gids;
    size_t n_additional_gids;
    char *username;
};

struct spec_process {
    bool terminal;
    opt_u64 console_height, console_width;
    struct spec_user user;
    char **args; /* NULL-terminated */
    char **env;  /* NULL-terminated */
    char *cwd;
    struct spec_caps caps;
    struct spec_rlimit *rlimits;
    size_t n_rlimits;
    bool no_new_privileges;
    char *apparmor_profile;
    opt_i64 oom_score_adj;
    char *selinux_label;
};

struct spec_hook {
    char *path;
    char **args;     /* NULL-terminated, may be NULL */
    char **env;      /* NULL-terminated, may be NULL */
    opt_i64 timeout; /* seconds */
};

enum spec_hook_kind {
    HOOK_PRESTART = 0,
    HOOK_CREATE_RUNTIME,
    HOOK_CREATE_CONTAINER,
    HOOK_START_CONTAINER,
    HOOK_POSTSTART,
    HOOK_POSTSTOP,
    HOOK__MAX,
};

struct spec_hooks {
    struct spec_hook *list[HOOK__MAX];
    size_t n[HOOK__MAX];
};

struct spec_namespace {
    int type;   /* CLONE_NEWPID, CLONE_NEWNS, ... CLONE_NEWTIME */
    char *path; /* NULL: create a new one */
};

struct spec_device {
    char *path;
    char type; /* 'c', 'b', 'u' (= 'c'), 'p' */
    int64_t major, minor;
    opt_u64 file_mode;
    opt_u64 uid, gid;
};

struct spec_device_rule {
    bool allow;
    char type;            /* 'a', 'c', 'b' */
    int64_t major, minor; /* -1 = any */
    char access[4];       /* subset of "rwm" */
};

struct spec_weight_device {
    int64_t major, minor;
    opt_u64 weight, leaf_weight;
};

struct spec_throttle_device {
    int64_t major, minor;
    uint64_t rate;
};

struct spec_hugepage_limit {
    char *page_size; /* "2MB" */
    uint64_t limit;
};

struct spec_kv {
    char *key, *value;
};

struct spec_resources {
    struct {
        opt_i64 limit, reservation, swap, kernel, kernel_tcp;
        opt_u64 swappiness;
        bool disable_oom_killer, use_hierarchy, check_before_update;
        bool has_disable_oom_killer, has_use_hierarchy;
    } memory;
    struct {
        opt_u64 shares;
        opt_i64 quota;
        opt_u64 burst;
        opt_u64 period;
        opt_i64 realtime_runtime;
        opt_u64 realtime_period;
        char *cpus, *mems;
        opt_i64 idle;
    } cpu;
    struct {
        opt_i64 limit;
    } pids;
    struct {
        opt_u64 weight, leaf_weight;
        struct spec_weight_device *weight_device;
        size_t n_weight_device;
        struct spec_throttle_device *throttle[4]; /* read bps, write bps, read iops, write iops */
        size_t n_throttle[4];
    } blkio;
    struct spec_hugepage_limit *hugepage_limits;
    size_t n_hugepage_limits;
    struct {
        opt_u64 class_id;
        struct spec_kv *priorities; /* value as decimal string */
        size_t n_priorities;
    } network;
    struct spec_device_rule *devices;
    size_t n_devices;
    struct spec_kv *unified;
    size_t n_unified;
    bool has_rdma;
};

struct spec_seccomp_arg {
    unsigned index;
    uint64_t value, value_two;
    char *op; /* "SCMP_CMP_EQ", ... */
};

struct spec_seccomp_syscall {
    char **names; /* NULL-terminated */
    char *action; /* "SCMP_ACT_ERRNO", ... */
    opt_u64 errno_ret;
    struct spec_seccomp_arg *args;
    size_t n_args;
};

struct spec_seccomp {
    char *default_action;
    opt_u64 default_errno_ret;
    char **architectures; /* NULL-terminated, may be NULL */
    char **flags;         /* NULL-terminated, may be NULL */
    char *listener_path;
    char *listener_metadata;
    struct spec_seccomp_syscall *syscalls;
    size_t n_syscalls;
};

struct spec_linux {
    struct spec_namespace *namespaces;
    size_t n_namespaces;
    struct spec_idmap *uid_mappings, *gid_mappings;
    size_t n_uid_mappings, n_gid_mappings;
    struct spec_device *devices;
    size_t n_devices;
    char *cgroups_path;
    struct spec_resources *resources; /* NULL if absent */
    char *rootfs_propagation;
    unsigned long rootfs_propagation_flags; /* parsed, 0 if unset */
    char **masked_paths, **readonly_paths;  /* NULL-terminated, may be NULL */
    char *mount_label;
    struct spec_kv *sysctl;
    size_t n_sysctl;
    struct spec_seccomp *seccomp; /* NULL if absent */
    bool has_intel_rdt;
    bool has_personality;
    unsigned long personality; /* PER_LINUX or PER_LINUX32, | flags */
    struct {
        bool set;
        int64_t secs;
        uint32_t nanosecs;
    } time_offsets[2]; /* 0: monotonic, 1: boottime */
};

struct spec {
    char *oci_version;
    struct {
        char *path;
        bool readonly;
    } root;
    struct spec_process *process; /* NULL if absent */
    char *hostname, *domainname;
    struct spec_mount *mounts;
    size_t n_mounts;
    struct spec_hooks hooks;
    struct spec_kv *annotations;
    size_t n_annotations;
    struct spec_linux *linux_; /* NULL if absent */
};

/* Parses and validates a config.json document. Errors name the field. */
struct spec *spec_from_json(json_t *root, struct berr **err);
/* Reads and parses FILE (a bundle's config.json). */
struct spec *spec_load(const char *path, struct berr **err);
void spec_free(struct spec *s);
static inline void spec_freep(struct spec **s)
{
    spec_free(*s);
}
#define _cleanup_spec_ __attribute__((cleanup(spec_freep)))

/* Parses a linux.resources object (also used by `update --resources`). */
struct spec_resources *spec_resources_from_json(json_t *obj, const char *field, struct berr **err);
void spec_resources_free(struct spec_resources *r);

/* Process from a JSON object ("process" in config.json, or `exec --process`). */
struct spec_process *spec_process_from_json(json_t *obj, const char *field, struct berr **err);
void spec_process_free(struct spec_process *p);

/* Parses mount options into flags/propagation/data (exposed for unit tests). */
int spec_mount_parse_options(struct spec_mount *m, struct berr **err);

/* Finds a namespace by CLONE_NEW* type; NULL if the spec does not list it. */
const struct spec_namespace *spec_namespace(const struct spec *s, int type);

/* Capability name ("CAP_SYS_ADMIN") to number, or -1. */
/* The largest uid or gid a process may have: 2^32-2 ((uid_t)-1 means "unchanged"). */
#define SPEC_ID_MAX 4294967294U
/* A uid or gid in decimal, 0 to SPEC_ID_MAX; -1 for anything else (a sign, a space, more). */
int spec_parse_id(const char *s, uint32_t *ret);
int spec_cap_from_name(const char *name);
const char *spec_cap_name(int cap);
/* Namespace name ("pid") to CLONE_NEW* or 0. */
int spec_ns_from_name(const char *name);
const char *spec_ns_name(int type);
/* rlimit name ("RLIMIT_NOFILE") to resource number, or -1. */
int spec_rlimit_from_name(const char *name);

/* A default config.json like `runc spec` writes (rootless: user namespace mappings for
 * the calling uid/gid), with berth's default seccomp profile. */
json_t *spec_default_json(bool rootless);

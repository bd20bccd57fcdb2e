/* cgroup-internal.h - what cgroup.c, cgroup-v1.c, cgroup-v2.c and devices-bpf.c share */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>
#include "cgroup/cgroup.h"

/* Controllers berth knows about. A v1 hierarchy holds one or more of them; on v2 each is
 * either listed in the unified root's cgroup.controllers or not. */
enum cg_ctrl {
    CG_CPU = 0,
    CG_CPUACCT,
    CG_CPUSET,
    CG_MEMORY,
    CG_DEVICES,
    CG_FREEZER,
    CG_BLKIO,
    CG_PIDS,
    CG_HUGETLB,
    CG_NET_CLS,
    CG_NET_PRIO,
    CG_PERF_EVENT,
    CG_RDMA,
    CG_MISC,
    CG__MAX,
};
#define CG_BIT(c) (1u << (c))

/* v1 name of a controller ("blkio"), its v2 name ("io") or NULL if v2 has none. */
const char *cg_ctrl_v1_name(enum cg_ctrl c);
const char *cg_ctrl_v2_name(enum cg_ctrl c);
/* Controller from a v1 name, or -1. */
int cg_ctrl_from_v1_name(const char *name);

/* One mounted hierarchy berth uses. */
struct cg_hier {
    char *mount;   /* mount point, e.g. "/sys/fs/cgroup/memory" */
    bool v2;       /* the unified (cgroup2) hierarchy */
    unsigned ctrl; /* v1: CG_BIT()s of the controllers attached here */
    char *name;    /* v1 named hierarchy ("systemd" for name=systemd), or NULL */
};

struct cg_layout {
    enum cg_mode mode;
    struct cg_hier *hier;
    size_t n_hier;
    int v1[CG__MAX];  /* index into hier of the v1 hierarchy holding a controller, or -1 */
    int unified;      /* index into hier of the unified hierarchy, or -1 */
    unsigned v2_ctrl; /* CG_BIT()s of controllers in the unified root's cgroup.controllers */
};

/* Parses /proc/self/mountinfo text into a layout (v2_ctrl left 0: it needs the live
 * filesystem). Never fails on odd lines: they are skipped. */
int cg_parse_mountinfo(const char *text, struct cg_layout *ret, struct berr **err);
/* Parses the space-separated list of a cgroup.controllers file into CG_BIT()s. */
unsigned cg_parse_v2_controllers(const char *text);
void cg_layout_done(struct cg_layout *l);
/* The host's layout, detected once. */
const struct cg_layout *cg_layout(void);

/* Validates a cgroup path: absolute, not the root, no "." or ".." components, no empty
 * components. */
int cg_check_path(const char *path, struct berr **err);

/* Unit conversions between v1 and v2 knobs. */
uint64_t cg_shares_to_weight(uint64_t shares);
uint64_t cg_blkio_weight_to_io(uint64_t weight);

/* Finds "key value" on a line of a flat keyed file (cpu.stat, memory.events, cgroup.events,
 * memory.oom_control) and parses value. 0 or -ENOENT / -EINVAL. */
int cg_keyed_u64(const char *text, const char *key, uint64_t *ret);
/* Parses a single-number file's content; "max" and v1's "unlimited" values give UINT64_MAX. */
int cg_parse_u64(const char *text, uint64_t *ret);

/* Absolute directory of cgroup `path` in hierarchy h (malloc'd). */
char *cg_dir(const struct cg_hier *h, const char *path);
/* Reads dir/file whole (NUL-terminated, malloc'd). */
int cg_read(const char *dir, const char *file, char **ret);
/* Writes value to dir/file in one write(2). Returns 0 or negative errno, no error object. */
int cg_write_raw(const char *dir, const char *file, const char *value);
bool cg_has_file(const char *dir, const char *file);

/* Undo journal for resource writes: the old content of each file changed, restored in
 * reverse order if a later write fails, so `update` with a bad value leaves the cgroup as
 * it was. */
struct cg_undo_entry {
    char *dir, *file, *old;
};
struct cg_undo {
    struct cg_undo_entry *e;
    size_t n;
};
/* Records the old content of dir/file (takes old, also on failure). An entry for
 * "devices.list" restores a v1 devices cgroup from that list. */
int cg_undo_push(struct cg_undo *u, const char *dir, const char *file, char *old);
void cg_undo_run(struct cg_undo *u);
void cg_undo_done(struct cg_undo *u);

/* What resource writers work on. */
struct cg_ctx {
    const struct cg_layout *l;
    const char *path; /* cgroup path, "/berth/<id>" */
    struct cg_undo *undo;
};

/* Writes value to `file` of the cgroup in hierarchy h, saving the old content in the undo
 * journal. A missing file gives BERR_UNSUPPORTED "<field>: <what> not supported (no <file>
 * file)"; a kernel refusal gives "<field>: write \"<value>\" to <file>: <strerror>". */
int cg_set(struct cg_ctx *c, const struct cg_hier *h, const char *file, const char *value,
           const char *field, const char *what, struct berr **err);
/* Like cg_set for per-device table files (blkio.throttle.*, io.max, weight_device): only the
 * line for `key` ("8:0") is saved; when it had none, `key absent` is written back on undo. */
int cg_set_keyed(struct cg_ctx *c, const struct cg_hier *h, const char *file, const char *key,
                 const char *value, const char *absent, const char *field, const char *what,
                 struct berr **err);
/* "<field>: <what> not supported (no <file> file)" */
int cg_err_unsupported(struct berr **err, const char *field, const char *what, const char *file);

/* v1 resources: the parts of res whose controller is in `mask`. */
int cg_v1_apply(struct cg_ctx *c, const struct spec_resources *res, unsigned mask,
                struct berr **err);
/* v1 cpuset: fills empty cpuset.cpus/mems from the nearest ancestor that has them, top down. */
int cg_v1_cpuset_init(const struct cg_hier *h, const char *path, struct berr **err);
/* Puts a v1 devices cgroup back to what devices.list showed. */
void cg_v1_devices_restore(const char *dir, const char *list);
/* The v1 devices.allow/deny line of a rule ("c 1:3 rwm", "a"). */
int cg_v1_device_line(const struct spec_device_rule *d, char *buf, size_t size);
int cg_v1_freeze(const char *dir, bool frozen, struct berr **err);
int cg_v1_is_frozen(const char *dir);

/* v2 resources: the parts of res whose controller is in `mask`; devices (an eBPF program,
 * replacing the one there) when `devices`. */
int cg_v2_apply(struct cg_ctx *c, const struct spec_resources *res, unsigned mask, bool devices,
                struct berr **err);
/* Writes linux.resources.unified key/values to the unified hierarchy. */
int cg_v2_apply_unified(struct cg_ctx *c, const struct spec_resources *res, struct berr **err);
/* Enables `want` (CG_BIT()s) in cgroup.subtree_control of every ancestor of path, from the
 * root down, where the ancestor lists them in cgroup.controllers. Failing to enable one of
 * `required` is an error; the others are best effort. */
int cg_v2_enable_controllers(const struct cg_hier *h, const char *path, unsigned want,
                             unsigned required, struct berr **err);
int cg_v2_freeze(const char *dir, bool frozen, struct berr **err);
int cg_v2_is_frozen(const char *dir);

/* Builds the BPF_PROG_TYPE_CGROUP_DEVICE program for the rules (v1 semantics: the last
 * type-'a' rule sets the default, later rules are exceptions, the last matching one wins).
 * *ret is malloc'd. */
int cg_devices_bpf_build(const struct spec_device_rule *rules, size_t n, struct bpf_insn **ret,
                         size_t *ret_n, struct berr **err);
/* Loads the program for rules and attaches it to the cgroup directory `dir`
 * (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI), then detaches programs attached there before, so
 * an update replaces the rules and there is no moment without any. */
int cg_devices_bpf_apply(const char *dir, const struct spec_device_rule *rules, size_t n,
                         struct berr **err);
/* Number of device programs attached directly to dir, or negative errno. */
int cg_devices_bpf_count(const char *dir);

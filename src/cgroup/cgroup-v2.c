/* cgroup-v2.c - resources, controller delegation and freezer on the unified (cgroup2)
 * hierarchy, with the v1-shaped OCI values converted to v2 knobs */
#include "cgroup/cgroup-internal.h"
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "base/cleanup.h"

static const struct cg_hier *unified(const struct cg_ctx *c)
{
    return &c->l->hier[c->l->unified];
}

static int unsupported_v2(struct berr **err, const char *field, const char *what)
{
    return berr_set(err, BERR_UNSUPPORTED, EOPNOTSUPP, "%s: %s not supported by cgroup v2", field,
                    what);
}

/* ---- controllers ---- */

int cg_v2_enable_controllers(const struct cg_hier *h, const char *path, unsigned want,
                             unsigned required, struct berr **err)
{
    if (!want)
        return 0;
    _cleanup_free_ char *dir = cg_dir(h, path);
    if (!dir)
        return berr_sys(err, ENOMEM, "enable cgroup controllers");
    size_t ml = strlen(h->mount);
    /* Each ancestor, root first, down to the leaf's parent: a controller reaches a cgroup
     * only if every ancestor has it in cgroup.subtree_control. The changes are not undone:
     * they are shared with sibling cgroups and harmless to keep. */
    for (char *slash = dir + ml;; slash = strchr(slash + 1, '/')) {
        if (!slash)
            break;
        char saved = *slash;
        *slash = '\0';
        const char *level = *dir ? dir : "/";
        _cleanup_free_ char *avail_s = NULL, *on_s = NULL;
        int r = cg_read(level, "cgroup.controllers", &avail_s);
        if (r < 0) {
            *slash = saved;
            return berr_sys(err, -r, "read %s/cgroup.controllers", level);
        }
        if (cg_read(level, "cgroup.subtree_control", &on_s) < 0)
            on_s = NULL;
        unsigned avail = cg_parse_v2_controllers(avail_s);
        unsigned on = on_s ? cg_parse_v2_controllers(on_s) : 0;
        for (int k = 0; k < CG__MAX; k++) {
            unsigned bit = CG_BIT(k);
            if (!(want & bit) || (on & bit))
                continue;
            if (!(avail & bit)) {
                if (required & bit) {
                    *slash = saved;
                    return berr_set(err, BERR_UNSUPPORTED, EOPNOTSUPP,
                                    "cgroup v2 controller %s not available in %s",
                                    cg_ctrl_v2_name(k), level);
                }
                want &= ~bit; /* not below this level either */
                continue;
            }
            char buf[32];
            snprintf(buf, sizeof(buf), "+%s", cg_ctrl_v2_name(k));
            /* one at a time: one refused controller must not keep the others off */
            r = cg_write_raw(level, "cgroup.subtree_control", buf);
            if (r < 0 && (required & bit)) {
                *slash = saved;
                return berr_sys(err, -r, "enable controller %s in %s/cgroup.subtree_control",
                                cg_ctrl_v2_name(k), level);
            }
            if (r < 0)
                want &= ~bit;
        }
        *slash = saved;
    }
    return 0;
}

/* ---- memory ---- */

static int set_limit(struct cg_ctx *c, const char *file, int64_t v, const char *field,
                     const char *what, struct berr **err)
{
    char buf[32] = "max";
    if (v >= 0)
        snprintf(buf, sizeof(buf), "%" PRId64, v);
    return cg_set(c, unified(c), file, buf, field, what, err);
}

static int v2_memory(struct cg_ctx *c, const struct spec_resources *res, struct berr **err)
{
    const typeof(res->memory) *m = &res->memory;
    int r;

    /* Knobs v2 does not have are refused rather than dropped: the user asked for them. */
    if (m->swappiness.set)
        return unsupported_v2(err, "linux.resources.memory.swappiness", "swappiness");
    if (m->has_disable_oom_killer && m->disable_oom_killer)
        return unsupported_v2(err, "linux.resources.memory.disableOOMKiller",
                              "disabling the OOM killer");
    if (m->has_use_hierarchy && !m->use_hierarchy)
        return unsupported_v2(err, "linux.resources.memory.useHierarchy",
                              "non-hierarchical accounting");

    /* OCI's swap is v1's memory+swap; v2's memory.swap.max is swap alone. */
    int64_t swap = -1;
    if (m->swap.set && m->swap.v > 0) {
        if (!m->limit.set || m->limit.v < 0)
            return berr_set(err, BERR_INVALID, EINVAL,
                            "linux.resources.memory.swap: a swap limit needs a memory limit on "
                            "cgroup v2");
        if (m->swap.v < m->limit.v)
            return berr_set(err, BERR_INVALID, EINVAL,
                            "linux.resources.memory.swap: %" PRId64
                            " is below the memory limit %" PRId64 " (swap counts memory+swap)",
                            m->swap.v, m->limit.v);
        swap = m->swap.v - m->limit.v;
    }
    if (m->limit.set) {
        r = set_limit(c, "memory.max", m->limit.v, "linux.resources.memory.limit", "memory limit",
                      err);
        if (r < 0)
            return r;
    }
    if (m->swap.set && m->swap.v != 0) { /* 0 means unset, as in runc */
        r = set_limit(c, "memory.swap.max", swap, "linux.resources.memory.swap", "swap limit", err);
        if (r < 0)
            return r;
    }
    if (m->reservation.set) {
        r = set_limit(c, "memory.low", m->reservation.v, "linux.resources.memory.reservation",
                      "memory reservation", err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* ---- cpu, cpuset, pids ---- */

static int v2_cpu(struct cg_ctx *c, const struct spec_resources *res, struct berr **err)
{
    const typeof(res->cpu) *p = &res->cpu;
    const struct cg_hier *h = unified(c);
    char buf[64];
    int r;

    if (p->realtime_runtime.set || p->realtime_period.set)
        return unsupported_v2(err,
                              p->realtime_runtime.set ? "linux.resources.cpu.realtimeRuntime"
                                                      : "linux.resources.cpu.realtimePeriod",
                              "realtime scheduling limits");
    if (p->shares.set && p->shares.v) {
        snprintf(buf, sizeof(buf), "%" PRIu64, cg_shares_to_weight(p->shares.v));
        r = cg_set(c, h, "cpu.weight", buf, "linux.resources.cpu.shares", "cpu weight", err);
        if (r < 0)
            return r;
    }
    if (p->quota.set || p->period.set) {
        /* cpu.max holds both: keep the half the request leaves out */
        char quota[32] = "max";
        uint64_t period = 100000;
        _cleanup_free_ char *dir = cg_dir(h, c->path), *cur = NULL;
        if (dir && cg_read(dir, "cpu.max", &cur) == 0) {
            char q[32];
            unsigned long long per;
            if (sscanf(cur, "%31s %llu", q, &per) == 2) {
                snprintf(quota, sizeof(quota), "%s", q);
                period = per;
            }
        }
        if (p->quota.set) {
            if (p->quota.v > 0)
                snprintf(quota, sizeof(quota), "%" PRId64, p->quota.v);
            else
                snprintf(quota, sizeof(quota), "max");
        }
        if (p->period.set && p->period.v)
            period = p->period.v;
        snprintf(buf, sizeof(buf), "%s %" PRIu64, quota, period);
        r = cg_set(c, h, "cpu.max", buf,
                   p->quota.set ? "linux.resources.cpu.quota" : "linux.resources.cpu.period",
                   "cpu bandwidth limit", err);
        if (r < 0)
            return r;
    }
    if (p->burst.set) {
        snprintf(buf, sizeof(buf), "%" PRIu64, p->burst.v);
        r = cg_set(c, h, "cpu.max.burst", buf, "linux.resources.cpu.burst", "cpu burst", err);
        if (r < 0)
            return r;
    }
    if (p->idle.set) {
        snprintf(buf, sizeof(buf), "%" PRId64, p->idle.v);
        r = cg_set(c, h, "cpu.idle", buf, "linux.resources.cpu.idle", "cpu idle", err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int v2_cpuset(struct cg_ctx *c, const struct spec_resources *res, struct berr **err)
{
    int r;
    if (res->cpu.cpus && *res->cpu.cpus) {
        r = cg_set(c, unified(c), "cpuset.cpus", res->cpu.cpus, "linux.resources.cpu.cpus",
                   "cpuset", err);
        if (r < 0)
            return r;
    }
    if (res->cpu.mems && *res->cpu.mems) {
        r = cg_set(c, unified(c), "cpuset.mems", res->cpu.mems, "linux.resources.cpu.mems",
                   "cpuset", err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int v2_pids(struct cg_ctx *c, const struct spec_resources *res, struct berr **err)
{
    return set_limit(c, "pids.max", res->pids.limit.v > 0 ? res->pids.limit.v : -1,
                     "linux.resources.pids.limit", "pids limit", err);
}

/* ---- io ---- */

static int v2_io(struct cg_ctx *c, const struct spec_resources *res, struct berr **err)
{
    const struct cg_hier *h = unified(c);
    _cleanup_free_ char *dir = cg_dir(h, c->path);
    if (!dir)
        return berr_sys(err, ENOMEM, "linux.resources.blockIO");
    /* BFQ's io.bfq.weight takes blkio's 1..1000 scale as is; io.weight (iocost) its own */
    bool bfq = cg_has_file(dir, "io.bfq.weight");
    const char *wfile = bfq ? "io.bfq.weight" : "io.weight";
    char buf[160];
    int r;

    if (res->blkio.leaf_weight.set)
        return unsupported_v2(err, "linux.resources.blockIO.leafWeight", "blkio leaf weight");
    for (size_t i = 0; i < res->blkio.n_weight_device; i++)
        if (res->blkio.weight_device[i].leaf_weight.set)
            return unsupported_v2(err, "linux.resources.blockIO.weightDevice.leafWeight",
                                  "blkio leaf weight");

    if (res->blkio.weight.set && res->blkio.weight.v) {
        uint64_t w = res->blkio.weight.v;
        if (bfq)
            snprintf(buf, sizeof(buf), "%" PRIu64, w);
        else
            snprintf(buf, sizeof(buf), "default %" PRIu64, cg_blkio_weight_to_io(w));
        r = cg_set(c, h, wfile, buf, "linux.resources.blockIO.weight", "io weight", err);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < res->blkio.n_weight_device; i++) {
        const struct spec_weight_device *wd = &res->blkio.weight_device[i];
        if (!wd->weight.set)
            continue;
        char key[48];
        snprintf(key, sizeof(key), "%" PRId64 ":%" PRId64, wd->major, wd->minor);
        snprintf(buf, sizeof(buf), "%s %" PRIu64, key,
                 bfq ? wd->weight.v : cg_blkio_weight_to_io(wd->weight.v));
        r = cg_set_keyed(c, h, wfile, key, buf, "default", "linux.resources.blockIO.weightDevice",
                         "io weight", err);
        if (r < 0)
            return r;
    }
    static const char *const knob[4] = {"rbps", "wbps", "riops", "wiops"};
    static const char *const tfield[4] = {"linux.resources.blockIO.throttleReadBpsDevice",
                                          "linux.resources.blockIO.throttleWriteBpsDevice",
                                          "linux.resources.blockIO.throttleReadIOPSDevice",
                                          "linux.resources.blockIO.throttleWriteIOPSDevice"};
    for (int t = 0; t < 4; t++) {
        for (size_t i = 0; i < res->blkio.n_throttle[t]; i++) {
            const struct spec_throttle_device *td = &res->blkio.throttle[t][i];
            char key[48], rate[32] = "max";
            snprintf(key, sizeof(key), "%" PRId64 ":%" PRId64, td->major, td->minor);
            /* v1's rate 0 means no limit */
            if (td->rate)
                snprintf(rate, sizeof(rate), "%" PRIu64, td->rate);
            snprintf(buf, sizeof(buf), "%s %s=%s", key, knob[t], rate);
            r = cg_set_keyed(c, h, "io.max", key, buf, "rbps=max wbps=max riops=max wiops=max",
                             tfield[t], "io limits", err);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

/* ---- hugetlb ---- */

static int v2_hugetlb(struct cg_ctx *c, const struct spec_resources *res, struct berr **err)
{
    for (size_t i = 0; i < res->n_hugepage_limits; i++) {
        const struct spec_hugepage_limit *hp = &res->hugepage_limits[i];
        const char *s = hp->page_size;
        bool ok = s && isdigit((unsigned char)*s);
        for (; ok && *s; s++)
            ok = isalnum((unsigned char)*s);
        if (!ok)
            return berr_set(err, BERR_INVALID, EINVAL,
                            "linux.resources.hugepageLimits: invalid page size \"%s\"",
                            hp->page_size ? hp->page_size : "");
        char file[64], buf[32];
        snprintf(file, sizeof(file), "hugetlb.%s.max", hp->page_size);
        snprintf(buf, sizeof(buf), "%" PRIu64, hp->limit);
        int r = cg_set(c, unified(c), file, buf, "linux.resources.hugepageLimits", "huge page size",
                       err);
        if (r < 0)
            return r;
    }
    return 0;
}

int cg_v2_apply(struct cg_ctx *c, const struct spec_resources *res, unsigned mask, bool devices,
                struct berr **err)
{
    static const struct {
        enum cg_ctrl ctrl;
        int (*fn)(struct cg_ctx *, const struct spec_resources *, struct berr **);
    } steps[] = {
        {CG_CPUSET, v2_cpuset}, {CG_MEMORY, v2_memory}, {CG_CPU, v2_cpu},
        {CG_PIDS, v2_pids},     {CG_BLKIO, v2_io},      {CG_HUGETLB, v2_hugetlb},
    };
    for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
        if (!(mask & CG_BIT(steps[i].ctrl)))
            continue;
        int r = steps[i].fn(c, res, err);
        if (r < 0)
            return r;
    }
    if (devices && res->n_devices) {
        _cleanup_free_ char *dir = cg_dir(unified(c), c->path);
        if (!dir)
            return berr_sys(err, ENOMEM, "linux.resources.devices");
        int r = cg_devices_bpf_apply(dir, res->devices, res->n_devices, err);
        if (r < 0)
            return berr_prefix(err, "linux.resources.devices");
    }
    return 0;
}

/* ---- linux.resources.unified ---- */

int cg_v2_apply_unified(struct cg_ctx *c, const struct spec_resources *res, struct berr **err)
{
    const struct cg_hier *h = unified(c);
    _cleanup_free_ char *dir = cg_dir(h, c->path);
    if (!dir)
        return berr_sys(err, ENOMEM, "linux.resources.unified");
    for (size_t i = 0; i < res->n_unified; i++) {
        const char *key = res->unified[i].key, *val = res->unified[i].value;
        /* a key names a file in this cgroup's directory, nothing else */
        if (!key || !*key || strchr(key, '/') || strstr(key, "..") || !strchr(key, '.'))
            return berr_set(err, BERR_INVALID, EINVAL,
                            "linux.resources.unified: invalid key \"%s\"", key ? key : "");
        if (strcmp(key, "cgroup.procs") == 0 || strcmp(key, "cgroup.threads") == 0 ||
            strcmp(key, "cgroup.kill") == 0 || strcmp(key, "cgroup.subtree_control") == 0)
            return berr_set(err, BERR_INVALID, EINVAL,
                            "linux.resources.unified: \"%s\" is not a resource", key);
        char field[256];
        snprintf(field, sizeof(field), "linux.resources.unified.%s", key);

        char ctrl[32];
        size_t cl = strcspn(key, ".");
        snprintf(ctrl, sizeof(ctrl), "%.*s", (int)(cl < sizeof(ctrl) ? cl : sizeof(ctrl) - 1), key);
        unsigned bit = cg_parse_v2_controllers(ctrl);
        if (bit) {
            int r = cg_v2_enable_controllers(h, c->path, bit, 0, err);
            if (r < 0)
                return r;
        }
        if (!cg_has_file(dir, key)) {
            /* on a hybrid host the controller may be attached to v1 instead */
            if (bit && !(c->l->v2_ctrl & bit))
                return berr_set(err, BERR_UNSUPPORTED, EOPNOTSUPP,
                                "%s: controller %s is not available on cgroup v2 here%s", field,
                                ctrl, c->l->mode == CG_MODE_HYBRID ? " (it is used as v1)" : "");
            return berr_set(err, BERR_UNSUPPORTED, EOPNOTSUPP,
                            "%s: no such file in the unified hierarchy", field);
        }
        int r = cg_set(c, h, key, val ? val : "", field, key, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* ---- freezer ---- */

int cg_v2_is_frozen(const char *dir)
{
    _cleanup_free_ char *ev = NULL;
    uint64_t v = 0;
    int r = cg_read(dir, "cgroup.events", &ev);
    if (r < 0)
        return r;
    if (cg_keyed_u64(ev, "frozen", &v) < 0)
        return -EOPNOTSUPP;
    return v ? 1 : 0;
}

int cg_v2_freeze(const char *dir, bool frozen, struct berr **err)
{
    int r = cg_write_raw(dir, "cgroup.freeze", frozen ? "1" : "0");
    if (r < 0)
        return berr_sys(err, -r, "write %s to %s/cgroup.freeze", frozen ? "1" : "0", dir);
    /* The write only asks; cgroup.events says when every task has stopped. */
    for (int i = 0; i < 2000; i++) {
        r = cg_v2_is_frozen(dir);
        if (r < 0)
            return berr_sys(err, -r, "read %s/cgroup.events", dir);
        if ((r == 1) == frozen)
            return 0;
        usleep(1000);
    }
    if (frozen)
        (void)cg_write_raw(dir, "cgroup.freeze", "0");
    return berr_set(err, BERR_INTERNAL, ETIMEDOUT, "%s did not become %s within 2s", dir,
                    frozen ? "frozen" : "thawed");
}

/* cgroup-v1.c - resources, cpuset set-up and freezer on v1 hierarchies (legacy and hybrid
 * hosts), one hierarchy per controller or per group of co-mounted controllers */
#include "cgroup/cgroup-internal.h"
#include "base/log.h"
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "base/cleanup.h"

static const struct cg_hier *hier_of(const struct cg_ctx *c, enum cg_ctrl ctrl)
{
    return &c->l->hier[c->l->v1[ctrl]];
}

/* ---- memory ---- */

static int set_i64(struct cg_ctx *c, const struct cg_hier *h, const char *file, int64_t v,
                   const char *field, const char *what, struct berr **err)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRId64, v);
    return cg_set(c, h, file, buf, field, what, err);
}

static int v1_memory(struct cg_ctx *c, const struct spec_resources *res, struct berr **err)
{
    const struct cg_hier *h = hier_of(c, CG_MEMORY);
    const typeof(res->memory) *m = &res->memory;
    _cleanup_free_ char *dir = cg_dir(h, c->path);
    if (!dir)
        return berr_sys(err, ENOMEM, "linux.resources.memory");
    int r;
    /* swap 0 means unset, as in runc: it cannot be below the memory limit */
    bool swap = m->swap.set && m->swap.v != 0;

    /* Check before writing anything that every requested knob exists. */
    if (swap && !cg_has_file(dir, "memory.memsw.limit_in_bytes"))
        return berr_set(err, BERR_UNSUPPORTED, EOPNOTSUPP,
                        "linux.resources.memory.swap: swap limit not supported by this kernel "
                        "(no memory.memsw.limit_in_bytes file: boot with swapaccount=1)");

    /* v1 needs memory.limit_in_bytes <= memory.memsw.limit_in_bytes at every moment: when
     * the new mem+swap limit is above the current one raise it first, else lower the memory
     * limit first. */
    bool swap_first = false;
    if (swap) {
        _cleanup_free_ char *cur = NULL;
        uint64_t cur_memsw = 0;
        swap_first = m->swap.v < 0 || cg_read(dir, "memory.memsw.limit_in_bytes", &cur) < 0 ||
                     cg_parse_u64(cur, &cur_memsw) < 0 || (uint64_t)m->swap.v >= cur_memsw;
    }
    if (swap_first) {
        r = set_i64(c, h, "memory.memsw.limit_in_bytes", m->swap.v, "linux.resources.memory.swap",
                    "swap limit", err);
        if (r < 0)
            return r;
    }
    if (m->limit.set) {
        r = set_i64(c, h, "memory.limit_in_bytes", m->limit.v, "linux.resources.memory.limit",
                    "memory limit", err);
        if (r < 0)
            return r;
    }
    if (swap && !swap_first) {
        r = set_i64(c, h, "memory.memsw.limit_in_bytes", m->swap.v, "linux.resources.memory.swap",
                    "swap limit", err);
        if (r < 0)
            return r;
    }
    if (m->reservation.set) {
        r = set_i64(c, h, "memory.soft_limit_in_bytes", m->reservation.v,
                    "linux.resources.memory.reservation", "memory reservation", err);
        if (r < 0)
            return r;
    }
    if (m->kernel_tcp.set && !cg_has_file(dir, "memory.kmem.tcp.limit_in_bytes")) {
        log_warn("linux.resources.memory.kernelTCP: ignored (no memory.kmem.tcp.limit_in_bytes "
                 "file on this host)");
    } else if (m->kernel_tcp.set) {
        r = set_i64(c, h, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp.v,
                    "linux.resources.memory.kernelTCP", "kernel TCP memory limit", err);
        if (r < 0)
            return r;
    }
    if (m->swappiness.set) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%" PRIu64, m->swappiness.v);
        r = cg_set(c, h, "memory.swappiness", buf, "linux.resources.memory.swappiness",
                   "swappiness", err);
        if (r < 0)
            return r;
    }
    if (m->has_disable_oom_killer) {
        r = cg_set(c, h, "memory.oom_control", m->disable_oom_killer ? "1" : "0",
                   "linux.resources.memory.disableOOMKiller", "OOM killer control", err);
        if (r < 0)
            return r;
    }
    if (m->has_use_hierarchy) {
        r = cg_set(c, h, "memory.use_hierarchy", m->use_hierarchy ? "1" : "0",
                   "linux.resources.memory.useHierarchy", "memory hierarchy accounting", err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* ---- cpu, cpuset, pids ---- */

static int v1_cpu(struct cg_ctx *c, const struct spec_resources *res, struct berr **err)
{
    const struct cg_hier *h = hier_of(c, CG_CPU);
    const typeof(res->cpu) *p = &res->cpu;
    char buf[32];
    int r;
    if (p->shares.set && p->shares.v) { /* 0 means unset, as in runc */
        snprintf(buf, sizeof(buf), "%" PRIu64, p->shares.v);
        r = cg_set(c, h, "cpu.shares", buf, "linux.resources.cpu.shares", "cpu shares", err);
        if (r < 0)
            return r;
    }
    /* the period first: the quota is checked against the bandwidth it implies */
    if (p->period.set) {
        snprintf(buf, sizeof(buf), "%" PRIu64, p->period.v);
        r = cg_set(c, h, "cpu.cfs_period_us", buf, "linux.resources.cpu.period", "cpu period", err);
        if (r < 0)
            return r;
    }
    if (p->quota.set) {
        r = set_i64(c, h, "cpu.cfs_quota_us", p->quota.v > 0 ? p->quota.v : -1,
                    "linux.resources.cpu.quota", "cpu quota", err);
        if (r < 0)
            return r;
    }
    if (p->burst.set) {
        snprintf(buf, sizeof(buf), "%" PRIu64, p->burst.v);
        r = cg_set(c, h, "cpu.cfs_burst_us", buf, "linux.resources.cpu.burst", "cpu burst", err);
        if (r < 0)
            return r;
    }
    if (p->realtime_period.set) {
        snprintf(buf, sizeof(buf), "%" PRIu64, p->realtime_period.v);
        r = cg_set(c, h, "cpu.rt_period_us", buf, "linux.resources.cpu.realtimePeriod",
                   "realtime period", err);
        if (r < 0)
            return r;
    }
    if (p->realtime_runtime.set) {
        r = set_i64(c, h, "cpu.rt_runtime_us", p->realtime_runtime.v,
                    "linux.resources.cpu.realtimeRuntime", "realtime runtime", err);
        if (r < 0)
            return r;
    }
    if (p->idle.set) {
        r = set_i64(c, h, "cpu.idle", p->idle.v, "linux.resources.cpu.idle", "cpu idle", err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int v1_cpuset(struct cg_ctx *c, const struct spec_resources *res, struct berr **err)
{
    const struct cg_hier *h = hier_of(c, CG_CPUSET);
    int r;
    if (res->cpu.cpus && *res->cpu.cpus) {
        r = cg_set(c, h, "cpuset.cpus", res->cpu.cpus, "linux.resources.cpu.cpus", "cpuset", err);
        if (r < 0)
            return r;
    }
    if (res->cpu.mems && *res->cpu.mems) {
        r = cg_set(c, h, "cpuset.mems", res->cpu.mems, "linux.resources.cpu.mems", "cpuset", err);
        if (r < 0)
            return r;
    }
    return 0;
}

static bool blank(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return !*s;
}

int cg_v1_cpuset_init(const struct cg_hier *h, const char *path, struct berr **err)
{
    static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
    _cleanup_free_ char *dir = cg_dir(h, path);
    if (!dir)
        return berr_sys(err, ENOMEM, "init cpuset");
    size_t ml = strlen(h->mount);
    /* top down: each level copies from its parent, filled the step before */
    for (char *p = dir + ml + 1;; p++) {
        char *slash = strchr(p, '/');
        if (slash)
            *slash = '\0';
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
            _cleanup_free_ char *cur = NULL, *parent_val = NULL;
            int r = cg_read(dir, files[i], &cur);
            if (r < 0)
                return berr_sys(err, -r, "read %s/%s", dir, files[i]);
            if (!blank(cur))
                continue;
            char *last = strrchr(dir, '/');
            *last = '\0';
            r = cg_read(dir, files[i], &parent_val);
            *last = '/';
            if (r < 0)
                return berr_sys(err, -r, "read parent of %s/%s", dir, files[i]);
            if (blank(parent_val))
                continue; /* the parent has none either: nothing to copy */
            parent_val[strcspn(parent_val, "\n")] = '\0';
            r = cg_write_raw(dir, files[i], parent_val);
            if (r < 0)
                return berr_sys(err, -r, "copy %s \"%s\" to %s", files[i], parent_val, dir);
        }
        if (!slash)
            break;
        *slash = '/';
        p = slash;
    }
    return 0;
}

static int v1_pids(struct cg_ctx *c, const struct spec_resources *res, struct berr **err)
{
    char buf[32] = "max";
    if (res->pids.limit.v > 0)
        snprintf(buf, sizeof(buf), "%" PRId64, res->pids.limit.v);
    return cg_set(c, hier_of(c, CG_PIDS), "pids.max", buf, "linux.resources.pids.limit",
                  "pids limit", err);
}

/* ---- blkio ---- */

static int v1_blkio(struct cg_ctx *c, const struct spec_resources *res, struct berr **err)
{
    const struct cg_hier *h = hier_of(c, CG_BLKIO);
    _cleanup_free_ char *dir = cg_dir(h, c->path);
    if (!dir)
        return berr_sys(err, ENOMEM, "linux.resources.blockIO");
    /* CFQ (before 5.0) has blkio.weight; BFQ has blkio.bfq.weight */
    bool bfq = !cg_has_file(dir, "blkio.weight") && cg_has_file(dir, "blkio.bfq.weight");
    const char *wfile = bfq ? "blkio.bfq.weight" : "blkio.weight";
    const char *wdfile = bfq ? "blkio.bfq.weight_device" : "blkio.weight_device";
    char buf[96];
    int r;

    if (res->blkio.weight.set) {
        snprintf(buf, sizeof(buf), "%" PRIu64, res->blkio.weight.v);
        r = cg_set(c, h, wfile, buf, "linux.resources.blockIO.weight", "blkio weight", err);
        if (r < 0)
            return r;
    }
    if (res->blkio.leaf_weight.set) {
        snprintf(buf, sizeof(buf), "%" PRIu64, res->blkio.leaf_weight.v);
        r = cg_set(c, h, "blkio.leaf_weight", buf, "linux.resources.blockIO.leafWeight",
                   "blkio leaf weight", err);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < res->blkio.n_weight_device; i++) {
        const struct spec_weight_device *wd = &res->blkio.weight_device[i];
        char key[48];
        snprintf(key, sizeof(key), "%" PRId64 ":%" PRId64, wd->major, wd->minor);
        if (wd->weight.set) {
            snprintf(buf, sizeof(buf), "%s %" PRIu64, key, wd->weight.v);
            r = cg_set_keyed(c, h, wdfile, key, buf, "0", "linux.resources.blockIO.weightDevice",
                             "blkio weight", err);
            if (r < 0)
                return r;
        }
        if (wd->leaf_weight.set) {
            snprintf(buf, sizeof(buf), "%s %" PRIu64, key, wd->leaf_weight.v);
            r = cg_set_keyed(c, h, "blkio.leaf_weight_device", key, buf, "0",
                             "linux.resources.blockIO.weightDevice", "blkio leaf weight", err);
            if (r < 0)
                return r;
        }
    }
    static const char *const tfile[4] = {
        "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
        "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"};
    static const char *const tfield[4] = {"linux.resources.blockIO.throttleReadBpsDevice",
                                          "linux.resources.blockIO.throttleWriteBpsDevice",
                                          "linux.resources.blockIO.throttleReadIOPSDevice",
                                          "linux.resources.blockIO.throttleWriteIOPSDevice"};
    for (int t = 0; t < 4; t++) {
        for (size_t i = 0; i < res->blkio.n_throttle[t]; i++) {
            const struct spec_throttle_device *td = &res->blkio.throttle[t][i];
            char key[48];
            snprintf(key, sizeof(key), "%" PRId64 ":%" PRId64, td->major, td->minor);
            snprintf(buf, sizeof(buf), "%s %" PRIu64, key, td->rate);
            /* rate 0 removes the device's limit, which is also how undo removes it */
            r = cg_set_keyed(c, h, tfile[t], key, buf, "0", tfield[t], "blkio throttling", err);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

/* ---- hugetlb, network ---- */

/* A page size becomes part of a file name: only "2MB", "1GB", "64KB" shapes. */
static bool page_size_ok(const char *s)
{
    if (!s || !isdigit((unsigned char)*s))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s))
            return false;
    return true;
}

static int v1_hugetlb(struct cg_ctx *c, const struct spec_resources *res, struct berr **err)
{
    const struct cg_hier *h = hier_of(c, CG_HUGETLB);
    for (size_t i = 0; i < res->n_hugepage_limits; i++) {
        const struct spec_hugepage_limit *hp = &res->hugepage_limits[i];
        if (!page_size_ok(hp->page_size))
            return berr_set(err, BERR_INVALID, EINVAL,
                            "linux.resources.hugepageLimits: invalid page size \"%s\"",
                            hp->page_size ? hp->page_size : "");
        char file[64], buf[32];
        snprintf(file, sizeof(file), "hugetlb.%s.limit_in_bytes", hp->page_size);
        snprintf(buf, sizeof(buf), "%" PRIu64, hp->limit);
        int r = cg_set(c, h, file, buf, "linux.resources.hugepageLimits", "huge page size", err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int v1_net_cls(struct cg_ctx *c, const struct spec_resources *res, struct berr **err)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRIu64, res->network.class_id.v);
    return cg_set(c, hier_of(c, CG_NET_CLS), "net_cls.classid", buf,
                  "linux.resources.network.classID", "network class id", err);
}

static int v1_net_prio(struct cg_ctx *c, const struct spec_resources *res, struct berr **err)
{
    for (size_t i = 0; i < res->network.n_priorities; i++) {
        const struct spec_kv *kv = &res->network.priorities[i];
        if (!kv->key || !*kv->key || strpbrk(kv->key, " \n") || !kv->value)
            return berr_set(err, BERR_INVALID, EINVAL,
                            "linux.resources.network.priorities: invalid interface name \"%s\"",
                            kv->key ? kv->key : "");
        _cleanup_free_ char *buf = NULL;
        if (asprintf(&buf, "%s %s", kv->key, kv->value) < 0)
            return berr_sys(err, ENOMEM, "linux.resources.network.priorities");
        int r = cg_set_keyed(c, hier_of(c, CG_NET_PRIO), "net_prio.ifpriomap", kv->key, buf, "0",
                             "linux.resources.network.priorities", "network priorities", err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* ---- devices ---- */

int cg_v1_device_line(const struct spec_device_rule *d, char *buf, size_t size)
{
    if (d->type == 'a')
        return snprintf(buf, size, "a");
    char maj[24] = "*", min[24] = "*";
    if (d->major >= 0)
        snprintf(maj, sizeof(maj), "%" PRId64, d->major);
    if (d->minor >= 0)
        snprintf(min, sizeof(min), "%" PRId64, d->minor);
    return snprintf(buf, size, "%c %s:%s %s", d->type, maj, min, d->access[0] ? d->access : "rwm");
}

void cg_v1_devices_restore(const char *dir, const char *list)
{
    /* devices.list shows "a *:* rwm" for allow-all; otherwise the allowed entries of a
     * deny-all cgroup */
    if (strncmp(list, "a ", 2) == 0 || strstr(list, "\na ")) {
        (void)cg_write_raw(dir, "devices.allow", "a");
        return;
    }
    (void)cg_write_raw(dir, "devices.deny", "a");
    _cleanup_free_ char *copy = strdup(list);
    char *save = NULL;
    for (char *l = copy ? strtok_r(copy, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save))
        (void)cg_write_raw(dir, "devices.allow", l);
}

static int v1_devices(struct cg_ctx *c, const struct spec_resources *res, struct berr **err)
{
    const struct cg_hier *h = hier_of(c, CG_DEVICES);
    _cleanup_free_ char *dir = cg_dir(h, c->path);
    if (!dir)
        return berr_sys(err, ENOMEM, "linux.resources.devices");
    if (!cg_has_file(dir, "devices.allow"))
        return cg_err_unsupported(err, "linux.resources.devices", "device rules", "devices.allow");
    if (c->undo) {
        char *old = NULL;
        if (cg_read(dir, "devices.list", &old) == 0 &&
            cg_undo_push(c->undo, dir, "devices.list", old) < 0)
            return berr_sys(err, ENOMEM, "linux.resources.devices");
    }
    /* The kernel applies the lines in order, as the spec means them: an "a" line resets the
     * default and the exceptions, later lines add exceptions. */
    struct cg_ctx raw = *c;
    raw.undo = NULL; /* devices.list above covers all of them */
    for (size_t i = 0; i < res->n_devices; i++) {
        const struct spec_device_rule *d = &res->devices[i];
        char line[80];
        cg_v1_device_line(d, line, sizeof(line));
        int r = cg_set(&raw, h, d->allow ? "devices.allow" : "devices.deny", line,
                       "linux.resources.devices", "device rules", err);
        if (r < 0)
            return r;
    }
    return 0;
}

int cg_v1_apply(struct cg_ctx *c, const struct spec_resources *res, unsigned mask,
                struct berr **err)
{
    static const struct {
        enum cg_ctrl ctrl;
        int (*fn)(struct cg_ctx *, const struct spec_resources *, struct berr **);
    } steps[] = {
        /* cpuset and memory before the rest: the most common to be refused, and nothing
         * else depends on them */
        {CG_CPUSET, v1_cpuset},   {CG_MEMORY, v1_memory},     {CG_CPU, v1_cpu},
        {CG_PIDS, v1_pids},       {CG_BLKIO, v1_blkio},       {CG_HUGETLB, v1_hugetlb},
        {CG_NET_CLS, v1_net_cls}, {CG_NET_PRIO, v1_net_prio}, {CG_DEVICES, v1_devices},
    };
    for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
        if (!(mask & CG_BIT(steps[i].ctrl)))
            continue;
        int r = steps[i].fn(c, res, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* ---- freezer ---- */

int cg_v1_is_frozen(const char *dir)
{
    _cleanup_free_ char *s = NULL;
    int r = cg_read(dir, "freezer.state", &s);
    if (r < 0)
        return r;
    return strncmp(s, "FROZEN", 6) == 0;
}

int cg_v1_freeze(const char *dir, bool frozen, struct berr **err)
{
    const char *want = frozen ? "FROZEN" : "THAWED";
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int i = 1;; i++) {
        /* A freeze can stay in FREEZING while a task is busy in the kernel; writing FROZEN
         * again makes the kernel retry. A freeze that stays stuck (a task caught between
         * fork and its first run, on a loaded machine) gets undone and started over now and
         * then, as runc does. */
        if (frozen && i % 100 == 0)
            (void)cg_write_raw(dir, "freezer.state", "THAWED");
        int r = cg_write_raw(dir, "freezer.state", want);
        if (r < 0)
            return berr_sys(err, -r, "write %s to %s/freezer.state", want, dir);
        _cleanup_free_ char *s = NULL;
        r = cg_read(dir, "freezer.state", &s);
        if (r < 0)
            return berr_sys(err, -r, "read %s/freezer.state", dir);
        if (strncmp(s, want, strlen(want)) == 0)
            return 0;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 > 5000)
            break;
        usleep(1000);
    }
    /* undo a freeze that did not complete: leave no half-frozen container */
    if (frozen)
        (void)cg_write_raw(dir, "freezer.state", "THAWED");
    return berr_set(err, BERR_INTERNAL, ETIMEDOUT, "%s did not reach %s within 5s", dir, want);
}

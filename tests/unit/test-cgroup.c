/* test-cgroup.c - unit tests of the cgroup module's pure logic: paths, layout detection from
 * mountinfo, v1->v2 conversions, file parsing, and the device eBPF program it generates (run
 * through a small interpreter of the instructions it uses) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/cleanup.h"
#include "cgroup/cgroup-internal.h"

/* ---- cg_resolve_path ---- */

static void expect_path(const char *in, const char *id, const char *want)
{
    struct berr *err = NULL;
    char *p = cg_resolve_path(in, id, &err);
    assert_null(err);
    assert_non_null(p);
    assert_string_equal(p, want);
    free(p);
}

static void expect_path_fails(const char *in, const char *id, enum berr_kind kind)
{
    struct berr *err = NULL;
    char *p = cg_resolve_path(in, id, &err);
    assert_null(p);
    assert_non_null(err);
    assert_int_equal(err->kind, kind);
    berr_free(err);
}

static void test_resolve_path(void **state)
{
    (void)state;
    expect_path(NULL, "c1", "/berth/c1");
    expect_path("", "c1", "/berth/c1");
    expect_path("a/b", "c1", "/berth/a/b");
    expect_path("/a/b", "c1", "/a/b");
    expect_path("/a//b/", "c1", "/a/b");
    expect_path("x", "c1", "/berth/x");
    expect_path("/machine.slice/ctr", "c1", "/machine.slice/ctr");
    /* one colon is a legal cgroup name, two are systemd's slice:prefix:name */
    expect_path("a:b", "c1", "/berth/a:b");

    expect_path_fails("/a/../b", "c1", BERR_INVALID);
    expect_path_fails("a/..", "c1", BERR_INVALID);
    expect_path_fails("/a/./b", "c1", BERR_INVALID);
    expect_path_fails("/", "c1", BERR_INVALID);
    expect_path_fails(NULL, "", BERR_INVALID);
    expect_path_fails(NULL, "../x", BERR_INVALID);
    expect_path_fails(NULL, "..", BERR_INVALID);
}

static void test_resolve_path_systemd(void **state)
{
    (void)state;
    struct berr *err = NULL;
    char *p = cg_resolve_path("system.slice:berth:c1", "c1", &err);
    assert_null(p);
    assert_non_null(err);
    assert_int_equal(err->kind, BERR_UNSUPPORTED);
    assert_string_equal(err->msg, "systemd cgroup paths are not supported: use a path");
    berr_free(err);
}

static void test_check_path(void **state)
{
    (void)state;
    _cleanup_berr_ struct berr *e = NULL;
    assert_int_equal(cg_check_path("/berth/x", &e), 0);
    assert_int_equal(cg_check_path("/a", &e), 0);
    assert_true(cg_check_path("berth/x", &e) < 0);
    assert_true(cg_check_path("/", &e) < 0);
    assert_true(cg_check_path("/a//b", &e) < 0);
    assert_true(cg_check_path("/a/", &e) < 0);
    assert_true(cg_check_path("/a/..", &e) < 0);
    assert_true(cg_check_path(NULL, &e) < 0);
    /* names that only start with dots are fine */
    assert_int_equal(cg_check_path("/a/..b/.c", &e), 0);
}

/* ---- conversions ---- */

static void test_shares_to_weight(void **state)
{
    (void)state;
    assert_int_equal(cg_shares_to_weight(2), 1);
    assert_int_equal(cg_shares_to_weight(1024), 39); /* the same number runc and crun give */
    assert_int_equal(cg_shares_to_weight(262144), 10000);
    assert_int_equal(cg_shares_to_weight(512), 20);
    /* out of range is clamped, 0 means unset */
    assert_int_equal(cg_shares_to_weight(1), 1);
    assert_int_equal(cg_shares_to_weight(1000000), 10000);
    assert_int_equal(cg_shares_to_weight(0), 0);
}

static void test_blkio_weight_to_io(void **state)
{
    (void)state;
    assert_int_equal(cg_blkio_weight_to_io(10), 1);
    assert_int_equal(cg_blkio_weight_to_io(1000), 10000);
    assert_int_equal(cg_blkio_weight_to_io(100), 910);
    assert_int_equal(cg_blkio_weight_to_io(500), 4950);
    assert_int_equal(cg_blkio_weight_to_io(5), 1);
    assert_int_equal(cg_blkio_weight_to_io(0), 0);
}

/* ---- parsing ---- */

static void test_parse_u64(void **state)
{
    (void)state;
    uint64_t v = 0;
    assert_int_equal(cg_parse_u64("12345\n", &v), 0);
    assert_int_equal(v, 12345);
    assert_int_equal(cg_parse_u64("max\n", &v), 0);
    assert_true(v == UINT64_MAX);
    /* v1's "no limit" */
    assert_int_equal(cg_parse_u64("9223372036854771712\n", &v), 0);
    assert_true(v == UINT64_MAX);
    assert_true(cg_parse_u64("", &v) < 0);
    assert_true(cg_parse_u64("-1", &v) < 0);
    assert_true(cg_parse_u64("12x", &v) < 0);
    assert_true(cg_parse_u64("maximum", &v) < 0);
}

static void test_keyed_u64(void **state)
{
    (void)state;
    uint64_t v = 0;
    const char *oom = "oom_kill_disable 1\nunder_oom 0\noom_kill 7\n";
    assert_int_equal(cg_keyed_u64(oom, "oom_kill", &v), 0);
    assert_int_equal(v, 7); /* not the oom_kill_disable line */
    assert_int_equal(cg_keyed_u64(oom, "oom_kill_disable", &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(cg_keyed_u64("populated 1\nfrozen 0\n", "frozen", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(cg_keyed_u64("usage_usec 1500\nuser_usec 1000", "usage_usec", &v), 0);
    assert_int_equal(v, 1500);
    assert_int_equal(cg_keyed_u64("a 1\n", "b", &v), -ENOENT);
    assert_int_equal(cg_keyed_u64("a x\n", "a", &v), -EINVAL);
}

static void test_v2_controllers(void **state)
{
    (void)state;
    unsigned m = cg_parse_v2_controllers("cpuset cpu io memory hugetlb pids rdma misc\n");
    assert_true(m & CG_BIT(CG_CPU));
    assert_true(m & CG_BIT(CG_BLKIO)); /* "io" is blkio's v2 name */
    assert_true(m & CG_BIT(CG_MEMORY));
    assert_true(m & CG_BIT(CG_PIDS));
    assert_false(m & CG_BIT(CG_DEVICES));
    assert_false(m & CG_BIT(CG_FREEZER));
    assert_int_equal(cg_parse_v2_controllers(""), 0);
    assert_int_equal(cg_parse_v2_controllers("unknown"), 0);
}

/* ---- mountinfo ---- */

static const char *hybrid_mountinfo =
    "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static const char *mount_of(const struct cg_layout *l, enum cg_ctrl c)
{
    return l->v1[c] >= 0 ? l->hier[l->v1[c]].mount : NULL;
}

static void test_mountinfo_hybrid(void **state)
{
    (void)state;
    struct cg_layout l;
    _cleanup_berr_ struct berr *e = NULL;
    assert_int_equal(cg_parse_mountinfo(hybrid_mountinfo, &l, &e), 0);
    assert_int_equal(l.mode, CG_MODE_HYBRID);
    assert_int_equal(l.n_hier, 10); /* 8 controllers + name=systemd + unified */
    assert_string_equal(mount_of(&l, CG_CPU), "/sys/fs/cgroup/cpu");
    assert_string_equal(mount_of(&l, CG_CPUACCT), "/sys/fs/cgroup/cpuacct");
    assert_string_equal(mount_of(&l, CG_MEMORY), "/sys/fs/cgroup/memory");
    assert_null(mount_of(&l, CG_HUGETLB));
    assert_null(mount_of(&l, CG_NET_CLS));
    assert_true(l.unified >= 0);
    assert_string_equal(l.hier[l.unified].mount, "/sys/fs/cgroup/unified");
    assert_true(l.hier[l.unified].v2);
    bool systemd = false;
    for (size_t i = 0; i < l.n_hier; i++)
        systemd |= l.hier[i].name && strcmp(l.hier[i].name, "systemd") == 0;
    assert_true(systemd);
    cg_layout_done(&l);
}

static void test_mountinfo_legacy_comounted(void **state)
{
    (void)state;
    /* directory names lie (symlinks, odd distros): the super options decide */
    const char *mi =
        "25 24 0:22 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
        "26 24 0:23 / /sys/fs/cgroup/weird rw - cgroup cgroup rw,memory\n"
        "27 24 0:24 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio\n"
        "28 24 0:25 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
        /* the same hierarchy mounted again: used once */
        "29 24 0:23 / /mnt/memory\\040copy rw - cgroup cgroup rw,memory\n";
    struct cg_layout l;
    _cleanup_berr_ struct berr *e = NULL;
    assert_int_equal(cg_parse_mountinfo(mi, &l, &e), 0);
    assert_int_equal(l.mode, CG_MODE_LEGACY);
    assert_int_equal(l.n_hier, 4);
    assert_int_equal(l.unified, -1);
    assert_string_equal(mount_of(&l, CG_CPU), "/sys/fs/cgroup/cpu,cpuacct");
    assert_int_equal(l.v1[CG_CPU], l.v1[CG_CPUACCT]);
    assert_string_equal(mount_of(&l, CG_MEMORY), "/sys/fs/cgroup/weird");
    assert_int_equal(l.v1[CG_NET_CLS], l.v1[CG_NET_PRIO]);
    assert_int_equal(l.v1[CG_PIDS], -1);
    cg_layout_done(&l);
}

static void test_mountinfo_unified(void **state)
{
    (void)state;
    const char *mi = "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 "
                     "rw,nsdelegate,memory_recursiveprot\n"
                     /* a v1 named hierarchy someone mounted for old containers: ignored */
                     "40 23 0:40 / /run/sd rw - cgroup cgroup rw,name=systemd\n"
                     "41 23 0:26 / /var/lib/x/cgroup rw - cgroup2 cgroup2 rw\n";
    /* the standard mount point wins whichever comes first */
    const char *mi2 = "41 23 0:26 / /var/lib/x/cgroup rw - cgroup2 cgroup2 rw\n"
                      "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n";
    struct cg_layout l;
    _cleanup_berr_ struct berr *e = NULL;
    assert_int_equal(cg_parse_mountinfo(mi, &l, &e), 0);
    assert_int_equal(l.mode, CG_MODE_UNIFIED);
    assert_int_equal(l.n_hier, 1);
    assert_string_equal(l.hier[l.unified].mount, "/sys/fs/cgroup");
    for (int c = 0; c < CG__MAX; c++)
        assert_int_equal(l.v1[c], -1);
    cg_layout_done(&l);

    assert_int_equal(cg_parse_mountinfo(mi2, &l, &e), 0);
    assert_int_equal(l.n_hier, 1);
    assert_string_equal(l.hier[l.unified].mount, "/sys/fs/cgroup");
    cg_layout_done(&l);
}

static void test_mountinfo_none(void **state)
{
    (void)state;
    struct cg_layout l;
    _cleanup_berr_ struct berr *e = NULL;
    assert_int_equal(cg_parse_mountinfo("22 1 8:1 / / rw - ext4 /dev/sda1 rw\ngarbage\n", &l, &e),
                     0);
    assert_int_equal(l.mode, CG_MODE_LEGACY);
    assert_int_equal(l.n_hier, 0);
    cg_layout_done(&l);
}

/* ---- v1 device lines ---- */

static void test_v1_device_line(void **state)
{
    (void)state;
    char buf[80];
    struct spec_device_rule r = {.allow = true, .type = 'c', .major = 1, .minor = 3};
    strcpy(r.access, "rwm");
    cg_v1_device_line(&r, buf, sizeof(buf));
    assert_string_equal(buf, "c 1:3 rwm");
    r = (struct spec_device_rule){.type = 'b', .major = -1, .minor = -1};
    strcpy(r.access, "r");
    cg_v1_device_line(&r, buf, sizeof(buf));
    assert_string_equal(buf, "b *:* r");
    r = (struct spec_device_rule){.type = 'c', .major = 136, .minor = -1};
    cg_v1_device_line(&r, buf, sizeof(buf)); /* empty access means all */
    assert_string_equal(buf, "c 136:* rwm");
    r = (struct spec_device_rule){.type = 'a', .major = -1, .minor = -1};
    strcpy(r.access, "rwm");
    cg_v1_device_line(&r, buf, sizeof(buf));
    assert_string_equal(buf, "a");
}

/* ---- device eBPF program ---- */

/* Runs the subset of eBPF the generator emits; fails the test on anything else. */
static int run_prog(const struct bpf_insn *p, size_t n, uint32_t type, uint32_t access,
                    uint32_t major, uint32_t minor)
{
    uint32_t ctx[3] = {(access << 16) | type, major, minor};
    uint64_t reg[11] = {0};
    size_t pc = 0;
    for (int steps = 0; steps < 10000; steps++) {
        assert_true(pc < n);
        const struct bpf_insn *i = &p[pc++];
        uint64_t src = (BPF_SRC(i->code) == BPF_X) ? reg[i->src_reg] : (uint64_t)(int64_t)i->imm;
        switch (BPF_CLASS(i->code)) {
        case BPF_LDX:
            assert_int_equal(i->code, BPF_LDX | BPF_MEM | BPF_W);
            assert_int_equal(i->src_reg, BPF_REG_1);
            assert_true(i->off >= 0 && i->off <= 8 && i->off % 4 == 0);
            reg[i->dst_reg] = ctx[i->off / 4];
            break;
        case BPF_ALU64:
            switch (BPF_OP(i->code)) {
            case BPF_MOV: reg[i->dst_reg] = src; break;
            case BPF_AND: reg[i->dst_reg] &= src; break;
            case BPF_RSH: reg[i->dst_reg] >>= src; break;
            default: fail_msg("unexpected alu op %#x", i->code);
            }
            break;
        case BPF_JMP:
            if (BPF_OP(i->code) == BPF_EXIT)
                return (int)reg[0];
            bool taken;
            switch (BPF_OP(i->code)) {
            case BPF_JNE: taken = reg[i->dst_reg] != src; break;
            case BPF_JEQ: taken = reg[i->dst_reg] == src; break;
            default: fail_msg("unexpected jump op %#x", i->code); return -1;
            }
            /* the verifier refuses backward jumps into loops; ours only go forward */
            assert_true(i->off >= 0);
            if (taken)
                pc += (size_t)i->off;
            break;
        default: fail_msg("unexpected insn class %#x", i->code);
        }
    }
    fail_msg("program did not exit");
    return -1;
}

#define R BPF_DEVCG_ACC_READ
#define W BPF_DEVCG_ACC_WRITE
#define M BPF_DEVCG_ACC_MKNOD
#define CHR BPF_DEVCG_DEV_CHAR
#define BLK BPF_DEVCG_DEV_BLOCK

static struct spec_device_rule rule(bool allow, char type, int64_t maj, int64_t min,
                                    const char *acc)
{
    struct spec_device_rule r = {.allow = allow, .type = type, .major = maj, .minor = min};
    snprintf(r.access, sizeof(r.access), "%s", acc);
    return r;
}

static void test_bpf_shape(void **state)
{
    (void)state;
    struct spec_device_rule rules[] = {
        rule(false, 'a', -1, -1, "rwm"),
        rule(true, 'c', 1, 3, "rwm"),
        rule(true, 'c', 136, -1, "rw"),
    };
    struct bpf_insn *p = NULL;
    size_t n = 0;
    _cleanup_berr_ struct berr *e = NULL;
    assert_int_equal(cg_devices_bpf_build(rules, 3, &p, &n, &e), 0);
    /* prologue 6; 1:3 rwm: type, major, minor, mov+exit = 5; 136:* rw: type, access (3),
     * major, mov+exit = 7; default mov+exit 2 */
    assert_int_equal(n, 6 + 5 + 7 + 2);
    assert_int_equal(p[0].code, BPF_LDX | BPF_MEM | BPF_W);
    assert_int_equal(p[n - 1].code, BPF_JMP | BPF_EXIT);
    assert_int_equal(p[n - 2].code, BPF_ALU64 | BPF_MOV | BPF_K);
    assert_int_equal(p[n - 2].imm, 0); /* deny by default after "deny a" */
    /* every jump lands inside the program */
    for (size_t i = 0; i < n; i++)
        if (BPF_CLASS(p[i].code) == BPF_JMP && BPF_OP(p[i].code) != BPF_EXIT)
            assert_true(i + 1 + (size_t)p[i].off < n);
    free(p);
}

static void test_bpf_semantics(void **state)
{
    (void)state;
    struct spec_device_rule rules[] = {
        rule(true, 'a', -1, -1, "rwm"), /* dropped: the deny-all after it resets */
        rule(false, 'a', -1, -1, "rwm"),
        rule(true, 'c', 1, 3, "rwm"),   /* /dev/null */
        rule(true, 'c', 136, -1, "rw"), /* ptys */
        rule(true, 'b', 8, 0, "r"),
        rule(false, 'c', 1, 3, "w"), /* later deny wins over the earlier allow */
    };
    struct bpf_insn *p = NULL;
    size_t n = 0;
    _cleanup_berr_ struct berr *e = NULL;
    assert_int_equal(cg_devices_bpf_build(rules, ARRAY_SIZE(rules), &p, &n, &e), 0);
    assert_int_equal(run_prog(p, n, CHR, R, 1, 3), 1);
    assert_int_equal(run_prog(p, n, CHR, M, 1, 3), 1);
    assert_int_equal(run_prog(p, n, CHR, W, 1, 3), 0);
    assert_int_equal(run_prog(p, n, CHR, R | W, 1, 3), 0); /* any overlap with a deny */
    assert_int_equal(run_prog(p, n, CHR, R, 1, 5), 0);     /* default */
    assert_int_equal(run_prog(p, n, CHR, R | W, 136, 7), 1);
    assert_int_equal(run_prog(p, n, CHR, M, 136, 7), 0); /* allow must cover all asked */
    assert_int_equal(run_prog(p, n, BLK, R, 8, 0), 1);
    assert_int_equal(run_prog(p, n, BLK, W, 8, 0), 0);
    assert_int_equal(run_prog(p, n, CHR, R, 8, 0), 0); /* type matters */
    free(p);
}

static void test_bpf_default_allow(void **state)
{
    (void)state;
    /* no "a" rule: like a fresh v1 cgroup, everything not denied is allowed */
    struct spec_device_rule rules[] = {rule(false, 'c', 10, 200, "rwm")};
    struct bpf_insn *p = NULL;
    size_t n = 0;
    _cleanup_berr_ struct berr *e = NULL;
    assert_int_equal(cg_devices_bpf_build(rules, 1, &p, &n, &e), 0);
    assert_int_equal(run_prog(p, n, CHR, R, 10, 200), 0);
    assert_int_equal(run_prog(p, n, CHR, R, 10, 201), 1);
    assert_int_equal(run_prog(p, n, BLK, R | W, 8, 0), 1);
    free(p);

    struct spec_device_rule bad[] = {rule(true, 'x', 1, 1, "r")};
    struct berr *err = NULL;
    assert_true(cg_devices_bpf_build(bad, 1, &p, &n, &err) < 0);
    assert_non_null(err);
    assert_int_equal(err->kind, BERR_INVALID);
    berr_free(err);
}

/* ---- resource writers against a fake cgroup directory ---- */

/* A temporary directory standing in for a hierarchy: the writers only open files by name,
 * so what they write, and in which file, can be checked without cgroups or root. */
struct fake {
    char root[64];
    char dir[128];
    struct cg_layout l;
    struct cg_hier h;
};

static int cg_write_raw_new(const char *dir, const char *file, const char *v)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/%s", dir, file);
    int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    close(fd);
    return cg_write_raw(dir, file, v);
}

static void fake_init(struct fake *f, bool v2, const char *const *files)
{
    snprintf(f->root, sizeof(f->root), "/tmp/berth-cgtest-XXXXXX");
    assert_non_null(mkdtemp(f->root));
    snprintf(f->dir, sizeof(f->dir), "%s/berth", f->root);
    assert_int_equal(mkdir(f->dir, 0755), 0);
    snprintf(f->dir, sizeof(f->dir), "%s/berth/x", f->root);
    assert_int_equal(mkdir(f->dir, 0755), 0);
    if (v2) {
        /* ancestors with every controller on already: enabling them writes nothing */
        char d[160];
        for (int i = 0; i < 2; i++) {
            snprintf(d, sizeof(d), "%s%s", f->root, i ? "/berth" : "");
            assert_int_equal(cg_write_raw_new(d, "cgroup.controllers", "memory pids"), 0);
            assert_int_equal(cg_write_raw_new(d, "cgroup.subtree_control", "memory pids"), 0);
        }
    }
    for (; *files; files++) {
        char p[256];
        snprintf(p, sizeof(p), "%s/%s", f->dir, *files);
        int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        close(fd);
    }
    f->h = (struct cg_hier){.mount = f->root, .v2 = v2, .ctrl = v2 ? 0 : ~0u};
    memset(&f->l, 0, sizeof(f->l));
    f->l.mode = v2 ? CG_MODE_UNIFIED : CG_MODE_LEGACY;
    f->l.hier = &f->h;
    f->l.n_hier = 1;
    f->l.unified = v2 ? 0 : -1;
    for (int c = 0; c < CG__MAX; c++)
        f->l.v1[c] = v2 ? -1 : 0;
}

static char *fake_read(struct fake *f, const char *file)
{
    char *s = NULL;
    if (cg_read(f->dir, file, &s) < 0)
        return NULL;
    return s;
}

static void expect_file(struct fake *f, const char *file, const char *want)
{
    char *s = fake_read(f, file);
    assert_non_null(s);
    assert_string_equal(s, want);
    free(s);
}

static void fake_put(struct fake *f, const char *file, const char *v)
{
    assert_int_equal(cg_write_raw(f->dir, file, v), 0);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void fake_done(struct fake *f)
{
    assert_int_equal(nftw(f->root, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}

static void test_v2_writers(void **state)
{
    (void)state;
    static const char *const files[] = {
        "memory.max", "memory.swap.max", "memory.low",  "cpu.weight",      "cpu.max", "pids.max",
        "io.weight",  "io.max",          "cpuset.cpus", "hugetlb.2MB.max", NULL};
    struct fake f;
    fake_init(&f, true, files);
    struct spec_throttle_device td = {.major = 8, .minor = 0, .rate = 1048576};
    struct spec_hugepage_limit hp = {.page_size = "2MB", .limit = 4194304};
    struct spec_resources r = {0};
    r.memory.limit = (opt_i64){true, 100 << 20};
    r.memory.swap = (opt_i64){true, 150 << 20};
    r.memory.reservation = (opt_i64){true, 10 << 20};
    r.cpu.shares = (opt_u64){true, 1024};
    r.cpu.quota = (opt_i64){true, 50000};
    r.cpu.period = (opt_u64){true, 100000};
    r.cpu.cpus = "0-1";
    r.pids.limit = (opt_i64){true, 0};
    r.blkio.weight = (opt_u64){true, 500};
    r.blkio.throttle[0] = &td;
    r.blkio.n_throttle[0] = 1;
    r.hugepage_limits = &hp;
    r.n_hugepage_limits = 1;
    struct cg_undo undo = {0};
    struct cg_ctx c = {.l = &f.l, .path = "/berth/x", .undo = &undo};
    unsigned mask = CG_BIT(CG_MEMORY) | CG_BIT(CG_CPU) | CG_BIT(CG_CPUSET) | CG_BIT(CG_PIDS) |
                    CG_BIT(CG_BLKIO) | CG_BIT(CG_HUGETLB);
    struct berr *err = NULL;
    assert_int_equal(cg_v2_apply(&c, &r, mask, false, &err), 0);
    assert_null(err);
    expect_file(&f, "memory.max", "104857600");
    expect_file(&f, "memory.swap.max", "52428800"); /* v1's memory+swap minus memory */
    expect_file(&f, "memory.low", "10485760");
    expect_file(&f, "cpu.weight", "39");
    expect_file(&f, "cpu.max", "50000 100000");
    expect_file(&f, "pids.max", "max");
    expect_file(&f, "io.weight", "default 4950");
    expect_file(&f, "io.max", "8:0 rbps=1048576");
    expect_file(&f, "cpuset.cpus", "0-1");
    expect_file(&f, "hugetlb.2MB.max", "4194304");
    cg_undo_done(&undo);
    fake_done(&f);
}

static void test_v2_refusals(void **state)
{
    (void)state;
    static const char *const files[] = {"memory.max", "memory.swap.max", "pids.max", NULL};
    struct fake f;
    fake_init(&f, true, files);
    struct cg_ctx c = {.l = &f.l, .path = "/berth/x", .undo = NULL};
    struct berr *err = NULL;

    /* kernel memory limits are ignored (with a warning, by the caller), not refused */
    struct spec_resources r = {0};
    r.memory.kernel = (opt_i64){true, 1 << 20};
    r.memory.kernel_tcp = (opt_i64){true, 1 << 20};
    assert_int_equal(cg_v2_apply(&c, &r, CG_BIT(CG_MEMORY), false, &err), 0);
    assert_null(err);

    r = (struct spec_resources){0};
    r.memory.swap = (opt_i64){true, 1 << 20};
    assert_true(cg_v2_apply(&c, &r, CG_BIT(CG_MEMORY), false, &err) < 0);
    assert_int_equal(err->kind, BERR_INVALID);
    berr_free(err), err = NULL;

    r = (struct spec_resources){0};
    r.memory.limit = (opt_i64){true, 2 << 20};
    r.memory.swap = (opt_i64){true, 1 << 20}; /* below the limit */
    assert_true(cg_v2_apply(&c, &r, CG_BIT(CG_MEMORY), false, &err) < 0);
    assert_int_equal(err->kind, BERR_INVALID);
    berr_free(err), err = NULL;

    /* a file the host lacks names the field and the file */
    r = (struct spec_resources){0};
    r.blkio.weight = (opt_u64){true, 100};
    assert_true(cg_v2_apply(&c, &r, CG_BIT(CG_BLKIO), false, &err) < 0);
    assert_int_equal(err->kind, BERR_UNSUPPORTED);
    assert_string_equal(err->msg, "linux.resources.blockIO.weight: io weight not supported (no "
                                  "io.weight file)");
    berr_free(err), err = NULL;

    /* unified keys: only plain file names */
    struct spec_kv kv = {.key = "../x.max", .value = "1"};
    r = (struct spec_resources){0};
    r.unified = &kv;
    r.n_unified = 1;
    assert_true(cg_v2_apply_unified(&c, &r, &err) < 0);
    assert_int_equal(err->kind, BERR_INVALID);
    berr_free(err), err = NULL;
    kv.key = "pids.max";
    kv.value = "7";
    assert_int_equal(cg_v2_apply_unified(&c, &r, &err), 0);
    expect_file(&f, "pids.max", "7");
    fake_done(&f);
}

static void test_undo_restores(void **state)
{
    (void)state;
    /* no io.weight: the io step fails after pids.max was written */
    static const char *const files[] = {"pids.max", "memory.max", NULL};
    struct fake f;
    fake_init(&f, true, files);
    fake_put(&f, "pids.max", "100");
    fake_put(&f, "memory.max", "max");
    struct cg_undo undo = {0};
    struct cg_ctx c = {.l = &f.l, .path = "/berth/x", .undo = &undo};
    struct spec_resources r = {0};
    r.pids.limit = (opt_i64){true, 5};
    r.memory.limit = (opt_i64){true, 123};
    r.blkio.weight = (opt_u64){true, 100};
    struct berr *err = NULL;
    assert_true(cg_v2_apply(&c, &r, CG_BIT(CG_PIDS) | CG_BIT(CG_MEMORY) | CG_BIT(CG_BLKIO), false,
                            &err) < 0);
    berr_free(err);
    assert_int_equal(undo.n, 2);
    cg_undo_run(&undo);
    assert_int_equal(undo.n, 0);
    char *p = fake_read(&f, "pids.max"), *m = fake_read(&f, "memory.max");
    assert_string_equal(p, "100");
    assert_string_equal(m, "max");
    free(p);
    free(m);
    fake_done(&f);
}

static void test_v1_writers(void **state)
{
    (void)state;
    static const char *const files[] = {"memory.limit_in_bytes",
                                        "memory.memsw.limit_in_bytes",
                                        "cpu.shares",
                                        "cpu.cfs_period_us",
                                        "cpu.cfs_quota_us",
                                        "pids.max",
                                        "devices.allow",
                                        "devices.deny",
                                        "blkio.weight",
                                        "blkio.throttle.write_iops_device",
                                        NULL};
    struct fake f;
    fake_init(&f, false, files);
    struct spec_device_rule devs[] = {
        {.allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm"},
        {.allow = true, .type = 'c', .major = 1, .minor = -1, .access = "rw"},
    };
    struct spec_throttle_device td = {.major = 253, .minor = 1, .rate = 300};
    struct spec_resources r = {0};
    r.memory.limit = (opt_i64){true, 100 << 20};
    r.memory.swap = (opt_i64){true, -1};
    r.cpu.shares = (opt_u64){true, 1024};
    r.cpu.quota = (opt_i64){true, -5};
    r.pids.limit = (opt_i64){true, 64};
    r.blkio.weight = (opt_u64){true, 300};
    r.blkio.throttle[3] = &td;
    r.blkio.n_throttle[3] = 1;
    r.devices = devs;
    r.n_devices = 2;
    struct cg_ctx c = {.l = &f.l, .path = "/berth/x", .undo = NULL};
    struct berr *err = NULL;
    unsigned mask = CG_BIT(CG_MEMORY) | CG_BIT(CG_CPU) | CG_BIT(CG_PIDS) | CG_BIT(CG_BLKIO) |
                    CG_BIT(CG_DEVICES);
    assert_int_equal(cg_v1_apply(&c, &r, mask, &err), 0);
    assert_null(err);
    expect_file(&f, "memory.limit_in_bytes", "104857600");
    expect_file(&f, "memory.memsw.limit_in_bytes", "-1");
    expect_file(&f, "cpu.shares", "1024");
    expect_file(&f, "cpu.cfs_quota_us", "-1");
    expect_file(&f, "pids.max", "64");
    expect_file(&f, "blkio.weight", "300");
    expect_file(&f, "blkio.throttle.write_iops_device", "253:1 300");
    expect_file(&f, "devices.deny", "a");
    expect_file(&f, "devices.allow", "c 1:* rw");

    /* kernel memory limits are ignored, kmem file or not; so is kernelTCP without its
     * file: nothing is written */
    r = (struct spec_resources){0};
    r.memory.kernel = (opt_i64){true, 1 << 20};
    r.memory.kernel_tcp = (opt_i64){true, 1 << 20};
    assert_int_equal(cg_v1_apply(&c, &r, CG_BIT(CG_MEMORY), &err), 0);
    assert_null(err);
    fake_done(&f);
}

/* v1's kernel TCP buffer limit still holds on Linux 6: where the file is, it is written; the
 * kernel memory limit (memory.kmem.limit_in_bytes, ignored by Linux since 5.16) never is */
static void test_v1_kernel_tcp(void **state)
{
    (void)state;
    static const char *const files[] = {"memory.kmem.limit_in_bytes",
                                        "memory.kmem.tcp.limit_in_bytes", NULL};
    struct fake f;
    fake_init(&f, false, files);
    struct cg_ctx c = {.l = &f.l, .path = "/berth/x", .undo = NULL};
    struct berr *err = NULL;
    struct spec_resources r = {0};
    r.memory.kernel = (opt_i64){true, 2 << 20};
    r.memory.kernel_tcp = (opt_i64){true, 1 << 20};
    assert_int_equal(cg_v1_apply(&c, &r, CG_BIT(CG_MEMORY), &err), 0);
    assert_null(err);
    expect_file(&f, "memory.kmem.tcp.limit_in_bytes", "1048576");
    expect_file(&f, "memory.kmem.limit_in_bytes", "");
    fake_done(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve_path),
        cmocka_unit_test(test_resolve_path_systemd),
        cmocka_unit_test(test_check_path),
        cmocka_unit_test(test_shares_to_weight),
        cmocka_unit_test(test_blkio_weight_to_io),
        cmocka_unit_test(test_parse_u64),
        cmocka_unit_test(test_keyed_u64),
        cmocka_unit_test(test_v2_controllers),
        cmocka_unit_test(test_mountinfo_hybrid),
        cmocka_unit_test(test_mountinfo_legacy_comounted),
        cmocka_unit_test(test_mountinfo_unified),
        cmocka_unit_test(test_mountinfo_none),
        cmocka_unit_test(test_v1_device_line),
        cmocka_unit_test(test_bpf_shape),
        cmocka_unit_test(test_bpf_semantics),
        cmocka_unit_test(test_bpf_default_allow),
        cmocka_unit_test(test_v2_writers),
        cmocka_unit_test(test_v2_refusals),
        cmocka_unit_test(test_undo_restores),
        cmocka_unit_test(test_v1_writers),
        cmocka_unit_test(test_v1_kernel_tcp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

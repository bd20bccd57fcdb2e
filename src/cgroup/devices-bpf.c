/* devices-bpf.c - device access rules on cgroup v2: an eBPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE, assembled here, loaded with bpf(2) and attached to the cgroup */
#include "cgroup/cgroup-internal.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "base/cleanup.h"

/*
 * cgroup v2 has no devices controller: the kernel runs the programs attached to the cgroup on
 * every open/mknod of a device node and allows it only if all of them return 1. This is what
 * keeps a container from opening host disks or /dev/mem through a device node it creates.
 *
 * The program sees struct bpf_cgroup_dev_ctx in r1:
 *   u32 access_type   low 16 bits: BPF_DEVCG_DEV_BLOCK/CHAR, high 16: BPF_DEVCG_ACC_* bits
 *   u32 major, minor
 * It loads them into r2 (type), r3 (access), r4 (major), r5 (minor), then tests the rules
 * one block each, last rule first so that the last matching rule decides, as when the same
 * rules are written in order to a v1 devices cgroup; r1 is scratch after the prologue.
 */

#define INSN(c, d, s, o, i)                                                                        \
    ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define ALU_K(op, d, i) INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define MOV_X(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define JMP_K(op, d, i, o) INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define JMP_X(op, d, s, o) INSN(BPF_JMP | (op) | BPF_X, d, s, o, 0)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static unsigned access_bits(const char *a)
{
    unsigned bits = 0;
    if (!a || !*a)
        a = "rwm";
    for (; *a; a++) {
        if (*a == 'r')
            bits |= BPF_DEVCG_ACC_READ;
        else if (*a == 'w')
            bits |= BPF_DEVCG_ACC_WRITE;
        else if (*a == 'm')
            bits |= BPF_DEVCG_ACC_MKNOD;
    }
    return bits;
}

#define ACC_ALL (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

int cg_devices_bpf_build(const struct spec_device_rule *rules, size_t n, struct bpf_insn **ret,
                         size_t *ret_n, struct berr **err)
{
    /* The last "a" rule sets the default and drops everything before it (v1 semantics);
     * without one the default is to allow, like a new v1 devices cgroup. */
    bool dflt = true;
    size_t first = 0;
    for (size_t i = 0; i < n; i++) {
        if (rules[i].type == 'a') {
            dflt = rules[i].allow;
            first = i + 1;
        } else if (rules[i].type != 'c' && rules[i].type != 'b') {
            return berr_set(err, BERR_INVALID, EINVAL, "device rule %zu: invalid type '%c'", i,
                            rules[i].type ? rules[i].type : '?');
        }
        if (rules[i].major > INT32_MAX || rules[i].minor > INT32_MAX)
            return berr_set(err, BERR_INVALID, EINVAL, "device rule %zu: invalid device number", i);
    }

    /* prologue 6, per rule at most 8, epilogue 2 */
    size_t cap = 6 + 8 * (n - first) + 2, k = 0;
    _cleanup_free_ struct bpf_insn *p = calloc(cap, sizeof(*p));
    if (!p)
        return berr_sys(err, ENOMEM, "build device program");
    p[k++] = LDX_W(BPF_REG_2, BPF_REG_1, 0);
    p[k++] = ALU_K(BPF_AND, BPF_REG_2, 0xffff);
    p[k++] = LDX_W(BPF_REG_3, BPF_REG_1, 0);
    p[k++] = ALU_K(BPF_RSH, BPF_REG_3, 16);
    p[k++] = LDX_W(BPF_REG_4, BPF_REG_1, 4);
    p[k++] = LDX_W(BPF_REG_5, BPF_REG_1, 8);

    for (size_t i = n; i-- > first;) {
        const struct spec_device_rule *r = &rules[i];
        unsigned acc = access_bits(r->access);
        bool check_acc = acc != ACC_ALL;
        /* block length, so each test can jump to the next block */
        int len = 1 + (check_acc ? 3 : 0) + (r->major >= 0) + (r->minor >= 0) + 2;
        int at = 0;
#define NEXT (int16_t)(len - at - 1)
        p[k++] = JMP_K(BPF_JNE, BPF_REG_2,
                       r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, NEXT);
        at++;
        if (check_acc) {
            p[k++] = MOV_X(BPF_REG_1, BPF_REG_3);
            at++;
            p[k++] = ALU_K(BPF_AND, BPF_REG_1, (int32_t)acc);
            at++;
            /* An allow rule must cover every access asked for; a deny rule applies when it
             * covers any of them (asking "rw" of a "deny w" device is denied). */
            if (r->allow)
                p[k++] = JMP_X(BPF_JNE, BPF_REG_1, BPF_REG_3, NEXT);
            else
                p[k++] = JMP_K(BPF_JEQ, BPF_REG_1, 0, NEXT);
            at++;
        }
        if (r->major >= 0) {
            p[k++] = JMP_K(BPF_JNE, BPF_REG_4, (int32_t)r->major, NEXT);
            at++;
        }
        if (r->minor >= 0) {
            p[k++] = JMP_K(BPF_JNE, BPF_REG_5, (int32_t)r->minor, NEXT);
            at++;
        }
#undef NEXT
        p[k++] = ALU_K(BPF_MOV, BPF_REG_0, r->allow ? 1 : 0);
        p[k++] = EXIT();
    }
    p[k++] = ALU_K(BPF_MOV, BPF_REG_0, dflt ? 1 : 0);
    p[k++] = EXIT();
    *ret = TAKE_PTR(p);
    *ret_n = k;
    return 0;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
    long r = syscall(SYS_bpf, cmd, attr, sizeof(*attr));
    return r < 0 ? -errno : (int)r;
}

static int prog_load(const struct bpf_insn *insns, size_t n, struct berr **err)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uint64_t)(uintptr_t)insns;
    attr.insn_cnt = (uint32_t)n;
    attr.license = (uint64_t)(uintptr_t) "GPL";
    /* bpf(2) returns its fds with O_CLOEXEC already */
    int fd = sys_bpf(BPF_PROG_LOAD, &attr);
    if (fd >= 0)
        return fd;
    int e = -fd;
    if (e == EPERM)
        return berr_set(err, BERR_UNSUPPORTED, e,
                        "load device program: %s (needs CAP_BPF and CAP_SYS_ADMIN)", strerror(e));
    /* again with the verifier's log, which says what it did not like */
    char log[4096] = "";
    attr.log_buf = (uint64_t)(uintptr_t)log;
    attr.log_size = sizeof(log);
    attr.log_level = 1;
    fd = sys_bpf(BPF_PROG_LOAD, &attr);
    if (fd >= 0)
        return fd;
    log[strcspn(log, "\n")] = '\0';
    return berr_set(err, BERR_INTERNAL, e, "load device program: %s%s%s", strerror(e),
                    *log ? ": " : "", log);
}

/* ids of the device programs attached directly to the cgroup */
static int query(int cgfd, uint32_t *ids, uint32_t cap)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.query.target_fd = (uint32_t)cgfd;
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
    attr.query.prog_cnt = cap;
    int r = sys_bpf(BPF_PROG_QUERY, &attr);
    if (r < 0)
        return r;
    return (int)attr.query.prog_cnt;
}

static int attach(int cgfd, int progfd)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t)cgfd;
    attr.attach_bpf_fd = (uint32_t)progfd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    /* MULTI: a sub-cgroup made inside the container may add its own, never loosen ours */
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    return sys_bpf(BPF_PROG_ATTACH, &attr);
}

static int detach(int cgfd, int progfd)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t)cgfd;
    attr.attach_bpf_fd = (uint32_t)progfd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    return sys_bpf(BPF_PROG_DETACH, &attr);
}

static int fd_by_id(uint32_t id)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_id = id;
    return sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
}

int cg_devices_bpf_count(const char *dir)
{
    _cleanup_close_ int cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgfd < 0)
        return -errno;
    uint32_t ids[64];
    return query(cgfd, ids, ARRAY_SIZE(ids));
}

int cg_devices_bpf_apply(const char *dir, const struct spec_device_rule *rules, size_t n,
                         struct berr **err)
{
    _cleanup_free_ struct bpf_insn *insns = NULL;
    size_t n_insns = 0;
    int r = cg_devices_bpf_build(rules, n, &insns, &n_insns, err);
    if (r < 0)
        return r;
    _cleanup_close_ int cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgfd < 0)
        return berr_sys(err, errno, "open cgroup %s", dir);

    /* what is there now, to replace after the new program is in */
    uint32_t old_ids[64];
    int n_old = query(cgfd, old_ids, ARRAY_SIZE(old_ids));
    if (n_old < 0)
        return berr_sys(err, -n_old, "query device programs of %s", dir);

    _cleanup_close_ int progfd = prog_load(insns, n_insns, err);
    if (progfd < 0)
        return progfd;
    r = attach(cgfd, progfd);
    if (r < 0)
        return berr_sys(err, -r, "attach device program to %s", dir);

    /* Attach first, detach after: while both are attached both must allow, so the
     * container never runs with no device rules at all during an update. */
    int old_fds[64];
    int n_detached = 0;
    for (int i = 0; i < n_old; i++) {
        int fd = fd_by_id(old_ids[i]);
        if (fd == -ENOENT)
            continue; /* gone meanwhile */
        if (fd >= 0) {
            r = detach(cgfd, fd);
            if (r == -ENOENT) {
                close(fd);
                continue;
            }
        } else {
            r = fd;
        }
        if (r < 0) {
            if (fd >= 0)
                close(fd);
            /* undo: back to exactly the old programs */
            for (int k = 0; k < n_detached; k++) {
                (void)attach(cgfd, old_fds[k]);
                close(old_fds[k]);
            }
            (void)detach(cgfd, progfd);
            return berr_sys(err, -r, "replace device program of %s", dir);
        }
        old_fds[n_detached++] = fd;
    }
    for (int k = 0; k < n_detached; k++)
        close(old_fds[k]);
    return 0;
}

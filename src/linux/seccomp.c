/* seccomp.c - runtime-spec linux.seccomp -> libseccomp filter: check, build, load */
#include "linux/seccomp.h"
#include <errno.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "base/cleanup.h"

/* libseccomp 2.6 added the filter attribute for SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV */
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
#define HAVE_SCMP_WAITKILL 1
#endif

/* Actions. ERRNO and TRACE carry a 16-bit value (errnoRet), filled in by make_action. */
enum act_kind { ACT_PLAIN, ACT_WITH_VALUE, ACT_NOTIFY };
static const struct {
    const char *name;
    uint32_t base;
    enum act_kind kind;
} actions[] = {
    /* libseccomp's SCMP_ACT_KILL is SECCOMP_RET_KILL_THREAD, as the kernel's old RET_KILL */
    {"SCMP_ACT_KILL", SCMP_ACT_KILL, ACT_PLAIN},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, ACT_PLAIN},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, ACT_PLAIN},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, ACT_PLAIN},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), ACT_WITH_VALUE},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), ACT_WITH_VALUE},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, ACT_PLAIN},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, ACT_PLAIN},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, ACT_NOTIFY},
};

static const struct {
    const char *name;
    enum scmp_compare op;
} operators[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

static const struct {
    const char *name;
    uint32_t token;
} archs[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
#ifdef SCMP_ARCH_LOONGARCH64
    {"SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64},
#endif
#ifdef SCMP_ARCH_M68K
    {"SCMP_ARCH_M68K", SCMP_ARCH_M68K},
#endif
#ifdef SCMP_ARCH_SH
    {"SCMP_ARCH_SH", SCMP_ARCH_SH},
    {"SCMP_ARCH_SHEB", SCMP_ARCH_SHEB},
#endif
};

/* Flags map to filter attributes; `api` is the seccomp_api_get() level libseccomp needs
 * to know the kernel can do it. */
static const struct {
    const char *name;
    enum scmp_filter_attr attr;
    unsigned api;
} flags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC, 2},
    {"SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG, 3},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB, 4},
#ifdef HAVE_SCMP_WAITKILL
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SCMP_FLTATR_CTL_WAITKILL, 7},
#endif
};

/* Flags the runtime-spec knows but this build cannot honour: refused by name, not as unknown */
static const char *const flags_unsupported[] = {
#ifndef HAVE_SCMP_WAITKILL
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
#endif
    NULL,
};

const char *const seccomp_supported_actions[] = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          NULL,
};
const char *const seccomp_supported_operators[] = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL,
};
const char *const seccomp_supported_archs[] = {
    "SCMP_ARCH_X86",
    "SCMP_ARCH_X86_64",
    "SCMP_ARCH_X32",
    "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_MIPS",
    "SCMP_ARCH_MIPS64",
    "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",
    "SCMP_ARCH_MIPSEL64",
    "SCMP_ARCH_MIPSEL64N32",
    "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",
    "SCMP_ARCH_PPC64LE",
    "SCMP_ARCH_S390",
    "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",
    "SCMP_ARCH_PARISC64",
    "SCMP_ARCH_RISCV64",
#ifdef SCMP_ARCH_LOONGARCH64
    "SCMP_ARCH_LOONGARCH64",
#endif
#ifdef SCMP_ARCH_M68K
    "SCMP_ARCH_M68K",
#endif
#ifdef SCMP_ARCH_SH
    "SCMP_ARCH_SH",
    "SCMP_ARCH_SHEB",
#endif
    NULL,
};
const char *const seccomp_supported_flags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
#ifdef HAVE_SCMP_WAITKILL
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
#endif
    NULL,
};

static inline void ctx_releasep(scmp_filter_ctx *c)
{
    if (*c)
        seccomp_release(*c);
}

/* Turns an action name and its optional errnoRet into a libseccomp action. `field` names
 * the action in messages, `ret_field` the errnoRet. ERRNO without a value returns EPERM, as
 * in runc and crun; TRACE without one passes EPERM to the tracer, as runc does. */
static int make_action(const char *name, const opt_u64 *errno_ret, const char *field,
                       const char *ret_field, uint32_t *ret_action, struct berr **err)
{
    if (!name)
        return berr_set(err, BERR_INVALID, EINVAL, "%s: missing action", field);
    for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
        if (strcmp(name, actions[i].name) != 0)
            continue;
        switch (actions[i].kind) {
        case ACT_NOTIFY:
            return berr_set(err, BERR_UNSUPPORTED, EOPNOTSUPP,
                            "%s: seccomp notify is not supported", field);
        case ACT_WITH_VALUE: {
            uint64_t v = EPERM;
            if (errno_ret && errno_ret->set) {
                /* the kernel has 16 bits for it (and clamps errnos to 4095) */
                if (errno_ret->v > 0xffff)
                    return berr_set(err, BERR_INVALID, EINVAL, "%s: %llu is out of range (0-65535)",
                                    ret_field, (unsigned long long)errno_ret->v);
                v = errno_ret->v;
            }
            *ret_action = actions[i].base | (uint32_t)v;
            return 0;
        }
        case ACT_PLAIN:
            /* errnoRet only applies to ERRNO and TRACE; elsewhere it means nothing and
             * runc ignores it, so profiles that carry it stray still load */
            *ret_action = actions[i].base;
            return 0;
        }
    }
    return berr_set(err, BERR_INVALID, EINVAL, "%s: unknown action \"%s\"", field, name);
}

static int find_operator(const char *name, const char *field, enum scmp_compare *ret_op,
                         struct berr **err)
{
    if (!name)
        return berr_set(err, BERR_INVALID, EINVAL, "%s: missing operator", field);
    for (size_t i = 0; i < ARRAY_SIZE(operators); i++)
        if (strcmp(name, operators[i].name) == 0) {
            *ret_op = operators[i].op;
            return 0;
        }
    return berr_set(err, BERR_INVALID, EINVAL, "%s: unknown operator \"%s\"", field, name);
}

static int add_archs(scmp_filter_ctx ctx, char **names, struct berr **err)
{
    for (size_t i = 0; names && names[i]; i++) {
        size_t j;
        for (j = 0; j < ARRAY_SIZE(archs); j++)
            if (strcmp(names[i], archs[j].name) == 0)
                break;
        if (j == ARRAY_SIZE(archs))
            return berr_set(err, BERR_INVALID, EINVAL,
                            "linux.seccomp.architectures[%zu]: unknown architecture \"%s\"", i,
                            names[i]);
        int r = seccomp_arch_add(ctx, archs[j].token);
        if (r == -EEXIST) /* the native one is in already */
            continue;
        if (r == -EDOM)
            return berr_set(err, BERR_UNSUPPORTED, EDOM,
                            "linux.seccomp.architectures[%zu]: \"%s\" has another byte order "
                            "than this host's, and one filter cannot hold both",
                            i, names[i]);
        if (r < 0)
            return berr_sys(err, -r, "linux.seccomp.architectures[%zu]: add \"%s\"", i, names[i]);
    }
    return 0;
}

static int set_flags(scmp_filter_ctx ctx, char **names, struct berr **err)
{
    for (size_t i = 0; names && names[i]; i++) {
        size_t j;
        for (j = 0; flags_unsupported[j]; j++)
            if (strcmp(names[i], flags_unsupported[j]) == 0)
                return berr_set(err, BERR_UNSUPPORTED, EOPNOTSUPP,
                                "linux.seccomp.flags[%zu]: %s is not supported by this "
                                "build of libseccomp",
                                i, names[i]);
        for (j = 0; j < ARRAY_SIZE(flags); j++)
            if (strcmp(names[i], flags[j].name) == 0)
                break;
        if (j == ARRAY_SIZE(flags))
            return berr_set(err, BERR_INVALID, EINVAL,
                            "linux.seccomp.flags[%zu]: unknown flag \"%s\"", i, names[i]);
        if (seccomp_api_get() < flags[j].api)
            return berr_set(err, BERR_UNSUPPORTED, EOPNOTSUPP,
                            "linux.seccomp.flags[%zu]: %s is not supported by this kernel", i,
                            names[i]);
        int r = seccomp_attr_set(ctx, flags[j].attr, 1);
        if (r < 0)
            return berr_set(err, BERR_UNSUPPORTED, -r, "linux.seccomp.flags[%zu]: %s: %s", i,
                            names[i], strerror(-r));
    }
    return 0;
}

/* Adds one entry of linux.seccomp.syscalls for each of its names. */
static int add_syscall_rule(scmp_filter_ctx ctx, const struct spec_seccomp_syscall *s, size_t idx,
                            uint32_t default_action, struct berr **err)
{
    char field[96], ret_field[96];
    snprintf(field, sizeof(field), "linux.seccomp.syscalls[%zu].action", idx);
    snprintf(ret_field, sizeof(ret_field), "linux.seccomp.syscalls[%zu].errnoRet", idx);
    uint32_t action;
    int r = make_action(s->action, &s->errno_ret, field, ret_field, &action, err);
    if (r < 0)
        return r;

    if (s->n_args > 6)
        return berr_set(err, BERR_INVALID, EINVAL,
                        "linux.seccomp.syscalls[%zu].args: %zu conditions, at most 6", idx,
                        s->n_args);
    struct scmp_arg_cmp conds[6];
    unsigned per_index[6] = {0};
    bool same_index = false;
    for (size_t i = 0; i < s->n_args; i++) {
        const struct spec_seccomp_arg *a = &s->args[i];
        snprintf(field, sizeof(field), "linux.seccomp.syscalls[%zu].args[%zu].op", idx, i);
        enum scmp_compare op = SCMP_CMP_EQ;
        r = find_operator(a->op, field, &op, err);
        if (r < 0)
            return r;
        if (a->index >= 6)
            return berr_set(err, BERR_INVALID, EINVAL,
                            "linux.seccomp.syscalls[%zu].args[%zu].index: %u is out of range (0-5)",
                            idx, i, a->index);
        if (++per_index[a->index] > 1)
            same_index = true;
        /* for MASKED_EQ, value is the mask and valueTwo what the masked argument must equal,
         * which is libseccomp's datum_a and datum_b */
        conds[i] = (struct scmp_arg_cmp){
            .arg = a->index, .op = op, .datum_a = a->value, .datum_b = a->value_two};
    }

    /* libseccomp refuses a rule whose action is the default one, and it would change nothing */
    if (action == default_action)
        return 0;

    for (size_t n = 0; s->names && s->names[n]; n++) {
        int nr = seccomp_syscall_resolve_name(s->names[n]);
        /* A name libseccomp does not know is skipped, as runc and crun do, so that profiles
         * written for newer kernels still work here: without a number it cannot be called. */
        if (nr == __NR_SCMP_ERROR)
            continue;
        if (!same_index) {
            r = seccomp_rule_add_array(ctx, action, nr, (unsigned)s->n_args, conds);
        } else {
            /* libseccomp cannot AND two comparisons of one argument; like runc, add one rule
             * per condition, which makes them alternatives (OR) */
            r = 0;
            for (size_t i = 0; i < s->n_args && r >= 0; i++)
                r = seccomp_rule_add_array(ctx, action, nr, 1, &conds[i]);
        }
        if (r < 0)
            return berr_set(err, -r == EINVAL ? BERR_INVALID : BERR_INTERNAL, -r,
                            "linux.seccomp.syscalls[%zu]: add rule for \"%s\": %s", idx,
                            s->names[n], strerror(-r));
    }
    return 0;
}

void *seccomp_prepare(const struct spec_seccomp *sc, struct berr **err)
{
    if (!sc) {
        berr_set(err, BERR_INVALID, EINVAL, "linux.seccomp: missing");
        return NULL;
    }
    if (sc->listener_path && sc->listener_path[0]) {
        berr_set(err, BERR_UNSUPPORTED, EOPNOTSUPP,
                 "linux.seccomp.listenerPath: seccomp notify is not supported");
        return NULL;
    }
    uint32_t default_action;
    if (make_action(sc->default_action, &sc->default_errno_ret, "linux.seccomp.defaultAction",
                    "linux.seccomp.defaultErrnoRet", &default_action, err) < 0)
        return NULL;

    _cleanup_(ctx_releasep) scmp_filter_ctx ctx = seccomp_init(default_action);
    if (!ctx) {
        /* libseccomp says no more than that: the action is one this kernel lacks (LOG,
         * KILL_PROCESS on old kernels) or memory ran out */
        berr_set(err, BERR_UNSUPPORTED, EINVAL,
                 "linux.seccomp.defaultAction: \"%s\" cannot be used on this host",
                 sc->default_action);
        return NULL;
    }
    /* The runtime sets no_new_privs itself, from process.noNewPrivileges; the filter must
     * not force it. Loading without it needs CAP_SYS_ADMIN, which the runtime has then. */
    int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    if (r < 0) {
        berr_sys(err, -r, "seccomp: clear no_new_privs attribute");
        return NULL;
    }
    /* real errnos from the kernel on load rather than libseccomp's -ECANCELED */
    (void)seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);

    if (add_archs(ctx, sc->architectures, err) < 0 || set_flags(ctx, sc->flags, err) < 0)
        return NULL;
    for (size_t i = 0; i < sc->n_syscalls; i++)
        if (add_syscall_rule(ctx, &sc->syscalls[i], i, default_action, err) < 0)
            return NULL;
    return TAKE_PTR(ctx);
}

int seccomp_load_filter(void *filter, struct berr **err)
{
    if (!filter)
        return berr_set(err, BERR_INTERNAL, EINVAL, "load seccomp filter: no filter");
    int r = seccomp_load((scmp_filter_ctx)filter);
    if (r < 0)
        return berr_sys(err, -r, "load seccomp filter");
    return 0;
}

void seccomp_filter_free(void *filter)
{
    if (filter)
        seccomp_release((scmp_filter_ctx)filter);
}

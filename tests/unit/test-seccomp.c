/* test-seccomp.c - seccomp filter building (errors, rules) and Docker's default profile */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/cleanup.h"
#include "linux/seccomp.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* ---- helpers ---- */

static char *names_none[] = {NULL};

/* A spec that allows everything, with `n` syscall rules the test fills in */
static struct spec_seccomp allow_spec(struct spec_seccomp_syscall *rules, size_t n)
{
    return (struct spec_seccomp){
        .default_action = "SCMP_ACT_ALLOW", .syscalls = rules, .n_syscalls = n};
}

/* Prepares `sc` expecting failure; checks the kind and that the message contains `want`. */
static void expect_error(const struct spec_seccomp *sc, enum berr_kind kind, const char *want)
{
    _cleanup_berr_ struct berr *err = NULL;
    void *f = seccomp_prepare(sc, &err);
    if (f)
        seccomp_filter_free(f);
    assert_null(f);
    assert_non_null(err);
    if (!strstr(err->msg, want))
        fail_msg("error \"%s\" does not contain \"%s\"", err->msg, want);
    assert_int_equal(err->kind, kind);
    assert_true(berr_code(err) < 0);
}

static void *expect_prepare(const struct spec_seccomp *sc)
{
    _cleanup_berr_ struct berr *err = NULL;
    void *f = seccomp_prepare(sc, &err);
    if (!f)
        fail_msg("seccomp_prepare: %s", err ? err->msg : "(no error)");
    assert_null(err);
    return f;
}

typedef int (*child_fn)(void *data);

/* Runs fn in a forked child after loading `filter` there; fn returns 0 or the number of the
 * check that failed, which comes back as the exit status. */
static int run_filtered(void *filter, child_fn fn, void *data)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* the filter leaves no_new_privs to the caller; set it so that this works unprivileged */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
            _exit(100);
        struct berr *err = NULL;
        if (seccomp_load_filter(filter, &err) < 0)
            _exit(101);
        _exit(fn(data));
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status))
        fail_msg("child died with signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : -1);
    return WEXITSTATUS(status);
}

/* linux.seccomp JSON -> struct spec_seccomp, for the default profile; strings are borrowed
 * from the JSON, which must outlive the struct. */
static struct spec_seccomp *profile_to_spec(json_t *j)
{
    struct spec_seccomp *sc = calloc(1, sizeof(*sc));
    assert_non_null(sc);
    sc->default_action = (char *)json_string_value(json_object_get(j, "defaultAction"));
    json_t *v = json_object_get(j, "defaultErrnoRet");
    if (v)
        sc->default_errno_ret = (opt_u64){true, (uint64_t)json_integer_value(v)};
    json_t *arches = json_object_get(j, "architectures");
    sc->architectures = calloc(json_array_size(arches) + 1, sizeof(char *));
    for (size_t i = 0; i < json_array_size(arches); i++)
        sc->architectures[i] = (char *)json_string_value(json_array_get(arches, i));
    json_t *rules = json_object_get(j, "syscalls");
    sc->n_syscalls = json_array_size(rules);
    sc->syscalls = calloc(sc->n_syscalls, sizeof(*sc->syscalls));
    for (size_t i = 0; i < sc->n_syscalls; i++) {
        json_t *r = json_array_get(rules, i);
        struct spec_seccomp_syscall *s = &sc->syscalls[i];
        json_t *names = json_object_get(r, "names");
        s->names = calloc(json_array_size(names) + 1, sizeof(char *));
        for (size_t k = 0; k < json_array_size(names); k++)
            s->names[k] = (char *)json_string_value(json_array_get(names, k));
        s->action = (char *)json_string_value(json_object_get(r, "action"));
        if ((v = json_object_get(r, "errnoRet")))
            s->errno_ret = (opt_u64){true, (uint64_t)json_integer_value(v)};
        json_t *args = json_object_get(r, "args");
        s->n_args = json_array_size(args);
        s->args = calloc(s->n_args ? s->n_args : 1, sizeof(*s->args));
        for (size_t k = 0; k < s->n_args; k++) {
            json_t *a = json_array_get(args, k);
            s->args[k].index = (unsigned)json_integer_value(json_object_get(a, "index"));
            s->args[k].value = (uint64_t)json_integer_value(json_object_get(a, "value"));
            s->args[k].value_two = (uint64_t)json_integer_value(json_object_get(a, "valueTwo"));
            s->args[k].op = (char *)json_string_value(json_object_get(a, "op"));
        }
    }
    return sc;
}

static void profile_to_spec_free(struct spec_seccomp *sc)
{
    for (size_t i = 0; i < sc->n_syscalls; i++) {
        free(sc->syscalls[i].names);
        free(sc->syscalls[i].args);
    }
    free(sc->syscalls);
    free(sc->architectures);
    free(sc);
}

/* Is `name` in some rule of the profile with this action and no args? */
static bool unconditionally(json_t *profile, const char *name, const char *action)
{
    json_t *rule;
    size_t i;
    json_array_foreach(json_object_get(profile, "syscalls"), i, rule)
    {
        if (strcmp(json_string_value(json_object_get(rule, "action")), action) != 0 ||
            json_array_size(json_object_get(rule, "args")) > 0)
            continue;
        json_t *n;
        size_t k;
        json_array_foreach(json_object_get(rule, "names"), k, n)
        {
            if (strcmp(json_string_value(n), name) == 0)
                return true;
        }
    }
    return false;
}

/* The rules (any action, any args) that name `name` */
static size_t rules_naming(json_t *profile, const char *name, json_t **ret_last)
{
    size_t count = 0;
    json_t *rule;
    size_t i;
    json_array_foreach(json_object_get(profile, "syscalls"), i, rule)
    {
        json_t *n;
        size_t k;
        json_array_foreach(json_object_get(rule, "names"), k, n)
        {
            if (strcmp(json_string_value(n), name) == 0) {
                count++;
                if (ret_last)
                    *ret_last = rule;
            }
        }
    }
    return count;
}

/* ---- errors name the field ---- */

static void test_bad_default_action(void **state)
{
    struct spec_seccomp sc = {.default_action = "SCMP_ACT_FOO"};
    expect_error(&sc, BERR_INVALID, "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\"");
    sc.default_action = NULL;
    expect_error(&sc, BERR_INVALID, "linux.seccomp.defaultAction: missing action");
}

static void test_bad_rule_action(void **state)
{
    char *names[] = {"getpid", NULL};
    struct spec_seccomp_syscall rules[4] = {
        {.names = names, .action = "SCMP_ACT_ERRNO"},
        {.names = names, .action = "SCMP_ACT_LOG"},
        {.names = names, .action = "SCMP_ACT_TRAP"},
        {.names = names, .action = "SCMP_ACT_FOO"},
    };
    struct spec_seccomp sc = allow_spec(rules, 4);
    expect_error(&sc, BERR_INVALID,
                 "linux.seccomp.syscalls[3].action: unknown action \"SCMP_ACT_FOO\"");
    /* the error is found even when the rule would be skipped as equal to the default */
    rules[3].action = "scmp_act_allow";
    expect_error(&sc, BERR_INVALID,
                 "linux.seccomp.syscalls[3].action: unknown action \"scmp_act_allow\"");
}

static void test_bad_operator_and_index(void **state)
{
    char *names[] = {"kill", NULL};
    struct spec_seccomp_arg args[2] = {
        {.index = 0, .value = 1, .op = "SCMP_CMP_EQ"},
        {.index = 1, .value = 9, .op = "SCMP_CMP_EQUAL"},
    };
    struct spec_seccomp_syscall rules[2] = {
        {.names = names, .action = "SCMP_ACT_ALLOW"},
        {.names = names, .action = "SCMP_ACT_ERRNO", .args = args, .n_args = 2},
    };
    struct spec_seccomp sc = allow_spec(rules, 2);
    sc.default_action = "SCMP_ACT_LOG";
    expect_error(&sc, BERR_INVALID,
                 "linux.seccomp.syscalls[1].args[1].op: unknown operator \"SCMP_CMP_EQUAL\"");
    args[1].op = "SCMP_CMP_GT";
    args[1].index = 6;
    expect_error(&sc, BERR_INVALID, "linux.seccomp.syscalls[1].args[1].index: 6 is out of range");
}

static void test_bad_arch(void **state)
{
    char *arches[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_VAX", NULL};
    struct spec_seccomp sc = allow_spec(NULL, 0);
    sc.default_action = "SCMP_ACT_ERRNO";
    sc.architectures = arches;
    expect_error(&sc, BERR_INVALID,
                 "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"");
}

static void test_bad_flag(void **state)
{
    char *flags[] = {"SECCOMP_FILTER_FLAG_BOGUS", NULL};
    struct spec_seccomp sc = allow_spec(NULL, 0);
    sc.default_action = "SCMP_ACT_ERRNO";
    sc.flags = flags;
    expect_error(&sc, BERR_INVALID,
                 "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_BOGUS\"");
}

static void test_wait_killable_flag(void **state)
{
    char *flags[] = {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL};
    struct spec_seccomp sc = allow_spec(NULL, 0);
    sc.default_action = "SCMP_ACT_ERRNO";
    sc.flags = flags;
    bool listed = false;
    for (const char *const *p = seccomp_supported_flags; *p; p++)
        listed |= strcmp(*p, flags[0]) == 0;
    _cleanup_berr_ struct berr *err = NULL;
    void *f = seccomp_prepare(&sc, &err);
    if (f) {
        /* only a build that advertises it may accept it */
        seccomp_filter_free(f);
        assert_true(listed);
        return;
    }
    /* a flag the runtime-spec knows but this build or kernel cannot do: refused by name */
    assert_non_null(err);
    assert_int_equal(err->kind, BERR_UNSUPPORTED);
    if (!strstr(err->msg,
                "linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not supported"))
        fail_msg("unexpected error \"%s\"", err->msg);
}

static void test_notify_refused(void **state)
{
    char *names[] = {"getpid", NULL};
    struct spec_seccomp_syscall rules[1] = {{.names = names, .action = "SCMP_ACT_NOTIFY"}};
    struct spec_seccomp sc = allow_spec(rules, 1);
    expect_error(&sc, BERR_UNSUPPORTED,
                 "linux.seccomp.syscalls[0].action: seccomp notify is not supported");
    rules[0].action = "SCMP_ACT_ERRNO";
    sc.listener_path = "/run/listener.sock";
    expect_error(&sc, BERR_UNSUPPORTED,
                 "linux.seccomp.listenerPath: seccomp notify is not supported");
}

static void test_errno_ret_range(void **state)
{
    char *names[] = {"getpid", NULL};
    struct spec_seccomp_syscall rules[2] = {
        {.names = names, .action = "SCMP_ACT_ERRNO", .errno_ret = {true, 5}},
        {.names = names, .action = "SCMP_ACT_TRACE", .errno_ret = {true, 70000}},
    };
    struct spec_seccomp sc = allow_spec(rules, 2);
    expect_error(&sc, BERR_INVALID, "linux.seccomp.syscalls[1].errnoRet: 70000 is out of range");
    sc.n_syscalls = 1;
    sc.default_action = "SCMP_ACT_ERRNO";
    sc.default_errno_ret = (opt_u64){true, 1u << 20};
    expect_error(&sc, BERR_INVALID, "linux.seccomp.defaultErrnoRet: 1048576 is out of range");
}

/* ---- valid specs prepare ---- */

static void test_valid_spec_prepares(void **state)
{
    /* an unknown name among known ones is skipped (profiles for newer kernels still work);
     * a rule equal to the default action is skipped (libseccomp would refuse it) */
    char *names[] = {"getpid", "no_such_syscall_yet", "getppid", NULL};
    char *unknown[] = {"frobnicate", NULL};
    char *same[] = {"read", NULL};
    char *arches[] = {"SCMP_ARCH_X86_64",  "SCMP_ARCH_X86", "SCMP_ARCH_X32",
                      "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", NULL};
    char *flags[] = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                     "SECCOMP_FILTER_FLAG_TSYNC", NULL};
    struct spec_seccomp_arg args[3] = {
        {.index = 0, .value = 0x7E020000, .value_two = 0, .op = "SCMP_CMP_MASKED_EQ"},
        {.index = 1, .value = 10, .op = "SCMP_CMP_LT"},
        {.index = 2, .value = 3, .op = "SCMP_CMP_GE"},
    };
    struct spec_seccomp_syscall rules[] = {
        {.names = names, .action = "SCMP_ACT_ALLOW"},
        {.names = unknown, .action = "SCMP_ACT_KILL"},
        {.names = same, .action = "SCMP_ACT_ERRNO", .errno_ret = {true, 1}},
        {.names = names_none, .action = "SCMP_ACT_TRAP"},
        {.names = (char *[]){"clone", NULL}, .action = "SCMP_ACT_ALLOW", .args = args, .n_args = 3},
        /* "socketcall" does not exist on x86_64 but on x86, and chown32 only on 32-bit */
        {.names = (char *[]){"socketcall", "chown32", NULL}, .action = "SCMP_ACT_ALLOW"},
    };
    struct spec_seccomp sc = {
        .default_action = "SCMP_ACT_ERRNO",
        .default_errno_ret = {true, 1},
        .architectures = arches,
        .syscalls = rules,
        .n_syscalls = ARRAY_SIZE(rules),
    };
    seccomp_filter_free(expect_prepare(&sc));
    /* the flags need kernel support: either they are taken or refused by name */
    sc.flags = flags;
    _cleanup_berr_ struct berr *err = NULL;
    void *f = seccomp_prepare(&sc, &err);
    if (!f) {
        assert_int_equal(err->kind, BERR_UNSUPPORTED);
        assert_non_null(strstr(err->msg, "linux.seccomp.flags["));
    }
    seccomp_filter_free(f);
    seccomp_filter_free(NULL);
}

/* Every name the `features` lists advertise is one seccomp_prepare accepts */
static void test_supported_lists(void **state)
{
    char *names[] = {"getpid", NULL};
    for (const char *const *a = seccomp_supported_actions; *a; a++) {
        /* LOG and KILL_PROCESS need kernel support libseccomp checks at seccomp_init */
        struct spec_seccomp_syscall rules[1] = {{.names = names, .action = (char *)*a}};
        struct spec_seccomp sc = allow_spec(rules, 1);
        seccomp_filter_free(expect_prepare(&sc));
    }
    for (const char *const *o = seccomp_supported_operators; *o; o++) {
        struct spec_seccomp_arg arg = {.index = 2, .value = 5, .value_two = 5, .op = (char *)*o};
        struct spec_seccomp_syscall rules[1] = {
            {.names = names, .action = "SCMP_ACT_ERRNO", .args = &arg, .n_args = 1}};
        struct spec_seccomp sc = allow_spec(rules, 1);
        seccomp_filter_free(expect_prepare(&sc));
    }
    size_t n = 0;
    for (const char *const *a = seccomp_supported_archs; *a; a++, n++) {
        /* known, but one filter cannot mix byte orders: either taken or refused as such */
        char *arches[] = {(char *)*a, NULL};
        struct spec_seccomp sc = allow_spec(NULL, 0);
        sc.default_action = "SCMP_ACT_ERRNO";
        sc.architectures = arches;
        _cleanup_berr_ struct berr *err = NULL;
        void *f = seccomp_prepare(&sc, &err);
        if (!f) {
            assert_int_equal(err->kind, BERR_UNSUPPORTED);
            if (!strstr(err->msg, "byte order"))
                fail_msg("%s: %s", *a, err->msg);
        }
        seccomp_filter_free(f);
    }
    assert_true(n >= 5);
    n = 0;
    for (const char *const *f = seccomp_supported_flags; *f; f++, n++)
        ;
    assert_true(n >= 3);
}

/* ---- filters do what they say, checked in a child ---- */

static int check_rules(void *data)
{
    int fd = *(int *)data;
    char buf[4096];
    errno = 0;
    if (syscall(SYS_getcwd, buf, sizeof(buf)) != -1 || errno != 42)
        return 1;
    /* ERRNO without errnoRet is EPERM */
    errno = 0;
    if (syscall(SYS_getppid) != -1 || errno != EPERM)
        return 2;
    /* an arg condition: kill only with SIGUSR1 is denied */
    if (kill(getpid(), 0) != 0)
        return 3;
    errno = 0;
    if (kill(getpid(), SIGUSR1) != -1 || errno != 43)
        return 4;
    /* two conditions on one argument are alternatives */
    errno = 0;
    if (kill(getpid(), SIGUSR2) != -1 || errno != 44)
        return 5;
    errno = 0;
    if (kill(getpid(), SIGURG) != -1 || errno != 44)
        return 6;
    if (kill(getpid(), SIGCHLD) != 0) /* ignored by default; allowed */
        return 7;
    /* MASKED_EQ: fchmod with the setuid bit is denied, other modes are not */
    if (fchmod(fd, 0644) != 0)
        return 8;
    errno = 0;
    if (fchmod(fd, 04755) != -1 || errno != 45)
        return 9;
    /* two conditions on different arguments are both required (AND) */
    errno = 0;
    if (syscall(SYS_lseek, fd, 7, SEEK_END) != -1 || errno != 46)
        return 10;
    if (syscall(SYS_lseek, fd, 7, SEEK_SET) != 7)
        return 11;
    if (syscall(SYS_lseek, fd, 0, SEEK_END) < 0)
        return 12;
    return 0;
}

static void test_filter_applies(void **state)
{
    char tmpl[] = "/tmp/test-seccomp-XXXXXX";
    _cleanup_close_ int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    unlink(tmpl);

    struct spec_seccomp_arg usr1 = {.index = 1, .value = SIGUSR1, .op = "SCMP_CMP_EQ"};
    struct spec_seccomp_arg usr2_or_urg[2] = {
        {.index = 1, .value = SIGUSR2, .op = "SCMP_CMP_EQ"},
        {.index = 1, .value = SIGURG, .op = "SCMP_CMP_EQ"},
    };
    struct spec_seccomp_arg setuid_bit = {
        .index = 1, .value = 04000, .value_two = 04000, .op = "SCMP_CMP_MASKED_EQ"};
    struct spec_seccomp_arg offset_and_whence[2] = {
        {.index = 1, .value = 7, .op = "SCMP_CMP_EQ"},
        {.index = 2, .value = SEEK_END, .op = "SCMP_CMP_EQ"},
    };
#define RULE(errno_, ...) .action = "SCMP_ACT_ERRNO", .errno_ret = {true, errno_}, __VA_ARGS__
    struct spec_seccomp_syscall rules[] = {
        {.names = (char *[]){"getcwd", NULL}, RULE(42)},
        /* no errnoRet: EPERM */
        {.names = (char *[]){"getppid", "not_a_syscall", NULL}, .action = "SCMP_ACT_ERRNO"},
        {.names = (char *[]){"kill", NULL}, RULE(43, .args = &usr1, .n_args = 1)},
        {.names = (char *[]){"kill", NULL}, RULE(44, .args = usr2_or_urg, .n_args = 2)},
        {.names = (char *[]){"fchmod", NULL}, RULE(45, .args = &setuid_bit, .n_args = 1)},
        {.names = (char *[]){"lseek", NULL}, RULE(46, .args = offset_and_whence, .n_args = 2)},
        /* equal to the default: skipped, not an error */
        {.names = (char *[]){"getpid", NULL}, .action = "SCMP_ACT_ALLOW"},
    };
#undef RULE
    struct spec_seccomp sc = allow_spec(rules, ARRAY_SIZE(rules));
    void *f = expect_prepare(&sc);
    int r = run_filtered(f, check_rules, &fd);
    seccomp_filter_free(f);
    if (r != 0)
        fail_msg("check %d failed in the filtered child", r);
}

static int check_default_errno(void *data)
{
    errno = 0;
    if (syscall(SYS_getcwd, NULL, 0) != -1 || errno != 77)
        return 1;
    if (getpid() <= 0)
        return 2;
    return 0;
}

static void test_default_errno_ret(void **state)
{
    /* what the process itself (and a sanitizer runtime in it) needs to report and exit */
    char *names[] = {"getpid",         "gettid", "exit_group",  "exit",
                     "write",          "mmap",   "munmap",      "mprotect",
                     "madvise",        "brk",    "sigaltstack", "rt_sigaction",
                     "rt_sigprocmask", "futex",  "sched_yield", NULL};
    struct spec_seccomp_syscall rules[1] = {{.names = names, .action = "SCMP_ACT_ALLOW"}};
    struct spec_seccomp sc = {.default_action = "SCMP_ACT_ERRNO",
                              .default_errno_ret = {true, 77},
                              .syscalls = rules,
                              .n_syscalls = 1};
    void *f = expect_prepare(&sc);
    int r = run_filtered(f, check_default_errno, NULL);
    seccomp_filter_free(f);
    if (r != 0)
        fail_msg("check %d failed in the filtered child", r);
}

/* ---- Docker's default profile ---- */

static void test_default_profile_structure(void **state)
{
    json_auto_t *p = seccomp_default_profile(0);
    assert_non_null(p);
    assert_string_equal(json_string_value(json_object_get(p, "defaultAction")), "SCMP_ACT_ERRNO");
    assert_int_equal(json_integer_value(json_object_get(p, "defaultErrnoRet")), EPERM);
#if defined(__x86_64__)
    json_t *arches = json_object_get(p, "architectures");
    assert_int_equal(json_array_size(arches), 3);
    assert_string_equal(json_string_value(json_array_get(arches, 0)), "SCMP_ARCH_X86_64");
    assert_true(unconditionally(p, "arch_prctl", "SCMP_ACT_ALLOW"));
#endif
    const char *allowed[] = {"read",   "write",        "openat", "execve", "exit_group", "futex",
                             "getcwd", "rt_sigreturn", "wait4",  "ptrace", NULL};
    for (size_t i = 0; allowed[i]; i++)
        if (!unconditionally(p, allowed[i], "SCMP_ACT_ALLOW"))
            fail_msg("%s not allowed", allowed[i]);
    /* never allowed, whatever the capabilities */
    json_auto_t *all = seccomp_default_profile(~0ULL);
    const char *denied[] = {"add_key",     "keyctl", "request_key", "kexec_load",    "swapon",
                            "userfaultfd", "uselib", "nfsservctl",  "create_module", NULL};
    for (size_t i = 0; denied[i]; i++) {
        assert_int_equal(rules_naming(p, denied[i], NULL), 0);
        assert_int_equal(rules_naming(all, denied[i], NULL), 0);
    }
    /* personality: five argument-restricted rules and no unconditional one */
    assert_int_equal(rules_naming(p, "personality", NULL), 5);
    assert_false(unconditionally(p, "personality", "SCMP_ACT_ALLOW"));
    /* socket: everything but AF_VSOCK */
    json_t *rule = NULL;
    assert_int_equal(rules_naming(p, "socket", &rule), 1);
    json_t *a = json_array_get(json_object_get(rule, "args"), 0);
    assert_string_equal(json_string_value(json_object_get(a, "op")), "SCMP_CMP_NE");
    assert_int_equal(json_integer_value(json_object_get(a, "value")), AF_VSOCK);

    /* no name twice, even when two held capabilities allow it (syslog, bpf, ptrace ...) */
    json_t *seen = json_object();
    json_t *r;
    size_t i;
    json_array_foreach(json_object_get(all, "syscalls"), i, r)
    {
        if (json_array_size(json_object_get(r, "args")) > 0)
            continue;
        json_t *n;
        size_t k;
        json_array_foreach(json_object_get(r, "names"), k, n)
        {
            if (json_object_get(seen, json_string_value(n)))
                fail_msg("%s appears twice", json_string_value(n));
            json_object_set_new(seen, json_string_value(n), json_true());
        }
    }
    json_decref(seen);
}

static void test_default_profile_caps(void **state)
{
    json_auto_t *none = seccomp_default_profile(0);
    json_auto_t *admin = seccomp_default_profile(1ULL << CAP_SYS_ADMIN);
    json_auto_t *some = seccomp_default_profile((1ULL << CAP_SYS_BOOT) | (1ULL << CAP_SYS_PTRACE) |
                                                (1ULL << CAP_SYS_CHROOT) | (1ULL << CAP_SYS_TIME) |
                                                (1ULL << CAP_SYSLOG) | (1ULL << CAP_SYS_MODULE));
    assert_non_null(none);
    assert_non_null(admin);
    assert_non_null(some);

    const char *admin_only[] = {"mount",       "umount2", "unshare",    "setns", "pivot_root",
                                "sethostname", "fsopen",  "move_mount", NULL};
    for (size_t i = 0; admin_only[i]; i++) {
        assert_int_equal(rules_naming(none, admin_only[i], NULL), 0);
        assert_int_equal(rules_naming(some, admin_only[i], NULL), 0);
        if (!unconditionally(admin, admin_only[i], "SCMP_ACT_ALLOW"))
            fail_msg("%s not allowed with CAP_SYS_ADMIN", admin_only[i]);
    }

    /* without CAP_SYS_ADMIN: clone only without namespace flags, clone3 looks absent */
    json_t *rule = NULL;
    assert_int_equal(rules_naming(none, "clone", &rule), 1);
    assert_string_equal(json_string_value(json_object_get(rule, "action")), "SCMP_ACT_ALLOW");
    json_t *a = json_array_get(json_object_get(rule, "args"), 0);
    assert_non_null(a);
    assert_string_equal(json_string_value(json_object_get(a, "op")), "SCMP_CMP_MASKED_EQ");
    assert_int_equal(json_integer_value(json_object_get(a, "value")), 0x7E020000);
    assert_int_equal(json_integer_value(json_object_get(a, "valueTwo")), 0);
    assert_int_equal(rules_naming(none, "clone3", &rule), 1);
    assert_string_equal(json_string_value(json_object_get(rule, "action")), "SCMP_ACT_ERRNO");
    assert_int_equal(json_integer_value(json_object_get(rule, "errnoRet")), ENOSYS);
    /* with it: both plainly allowed */
    assert_int_equal(rules_naming(admin, "clone", NULL), 1);
    assert_true(unconditionally(admin, "clone", "SCMP_ACT_ALLOW"));
    assert_int_equal(rules_naming(admin, "clone3", NULL), 1);
    assert_true(unconditionally(admin, "clone3", "SCMP_ACT_ALLOW"));

    struct {
        const char *name;
        bool in_some;
    } gated[] = {
        {"reboot", true},       {"chroot", true},
        {"kcmp", true},         {"pidfd_getfd", true},
        {"settimeofday", true}, {"clock_settime", true},
        {"syslog", true},       {"init_module", true},
        {"finit_module", true}, {"acct", false},
        {"iopl", false},        {"vhangup", false},
        {"mbind", false},       {"open_by_handle_at", false},
    };
    for (size_t i = 0; i < ARRAY_SIZE(gated); i++) {
        assert_int_equal(rules_naming(none, gated[i].name, NULL), 0);
        if (unconditionally(some, gated[i].name, "SCMP_ACT_ALLOW") != gated[i].in_some)
            fail_msg("%s: allowed is %d, want %d", gated[i].name, !gated[i].in_some,
                     gated[i].in_some);
    }
    /* bpf and perf_event_open come with CAP_SYS_ADMIN or their own capabilities */
    json_auto_t *bpf = seccomp_default_profile((1ULL << CAP_BPF) | (1ULL << CAP_PERFMON));
    assert_true(unconditionally(bpf, "bpf", "SCMP_ACT_ALLOW"));
    assert_true(unconditionally(bpf, "perf_event_open", "SCMP_ACT_ALLOW"));
    assert_false(unconditionally(bpf, "mount", "SCMP_ACT_ALLOW"));
    assert_true(unconditionally(admin, "bpf", "SCMP_ACT_ALLOW"));
    assert_int_equal(rules_naming(none, "bpf", NULL), 0);
}

static void test_default_profile_prepares(void **state)
{
    uint64_t sets[] = {0, 1ULL << CAP_SYS_ADMIN, ~0ULL};
    for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
        json_auto_t *p = seccomp_default_profile(sets[i]);
        assert_non_null(p);
        struct spec_seccomp *sc = profile_to_spec(p);
        seccomp_filter_free(expect_prepare(sc));
        profile_to_spec_free(sc);
    }
}

static void *thread_fn(void *arg)
{
    return arg;
}

/* Under the default profile without capabilities: ordinary work goes on, and namespaces,
 * mounts and odd personalities are refused. */
static int check_default_profile(void *data)
{
    char buf[256];
    if (!getcwd(buf, sizeof(buf)))
        return 1;
    errno = 0;
    if (mount("none", "/mnt", "tmpfs", 0, NULL) != -1 || errno != EPERM)
        return 2;
    errno = 0;
    if (unshare(CLONE_NEWNS) != -1 || errno != EPERM)
        return 3;
    errno = 0;
    if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
        return 4;
    /* fork and threads use clone without namespace flags (glibc falls back from clone3) */
    pid_t pid = fork();
    if (pid < 0)
        return 5;
    if (pid == 0)
        _exit(7);
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 7)
        return 6;
    pthread_t t;
    void *ret = NULL;
    if (pthread_create(&t, NULL, thread_fn, buf) != 0 || pthread_join(t, &ret) != 0 || ret != buf)
        return 7;
    if (personality(0xffffffff) < 0)
        return 8;
    errno = 0;
    if (personality(READ_IMPLIES_EXEC) != -1 || errno != EPERM)
        return 9;
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return 10;
    close(s);
    errno = 0;
    if (socket(AF_VSOCK, SOCK_STREAM, 0) != -1 || errno != EPERM)
        return 11;
    errno = 0;
    if (syscall(SYS_keyctl, 0, 0, 0, 0, 0) != -1 || errno != EPERM)
        return 12;
    errno = 0;
    if (syscall(SYS_reboot, 0, 0, 0, NULL) != -1 || errno != EPERM)
        return 13;
    return 0;
}

static void test_default_profile_applies(void **state)
{
    json_auto_t *p = seccomp_default_profile(0);
    struct spec_seccomp *sc = profile_to_spec(p);
    void *f = expect_prepare(sc);
    int r = run_filtered(f, check_default_profile, NULL);
    seccomp_filter_free(f);
    profile_to_spec_free(sc);
    if (r != 0)
        fail_msg("check %d failed under the default profile", r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_default_action),
        cmocka_unit_test(test_bad_rule_action),
        cmocka_unit_test(test_bad_operator_and_index),
        cmocka_unit_test(test_bad_arch),
        cmocka_unit_test(test_bad_flag),
        cmocka_unit_test(test_wait_killable_flag),
        cmocka_unit_test(test_notify_refused),
        cmocka_unit_test(test_errno_ret_range),
        cmocka_unit_test(test_valid_spec_prepares),
        cmocka_unit_test(test_supported_lists),
        cmocka_unit_test(test_filter_applies),
        cmocka_unit_test(test_default_errno_ret),
        cmocka_unit_test(test_default_profile_structure),
        cmocka_unit_test(test_default_profile_caps),
        cmocka_unit_test(test_default_profile_prepares),
        cmocka_unit_test(test_default_profile_applies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

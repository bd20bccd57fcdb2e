/* seccomp-default.c - Docker's default seccomp profile, as runtime-spec linux.seccomp JSON
 *
 * An allowlist: whatever is not named here fails with EPERM. What is left out is what lets
 * a process reach past its container: kernel keyrings, modules, clocks, kexec, swap, the
 * old syscalls nothing uses but exploits (uselib, userfaultfd, ...), and anything that
 * would let it make new namespaces or mounts while it lacks CAP_SYS_ADMIN. Groups gated on
 * a capability are added only when the container holds it, as Docker does. */
#include "linux/seccomp.h"
#include <linux/capability.h>
#include <stdbool.h>
#include <stddef.h>
#include "base/cleanup.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
 * CLONE_NEWNET: every flag of clone(2) that makes a namespace */
#define CLONE_NAMESPACE_FLAGS 0x7E020000ULL
#define AF_VSOCK_NR 40
#define ENOSYS_NR 38
#define EPERM_NR 1

/* Allowed for every container. Names a given architecture lacks are harmless: libseccomp
 * adds each rule only on the architectures that have the syscall. */
static const char *const allowed[] = {
    "accept",
    "accept4",
    "access",
    "adjtimex",
    "alarm",
    "bind",
    "brk",
    "cachestat",
    "capget",
    "capset",
    "chdir",
    "chmod",
    "chown",
    "chown32",
    "clock_adjtime",
    "clock_adjtime64",
    "clock_getres",
    "clock_getres_time64",
    "clock_gettime",
    "clock_gettime64",
    "clock_nanosleep",
    "clock_nanosleep_time64",
    "close",
    "close_range",
    "connect",
    "copy_file_range",
    "creat",
    "dup",
    "dup2",
    "dup3",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_ctl_old",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_wait",
    "epoll_wait_old",
    "eventfd",
    "eventfd2",
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "faccessat",
    "faccessat2",
    "fadvise64",
    "fadvise64_64",
    "fallocate",
    "fanotify_mark",
    "fchdir",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "fchown",
    "fchown32",
    "fchownat",
    "fcntl",
    "fcntl64",
    "fdatasync",
    "fgetxattr",
    "flistxattr",
    "flock",
    "fork",
    "fremovexattr",
    "fsetxattr",
    "fstat",
    "fstat64",
    "fstatat64",
    "fstatfs",
    "fstatfs64",
    "fsync",
    "ftruncate",
    "ftruncate64",
    "futex",
    "futex_requeue",
    "futex_time64",
    "futex_wait",
    "futex_waitv",
    "futex_wake",
    "futimesat",
    "getcpu",
    "getcwd",
    "getdents",
    "getdents64",
    "getegid",
    "getegid32",
    "geteuid",
    "geteuid32",
    "getgid",
    "getgid32",
    "getgroups",
    "getgroups32",
    "getitimer",
    "getpeername",
    "getpgid",
    "getpgrp",
    "getpid",
    "getppid",
    "getpriority",
    "getrandom",
    "getresgid",
    "getresgid32",
    "getresuid",
    "getresuid32",
    "getrlimit",
    "get_robust_list",
    "getrusage",
    "getsid",
    "getsockname",
    "getsockopt",
    "get_thread_area",
    "gettid",
    "gettimeofday",
    "getuid",
    "getuid32",
    "getxattr",
    "inotify_add_watch",
    "inotify_init",
    "inotify_init1",
    "inotify_rm_watch",
    "io_cancel",
    "ioctl",
    "io_destroy",
    "io_getevents",
    "io_pgetevents",
    "io_pgetevents_time64",
    "ioprio_get",
    "ioprio_set",
    "io_setup",
    "io_submit",
    "ipc",
    "kill",
    "landlock_add_rule",
    "landlock_create_ruleset",
    "landlock_restrict_self",
    "lchown",
    "lchown32",
    "lgetxattr",
    "link",
    "linkat",
    "listen",
    "listxattr",
    "llistxattr",
    "_llseek",
    "lremovexattr",
    "lseek",
    "lsetxattr",
    "lstat",
    "lstat64",
    "madvise",
    "map_shadow_stack",
    "membarrier",
    "memfd_create",
    "memfd_secret",
    "mincore",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "mlock",
    "mlock2",
    "mlockall",
    "mmap",
    "mmap2",
    "mprotect",
    "mq_getsetattr",
    "mq_notify",
    "mq_open",
    "mq_timedreceive",
    "mq_timedreceive_time64",
    "mq_timedsend",
    "mq_timedsend_time64",
    "mq_unlink",
    "mremap",
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "msync",
    "munlock",
    "munlockall",
    "munmap",
    "name_to_handle_at",
    "nanosleep",
    "newfstatat",
    "_newselect",
    "open",
    "openat",
    "openat2",
    "pause",
    "pidfd_open",
    "pidfd_send_signal",
    "pipe",
    "pipe2",
    "pkey_alloc",
    "pkey_free",
    "pkey_mprotect",
    "poll",
    "ppoll",
    "ppoll_time64",
    "prctl",
    "pread64",
    "preadv",
    "preadv2",
    "prlimit64",
    "process_mrelease",
    "pselect6",
    "pselect6_time64",
    "pwrite64",
    "pwritev",
    "pwritev2",
    "read",
    "readahead",
    "readlink",
    "readlinkat",
    "readv",
    "recv",
    "recvfrom",
    "recvmmsg",
    "recvmmsg_time64",
    "recvmsg",
    "remap_file_pages",
    "removexattr",
    "rename",
    "renameat",
    "renameat2",
    "restart_syscall",
    "rmdir",
    "rseq",
    "rt_sigaction",
    "rt_sigpending",
    "rt_sigprocmask",
    "rt_sigqueueinfo",
    "rt_sigreturn",
    "rt_sigsuspend",
    "rt_sigtimedwait",
    "rt_sigtimedwait_time64",
    "rt_tgsigqueueinfo",
    "sched_getaffinity",
    "sched_getattr",
    "sched_getparam",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_getscheduler",
    "sched_rr_get_interval",
    "sched_rr_get_interval_time64",
    "sched_setaffinity",
    "sched_setattr",
    "sched_setparam",
    "sched_setscheduler",
    "sched_yield",
    "seccomp",
    "select",
    "semctl",
    "semget",
    "semop",
    "semtimedop",
    "semtimedop_time64",
    "send",
    "sendfile",
    "sendfile64",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "setfsgid",
    "setfsgid32",
    "setfsuid",
    "setfsuid32",
    "setgid",
    "setgid32",
    "setgroups",
    "setgroups32",
    "setitimer",
    "setpgid",
    "setpriority",
    "setregid",
    "setregid32",
    "setresgid",
    "setresgid32",
    "setresuid",
    "setresuid32",
    "setreuid",
    "setreuid32",
    "setrlimit",
    "set_robust_list",
    "setsid",
    "setsockopt",
    "set_thread_area",
    "set_tid_address",
    "setuid",
    "setuid32",
    "setxattr",
    "shmat",
    "shmctl",
    "shmdt",
    "shmget",
    "shutdown",
    "sigaltstack",
    "signalfd",
    "signalfd4",
    "sigprocmask",
    "sigreturn",
    "socketcall",
    "socketpair",
    "splice",
    "stat",
    "stat64",
    "statfs",
    "statfs64",
    "statx",
    "symlink",
    "symlinkat",
    "sync",
    "sync_file_range",
    "syncfs",
    "sysinfo",
    "tee",
    "tgkill",
    "time",
    "timer_create",
    "timer_delete",
    "timer_getoverrun",
    "timer_gettime",
    "timer_gettime64",
    "timer_settime",
    "timer_settime64",
    "timerfd_create",
    "timerfd_gettime",
    "timerfd_gettime64",
    "timerfd_settime",
    "timerfd_settime64",
    "times",
    "tkill",
    "truncate",
    "truncate64",
    "ugetrlimit",
    "umask",
    "uname",
    "unlink",
    "unlinkat",
    "utime",
    "utimensat",
    "utimensat_time64",
    "utimes",
    "vfork",
    "vmsplice",
    "wait4",
    "waitid",
    "waitpid",
    "write",
    "writev",
    /* Docker allows these on kernels >= 4.8, where ptrace can no longer be used to get
     * around seccomp; berth needs newer kernels than that anyway */
    "process_vm_readv",
    "process_vm_writev",
    "ptrace",
    NULL,
};

/* Only on the architectures that have them (Docker's "includes": {"arches": ...}) */
static const char *const allowed_arch[] = {
#if defined(__x86_64__)
    "arch_prctl",
    "modify_ldt",
#elif defined(__i386__)
    "modify_ldt",
#elif defined(__aarch64__) || defined(__arm__)
    "arm_fadvise64_64",
    "arm_sync_file_range",
    "sync_file_range2",
    "breakpoint",
    "cacheflush",
    "set_tls",
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    "sync_file_range2",
    "swapcontext",
#elif defined(__s390__)
    "s390_pci_mmio_read",
    "s390_pci_mmio_write",
    "s390_runtime_instr",
#elif defined(__riscv)
    "riscv_flush_icache",
#endif
    NULL,
};

/* personality(2) only with the personas programs really use: PER_LINUX, PER_LINUX32,
 * UNAME26 (with and without LINUX32), and 0xffffffff, which only queries. Others, such
 * as READ_IMPLIES_EXEC or ADDR_NO_RANDOMIZE, would weaken the process's own protections. */
static const uint64_t personalities[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

/* Allowed only when the container holds the capability (Docker's "includes": {"caps": ...}) */
struct cap_group {
    int cap;
    const char *const *names;
};
static const char *const g_sys_admin[] = {
    "bpf",           "clone",       "clone3",        "fanotify_init",   "fsconfig",
    "fsmount",       "fsopen",      "fspick",        "lookup_dcookie",  "mount",
    "mount_setattr", "move_mount",  "open_tree",     "perf_event_open", "pivot_root",
    "quotactl",      "quotactl_fd", "setdomainname", "sethostname",     "setns",
    "syslog",        "umount",      "umount2",       "unshare",         NULL,
};
static const char *const g_dac_read_search[] = {"open_by_handle_at", NULL};
static const char *const g_sys_boot[] = {"reboot", NULL};
static const char *const g_sys_chroot[] = {"chroot", NULL};
static const char *const g_sys_module[] = {"delete_module", "init_module", "finit_module", NULL};
static const char *const g_sys_pacct[] = {"acct", NULL};
static const char *const g_sys_ptrace[] = {
    "kcmp",   "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev",
    "ptrace", NULL,
};
static const char *const g_sys_rawio[] = {"iopl", "ioperm", NULL};
static const char *const g_sys_time[] = {
    "settimeofday", "stime", "clock_settime", "clock_settime64", NULL,
};
static const char *const g_sys_tty_config[] = {"vhangup", NULL};
static const char *const g_sys_nice[] = {
    "get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node", NULL,
};
static const char *const g_syslog[] = {"syslog", NULL};
static const char *const g_bpf[] = {"bpf", NULL};
static const char *const g_perfmon[] = {"perf_event_open", NULL};

static const struct cap_group cap_groups[] = {
    {CAP_DAC_READ_SEARCH, g_dac_read_search},
    {CAP_SYS_ADMIN, g_sys_admin},
    {CAP_SYS_BOOT, g_sys_boot},
    {CAP_SYS_CHROOT, g_sys_chroot},
    {CAP_SYS_MODULE, g_sys_module},
    {CAP_SYS_PACCT, g_sys_pacct},
    {CAP_SYS_PTRACE, g_sys_ptrace},
    {CAP_SYS_RAWIO, g_sys_rawio},
    {CAP_SYS_TIME, g_sys_time},
    {CAP_SYS_TTY_CONFIG, g_sys_tty_config},
    {CAP_SYS_NICE, g_sys_nice},
    {CAP_SYSLOG, g_syslog},
    {CAP_BPF, g_bpf},
    {CAP_PERFMON, g_perfmon},
};

/* The architectures a container on this host may use: the native one and those the CPU
 * also runs (Docker's archMap subArchitectures). */
static const char *const architectures[] = {
#if defined(__x86_64__)
    "SCMP_ARCH_X86_64",
    "SCMP_ARCH_X86",
    "SCMP_ARCH_X32",
#elif defined(__i386__)
    "SCMP_ARCH_X86",
#elif defined(__aarch64__)
    "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_ARM",
#elif defined(__arm__)
    "SCMP_ARCH_ARM",
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    "SCMP_ARCH_PPC64LE",
#elif defined(__s390x__)
    "SCMP_ARCH_S390X",
    "SCMP_ARCH_S390",
#elif defined(__riscv) && __riscv_xlen == 64
    "SCMP_ARCH_RISCV64",
#endif
    NULL,
};

static bool has_cap(uint64_t caps, int cap)
{
    return cap >= 0 && cap < 64 && (caps >> cap) & 1;
}

/* Appends the names to `arr` that `seen` does not have yet, so that a syscall two held
 * capabilities allow appears once. */
static int append_names(json_t *arr, json_t *seen, const char *const *names)
{
    for (size_t i = 0; names[i]; i++) {
        if (json_object_get(seen, names[i]))
            continue;
        if (json_array_append_new(arr, json_string(names[i])) < 0 ||
            json_object_set_new(seen, names[i], json_true()) < 0)
            return -1;
    }
    return 0;
}

static json_t *arg(unsigned index, uint64_t value, uint64_t value_two, const char *op)
{
    json_t *a = json_pack("{s:I, s:I, s:s}", "index", (json_int_t)index, "value", (json_int_t)value,
                          "op", op);
    if (a && value_two &&
        json_object_set_new(a, "valueTwo", json_integer((json_int_t)value_two)) < 0) {
        json_decref(a);
        return NULL;
    }
    return a;
}

/* Appends {"names": [name], "action": action, "args": [a]}, taking a */
static int append_rule(json_t *syscalls, const char *name, const char *action, json_t *a)
{
    if (!a)
        return -1;
    /* "o" steals a even when packing fails */
    return json_array_append_new(
        syscalls, json_pack("{s:[s], s:s, s:[o]}", "names", name, "action", action, "args", a));
}

json_t *seccomp_default_profile(uint64_t caps)
{
    _cleanup_(json_decrefp) json_t *seen = json_object();
    _cleanup_(json_decrefp) json_t *profile =
        json_pack("{s:s, s:I, s:[], s:[]}", "defaultAction", "SCMP_ACT_ERRNO", "defaultErrnoRet",
                  (json_int_t)EPERM_NR, "architectures", "syscalls");
    if (!seen || !profile)
        return NULL;
    json_t *arches = json_object_get(profile, "architectures");
    json_t *syscalls = json_object_get(profile, "syscalls");
    for (size_t i = 0; architectures[i]; i++)
        if (json_array_append_new(arches, json_string(architectures[i])) < 0)
            return NULL;
    if (json_array_size(arches) == 0)
        json_object_del(profile, "architectures"); /* unknown host: the native one only */

    /* one rule with everything allowed unconditionally */
    json_t *names = json_array();
    if (!names || json_array_append_new(syscalls, json_pack("{s:o, s:s}", "names", names, "action",
                                                            "SCMP_ACT_ALLOW")) < 0)
        return NULL;
    if (append_names(names, seen, allowed) < 0 || append_names(names, seen, allowed_arch) < 0)
        return NULL;
    for (size_t i = 0; i < ARRAY_SIZE(cap_groups); i++)
        if (has_cap(caps, cap_groups[i].cap) && append_names(names, seen, cap_groups[i].names) < 0)
            return NULL;

    /* socket() for every address family but AF_VSOCK, which reaches the host (or other VMs)
     * past the container's network namespace */
    if (append_rule(syscalls, "socket", "SCMP_ACT_ALLOW", arg(0, AF_VSOCK_NR, 0, "SCMP_CMP_NE")) <
        0)
        return NULL;

    for (size_t i = 0; i < ARRAY_SIZE(personalities); i++)
        if (append_rule(syscalls, "personality", "SCMP_ACT_ALLOW",
                        arg(0, personalities[i], 0, "SCMP_CMP_EQ")) < 0)
            return NULL;

    if (!has_cap(caps, CAP_SYS_ADMIN)) {
        /* clone(2) to make threads and processes, but not new namespaces: the flags are
         * argument 0 (argument 1 on s390, whose clone takes the stack first) */
#if defined(__s390__)
        unsigned clone_flags_arg = 1;
#else
        unsigned clone_flags_arg = 0;
#endif
        if (append_rule(syscalls, "clone", "SCMP_ACT_ALLOW",
                        arg(clone_flags_arg, CLONE_NAMESPACE_FLAGS, 0, "SCMP_CMP_MASKED_EQ")) < 0)
            return NULL;
        /* clone3 passes its flags in memory, which seccomp cannot read: make it look
         * absent so that glibc falls back to clone, where the flags can be checked */
        json_t *rule = json_pack("{s:[s], s:s, s:I}", "names", "clone3", "action", "SCMP_ACT_ERRNO",
                                 "errnoRet", (json_int_t)ENOSYS_NR);
        if (!rule || json_array_append_new(syscalls, rule) < 0)
            return NULL;
    }
    return TAKE_PTR(profile);
}

/* init.c - the code between clone and execve.
 *
 * Each step below that changes what the process can see or do has a short note on what it
 * protects against. Errors go to the parent over the sync socket; this code never prints. */
#include "init.h"
#include "seccomp.h"
#include "lsm.h"
#include "procfs.h"
#include "execer.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "linux/hooks.h"
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/close_range.h>
#include <linux/keyctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* ---- sync protocol ---- */

int sync_send(int fd, int type, int value)
{
    struct sync_msg m = {.type = type, .value = value};
    /* only the header and a NUL text go out: a short datagram */
    ssize_t n = send(fd, &m, offsetof(struct sync_msg, text) + 1, MSG_NOSIGNAL);
    return n < 0 ? -errno : 0;
}

int sync_send_fd(int fd, int type, int passfd)
{
    struct sync_msg m = {.type = type};
    char buf[CMSG_SPACE(sizeof(int))] = {0};
    struct iovec iov = {.iov_base = &m, .iov_len = offsetof(struct sync_msg, text) + 1};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof(buf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &passfd, sizeof(int));
    return sendmsg(fd, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int sync_send_error(int fd, const struct berr *e)
{
    struct sync_msg m = {
        .type = SYNC_ERROR, .value = e ? e->errnum : EIO, .kind = e ? (int)e->kind : BERR_INTERNAL};
    snprintf(m.text, sizeof(m.text), "%s", e && e->msg ? e->msg : "unknown error");
    send(fd, &m, offsetof(struct sync_msg, text) + strlen(m.text) + 1, MSG_NOSIGNAL);
    return e ? berr_code(e) : -EIO;
}

int sync_recv(int fd, struct sync_msg *m, int *ret_fd, pid_t *ret_pid)
{
    char buf[CMSG_SPACE(sizeof(int) * FS_RECV_FDS_MAX) + CMSG_SPACE(sizeof(struct ucred))] = {0};
    struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof(buf)};
    memset(m, 0, sizeof(*m));
    if (ret_fd)
        *ret_fd = -1;
    if (ret_pid)
        *ret_pid = 0;
    ssize_t n;
    do
        n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if (n == 0)
        return -EPIPE;
    m->text[sizeof(m->text) - 1] = 0;
    /* one fd at most, and only for a caller that takes it: any other is closed */
    int pfd = -1, r = fs_recv_fds(&msg, &pfd, ret_fd ? 1 : 0);
    if (r < 0)
        return r;
    if (ret_fd)
        *ret_fd = pfd;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET)
            continue;
        if (c->cmsg_type == SCM_CREDENTIALS && ret_pid) {
            struct ucred cr;
            memcpy(&cr, CMSG_DATA(c), sizeof(cr));
            *ret_pid = cr.pid;
        }
    }
    return 0;
}

/* Sends SYNC_PID with our credentials: the kernel translates our pid into the parent's
 * pid namespace, which we cannot name from in here. */
static int send_pid(int fd)
{
    struct sync_msg m = {.type = SYNC_PID};
    struct ucred cr = {.pid = getpid(), .uid = getuid(), .gid = getgid()};
    char buf[CMSG_SPACE(sizeof(cr))] = {0};
    struct iovec iov = {.iov_base = &m, .iov_len = offsetof(struct sync_msg, text) + 1};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof(buf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof(cr));
    memcpy(CMSG_DATA(c), &cr, sizeof(cr));
    return sendmsg(fd, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int expect(int fd, int type, struct berr **err)
{
    struct sync_msg m;
    int r = sync_recv(fd, &m, NULL, NULL);
    if (r < 0)
        return berr_sys(err, -r, "wait for the runtime");
    if (m.type == SYNC_ERROR)
        return berr_set(err, m.kind, m.value ? m.value : EIO, "%s", m.text);
    if (m.type != type)
        return berr_set(err, BERR_INTERNAL, EPROTO, "sync: expected message %d, got %d", type,
                        m.type);
    return 0;
}

/* ---- process attributes ---- */

static const char *env_get(char **env, const char *key)
{
    size_t kl = strlen(key);
    for (char **e = env; e && *e; e++)
        if (strncmp(*e, key, kl) == 0 && (*e)[kl] == '=')
            return *e + kl + 1;
    return NULL;
}

/* Finds args[0] the way execvp would, with the container's PATH, in the current root.
 * Returns 0 and the path, or an error telling docker's 127/126 apart by kind. */
static int find_executable(char **args, char **env, char *out, size_t len, struct berr **err)
{
    const char *a0 = args[0];
    if (strchr(a0, '/')) {
        snprintf(out, len, "%s", a0);
        if (access(out, X_OK) == 0)
            return 0;
        int e = errno;
        if (e == ENOENT)
            return berr_set(err, BERR_CMD_NOT_FOUND, ENOENT,
                            "exec: \"%s\": no such file or directory", a0);
        return berr_set(err, BERR_CMD_NOT_RUNNABLE, e, "exec: \"%s\": %s", a0, strerror(e));
    }
    const char *path = env_get(env, "PATH");
    if (!path)
        path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    int seen_eacces = 0;
    while (*path) {
        const char *colon = strchrnul(path, ':');
        int dl = (int)(colon - path);
        snprintf(out, len, "%.*s%s%s", dl, path, dl ? "/" : "", a0);
        struct stat st;
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(out, X_OK) == 0)
                return 0;
            seen_eacces = errno;
        }
        path = *colon ? colon + 1 : colon;
    }
    if (seen_eacces)
        return berr_set(err, BERR_CMD_NOT_RUNNABLE, EACCES, "exec: \"%s\": permission denied", a0);
    return berr_set(err, BERR_CMD_NOT_FOUND, ENOENT,
                    "exec: \"%s\": executable file not found in $PATH", a0);
}

static int set_rlimits(const struct spec_process *p, struct berr **err)
{
    for (size_t i = 0; i < p->n_rlimits; i++) {
        const struct spec_rlimit *l = &p->rlimits[i];
        struct rlimit rl = {.rlim_cur = l->soft, .rlim_max = l->hard};
        if (l->soft > l->hard)
            return berr_set(err, BERR_INVALID, EINVAL,
                            "process.rlimits: %s soft limit %llu is above its hard limit %llu",
                            l->type, (unsigned long long)l->soft, (unsigned long long)l->hard);
        if (setrlimit(l->resource, &rl) < 0) {
            int e = errno;
            struct rlimit cur;
            getrlimit(l->resource, &cur);
            if (e == EPERM && l->hard > cur.rlim_max)
                return berr_set(err, BERR_INVALID, e,
                                "process.rlimits: %s hard limit %llu is above the current hard "
                                "limit %llu, and raising it needs CAP_SYS_RESOURCE",
                                l->type, (unsigned long long)l->hard,
                                (unsigned long long)cur.rlim_max);
            return berr_sys(err, e, "process.rlimits: set %s", l->type);
        }
    }
    return 0;
}

static int set_oom_score_adj(const struct spec_process *p, struct berr **err)
{
    if (!p->oom_score_adj.set)
        return 0;
    char v[32];
    snprintf(v, sizeof(v), "%lld", (long long)p->oom_score_adj.v);
    int r = procfs_write_once("self/oom_score_adj", v, strlen(v));
    if (r < 0)
        return berr_set(err, BERR_INVALID, -r, "process.oomScoreAdj: cannot set %s: %s%s", v,
                        strerror(-r), r == -EACCES ? " (lowering it needs CAP_SYS_RESOURCE)" : "");
    return 0;
}

/* The uid/gid switch keeps capabilities across setuid (KEEPCAPS) so that the spec's sets,
 * not the kernel's setuid rules, decide what the process holds. */
static int set_user(const struct spec_user *u, struct berr **err)
{
    if (setgroups(u->n_additional_gids, (gid_t *)u->additional_gids) < 0 && errno != EPERM)
        return berr_sys(err, errno, "process.user.additionalGids: setgroups");
    if (setresgid(u->gid, u->gid, u->gid) < 0)
        return berr_sys(err, errno, "process.user.gid: setgid %u", u->gid);
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return berr_sys(err, errno, "prctl keepcaps");
    if (setresuid(u->uid, u->uid, u->uid) < 0)
        return berr_sys(err, errno, "process.user.uid: setuid %u", u->uid);
    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
    if (u->umask.set)
        umask(u->umask.v & 0777);
    else
        umask(0022);
    return 0;
}

/* A network namespace of the container's own starts with its loopback down: up, as runc and
 * crun bring it (the kernel gives it 127.0.0.1 and ::1), so that a service and its client in
 * one container can talk whatever the network */
static int loopback_up(struct berr **err)
{
    _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return berr_sys(err, errno, "loopback: socket");
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        return berr_sys(err, errno, "loopback: get flags of lo");
    if (ifr.ifr_flags & IFF_UP)
        return 0;
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
        return berr_sys(err, errno, "loopback: bring lo up");
    return 0;
}

/* sysctls that belong to a namespace the container has; anything else would change the host */
static int check_sysctl(const struct spec *s, const char *key, struct berr **err)
{
    bool ipc = spec_namespace(s, CLONE_NEWIPC) && !spec_namespace(s, CLONE_NEWIPC)->path;
    bool net = spec_namespace(s, CLONE_NEWNET) != NULL;
    bool uts = spec_namespace(s, CLONE_NEWUTS) != NULL;
    static const char *ipc_keys[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                     "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                     "kernel.shmmni", "kernel.shm_rmid_forced"};
    for (size_t i = 0; i < ARRAY_SIZE(ipc_keys); i++)
        if (strcmp(key, ipc_keys[i]) == 0)
            return ipc || spec_namespace(s, CLONE_NEWIPC)
                       ? 0
                       : berr_set(err, BERR_INVALID, EINVAL,
                                  "linux.sysctl: %s needs an ipc namespace", key);
    if (strncmp(key, "fs.mqueue.", 10) == 0)
        return spec_namespace(s, CLONE_NEWIPC)
                   ? 0
                   : berr_set(err, BERR_INVALID, EINVAL, "linux.sysctl: %s needs an ipc namespace",
                              key);
    if (strncmp(key, "net.", 4) == 0)
        return net ? 0
                   : berr_set(err, BERR_INVALID, EINVAL,
                              "linux.sysctl: %s needs a network namespace", key);
    if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0)
        return uts ? 0
                   : berr_set(err, BERR_INVALID, EINVAL, "linux.sysctl: %s needs a uts namespace",
                              key);
    return berr_set(err, BERR_INVALID, EINVAL,
                    "linux.sysctl: %s is not namespaced: setting it would change the host", key);
}

/* Written through procfd (procfs.h): a /proc/sys name in the container's own /proc could be
 * redirected by a container racing with shared mounts. */
static int set_sysctls(const struct spec *s, int procfd, struct berr **err)
{
    const struct spec_linux *lx = s->linux_;
    for (size_t i = 0; lx && i < lx->n_sysctl; i++) {
        int r = check_sysctl(s, lx->sysctl[i].key, err);
        if (r < 0)
            return r;
        char path[PATH_MAX];
        int n = snprintf(path, sizeof(path), "sys/%s", lx->sysctl[i].key);
        if (n < 0 || (size_t)n >= sizeof(path))
            return berr_set(err, BERR_INVALID, ENAMETOOLONG, "linux.sysctl: %s: name too long",
                            lx->sysctl[i].key);
        for (char *p = path + 4; p < path + n; p++)
            if (*p == '.')
                *p = '/';
        const char *v = lx->sysctl[i].value;
        if (strstr(path, "..") || (r = procfs_write(procfd, path, v, strlen(v))) < 0)
            return berr_sys(err, r < 0 ? -r : EINVAL, "linux.sysctl: set %s=%s", lx->sysctl[i].key,
                            lx->sysctl[i].value);
    }
    return 0;
}

static int write_timens_offsets(const struct spec *s, struct berr **err)
{
    const struct spec_linux *lx = s->linux_;
    char buf[128];
    static const char *clock_names[2] = {"monotonic", "boottime"};
    for (int i = 0; lx && i < 2; i++) {
        if (!lx->time_offsets[i].set)
            continue;
        snprintf(buf, sizeof(buf), "%s %lld %u", clock_names[i],
                 (long long)lx->time_offsets[i].secs, lx->time_offsets[i].nanosecs);
        int r = procfs_write_once("self/timens_offsets", buf, strlen(buf));
        if (r < 0)
            return berr_sys(err, -r, "linux.timeOffsets.%s", clock_names[i]);
    }
    return 0;
}

/* Makes stdio usable by a non-root container user: reopening /proc/self/fd/1 checks the
 * inode's permissions (runc does the same for pipes handed over by a shim). */
static void fix_stdio_owner(uid_t uid, gid_t gid)
{
    for (int fd = 0; fd < 3; fd++) {
        struct stat st;
        if (fstat(fd, &st) < 0 || S_ISCHR(st.st_mode) || st.st_uid == uid)
            continue;
        if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
            fchown(fd, uid, gid);
    }
}

static int join_ns(const struct spec_namespace *ns, struct berr **err)
{
    _cleanup_close_ int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return berr_sys(err, errno, "linux.namespaces %s: open %s", spec_ns_name(ns->type),
                        ns->path);
    if (setns(fd, ns->type) < 0)
        return berr_sys(err, errno, "linux.namespaces %s: join %s", spec_ns_name(ns->type),
                        ns->path);
    return 0;
}

/* The container's process starts with every signal at its default and none blocked, whatever
 * the runtime's caller had ignored (a shell's job control, a supervisor's SIGPIPE). */
static void reset_signals(void)
{
    /* execve resets handled signals by itself; only ignored ones survive it. Reset those
     * (one read of SigIgn instead of a sigaction per signal). */
    _cleanup_free_ char *status = NULL;
    uint64_t ign = ~0ULL;
    _cleanup_berr_ struct berr *e = NULL;
    if (fs_read_file("/proc/self/status", &status, NULL, &e) == 0) {
        char *p = strstr(status, "\nSigIgn:");
        if (p)
            ign = strtoull(p + 9, NULL, 16);
    }
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    for (int sig = 1; sig < 64 && ign; sig++)
        if ((ign & (1ULL << (sig - 1))) && sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Closes every descriptor the runtime's process had, except stdio, the preserved ones
 * (3..3+preserve-1) and those in keep. They are all close-on-exec, but that acts only at the
 * exec: until then a host directory fd is a way out of the container for anything that
 * resolves a path through /proc/self/fd (runc's CVE-2024-21626: a working directory of
 * /proc/self/fd/N). So they go right after clone. */
static void close_host_fds(int preserve, const int *keep, size_t nkeep)
{
    int sorted[8];
    size_t n = 0;
    for (size_t i = 0; i < nkeep && n < 8; i++)
        if (keep[i] >= 3 + preserve)
            sorted[n++] = keep[i];
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
            int t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    unsigned first = 3 + preserve;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned)sorted[i] > first)
            syscall(SYS_close_range, first, sorted[i] - 1, 0);
        first = sorted[i] + 1;
    }
    syscall(SYS_close_range, first, ~0U, 0);
}

/* Opens the working directory inside the current root: no symlink leads out of it and no
 * /proc magic link is followed. */
static int open_cwd(const char *cwd, bool create, struct berr **err)
{
    _cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return berr_sys(err, errno, "process.cwd: open /");
    int fd = fs_open_in_root(rootfd, cwd, O_PATH | O_DIRECTORY, create ? FS_CREATE_DIR : 0, err);
    if (fd < 0)
        return berr_prefix(err, "process.cwd");
    return fd;
}

/* The process attributes, in the order they must come: LSM labels, rlimits, the working
 * directory (resolved inside the root; made if missing for the init), the program (found
 * now, so that "not found" is an error of create, not of a process that vanished), seccomp
 * (before the caps go when no_new_privs is off: loading it needs CAP_SYS_ADMIN then), the
 * bounding set (needs CAP_SETPCAP: before the uid switch), the user, the capabilities, the
 * directory (with the user's own permissions), no_new_privs. */
static int become_process(const struct spec_process *p, struct seccomp_prog *seccomp, bool make_cwd,
                          char *exe, size_t exe_len, struct berr **err)
{
    int r;
    if (p->apparmor_profile && p->apparmor_profile[0] &&
        (r = lsm_apparmor_exec(p->apparmor_profile, err)) < 0)
        return r;
    if (p->selinux_label && p->selinux_label[0] &&
        (r = lsm_selinux_exec(p->selinux_label, err)) < 0)
        return r;
    if ((r = set_rlimits(p, err)) < 0 || (r = set_oom_score_adj(p, err)) < 0)
        return r;
    _cleanup_close_ int cwdfd = open_cwd(p->cwd, make_cwd, err);
    if (cwdfd < 0)
        return cwdfd;
    if ((r = find_executable(p->args, p->env, exe, exe_len, err)) < 0)
        return r;
    fix_stdio_owner(p->user.uid, p->user.gid);
    if (seccomp && !p->no_new_privileges && (r = seccomp_prog_load(seccomp, err)) < 0)
        return r;
    if (p->caps.set && (r = caps_drop_bounding(&p->caps, err)) < 0)
        return r;
    if ((r = set_user(&p->user, err)) < 0)
        return r;
    if (p->caps.set && (r = caps_apply(&p->caps, err)) < 0)
        return r;
    if (fchdir(cwdfd) < 0)
        return berr_sys(err, errno, "process.cwd: chdir %s", p->cwd);
    if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return berr_sys(err, errno, "process.noNewPrivileges");
    return 0;
}

/* ---- the container's init ---- */

/* Moves the calling process (one thread) into the v1 cgroups whose `tasks` files are open:
 * writing 0 there skips the kernel's global migration lock. Closes the fds. */
static int join_cgroup(const int *tasks, size_t n, struct berr **err)
{
    int r = 0;
    for (size_t i = 0; i < n; i++) {
        if (r == 0 && write(tasks[i], "0", 1) != 1)
            r = berr_sys(err, errno, "move into its cgroup");
        close(tasks[i]);
    }
    return r;
}

/* A container without a mount namespace of its own shares the runtime's mount table: any
 * mount made for it would be made on the host. So none is (crun does the same; runc mounts
 * on the host): its root is a chroot into root.path and the spec's mounts, devices and
 * rootfsPropagation are left out (the runtime warns). What only a mount gives is refused
 * rather than dropped: a read-only root, and a masked or read-only path that exists. */
static int chroot_without_mntns(const struct init_config *c, struct berr **err)
{
    if (chdir(c->rootfs) < 0)
        return berr_sys(err, errno, "chdir %s", c->rootfs);
    if (chroot(".") < 0)
        return berr_sys(err, errno, "chroot %s", c->rootfs);
    if (chdir("/") < 0)
        return berr_sys(err, errno, "chdir /");
    return 0;
}

static int check_without_mntns(const struct spec *s, struct berr **err)
{
    const struct spec_linux *lx = s->linux_;
    static const char *const fields[] = {"linux.maskedPaths", "linux.readonlyPaths"};
    char **lists[] = {lx->masked_paths, lx->readonly_paths};
    for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
        for (char **p = lists[i]; p && *p; p++) {
            /* we are in the chroot: what is there is what the container would see */
            struct stat st;
            if (lstat(*p, &st) < 0 && (errno == ENOENT || errno == ENOTDIR))
                continue;
            return berr_set(err, BERR_INVALID, EINVAL,
                            "%s: \"%s\" exists and needs a mount namespace to hide "
                            "(linux.namespaces has none)",
                            fields[i], *p);
        }
    return 0;
}

static int init_setup(struct init_config *c, struct berr **err)
{
    const struct spec *s = c->spec;
    const struct spec_process *p = s->process;
    int r;

    /* Into the container's cgroups first, by ourselves: a process that moves itself (one
     * thread) into a v1 cgroup does not take the kernel's global migration lock, whose
     * first taking after a pause waits for an RCU grace period. Before anything we make
     * or start can be counted anywhere else. */
    if ((r = join_cgroup(c->cg_tasks, c->n_cg_tasks, err)) < 0)
        return berr_prefix(err, "cgroup %s", c->cgroup_path);
    int keep[] = {c->sync_fd, c->fifo_fd, c->console_fd, c->execer_fd};
    close_host_fds(c->preserve_fds, keep, ARRAY_SIZE(keep));
    /* If the runtime dies before we are set up, die with it: no half-made container. */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    /* Not dumpable until execve: nothing in the container can open /proc/<us>/exe (the
     * runtime's binary on the host), our memory or our fds while we still hold them. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        return berr_sys(err, errno, "make init non-dumpable");

    if ((r = expect(c->sync_fd, SYNC_GO, err)) < 0)
        return r;

    bool userns_new = false;
    const struct spec_namespace *userns = spec_namespace(s, CLONE_NEWUSER);
    if (userns && !userns->path)
        userns_new = true;

    if (c->complex) {
        /* Join namespaces given by path (user first: it decides what the rest may do),
         * then make the new ones; those that apply to children only (pid, time) need
         * one more fork. */
        if (userns && userns->path && (r = join_ns(userns, err)) < 0)
            return r;
        for (size_t i = 0; i < s->linux_->n_namespaces; i++) {
            const struct spec_namespace *ns = &s->linux_->namespaces[i];
            if (!ns->path || ns->type == CLONE_NEWUSER || ns->type == CLONE_NEWPID ||
                ns->type == CLONE_NEWTIME)
                continue;
            if ((r = join_ns(ns, err)) < 0)
                return r;
        }
        if (userns_new) {
            if (unshare(CLONE_NEWUSER) < 0)
                return berr_sys(err, errno, "create user namespace");
            if ((r = sync_send(c->sync_fd, SYNC_MAPS, getpid())) < 0 ||
                (r = expect(c->sync_fd, SYNC_MAPS_DONE, err)) < 0)
                return r < 0 && !*err ? berr_sys(err, -r, "user namespace maps") : r;
        }
        unsigned long flags = 0;
        for (size_t i = 0; i < s->linux_->n_namespaces; i++) {
            const struct spec_namespace *ns = &s->linux_->namespaces[i];
            if (!ns->path && ns->type != CLONE_NEWUSER && ns->type != CLONE_NEWCGROUP)
                flags |= ns->type;
        }
        if (flags && unshare(flags) < 0)
            return berr_sys(err, errno, "create namespaces");
        if ((flags & CLONE_NEWTIME) && (r = write_timens_offsets(s, err)) < 0)
            return r;
        if (flags & (CLONE_NEWPID | CLONE_NEWTIME)) {
            pid_t child = fork();
            if (child < 0)
                return berr_sys(err, errno, "fork init");
            if (child > 0)
                _exit(0); /* the intermediate process: its job is done */
            /* no parent-death signal here: our parent just exited. If the runtime dies,
             * the sync socket reaches EOF and setup stops there. */
            if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                return berr_sys(err, errno, "make init non-dumpable");
            if ((r = send_pid(c->sync_fd)) < 0)
                return berr_sys(err, -r, "report init pid");
        }
    }
    if (userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
        return berr_sys(err, errno, "become root in the user namespace (is uid 0 mapped?)");

    /* The cgroup namespace is made only now, after the runtime moved us into the
     * container's cgroup, so that its root is that cgroup and not the caller's. */
    const struct spec_namespace *cgns = spec_namespace(s, CLONE_NEWCGROUP);
    if (cgns && !cgns->path && unshare(CLONE_NEWCGROUP) < 0)
        return berr_sys(err, errno, "create cgroup namespace");
    else if (cgns && cgns->path && !c->complex && (r = join_ns(cgns, err)) < 0)
        return r;

    /* A session keyring of its own, so that keys of the host's session stay out of reach. */
    if (!c->no_new_keyring && syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 &&
        errno != ENOSYS && errno != EACCES && errno != EDQUOT)
        return berr_sys(err, errno, "create session keyring");

    const struct spec_namespace *mntns = spec_namespace(s, CLONE_NEWNS);

    umask(0);
    /* The procfs the sysctls are written through: opened now, before anything of the
     * container is mounted (procfs.h) */
    _cleanup_close_ int procfd = procfs_open(err);
    if (procfd < 0)
        return procfd;
    struct mount_ctx mc = {
        .spec = s,
        .rootfs = c->rootfs,
        .cgroup_path = c->cgroup_path,
        .userns = userns != NULL,
        .cgroupns = cgns != NULL,
        .netns = spec_namespace(s, CLONE_NEWNET) && !spec_namespace(s, CLONE_NEWNET)->path,
        .ipcns = spec_namespace(s, CLONE_NEWIPC) != NULL,
        .devnull_fd = -1,
        .console_fd = -1,
    };
    /* A mount namespace joined by path gets the root filesystem set up in it too (as
     * runc does): the spec's root and mounts apply whichever namespace holds them. */
    if (mntns) {
        /* Nothing we mount may propagate to the host; and pivot_root refuses shared mounts. */
        unsigned long prop = MS_SLAVE | MS_REC;
        unsigned long want = s->linux_->rootfs_propagation_flags;
        if (want && !(want & (MS_SHARED | MS_UNBINDABLE)))
            prop = want;
        if (mount(NULL, "/", NULL, prop, NULL) < 0)
            return berr_sys(err, errno, "set propagation of /");
        /* the rootfs must be a mount point of its own for pivot_root */
        if (mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
            return berr_sys(err, errno, "bind root filesystem %s", c->rootfs);
        if (mount(NULL, c->rootfs, NULL, MS_PRIVATE, NULL) < 0)
            return berr_sys(err, errno, "make root filesystem private");

        _cleanup_close_ int rootfd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
            return berr_sys(err, errno, "open root filesystem %s", c->rootfs);
        if ((r = mounts_setup(&mc, rootfd, err)) < 0) {
            mounts_ctx_close(&mc);
            return r;
        }
    } else if (s->root.readonly) {
        return berr_set(err, BERR_INVALID, EINVAL,
                        "root.readonly: needs a mount namespace (linux.namespaces has none)");
    }

    /* prestart and createRuntime hooks run in the runtime's namespaces, now that ours exist */
    if ((r = sync_send(c->sync_fd, SYNC_HOOKS, 0)) < 0 ||
        (r = expect(c->sync_fd, SYNC_HOOKS_DONE, err)) < 0)
        return r < 0 && !*err ? berr_sys(err, -r, "hooks") : r;
    if (s->hooks.n[HOOK_CREATE_CONTAINER] &&
        (r = hooks_run(s, HOOK_CREATE_CONTAINER,
                       &(struct hook_state){c->id, c->bundle, "creating", getpid(), s}, err)) < 0)
        return r;

    if ((r = mntns ? mounts_pivot(c->rootfs, c->no_pivot, err) : chroot_without_mntns(c, err)) < 0)
        return r;

    if (p && p->terminal) {
        char name[64];
        int slave = -1;
        _cleanup_close_ int master = pty_open(&slave, name, sizeof(name), err);
        if (master < 0)
            return master;
        _cleanup_close_ int sl = slave;
        struct winsize ws = {.ws_row = p->console_height.v, .ws_col = p->console_width.v};
        if (p->console_height.set || p->console_width.set)
            ioctl(master, TIOCSWINSZ, &ws);
        /* /dev/console is the pty, as on a real machine */
        if (mntns && (r = mounts_console(&mc, slave, err)) < 0)
            return r;
        if (c->console_fd >= 0) {
            if ((r = pty_send_master(c->console_fd, master, name, err)) < 0)
                return r;
            close(c->console_fd);
            c->console_fd = -1;
        } else if ((r = sync_send_fd(c->sync_fd, SYNC_PTY, master)) < 0) {
            return berr_sys(err, -r, "send pty master");
        }
        if ((r = pty_make_controlling(slave, err)) < 0)
            return r;
    } else {
        setsid();
    }

    if (spec_namespace(s, CLONE_NEWUTS)) {
        if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
            return berr_sys(err, errno, "hostname: set \"%s\"", s->hostname);
        if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
            return berr_sys(err, errno, "domainname: set \"%s\"", s->domainname);
    }
    if (mc.netns && (r = loopback_up(err)) < 0)
        return r;
    if ((r = set_sysctls(s, procfd, err)) < 0)
        return r;
    close(TAKE_FD(procfd));
    r = mntns ? mounts_finish(&mc, err) : check_without_mntns(s, err);
    mounts_ctx_close(&mc);
    if (r < 0)
        return r;
    if (s->linux_->has_personality && personality(s->linux_->personality) < 0)
        return berr_sys(err, errno, "linux.personality");
    if (!p) {
        /* no process: a container that can be created, inspected and deleted, but
         * `start` refuses it (runtime-spec: start MUST fail if process is not set) */
        prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        if ((r = sync_send(c->sync_fd, SYNC_READY, getpid())) < 0)
            return berr_sys(err, -r, "report ready");
        close(c->sync_fd);
        for (;;)
            pause();
    }
    char exe[PATH_MAX];
    if ((r = become_process(p, c->seccomp, true, exe, sizeof(exe), err)) < 0)
        return r;

    /* Set up: from here on the runtime that made us may exit. */
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    if ((r = sync_send(c->sync_fd, SYNC_READY, getpid())) < 0)
        return berr_sys(err, -r, "report ready");

    if (c->fifo_fd >= 0) {
        /* "created": block until `start` writes one byte to exec.fifo */
        char b;
        ssize_t n;
        do
            n = read(c->fifo_fd, &b, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1)
            _exit(1);
        /* the fifo stays open until execve closes it: `start` waits for that moment, so
         * that poststart hooks run after the process is really started */
    }
    close(c->sync_fd);
    c->sync_fd = -1;

    if (s->hooks.n[HOOK_START_CONTAINER]) {
        struct berr *herr = NULL;
        if (hooks_run(s, HOOK_START_CONTAINER,
                      &(struct hook_state){c->id, c->bundle, "running", getpid(), s}, &herr) < 0) {
            dprintf(STDERR_FILENO, "%s: %s\n", log_program(), herr->msg);
            _exit(1);
        }
    }
    /* No fd of the host reaches the container, apart from stdio and those asked for. */
    syscall(SYS_close_range, 3 + c->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
    reset_signals();
    if (c->seccomp && p->no_new_privileges && (r = seccomp_prog_load(c->seccomp, err)) < 0) {
        dprintf(STDERR_FILENO, "%s: %s\n", log_program(), (*err)->msg);
        _exit(1);
    }
    /* exec.fifo closes at the program's exec: `start` returns when the program runs */
    if (c->fifo_fd >= 0)
        fcntl(c->fifo_fd, F_SETFD, 0);
    int e =
        -execer_exec(c->execer_fd, c->fifo_fd, exe, p->args, p->env ? p->env : (char *[]){NULL});
    dprintf(STDERR_FILENO, "%s: exec \"%s\": %s\n", log_program(), p->args[0], strerror(e));
    _exit(e == ENOENT ? 127 : 126);
}

int init_container(struct init_config *c)
{
    struct berr *err = NULL;
    int r = init_setup(c, &err);
    if (r < 0 && c->sync_fd >= 0)
        sync_send_error(c->sync_fd, err);
    berr_free(err);
    return r;
}

/* ---- exec into a running container ---- */

static int exec_setup(struct exec_config *c, struct berr **err)
{
    const struct spec_process *p = c->process;
    int r;
    if ((r = join_cgroup(c->cg_tasks, c->n_cg_tasks, err)) < 0)
        return r;
    int keep[] = {c->sync_fd, c->console_fd, c->execer_fd};
    close_host_fds(c->preserve_fds, keep, ARRAY_SIZE(keep));
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    /* Born undumpable (rt_exec's intermediate process was, before it joined the pid
     * namespace); checked, as every later step counts on it: a container process that may
     * not ptrace us cannot open our /proc/<pid>/exe, fds or memory either. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
        return berr_sys(err, errno ? errno : EPERM, "exec: make the process undumpable");
    /* Never in the caller's session: a process there could reach the caller's controlling
     * terminal through /dev/tty and push input into it (TIOCSTI). With a terminal, the pty
     * made below becomes ours. */
    if (setsid() < 0)
        return berr_sys(err, errno, "exec: setsid");
    if ((r = expect(c->sync_fd, SYNC_GO, err)) < 0)
        return r;

    /* Join the target's namespaces: user first, mount last but one (it changes what paths
     * mean), cgroup after we were moved into the container's cgroup. */
    static const struct {
        int type;
        const char *name;
    } order[] = {{CLONE_NEWUSER, "user"}, {CLONE_NEWIPC, "ipc"},       {CLONE_NEWUTS, "uts"},
                 {CLONE_NEWNET, "net"},   {CLONE_NEWCGROUP, "cgroup"}, {CLONE_NEWNS, "mnt"}};
    for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
        char path[64], self[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/%s", c->target, order[i].name);
        snprintf(self, sizeof(self), "/proc/self/ns/%s", order[i].name);
        struct stat a, b;
        if (stat(path, &a) < 0)
            return berr_sys(err, errno, "open %s namespace of the container", order[i].name);
        if (stat(self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
            continue; /* shared with us already */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, order[i].type) < 0)
            return berr_sys(err, errno, "join %s namespace of the container", order[i].name);
    }
    /* setns(mnt) put us at the namespace's root, which is the container's rootfs; a
     * container without a mount namespace is a chroot in ours: we enter the same root */
    if (!spec_namespace(c->spec, CLONE_NEWNS)) {
        char root[64];
        snprintf(root, sizeof(root), "/proc/%d/root", c->target);
        if (chdir(root) < 0 || chroot(".") < 0)
            return berr_sys(err, errno, "enter the container's root");
    }
    if (chdir("/") < 0)
        return berr_sys(err, errno, "chdir /");
    if (spec_namespace(c->spec, CLONE_NEWUSER) &&
        (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
        return berr_sys(err, errno, "become root in the user namespace");

    if (p->terminal) {
        char name[64];
        int slave = -1;
        _cleanup_close_ int master = pty_open(&slave, name, sizeof(name), err);
        if (master < 0)
            return master;
        _cleanup_close_ int sl = slave;
        struct winsize ws = {.ws_row = p->console_height.v, .ws_col = p->console_width.v};
        if (p->console_height.set || p->console_width.set)
            ioctl(master, TIOCSWINSZ, &ws);
        if (c->console_fd >= 0) {
            if ((r = pty_send_master(c->console_fd, master, name, err)) < 0)
                return r;
            close(c->console_fd);
        } else if ((r = sync_send_fd(c->sync_fd, SYNC_PTY, master)) < 0) {
            return berr_sys(err, -r, "send pty master");
        }
        if ((r = pty_make_controlling(slave, err)) < 0)
            return r;
    }
    char exe[PATH_MAX];
    if ((r = become_process(p, c->seccomp, false, exe, sizeof(exe), err)) < 0)
        return r;
    if (c->seccomp && p->no_new_privileges && (r = seccomp_prog_load(c->seccomp, err)) < 0)
        return r;
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    syscall(SYS_close_range, 3 + c->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
    reset_signals();
    /* the sync socket closes at the program's exec: the runtime's EOF means it runs */
    fcntl(c->sync_fd, F_SETFD, 0);
    int e =
        -execer_exec(c->execer_fd, c->sync_fd, exe, p->args, p->env ? p->env : (char *[]){NULL});
    fcntl(c->sync_fd, F_SETFD, FD_CLOEXEC);
    return berr_set(err, e == ENOENT ? BERR_CMD_NOT_FOUND : BERR_CMD_NOT_RUNNABLE, e,
                    "exec \"%s\": %s", p->args[0], strerror(e));
}

int init_exec(struct exec_config *c)
{
    struct berr *err = NULL;
    int r = exec_setup(c, &err);
    if (r < 0)
        sync_send_error(c->sync_fd, err);
    berr_free(err);
    return r;
}

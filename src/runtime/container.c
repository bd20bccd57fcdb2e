/* container.c - the OCI runtime operations */
#include "container.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/proc.h"
#include "cgroup/cgroup.h"
#include "linux/hooks.h"
#include "linux/init.h"
#include "linux/execer.h"
#include "linux/procfs.h"
#include "linux/selfexe.h"
#include "linux/seccomp-cache.h"
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <stdint.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static void config_cache_put(const char *root, const char *id, struct spec *s);
static int wait_child(pid_t pid, int pty, int in_w, int out_r, int err_r);

static int connect_console(const char *path, struct berr **err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return berr_set(err, BERR_INVALID, ENAMETOOLONG, "--console-socket: path too long");
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return berr_sys(err, errno, "--console-socket: socket");
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        return berr_sys(err, e, "--console-socket: connect %s", path);
    }
    return fd;
}

/* The kernel takes a map in one write of less than a page, of at most 340 lines: anything
 * longer is refused here as a whole, never cut short. Written through a procfs handle
 * (linux/procfs.h), as every write to /proc is. */
static int write_idmap(pid_t pid, const char *file, const struct spec_idmap *m, size_t n,
                       struct berr **err)
{
    const char *field = strcmp(file, "uid_map") == 0 ? "uidMappings" : "gidMappings";
    if (n == 0)
        return 0;
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0)
        page = 4096;
    if (n > 340)
        return berr_set(err, BERR_INVALID, E2BIG,
                        "linux.%s: %zu entries, more than the kernel's 340", field, n);
    size_t cap = n * 36 + 1; /* 3 x 10 digits, 2 spaces, \n each */
    _cleanup_free_ char *buf = xmalloc(cap);
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%u %u %u\n", m[i].container_id, m[i].host_id,
                                m[i].size);
    if (len >= (size_t)page)
        return berr_set(err, BERR_INVALID, E2BIG,
                        "linux.%s: %zu bytes, more than the kernel takes in one write (%ld)", field,
                        len, page - 1);
    char path[64];
    snprintf(path, sizeof(path), "%d/%s", pid, file);
    int r = procfs_write_once(path, buf, len);
    if (r < 0)
        return berr_sys(err, -r, "linux.%s: write /proc/%s", field, path);
    return 0;
}

static int write_maps(pid_t pid, const struct spec *s, struct berr **err)
{
    int r = write_idmap(pid, "uid_map", s->linux_->uid_mappings, s->linux_->n_uid_mappings, err);
    if (r < 0)
        return r;
    return write_idmap(pid, "gid_map", s->linux_->gid_mappings, s->linux_->n_gid_mappings, err);
}

/* The devices every container may use (as runc and docker allow them), and those the spec
 * creates, are added after the spec's own cgroup device rules. */
static int add_default_device_rules(struct spec *s)
{
    static const struct spec_device_rule defaults[] = {
        {true, 'c', -1, -1, "m"}, {true, 'b', -1, -1, "m"},    {true, 'c', 1, 3, "rwm"},
        {true, 'c', 1, 5, "rwm"}, {true, 'c', 1, 7, "rwm"},    {true, 'c', 1, 8, "rwm"},
        {true, 'c', 1, 9, "rwm"}, {true, 'c', 5, 0, "rwm"},    {true, 'c', 5, 1, "rwm"},
        {true, 'c', 5, 2, "rwm"}, {true, 'c', 136, -1, "rwm"},
    };
    struct spec_linux *lx = s->linux_;
    if (!lx->resources && !(lx->resources = calloc(1, sizeof(*lx->resources))))
        return -ENOMEM;
    struct spec_resources *res = lx->resources;
    if (!res->n_devices)
        return 0; /* no rules: the cgroup allows everything already */
    size_t n = res->n_devices + ARRAY_SIZE(defaults) + lx->n_devices;
    struct spec_device_rule *d = realloc(res->devices, (n + 1) * sizeof(*d));
    if (!d)
        return -ENOMEM;
    res->devices = d;
    for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
        d[res->n_devices++] = defaults[i];
    for (size_t i = 0; i < lx->n_devices; i++) {
        if (lx->devices[i].type == 'p')
            continue;
        d[res->n_devices++] = (struct spec_device_rule){
            true, lx->devices[i].type, lx->devices[i].major, lx->devices[i].minor, "rwm"};
    }
    return 0;
}

/* The container's seccomp program (*ret_filter NULL if it has none), compiled or from the
 * cache under the runtime root. */
static int container_seccomp(const char *root, const struct spec *s, json_t *config_json,
                             struct seccomp_prog *prog, struct seccomp_prog **ret_filter,
                             struct berr **err)
{
    *ret_filter = NULL;
    if (!s->linux_ || !s->linux_->seccomp)
        return 0;
    char cache[PATH_MAX];
    int r = fs_pathf(cache, sizeof(cache), err, "%s/.seccomp-cache", root);
    if (r < 0)
        return r;
    r = seccomp_prog_get(cache, json_object_get(json_object_get(config_json, "linux"), "seccomp"),
                         s->linux_->seccomp, prog, err);
    if (r < 0)
        return r;
    *ret_filter = prog;
    return 0;
}

static int write_pid_file(const char *path, pid_t pid, struct berr **err)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%d", pid);
    _cleanup_free_ char *copy = strdup(path);
    char *slash = strrchr(copy, '/');
    const char *name = path;
    _cleanup_close_ int dfd = -1;
    if (slash) {
        *slash = 0;
        dfd = open(copy[0] ? copy : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        name = slash + 1;
    } else {
        dfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    }
    if (dfd < 0)
        return berr_sys(err, errno, "--pid-file %s", path);
    int r = fs_write_replace(dfd, name, buf, n, 0644, err);
    return r < 0 ? berr_prefix(err, "--pid-file") : 0;
}

/* Kills whatever a failed create left, and removes its cgroup and state dir. */
static void undo_create(pid_t child, pid_t init, struct cg *cg, const char *dir)
{
    _cleanup_berr_ struct berr *e = NULL;
    if (cg)
        cg_kill_all(cg, SIGKILL, &e);
    if (init > 0)
        kill(init, SIGKILL);
    if (child > 0) {
        kill(child, SIGKILL);
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (init > 0 && init != child)
        for (int i = 0; i < 200 && proc_alive(init, 0); i++)
            usleep(5000);
    if (cg)
        cg_destroy(cg, &e);
    if (dir)
        fs_rm_rf(dir);
}

/* A child born in its cgroup as far as the kernel allows, for create's init and exec's
 * process: moving a process into a cgroup from outside waits for an RCU grace period
 * (milliseconds of a start) after the lock has been idle. On pure v2 clone3 places it
 * (CLONE_INTO_CGROUP); on v1 and hybrid hosts it is born in the unified hierarchy and moves
 * itself into the v1 ones by writing 0 into their `tasks` files (b->tasks, which the child
 * is handed before the clone), unless self_join is false (a child in a new user namespace
 * cannot write there). */
struct birth {
    int cgfd;   /* cgroup2 directory for CLONE_INTO_CGROUP, or -1 */
    int *tasks; /* v1 tasks files for the child */
    int ntasks; /* -1: none */
};

static void birth_prepare(const struct cg *cg, bool self_join, struct birth *b)
{
    *b = (struct birth){.cgfd = -1, .ntasks = -1};
    if (!cg)
        return;
    b->cgfd = cg_clone_fd(cg);
    if (b->cgfd < 0 && self_join)
        b->ntasks = cg_birth_fds(cg, &b->cgfd, &b->tasks);
}

/* clone (fork with flags): the child's pid, 0 in the child, -1 with errno. In the parent
 * the fds are closed and *ret_entered says whether the child is in its cgroup everywhere
 * (else the caller moves it with cg_enter). */
static pid_t birth_clone(struct birth *b, unsigned long flags, bool *ret_entered)
{
    pid_t child;
    bool entered = false;
    if (b->cgfd >= 0) {
        /* a CLONE_PARENT child signals its parent as we do: clone3 wants no signal then */
        struct clone_args ca = {.flags = flags | CLONE_INTO_CGROUP,
                                .exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD,
                                .cgroup = (uint64_t)b->cgfd};
        child = syscall(SYS_clone3, &ca, sizeof(ca));
        entered = child >= 0;
        if (child < 0 && (errno == ENOSYS || errno == E2BIG || errno == EINVAL)) {
            child = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
            entered = false;
        }
    } else {
        child = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
        entered = child >= 0 && b->ntasks >= 0; /* a v1-only host: the tasks files are all */
    }
    if (child == 0)
        return 0;
    int e = errno;
    if (b->cgfd >= 0)
        close(b->cgfd);
    for (int i = 0; i < b->ntasks; i++)
        close(b->tasks[i]);
    free(b->tasks);
    *b = (struct birth){.cgfd = -1, .ntasks = -1};
    *ret_entered = entered;
    errno = e;
    return child;
}

int rt_create(const char *root, const char *id, const struct rt_create_opts *o, pid_t *ret_pid,
              int *ret_pty, struct berr **err)
{
    int r;
    if (ret_pty)
        *ret_pty = -1;
    if ((r = rt_check_id(id, err)) < 0)
        return r;
    log_debug("create %s: begin", id);
    char bundle[PATH_MAX], rootfs[PATH_MAX], path[PATH_MAX];
    if (!realpath(o->bundle ? o->bundle : ".", bundle))
        return berr_sys(err, errno, "bundle %s", o->bundle ? o->bundle : ".");
    if ((r = fs_pathf(path, sizeof(path), err, "%s/config.json", bundle)) < 0)
        return r;
    _cleanup_free_ char *config = NULL;
    size_t config_len = 0;
    if ((r = fs_read_file(path, &config, &config_len, err)) < 0)
        return berr_prefix(err, "bundle %s", bundle);
    json_error_t je;
    json_t *cj = json_loadb(config, config_len, 0, &je);
    if (!cj)
        return berr_set(err, BERR_INVALID, EINVAL, "%s: line %d: %s", path, je.line, je.text);
    _cleanup_spec_ struct spec *s = spec_from_json(cj, err);
    if (!s) {
        json_decref(cj);
        return berr_prefix(err, "%s", path);
    }
    /* fail early, with the field named, before anything is made */
    struct seccomp_prog prog = {0}, *filter = NULL;
    r = container_seccomp(root, s, cj, &prog, &filter, err);
    json_decref(cj);
    if (r < 0)
        return r;
    log_debug("create %s: config read, seccomp ready", id);
    if (!s->linux_)
        return berr_set(err, BERR_INVALID, EINVAL, "%s: linux: missing", path);
    if (s->root.path[0] == '/')
        r = fs_pathf(path, sizeof(path), err, "%s", s->root.path);
    else
        r = fs_pathf(path, sizeof(path), err, "%s/%s", bundle, s->root.path);
    if (r < 0) {
        seccomp_prog_free(filter);
        return berr_prefix(err, "root.path");
    }
    struct stat st;
    if (!realpath(path, rootfs) || stat(rootfs, &st) < 0 || !S_ISDIR(st.st_mode)) {
        seccomp_prog_free(filter);
        return berr_set(err, BERR_NOT_FOUND, ENOENT,
                        "root.path: root filesystem \"%s\" does not exist or is not a directory",
                        path);
    }
    bool terminal = s->process && s->process->terminal;
    if (terminal && !o->console_socket && !o->want_pty) {
        seccomp_prog_free(filter);
        return berr_set(err, BERR_INVALID, EINVAL,
                        "process.terminal is true: --console-socket is required");
    }
    if (!terminal && o->console_socket) {
        seccomp_prog_free(filter);
        return berr_set(err, BERR_INVALID, EINVAL,
                        "--console-socket given but process.terminal is false");
    }
    /* without a mount namespace nothing is mounted for the container (linux/init.c) */
    if (!spec_namespace(s, CLONE_NEWNS) &&
        (s->n_mounts || s->linux_->n_devices || s->linux_->rootfs_propagation))
        log_warn("linux.namespaces: no mount namespace: mounts, linux.devices and "
                 "linux.rootfsPropagation are ignored (they would change the host's mounts)");

    _cleanup_free_ char *cgpath = cg_resolve_path(s->linux_->cgroups_path, id, err);
    if (!cgpath) {
        seccomp_prog_free(filter);
        return berr_code(*err);
    }
    const struct spec_namespace *userns = spec_namespace(s, CLONE_NEWUSER);
    if (userns && !userns->path && (!s->linux_->n_uid_mappings || !s->linux_->n_gid_mappings)) {
        seccomp_prog_free(filter);
        return berr_set(err, BERR_INVALID, EINVAL,
                        "linux.uidMappings: a new user namespace needs uid and gid mappings");
    }

    /* Claim the ID: mkdir is atomic, so of two creates of one ID exactly one wins. */
    char dir[PATH_MAX];
    if ((r = fs_pathf(dir, sizeof(dir), err, "%s/%s", root, id)) < 0) {
        seccomp_prog_free(filter);
        return r;
    }
    if ((r = fs_mkdir_p(root, 0700)) < 0) {
        seccomp_prog_free(filter);
        return berr_sys(err, -r, "state root %s", root);
    }
    if (mkdir(dir, 0700) < 0) {
        int e = errno;
        seccomp_prog_free(filter);
        if (e == EEXIST)
            return berr_set(err, BERR_CONFLICT, EEXIST, "container \"%s\" already exists", id);
        return berr_sys(err, e, "create state dir %s", dir);
    }

    pid_t child = -1, init_pid = -1;
    struct cg *cg = NULL;
    int sv[2] = {-1, -1}, fifo = -1, console = -1, pty = -1, execer = -1;
    _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        r = berr_sys(err, errno, "open state dir");
        goto fail;
    }
    if ((r = fs_write_replace(dfd, "config.json", config, config_len, 0600, err)) < 0)
        goto fail;
    if ((r = fs_pathf(path, sizeof(path), err, "%s/exec.fifo", dir)) < 0)
        goto fail;
    if (mkfifo(path, 0600) < 0) {
        r = berr_sys(err, errno, "create %s", path);
        goto fail;
    }
    /* O_RDWR never blocks on a fifo; the init holds it and blocks in read() until start */
    fifo = open(path, O_RDWR | O_CLOEXEC);
    if (fifo < 0) {
        r = berr_sys(err, errno, "open %s", path);
        goto fail;
    }
    if (add_default_device_rules(s) < 0) {
        r = berr_sys(err, ENOMEM, "device rules");
        goto fail;
    }
    if (!(cg = cg_create(cgpath, s->linux_->resources, err))) {
        r = berr_code(*err);
        goto fail;
    }
    log_debug("create %s: cgroup %s made", id, cgpath);
    if (o->console_socket && (console = connect_console(o->console_socket, err)) < 0) {
        r = console;
        goto fail;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        r = berr_sys(err, errno, "socketpair");
        goto fail;
    }
    if ((execer = execer_memfd()) < 0) {
        r = berr_sys(err, -execer, "make the exec trampoline");
        goto fail;
    }
    int one = 1;
    setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));

    /* Namespaces: the common case (none given by path, no time namespace) is one clone()
     * with all the flags. Otherwise the child joins and unshares itself; pid and time
     * namespaces given by path are joined here, for our children. */
    bool complex = false;
    unsigned long flags = 0;
    for (size_t i = 0; i < s->linux_->n_namespaces; i++) {
        const struct spec_namespace *ns = &s->linux_->namespaces[i];
        if (ns->path || ns->type == CLONE_NEWTIME)
            complex = true;
        if (!ns->path && ns->type != CLONE_NEWCGROUP)
            flags |= ns->type;
    }
    if (complex) {
        flags = 0;
        static const int for_children[] = {CLONE_NEWPID, CLONE_NEWTIME};
        for (size_t i = 0; i < 2; i++) {
            const struct spec_namespace *ns = spec_namespace(s, for_children[i]);
            if (!ns || !ns->path)
                continue;
            /* our clone will be among the namespace's processes (linux/selfexe.h) */
            if (ns->type == CLONE_NEWPID && selfexe_sealed() <= 0) {
                r = berr_set(err, BERR_INTERNAL, EPERM,
                             "linux.namespaces pid: joining %s needs berth to run from a "
                             "sealed copy of itself",
                             ns->path);
                goto fail;
            }
            _cleanup_close_ int nsfd = open(ns->path, O_RDONLY | O_CLOEXEC);
            if (nsfd < 0 || setns(nsfd, ns->type) < 0) {
                r = berr_sys(err, errno, "linux.namespaces %s: join %s", spec_ns_name(ns->type),
                             ns->path);
                goto fail;
            }
        }
    }
    if (o->subreaper)
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

    struct init_config ic = {
        .spec = s,
        .id = id,
        .bundle = bundle,
        .rootfs = rootfs,
        .cgroup_path = cgpath,
        .sync_fd = sv[1],
        .fifo_fd = fifo,
        .console_fd = console,
        .no_pivot = o->no_pivot,
        .no_new_keyring = o->no_new_keyring,
        .preserve_fds = o->preserve_fds,
        .complex = complex,
        .clone_flags = flags,
        .seccomp = filter,
        .execer_fd = execer,
    };
    /* a child born into a pid namespace joined by path is seen there at once: born
     * undumpable (the flag is the memory's, copied by clone) */
    int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    if (complex && spec_namespace(s, CLONE_NEWPID) && spec_namespace(s, CLONE_NEWPID)->path &&
        (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)) {
        r = berr_sys(err, errno ? errno : EPERM, "make the init undumpable");
        goto fail;
    }
    /* born in its cgroup (see birth_clone) */
    bool entered = false;
    struct birth b;
    birth_prepare(cg, !spec_namespace(s, CLONE_NEWUSER), &b);
    ic.cg_tasks = b.tasks;
    ic.n_cg_tasks = b.ntasks > 0 ? b.ntasks : 0;
    child = birth_clone(&b, flags, &entered);
    if (child != 0 && dumpable > 0)
        prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
    if (child < 0) {
        r = berr_sys(err, errno, "clone");
        goto fail;
    }
    if (child == 0) {
        close(sv[0]);
        init_container(&ic);
        _exit(1);
    }
    init_pid = child;
    close(sv[1]);
    sv[1] = -1;
    close(execer);
    execer = -1;
    close(fifo);
    fifo = -1;
    if (console >= 0) {
        close(console);
        console = -1;
    }

    log_debug("create %s: cloned init %d", id, child);
    if (!entered && (r = cg_enter(cg, child, err)) < 0)
        goto fail;
    log_debug("create %s: init in its cgroup", id);
    if (!complex && userns && !userns->path && (r = write_maps(child, s, err)) < 0)
        goto fail;
    if ((r = sync_send(sv[0], SYNC_GO, 0)) < 0) {
        r = berr_sys(err, -r, "start container init");
        goto fail;
    }
    for (;;) {
        struct sync_msg m;
        int pfd = -1;
        pid_t from = 0;
        r = sync_recv(sv[0], &m, &pfd, &from);
        if (r < 0) {
            int status = 0;
            if (waitpid(child, &status, WNOHANG) == child)
                child = -1;
            r = berr_set(err, BERR_INTERNAL, EIO, "container init exited during setup");
            goto fail;
        }
        if (m.type == SYNC_ERROR) {
            r = berr_set(err, m.kind, m.value ? m.value : EIO, "%s", m.text);
            goto fail;
        } else if (m.type == SYNC_MAPS) {
            if ((r = write_maps(child, s, err)) < 0)
                goto fail;
            sync_send(sv[0], SYNC_MAPS_DONE, 0);
        } else if (m.type == SYNC_PID) {
            /* the real init, one fork below the child; the child exits now */
            init_pid = from;
            while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
                ;
            child = -1;
        } else if (m.type == SYNC_HOOKS) {
            /* runc and the validation suite say "created" here */
            struct hook_state hs = {id, bundle, "created", init_pid, s};
            if ((r = hooks_run(s, HOOK_PRESTART, &hs, err)) < 0 ||
                (r = hooks_run(s, HOOK_CREATE_RUNTIME, &hs, err)) < 0)
                goto fail;
            sync_send(sv[0], SYNC_HOOKS_DONE, 0);
        } else if (m.type == SYNC_PTY) {
            if (pty >= 0)
                close(pty);
            pty = pfd;
        } else if (m.type == SYNC_READY) {
            log_debug("create %s: init ready", id);
            break;
        }
    }

    struct rt_state rs = {.id = (char *)id,
                          .dir = dir,
                          .pid = init_pid,
                          .start_time = proc_start_time(init_pid),
                          .bundle = bundle,
                          .rootfs = rootfs,
                          .cgroup = cgpath,
                          .cgroup_created_in = cg->created_in,
                          .owner = ""};
    char created[64];
    rt_now_rfc3339(created, sizeof(created));
    rs.created = created;
    if (o->pid_file && (r = write_pid_file(o->pid_file, init_pid, err)) < 0)
        goto fail;
    if ((r = rt_state_save(&rs, err)) < 0)
        goto fail;
    close(sv[0]);
    cg_free(cg);
    seccomp_prog_free(filter);
    config_cache_put(root, id, TAKE_PTR(s));
    *ret_pid = init_pid;
    if (ret_pty)
        *ret_pty = pty;
    else if (pty >= 0)
        close(pty);
    return 0;

fail:
    undo_create(child, init_pid, cg, dir);
    cg_free(cg);
    seccomp_prog_free(filter);
    if (sv[0] >= 0)
        close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
    if (fifo >= 0)
        close(fifo);
    if (console >= 0)
        close(console);
    if (pty >= 0)
        close(pty);
    if (execer >= 0)
        close(execer);
    return r;
}

/* The config of the container this process last created or read: `run` creates, starts and
 * deletes one container, and need not parse its config.json three times. */
static struct {
    char *key; /* "<root>/<id>", whole: a key cut short would hand out another's config */
    struct spec *spec;
} config_cache;

static bool config_cache_holds(const char *root, const char *id)
{
    size_t n = strlen(root);
    return config_cache.spec && config_cache.key && strncmp(config_cache.key, root, n) == 0 &&
           config_cache.key[n] == '/' && strcmp(config_cache.key + n + 1, id) == 0;
}

static void config_cache_put(const char *root, const char *id, struct spec *s)
{
    spec_free(config_cache.spec);
    free(config_cache.key);
    if (asprintf(&config_cache.key, "%s/%s", root, id) < 0)
        config_cache.key = NULL;
    config_cache.spec = s;
}

static void config_cache_drop(const char *root, const char *id)
{
    if (config_cache_holds(root, id)) {
        spec_free(config_cache.spec);
        config_cache.spec = NULL;
    }
}

/* The saved config of a container; borrowed (valid until the container is deleted or
 * another one is read). */
static const struct spec *config_get(const char *root, const char *id, struct berr **err)
{
    if (config_cache_holds(root, id))
        return config_cache.spec;
    struct spec *s = rt_load_config(root, id, NULL, err);
    if (s)
        config_cache_put(root, id, s);
    return s;
}

struct spec *rt_load_config(const char *root, const char *id, json_t **ret_json, struct berr **err)
{
    char path[PATH_MAX];
    if (fs_pathf(path, sizeof(path), err, "%s/%s/config.json", root, id) < 0)
        return NULL;
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j) {
        berr_set(err, BERR_INTERNAL, EIO, "container \"%s\": saved config: %s", id, je.text);
        return NULL;
    }
    struct spec *s = spec_from_json(j, err);
    if (ret_json && s)
        *ret_json = j;
    else
        json_decref(j);
    return s;
}

static const char *status_hint(enum rt_status s)
{
    return rt_status_name(s);
}

int rt_start(const char *root, const char *id, struct berr **err)
{
    _cleanup_rt_state_ struct rt_state *st = rt_state_load(root, id, err);
    if (!st)
        return berr_code(*err);
    enum rt_status status = rt_state_status(st);
    if (status != RT_CREATED)
        return berr_set(err, BERR_CONFLICT, EBUSY,
                        "cannot start container \"%s\": it is %s, not created", id,
                        status_hint(status));
    const struct spec *s = config_get(root, id, err);
    if (!s)
        return berr_code(*err);
    if (!s->process)
        return berr_set(err, BERR_INVALID, EINVAL,
                        "cannot start container \"%s\": its config.json has no process", id);
    char path[PATH_MAX];
    int r = fs_pathf(path, sizeof(path), err, "%s/exec.fifo", st->dir);
    if (r < 0)
        return r;
    /* with no reader (the init is gone) a non-blocking open fails with ENXIO */
    _cleanup_close_ int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return berr_sys(err, errno, "start container \"%s\": its init is gone", id);
    if (write(fd, "0", 1) != 1)
        return berr_sys(err, errno, "start container \"%s\"", id);
    close(fd);
    fd = -1;
    /* The init holds the fifo open until its execve closes it: when no reader is left,
     * the container's process is running (or the init died trying). */
    for (int i = 0; i < 20000; i++) {
        int probe = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (probe < 0)
            break;
        close(probe);
        usleep(i < 100 ? 50 : 1000);
    }
    unlink(path);
    log_debug("start %s: process started", id);
    struct berr *herr = NULL;
    struct hook_state hs = {id, st->bundle, "running", st->pid, s};
    if (hooks_run(s, HOOK_POSTSTART, &hs, &herr) < 0) {
        log_warn("%s", herr->msg);
        berr_free(herr);
    }
    return 0;
}

json_t *rt_state(const char *root, const char *id, struct berr **err)
{
    _cleanup_rt_state_ struct rt_state *st = rt_state_load(root, id, err);
    if (!st)
        return NULL;
    return rt_state_json(st);
}

json_t *rt_list(const char *root, struct berr **err)
{
    json_t *a = json_array();
    _cleanup_closedir_ DIR *d = opendir(root);
    if (!d)
        return a; /* no root yet: no containers */
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        struct berr *e = NULL;
        struct rt_state *st = rt_state_load(root, de->d_name, &e);
        berr_free(e);
        if (!st)
            continue;
        json_array_append_new(a, rt_state_json(st));
        rt_state_free(st);
    }
    return a;
}

/* Freezing a cgroup to kill what is in it costs milliseconds: only when something is. */
static bool cg_has_processes(const struct cg *cg)
{
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    _cleanup_berr_ struct berr *e = NULL;
    return cg_pids(cg, &pids, &n, &e) < 0 || n > 0;
}

static struct cg *state_cg(const struct rt_state *st)
{
    if (!st->cgroup || !st->cgroup[0])
        return NULL;
    struct cg *cg = xcalloc(1, sizeof(*cg));
    cg->path = xstrdup(st->cgroup);
    /* a cgroup that existed before the container is someone else's: delete leaves it */
    if (st->cgroup_created_in) {
        size_t n = 0;
        while (st->cgroup_created_in[n])
            n++;
        cg->created_in = xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
            cg->created_in[i] = xstrdup(st->cgroup_created_in[i]);
    }
    return cg;
}

int rt_kill(const char *root, const char *id, int sig, bool all, struct berr **err)
{
    _cleanup_rt_state_ struct rt_state *st = rt_state_load(root, id, err);
    if (!st)
        return berr_code(*err);
    enum rt_status status = rt_state_status(st);
    if (status == RT_STOPPED || status == RT_CREATING) {
        if (!all)
            return berr_set(err, BERR_CONFLICT, ESRCH, "container \"%s\" is not running", id);
    }
    _cleanup_cg_ struct cg *cg = state_cg(st);
    if (all && cg)
        return cg_kill_all(cg, sig, err);
    /* the pid is checked against its start time: a reused pid is never signalled */
    int pidfd = syscall(SYS_pidfd_open, st->pid, 0);
    if (pidfd < 0)
        return berr_sys(err, errno, "kill container \"%s\"", id);
    int r = 0;
    if (!proc_alive(st->pid, st->start_time))
        r = berr_set(err, BERR_CONFLICT, ESRCH, "container \"%s\" is not running", id);
    else if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
        r = berr_sys(err, errno, "kill container \"%s\"", id);
    close(pidfd);
    return r;
}

int rt_delete(const char *root, const char *id, bool force, struct berr **err)
{
    _cleanup_rt_state_ struct rt_state *st = rt_state_load(root, id, err);
    if (!st)
        return berr_code(*err);
    enum rt_status status = rt_state_status(st);
    if (status == RT_CREATING) {
        if (!force)
            return berr_set(err, BERR_CONFLICT, EBUSY,
                            "container \"%s\" is being created (use --force if its creator died)",
                            id);
    } else if (status != RT_STOPPED && !force) {
        return berr_set(err, BERR_CONFLICT, EBUSY,
                        "cannot delete container \"%s\" that is %s: stop it first or use --force",
                        id, rt_status_name(status));
    }
    _cleanup_cg_ struct cg *cg = state_cg(st);
    /* whatever still runs in the container's cgroup goes with it (created init, or
     * processes left when the container shared the host's pid namespace) */
    _cleanup_berr_ struct berr *e = NULL;
    if (cg && cg_has_processes(cg))
        cg_kill_all(cg, SIGKILL, &e);
    if (status != RT_STOPPED && st->written && proc_alive(st->pid, st->start_time))
        kill(st->pid, SIGKILL);
    /* a paused container's processes die only once thawed */
    if (status == RT_PAUSED && cg) {
        struct berr *e = NULL;
        cg_freeze(cg, false, &e);
        berr_free(e);
    }
    for (int i = 0; i < 2000 && st->written && proc_alive(st->pid, st->start_time); i++)
        usleep(i < 50 ? 100 : 2000);
    int r = 0;
    if (cg && (r = cg_destroy(cg, err)) < 0)
        return berr_prefix(err, "delete container \"%s\"", id);

    const struct spec *s = st->written ? config_get(root, id, &e) : NULL;
    if (s) {
        struct berr *herr = NULL;
        struct hook_state hs = {id, st->bundle, "stopped", 0, s};
        if (hooks_run(s, HOOK_POSTSTOP, &hs, &herr) < 0) {
            log_warn("%s", herr->msg);
            berr_free(herr);
        }
    }
    config_cache_drop(root, id);
    if ((r = fs_rm_rf(st->dir)) < 0)
        return berr_sys(err, -r, "remove state of container \"%s\"", id);
    log_debug("delete %s: done", id);
    return 0;
}

int rt_pause(const char *root, const char *id, bool pause, struct berr **err)
{
    _cleanup_rt_state_ struct rt_state *st = rt_state_load(root, id, err);
    if (!st)
        return berr_code(*err);
    enum rt_status status = rt_state_status(st);
    if (pause && status != RT_RUNNING && status != RT_CREATED)
        return berr_set(err, BERR_CONFLICT, EBUSY, "cannot pause container \"%s\": it is %s", id,
                        rt_status_name(status));
    if (!pause && status != RT_PAUSED)
        return berr_set(err, BERR_CONFLICT, EBUSY,
                        "cannot resume container \"%s\": it is %s, not paused", id,
                        rt_status_name(status));
    _cleanup_cg_ struct cg *cg = state_cg(st);
    if (!cg)
        return berr_set(err, BERR_UNSUPPORTED, ENOTSUP, "container \"%s\" has no cgroup", id);
    return cg_freeze(cg, pause, err);
}

int rt_ps(const char *root, const char *id, pid_t **ret, size_t *ret_n, struct berr **err)
{
    _cleanup_rt_state_ struct rt_state *st = rt_state_load(root, id, err);
    if (!st)
        return berr_code(*err);
    _cleanup_cg_ struct cg *cg = state_cg(st);
    if (!cg) {
        *ret = NULL;
        *ret_n = 0;
        return 0;
    }
    return cg_pids(cg, ret, ret_n, err);
}

json_t *rt_stats(const char *root, const char *id, struct berr **err)
{
    _cleanup_rt_state_ struct rt_state *st = rt_state_load(root, id, err);
    if (!st)
        return NULL;
    if (!st->written) {
        berr_set(err, BERR_CONFLICT, ESRCH, "container \"%s\" is being created", id);
        return NULL;
    }
    /* a stopped container keeps its cgroup until delete: its counters still tell */
    _cleanup_cg_ struct cg *cg = state_cg(st);
    struct cg_stats cs = {0};
    if (!cg || cg_stats(cg, &cs, err) < 0) {
        if (!cg)
            berr_set(err, BERR_UNSUPPORTED, ENOTSUP, "container \"%s\" has no cgroup", id);
        return NULL;
    }
    return json_pack("{s:{s:{s:I}},s:{s:{s:I,s:I,s:I}},s:{s:I,s:I},s:I,s:b}", "cpu", "usage",
                     "total", (json_int_t)cs.cpu_usage_ns, "memory", "usage", "usage",
                     (json_int_t)cs.memory_usage, "limit", (json_int_t)cs.memory_limit, "max",
                     (json_int_t)cs.memory_max_usage, "pids", "current",
                     (json_int_t)cs.pids_current, "limit", (json_int_t)cs.pids_limit, "oom_kill",
                     (json_int_t)cs.oom_kills, "running", rt_state_status(st) != RT_STOPPED);
}

int rt_update(const char *root, const char *id, const struct spec_resources *res, struct berr **err)
{
    _cleanup_rt_state_ struct rt_state *st = rt_state_load(root, id, err);
    if (!st)
        return berr_code(*err);
    enum rt_status status = rt_state_status(st);
    if (status == RT_STOPPED || status == RT_CREATING)
        return berr_set(err, BERR_CONFLICT, EBUSY, "cannot update container \"%s\": it is %s", id,
                        rt_status_name(status));
    _cleanup_cg_ struct cg *cg = state_cg(st);
    if (!cg)
        return berr_set(err, BERR_UNSUPPORTED, ENOTSUP, "container \"%s\" has no cgroup", id);
    return cg_update(cg, res, err);
}

/* An fd above stdio: the caller may run with 0, 1 or 2 closed, and a pipe made then would
 * be overwritten when the child puts its stdio in place. */
static int above_stdio(int fd)
{
    if (fd < 0 || fd > 2)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    return moved;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* The fds rt_exec made for the process it starts: closed in the caller once the intermediate
 * process holds them, or on the way out. cstd[i] may be null itself (not closed twice). */
static void close_child_side(int *sync, int *console, int nsfd[2], int cstd[3], int *null)
{
    close_fd(sync);
    close_fd(console);
    close_fd(&nsfd[0]);
    close_fd(&nsfd[1]);
    for (int i = 0; i < 3; i++)
        if (cstd[i] != *null)
            close_fd(&cstd[i]);
    close_fd(null);
}

/* Closes every fd from 3 up but 3..3+preserve-1 and those in keep (-1s are skipped). */
static void close_fds_except(int preserve, const int *keep, size_t nkeep)
{
    unsigned first = 3 + preserve;
    for (;;) {
        int next = -1;
        for (size_t i = 0; i < nkeep; i++)
            if (keep[i] >= (int)first && (next < 0 || keep[i] < next))
                next = keep[i];
        if (next < 0)
            break;
        if ((unsigned)next > first)
            syscall(SYS_close_range, first, next - 1, 0);
        first = next + 1;
    }
    syscall(SYS_close_range, first, ~0U, 0);
}

/* The intermediate process of exec: in the caller's pid namespace, where no container
 * process sees it. Everything the exec'd process must not carry into the container's pid
 * namespace goes here, before that process exists: the caller's stdio (the admin's terminal,
 * which a container process that can ptrace could take from /proc/<pid>/fd) and every other
 * fd of the caller's, and dumpability (the process is born undumpable). Then it joins the
 * pid and time namespaces and clones the process as its sibling (CLONE_PARENT: the caller
 * waits for it), reports its pid, and exits. */
static int exec_intermediate(struct exec_config *ec, const int stdio[3], const int nsfd[2],
                             struct birth *b, struct cg *cg, struct berr **err)
{
    for (int i = 0; i < 3; i++)
        if (stdio[i] >= 0 && dup2(stdio[i], i) < 0)
            return berr_sys(err, errno, "exec: stdio");
    size_t nkeep = 0;
    int *keep = calloc(6 + (b->ntasks > 0 ? b->ntasks : 0), sizeof(int));
    if (!keep)
        return berr_sys(err, ENOMEM, "exec");
    keep[nkeep++] = ec->sync_fd;
    keep[nkeep++] = ec->console_fd;
    keep[nkeep++] = ec->execer_fd;
    keep[nkeep++] = b->cgfd;
    keep[nkeep++] = nsfd[0];
    keep[nkeep++] = nsfd[1];
    for (int i = 0; i < b->ntasks; i++)
        keep[nkeep++] = b->tasks[i];
    close_fds_except(ec->preserve_fds, keep, nkeep);
    free(keep);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
        return berr_sys(err, errno ? errno : EPERM, "exec: make the process undumpable");
    static const char *kids[] = {"pid", "time"};
    static const int kid_types[] = {CLONE_NEWPID, CLONE_NEWTIME};
    for (int i = 0; i < 2; i++)
        if (nsfd[i] >= 0 && setns(nsfd[i], kid_types[i]) < 0)
            return berr_sys(err, errno, "join %s namespace of the container", kids[i]);
    ec->cg_tasks = b->tasks;
    ec->n_cg_tasks = b->ntasks > 0 ? b->ntasks : 0;
    bool entered = false;
    pid_t pid = birth_clone(b, CLONE_PARENT, &entered);
    if (pid == 0) {
        init_exec(ec);
        _exit(126);
    }
    if (pid < 0)
        return berr_sys(err, errno, "exec: clone");
    int r;
    if (cg && !entered && (r = cg_enter(cg, pid, err)) < 0) {
        kill(pid, SIGKILL);
        return r;
    }
    if ((r = sync_send(ec->sync_fd, SYNC_PID, pid)) < 0) {
        kill(pid, SIGKILL);
        return berr_sys(err, -r, "exec: report the process");
    }
    return 0;
}

int rt_exec(const char *root, const char *id, const struct rt_exec_opts *o, pid_t *ret_pid,
            int *ret_status, struct berr **err)
{
    int r;
    /* CVE-2019-5736 through exec (see linux/selfexe.h): refuse rather than put a clone of a
     * writable binary where the container can open it */
    if ((r = selfexe_sealed()) <= 0)
        return berr_set(err, BERR_INTERNAL, r < 0 ? -r : EPERM,
                        "exec: berth does not run from a sealed copy of itself");
    _cleanup_rt_state_ struct rt_state *st = rt_state_load(root, id, err);
    if (!st)
        return berr_code(*err);
    enum rt_status status = rt_state_status(st);
    if (status != RT_RUNNING && status != RT_CREATED)
        return berr_set(err, BERR_CONFLICT, EBUSY, "cannot exec in container \"%s\": it is %s", id,
                        rt_status_name(status));
    if (o->process->terminal && !o->console_socket && (o->detach || !o->want_pty))
        return berr_set(err, BERR_INVALID, EINVAL, "--tty with --detach needs --console-socket");
    json_t *cj = NULL;
    _cleanup_spec_ struct spec *s = rt_load_config(root, id, &cj, err);
    if (!s)
        return berr_code(*err);
    struct seccomp_prog prog = {0}, *filter = NULL;
    r = container_seccomp(root, s, cj, &prog, &filter, err);
    json_decref(cj);
    if (r < 0)
        return r;
    _cleanup_cg_ struct cg *cg = state_cg(st);
    int sv[2] = {-1, -1}, console = -1, pty = -1, execer = -1, nsfd[2] = {-1, -1};
    /* stdio: the process's ends (cstd), ours (in_w, out_r, err_r) */
    int null = -1, cstd[3] = {-1, -1, -1}, in_w = -1, out_r = -1, err_r = -1;
    pid_t child = -1, mid = -1;
    struct birth b = {.cgfd = -1, .ntasks = -1};
    if (o->console_socket && (console = connect_console(o->console_socket, err)) < 0) {
        r = console;
        goto out;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        r = berr_sys(err, errno, "socketpair");
        goto out;
    }
    if ((execer = execer_memfd()) < 0) {
        r = berr_sys(err, -execer, "make the exec trampoline");
        goto out;
    }
    if (o->own_stdio) {
        if ((null = above_stdio(open("/dev/null", O_RDWR | O_CLOEXEC))) < 0) {
            r = berr_sys(err, errno, "exec: open /dev/null");
            goto out;
        }
        cstd[0] = cstd[1] = cstd[2] = null;
        int p[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
        bool pipes = !o->detach && !o->process->terminal;
        for (int i = 0; pipes && i < 3; i++) {
            if (i == 0 && !o->stdin_open)
                continue;
            if (pipe2(p[i], O_CLOEXEC) < 0) {
                r = berr_sys(err, errno, "exec: pipe");
                goto out;
            }
            p[i][0] = above_stdio(p[i][0]);
            p[i][1] = above_stdio(p[i][1]);
            cstd[i] = p[i][i == 0 ? 0 : 1];
        }
        in_w = p[0][1];
        out_r = p[1][0];
        err_r = p[2][0];
        /* input the process does not read waits in our buffer, not in a blocked write */
        if (in_w >= 0)
            fcntl(in_w, F_SETFL, fcntl(in_w, F_GETFL) | O_NONBLOCK);
    }
    /* pid and time namespaces apply to children: the intermediate process joins them */
    static const char *kids[] = {"pid", "time"};
    for (int i = 0; i < 2; i++) {
        char p[64], self[64];
        snprintf(p, sizeof(p), "/proc/%d/ns/%s", st->pid, kids[i]);
        snprintf(self, sizeof(self), "/proc/self/ns/%s_for_children", kids[i]);
        struct stat a, bs;
        if (stat(p, &a) < 0)
            continue;
        if (stat(self, &bs) == 0 && a.st_ino == bs.st_ino)
            continue;
        if ((nsfd[i] = open(p, O_RDONLY | O_CLOEXEC)) < 0) {
            r = berr_sys(err, errno, "join %s namespace of container \"%s\"", kids[i], id);
            goto out;
        }
    }
    struct exec_config ec = {.spec = s,
                             .process = o->process,
                             .target = st->pid,
                             .sync_fd = sv[1],
                             .console_fd = console,
                             .seccomp = filter,
                             .preserve_fds = o->preserve_fds,
                             .execer_fd = execer};
    /* into the container's cgroup as create's init gets there (see birth_clone) */
    birth_prepare(cg, true, &b);
    mid = fork();
    if (mid == 0) {
        close(sv[0]);
        struct berr *e = NULL;
        if (exec_intermediate(&ec, cstd, nsfd, &b, cg, &e) < 0)
            sync_send_error(sv[1], e);
        _exit(e ? 1 : 0);
    }
    if (mid < 0) {
        r = berr_sys(err, errno, "fork");
        goto out;
    }
    close_child_side(&sv[1], &console, nsfd, cstd, &null);
    for (;;) {
        struct sync_msg m;
        int pfd = -1;
        r = sync_recv(sv[0], &m, &pfd, NULL);
        if (r == -EPIPE && child > 0)
            break; /* exec'd: the socket closed on exec */
        if (r < 0) {
            r = berr_sys(err, r == -EPIPE ? EIO : -r, "exec");
            goto out;
        }
        if (m.type == SYNC_ERROR) {
            r = berr_set(err, m.kind, m.value ? m.value : EIO, "%s", m.text);
            goto out;
        }
        if (m.type == SYNC_PID && child < 0) {
            /* the process, our child by CLONE_PARENT; the intermediate one is done */
            child = m.value;
            while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
                ;
            mid = -1;
            sync_send(sv[0], SYNC_GO, 0);
        }
        if (m.type == SYNC_PTY) {
            if (pty >= 0)
                close(pty);
            pty = pfd;
        }
    }
    r = 0;
    if (o->pid_file && (r = write_pid_file(o->pid_file, child, err)) < 0)
        goto out;
    *ret_pid = child;
    if (o->detach) {
        child = -1; /* leave it running */
        goto out;
    }
    *ret_status = wait_child(child, pty, in_w, out_r, err_r);
    in_w = out_r = err_r = -1;
    child = -1;
out:
    if (mid > 0) {
        kill(mid, SIGKILL);
        while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (r < 0 && child > 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
    if (b.cgfd >= 0)
        close(b.cgfd);
    for (int i = 0; i < b.ntasks; i++)
        close(b.tasks[i]);
    free(b.tasks);
    seccomp_prog_free(filter);
    close_fd(&sv[0]);
    close_fd(&pty);
    close_fd(&execer);
    close_child_side(&sv[1], &console, nsfd, cstd, &null);
    close_fd(&in_w);
    close_fd(&out_r);
    close_fd(&err_r);
    return r;
}

static int drain_pty(int pty)
{
    char buf[16384];
    int fl = fcntl(pty, F_GETFL);
    fcntl(pty, F_SETFL, fl | O_NONBLOCK);
    for (;;) {
        ssize_t n = read(pty, buf, sizeof(buf));
        if (n <= 0)
            break;
        if (write(STDOUT_FILENO, buf, n) < 0)
            break;
    }
    return 0;
}

/* Copies what one output pipe of the process holds to our fd `to`; closes it at its end.
 * When `to` cannot be written (our reader went away), the pipe is closed too: the process's
 * next write fails with EPIPE, as it would have on our fd (`berth exec c yes | head -1`). */
static void relay_out(int *from, int to)
{
    char buf[65536];
    ssize_t n = read(*from, buf, sizeof(buf));
    if ((n > 0 && fs_write_all(to, buf, n) < 0) ||
        (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)))
        close_fd(from);
}

/* What is left in an output pipe once the process has exited; a process it left behind that
 * still holds the pipe is not waited for. */
static void drain_out(int *from, int to)
{
    if (*from < 0)
        return;
    fcntl(*from, F_SETFL, fcntl(*from, F_GETFL) | O_NONBLOCK);
    char buf[65536];
    ssize_t n;
    while ((n = read(*from, buf, sizeof(buf))) > 0 && fs_write_all(to, buf, n) == 0)
        ;
    close_fd(from);
}

/* Waits for the foreground child `pid`, forwarding signals to it, relaying the pty or the
 * pipes of its stdio (in_w, out_r, err_r; -1 each if none, all closed here). */
static int wait_child(pid_t pid, int pty, int in_w, int out_r, int err_r)
{
    /* Every signal a user can send to us goes to the container instead, as docker run's
     * --sig-proxy does; SIGCHLD tells us when it is done. */
    sigset_t set, old;
    sigfillset(&set);
    sigdelset(&set, SIGSEGV);
    sigdelset(&set, SIGBUS);
    sigdelset(&set, SIGILL);
    sigdelset(&set, SIGFPE);
    sigprocmask(SIG_BLOCK, &set, &old);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    int status = -1, code = 255;
    bool pty_open = pty >= 0;
    char in_buf[65536];
    size_t in_len = 0, in_off = 0;
    for (;;) {
        pid_t w = waitpid(-1, &status, WNOHANG);
        if (w == pid) {
            code = proc_exit_code(status);
            break;
        }
        if (w < 0 && errno == ECHILD)
            break;
        if (w > 0)
            continue; /* reaped an orphan that was reparented to us */
        if (pty_open) {
            if (pty_relay(pty, sfd) == 1)
                pty_open = false; /* hung up: every slave fd closed */
        } else {
            struct pollfd p[4] = {{.fd = sfd, .events = POLLIN},
                                  {.fd = out_r, .events = POLLIN},
                                  {.fd = err_r, .events = POLLIN},
                                  {.fd = -1}};
            if (in_w >= 0 && in_off < in_len)
                p[3] = (struct pollfd){.fd = in_w, .events = POLLOUT};
            else if (in_w >= 0)
                p[3] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
            if (poll(p, 4, -1) < 0 && errno != EINTR)
                break;
            if (p[1].revents)
                relay_out(&out_r, STDOUT_FILENO);
            if (p[2].revents)
                relay_out(&err_r, STDERR_FILENO);
            if (p[3].revents && p[3].fd == STDIN_FILENO) {
                ssize_t n = read(STDIN_FILENO, in_buf, sizeof(in_buf));
                if (n > 0) {
                    in_len = n;
                    in_off = 0;
                } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                    close_fd(&in_w); /* our input ended: so does the process's */
                }
            } else if (p[3].revents) {
                ssize_t n = write(in_w, in_buf + in_off, in_len - in_off);
                if (n > 0)
                    in_off += n;
                else if (n < 0 && errno != EINTR && errno != EAGAIN)
                    close_fd(&in_w); /* EPIPE: the process closed its stdin */
                if (in_off == in_len)
                    in_off = in_len = 0;
            }
        }
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
            if (si.ssi_signo == SIGWINCH && pty >= 0) {
                struct winsize ws;
                if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
                    ioctl(pty, TIOCSWINSZ, &ws);
                continue;
            }
            /* SIGPIPE is ours, from a write to a pipe the process closed */
            if (si.ssi_signo == SIGCHLD || si.ssi_signo == SIGWINCH || si.ssi_signo == SIGPIPE)
                continue;
            kill(pid, si.ssi_signo);
        }
    }
    if (pty >= 0)
        drain_pty(pty);
    drain_out(&out_r, STDOUT_FILENO);
    drain_out(&err_r, STDERR_FILENO);
    close_fd(&in_w);
    close(sfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return code;
}

int rt_wait_foreground(pid_t pid, int pty, struct berr **err)
{
    return wait_child(pid, pty, -1, -1, -1);
}

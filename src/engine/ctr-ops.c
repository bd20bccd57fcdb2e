/* ctr-ops.c - stop, kill, pause, unpause, rename, wait, remove and exec of a container */
#include "ctr-ops.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/proc.h"
#include "base/xalloc.h"
#include "engine/bundle.h"
#include "engine/containers.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "engine/spawn.h"
#include "engine/volumes.h"
#include "linux/selfexe.h"
#include "oci/runtime-spec.h"
#include "runtime/container.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* --- signals --------------------------------------------------------------------------- */

static const struct {
    const char *name;
    int sig;
} signals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

int ctr_signal_parse(const char *s)
{
    char *end;
    long n = strtol(s, &end, 10);
    if (*s && !*end)
        return n > 0 && n < _NSIG ? (int)n : -1;
    char up[32];
    size_t i = 0;
    for (; s[i] && i < sizeof(up) - 1; i++)
        up[i] = toupper((unsigned char)s[i]);
    up[i] = 0;
    const char *name = strncmp(up, "SIG", 3) == 0 ? up + 3 : up;
    for (size_t k = 0; k < sizeof(signals) / sizeof(signals[0]); k++)
        if (strcmp(signals[k].name, name) == 0)
            return signals[k].sig;
    if (strncmp(name, "RTMIN", 5) == 0) {
        long off = name[5] == '+' ? strtol(name + 6, &end, 10) : 0;
        int sig = SIGRTMIN + (int)off;
        return sig <= SIGRTMAX ? sig : -1;
    }
    if (strncmp(name, "RTMAX", 5) == 0) {
        long off = name[5] == '-' ? strtol(name + 6, &end, 10) : 0;
        int sig = SIGRTMAX - (int)off;
        return sig >= SIGRTMIN ? sig : -1;
    }
    return -1;
}

/* --- helpers --------------------------------------------------------------------------- */

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A pidfd for pid if it is still the process started at `start` (0: any), else -1. */
static int pidfd_of(pid_t pid, uint64_t start)
{
    if (pid <= 0)
        return -1;
    int fd = syscall(SYS_pidfd_open, pid, 0);
    /* opened, the pidfd pins the process: checked after, a reused pid is not taken for it */
    if (fd >= 0 && !proc_alive(pid, start)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Waits until the container no longer runs and its end is recorded, for timeout_ms at most
 * (-1: for ever). Returns 0 (c reloaded), or -ENOENT if it was removed meanwhile (--rm).
 * What wakes us: state.json replaced in its directory (the monitor records the exit), the
 * directory going (--rm), and the end of its process or its monitor (pidfds): the state
 * ctr_load computes changes with those. */
static int wait_stopped(struct engine *e, struct ctr *c, long timeout_ms)
{
    long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    _cleanup_close_ int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (ino >= 0)
        inotify_add_watch(
            ino, c->dir, IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
    int pfd = -1, mfd = -1;
    int r = 0;
    for (;;) {
        _cleanup_berr_ struct berr *err = NULL;
        if (ctr_reload(e, c, &err) < 0) {
            r = -ENOENT;
            break;
        }
        if (!ctr_running(c))
            break;
        long left = deadline < 0 ? -1 : deadline - now_ms();
        if (deadline >= 0 && left <= 0)
            break;
        json_t *st = json_object_get(c->rec, "State");
        if (pfd < 0) {
            uint64_t start;
            pid_t pid = ctr_pid(c, &start);
            pfd = pidfd_of(pid, start);
        }
        if (mfd < 0)
            mfd = pidfd_of(json_integer_value(json_object_get(st, "MonitorPid")),
                           json_integer_value(json_object_get(st, "MonitorStart")));
        struct pollfd p[3] = {{.fd = ino, .events = POLLIN},
                              {.fd = pfd, .events = POLLIN},
                              {.fd = mfd, .events = POLLIN}};
        /* a second at most: should a change come in a way none of these tells, we still see
         * it (a restart's new process, say) */
        int n = poll(p, 3, left < 0 || left > 1000 ? 1000 : (int)left);
        if (n < 0 && errno != EINTR)
            break;
        char buf[4096];
        while (ino >= 0 && read(ino, buf, sizeof(buf)) > 0)
            ;
        /* a process that has ended stays readable: dropped, and the next one the record
         * names (a restart's) watched instead, if it lives */
        if (pfd >= 0 && p[1].revents) {
            close(pfd);
            pfd = -1;
        }
        if (mfd >= 0 && p[2].revents) {
            close(mfd);
            mfd = -1;
        }
    }
    if (pfd >= 0)
        close(pfd);
    if (mfd >= 0)
        close(mfd);
    return r;
}

/* A stop or kill by the user: the monitor does not apply the restart policy after it. */
static int mark_stopped(struct ctr *c, struct berr **err)
{
    _cleanup_free_ char *path = ctr_path(c, "stopped-by-user");
    /* unrecorded, the stop would look like a crash to the monitor, which would restart it */
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return berr_sys(err, errno, "container %.12s: record the stop by the user", c->id);
    close(fd);
    return 0;
}

/* Records whether a container is paused (ctr_load computes Running and Dead again). */
static int set_paused(struct engine *e, struct ctr *c, bool paused, struct berr **err)
{
    _cleanup_berr_ struct berr *e2 = NULL;
    if (ctr_reload(e, c, &e2) < 0)
        return 0;
    json_t *st = json_object_get(c->rec, "State");
    if (!st)
        return 0;
    json_object_set_new(st, "Paused", json_boolean(paused));
    json_object_del(st, "Running");
    json_object_del(st, "Dead");
    return ctr_save_state(e->root, c->id, st, err);
}

/* Sends sig to a running container. A paused container is thawed after the signal, as docker
 * does, so that it acts on it. One that has exited meanwhile is not an error (sig != 0). */
static int signal_ctr(struct engine *e, struct ctr *c, int sig, struct berr **err)
{
    _cleanup_berr_ struct berr *e2 = NULL;
    ctr_reload(e, c, &e2);
    if (ctr_paused(c)) {
        int r = rt_kill(e->rtroot, c->id, sig, false, err);
        if (r == 0)
            r = rt_pause(e->rtroot, c->id, false, err);
        if (r == 0)
            r = set_paused(e, c, false, err);
        return r;
    }
    struct berr *kerr = NULL;
    int r = rt_kill(e->rtroot, c->id, sig, false, &kerr);
    if (r < 0) {
        _cleanup_berr_ struct berr *e3 = NULL;
        bool running = ctr_reload(e, c, &e3) == 0 && ctr_running(c);
        if (!running && sig != 0) {
            berr_free(kerr);
            return 0;
        }
        *err = kerr;
        return r;
    }
    return 0;
}

/* --- stop, kill ------------------------------------------------------------------------ */

int ctr_stop(struct engine *e, const char *ref, const struct ctr_stop_opts *o, struct berr **err)
{
    _cleanup_ctr_ struct ctr *c = ctr_open(e, ref, err);
    if (!c)
        return berr_code(*err);
    int r = mark_stopped(c, err);
    if (r < 0)
        return r;
    bool running = ctr_running(c);
    json_t *cc = json_object_get(c->rec, "Config");
    const char *ssig = json_string_value(json_object_get(cc, "StopSignal"));
    int sig = o->signal ? o->signal : ssig ? ctr_signal_parse(ssig) : SIGTERM;
    long timeout = o->timeout != CTR_STOP_TIMEOUT_DEFAULT ? o->timeout
                   : json_object_get(cc, "StopTimeout")
                       ? (long)json_integer_value(json_object_get(cc, "StopTimeout"))
                       : 10;
    if (running) {
        if ((r = signal_ctr(e, c, sig > 0 ? sig : SIGTERM, err)) < 0)
            return r;
        if (wait_stopped(e, c, timeout < 0 ? -1 : timeout * 1000) == 0 && ctr_running(c)) {
            if ((r = signal_ctr(e, c, SIGKILL, err)) < 0)
                return r;
            wait_stopped(e, c, -1);
        }
    }
    if (!o->restart)
        events_container(e->root, e->runroot, c->id, "stop", NULL);
    return running ? 0 : 1;
}

int ctr_kill(struct engine *e, const char *ref, int sig, struct berr **err)
{
    _cleanup_ctr_ struct ctr *c = ctr_open(e, ref, err);
    if (!c)
        return berr_code(*err);
    if (!ctr_running(c))
        return berr_set(err, BERR_CONFLICT, EBUSY, "kill: container %s is not running", ref);
    /* a signal that ends it, sent by the user, is a stop: no restart after it */
    int r;
    if ((sig == SIGKILL || sig == SIGTERM) && (r = mark_stopped(c, err)) < 0)
        return r;
    if ((r = rt_kill(e->rtroot, c->id, sig, false, err)) < 0)
        return r;
    char s[16];
    snprintf(s, sizeof(s), "%d", sig);
    events_container(e->root, e->runroot, c->id, "kill", json_pack("{s:s}", "signal", s));
    return 0;
}

/* --- pause, unpause: the container's processes frozen in their cgroup ------------------- */

int ctr_pause(struct engine *e, const char *ref, bool pause, struct berr **err)
{
    _cleanup_ctr_ struct ctr *c = ctr_open(e, ref, err);
    if (!c)
        return berr_code(*err);
    if (!ctr_running(c) || ctr_paused(c) == pause)
        return berr_set(err, BERR_CONFLICT, EBUSY,
                        !ctr_running(c) ? "container %s is not running"
                        : pause         ? "container %s is already paused"
                                        : "container %s is not paused",
                        ref);
    int r = rt_pause(e->rtroot, c->id, pause, err);
    if (r < 0)
        return r;
    /* unrecorded, the container would be frozen while berth says it is not: undo it */
    if ((r = set_paused(e, c, pause, err)) < 0) {
        _cleanup_berr_ struct berr *e2 = NULL;
        rt_pause(e->rtroot, c->id, !pause, &e2);
        return r;
    }
    events_container(e->root, e->runroot, c->id, pause ? "pause" : "unpause", NULL);
    return 0;
}

/* --- rename ---------------------------------------------------------------------------- */

int ctr_rename(struct engine *e, const char *ref, const char *name, struct berr **err)
{
    _cleanup_close_ int lockfd = ctr_lock(e->root, err);
    if (lockfd < 0)
        return berr_code(*err);
    _cleanup_ctr_ struct ctr *c = ctr_open(e, ref, err);
    if (!c)
        return berr_code(*err);
    /* the record as written (ctr_open's has the computed State merged in) */
    _cleanup_free_ char *path = ctr_path(c, "container.json");
    json_t *rec __attribute__((cleanup(json_decrefp))) = json_load_file(path, 0, NULL);
    if (!rec)
        return berr_set(err, BERR_NOT_FOUND, ENOENT, "rename: no such container: %s", ref);
    int r = ctr_name_claim(e->root, name, c->id, err);
    if (r < 0)
        return berr_prefix(err, "rename");
    _cleanup_free_ char *old = xstrdup(json_string_value(json_object_get(rec, "Name")) ?: "");
    json_object_set_new(rec, "Name", json_string(name));
    _cleanup_free_ char *text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
    _cleanup_close_ int dfd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        ctr_name_release(e->root, name, c->id);
        return berr_sys(err, errno, "rename: %s", c->dir);
    }
    if ((r = fs_write_atomic(dfd, "container.json", text, strlen(text), 0600, err)) < 0) {
        ctr_name_release(e->root, name, c->id);
        return r;
    }
    ctr_name_release(e->root, old, c->id);
    events_container(e->root, e->runroot, c->id, "rename",
                     json_pack("{s:s+}", "oldName", "/", old));
    return 0;
}

/* --- wait ------------------------------------------------------------------------------ */

int ctr_wait(struct engine *e, const char *ref, struct berr **err)
{
    _cleanup_ctr_ struct ctr *c = ctr_open(e, ref, err);
    if (!c)
        return berr_code(*err);
    if (wait_stopped(e, c, -1) < 0)
        return berr_set(err, BERR_NOT_FOUND, ENOENT,
                        "wait: container %s was removed (--rm) before its exit code was read", ref);
    return (int)json_integer_value(json_object_get(json_object_get(c->rec, "State"), "ExitCode"));
}

/* --- remove ---------------------------------------------------------------------------- */

/* Its monitor may still be cleaning up after the exit: lets it finish (5 s at most). */
static void wait_owner(const char *path)
{
    _cleanup_free_ char *text = NULL;
    _cleanup_berr_ struct berr *e = NULL;
    if (proc_owner_alive(path) != 1 || fs_read_file(path, &text, NULL, &e) < 0)
        return;
    unsigned long long start = 0;
    int pid = 0;
    if (sscanf(text, "%d %llu", &pid, &start) != 2)
        return;
    _cleanup_close_ int fd = pidfd_of(pid, start);
    if (fd >= 0) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        while (poll(&p, 1, 5000) < 0 && errno == EINTR)
            ;
    }
}

int ctr_remove_stopped(const char *root, const char *runroot, const char *id, struct berr **err)
{
    _cleanup_free_ char *rtroot = xasprintf("%s/runtime", runroot);
    _cleanup_free_ char *dir = ctr_dir(root, id);
    _cleanup_free_ char *opath = xasprintf("%s/owner", dir);
    wait_owner(opath);
    struct berr *e = NULL;
    if (rt_delete(rtroot, id, true, &e) < 0 && e && e->kind != BERR_NOT_FOUND) {
        /* a runtime container that is gone is fine; one that is not is an error */
        _cleanup_berr_ struct berr *e2 = NULL;
        json_t *st = rt_state(rtroot, id, &e2);
        if (st) {
            json_decref(st);
            *err = e;
            return -1;
        }
    }
    berr_free(e);
    _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", dir);
    umount2(rootfs, MNT_DETACH); /* only if berth's own namespace held it: normally not */
    ctr_name_forget(root, id);
    if (fs_rm_rf(dir) < 0)
        return berr_sys(err, errno, "rm: %s", dir);
    return 0;
}

int ctr_remove(struct engine *e, const char *ref, const struct ctr_remove_opts *o,
               struct berr **err)
{
    _cleanup_ctr_ struct ctr *c = ctr_open(e, ref, err);
    if (!c)
        return berr_code(*err);
    if (ctr_running(c) && !o->force)
        return berr_set(err, BERR_CONFLICT, EBUSY,
                        "rm: container %s is running: stop it first (berth stop), or force its "
                        "removal with -f",
                        ref);
    if (ctr_running(c)) {
        _cleanup_berr_ struct berr *ke = NULL;
        if (signal_ctr(e, c, SIGKILL, &ke) < 0)
            log_debug("rm: kill %.12s: %s", c->id, ke->msg);
        wait_stopped(e, c, 10000);
    }
    _cleanup_close_ int lockfd = ctr_lock(e->root, err);
    if (lockfd < 0)
        return berr_code(*err);
    _cleanup_berr_ struct berr *le = NULL;
    json_t *rec __attribute__((cleanup(json_decrefp))) = ctr_load(e->root, c->id, &le);
    int r = ctr_remove_stopped(e->root, e->runroot, c->id, err);
    if (r < 0)
        return r;
    events_ctr_record(e->runroot, c->id, rec, "destroy", NULL);
    if (o->volumes)
        vol_remove_anonymous(e->root, json_object_get(rec, "Mounts"));
    return 0;
}

/* --- exec ------------------------------------------------------------------------------ */

int ctr_exec_reexec(char **argv)
{
    return selfexe_reexec(argv);
}

/* Builds the exec'd process from the container's own: its env, user and cwd, unless given.
 * Returns the process JSON, or NULL with err set. */
static json_t *exec_process(struct engine *e, struct ctr *c, const struct ctr_exec_opts *o,
                            struct berr **err)
{
    json_t *cj = NULL;
    struct spec *s = rt_load_config(e->rtroot, c->id, &cj, err);
    if (!s)
        return NULL;
    spec_free(s);
    json_t *pj = json_deep_copy(json_object_get(cj, "process"));
    json_decref(cj);
    if (!pj) {
        berr_set(err, BERR_INVALID, EINVAL, "exec: the container has no process to start from");
        return NULL;
    }
    /* JSON carries only UTF-8: an argument or variable that is not is refused, not dropped */
    json_t *a = json_array();
    json_object_set_new(pj, "args", a);
    for (char **p = o->args; *p; p++) {
        if (bundle_text_check("argument", *p, err) < 0) {
            json_decref(pj);
            return NULL;
        }
        json_array_append_new(a, json_string(*p));
    }
    json_object_set_new(pj, "terminal", json_boolean(o->tty));
    json_object_del(pj, "consoleSize");
    json_t *je = json_object_get(pj, "env");
    if (!je)
        json_object_set_new(pj, "env", je = json_array());
    if (bundle_env_merge(je, o->env, err) < 0) {
        json_decref(pj);
        return NULL;
    }
    if (o->workdir)
        json_object_set_new(pj, "cwd", json_string(o->workdir));
    /* docker exec --privileged: every capability berth holds, whatever the container's */
    if (o->privileged)
        json_object_set_new(pj, "capabilities", bundle_caps(bundle_all_caps()));
    if (o->user) {
        /* names are the container's: /etc/passwd read through its root, never the host's */
        char proot[64];
        snprintf(proot, sizeof(proot), "/proc/%d/root", ctr_pid(c, NULL));
        _cleanup_close_ int rootfd = open(proot, O_PATH | O_DIRECTORY | O_CLOEXEC);
        uint32_t uid, gid, *groups = NULL;
        size_t ngroups = 0;
        if (rootfd < 0) {
            berr_sys(err, errno, "exec: %s", proot);
            json_decref(pj);
            return NULL;
        }
        if (bundle_resolve_user(rootfd, o->user, &uid, &gid, &groups, &ngroups, err) < 0) {
            json_decref(pj);
            return NULL;
        }
        json_t *g = json_array();
        for (size_t i = 0; i < ngroups; i++)
            json_array_append_new(g, json_integer(groups[i]));
        free(groups);
        json_object_set_new(pj, "user",
                            json_pack("{s:I,s:I,s:o}", "uid", (json_int_t)uid, "gid",
                                      (json_int_t)gid, "additionalGids", g));
    }
    return pj;
}

/* docker's "exec_start: sh -c date" (the command in the action), exec_die with exitCode */
static void exec_event(struct engine *e, struct ctr *c, const char *action, char **argv, int code)
{
    _cleanup_free_ char *a = xstrdup(action);
    for (char **p = argv; p && *p; p++) {
        char *n = xasprintf("%s%s%s", a, p == argv ? ": " : " ", *p);
        free(a);
        a = n;
    }
    char s[16];
    snprintf(s, sizeof(s), "%d", code);
    events_container(e->root, e->runroot, c->id, a,
                     code >= 0 ? json_pack("{s:s}", "exitCode", s) : NULL);
}

/* fd onto target in a helper process, with the others safe from being overwritten first */
static int move_fds(const int fds[3])
{
    int tmp[3];
    for (int i = 0; i < 3; i++)
        if ((tmp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)) < 0)
            return -errno;
    for (int i = 0; i < 3; i++) {
        if (dup2(tmp[i], i) < 0)
            return -errno;
        close(tmp[i]);
    }
    return 0;
}

int ctr_exec_job(struct spawn_job *j, struct berr **err)
{
    json_t *a = j->args;
    const char *id = json_string_value(json_object_get(a, "id"));
    if (!id || j->nfds != 3)
        return berr_set(err, BERR_INTERNAL, EINVAL, "exec: no container or no stdio");
    struct spec_process *p = spec_process_from_json(json_object_get(a, "process"), "process", err);
    if (!p)
        return -1;
    struct rt_exec_opts ro = {.process = p,
                              .detach = json_is_true(json_object_get(a, "detach")),
                              .want_pty = json_is_true(json_object_get(a, "want_pty")),
                              .own_stdio = true,
                              .stdin_open = json_is_true(json_object_get(a, "stdin_open"))};
    pid_t epid = 0;
    int status = 0;
    int r = move_fds(j->fds);
    if (r < 0)
        berr_sys(err, -r, "exec: stdio");
    else
        r = rt_exec(j->e->rtroot, id, &ro, &epid, &status, err);
    spec_process_free(p);
    return r < 0 ? -1 : status & 0xff;
}

/* rt_exec in a helper process (engine/spawn.h, job "exec") with fds as its stdio (rt_exec
 * relays the process's stdio to and from its caller's own, and forwards the caller's signals
 * to it, with a signal mask of its own while it waits): the caller's stdio, signal mask and
 * children stay as they were. */
static int exec_in_helper(struct engine *e, struct ctr *c, json_t *pj,
                          const struct rt_exec_opts *ro, const int fds[3], int *ret_status,
                          struct berr **err)
{
    json_t *args __attribute__((cleanup(json_decrefp))) =
        json_pack("{s:s,s:O,s:b,s:b,s:b}", "id", c->id, "process", pj, "detach", ro->detach,
                  "want_pty", ro->want_pty, "stdin_open", ro->stdin_open);
    int r = spawn_run(e, "exec", args, fds, 3, 0, ret_status, err);
    return r != 0 ? berr_code(*err) : 0;
}

int ctr_exec(struct engine *e, const char *ref, const struct ctr_exec_opts *o, struct berr **err)
{
    _cleanup_ctr_ struct ctr *c = ctr_open(e, ref, err);
    if (!c)
        return berr_code(*err);
    if (!ctr_running(c))
        return berr_set(err, BERR_CONFLICT, EBUSY, "exec: container %s is not running", ref);
    json_t *pj = exec_process(e, c, o, err);
    if (!pj)
        return berr_code(*err);
    exec_event(e, c, "exec_create", o->args, -1);
    json_t *doc __attribute__((cleanup(json_decrefp))) = pj;
    struct spec_process *p = spec_process_from_json(pj, "process", err);
    if (!p)
        return berr_code(*err);
    /* its stdio are pipes relayed (or /dev/null with detach), or the pty */
    struct rt_exec_opts ro = {.process = p,
                              .detach = o->detach,
                              .want_pty = o->tty && !o->detach,
                              .own_stdio = true,
                              .stdin_open = o->interactive};
    pid_t epid = 0;
    int status = 0, r;
    exec_event(e, c, "exec_start", o->args, -1);
    /* the caller's own stdio, and no stdin to keep from a terminal's relay: here, unless
     * the caller may be threaded (its signal mask is not rt_exec's to change) */
    bool own =
        o->stdio[0] == 0 && o->stdio[1] == 1 && o->stdio[2] == 2 && (o->interactive || !o->tty);
    if ((own || o->detach) && !e->exec_helpers) {
        r = rt_exec(e->rtroot, c->id, &ro, &epid, &status, err);
    } else {
        int fds[3] = {o->stdio[0], o->stdio[1], o->stdio[2]};
        _cleanup_close_ int null = -1;
        if (!o->interactive) {
            if ((null = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
                spec_process_free(p);
                return berr_sys(err, errno, "exec: open /dev/null");
            }
            fds[0] = null;
        }
        r = exec_in_helper(e, c, pj, &ro, fds, &status, err);
    }
    spec_process_free(p);
    if (r < 0)
        return r;
    if (o->detach)
        return 0;
    exec_event(e, c, "exec_die", NULL, status);
    return status;
}

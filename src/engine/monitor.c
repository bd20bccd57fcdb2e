/* monitor.c - the per-container monitor: berth's half (create, start, record, restart) */
#include "monitor.h"
#include "containers.h"
#include "volumes.h"
#include "events.h"
#include "ctr-run.h"
#include "engine.h"
#include "spawn.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/proc.h"
#include "runtime/container.h"
#include "runtime/state.h"
#include <fcntl.h>
#include <time.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* the loop (monitor-loop.c, built with musl), embedded by meson */
extern const unsigned char berth_monitor_loop[];
extern const unsigned long berth_monitor_loop_len;

extern char **environ;

/* What stays across the runs of one monitor (and across its execs) */
struct mon {
    int sfd;    /* signalfd for SIGCHLD */
    int lfd;    /* the attach socket */
    int cl[16]; /* the attached clients */
    int ncl;
    int null;      /* /dev/null */
    int restarts;  /* RestartCount */
    long delay_ms; /* the next restart's delay */
};

int monitor_parse_restart(const char *s, int *policy, int *max)
{
    char *end;
    *max = 0;
    if (!strcmp(s, "no"))
        *policy = RESTART_NO;
    else if (!strcmp(s, "always"))
        *policy = RESTART_ALWAYS;
    else if (!strcmp(s, "unless-stopped"))
        *policy = RESTART_UNLESS_STOPPED;
    else if (!strncmp(s, "on-failure", 10) && (!s[10] || s[10] == ':')) {
        *policy = RESTART_ON_FAILURE;
        if (s[10] == ':') {
            long n = strtol(s + 11, &end, 10);
            if (!s[11] || *end || n < 0 || n > 1000000)
                return -1;
            *max = (int)n;
        }
    } else
        return -1;
    return 0;
}

const char *monitor_restart_name(int policy)
{
    static const char *names[] = {"no", "always", "unless-stopped", "on-failure"};
    return policy >= 0 && policy <= RESTART_ON_FAILURE ? names[policy] : "no";
}

void monitor_opts_from_record(json_t *c, struct monitor_opts *o)
{
    json_t *cfg = json_object_get(c, "Config"), *hc = json_object_get(c, "HostConfig");
    o->tty = json_is_true(json_object_get(cfg, "Tty"));
    o->interactive = json_is_true(json_object_get(cfg, "OpenStdin"));
    o->auto_remove = json_is_true(json_object_get(hc, "AutoRemove"));
    o->attach_fd = -1;
    json_t *rp = json_object_get(hc, "RestartPolicy");
    if (monitor_parse_restart(json_string_value(json_object_get(rp, "Name")) ?: "no", &o->restart,
                              &o->max_restarts) == 0)
        o->max_restarts = json_integer_value(json_object_get(rp, "MaximumRetryCount"));
    monitor_log_config(json_object_get(hc, "LogConfig"), o);
}

int monitor_log_config(json_t *lc, struct monitor_opts *mo)
{
    mo->log_max_size = 10000000;
    mo->log_max_files = 3;
    mo->no_log = !strcmp(json_string_value(json_object_get(lc, "Type")) ?: "", "none");
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(lc, "Config"), k, v)
    {
        const char *s = json_string_value(v) ?: "";
        char *end;
        if (!strcmp(k, "max-size")) {
            double n = strtod(s, &end);
            double unit = !strcasecmp(end, "k") || !strcasecmp(end, "kb")   ? 1e3
                          : !strcasecmp(end, "m") || !strcasecmp(end, "mb") ? 1e6
                          : !strcasecmp(end, "g") || !strcasecmp(end, "gb") ? 1e9
                          : !*end || !strcasecmp(end, "b")                  ? 1
                                                                            : 0;
            if (end == s || !unit || !(n * unit >= 1) || n * unit > 1e15)
                return -1;
            mo->log_max_size = (long)(n * unit);
            /* docker: a size alone keeps one file */
            if (!json_object_get(json_object_get(lc, "Config"), "max-file"))
                mo->log_max_files = 1;
        } else if (!strcmp(k, "max-file")) {
            long n = strtol(s, &end, 10);
            if (end == s || *end || n < 1 || n > 99)
                return -1;
            mo->log_max_files = n;
        } else {
            return -2;
        }
    }
    return 0;
}

/* Tells monitor_start how the start went, over the job's report pipe (engine/spawn.h):
 * running, or the error with its kind whole (it picks the exit code) */
static void report(int fd, const struct berr *e)
{
    struct spawn_job j = {.report = fd};
    spawn_report(&j, e);
}

/* a failure that set no error (a bug) is still reported as one */
static void report_failure(int fd, const struct berr *e)
{
    struct berr unknown = {.kind = BERR_INTERNAL, .errnum = EIO, .msg = (char *)"monitor failed"};
    report(fd, e ? e : &unknown);
}

static void send_exit(struct mon *m, int code)
{
    char c[16];
    int n = snprintf(c, sizeof(c), "%d", code);
    for (int k = 0; k < m->ncl; k++) {
        attach_send(m->cl[k], ATTACH_EXIT, c, n, 0);
        attach_close(m->cl[k]);
    }
    m->ncl = 0;
}

/* `berth attach` has nothing to connect to any more */
static void close_attach(struct mon *m, const char *dir)
{
    char path[4300];
    if (m->lfd >= 0)
        close(m->lfd);
    m->lfd = -1;
    snprintf(path, sizeof(path), "%s/attach", dir);
    unlink(path);
}

static int keep_fd(int fd)
{
    return fd < 0 ? 0 : fcntl(fd, F_SETFD, 0);
}

/* Hands the running container to the loop (monitor-loop.c), exec'd from a sealed memfd.
 * Returns only on failure. */
static int exec_loop(const struct monitor_opts *o, struct mon *m, pid_t pid, int out, int err_,
                     int pty, int in, struct berr **err)
{
    _cleanup_close_ int mfd =
        fs_memfd_sealed("berth-monitor", berth_monitor_loop, berth_monitor_loop_len);
    _cleanup_close_ int self = open("/proc/self/exe", O_PATH | O_CLOEXEC);
    _cleanup_free_ char *dir = ctr_dir(o->root, o->id);
    _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int log =
        o->no_log ? -1 : openat(dfd, "json.log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (mfd < 0 || self < 0 || dfd < 0 || (log < 0 && !o->no_log))
        return berr_sys(err, mfd < 0 ? -mfd : errno, "monitor: prepare its loop");
    int first = m->ncl ? m->cl[0] : -1;
    int fds[] = {out, err_, pty, in, m->sfd, m->lfd, first, log, dfd, self};
    for (size_t i = 0; i < sizeof(fds) / sizeof(*fds); i++)
        if (keep_fd(fds[i]) < 0)
            return berr_sys(err, errno, "monitor: its loop's fds");
    char *args[32];
    int n = 0;
    args[n++] = "berth-monitor";
#define ARG(...)                                                                                   \
    do {                                                                                           \
        if (asprintf(&args[n++], __VA_ARGS__) < 0)                                                 \
            return berr_sys(err, ENOMEM, "monitor");                                               \
    } while (0)
    ARG("pid=%d", pid);
    ARG("out=%d", out);
    ARG("err=%d", err_);
    ARG("pty=%d", pty);
    ARG("in=%d", in);
    ARG("sfd=%d", m->sfd);
    ARG("lfd=%d", m->lfd);
    ARG("cl=%d", first);
    ARG("log=%d", log);
    ARG("dir=%d", dfd);
    ARG("max=%ld", o->log_max_size);
    ARG("files=%d", o->log_max_files);
    ARG("tty=%d", o->tty);
    ARG("berth=%d", self);
    ARG("root=%s", o->root);
    ARG("rtroot=%s", o->rtroot);
    ARG("id=%s", o->id);
    ARG("restarts=%d", m->restarts);
    ARG("delay=%ld", m->delay_ms);
#undef ARG
    args[n] = NULL;
    syscall(SYS_execveat, mfd, "", args, environ, AT_EMPTY_PATH);
    return berr_sys(err, errno, "monitor: exec its loop");
}

static void finish(const struct monitor_opts *o, struct mon *m, int exit_code, long ran_ms);

/* An event of the container (events.h) in the journal under the run root of o->rtroot, with
 * its exit code unless code < 0; c: its record if loaded */
static void note(const struct monitor_opts *o, const char *action, json_t *c, int code)
{
    _cleanup_free_ char *runroot = events_runroot_of(o->rtroot);
    char s[16];
    snprintf(s, sizeof(s), "%d", code);
    json_t *extra = code >= 0 ? json_pack("{s:s}", "exitCode", s) : NULL;
    if (c)
        events_ctr_record(runroot, o->id, c, action, extra);
    else
        events_container(o->root, runroot, o->id, action, extra);
}

/* docker's volume "mount" event, for each named or anonymous volume the container has (c: its
 * record, may be NULL), as each start mounts them */
static void note_volume_mounts(const struct monitor_opts *o, json_t *c)
{
    _cleanup_free_ char *runroot = events_runroot_of(o->rtroot);
    size_t i;
    json_t *mt;
    json_array_foreach(json_object_get(c, "Mounts"), i, mt)
    {
        const char *type = json_string_value(json_object_get(mt, "Type"));
        const char *name = json_string_value(json_object_get(mt, "Name"));
        if (!type || strcmp(type, "volume") != 0 || !name)
            continue;
        events_note(runroot, "volume", "mount", name,
                    json_pack("{s:s,s:s,s:s,s:s,s:s}", "container", o->id, "destination",
                              json_string_value(json_object_get(mt, "Destination")) ?: "", "driver",
                              "local", "propagation", "", "read/write",
                              json_is_false(json_object_get(mt, "RW")) ? "false" : "true"));
    }
}

/* Creates and starts the container, records it, tells the caller (ready >= 0), then becomes
 * the loop. Never returns. */
static void run(const struct monitor_opts *o, struct mon *m, int ready)
{
    _cleanup_berr_ struct berr *e = NULL;
    struct berr *err = NULL;
    int code = 125;
    bool created = false;
    json_t *state = NULL;
    _cleanup_free_ char *dir = ctr_dir(o->root, o->id);
    char rootfs[4200];
    snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
    int out[2] = {-1, -1}, errp[2] = {-1, -1}, in[2] = {-1, -1};
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
        (o->interactive && !o->tty && pipe2(in, O_CLOEXEC) < 0)) {
        berr_sys(&err, errno, "monitor: pipes");
        goto fail;
    }
    /* the container inherits our stdio: /dev/null in (a pipe from the client with -i), the
     * pipes out (or a pty with -t) */
    dup2(in[0] >= 0 ? in[0] : m->null, STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(errp[1], STDERR_FILENO);
    log_debug("monitor %.12s: creating", o->id);
    struct rt_create_opts co = {.bundle = dir, .want_pty = o->tty, .subreaper = true};
    pid_t pid;
    int pty = -1;
    int r = rt_create(o->rtroot, o->id, &co, &pid, &pty, &err);
    /* keep no write end of the pipes: EOF comes when the container's last writer is gone */
    dup2(m->null, STDIN_FILENO);
    dup2(m->null, STDOUT_FILENO);
    dup2(m->null, STDERR_FILENO);
    close(out[1]);
    close(errp[1]);
    if (in[0] >= 0)
        close(in[0]);
    if (r < 0)
        goto fail;
    created = true;
    if (rt_start(o->rtroot, o->id, &err) < 0)
        goto fail;
    char started[64];
    rt_now_rfc3339(started, sizeof(started));
    state = json_pack("{s:s,s:i,s:I,s:s,s:i,s:I,s:I,s:i}", "Status", "running", "Pid", pid,
                      "PidStart", (json_int_t)proc_start_time(pid), "StartedAt", started,
                      "ExitCode", 0, "MonitorPid", (json_int_t)getpid(), "MonitorStart",
                      (json_int_t)proc_start_time(getpid()), "RestartCount", m->restarts);
    /* a start that cannot be recorded fails (the container goes with it): unrecorded, its
     * exit code and restarts would be lost */
    if (ctr_save_state(o->root, o->id, state, &err) < 0)
        goto fail;
    {
        /* the record, read once for both notes */
        _cleanup_berr_ struct berr *e2 = NULL;
        json_t *c __attribute__((cleanup(json_decrefp))) = ctr_load(o->root, o->id, &e2);
        note_volume_mounts(o, c);
        note(o, "start", c, -1);
    }
    if (ready >= 0)
        report(ready, NULL);
    ready = -1;
    if (o->tty) {
        close(out[0]);
        close(errp[0]);
        out[0] = errp[0] = -1;
    }
    exec_loop(o, m, pid, out[0], errp[0], pty, in[1], &err);
    /* no loop: the container cannot be watched, so it does not run */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    json_decref(state);
    finish(o, m, 255, 0);

fail:
    code = berr_exit_code(err);
    if (ready < 0) {
        /* a restart that failed: the container stays, exited, with the reason */
        if (created)
            rt_delete(o->rtroot, o->id, true, &e);
        json_t *st = json_pack("{s:s,s:s,s:i,s:i}", "Status", "exited", "Error",
                               err && err->msg ? err->msg : "restart failed", "ExitCode", code,
                               "RestartCount", m->restarts);
        ctr_save_state(o->root, o->id, st, &e);
        json_decref(st);
        close_attach(m, dir);
        umount2(rootfs, MNT_DETACH);
        send_exit(m, code);
        _exit(1);
    }
    report_failure(ready, err);
    close_attach(m, dir);
    if (created)
        rt_delete(o->rtroot, o->id, true, &e);
    umount2(rootfs, MNT_DETACH);
    if (!o->keep_on_failure) {
        ctr_name_forget(o->root, o->id);
        fs_rm_rf(dir);
    }
    _exit(1);
}

/* The container has exited (the loop says how): record it, then restart it or clean up */
static void finish(const struct monitor_opts *o, struct mon *m, int exit_code, long ran_ms)
{
    _cleanup_free_ char *dir = ctr_dir(o->root, o->id);
    char path[4300];
    struct berr *e2 = NULL;
    json_t *stats = rt_stats(o->rtroot, o->id, &e2);
    bool oom = stats && json_integer_value(json_object_get(stats, "oom_kill")) > 0;
    json_decref(stats);
    berr_free(e2);
    _cleanup_berr_ struct berr *e = NULL;
    rt_delete(o->rtroot, o->id, true, &e);
    char finished[64];
    rt_now_rfc3339(finished, sizeof(finished));
    snprintf(path, sizeof(path), "%s/state.json", dir);
    json_t *state = json_load_file(path, 0, NULL);
    if (!state)
        state = json_object();
    json_object_set_new(state, "Status", json_string("exited"));
    json_object_set_new(state, "ExitCode", json_integer(exit_code));
    json_object_set_new(state, "FinishedAt", json_string(finished));
    json_object_set_new(state, "OOMKilled", json_boolean(oom && exit_code == 137));
    /* the journal first: whoever waits for the recorded exit (stop, wait) notes what
     * follows it (stop) after die, in docker's order */
    if (oom && exit_code == 137)
        note(o, "oom", NULL, -1);
    note(o, "die", NULL, exit_code);
    ctr_save_state(o->root, o->id, state, &e);
    /* the restart policy, as docker's: not after a stop or kill by the user; on-failure
     * only for a non-zero code, and at most max_restarts times; a delay that doubles from
     * 100 ms (to 1 min), back to 100 ms after a run of 10 s or more */
    snprintf(path, sizeof(path), "%s/stopped-by-user", dir);
    struct stat sb;
    bool by_user = stat(path, &sb) == 0;
    bool again = !by_user && o->restart != RESTART_NO &&
                 !(o->restart == RESTART_ON_FAILURE &&
                   (exit_code == 0 || (o->max_restarts > 0 && m->restarts >= o->max_restarts)));
    if (again && stat(dir, &sb) == 0) {
        json_object_set_new(state, "Status", json_string("restarting"));
        ctr_save_state(o->root, o->id, state, &e);
        if (ran_ms >= 10000)
            m->delay_ms = 100;
        usleep(m->delay_ms * 1000);
        m->delay_ms = m->delay_ms * 2 > 60000 ? 60000 : m->delay_ms * 2;
        if (stat(path, &sb) != 0) {
            json_decref(state);
            m->restarts++;
            /* a client attached at start sees the first run only, as with docker */
            send_exit(m, exit_code);
            run(o, m, -1);
        }
        json_object_set_new(state, "Status", json_string("exited"));
        ctr_save_state(o->root, o->id, state, &e);
    }
    json_decref(state);
    close_attach(m, dir);
    if (o->auto_remove) {
        /* --rm: the container is gone for ps and its name is free at once (its directory
         * renamed out of sight, with its anonymous volumes removed); the files and the mount
         * go after the client has its answer, off `run --rm`'s path (an unmount waits for an
         * RCU grace period). A monitor killed meanwhile leaves the rest to reap_stale. */
        json_t *c = ctr_load(o->root, o->id, &e);
        note(o, "destroy", c, -1);
        ctr_name_release(o->root, json_string_value(json_object_get(c, "Name")), o->id);
        char trash[4300];
        int tn = snprintf(trash, sizeof(trash), "%s/containers/.removing-%s", o->root, o->id);
        if (tn >= (int)sizeof(trash) || rename(dir, trash) < 0)
            snprintf(trash, sizeof(trash), "%s", dir);
        vol_remove_anonymous(o->root, json_object_get(c, "Mounts"));
        json_decref(c);
        send_exit(m, exit_code);
        /* never a removal under a mount that could not be named: reap_stale does it later */
        if (snprintf(path, sizeof(path), "%s/rootfs", trash) < (int)sizeof(path)) {
            umount2(path, MNT_DETACH);
            fs_rm_rf(trash);
        }
        _exit(0);
    }
    /* unmounted before the client learns the code: the next start or cp mounts the same
     * upper directory, which overlayfs refuses while our mount holds it */
    snprintf(path, sizeof(path), "%s/rootfs", dir);
    umount2(path, MNT_DETACH);
    send_exit(m, exit_code);
    _exit(0);
}

int monitor_resume(int argc, char **argv)
{
    const char *root = NULL, *rtroot = NULL, *id = NULL;
    struct mon m = {.sfd = -1, .lfd = -1, .delay_ms = 100};
    int code = 255;
    long ran = 0;
    for (int i = 1; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq)
            continue;
        size_t kl = eq - argv[i];
        const char *v = eq + 1;
#define IS(k) (kl == strlen(k) && !strncmp(argv[i], k, kl))
        if (IS("root"))
            root = v;
        else if (IS("rtroot"))
            rtroot = v;
        else if (IS("id"))
            id = v;
        else if (IS("sfd"))
            m.sfd = atoi(v);
        else if (IS("lfd"))
            m.lfd = atoi(v);
        else if (IS("cl"))
            for (char *e = (char *)v; *e && m.ncl < 16;) {
                int fd = (int)strtol(e, &e, 10);
                if (fd >= 0)
                    m.cl[m.ncl++] = fd;
                if (*e != ',')
                    break;
                e++;
            }
        else if (IS("restarts"))
            m.restarts = atoi(v);
        else if (IS("delay"))
            m.delay_ms = atol(v);
        else if (IS("code"))
            code = atoi(v);
        else if (IS("ran"))
            ran = atol(v);
        else if (IS("dir") || IS("berth"))
            close(atoi(v));
#undef IS
    }
    /* only the loop execs this, handing over its signalfd: a berth-monitor run by hand
     * (a link of that name) does nothing */
    char fdp[64], what[64] = "";
    snprintf(fdp, sizeof(fdp), "/proc/self/fd/%d", m.sfd);
    ssize_t wl = m.sfd >= 0 ? readlink(fdp, what, sizeof(what) - 1) : -1;
    if (wl > 0)
        what[wl] = 0;
    if (!root || !rtroot || !id || strcmp(what, "anon_inode:[signalfd]") != 0) {
        fprintf(stderr, "berth-monitor: started by a container's monitor only\n");
        return 125;
    }
    for (int fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) < 0)
            open("/dev/null", O_RDWR);
    m.null = open("/dev/null", O_RDWR | O_CLOEXEC);
    fcntl(m.sfd, F_SETFD, FD_CLOEXEC);
    fcntl(m.lfd, F_SETFD, FD_CLOEXEC);
    for (int k = 0; k < m.ncl; k++)
        fcntl(m.cl[k], F_SETFD, FD_CLOEXEC);
    /* the container's settings, as recorded */
    _cleanup_berr_ struct berr *e = NULL;
    json_t *c = ctr_load(root, id, &e);
    struct monitor_opts o = {.root = root, .rtroot = rtroot, .id = id};
    monitor_opts_from_record(c, &o);
    /* o points into c, which lives as long as this process */
    finish(&o, &m, code, ran);
    return 0;
}

/* The monitor itself, in the helper's process. Never returns. */
static _Noreturn void monitor_main(const struct monitor_opts *o, int ready)
{
    struct berr *err = NULL;
    _cleanup_free_ char *dir = ctr_dir(o->root, o->id);
    struct mon m = {.sfd = -1, .lfd = -1, .delay_ms = 100};
    if (o->attach_fd >= 0)
        m.cl[m.ncl++] = o->attach_fd;

    setsid();
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    /* what the monitor makes (its attach socket, logs, state) is the container's and root's
     * alone, whatever umask the caller had: 077 here, explicit modes below. The container's
     * own processes get the spec's umask (0022 by default), never this one. */
    umask(0077);
    /* nothing of the caller's but the report pipe and the client: a shell's
     * $(berth run -d ...) must not wait for us, nor may we hold its locks */
    int keep[2] = {ready, o->attach_fd};
    if (keep[1] < keep[0]) {
        keep[0] = o->attach_fd;
        keep[1] = ready;
    }
    int from = 3;
    for (int k = 0; k < 2; k++) {
        if (keep[k] < from)
            continue;
        if (keep[k] > from)
            close_range(from, keep[k] - 1, 0);
        from = keep[k] + 1;
    }
    close_range(from, ~0U, 0);
    /* the container's exit must not be missed: SIGCHLD is blocked from now on (across the
     * loop's exec too), read from a signalfd */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    m.null = open("/dev/null", O_RDWR | O_CLOEXEC);
    m.sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (m.null < 0 || m.sfd < 0) {
        berr_sys(&err, errno, "monitor");
        goto fail;
    }
    /* a stop by the user from an earlier run does not hold for this one */
    {
        char stopped[4300];
        snprintf(stopped, sizeof(stopped), "%s/stopped-by-user", dir);
        unlink(stopped);
    }
    /* `berth attach` connects here: <dir>/attach, bound through the directory (a long
     * state root would not fit in sun_path) and reachable only as the directory is (0700) */
    m.lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "attach");
        _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        unlinkat(dfd, "attach", 0);
        if (m.lfd < 0 || dfd < 0 || fchdir(dfd) < 0 ||
            bind(m.lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(m.lfd, 4) < 0 ||
            chdir("/") < 0) {
            berr_sys(&err, errno, "monitor: attach socket");
            goto fail;
        }
    }
    run(o, &m, ready);

fail:
    report_failure(ready, err);
    close_attach(&m, dir);
    char rootfs[4300];
    snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
    umount2(rootfs, MNT_DETACH);
    if (!o->keep_on_failure) {
        ctr_name_forget(o->root, o->id);
        fs_rm_rf(dir);
    }
    _exit(1);
}

/* The monitor's options as the job's arguments: what a monitor exec'd afresh needs */
static json_t *opts_json(const struct monitor_opts *o)
{
    return json_pack("{s:s,s:b,s:b,s:b,s:i,s:i,s:I,s:i,s:b,s:b,s:b,s:O?}", "id", o->id, "tty",
                     o->tty, "auto_remove", o->auto_remove, "keep_on_failure", o->keep_on_failure,
                     "restart", o->restart, "max_restarts", o->max_restarts, "log_max_size",
                     (json_int_t)o->log_max_size, "log_max_files", o->log_max_files, "no_log",
                     o->no_log, "interactive", o->interactive, "attach", o->attach_fd >= 0,
                     "prepare", o->prepare);
}

int monitor_job(struct spawn_job *j, struct berr **err)
{
    json_t *a = j->args;
    struct engine *e = j->e;
#define B(k) json_is_true(json_object_get(a, k))
#define I(k) json_integer_value(json_object_get(a, k))
    struct monitor_opts o = {.root = e->root,
                             .rtroot = e->rtroot,
                             .id = json_string_value(json_object_get(a, "id")),
                             .tty = B("tty"),
                             .auto_remove = B("auto_remove"),
                             .keep_on_failure = B("keep_on_failure"),
                             .restart = (int)I("restart"),
                             .max_restarts = (int)I("max_restarts"),
                             .log_max_size = (long)I("log_max_size"),
                             .log_max_files = (int)I("log_max_files"),
                             .no_log = B("no_log"),
                             .interactive = B("interactive"),
                             .attach_fd = B("attach") && j->nfds ? j->fds[0] : -1,
                             .prepare = json_object_get(a, "prepare")};
#undef B
#undef I
    if (!o.id || !ctr_is_id(o.id))
        return berr_set(err, BERR_INTERNAL, EINVAL, "monitor: no container ID");
    /* the container is the monitor's from here, before its mount: a sweep (ctr_reap_stale)
     * that finds the caller killed meanwhile leaves it alone. The mount is in a namespace of
     * the monitor's own: it goes with the monitor, and the host never sees it. */
    char owner[64];
    int on = proc_self_owner(owner, sizeof(owner));
    _cleanup_free_ char *dir = ctr_dir(e->root, o.id);
    _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return berr_sys(err, errno, "monitor: %s", dir);
    if (fs_write_replace(dfd, "owner", owner, on, 0600, err) < 0)
        return -1;
    if (o.prepare && ctr_prepare(e, o.id, o.prepare, err) < 0)
        return -1;
    int ready = j->report;
    j->report = -1; /* the monitor's now: it reports once the container runs */
    monitor_main(&o, ready);
}

int monitor_start(struct engine *e, const struct monitor_opts *o, struct berr **err)
{
    json_t *args __attribute__((cleanup(json_decrefp))) = opts_json(o);
    /* the monitor outlives the call, and is not waited for: its loop reaps the container,
     * and berth-monitor records the exit */
    int r = spawn_run(e, "monitor", args, &o->attach_fd, o->attach_fd >= 0 ? 1 : 0, SPAWN_DETACH,
                      NULL, err);
    return r < 0 ? r : 0;
}

int attach_connect(const char *dir, struct berr **err)
{
    _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return berr_sys(err, errno, "attach: %s", dir);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/attach", dfd);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return berr_sys(err, e, "attach: the container's monitor");
    }
    return fd;
}

/* monitor.c - the per-container monitor */
#include "monitor.h"
#include "containers.h"
#include "volumes.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/proc.h"
#include "runtime/container.h"
#include "runtime/state.h"
#include <fcntl.h>
#include <time.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct logger {
    int fd;
    char *path;
    long size, max_size;
    int max_files;
    char buf[2][16384]; /* a partial line per stream */
    size_t fill[2];
};

static void log_rotate(struct logger *lg)
{
    if (lg->max_files < 2) {
        ftruncate(lg->fd, 0);
        lg->size = 0;
        return;
    }
    char from[4200], to[4200];
    for (int i = lg->max_files - 1; i >= 1; i--) {
        if (i == 1)
            snprintf(from, sizeof(from), "%s", lg->path);
        else
            snprintf(from, sizeof(from), "%s.%d", lg->path, i - 1);
        snprintf(to, sizeof(to), "%s.%d", lg->path, i);
        rename(from, to);
    }
    close(lg->fd);
    lg->fd = open(lg->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    lg->size = 0;
}

/* One json-file line: {"log":"...","stream":"stdout","time":"..."} */
static void log_line(struct logger *lg, int stream, const char *data, size_t len)
{
    if (lg->fd < 0)
        return;
    char ts[64];
    rt_now_rfc3339(ts, sizeof(ts));
    json_t *o = json_object();
    json_object_set_new(o, "log", json_stringn_nocheck(data, len));
    json_object_set_new(o, "stream", json_string(stream ? "stderr" : "stdout"));
    json_object_set_new(o, "time", json_string(ts));
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!text)
        return;
    size_t tl = strlen(text);
    text[tl++] = '\n';
    if (lg->size + (long)tl > lg->max_size && lg->size > 0)
        log_rotate(lg);
    if (write(lg->fd, text, tl) == (ssize_t)tl)
        lg->size += tl;
    free(text);
}

static void log_data(struct logger *lg, int stream, const char *data, size_t len, bool flush)
{
    for (size_t i = 0; i < len; i++) {
        lg->buf[stream][lg->fill[stream]++] = data[i];
        if (data[i] == '\n' || lg->fill[stream] == sizeof(lg->buf[0])) {
            log_line(lg, stream, lg->buf[stream], lg->fill[stream]);
            lg->fill[stream] = 0;
        }
    }
    if (flush && lg->fill[stream]) {
        log_line(lg, stream, lg->buf[stream], lg->fill[stream]);
        lg->fill[stream] = 0;
    }
}

int attach_send(int fd, char type, const void *data, size_t len, int flags)
{
    struct iovec iov[2] = {{.iov_base = &type, .iov_len = 1},
                           {.iov_base = (void *)data, .iov_len = len}};
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
    for (;;) {
        if (sendmsg(fd, &m, flags | MSG_NOSIGNAL) >= 0)
            return 0;
        if (errno != EINTR)
            return -errno;
    }
}

/* The attached client, if any: output goes to it as well as to the log, input and window
 * sizes come from it. Input waits in `in` while the container does not read it, and the
 * client is not read meanwhile: a container that never reads its stdin cannot block the
 * monitor. */
struct client {
    int fd;    /* -1: none (never attached, or gone) */
    int in_fd; /* where input goes: the pty master, or the stdin pipe; -1 closed */
    bool tty;
    bool in_eof; /* close in_fd once `in` is written */
    char in[ATTACH_MAX + 1];
    size_t in_len, in_off;
};

static void client_gone(struct client *cl)
{
    if (cl->fd >= 0)
        close(cl->fd);
    cl->fd = -1;
    /* docker's StdinOnce: a run -i's input ends with its client */
    if (!cl->tty)
        cl->in_eof = true;
}

static void client_output(struct client *cl, int stream, const char *data, size_t len)
{
    if (cl->fd >= 0 &&
        attach_send(cl->fd, stream ? ATTACH_STDERR : ATTACH_STDOUT, data, len, 0) < 0)
        client_gone(cl);
}

/* A message from the client; pid is the container's process */
static void client_message(struct client *cl, pid_t pid)
{
    char msg[ATTACH_MAX + 2];
    ssize_t n = recv(cl->fd, msg, sizeof(msg) - 1, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        client_gone(cl);
        return;
    }
    switch (msg[0]) {
    case ATTACH_STDIN:
        if (cl->in_fd >= 0 && !cl->in_eof) {
            memcpy(cl->in, msg + 1, n - 1);
            cl->in_len = n - 1;
            cl->in_off = 0;
        }
        break;
    case ATTACH_STDIN_EOF:
        if (cl->tty && cl->in_fd >= 0) {
            /* end of input on a terminal: its EOF character, as a terminal would send */
            cl->in[0] = 4;
            cl->in_len = 1;
            cl->in_off = 0;
        } else {
            cl->in_eof = true;
        }
        break;
    case ATTACH_RESIZE:
        if (cl->tty && n == 1 + sizeof(struct winsize)) {
            struct winsize ws;
            memcpy(&ws, msg + 1, sizeof(ws));
            ioctl(cl->in_fd, TIOCSWINSZ, &ws);
        }
        break;
    case ATTACH_SIGNAL: {
        msg[n] = 0;
        int sig = atoi(msg + 1);
        if (sig > 0 && sig < 65 && pid > 0)
            kill(pid, sig);
        break;
    }
    }
}

/* Writes what input waits; closes a pipe whose input ended */
static void client_input(struct client *cl)
{
    while (cl->in_len > cl->in_off && cl->in_fd >= 0) {
        ssize_t w = write(cl->in_fd, cl->in + cl->in_off, cl->in_len - cl->in_off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return;
            cl->in_len = cl->in_off = 0; /* the reader is gone */
            break;
        }
        cl->in_off += w;
    }
    cl->in_len = cl->in_off = 0;
    if (cl->in_eof && !cl->tty && cl->in_fd >= 0) {
        close(cl->in_fd);
        cl->in_fd = -1;
    }
}

static void report(int fd, int code, const char *msg)
{
    dprintf(fd, "%d %s", code, msg ? msg : "");
    close(fd);
}

/* The monitor itself, in the forked child. Never returns. */
static void monitor_main(const struct monitor_opts *o, int ready)
{
    struct berr *err = NULL;
    int code = 125;
    _cleanup_free_ char *dir = ctr_dir(o->root, o->id);
    char rootfs[4200], logpath[4200];
    snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
    snprintf(logpath, sizeof(logpath), "%s/json.log", dir);
    bool created = false;
    json_t *state = NULL; /* the record of the current run */

    setsid();
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    /* nothing of the caller's but the report pipe: a shell's $(berth run -d ...) must not
     * wait for us, nor may we hold its locks */
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
    /* the container's exit must not be missed: SIGCHLD is blocked from now on, read from a
     * signalfd later */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    /* the root file system was mounted by the caller in a mount namespace of its own, which
     * is ours now: it goes with the monitor, and the host never sees it */
    {
        char owner[64];
        int on = snprintf(owner, sizeof(owner), "%d %llu", getpid(),
                          (unsigned long long)proc_start_time(getpid()));
        _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fs_write_atomic(dfd, "owner", owner, on, 0600, &err) < 0)
            goto fail;
    }

    struct logger lg = {
        .max_size = o->log_max_size, .max_files = o->log_max_files, .path = logpath};
    lg.fd = o->no_log ? -1 : open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if ((lg.fd < 0 && !o->no_log) || null < 0 || sfd < 0) {
        berr_sys(&err, errno, "monitor: log");
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
    int lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "attach");
        _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        unlinkat(dfd, "attach", 0);
        if (lfd < 0 || dfd < 0 || fchdir(dfd) < 0 ||
            bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0 ||
            chdir("/") < 0) {
            berr_sys(&err, errno, "monitor: attach socket");
            goto fail;
        }
    }
    int restarts = 0;
    struct client cl = {.fd = o->attach_fd, .in_fd = -1, .tty = o->tty};
again:;
    int out[2] = {-1, -1}, errp[2] = {-1, -1}, in[2] = {-1, -1};
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
        (o->interactive && !o->tty && pipe2(in, O_CLOEXEC) < 0)) {
        berr_sys(&err, errno, "monitor: log pipes");
        goto fail;
    }
    /* the container inherits our stdio: /dev/null in (a pipe from the client with -i), the
     * pipes out (or a pty with -t) */
    dup2(in[0] >= 0 ? in[0] : null, STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(errp[1], STDERR_FILENO);
    struct rt_create_opts co = {.bundle = dir, .want_pty = o->tty, .subreaper = true};
    pid_t pid;
    int pty = -1;
    int r = rt_create(o->rtroot, o->id, &co, &pid, &pty, &err);
    /* keep no write end of the pipes: EOF comes when the container's last writer is gone */
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    close(out[1]);
    close(errp[1]);
    if (in[0] >= 0)
        close(in[0]);
    cl.in_fd = o->tty ? pty : in[1];
    cl.in_eof = false;
    if (cl.in_fd >= 0)
        fcntl(cl.in_fd, F_SETFL, fcntl(cl.in_fd, F_GETFL) | O_NONBLOCK);
    if (r < 0) {
        if (err && err->msg && strncmp(err->msg, "exec: ", 6) == 0)
            code = err->errnum == ENOENT ? 127 : 126;
        goto fail;
    }
    created = true;
    if (rt_start(o->rtroot, o->id, &err) < 0)
        goto fail;

    char started[64];
    rt_now_rfc3339(started, sizeof(started));
    json_decref(state);
    state = json_pack("{s:s,s:i,s:I,s:s,s:i,s:I,s:I,s:i}", "Status", "running", "Pid", pid,
                      "PidStart", (json_int_t)proc_start_time(pid), "StartedAt", started,
                      "ExitCode", 0, "MonitorPid", (json_int_t)getpid(), "MonitorStart",
                      (json_int_t)proc_start_time(getpid()), "RestartCount", restarts);
    ctr_save_state(o->root, o->id, state, NULL);
    if (ready >= 0)
        report(ready, 0, "");
    ready = -1;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    /* copy output into the log (and to the client) until the container is gone */
    int exit_code = -1;
    bool out_open = pty < 0, err_open = pty < 0, pty_open = pty >= 0;
    char buf[ATTACH_MAX];
    while (exit_code < 0 || out_open || err_open || pty_open) {
        bool waiting = cl.in_len > cl.in_off;
        struct pollfd p[6] = {
            {.fd = out_open ? out[0] : -1, .events = POLLIN},
            {.fd = err_open ? errp[0] : -1, .events = POLLIN},
            {.fd = pty_open ? pty : -1, .events = POLLIN},
            {.fd = sfd, .events = POLLIN},
            {.fd = waiting ? cl.in_fd : cl.fd, .events = waiting ? POLLOUT : POLLIN},
            {.fd = exit_code < 0 ? lfd : -1, .events = POLLIN}};
        if (poll(p, 6, exit_code >= 0 ? 200 : -1) == 0)
            break; /* exited, and nothing more came: a grandchild may hold the pipe */
        if (p[5].revents & POLLIN) {
            /* one client at a time: a second is told so and let go */
            int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            if (c >= 0 && cl.fd >= 0) {
                attach_send(c, ATTACH_BUSY, NULL, 0, MSG_DONTWAIT);
                close(c);
            } else if (c >= 0) {
                cl.fd = c;
            }
        }
        for (int i = 0; i < 3; i++) {
            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = read(p[i].fd, buf, sizeof(buf));
            if (n > 0) {
                log_data(&lg, i == 1, buf, n, false);
                client_output(&cl, i == 1, buf, n);
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                if (i == 0)
                    out_open = false;
                else if (i == 1)
                    err_open = false;
                else
                    pty_open = false;
            }
        }
        if (p[3].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof(si)) == sizeof(si))
                ;
            int status;
            pid_t w;
            while ((w = waitpid(-1, &status, WNOHANG)) > 0)
                if (w == pid)
                    exit_code = proc_exit_code(status);
        }
        if (p[4].revents && !waiting)
            client_message(&cl, exit_code < 0 ? pid : 0);
        if (p[4].revents || cl.in_eof)
            client_input(&cl);
    }
    log_data(&lg, 0, "", 0, true);
    log_data(&lg, 1, "", 0, true);

    /* the container's record: how it ended */
    struct berr *e2 = NULL;
    json_t *stats = rt_stats(o->rtroot, o->id, &e2);
    bool oom = stats && json_integer_value(json_object_get(stats, "oom_kill")) > 0;
    json_decref(stats);
    berr_free(e2);
    rt_delete(o->rtroot, o->id, true, NULL);
    char finished[64];
    rt_now_rfc3339(finished, sizeof(finished));
    json_object_set_new(state, "Status", json_string("exited"));
    json_object_set_new(state, "ExitCode", json_integer(exit_code < 0 ? 255 : exit_code));
    json_object_set_new(state, "FinishedAt", json_string(finished));
    json_object_set_new(state, "OOMKilled", json_boolean(oom && exit_code == 137));
    ctr_save_state(o->root, o->id, state, NULL);
    close(out[0]);
    close(errp[0]);
    if (in[1] >= 0 && cl.in_fd == in[1])
        close(in[1]);
    cl.in_fd = -1;
    if (pty >= 0)
        close(pty);
    created = false;
    /* the restart policy, as docker's: not after a stop or kill by the user; on-failure
     * only for a non-zero code, and at most max_restarts times; a delay that doubles from
     * 100 ms (to 1 min), back to 100 ms after a run of 10 s or more */
    {
        char stopped[4300];
        snprintf(stopped, sizeof(stopped), "%s/stopped-by-user", dir);
        struct stat sb;
        bool by_user = stat(stopped, &sb) == 0;
        bool again_ = !by_user && o->restart != RESTART_NO &&
                      !(o->restart == RESTART_ON_FAILURE &&
                        (exit_code == 0 || (o->max_restarts > 0 && restarts >= o->max_restarts)));
        if (again_ && stat(dir, &sb) == 0) {
            struct timespec t1;
            clock_gettime(CLOCK_MONOTONIC, &t1);
            json_object_set_new(state, "Status", json_string("restarting"));
            ctr_save_state(o->root, o->id, state, NULL);
            static long delay_ms = 100;
            if (t1.tv_sec - t0.tv_sec >= 10)
                delay_ms = 100;
            usleep(delay_ms * 1000);
            delay_ms = delay_ms * 2 > 60000 ? 60000 : delay_ms * 2;
            if (stat(stopped, &sb) != 0) {
                restarts++;
                /* a client attached at start sees the first run only, as with docker */
                if (cl.fd >= 0) {
                    char c[16];
                    attach_send(cl.fd, ATTACH_EXIT, c,
                                snprintf(c, sizeof(c), "%d", exit_code < 0 ? 255 : exit_code), 0);
                    client_gone(&cl);
                }
                goto again;
            }
            json_object_set_new(state, "Status", json_string("exited"));
            ctr_save_state(o->root, o->id, state, NULL);
        }
    }
    json_decref(state);
    umount2(rootfs, MNT_DETACH);
    close(lfd);
    {
        char sock[4300];
        snprintf(sock, sizeof(sock), "%s/attach", dir);
        unlink(sock);
    }
    if (o->auto_remove) {
        json_t *c = ctr_load(o->root, o->id, NULL);
        fs_rm_rf(dir);
        vol_remove_anonymous(o->root, json_object_get(c, "Mounts"));
        json_decref(c);
    }
    /* the client learns the code last: `run --rm` returns once the container is gone */
    if (cl.fd >= 0) {
        char c[16];
        attach_send(cl.fd, ATTACH_EXIT, c,
                    snprintf(c, sizeof(c), "%d", exit_code < 0 ? 255 : exit_code), 0);
    }
    _exit(0);

fail:
    if (ready < 0) {
        /* a restart that failed: the container stays, exited, with the reason */
        if (created)
            rt_delete(o->rtroot, o->id, true, NULL);
        if (state) {
            json_object_set_new(state, "Status", json_string("exited"));
            json_object_set_new(state, "Error",
                                json_string(err && err->msg ? err->msg : "restart failed"));
            ctr_save_state(o->root, o->id, state, NULL);
        }
        umount2(rootfs, MNT_DETACH);
        _exit(1);
    }
    report(ready, code, err && err->msg ? err->msg : "monitor failed");
    if (created)
        rt_delete(o->rtroot, o->id, true, NULL);
    umount2(rootfs, MNT_DETACH);
    if (!o->keep_on_failure)
        fs_rm_rf(dir);
    _exit(1);
}

int monitor_start(const struct monitor_opts *o, struct berr **err)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return berr_sys(err, errno, "monitor: pipe");
    fflush(NULL);
    pid_t m = fork();
    if (m < 0) {
        close(p[0]);
        close(p[1]);
        return berr_sys(err, errno, "monitor: fork");
    }
    if (m == 0) {
        close(p[0]);
        monitor_main(o, p[1]);
    }
    close(p[1]);
    char buf[4096];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof(buf) - 1 && (n = read(p[0], buf + len, sizeof(buf) - 1 - len)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        len += n;
    }
    close(p[0]);
    buf[len] = 0;
    int code = 125;
    char *msg = buf;
    if (len && sscanf(buf, "%d", &code) == 1) {
        msg = strchr(buf, ' ');
        msg = msg ? msg + 1 : buf + len;
    }
    if (len && code == 0)
        return 0;
    /* the monitor failed: it reaps itself... we reap it, it is our child */
    waitpid(m, NULL, 0);
    return berr_set(err,
                    code == 127   ? BERR_NOT_FOUND
                    : code == 126 ? BERR_INVALID
                                  : BERR_INTERNAL,
                    code == 127   ? ENOENT
                    : code == 126 ? EACCES
                                  : EIO,
                    "%s", len ? msg : "the container's monitor died while starting it");
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

/* monitor-loop.c - what a container's monitor does while the container runs.
 *
 * Built with musl, statically, and embedded in berth: the monitor (berth itself, see
 * monitor.c) creates and starts the container, then execs this from a sealed memfd, so that
 * the process that stays for the container's whole life maps none of berth's libraries and
 * holds about a hundred KiB (docs/monitor.md). It copies the container's output into
 * json.log (Docker's json-file lines, rotated) and to the attached client, passes the
 * client's input, window size and signals on, accepts `berth attach`, and reaps the
 * container's processes. When the container has exited and its output is drained, it
 * execs berth again (the fd `berth=`) to record the exit, apply the restart policy and
 * clean up.
 *
 * argv: berth-monitor key=value... (from monitor.c; unknown keys are passed back to berth):
 *   pid=  the container's process       out= err=  its output pipes (-1 with a terminal)
 *   pty=  the terminal's master (-1)     in=  its stdin pipe (-1)
 *   sfd=  signalfd for SIGCHLD          lfd= the attach socket
 *   cl=   the client attached from the start (run, start -a), or -1
 *   log=  json.log (-1: none)           dir= the container's dir  max= files= rotation
 *   tty=  0 or 1                        berth= berth's binary (O_PATH)
 * It adds code= (the exit code, 255 if unknown), ran= (milliseconds it ran) and cl=, the
 * clients attached at the end, comma-separated. */
#define _GNU_SOURCE
#include "attach-proto.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int pid = -1, out_fd = -1, err_fd = -1, pty = -1, in_fd = -1, sfd = -1, lfd = -1,
           log_fd = -1, dir_fd = -1, files = 3, berth_fd = -1;
/* the attached clients; the first one's going ends a run -i's input (docker's StdinOnce) */
#define MAX_CLIENTS 16
static int cls[MAX_CLIENTS], ncl, first_cl = -1;
static bool tty, in_eof;
static long max_size = 10000000, log_size;
static char line[2][ATTACH_MAX]; /* a partial line per stream */
static size_t fill[2];
static char in_buf[ATTACH_MAX + 1]; /* input the container has not read yet */
static size_t in_len, in_off;

static void rotate(void)
{
    if (files < 2) {
        ftruncate(log_fd, 0);
        log_size = 0;
        return;
    }
    /* the new file first: one that cannot be made leaves the log going on in the old one
     * (tried again after another max_size), never stopped for good */
    int nfd =
        openat(dir_fd, ".json.log.new", O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    log_size = 0;
    if (nfd < 0)
        return;
    char from[32], to[32];
    for (int i = files - 1; i >= 1; i--) {
        if (i == 1)
            snprintf(from, sizeof(from), "json.log");
        else
            snprintf(from, sizeof(from), "json.log.%d", i - 1);
        snprintf(to, sizeof(to), "json.log.%d", i);
        renameat(dir_fd, from, dir_fd, to);
    }
    if (renameat(dir_fd, ".json.log.new", dir_fd, "json.log") < 0) {
        close(nfd);
        unlinkat(dir_fd, ".json.log.new", 0);
        return;
    }
    close(log_fd);
    log_fd = nfd;
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 */
static int utf8_len(const unsigned char *p, size_t left)
{
    int n = p[0] < 0x80             ? 1
            : (p[0] & 0xe0) == 0xc0 ? 2
            : (p[0] & 0xf0) == 0xe0 ? 3
            : (p[0] & 0xf8) == 0xf0 ? 4
                                    : 0;
    if (!n || (size_t)n > left || (n == 2 && p[0] < 0xc2))
        return 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if (n == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0)))
        return 0; /* overlong, surrogates */
    if (n == 4 && ((p[0] == 0xf0 && p[1] < 0x90) || p[0] > 0xf4 || (p[0] == 0xf4 && p[1] >= 0x90)))
        return 0;
    return n;
}

/* One json-file line: {"log":"...","stream":"stdout","time":"..."}; bytes that are not
 * UTF-8 become U+FFFD, as Docker's encoder makes them */
static void log_line(int stream, const char *data, size_t len)
{
    if (log_fd < 0)
        return;
    static char out[ATTACH_MAX * 6 + 128];
    size_t o = 0;
    o += sprintf(out, "{\"log\":\"");
    for (size_t i = 0; i < len;) {
        unsigned char c = data[i];
        int n = utf8_len((const unsigned char *)data + i, len - i);
        if (n == 0) {
            o += sprintf(out + o, "\\ufffd");
            i++;
        } else if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = c;
            i++;
        } else if (c < 0x20) {
            const char *e = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
            o += e ? (size_t)sprintf(out + o, "%s", e) : (size_t)sprintf(out + o, "\\u%04x", c);
            i++;
        } else {
            memcpy(out + o, data + i, n);
            o += n;
            i += n;
        }
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    o += sprintf(out + o,
                 "\",\"stream\":\"%s\",\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ\"}\n",
                 stream ? "stderr" : "stdout", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
    if (log_size + (long)o > max_size && log_size > 0)
        rotate();
    if (write(log_fd, out, o) == (ssize_t)o)
        log_size += o;
}

static void log_data(int stream, const char *data, size_t len, bool flush)
{
    for (size_t i = 0; i < len; i++) {
        line[stream][fill[stream]++] = data[i];
        if (data[i] == '\n' || fill[stream] == sizeof(line[0])) {
            log_line(stream, line[stream], fill[stream]);
            fill[stream] = 0;
        }
    }
    if (flush && fill[stream]) {
        log_line(stream, line[stream], fill[stream]);
        fill[stream] = 0;
    }
}

static void client_gone(int k)
{
    if (cls[k] == first_cl && !tty)
        in_eof = true;
    close(cls[k]);
    cls[k] = cls[--ncl];
}

static void client_message(int k, bool running)
{
    char msg[ATTACH_MAX + 2];
    ssize_t n = recv(cls[k], msg, sizeof(msg) - 1, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        client_gone(k);
        return;
    }
    int target = tty ? pty : in_fd;
    switch (msg[0]) {
    case ATTACH_STDIN:
        if (target >= 0 && !in_eof) {
            memcpy(in_buf, msg + 1, n - 1);
            in_len = n - 1;
            in_off = 0;
        }
        break;
    case ATTACH_STDIN_EOF:
        if (tty && pty >= 0) {
            in_buf[0] = 4; /* a terminal's end of input: its EOF character */
            in_len = 1;
            in_off = 0;
        } else {
            in_eof = true;
        }
        break;
    case ATTACH_RESIZE:
        if (tty && pty >= 0 && n == 1 + sizeof(struct winsize)) {
            struct winsize ws;
            memcpy(&ws, msg + 1, sizeof(ws));
            ioctl(pty, TIOCSWINSZ, &ws);
        }
        break;
    case ATTACH_SIGNAL: {
        msg[n] = 0;
        int sig = atoi(msg + 1);
        if (sig > 0 && sig < 65 && running)
            kill(pid, sig);
        break;
    }
    }
}

/* Writes what input waits; closes a pipe whose input ended */
static void client_input(void)
{
    int target = tty ? pty : in_fd;
    while (in_len > in_off && target >= 0) {
        ssize_t w = write(target, in_buf + in_off, in_len - in_off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return;
            break; /* the reader is gone */
        }
        in_off += w;
    }
    in_len = in_off = 0;
    if (in_eof && !tty && in_fd >= 0) {
        close(in_fd);
        in_fd = -1;
    }
}

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
    /* Input for a container that has exited meets a pipe with no reader: that is EPIPE for
     * client_input, never a SIGPIPE that kills the monitor (and loses the exit code). The
     * container is already running; and its init resets ignored signals anyway. */
    signal(SIGPIPE, SIG_IGN);
    /* ours; the rest goes back to berth */
    char **pass = calloc(argc + 4, sizeof(char *));
    int np = 0;
    pass[np++] = "berth-monitor";
    for (int i = 1; i < argc; i++) {
        char *a = argv[i], *eq = strchr(a, '=');
        long v = eq ? strtol(eq + 1, NULL, 10) : 0;
#define KEY(k) (eq && (size_t)(eq - a) == strlen(k) && !strncmp(a, k, eq - a))
        if (KEY("cl")) {
            if (v >= 0)
                cls[ncl++] = first_cl = v;
        } else {
            pass[np++] = a;
            if (KEY("pid"))
                pid = v;
            else if (KEY("out"))
                out_fd = v;
            else if (KEY("err"))
                err_fd = v;
            else if (KEY("pty"))
                pty = v;
            else if (KEY("in"))
                in_fd = v;
            else if (KEY("sfd"))
                sfd = v;
            else if (KEY("lfd"))
                lfd = v;
            else if (KEY("log"))
                log_fd = v;
            else if (KEY("dir"))
                dir_fd = v;
            else if (KEY("max"))
                max_size = v;
            else if (KEY("files"))
                files = v;
            else if (KEY("tty"))
                tty = v;
            else if (KEY("berth"))
                berth_fd = v;
        }
    }
    if (pid <= 0 || sfd < 0 || berth_fd < 0)
        return 125;
    struct stat st;
    if (log_fd >= 0 && fstat(log_fd, &st) == 0)
        log_size = st.st_size;
    int target = tty ? pty : in_fd;
    if (target >= 0)
        fcntl(target, F_SETFL, fcntl(target, F_GETFL) | O_NONBLOCK);
    long t0 = now_ms();

    int code = -1;
    bool out_open = out_fd >= 0, err_open = err_fd >= 0, pty_open = pty >= 0;
    static char buf[ATTACH_MAX];
    while (code < 0 || out_open || err_open || pty_open) {
        bool waiting = in_len > in_off;
        struct pollfd p[6 + MAX_CLIENTS] = {{.fd = out_open ? out_fd : -1, .events = POLLIN},
                                            {.fd = err_open ? err_fd : -1, .events = POLLIN},
                                            {.fd = pty_open ? pty : -1, .events = POLLIN},
                                            {.fd = sfd, .events = POLLIN},
                                            {.fd = waiting ? target : -1, .events = POLLOUT},
                                            {.fd = code < 0 ? lfd : -1, .events = POLLIN}};
        /* input waiting for the container: no client is read meanwhile */
        for (int k = 0; k < ncl; k++)
            p[6 + k] = (struct pollfd){.fd = cls[k], .events = waiting ? 0 : POLLIN};
        int r = poll(p, 6 + ncl, code >= 0 ? 200 : -1);
        if (r == 0)
            break; /* exited, and nothing more came: a grandchild may hold the pipe */
        if (r < 0)
            continue;
        for (int i = 0; i < 3; i++) {
            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = read(p[i].fd, buf, sizeof(buf));
            if (n > 0) {
                log_data(i == 1, buf, n, false);
                for (int k = ncl - 1; k >= 0; k--)
                    if (attach_send(cls[k], i == 1 ? ATTACH_STDERR : ATTACH_STDOUT, buf, n, 0) < 0)
                        client_gone(k);
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
                    code = WIFEXITED(status)     ? WEXITSTATUS(status)
                           : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                                 : 255;
        }
        if (p[5].revents & POLLIN) {
            int c = accept4(lfd, NULL, NULL, 0); /* kept across the exec of berth */
            if (c >= 0 && ncl == MAX_CLIENTS) {
                attach_send(c, ATTACH_BUSY, NULL, 0, MSG_DONTWAIT);
                attach_close(c);
            } else if (c >= 0) {
                cls[ncl++] = c;
            }
        }
        /* the clients polled this time, newest first: one that goes takes the last slot */
        int polled = r > 0 ? ncl : 0;
        for (int k = polled - 1; k >= 0; k--)
            if (k < ncl && p[6 + k].fd == cls[k] && p[6 + k].revents && in_len <= in_off)
                client_message(k, code < 0);
        if (p[4].revents || in_eof || in_len > in_off)
            client_input();
    }
    log_data(0, "", 0, true);
    log_data(1, "", 0, true);
    if (out_fd >= 0)
        close(out_fd);
    if (err_fd >= 0)
        close(err_fd);
    if (pty >= 0)
        close(pty);
    if (in_fd >= 0)
        close(in_fd);
    if (log_fd >= 0)
        close(log_fd);

    /* back to berth, for the rest */
    char a_code[32], a_ran[32], a_cl[16 * MAX_CLIENTS + 8];
    snprintf(a_code, sizeof(a_code), "code=%d", code < 0 ? 255 : code);
    snprintf(a_ran, sizeof(a_ran), "ran=%ld", now_ms() - t0);
    int o = snprintf(a_cl, sizeof(a_cl), "cl=");
    for (int k = 0; k < ncl; k++)
        o += snprintf(a_cl + o, sizeof(a_cl) - o, "%s%d", k ? "," : "", cls[k]);
    if (!ncl)
        snprintf(a_cl + o, sizeof(a_cl) - o, "-1");
    pass[np++] = a_code;
    pass[np++] = a_ran;
    pass[np++] = a_cl;
    pass[np] = NULL;
    syscall(SYS_execveat, berth_fd, "", pass, environ, AT_EMPTY_PATH);
    return 125;
}

/* attach.c - the client end of a container's monitor */
#include "attach.h"
#include "base/fs.h"
#include "engine/ctr-run.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

int attach_parse_keys(const char *spec, char *ret, size_t *ret_len, size_t max)
{
    size_t n = 0;
    const char *p = spec;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        int code = -1;
        if (len == 1)
            code = (unsigned char)p[0];
        else if (len == 6 && !strncasecmp(p, "ctrl-", 5)) {
            char c = p[5];
            if (c >= 'a' && c <= 'z')
                code = c - 'a' + 1;
            else if (c >= 'A' && c <= 'Z')
                code = c - 'A' + 1;
            else if (strchr("@[\\]^_", c))
                code = c == '@' ? 0 : c - '[' + 27;
        }
        if (code < 0 || n >= max)
            return -1;
        ret[n++] = (char)code;
        if (!end)
            break;
        p = end + 1;
        if (!*p)
            return -1;
    }
    if (n == 0)
        return -1;
    *ret_len = n;
    return 0;
}

static void send_size(int sock)
{
    struct winsize ws;
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
        ctr_attach_resize(sock, ws.ws_row, ws.ws_col);
}

int attach_client(int sock, const struct attach_client_opts *o)
{
    /* with a terminal, ours is raw: every key goes to the container's, which echoes */
    struct termios saved;
    bool raw = false;
    if (o->tty && o->stdin_open && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
        struct termios t = saved;
        cfmakeraw(&t);
        t.c_oflag = saved.c_oflag; /* keep output processing: the container's pty does it */
        raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
    }
    if (o->tty)
        send_size(sock);
    /* the signals a user sends to `berth run` are the container's (--sig-proxy) */
    sigset_t set, old;
    sigemptyset(&set);
    if (o->sig_proxy) {
        sigfillset(&set);
        sigdelset(&set, SIGSEGV);
        sigdelset(&set, SIGBUS);
        sigdelset(&set, SIGILL);
        sigdelset(&set, SIGFPE);
        sigdelset(&set, SIGCHLD);
        sigdelset(&set, SIGPIPE);
        sigdelset(&set, SIGTSTP);
        sigdelset(&set, SIGTTIN);
        sigdelset(&set, SIGTTOU);
    }
    sigaddset(&set, SIGWINCH);
    sigprocmask(SIG_BLOCK, &set, &old);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        /* blocked with nothing to read them, Ctrl-C and the rest would do nothing: they act
         * on berth as usual instead, and are not passed on */
        fprintf(stderr, "%sberth: attach: signals are not passed to the container: signalfd: %s\n",
                raw ? "\r" : "", strerror(errno));
        sigprocmask(SIG_SETMASK, &old, NULL);
    }

    char msg[CTR_ATTACH_MAX + 2], in[CTR_ATTACH_MAX];
    size_t in_len = 0, matched = 0; /* input waiting for the socket; detach keys seen */
    bool in_open = o->stdin_open, eof_pending = false;
    int code = 125;
    for (;;) {
        bool out_wait = in_len > 0 || eof_pending;
        struct pollfd p[3] = {{.fd = sock, .events = POLLIN | (out_wait ? POLLOUT : 0)},
                              {.fd = in_open && !out_wait ? STDIN_FILENO : -1, .events = POLLIN},
                              {.fd = sfd, .events = POLLIN}};
        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[0].revents & POLLIN) {
            struct ctr_attach_msg m;
            int n = ctr_attach_recv(sock, msg, sizeof(msg), &m);
            /* The monitor closed its end while input we sent was still unread there: the
             * kernel reports ECONNRESET once, before the messages already queued for us
             * (the rest of the output and the exit code). Read those: EOF comes after. */
            if (n == -ECONNRESET) {
                in_open = eof_pending = false;
                in_len = 0;
                continue;
            }
            if (n <= 0) {
                fprintf(stderr, "%sberth: the container's monitor went away; see `berth ps -a`\n",
                        raw ? "\r" : "");
                break;
            }
            if (m.kind == CTR_ATTACH_STDOUT || m.kind == CTR_ATTACH_STDERR)
                fs_write_all(m.kind == CTR_ATTACH_STDOUT ? STDOUT_FILENO : STDERR_FILENO, m.data,
                             m.len);
            else if (m.kind == CTR_ATTACH_BUSY) {
                fprintf(stderr, "berth: another client is attached to this container\n");
                code = 1;
                break;
            } else if (m.kind == CTR_ATTACH_EXIT) {
                code = m.exit_code;
                break;
            }
            continue; /* all output first: the exit comes after it */
        } else if (p[0].revents & (POLLHUP | POLLERR)) {
            fprintf(stderr, "%sberth: the container's monitor went away; see `berth ps -a`\n",
                    raw ? "\r" : "");
            break;
        }
        if (p[0].revents & POLLOUT) {
            if (in_len > 0) {
                if (ctr_attach_input(sock, in, in_len) == 0)
                    in_len = 0;
            } else if (eof_pending && ctr_attach_input_end(sock) == 0) {
                eof_pending = false;
            }
        }
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[CTR_ATTACH_MAX];
            ssize_t n = read(STDIN_FILENO, buf, sizeof(buf) - o->nkeys);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0) {
                in_open = false;
                eof_pending = true;
                continue;
            }
            /* the detach keys, with a terminal: held back while they match, let through
             * when the sequence breaks */
            for (ssize_t i = 0; i < n; i++) {
                if (o->tty && o->nkeys) {
                    if (buf[i] == o->keys[matched]) {
                        if (++matched == o->nkeys) {
                            code = ATTACH_DETACHED;
                            goto out;
                        }
                        continue;
                    }
                    if (matched) {
                        memcpy(in + in_len, o->keys, matched);
                        in_len += matched;
                        matched = 0;
                        if (buf[i] == o->keys[0]) {
                            matched = 1;
                            continue;
                        }
                    }
                }
                in[in_len++] = buf[i];
            }
        }
        if (p[2].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGWINCH) {
                    if (o->tty)
                        send_size(sock);
                    continue;
                }
                ctr_attach_signal(sock, (int)si.ssi_signo);
            }
        }
    }
out:
    if (raw)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    if (sfd >= 0)
        close(sfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return code;
}

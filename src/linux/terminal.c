/* terminal.c - ptys: made inside the container, the master handed out over a unix socket */
#include "init.h"
#include "base/fs.h"
#include "base/cleanup.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

int pty_open(int *ret_slave, char *ret_name, size_t name_len, struct berr **err)
{
    /* /dev/ptmx is the container's (exec opens it inside a running container, whose root
     * may have replaced it): O_NONBLOCK so that a fifo planted there cannot hang us, and the
     * node must be the pty multiplexer, char 5:2, before anything else is done with it */
    _cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (master < 0)
        return berr_sys(err, errno, "open /dev/ptmx");
    struct stat st;
    if (fstat(master, &st) < 0)
        return berr_sys(err, errno, "stat /dev/ptmx");
    if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2)
        return berr_set(err, BERR_INVALID, EPERM,
                        "/dev/ptmx is not the pty multiplexer (char 5:2): refused");
    int fl = fcntl(master, F_GETFL);
    if (fl < 0 || fcntl(master, F_SETFL, fl & ~O_NONBLOCK) < 0)
        return berr_sys(err, errno, "/dev/ptmx: clear O_NONBLOCK");
    if (unlockpt(master) < 0)
        return berr_sys(err, errno, "unlockpt");
    /* TIOCGPTPEER opens the slave through the master: no path lookup that a container
     * could redirect */
    int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0)
        return berr_sys(err, errno, "open pty slave");
    if (ptsname_r(master, ret_name, name_len) != 0)
        snprintf(ret_name, name_len, "/dev/pts/?");
    *ret_slave = slave;
    return TAKE_FD(master);
}

int pty_send_master(int sock, int master, const char *name, struct berr **err)
{
    char buf[CMSG_SPACE(sizeof(int))] = {0};
    struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof(buf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &master, sizeof(int));
    if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
        return berr_sys(err, errno, "send pty master to the console socket");
    return 0;
}

int pty_recv_fd(int sock, struct berr **err)
{
    char data[256];
    char buf[CMSG_SPACE(sizeof(int) * FS_RECV_FDS_MAX)] = {0};
    struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof(buf)};
    ssize_t n;
    do
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return berr_sys(err, errno, "receive pty master");
    /* the first fd is the master; any other is closed */
    int fd = -1;
    if (fs_recv_fds(&msg, &fd, 1) < 0)
        return berr_set(err, BERR_INTERNAL, EPROTO, "receive pty master: too many fds");
    if (fd < 0)
        return berr_set(err, BERR_INTERNAL, EPROTO, "receive pty master: no fd in message");
    return fd;
}

int pty_make_controlling(int slave, struct berr **err)
{
    if (setsid() < 0 && errno != EPERM)
        return berr_sys(err, errno, "setsid");
    if (ioctl(slave, TIOCSCTTY, 0) < 0)
        return berr_sys(err, errno, "set controlling terminal");
    for (int i = 0; i < 3; i++)
        if (dup2(slave, i) < 0)
            return berr_sys(err, errno, "dup pty to fd %d", i);
    return 0;
}

static void copy_winsize(int from, int to)
{
    struct winsize ws;
    if (ioctl(from, TIOCGWINSZ, &ws) == 0)
        ioctl(to, TIOCSWINSZ, &ws);
}

int pty_relay(int master, int wakefd)
{
    struct termios saved;
    bool raw = false;
    if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
        struct termios t = saved;
        cfmakeraw(&t);
        t.c_oflag = saved.c_oflag; /* keep output processing: the container's pty does it */
        if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0)
            raw = true;
        copy_winsize(STDIN_FILENO, master);
    }
    static bool in_open = true; /* stdin at EOF stays at EOF across calls */
    int ret = 0;
    char buf[16384];
    for (;;) {
        struct pollfd p[3] = {{.fd = master, .events = POLLIN},
                              {.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN},
                              {.fd = wakefd, .events = POLLIN}};
        int n = poll(p, 3, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[0].revents & POLLIN) {
            ssize_t r = read(master, buf, sizeof(buf));
            if (r > 0) {
                fs_write_all(STDOUT_FILENO, buf, r);
                continue;
            }
            if (r < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            ret = 1; /* EIO: every slave fd is closed */
            break;
        }
        if (p[0].revents & (POLLHUP | POLLERR)) {
            ret = 1;
            break;
        }
        if (p[1].revents & (POLLIN | POLLHUP)) {
            ssize_t r = read(STDIN_FILENO, buf, sizeof(buf));
            if (r > 0)
                fs_write_all(master, buf, r);
            else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
                in_open = false;
                /* end of input: send the pty's EOF character, as a terminal would */
                char eof = 4;
                fs_write_all(master, &eof, 1);
            }
        }
        if (p[2].revents)
            break;
    }
    if (raw)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    return ret;
}

/* attach-proto.h - the messages between a container's monitor and its attached client.
 * Plain C: the monitor's loop (monitor-loop.c) is built against another libc. */
#pragma once

/* The attach protocol between the monitor and a client (`run` in the foreground,
 * `start -a`): SOCK_SEQPACKET messages of a type byte and data. The client goes when it
 * likes (a detach); the monitor sends ATTACH_EXIT, the exit code in decimal, when the
 * container is gone for good (after --rm's removal). */
enum {
    ATTACH_STDOUT = 'o',    /* monitor -> client: output */
    ATTACH_STDERR = 'e',    /* monitor -> client */
    ATTACH_EXIT = 'x',      /* monitor -> client: "137" */
    ATTACH_STDIN = 'i',     /* client -> monitor: input */
    ATTACH_STDIN_EOF = 'c', /* client -> monitor: end of input */
    ATTACH_RESIZE = 'w',    /* client -> monitor: struct winsize */
    ATTACH_SIGNAL = 's',    /* client -> monitor: "15", for the container's process */
    ATTACH_BUSY = 'b',      /* monitor -> client: another client is attached */
};
#define ATTACH_MAX 16384 /* data bytes in one message */

#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* One message; flags for send(2) (MSG_DONTWAIT). Returns 0 or negative errno. */
static inline int attach_send(int fd, char type, const void *data, size_t len, int flags)
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

/* Closes a client's connection after a last message without losing that message: a unix
 * socket closed with unread data resets its peer, which then never reads what was sent. So
 * the client is stopped from sending more, and what it sent is read and dropped first. */
static inline void attach_close(int fd)
{
    char drop[ATTACH_MAX + 1];
    shutdown(fd, SHUT_RD);
    while (recv(fd, drop, sizeof(drop), MSG_DONTWAIT) > 0)
        ;
    close(fd);
}

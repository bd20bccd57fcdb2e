/* test-fdpass.c - receivers of fds (SCM_RIGHTS) keep what they expect and close the rest;
 * fs_pathf refuses a path it would have to cut */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "base/error.h"
#include "base/fs.h"
#include "linux/init.h"

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

/* sends `payload` with n fds (copies of /dev/null) in one SCM_RIGHTS message, or split over
 * two control messages with `split` */
static void send_fds(int sock, const void *payload, size_t len, int n, bool split)
{
    int fds[64];
    assert_true(n <= 64);
    for (int i = 0; i < n; i++)
        assert_true((fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0);
    char buf[2 * CMSG_SPACE(sizeof(fds))];
    memset(buf, 0, sizeof(buf));
    struct iovec iov = {.iov_base = (void *)payload, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf};
    int first = split ? n / 2 : n;
    struct cmsghdr *c = (struct cmsghdr *)buf;
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * first);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * first);
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * first);
    if (split) {
        c = (struct cmsghdr *)(buf + msg.msg_controllen);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (n - first));
        memcpy(CMSG_DATA(c), fds + first, sizeof(int) * (n - first));
        msg.msg_controllen += CMSG_SPACE(sizeof(int) * (n - first));
    }
    assert_true(sendmsg(sock, &msg, 0) >= 0);
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

static void pair(int sv[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
}

static void test_sync_recv_extra_fds_closed(void **state)
{
    int sv[2];
    pair(sv);
    int before = count_fds();
    struct sync_msg out = {.type = SYNC_PTY};
    for (int split = 0; split < 2; split++) {
        send_fds(sv[1], &out, sizeof(out), 3, split);
        struct sync_msg m;
        int fd = -1;
        assert_int_equal(sync_recv(sv[0], &m, &fd, NULL), 0);
        assert_int_equal(m.type, SYNC_PTY);
        assert_true(fd >= 0);
        assert_int_equal(count_fds(), before + 1); /* the one expected, no more */
        close(fd);
        assert_int_equal(count_fds(), before);
    }
    /* a caller that takes none gets none */
    send_fds(sv[1], &out, sizeof(out), 3, false);
    struct sync_msg m;
    assert_int_equal(sync_recv(sv[0], &m, NULL, NULL), 0);
    assert_int_equal(count_fds(), before);
    close(sv[0]);
    close(sv[1]);
}

static void test_sync_recv_truncated_is_error(void **state)
{
    int sv[2];
    pair(sv);
    int before = count_fds();
    struct sync_msg out = {.type = SYNC_PTY};
    send_fds(sv[1], &out, sizeof(out), 60, false);
    struct sync_msg m;
    int fd = 1234;
    assert_int_equal(sync_recv(sv[0], &m, &fd, NULL), -EPROTO);
    assert_int_equal(fd, -1);
    assert_int_equal(count_fds(), before);
    close(sv[0]);
    close(sv[1]);
}

static void test_pty_recv_extra_fds_closed(void **state)
{
    int sv[2];
    pair(sv);
    int before = count_fds();
    send_fds(sv[1], "pty", 3, 3, false);
    struct berr *err = NULL;
    int fd = pty_recv_fd(sv[0], &err);
    assert_true(fd >= 0);
    assert_null(err);
    assert_int_equal(count_fds(), before + 1);
    close(fd);
    send_fds(sv[1], "pty", 3, 60, false);
    assert_true(pty_recv_fd(sv[0], &err) < 0);
    assert_non_null(err);
    berr_free(err);
    assert_int_equal(count_fds(), before);
    close(sv[0]);
    close(sv[1]);
}

static void test_pathf(void **state)
{
    char buf[PATH_MAX];
    struct berr *err = NULL;
    assert_int_equal(fs_pathf(buf, sizeof(buf), &err, "%s/%s", "/a", "b"), 0);
    assert_string_equal(buf, "/a/b");
    assert_null(err);
    char small[8];
    assert_int_equal(fs_pathf(small, sizeof(small), &err, "%s/%s", "/root", "name"), -ENAMETOOLONG);
    assert_string_equal(small, ""); /* never a prefix that names another file */
    assert_non_null(err);
    assert_non_null(strstr(err->msg, "/root/name"));
    assert_non_null(strstr(err->msg, "too long"));
    berr_free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_recv_extra_fds_closed),
        cmocka_unit_test(test_sync_recv_truncated_is_error),
        cmocka_unit_test(test_pty_recv_extra_fds_closed),
        cmocka_unit_test(test_pathf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

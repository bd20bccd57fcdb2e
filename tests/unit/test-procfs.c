/* test-procfs.c - the pieces the mount defences stand on: fs_open_in_root with
 * FS_NO_SYMLINKS (a symlink at any depth is refused, never followed, even inside the root),
 * and procfs_openat (beneath a verified procfs handle: no symlink, no "..", no other fs) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include "base/cleanup.h"
#include "base/fs.h"
#include "linux/procfs.h"

static char dir[] = "/tmp/berth-procfs-XXXXXX";

static int open_root(void)
{
    int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    assert_true(fd >= 0);
    return fd;
}

static void at(int rootfd, const char *path, unsigned flags, int want)
{
    struct berr *e = NULL;
    int fd = fs_open_in_root(rootfd, path, O_PATH | O_DIRECTORY, flags, &e);
    if (want == 0) {
        if (fd < 0)
            fail_msg("%s: %s", path, e->msg);
        close(fd);
    } else {
        assert_int_equal(fd, want);
        assert_non_null(e);
    }
    berr_free(e);
}

static void no_symlinks(void **state)
{
    _cleanup_close_ int root = open_root();
    /* proc -> run/p -> /real (relative and absolute, both inside the root) */
    assert_int_equal(mkdirat(root, "run", 0755), 0);
    assert_int_equal(mkdirat(root, "real", 0755), 0);
    assert_int_equal(mkdirat(root, "d", 0755), 0);
    assert_int_equal(symlinkat("run/p", root, "proc"), 0);
    assert_int_equal(symlinkat("/real", root, "run/p"), 0);
    assert_int_equal(symlinkat("/nowhere", root, "dangling"), 0);
    assert_int_equal(symlinkat("/real", root, "d/link"), 0);
    _cleanup_close_ int f = openat(root, "file", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);

    /* without the flag the link is followed, inside the root */
    at(root, "/proc", 0, 0);
    /* with it: refused at the top, at depth, dangling, and a file is no directory */
    at(root, "/proc", FS_NO_SYMLINKS, -ELOOP);
    at(root, "/proc", FS_NO_SYMLINKS | FS_CREATE_DIR, -ELOOP);
    at(root, "/run/p", FS_NO_SYMLINKS | FS_CREATE_DIR, -ELOOP);
    at(root, "/d/link/x/y", FS_NO_SYMLINKS | FS_CREATE_DIR, -ELOOP);
    at(root, "/dangling", FS_NO_SYMLINKS | FS_CREATE_DIR, -ELOOP);
    at(root, "/file", FS_NO_SYMLINKS | FS_CREATE_DIR, -ENOTDIR);
    /* nothing was made through a link */
    struct stat st;
    assert_int_equal(fstatat(root, "real/x", &st, AT_SYMLINK_NOFOLLOW), -1);
    assert_int_equal(fstatat(root, "nowhere", &st, AT_SYMLINK_NOFOLLOW), -1);
    /* a real path, and a missing one made as directories */
    at(root, "/run", FS_NO_SYMLINKS, 0);
    at(root, "/new/sys/fs", FS_NO_SYMLINKS | FS_CREATE_DIR, 0);
    assert_int_equal(fstatat(root, "new/sys/fs", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_true(S_ISDIR(st.st_mode));
}

static void procfs_beneath(void **state)
{
    struct berr *e = NULL;
    _cleanup_close_ int proc = procfs_open(&e);
    if (proc < 0)
        fail_msg("procfs_open: %s", e->msg);
    struct statfs sf;
    assert_int_equal(fstatfs(proc, &sf), 0);
    assert_int_equal(sf.f_type, PROC_SUPER_MAGIC);

    /* self/ and thread-self/ name us */
    _cleanup_close_ int st = procfs_openat(proc, "self/status", O_RDONLY);
    assert_true(st >= 0);
    char buf[4096];
    ssize_t n = read(st, buf, sizeof(buf) - 1);
    assert_true(n > 0);
    buf[n] = 0;
    char want[64];
    snprintf(want, sizeof(want), "\nPid:\t%d\n", getpid());
    assert_non_null(strstr(buf, want));
    _cleanup_close_ int ts = procfs_openat(proc, "thread-self/comm", O_RDONLY);
    assert_true(ts >= 0);
    _cleanup_close_ int sys = procfs_openat(proc, "sys/kernel/ostype", O_RDONLY);
    assert_true(sys >= 0);

    /* no symlink (mounts -> self/mounts, self/exe, self/cwd), no way out */
    assert_int_equal(procfs_openat(proc, "mounts", O_RDONLY), -ELOOP);
    assert_int_equal(procfs_openat(proc, "self/exe", O_RDONLY), -ELOOP);
    assert_int_equal(procfs_openat(proc, "self/cwd/etc/passwd", O_RDONLY), -ELOOP);
    assert_int_equal(procfs_openat(proc, "../etc/passwd", O_RDONLY), -EXDEV);
    assert_int_equal(procfs_openat(proc, "/etc/passwd", O_RDONLY), -EXDEV);
    assert_int_equal(procfs_openat(proc, "self/../../etc/passwd", O_RDONLY), -EXDEV);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_symlinks),
        cmocka_unit_test(procfs_beneath),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        r = 1;
    return r;
}

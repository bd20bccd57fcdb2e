/* test-cp.c - what `berth cp` stands on: fs_resolve_in_root, and plain tars of one path
 * (layer_tar_path, layer_untar) with no whiteouts, names mapped under a prefix, a top entry
 * renamed, owners, privileges and devices as asked, and nothing ever outside the root
 * (run as root: it chowns and makes devices) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "base/cleanup.h"
#include "base/fs.h"
#include "image/layer.h"
#include "layer-fixture.h"

static int setup(void **state)
{
    *state = fx_new("/tmp/berth-cp-XXXXXX");
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char *s = NULL;
    _cleanup_berr_ struct berr *e = NULL;
    assert_return_code(fs_read_fileat(f->basefd, "canary/file", &s, NULL, &e), 0);
    assert_string_equal(s, "canary");
    free(s);
    struct stat st;
    assert_int_equal(fstatat(f->basefd, "canary/evil", &st, AT_SYMLINK_NOFOLLOW), -1);
    fx_free(f);
    return 0;
}

static void mkdir_at(struct fx *f, const char *path)
{
    assert_return_code(mkdirat(f->root, path, 0755), errno);
}

static void symlink_at(struct fx *f, const char *target, const char *path)
{
    assert_return_code(symlinkat(target, f->root, path), errno);
}

static void read_at(struct fx *f, const char *path, const char *want)
{
    char *s = NULL;
    _cleanup_berr_ struct berr *e = NULL;
    assert_return_code(fs_read_fileat(f->root, path, &s, NULL, &e), 0);
    assert_string_equal(s, want);
    free(s);
}

static void lstat_at(struct fx *f, const char *path, struct stat *st)
{
    if (fstatat(f->root, path, st, AT_SYMLINK_NOFOLLOW) < 0)
        fail_msg("stat %s: %m", path);
}

static bool exists(struct fx *f, const char *path)
{
    struct stat st;
    return fstatat(f->root, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* --- fs_resolve_in_root --- */

static void resolves(struct fx *f, const char *path, bool follow, const char *want)
{
    _cleanup_berr_ struct berr *err = NULL;
    _cleanup_free_ char *got = NULL;
    if (fs_resolve_in_root(f->root, path, follow, &got, &err) < 0)
        fail_msg("resolve %s: %s", path, err->msg);
    if (strcmp(got, want))
        fail_msg("resolve %s: \"%s\", want \"%s\"", path, got, want);
}

static void resolve_fails(struct fx *f, const char *path, int want_errno)
{
    _cleanup_berr_ struct berr *err = NULL;
    _cleanup_free_ char *got = NULL;
    int r = fs_resolve_in_root(f->root, path, true, &got, &err);
    if (r >= 0)
        fail_msg("resolve %s: \"%s\", want an error", path, got);
    assert_int_equal(r, -want_errno);
    assert_non_null(err);
}

static void test_resolve(void **state)
{
    struct fx *f = *state;
    mkdir_at(f, "d");
    mkdir_at(f, "d/e");
    write_at(f->root, "d/file", "x", 0644);
    symlink_at(f, "/", "toroot");
    symlink_at(f, "../../../../../..", "up");
    symlink_at(f, "../canary", "esc");
    symlink_at(f, "self", "self");
    symlink_at(f, "d/e", "rel");
    symlink_at(f, "/d/e/../file", "abs");
    symlink_at(f, "/nowhere/x", "dangling");
    symlink_at(f, "loop", "loop");

    resolves(f, "", true, "/");
    resolves(f, "/", true, "/");
    resolves(f, "//d/./e/", true, "/d/e");
    resolves(f, "/d/e/..", true, "/d");
    resolves(f, "../../d", true, "/d");
    /* symlinks: absolute ones from the root, relative ones from where they are, ".." never
     * above the root */
    resolves(f, "/toroot/d/e", true, "/d/e");
    resolves(f, "/up/d", true, "/d");
    resolves(f, "/up", true, "/");
    resolves(f, "/esc", false, "/esc");
    resolves(f, "/esc", true, "/canary");
    resolve_fails(f, "/esc/file", ENOENT);
    resolve_fails(f, "/self/x", ELOOP);
    resolves(f, "/rel/..", true, "/d");
    resolves(f, "/abs", true, "/d/file");
    /* the last component: followed only if asked; it may be missing */
    resolves(f, "/abs", false, "/abs");
    resolves(f, "/rel/new", true, "/d/e/new");
    resolves(f, "/dangling", false, "/dangling");
    resolve_fails(f, "/dangling", ENOENT);
    resolve_fails(f, "/missing/x", ENOENT);
    resolve_fails(f, "/d/file/x", ENOTDIR);
    resolve_fails(f, "/loop", ELOOP);
}

/* --- tars --- */

static int new_memfd(void)
{
    int fd = memfd_create("cp", MFD_CLOEXEC);
    assert_true(fd >= 0);
    return fd;
}

static struct archive_entry *tb_entry(const char *path, mode_t mode)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_copy_pathname(e, path);
    archive_entry_set_mode(e, mode);
    archive_entry_set_uid(e, 1234);
    archive_entry_set_gid(e, 5678);
    archive_entry_set_mtime(e, 1000000000, 0);
    return e;
}

static void tb_put(struct archive *a, struct archive_entry *e, const char *data)
{
    size_t len = data ? strlen(data) : 0;
    if (data)
        archive_entry_set_size(e, len);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    if (len)
        assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
    archive_entry_free(e);
}

static void tb_file(struct archive *a, const char *path, mode_t perm, const char *data)
{
    tb_put(a, tb_entry(path, AE_IFREG | perm), data);
}

static void tb_dir(struct archive *a, const char *path)
{
    tb_put(a, tb_entry(path, AE_IFDIR | 0755), NULL);
}

static void tb_symlink(struct archive *a, const char *path, const char *target)
{
    struct archive_entry *e = tb_entry(path, AE_IFLNK | 0777);
    archive_entry_set_symlink(e, target);
    tb_put(a, e, NULL);
}

static int untar(struct fx *f, int fd, const struct layer_untar_opts *o, struct layer_stats *st,
                 struct berr **err)
{
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return layer_untar(fd, f->root, o, st, err);
}

static void untar_ok(struct fx *f, int fd, const struct layer_untar_opts *o, struct layer_stats *st)
{
    _cleanup_berr_ struct berr *err = NULL;
    if (untar(f, fd, o, st, &err) < 0)
        fail_msg("layer_untar: %s", err ? err->msg : "?");
}

static void untar_fails(struct fx *f, int fd, const struct layer_untar_opts *o, const char *want)
{
    _cleanup_berr_ struct berr *err = NULL;
    if (untar(f, fd, o, NULL, &err) >= 0)
        fail_msg("layer_untar succeeded, expected \"%s\"", want);
    assert_non_null(err);
    if (!strstr(err->msg, want))
        fail_msg("error \"%s\" lacks \"%s\"", err->msg, want);
}

/* whiteouts are names; top, rename and prefix place the entries */
static void test_untar_places(void **state)
{
    struct fx *f = *state;
    mkdir_at(f, "dst");
    write_at(f->root, "dst/keep", "keep", 0644);
    int fd = new_memfd();
    struct archive *a = tb_new(fd, PLAIN);
    tb_dir(a, "src");
    tb_file(a, "src/.wh.keep", 0644, "wh");
    tb_file(a, "src/.wh..wh..opq", 0644, "opq");
    tb_dir(a, "src/sub");
    tb_file(a, "src/sub/f", 0644, "f");
    tb_close(a);

    struct layer_untar_opts o = {.prefix = "/dst", .top = "src", .rename = "new"};
    untar_ok(f, fd, &o, NULL);
    read_at(f, "dst/new/.wh.keep", "wh");
    read_at(f, "dst/new/.wh..wh..opq", "opq");
    read_at(f, "dst/new/sub/f", "f");
    read_at(f, "dst/keep", "keep");
    assert_false(exists(f, "dst/src"));
    /* the archive's owners, by default */
    struct stat st;
    lstat_at(f, "dst/new/sub/f", &st);
    assert_int_equal(st.st_uid, 1234);
    assert_int_equal(st.st_gid, 5678);

    /* without rename the top keeps its name; without top anything goes */
    o.rename = NULL;
    untar_ok(f, fd, &o, NULL);
    read_at(f, "dst/src/sub/f", "f");
    struct layer_untar_opts any = {.prefix = "dst/deeper/.."};
    untar_ok(f, fd, &any, NULL);
    read_at(f, "dst/src/.wh.keep", "wh");

    /* an entry outside top is refused */
    struct layer_untar_opts other = {.prefix = "dst", .top = "elsewhere"};
    untar_fails(f, fd, &other, "is not under \"elsewhere\"");
    close(fd);

    /* "." as top: the contents of a directory, renamed or not */
    fd = new_memfd();
    a = tb_new(fd, PLAIN);
    tb_dir(a, "./");
    tb_file(a, "./a", 0644, "a");
    tb_close(a);
    struct layer_untar_opts dot = {.prefix = "dst", .top = ".", .rename = "contents"};
    untar_ok(f, fd, &dot, NULL);
    read_at(f, "dst/contents/a", "a");
    dot.rename = NULL;
    untar_ok(f, fd, &dot, NULL);
    read_at(f, "dst/a", "a");
    close(fd);
}

/* nothing leaves the root: not through ".." names, symlinks of the archive or of the tree,
 * the prefix or hardlinks */
static void test_untar_stays_inside(void **state)
{
    struct fx *f = *state;
    symlink_at(f, "../canary", "tocanary");
    symlink_at(f, "/", "toroot");
    int fd = new_memfd();
    struct archive *a = tb_new(fd, PLAIN);
    tb_symlink(a, "l", "../../canary");
    tb_file(a, "l/evil", 0644, "evil");
    tb_close(a);
    struct layer_untar_opts o = {0};
    /* through a symlink to where the root has nothing: refused, not made outside */
    untar_fails(f, fd, &o, "is a symlink to a path that does not exist there");
    close(fd);
    /* where the root has a canary directory, that one gets them */
    mkdir_at(f, "canary");
    fd = new_memfd();
    a = tb_new(fd, PLAIN);
    tb_symlink(a, "l", "../../canary");
    tb_file(a, "l/evil", 0644, "evil");
    tb_symlink(a, "abs", "/canary");
    tb_file(a, "abs/evil2", 0644, "evil");
    tb_file(a, "/tocanary/evil3", 0644, "evil");
    tb_close(a);
    untar_ok(f, fd, &o, NULL);
    read_at(f, "canary/evil", "evil");
    read_at(f, "canary/evil2", "evil");
    read_at(f, "canary/evil3", "evil");
    close(fd);

    /* the prefix resolves inside the root too; it cannot climb */
    fd = new_memfd();
    a = tb_new(fd, PLAIN);
    tb_file(a, "x", 0644, "x");
    tb_close(a);
    struct layer_untar_opts via = {.prefix = "toroot"};
    untar_ok(f, fd, &via, NULL);
    read_at(f, "x", "x");
    struct layer_untar_opts climb = {.prefix = "a/../.."};
    untar_fails(f, fd, &climb, "invalid destination");
    close(fd);

    fd = new_memfd();
    a = tb_new(fd, PLAIN);
    tb_file(a, "../../canary/evil", 0644, "evil");
    tb_close(a);
    untar_fails(f, fd, &o, "climbs above");
    close(fd);

    fd = new_memfd();
    a = tb_new(fd, PLAIN);
    tb_dir(a, "top");
    struct archive_entry *e = tb_entry("top/link", AE_IFREG | 0644);
    archive_entry_set_hardlink(e, "top/../../canary/file");
    tb_put(a, e, NULL);
    tb_close(a);
    struct layer_untar_opts top = {.top = "top"};
    untar_fails(f, fd, &top, "outside the archive");
    close(fd);
}

/* existing trees are not deleted by a copy that does not fit them */
static void test_untar_no_overwrite(void **state)
{
    struct fx *f = *state;
    mkdir_at(f, "d");
    mkdir_at(f, "d/keep");
    write_at(f->root, "d/keep/precious", "p", 0644);
    write_at(f->root, "file", "old", 0644);
    symlink_at(f, "/", "link");
    int fd = new_memfd();
    struct archive *a = tb_new(fd, PLAIN);
    tb_file(a, "d/keep", 0644, "replaces a directory?");
    tb_close(a);
    struct layer_untar_opts o = {0};
    untar_fails(f, fd, &o, "cannot overwrite directory");
    read_at(f, "d/keep/precious", "p");
    close(fd);

    fd = new_memfd();
    a = tb_new(fd, PLAIN);
    tb_dir(a, "link");
    tb_file(a, "link/x", 0644, "x");
    tb_close(a);
    untar_fails(f, fd, &o, "cannot overwrite non-directory");
    close(fd);

    /* a file replaces a file, and an existing directory takes the entry's mode */
    fd = new_memfd();
    a = tb_new(fd, PLAIN);
    tb_put(a, tb_entry("d", AE_IFDIR | 0700), NULL);
    tb_file(a, "file", 0600, "new");
    tb_close(a);
    untar_ok(f, fd, &o, NULL);
    read_at(f, "file", "new");
    read_at(f, "d/keep/precious", "p");
    struct stat st;
    lstat_at(f, "d", &st);
    assert_int_equal(st.st_mode & 07777, 0700);
    close(fd);
}

/* owners as asked; privileges dropped; devices left out */
static void test_untar_owner_privileges(void **state)
{
    struct fx *f = *state;
    int fd = new_memfd();
    struct archive *a = tb_new(fd, PLAIN);
    tb_dir(a, "s");
    tb_put(a, tb_entry("s/sgid-dir", AE_IFDIR | 02775), NULL);
    tb_file(a, "s/suid", 04755, "suid");
    struct archive_entry *e = tb_entry("s/cap", AE_IFREG | 0755);
    /* cap_net_raw+ep: a VFS_CAP_REVISION_2 blob */
    static const unsigned char cap[20] = {0x01, 0x00, 0x00, 0x02, 0x00, 0x20};
    archive_entry_xattr_add_entry(e, "security.capability", cap, sizeof(cap));
    tb_put(a, e, "cap");
    e = tb_entry("s/mem", AE_IFCHR | 0666);
    archive_entry_set_rdev(e, makedev(1, 1));
    tb_put(a, e, NULL);
    tb_close(a);

    struct layer_untar_opts o = {.owner = LAYER_OWNER_SET, .uid = 7, .gid = 8};
    struct layer_stats ls = {0};
    untar_ok(f, fd, &o, &ls);
    struct stat st;
    lstat_at(f, "s/suid", &st);
    assert_int_equal(st.st_uid, 7);
    assert_int_equal(st.st_gid, 8);
    assert_int_equal(st.st_mode & 07777, 04755);
    lstat_at(f, "s/mem", &st);
    assert_true(S_ISCHR(st.st_mode));
    assert_int_equal(ls.devs_skipped, 0);
    char v[64];
    int cfd = openat(f->root, "s/cap", O_RDONLY | O_CLOEXEC);
    assert_true(cfd >= 0);
    assert_int_equal(fgetxattr(cfd, "security.capability", v, sizeof(v)), sizeof(cap));
    close(cfd);

    assert_int_equal(unlinkat(f->root, "s/mem", 0), 0);
    struct layer_untar_opts drop = {
        .owner = LAYER_OWNER_CALLER, .drop_privileges = true, .no_devices = true};
    untar_ok(f, fd, &drop, &ls);
    lstat_at(f, "s/suid", &st);
    assert_int_equal(st.st_mode & 07777, 0755);
    /* CALLER: what was there keeps its owner; the caller's for what is made */
    assert_int_equal(st.st_uid, 0);
    lstat_at(f, "s/sgid-dir", &st);
    assert_int_equal(st.st_mode & 07777, 02775);
    assert_false(exists(f, "s/mem"));
    assert_int_equal(ls.devs_skipped, 1);
    cfd = openat(f->root, "s/cap", O_RDONLY | O_CLOEXEC);
    assert_true(cfd >= 0);
    assert_true(fgetxattr(cfd, "security.capability", v, sizeof(v)) < 0);
    close(cfd);
    close(fd);
}

/* layer_tar_path: the top entry under its new name, .wh. names as they are, symlinks not
 * followed, and the result unpacks to the same tree */
static void test_tar_path(void **state)
{
    struct fx *f = *state;
    mkdir_at(f, "src");
    write_at(f->root, "src/.wh.name", "wh", 0644);
    assert_return_code(mknodat(f->root, "src/whiteout-like", S_IFCHR | 0600, makedev(0, 0)), errno);
    symlink_at(f, "../../canary", "src/up");
    symlink_at(f, "/src", "srclink");
    int fd = new_memfd();
    _cleanup_berr_ struct berr *err = NULL;
    /* its directories resolve inside the root: /srclink/.. is the root */
    if (layer_tar_path(f->root, "/srclink/../src", "renamed", fd, NULL, &err) < 0)
        fail_msg("layer_tar_path: %s", err->msg);
    mkdir_at(f, "out");
    struct layer_untar_opts o = {.prefix = "out", .top = "renamed"};
    untar_ok(f, fd, &o, NULL);
    read_at(f, "out/renamed/.wh.name", "wh");
    char target[64] = {0};
    assert_true(readlinkat(f->root, "out/renamed/up", target, sizeof(target)) > 0);
    assert_string_equal(target, "../../canary");
    struct stat st;
    lstat_at(f, "out/renamed/whiteout-like", &st);
    assert_true(S_ISCHR(st.st_mode));
    close(fd);

    /* the link itself when it is the path */
    fd = new_memfd();
    if (layer_tar_path(f->root, "srclink", "srclink", fd, NULL, &err) < 0)
        fail_msg("layer_tar_path: %s", err->msg);
    struct layer_untar_opts o2 = {.prefix = "out"};
    untar_ok(f, fd, &o2, NULL);
    lstat_at(f, "out/srclink", &st);
    assert_true(S_ISLNK(st.st_mode));
    close(fd);

    /* "." : the root's contents */
    fd = new_memfd();
    if (layer_tar_path(f->root, "/", ".", fd, NULL, &err) < 0)
        fail_msg("layer_tar_path: %s", err->msg);
    mkdir_at(f, "copy");
    struct layer_untar_opts o3 = {.prefix = "copy", .top = "."};
    untar_ok(f, fd, &o3, NULL);
    read_at(f, "copy/src/.wh.name", "wh");
    close(fd);
}

int main(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "test-cp: needs root (chown, mknod); skipped\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_untar_places, setup, teardown),
        cmocka_unit_test_setup_teardown(test_untar_stays_inside, setup, teardown),
        cmocka_unit_test_setup_teardown(test_untar_no_overwrite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_untar_owner_privileges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tar_path, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

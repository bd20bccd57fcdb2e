/* test-layer.c - layer apply/diff: attributes, whiteouts, compression, DiffIDs, hostile archives
 * (run as root: it makes devices, chowns and sets trusted.* xattrs) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
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
#include "base/digest.h"
#include "base/fs.h"
#include "image/layer.h"
#include "layer-fixture.h"

static int setup(void **state)
{
    *state = fx_new("/tmp/berth-layer-XXXXXX");
    return 0;
}

static int count_entries(int dirfd_, const char *path)
{
    int fd = openat(dirfd_, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    DIR *d = fdopendir(fd);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* nothing outside root/ changed */
static void check_canary(struct fx *f)
{
    char *s = NULL;
    _cleanup_berr_ struct berr *e = NULL;
    assert_return_code(fs_read_fileat(f->basefd, "canary/file", &s, NULL, &e), 0);
    assert_string_equal(s, "canary");
    free(s);
    assert_int_equal(count_entries(f->basefd, "canary"), 1);
    assert_int_equal(count_entries(f->basefd, "."), 2);
    assert_int_equal(count_entries(AT_FDCWD, "/tmp/pwned"), -1);
    assert_int_equal(access("/tmp/pwned", F_OK), -1);
}

static int teardown(void **state)
{
    struct fx *f = *state;
    check_canary(f);
    fx_free(f);
    return 0;
}

/* --- archive builder (libarchive's writer into a memfd) --- */

static int new_memfd(void)
{
    int fd = memfd_create("layer", MFD_CLOEXEC);
    assert_true(fd >= 0);
    return fd;
}

static struct archive_entry *tb_entry(const char *path, mode_t mode)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_copy_pathname(e, path);
    archive_entry_set_mode(e, mode);
    archive_entry_set_mtime(e, 1000000000, 0);
    return e;
}

static void tb_put(struct archive *a, struct archive_entry *e, const void *data, size_t len)
{
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    if (len)
        assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
    archive_entry_free(e);
}

static void tb_file(struct archive *a, const char *path, mode_t perm, const char *data)
{
    struct archive_entry *e = tb_entry(path, AE_IFREG | perm);
    archive_entry_set_size(e, strlen(data));
    tb_put(a, e, data, strlen(data));
}

static void tb_dir(struct archive *a, const char *path, mode_t perm)
{
    tb_put(a, tb_entry(path, AE_IFDIR | perm), NULL, 0);
}

static void tb_symlink(struct archive *a, const char *path, const char *target)
{
    struct archive_entry *e = tb_entry(path, AE_IFLNK | 0777);
    archive_entry_set_symlink(e, target);
    tb_put(a, e, NULL, 0);
}

static void tb_hardlink(struct archive *a, const char *path, const char *target)
{
    struct archive_entry *e = tb_entry(path, AE_IFREG | 0644);
    archive_entry_set_hardlink(e, target);
    tb_put(a, e, NULL, 0);
}

static void rewind_fd(int fd)
{
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
}

static int apply(struct fx *f, int fd, struct layer_stats *st, struct berr **err)
{
    rewind_fd(fd);
    return layer_apply(fd, f->root, st, err);
}

static void apply_ok(struct fx *f, int fd, struct layer_stats *st)
{
    _cleanup_berr_ struct berr *err = NULL;
    int r = apply(f, fd, st, &err);
    if (r < 0)
        fail_msg("layer_apply: %s", err ? err->msg : "?");
}

/* applies and expects a BERR_INVALID error whose message contains `want` */
static void apply_fails(struct fx *f, int fd, const char *want)
{
    _cleanup_berr_ struct berr *err = NULL;
    int r = apply(f, fd, NULL, &err);
    if (r >= 0)
        fail_msg("layer_apply succeeded, expected \"%s\"", want);
    assert_non_null(err);
    if (!strstr(err->msg, want))
        fail_msg("error \"%s\" lacks \"%s\"", err->msg, want);
}

static char *slurp(int fd, size_t *len)
{
    struct stat st;
    assert_return_code(fstat(fd, &st), errno);
    char *buf = malloc(st.st_size + 1);
    assert_int_equal(pread(fd, buf, st.st_size, 0), st.st_size);
    *len = st.st_size;
    return buf;
}

static void hex_of(const void *p, size_t n, char hex[65])
{
    uint8_t d[32];
    sha256(p, n, d);
    sha256_hex(d, hex);
}

/* compresses the bytes of src into a new memfd with libarchive's filter alone (format raw) */
static int compress_fd(int src, int filter)
{
    size_t len;
    _cleanup_free_ char *buf = slurp(src, &len);
    int out = new_memfd();
    struct archive *a = archive_write_new();
    if (filter == GZIP)
        archive_write_add_filter_gzip(a);
    else
        archive_write_add_filter_zstd(a);
    archive_write_set_format_raw(a);
    archive_write_set_bytes_in_last_block(a, 1);
    assert_int_equal(archive_write_open_fd(a, out), ARCHIVE_OK);
    struct archive_entry *e = tb_entry("x", AE_IFREG | 0644);
    tb_put(a, e, buf, len);
    tb_close(a);
    return out;
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

static bool is_whiteout(struct fx *f, const char *path)
{
    struct stat st;
    return fstatat(f->root, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode) &&
           st.st_rdev == 0;
}

static bool is_opaque(int dirfd_, const char *path)
{
    char v[4] = {0};
    int fd = openat(dirfd_, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v));
    close(fd);
    return n == 1 && v[0] == 'y';
}

static void read_at(struct fx *f, const char *path, const char *want)
{
    char *s = NULL;
    _cleanup_berr_ struct berr *e = NULL;
    assert_return_code(fs_read_fileat(f->root, path, &s, NULL, &e), 0);
    assert_string_equal(s, want);
    free(s);
}

/* --- tests --- */

static void test_clean_path(void **state)
{
    struct {
        const char *in, *out;
    } ok[] = {
        {"a/b", "a/b"}, {"/a/b", "a/b"}, {"./a//b/", "a/b"},   {"a/../b", "b"},    {".", ""},
        {"/", ""},      {"", ""},        {"a/b/../../c", "c"}, {"a/./b/.", "a/b"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        char *out = NULL;
        assert_int_equal(layer_clean_path(ok[i].in, &out), 0);
        assert_string_equal(out, ok[i].out);
        free(out);
    }
    const char *bad[] = {"..", "../a", "/../a", "a/../../b", "./..", "a/b/../../.."};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        char *out = NULL;
        assert_int_equal(layer_clean_path(bad[i], &out), -EINVAL);
        assert_null(out);
    }
}

static void test_attributes(void **state)
{
    struct fx *f = *state;
    _cleanup_close_ int fd = new_memfd();
    struct archive *a = tb_new(fd, PLAIN);
    tb_dir(a, "./", 0751);
    tb_dir(a, "etc", 0755);
    struct archive_entry *e = tb_entry("etc/owned", AE_IFREG | 04755);
    archive_entry_set_uid(e, 1234);
    archive_entry_set_gid(e, 5678);
    archive_entry_set_mtime(e, 1234567890, 123456789);
    archive_entry_set_size(e, 5);
    archive_entry_xattr_add_entry(e, "user.note", "hello", 5);
    archive_entry_xattr_add_entry(e, "trusted.overlay.opaque", "y", 1);
    archive_entry_xattr_add_entry(e, "trusted.overlay.redirect", "/x", 2);
    /* VFS_CAP_REVISION_2, effective: cap_net_bind_service (10) permitted */
    uint32_t cap[5] = {0x02000001, 1u << 10, 0, 0, 0};
    archive_entry_xattr_add_entry(e, "security.capability", cap, sizeof(cap));
    tb_put(a, e, "#!/sh", 5);
    e = tb_entry("etc/setgid", AE_IFREG | 02711);
    archive_entry_set_gid(e, 42);
    archive_entry_set_size(e, 0);
    tb_put(a, e, NULL, 0);
    tb_dir(a, "tmp", 01777);
    e = tb_entry("tmp/link", AE_IFLNK | 0777);
    archive_entry_set_symlink(e, "/etc/passwd");
    archive_entry_set_uid(e, 7);
    archive_entry_set_gid(e, 8);
    archive_entry_set_mtime(e, 1111111111, 0);
    tb_put(a, e, NULL, 0);
    tb_symlink(a, "tmp/dangling", "../../../../nowhere");
    tb_hardlink(a, "etc/hard", "etc/owned");
    e = tb_entry("dev/null", AE_IFCHR | 0666);
    archive_entry_set_rdevmajor(e, 1);
    archive_entry_set_rdevminor(e, 3);
    tb_put(a, e, NULL, 0);
    e = tb_entry("dev/loop9", AE_IFBLK | 0660);
    archive_entry_set_rdevmajor(e, 7);
    archive_entry_set_rdevminor(e, 9);
    archive_entry_set_gid(e, 6);
    tb_put(a, e, NULL, 0);
    tb_put(a, tb_entry("run/fifo", AE_IFIFO | 0620), NULL, 0);
    /* a directory's mtime survives entries added to it later */
    e = tb_entry("dated", AE_IFDIR | 0700);
    archive_entry_set_mtime(e, 999999999, 5);
    tb_put(a, e, NULL, 0);
    tb_file(a, "dated/late", 0600, "x");
    tb_close(a);

    struct layer_stats st;
    apply_ok(f, fd, &st);
    assert_int_equal(st.entries, 13);
    assert_int_equal(st.size, 6);

    struct stat s;
    assert_return_code(fstat(f->root, &s), errno);
    assert_int_equal(s.st_mode & 07777, 0751);
    lstat_at(f, "etc/owned", &s);
    assert_true(S_ISREG(s.st_mode));
    assert_int_equal(s.st_mode & 07777, 04755);
    assert_int_equal(s.st_uid, 1234);
    assert_int_equal(s.st_gid, 5678);
    assert_int_equal(s.st_mtim.tv_sec, 1234567890);
    assert_int_equal(s.st_mtim.tv_nsec, 123456789);
    assert_int_equal(s.st_nlink, 2);
    read_at(f, "etc/owned", "#!/sh");
    char v[64];
    char path[128];
    snprintf(path, sizeof(path), "%s/root/etc/owned", f->base);
    assert_int_equal(lgetxattr(path, "user.note", v, sizeof(v)), 5);
    assert_memory_equal(v, "hello", 5);
    assert_int_equal(lgetxattr(path, "security.capability", v, sizeof(v)), sizeof(cap));
    assert_memory_equal(v, cap, sizeof(cap));
    assert_int_equal(lgetxattr(path, "trusted.overlay.opaque", v, sizeof(v)), -1);
    assert_int_equal(lgetxattr(path, "trusted.overlay.redirect", v, sizeof(v)), -1);
    struct stat h;
    lstat_at(f, "etc/hard", &h);
    assert_int_equal(h.st_ino, s.st_ino);

    lstat_at(f, "etc/setgid", &s);
    assert_int_equal(s.st_mode & 07777, 02711);
    assert_int_equal(s.st_gid, 42);
    lstat_at(f, "tmp", &s);
    assert_true(S_ISDIR(s.st_mode));
    assert_int_equal(s.st_mode & 07777, 01777);
    lstat_at(f, "tmp/link", &s);
    assert_true(S_ISLNK(s.st_mode));
    assert_int_equal(s.st_uid, 7);
    assert_int_equal(s.st_gid, 8);
    assert_int_equal(s.st_mtim.tv_sec, 1111111111);
    char target[64] = {0};
    assert_int_equal(readlinkat(f->root, "tmp/link", target, sizeof(target)), 11);
    assert_string_equal(target, "/etc/passwd");
    memset(target, 0, sizeof(target));
    assert_return_code(readlinkat(f->root, "tmp/dangling", target, sizeof(target)), errno);
    assert_string_equal(target, "../../../../nowhere");
    lstat_at(f, "dev/null", &s);
    assert_true(S_ISCHR(s.st_mode));
    assert_int_equal(s.st_rdev, makedev(1, 3));
    assert_int_equal(s.st_mode & 07777, 0666);
    lstat_at(f, "dev/loop9", &s);
    assert_true(S_ISBLK(s.st_mode));
    assert_int_equal(s.st_rdev, makedev(7, 9));
    assert_int_equal(s.st_gid, 6);
    lstat_at(f, "run/fifo", &s);
    assert_true(S_ISFIFO(s.st_mode));
    assert_int_equal(s.st_mode & 07777, 0620);
    lstat_at(f, "dated", &s);
    assert_int_equal(s.st_mtim.tv_sec, 999999999);
    assert_int_equal(s.st_mtim.tv_nsec, 5);
    lstat_at(f, "run", &s); /* made implicitly */
    assert_true(S_ISDIR(s.st_mode));
}

static void test_sparse(void **state)
{
    struct fx *f = *state;
    _cleanup_close_ int fd = new_memfd();
    struct archive *a = tb_new(fd, PLAIN);
    const off_t size = 64 << 20;
    struct archive_entry *e = tb_entry("sparse", AE_IFREG | 0644);
    archive_entry_set_size(e, size);
    archive_entry_sparse_add_entry(e, 1 << 20, 4096);
    archive_entry_sparse_add_entry(e, size - 4096, 4096);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    _cleanup_free_ char *zero = calloc(1, 1 << 20);
    char data[4096];
    memset(data, 'd', sizeof(data));
    for (off_t off = 0; off < size;) {
        if (off == (1 << 20) || off == size - 4096) {
            assert_int_equal(archive_write_data(a, data, sizeof(data)), sizeof(data));
            off += sizeof(data);
        } else {
            size_t n = off < (1 << 20) ? (size_t)((1 << 20) - off) : (size_t)(size - 4096 - off);
            if (n > (1 << 20))
                n = 1 << 20;
            assert_int_equal(archive_write_data(a, zero, n), (la_ssize_t)n);
            off += n;
        }
    }
    archive_entry_free(e);
    tb_close(a);
    struct stat st;
    assert_return_code(fstat(fd, &st), errno);
    assert_true(st.st_size < (1 << 20)); /* the archive holds only the data */

    apply_ok(f, fd, NULL);
    _cleanup_close_ int s = openat(f->root, "sparse", O_RDONLY | O_CLOEXEC);
    assert_return_code(fstat(s, &st), errno);
    assert_int_equal(st.st_size, size);
    assert_true(st.st_blocks * 512 < (1 << 20)); /* holes stayed holes */
    assert_int_equal(lseek(s, 0, SEEK_DATA), 1 << 20);
    char got[4096];
    assert_int_equal(pread(s, got, sizeof(got), 1 << 20), sizeof(got));
    assert_memory_equal(got, data, sizeof(got));
    assert_int_equal(pread(s, got, sizeof(got), size - 4096), sizeof(got));
    assert_memory_equal(got, data, sizeof(got));
    assert_int_equal(pread(s, got, 16, 4096), 16);
    assert_memory_equal(got, zero, 16);
}

static void test_whiteouts(void **state)
{
    struct fx *f = *state;
    _cleanup_close_ int fd = new_memfd();
    struct archive *a = tb_new(fd, PLAIN);
    tb_file(a, ".wh.gone", 0644, "");
    tb_dir(a, "etc", 0755);
    tb_file(a, "etc/before", 0644, "b");
    tb_file(a, "etc/.wh..wh..opq", 0644, "");
    tb_file(a, "etc/after", 0644, "a");
    tb_file(a, "deep/er/.wh.x", 0644, ""); /* parents made implicitly */
    /* in order: a whiteout replaces what this layer made before it... */
    tb_dir(a, "replaced", 0755);
    tb_file(a, "replaced/child", 0644, "c");
    tb_file(a, ".wh.replaced", 0644, "");
    /* ...and a directory made after a whiteout of its name hides the lower one */
    tb_file(a, ".wh.renewed", 0644, "");
    tb_dir(a, "renewed", 0755);
    tb_file(a, ".wh.refile", 0644, "");
    tb_file(a, "refile", 0644, "new");
    /* a 0/0 device is a whiteout, whatever its mode */
    struct archive_entry *e = tb_entry("chr00", AE_IFCHR | 0644);
    tb_put(a, e, NULL, 0);
    /* aufs metadata is skipped, as docker does */
    tb_dir(a, ".wh..wh.plnk", 0700);
    tb_file(a, ".wh..wh.plnk/123.456", 0644, "x");
    tb_close(a);

    struct layer_stats st;
    apply_ok(f, fd, &st);
    assert_true(is_whiteout(f, "gone"));
    assert_false(exists(f, ".wh.gone"));
    assert_true(is_opaque(f->root, "etc"));
    assert_false(exists(f, "etc/.wh..wh..opq"));
    read_at(f, "etc/before", "b");
    read_at(f, "etc/after", "a");
    assert_true(is_whiteout(f, "deep/er/x"));
    assert_true(is_whiteout(f, "replaced"));
    struct stat s;
    lstat_at(f, "renewed", &s);
    assert_true(S_ISDIR(s.st_mode));
    assert_true(is_opaque(f->root, "renewed"));
    assert_false(is_opaque(f->root, "deep"));
    read_at(f, "refile", "new");
    assert_true(is_whiteout(f, "chr00"));
    assert_false(exists(f, ".wh..wh.plnk"));
}

static void test_bad_whiteouts(void **state)
{
    struct fx *f = *state;
    const char *bad[] = {".wh.", "a/.wh..", "a/b/.wh...", ".wh..."};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        _cleanup_close_ int fd = new_memfd();
        struct archive *a = tb_new(fd, PLAIN);
        tb_dir(a, "a", 0755);
        tb_dir(a, "a/b", 0755);
        tb_file(a, bad[i], 0644, "");
        tb_close(a);
        apply_fails(f, fd, "invalid whiteout");
        assert_true(exists(f, "a/b"));
        check_canary(f);
    }
}

/* The DiffID is the digest of the uncompressed bytes, the blob digest that of the input. */
static void check_digests(struct fx *f, int filter)
{
    _cleanup_close_ int plain = new_memfd();
    struct archive *a = tb_new(plain, PLAIN);
    tb_dir(a, "d", 0755);
    tb_file(a, "d/f", 0644, "content");
    tb_close(a);
    assert_int_equal(write(plain, "trailing junk", 13), 13); /* part of the stream too */
    size_t plen;
    _cleanup_free_ char *pbytes = slurp(plain, &plen);
    char want_diff[65];
    hex_of(pbytes, plen, want_diff);

    _cleanup_close_ int in = filter == PLAIN ? dup(plain) : compress_fd(plain, filter);
    size_t ilen;
    _cleanup_free_ char *ibytes = slurp(in, &ilen);
    char want_blob[65];
    hex_of(ibytes, ilen, want_blob);
    if (filter != PLAIN)
        assert_string_not_equal(want_blob, want_diff);

    struct layer_stats st;
    apply_ok(f, in, &st);
    assert_string_equal(st.diff_id, want_diff);
    assert_string_equal(st.blob_digest, want_blob);
    assert_int_equal(st.tar_size, plen);
    assert_int_equal(st.blob_size, ilen);
    read_at(f, "d/f", "content");
}

static void test_digest_plain(void **state)
{
    check_digests(*state, PLAIN);
}

static void test_digest_gzip(void **state)
{
    check_digests(*state, GZIP);
}

static void test_digest_zstd(void **state)
{
    check_digests(*state, ZSTD);
}

/* a layer made by libarchive with a filter, not only by compress_fd */
static void test_detect_filters(void **state)
{
    struct fx *f = *state;
    int filters[] = {PLAIN, GZIP, ZSTD};
    for (size_t i = 0; i < ARRAY_SIZE(filters); i++) {
        _cleanup_close_ int fd = new_memfd();
        struct archive *a = tb_new(fd, filters[i]);
        char name[16];
        snprintf(name, sizeof(name), "f%zu", i);
        tb_file(a, name, 0644, name);
        tb_close(a);
        apply_ok(f, fd, NULL);
        read_at(f, name, name);
    }
}

static int layer_with_data(int filter)
{
    _cleanup_close_ int plain = new_memfd();
    struct archive *a = tb_new(plain, PLAIN);
    char big[64 * 1024];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)(i * 7919 % 251);
    for (int i = 0; i < 8; i++) {
        char name[16];
        snprintf(name, sizeof(name), "f%d", i);
        struct archive_entry *e = tb_entry(name, AE_IFREG | 0644);
        archive_entry_set_size(e, sizeof(big));
        tb_put(a, e, big, sizeof(big));
    }
    tb_close(a);
    return compress_fd(plain, filter);
}

static void test_truncated_gzip(void **state)
{
    struct fx *f = *state;
    _cleanup_close_ int fd = layer_with_data(GZIP);
    struct stat st;
    assert_return_code(fstat(fd, &st), errno);
    /* cut inside the deflate stream, and just the trailer (CRC32 + ISIZE) */
    off_t cuts[] = {st.st_size / 2, st.st_size - 8, st.st_size - 1};
    for (size_t i = 0; i < ARRAY_SIZE(cuts); i++) {
        _cleanup_close_ int t = new_memfd();
        size_t len;
        _cleanup_free_ char *b = slurp(fd, &len);
        assert_int_equal(write(t, b, cuts[i]), cuts[i]);
        _cleanup_berr_ struct berr *err = NULL;
        assert_true(apply(f, t, NULL, &err) < 0);
        assert_non_null(err);
    }
}

static void test_corrupt_zstd(void **state)
{
    struct fx *f = *state;
    _cleanup_close_ int fd = layer_with_data(ZSTD);
    struct layer_stats good;
    apply_ok(f, fd, &good);
    size_t len;
    _cleanup_free_ char *b = slurp(fd, &len);
    /* the frame header's reserved bit, the first block's header, the frame's end */
    size_t at[] = {4, len / 2, len - 3};
    unsigned char flip[] = {0x08, 0xff, 0xff};
    for (size_t i = 0; i < ARRAY_SIZE(at); i++) {
        _cleanup_close_ int t = new_memfd();
        b[at[i]] ^= flip[i];
        assert_int_equal(write(t, b, len), (ssize_t)len);
        b[at[i]] ^= flip[i];
        _cleanup_berr_ struct berr *err = NULL;
        struct layer_stats st;
        int r = apply(f, t, &st, &err);
        /* a zstd frame without a checksum cannot always tell a flipped literal: then the
         * DiffID (and the blob digest the store checks) must differ */
        if (r >= 0 && i > 0)
            assert_string_not_equal(st.diff_id, good.diff_id);
        else
            assert_true(r < 0 && err);
    }
    _cleanup_close_ int t = new_memfd(); /* truncated */
    assert_int_equal(write(t, b, len - 5), (ssize_t)len - 5);
    _cleanup_berr_ struct berr *err = NULL;
    assert_true(apply(f, t, NULL, &err) < 0);
    assert_non_null(err);
}

static void test_not_a_layer(void **state)
{
    struct fx *f = *state;
    _cleanup_close_ int empty = new_memfd();
    apply_fails(f, empty, "");
    _cleanup_close_ int junk = new_memfd();
    char buf[4096];
    memset(buf, 'j', sizeof(buf));
    assert_int_equal(write(junk, buf, sizeof(buf)), sizeof(buf));
    apply_fails(f, junk, "");
    /* a zip is not a tar, even though libarchive could read it */
    _cleanup_close_ int zip = new_memfd();
    struct archive *a = archive_write_new();
    archive_write_set_format_zip(a);
    archive_write_open_fd(a, zip);
    tb_file(a, "pwned", 0644, "x");
    tb_close(a);
    apply_fails(f, zip, "");
    /* and gzip twice is not a layer */
    _cleanup_close_ int tar = layer_with_data(GZIP);
    _cleanup_close_ int twice = compress_fd(tar, ZSTD);
    apply_fails(f, twice, "more than once");
    assert_int_equal(count_entries(f->root, "."), 0);
}

/* A ustar header made by hand: the writer would refuse these sizes. */
static void raw_header(char h[512], const char *name, char type, const unsigned char size[12])
{
    memset(h, 0, 512);
    strcpy(h, name);
    memcpy(h + 100, "0000644", 8);
    memcpy(h + 108, "0000000", 8);
    memcpy(h + 116, "0000000", 8);
    memcpy(h + 124, size, 12);
    memcpy(h + 136, "00000000000", 12);
    h[156] = type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += (unsigned char)h[i];
    snprintf(h + 148, 8, "%06o", sum);
}

static void test_bad_sizes(void **state)
{
    struct fx *f = *state;
    unsigned char negative[12], huge[12];
    memset(negative, 0xff, sizeof(negative)); /* base-256: -1 */
    memset(huge, 0, sizeof(huge));
    huge[0] = 0x80; /* base-256: 2^62 */
    huge[4] = 0x40;
    const unsigned char *sizes[] = {negative, huge};
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        _cleanup_close_ int fd = new_memfd();
        char h[512], z[1024] = {0};
        raw_header(h, "big", '0', sizes[i]);
        assert_int_equal(write(fd, h, 512), 512);
        assert_int_equal(write(fd, "data", 4), 4);
        assert_int_equal(write(fd, z, sizeof(z)), sizeof(z));
        _cleanup_berr_ struct berr *err = NULL;
        assert_true(apply(f, fd, NULL, &err) < 0);
        assert_non_null(err);
    }
}

static void hostile(struct fx *f, void (*build)(struct archive *, const char *base),
                    const char *want)
{
    _cleanup_close_ int fd = new_memfd();
    struct archive *a = tb_new(fd, PLAIN);
    build(a, f->base);
    tb_close(a);
    if (want)
        apply_fails(f, fd, want);
    else
        apply_ok(f, fd, NULL);
    check_canary(f);
}

static void b_dotdot(struct archive *a, const char *base)
{
    tb_file(a, "../canary/file", 0644, "pwned");
}
static void b_dotdot_deep(struct archive *a, const char *base)
{
    tb_dir(a, "a", 0755);
    tb_file(a, "a/../../canary/new", 0644, "pwned");
}
static void b_dotdot_dir(struct archive *a, const char *base)
{
    tb_dir(a, "../canary/newdir", 0755);
}
static void b_symlink_abs(struct archive *a, const char *base)
{
    char t[128];
    snprintf(t, sizeof(t), "%s/canary", base);
    tb_symlink(a, "escape", t);
    tb_file(a, "escape/file", 0644, "pwned");
}
static void b_symlink_up(struct archive *a, const char *base)
{
    tb_symlink(a, "up", "../../../../..");
    tb_file(a, "up/tmp/pwned", 0644, "x"); /* ".." stops at the layer root */
}
static void b_symlink_swap(struct archive *a, const char *base)
{
    tb_dir(a, "d", 0755);
    tb_symlink(a, "d", "/tmp"); /* replaces the directory */
    tb_file(a, "d/pwned", 0644, "x");
}
static void b_symlink_whiteout(struct archive *a, const char *base)
{
    char t[128];
    snprintf(t, sizeof(t), "%s/canary", base);
    tb_symlink(a, "w", t);
    tb_file(a, "w/.wh.file", 0644, "");
}
static void b_symlink_opaque(struct archive *a, const char *base)
{
    char t[128];
    snprintf(t, sizeof(t), "%s/canary", base);
    tb_symlink(a, "o", t);
    tb_file(a, "o/.wh..wh..opq", 0644, "");
}
static void b_hardlink_dotdot(struct archive *a, const char *base)
{
    tb_hardlink(a, "h", "../canary/file");
}
static void b_hardlink_abs(struct archive *a, const char *base)
{
    char t[128];
    snprintf(t, sizeof(t), "%s/canary/file", base);
    tb_hardlink(a, "h", t);
}
static void b_hardlink_symlink(struct archive *a, const char *base)
{
    tb_symlink(a, "s", "/");
    tb_hardlink(a, "h", "s/etc/passwd");
}
static void b_hardlink_missing(struct archive *a, const char *base)
{
    tb_hardlink(a, "h", "nothing");
}
static void b_hardlink_dir(struct archive *a, const char *base)
{
    tb_dir(a, "d", 0755);
    tb_hardlink(a, "h", "d");
}
static void b_absolute(struct archive *a, const char *base)
{
    tb_file(a, "/tmp/pwned", 0644, "x"); /* lands in the layer, as docker does */
}

static void test_hostile(void **state)
{
    struct fx *f = *state;
    hostile(f, b_dotdot, "climbs above the layer root");
    hostile(f, b_dotdot_deep, "climbs above the layer root");
    hostile(f, b_dotdot_dir, "climbs above the layer root");
    hostile(f, b_symlink_abs, "does not exist there");
    hostile(f, b_symlink_swap, "does not exist there");
    hostile(f, b_symlink_whiteout, "does not exist there");
    hostile(f, b_symlink_opaque, "does not exist there");
    hostile(f, b_hardlink_dotdot, "outside the layer");
    hostile(f, b_hardlink_abs, "not in the layer");
    hostile(f, b_hardlink_symlink, "not in the layer");
    hostile(f, b_hardlink_missing, "not in the layer");
    hostile(f, b_hardlink_dir, "directory");
    hostile(f, b_symlink_up, NULL);
    read_at(f, "tmp/pwned", "x");
    hostile(f, b_absolute, NULL);
}

/* --- diff --- */

static void put(int dirfd_, const char *path, const char *data, mode_t mode)
{
    write_at(dirfd_, path, data, mode);
    assert_return_code(fchmodat(dirfd_, path, mode, 0), errno);
}

/* An overlay upper dir as the kernel leaves it. */
static void make_upper(int up)
{
    assert_return_code(mkdirat(up, "etc", 0755), errno);
    put(up, "etc/hosts", "127.0.0.1 localhost\n", 0644);
    put(up, "etc/suid", "x", 04755);
    assert_return_code(fchownat(up, "etc/suid", 0, 42, 0), errno);
    assert_return_code(linkat(up, "etc/hosts", up, "etc/hosts2", 0), errno);
    assert_return_code(mknodat(up, "gone", S_IFCHR, 0), errno);           /* whiteout */
    assert_return_code(linkat(up, "gone", up, "etc/gone-too", 0), errno); /* shared inode */
    assert_return_code(mkdirat(up, "var", 0700), errno);
    assert_return_code(mkdirat(up, "var/opaque", 0750), errno);
    int o = openat(up, "var/opaque", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_return_code(fsetxattr(o, "trusted.overlay.opaque", "y", 1, 0), errno);
    assert_return_code(fsetxattr(o, "trusted.overlay.origin", "zz", 2, 0), errno);
    assert_return_code(fsetxattr(o, "user.keep", "1", 1, 0), errno);
    close(o);
    put(up, "var/opaque/inside", "in", 0600);
    assert_return_code(symlinkat("/etc/hosts", up, "var/link"), errno);
    assert_return_code(fchownat(up, "var/link", 5, 6, AT_SYMLINK_NOFOLLOW), errno);
    assert_return_code(mknodat(up, "var/fifo", S_IFIFO | 0644, 0), errno);
    assert_return_code(mknodat(up, "var/null", S_IFCHR | 0666, makedev(1, 3)), errno);
    int s = openat(up, "var/sparse", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    assert_int_equal(pwrite(s, "data", 4, 8 << 20), 4);
    assert_return_code(ftruncate(s, 16 << 20), errno);
    close(s);
    put(up, "var/empty", "", 0644);
    put(up, "var/h\xc3\xa9llo-\xff", "bytes", 0644); /* UTF-8 and not */
    struct timespec ts[2] = {{1500000000, 0}, {1500000000, 0}};
    const char *all[] = {"etc/hosts", "var/link", "var/opaque", "etc", "var", "var/sparse"};
    for (size_t i = 0; i < ARRAY_SIZE(all); i++)
        assert_return_code(utimensat(up, all[i], ts, AT_SYMLINK_NOFOLLOW), errno);
}

/* Same names, types, modes, owners, mtimes (seconds), contents, targets, devices, xattrs,
 * and the same hardlink structure. */
static void compare_trees(int a, int b, const char *path)
{
    _cleanup_close_ int da = openat(a, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int db = openat(b, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(da >= 0 && db >= 0);
    struct dirent **na, **nb;
    int n = scandirat(da, ".", &na, NULL, alphasort);
    int m = scandirat(db, ".", &nb, NULL, alphasort);
    assert_int_equal(n, m);
    for (int i = 0; i < n; i++) {
        assert_string_equal(na[i]->d_name, nb[i]->d_name);
        const char *name = na[i]->d_name;
        if (!strcmp(name, ".") || !strcmp(name, ".."))
            continue;
        struct stat sa, sb;
        assert_return_code(fstatat(da, name, &sa, AT_SYMLINK_NOFOLLOW), errno);
        assert_return_code(fstatat(db, name, &sb, AT_SYMLINK_NOFOLLOW), errno);
        assert_int_equal(sa.st_mode, sb.st_mode);
        assert_int_equal(sa.st_uid, sb.st_uid);
        assert_int_equal(sa.st_gid, sb.st_gid);
        assert_int_equal(sa.st_rdev, sb.st_rdev);
        assert_int_equal(sa.st_nlink, sb.st_nlink);
        if (!S_ISCHR(sa.st_mode))
            assert_int_equal(sa.st_mtim.tv_sec, sb.st_mtim.tv_sec);
        char pa[64], pb[64];
        int fa = openat(da, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        int fb = openat(db, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        char la[1024] = {0}, lb[1024] = {0};
        ssize_t xa = listxattr(fs_fd_path(fa, pa), la, sizeof(la));
        ssize_t xb = listxattr(fs_fd_path(fb, pb), lb, sizeof(lb));
        for (ssize_t k = 0; k < xa; k += strlen(la + k) + 1) {
            if (!strcmp(la + k, "trusted.overlay.origin"))
                continue;
            char va[256], vb[256];
            ssize_t a1 = getxattr(pa, la + k, va, sizeof(va));
            ssize_t b1 = getxattr(pb, la + k, vb, sizeof(vb));
            if (a1 != b1)
                fail_msg("xattr %s of %s/%s", la + k, path, name);
            assert_memory_equal(va, vb, a1);
        }
        (void)xb;
        close(fa);
        close(fb);
        _cleanup_free_ char *sub = NULL;
        assert_true(asprintf(&sub, "%s/%s", path, name) > 0);
        if (S_ISREG(sa.st_mode)) {
            char *ca, *cb;
            size_t la2, lb2;
            _cleanup_berr_ struct berr *e = NULL;
            assert_return_code(fs_read_fileat(a, sub, &ca, &la2, &e), 0);
            assert_return_code(fs_read_fileat(b, sub, &cb, &lb2, &e), 0);
            assert_int_equal(la2, lb2);
            assert_memory_equal(ca, cb, la2);
            free(ca);
            free(cb);
        } else if (S_ISLNK(sa.st_mode)) {
            char ta[256] = {0}, tb[256] = {0};
            readlinkat(da, name, ta, sizeof(ta));
            readlinkat(db, name, tb, sizeof(tb));
            assert_string_equal(ta, tb);
        } else if (S_ISDIR(sa.st_mode)) {
            compare_trees(a, b, sub);
        }
    }
    for (int i = 0; i < n; i++) {
        free(na[i]);
        free(nb[i]);
    }
    free(na);
    free(nb);
}

static void test_round_trip(void **state)
{
    struct fx *f = *state;
    assert_return_code(mkdirat(f->root, "upper", 0755), errno);
    assert_return_code(mkdirat(f->root, "lower", 0755), errno);
    _cleanup_close_ int up = openat(f->root, "upper", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int low = openat(f->root, "lower", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    make_upper(up);

    enum layer_compression comps[] = {LAYER_COMPRESSION_NONE, LAYER_COMPRESSION_GZIP,
                                      LAYER_COMPRESSION_ZSTD};
    for (size_t c = 0; c < ARRAY_SIZE(comps); c++) {
        _cleanup_close_ int out1 = new_memfd(), out2 = new_memfd();
        struct layer_stats d1, d2, ap;
        _cleanup_berr_ struct berr *err = NULL;
        if (layer_diff(up, out1, comps[c], &d1, &err) < 0)
            fail_msg("layer_diff: %s", err->msg);
        _cleanup_berr_ struct berr *e2 = NULL;
        assert_return_code(layer_diff(up, out2, comps[c], &d2, &e2), 0);
        /* reproducible: byte for byte */
        size_t l1, l2;
        _cleanup_free_ char *b1 = slurp(out1, &l1);
        _cleanup_free_ char *b2 = slurp(out2, &l2);
        assert_int_equal(l1, l2);
        assert_memory_equal(b1, b2, l1);
        assert_string_equal(d1.diff_id, d2.diff_id);
        char h[65];
        hex_of(b1, l1, h);
        assert_string_equal(d1.blob_digest, h);
        assert_int_equal(d1.blob_size, l1);
        if (comps[c] == LAYER_COMPRESSION_GZIP)
            assert_memory_equal(b1 + 4, "\0\0\0\0", 4); /* no mtime in the gzip header */
        if (comps[c] == LAYER_COMPRESSION_NONE) {
            assert_string_equal(d1.diff_id, d1.blob_digest);
            assert_true(l1 < (1 << 20)); /* the sparse file's hole is not in the tar */
        } else {
            assert_string_not_equal(d1.diff_id, d1.blob_digest);
        }

        _cleanup_free_ char *lowpath = NULL;
        assert_true(asprintf(&lowpath, "%s/root/lower", f->base) > 0);
        assert_return_code(fs_rm_rf(lowpath), 0);
        assert_return_code(mkdir(lowpath, 0755), errno);
        close(low);
        low = open(lowpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_return_code(lseek(out1, 0, SEEK_SET), errno);
        if (layer_apply(out1, low, &ap, &err) < 0)
            fail_msg("layer_apply: %s", err->msg);
        assert_string_equal(ap.diff_id, d1.diff_id);
        assert_string_equal(ap.blob_digest, d1.blob_digest);
        assert_int_equal(ap.entries, d1.entries);

        /* the whiteout, its hardlinked twin and the opaque dir came back as overlay's own */
        struct stat st;
        assert_return_code(fstatat(low, "gone", &st, AT_SYMLINK_NOFOLLOW), errno);
        assert_true(S_ISCHR(st.st_mode) && st.st_rdev == 0);
        assert_true(is_opaque(low, "var/opaque"));
        int s = openat(low, "var/sparse", O_RDONLY | O_CLOEXEC);
        assert_return_code(fstat(s, &st), errno);
        assert_true(st.st_blocks * 512 < (1 << 20));
        assert_int_equal(st.st_size, 16 << 20);
        close(s);
        /* the whiteout's twin is another whiteout, not a link to it: nlink differs */
        assert_return_code(fstatat(low, "etc/gone-too", &st, AT_SYMLINK_NOFOLLOW), errno);
        assert_true(S_ISCHR(st.st_mode) && st.st_rdev == 0);
        assert_return_code(unlinkat(up, "etc/gone-too", 0), errno);
        assert_return_code(unlinkat(low, "etc/gone-too", 0), errno);
        compare_trees(up, low, ".");
        assert_return_code(linkat(up, "gone", up, "etc/gone-too", 0), errno);
    }
}

static void test_diff_refuses(void **state)
{
    struct fx *f = *state;
    assert_return_code(mkdirat(f->root, "u1", 0755), errno);
    put(f->root, "u1/.wh.sneaky", "", 0644);
    _cleanup_close_ int u1 = openat(f->root, "u1", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int out = new_memfd();
    _cleanup_berr_ struct berr *err = NULL;
    assert_true(layer_diff(u1, out, LAYER_COMPRESSION_NONE, NULL, &err) < 0);
    assert_non_null(strstr(err->msg, ".wh."));

    assert_return_code(mkdirat(f->root, "u2", 0755), errno);
    assert_return_code(mkdirat(f->root, "u2/moved", 0755), errno);
    _cleanup_close_ int m = openat(f->root, "u2/moved", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_return_code(fsetxattr(m, "trusted.overlay.redirect", "/old", 4, 0), errno);
    _cleanup_close_ int u2 = openat(f->root, "u2", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    berr_freep(&err);
    assert_true(layer_diff(u2, out, LAYER_COMPRESSION_NONE, NULL, &err) < 0);
    assert_int_equal(err->kind, BERR_UNSUPPORTED);
}

static void test_diff_empty(void **state)
{
    struct fx *f = *state;
    _cleanup_close_ int out = new_memfd();
    struct layer_stats st;
    _cleanup_berr_ struct berr *e = NULL;
    assert_return_code(layer_diff(f->root, out, LAYER_COMPRESSION_GZIP, &st, &e), 0);
    assert_int_equal(st.entries, 0);
    assert_int_equal(st.tar_size, 1024);
    assert_return_code(mkdirat(f->basefd, "again", 0755), errno);
    _cleanup_close_ int again = openat(f->basefd, "again", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    rewind_fd(out);
    struct layer_stats ap;
    assert_return_code(layer_apply(out, again, &ap, &e), 0);
    assert_string_equal(ap.diff_id, st.diff_id);
    assert_return_code(unlinkat(f->basefd, "again", AT_REMOVEDIR), errno);
}

int main(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "test-layer: needs root, skipped\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_path),
        cmocka_unit_test_setup_teardown(test_attributes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sparse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_whiteouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_whiteouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_digest_plain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_digest_gzip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_digest_zstd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_detect_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_gzip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_zstd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_layer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_diff_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_diff_empty, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

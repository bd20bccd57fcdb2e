/* layer-fixture.h - what the unit tests of layers and of cp share: a directory to unpack
 * into next to a canary that must never change, and tarballs written through libarchive.
 * Include after cmocka.h. */
#pragma once
#include <archive.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/fs.h"

/* Each test: base/ holds root/ (what is resolved in or unpacked into) and canary/ (must
 * never change, and is where an escape from root/ would land: root/../canary). */
struct fx {
    char base[64];
    int basefd;
    int root;
};

static inline void write_at(int dirfd_, const char *path, const char *data, mode_t mode)
{
    int fd = openat(dirfd_, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
    close(fd);
}

/* base/ made from a mkdtemp template ("/tmp/berth-x-XXXXXX"), with root/ and canary/file */
static inline struct fx *fx_new(const char *template)
{
    struct fx *f = calloc(1, sizeof(*f));
    snprintf(f->base, sizeof(f->base), "%s", template);
    assert_non_null(mkdtemp(f->base));
    f->basefd = open(f->base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_return_code(mkdirat(f->basefd, "root", 0755), errno);
    assert_return_code(mkdirat(f->basefd, "canary", 0755), errno);
    write_at(f->basefd, "canary/file", "canary", 0644);
    f->root = openat(f->basefd, "root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(f->root >= 0);
    return f;
}

static inline void fx_free(struct fx *f)
{
    close(f->root);
    close(f->basefd);
    fs_rm_rf(f->base);
    free(f);
}

enum { PLAIN, GZIP, ZSTD };

/* A pax tarball written to fd, compressed as filter says */
static inline struct archive *tb_new(int fd, int filter)
{
    struct archive *a = archive_write_new();
    assert_int_equal(archive_write_set_format_pax(a), ARCHIVE_OK);
    if (filter == GZIP)
        assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
    if (filter == ZSTD)
        assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
    assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
    return a;
}

static inline void tb_close(struct archive *a)
{
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
}

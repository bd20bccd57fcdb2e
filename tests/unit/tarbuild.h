/* tarbuild.h - tarballs written in the unit tests (layers, cp), through libarchive; include
 * after cmocka.h */
#pragma once
#include <archive.h>

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

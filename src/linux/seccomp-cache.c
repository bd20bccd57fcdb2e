/* seccomp-cache.c - compiled seccomp programs, cached by the SHA-256 of their spec */
#include "seccomp-cache.h"
#include "linux/seccomp.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/digest.h"
#include <fcntl.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef SECCOMP_SET_MODE_FILTER
#define SECCOMP_SET_MODE_FILTER 1
#endif
#define FLAG_TSYNC (1U << 0)
#define FLAG_LOG (1U << 1)
#define FLAG_SPEC_ALLOW (1U << 2)
#define FLAG_WAIT_KILLABLE_RECV (1U << 5)

#define CACHE_FORMAT "berth-seccomp-1"

static unsigned int flags_of(const struct spec_seccomp *sc)
{
    unsigned int f = 0;
    for (char **p = sc->flags; p && *p; p++) {
        if (strcmp(*p, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
            f |= FLAG_TSYNC;
        else if (strcmp(*p, "SECCOMP_FILTER_FLAG_LOG") == 0)
            f |= FLAG_LOG;
        else if (strcmp(*p, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
            f |= FLAG_SPEC_ALLOW;
        else if (strcmp(*p, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
            f |= FLAG_WAIT_KILLABLE_RECV;
    }
    return f;
}

/* cache file: sha256(bpf) then the bpf; anything else (torn, tampered) is ignored */
static int read_cached(const char *path, struct seccomp_prog *ret)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    _cleanup_berr_ struct berr *e = NULL;
    if (fs_read_file(path, &buf, &len, &e) < 0 || len <= 32 ||
        (len - 32) % sizeof(struct sock_filter))
        return -ENOENT;
    unsigned char sum[32];
    sha256(buf + 32, len - 32, sum);
    if (memcmp(sum, buf, 32) != 0)
        return -ENOENT;
    ret->bpf = malloc(len - 32);
    if (!ret->bpf)
        return -ENOMEM;
    memcpy(ret->bpf, buf + 32, len - 32);
    ret->len = len - 32;
    return 0;
}

static int compile(const struct spec_seccomp *sc, struct seccomp_prog *ret, struct berr **err)
{
    void *filter = seccomp_prepare(sc, err);
    if (!filter)
        return berr_code(*err);
    int fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
    if (fd < 0) {
        seccomp_filter_free(filter);
        return berr_sys(err, errno, "linux.seccomp: memfd");
    }
    int r = seccomp_export_bpf((scmp_filter_ctx)filter, fd);
    seccomp_filter_free(filter);
    struct stat st;
    if (r < 0 || fstat(fd, &st) < 0 || st.st_size <= 0) {
        close(fd);
        return berr_sys(err, r < 0 ? -r : EIO, "linux.seccomp: export filter");
    }
    ret->len = st.st_size;
    ret->bpf = malloc(ret->len);
    if (!ret->bpf || pread(fd, ret->bpf, ret->len, 0) != (ssize_t)ret->len) {
        close(fd);
        free(ret->bpf);
        ret->bpf = NULL;
        return berr_sys(err, EIO, "linux.seccomp: read exported filter");
    }
    close(fd);
    return 0;
}

int seccomp_prog_get(const char *cache_dir, json_t *sc_json, const struct spec_seccomp *sc,
                     struct seccomp_prog *ret, struct berr **err)
{
    memset(ret, 0, sizeof(*ret));
    ret->flags = flags_of(sc);
    /* notify and flags the library cannot do are refused by seccomp_prepare: always let it
     * judge a profile it has not seen */
    _cleanup_free_ char *text = sc_json ? json_dumps(sc_json, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    char path[4096] = "";
    if (cache_dir && text) {
        struct utsname u;
        uname(&u);
        const struct scmp_version *v = seccomp_version();
        _cleanup_free_ char *key = NULL;
        if (asprintf(&key, "%s\n%s\n%u.%u.%u\n%s", CACHE_FORMAT, u.machine, v->major, v->minor,
                     v->micro, text) < 0)
            return berr_sys(err, ENOMEM, "linux.seccomp");
        unsigned char sum[32];
        sha256(key, strlen(key), sum);
        int n = snprintf(path, sizeof(path), "%s/", cache_dir);
        for (int i = 0; i < 32; i++)
            n += snprintf(path + n, sizeof(path) - n, "%02x", sum[i]);
        if (read_cached(path, ret) == 0)
            return 0;
    }
    int r = compile(sc, ret, err);
    if (r < 0 || !path[0])
        return r;
    /* store it for the next container; a failure to cache is not an error */
    if (fs_mkdir_p(cache_dir, 0700) == 0) {
        _cleanup_close_ int dfd = open(cache_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *blob = malloc(32 + ret->len);
        if (dfd >= 0 && blob) {
            sha256(ret->bpf, ret->len, (unsigned char *)blob);
            memcpy(blob + 32, ret->bpf, ret->len);
            _cleanup_berr_ struct berr *e = NULL;
            fs_write_atomic(dfd, strrchr(path, '/') + 1, blob, 32 + ret->len, 0600, &e);
        }
    }
    return 0;
}

int seccomp_prog_load(const struct seccomp_prog *p, struct berr **err)
{
    struct sock_fprog prog = {.len = p->len / sizeof(struct sock_filter), .filter = p->bpf};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, &prog) < 0)
        return berr_sys(err, errno, "linux.seccomp: load filter");
    return 0;
}

void seccomp_prog_free(struct seccomp_prog *p)
{
    if (!p)
        return;
    free(p->bpf);
    p->bpf = NULL;
}

/* pull.c - pulling an image for run and create: berth-registry does it.
 *
 * The registry client links libcurl and OpenSSL, which berth's static binary cannot, so it
 * is the second program, berth-registry (docs/registry-client.md). The engine runs it as
 * `berth-registry --root R --runroot RR [--config F] pull ...` with posix_spawn (safe in a
 * threaded caller: nothing runs between fork and exec), its progress going to the caller's
 * fd and its one-line error coming back as the operation's error. */
#include "engine/images.h"
#include "engine/engine.h"
#include "base/cleanup.h"
#include "base/xalloc.h"
#include "image/reference.h"
#include "image/store.h"
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

char *img_pull_name(const char *what, struct berr **err)
{
    _cleanup_(ref_freep) struct ref *rf = ref_parse(what, err);
    if (!rf)
        return NULL;
    _cleanup_free_ char *fam = ref_familiar(rf);
    return rf->digest ? xasprintf("%s@%s", fam, rf->digest) : xasprintf("%s:%s", fam, rf->tag);
}

bool img_exists(struct engine *e, const char *what)
{
    struct berr *err = NULL;
    _cleanup_store_ struct store *st = store_open(e->root, &err);
    _cleanup_image_ struct image *im = st ? store_find_image(st, what, &err) : NULL;
    berr_free(err);
    return im != NULL;
}

/* The last non-empty line of text, without "berth: " (the client's own prefix) */
static const char *last_line(char *text)
{
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        text[--n] = 0;
    char *l = strrchr(text, '\n');
    l = l ? l + 1 : text;
    return strncmp(l, "berth: ", 7) ? l : l + 7;
}

int img_pull(struct engine *e, const char *what, const struct img_pull_opts *o, int out_fd,
             struct berr **err)
{
    /* refused here, before anything runs, as the client would refuse it */
    _cleanup_(ref_freep) struct ref *rf = ref_parse(what, err);
    if (!rf)
        return -1;
    if (what[0] == '-')
        return berr_set(err, BERR_INVALID, EINVAL, "invalid reference format");
    _cleanup_free_ char *prog = engine_helper_path(e->berth, "berth-registry");
    const char *argv[16];
    int n = 0;
    argv[n++] = "berth-registry";
    argv[n++] = "--root";
    argv[n++] = e->root;
    argv[n++] = "--runroot";
    argv[n++] = e->runroot;
    if (e->config_path) {
        argv[n++] = "--config";
        argv[n++] = e->config_path;
    }
    argv[n++] = "pull";
    if (o && o->quiet)
        argv[n++] = "-q";
    if (o && o->platform) {
        argv[n++] = "--platform";
        argv[n++] = o->platform;
    }
    argv[n++] = "--";
    argv[n++] = what;
    argv[n] = NULL;

    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return berr_sys(err, errno, "pull %s: pipe", what);
    _cleanup_close_ int rd = pfd[0];
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
    pid_t pid;
    int rc = strchr(prog, '/') ? posix_spawn(&pid, prog, &fa, &at, (char **)argv, environ)
                               : posix_spawnp(&pid, prog, &fa, &at, (char **)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(pfd[1]);
    if (rc != 0) {
        if (rc == ENOENT)
            return berr_set(err, BERR_UNSUPPORTED, rc,
                            "pull %s: berth-registry is not installed (not next to berth, not "
                            "on PATH): run 'make install'",
                            what);
        return berr_sys(err, rc, "pull %s: run %s", what, prog);
    }
    /* its stderr: the last line is its error; a bounded tail is kept */
    char buf[8192];
    size_t len = 0;
    for (;;) {
        char chunk[4096];
        ssize_t r = read(rd, chunk, sizeof(chunk));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        /* chunk is smaller than buf: drop the oldest bytes to make room */
        if (len + (size_t)r > sizeof(buf) - 1) {
            size_t drop = len + (size_t)r - (sizeof(buf) - 1);
            memmove(buf, buf + drop, len - drop);
            len -= drop;
        }
        memcpy(buf + len, chunk, (size_t)r);
        len += (size_t)r;
    }
    buf[len] = 0;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return berr_sys(err, errno, "pull %s: wait", what);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    const char *why = last_line(buf);
    if (*why)
        return berr_set(err, BERR_INTERNAL, EIO, "%s", why);
    if (WIFSIGNALED(status))
        return berr_set(err, BERR_INTERNAL, EINTR, "pull %s: berth-registry killed by signal %d",
                        what, WTERMSIG(status));
    return berr_set(err, BERR_INTERNAL, EIO, "pull %s: berth-registry exited with %d", what,
                    WEXITSTATUS(status));
}

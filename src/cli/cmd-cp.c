/* cmd-cp.c - berth cp (and container cp): files between a container and the host, both
 * ways, with docker cp's rules.
 *
 * The container's side of a copy is the engine's (engine/ctr-copy.h: a helper process in the
 * container's mount namespace, every path resolved inside its root); this is the host's side,
 * as docker's CLI has it: the host path checked and resolved, the tar the container sends
 * unpacked under the destination directory (every entry resolved inside it), or the host
 * source written as a tar for the container to unpack. */
#include "cli.h"
#include "engine/engine.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "engine/containers.h"
#include "engine/ctr-copy.h"
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cp_opts {
    bool archive; /* -a: keep the source's uid/gid */
    bool follow;  /* -L: follow a symlink that is SRC_PATH itself */
    bool quiet;   /* -q: no summary line */
};

struct job {
    struct engine *e;
    const char *name;      /* the container as the user named it */
    const char *ctr_path;  /* the path in it, as given */
    const char *host_path; /* the host's path as given, or "-" */
    struct cp_opts o;
};

/* A host path cleaned as docker does, relative to the current directory. */
static int host_path(const char *arg, struct copy_path *ret)
{
    char cwd[PATH_MAX] = "";
    if (arg[0] != '/' && !getcwd(cwd, sizeof(cwd))) {
        struct berr *err = NULL;
        berr_sys(&err, errno, "cp: the current directory");
        return cli_fail(err, 1);
    }
    copy_path_parse(arg, cwd, NULL, ret);
    return 0;
}

/* Waits for the container's side, and prints the error of the copy if there is one. When both
 * sides failed, the container's error is the cause (ours is its consequence: a broken pipe, a
 * short tar). When only we failed, its side is stopped at once, before it can see half a
 * stream. 0 on success. */
static int finish(struct ctr_copy *cp, struct berr *ours)
{
    struct berr *err = NULL;
    if (ctr_copy_finish(cp, ours != NULL, &err) < 0) {
        berr_free(ours);
        ours = err;
    }
    if (ours) {
        berr_prefix(&ours, "cp");
        return cli_fail(ours, 1);
    }
    return 0;
}

/* an engine call failed before the copy began: one line, exit 1 */
static int fail(struct berr *err)
{
    berr_prefix(&err, "cp");
    return cli_fail(err, 1);
}

/* docker's "Successfully copied 2.05kB to /x" (units.HumanSizeWithPrecision, 3 digits) */
static void summary(const struct cp_opts *o, uint64_t size, const char *to)
{
    if (o->quiet || !isatty(STDOUT_FILENO))
        return;
    static const char *units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    double n = (double)size;
    int u = 0;
    while (n >= 1000 && u < 6) {
        n /= 1000;
        u++;
    }
    fprintf(stderr, "Successfully copied %.3g%s to %s\n", n, units[u], to);
}

/* a system call failed on our side: one line, exit 1 */
static int fail_errno(const char *what)
{
    struct berr *err = NULL;
    berr_sys(&err, errno, "cp: %s", what);
    return cli_fail(err, 1);
}

static int copy_out(struct job *j)
{
    struct berr *err = NULL;
    struct ctr_path_stat st = {0};
    struct ctr_copy_out_opts co = {.path = j->ctr_path, .follow = j->o.follow, .peer_fd = -1};
    if (!strcmp(j->host_path, "-")) {
        struct ctr_copy *cp = ctr_copy_out(j->e, j->name, &co, STDOUT_FILENO, &st, &err);
        ctr_path_stat_clear(&st);
        return cp ? finish(cp, NULL) : fail(err);
    }
    struct copy_path dst = {0};
    if (host_path(j->host_path, &dst))
        return 1;
    int rc = 1;
    /* the host side first, as docker: its destination directory must exist, and what is there
     * must be a directory or a file */
    _cleanup_close_ int hostroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    _cleanup_free_ char *parent = strdup(dst.path), *dir = NULL, *name = NULL;
    struct copy_dst hdst = {0};
    struct ctr_copy *cp = NULL;
    int pipefd[2] = {-1, -1};
    if (hostroot < 0 || !parent) {
        rc = fail_errno("open /");
        goto out;
    }
    char *slash = strrchr(parent, '/');
    *(slash == parent ? slash + 1 : slash) = 0;
    struct stat sb;
    if (stat(parent, &sb) < 0 && errno == ENOENT) {
        berr_set(&err, BERR_NOT_FOUND, ENOENT,
                 "cp: invalid output path: directory \"%s\" does not exist", parent);
        rc = cli_fail(err, 1);
        goto out;
    }
    if (copy_resolve_dst(hostroot, &dst, &hdst, &err) < 0) {
        rc = fail(err);
        goto out;
    }
    if (hdst.special) {
        berr_set(&err, BERR_INVALID, EINVAL,
                 "cp: invalid output path: \"%s\" must be a directory or a regular file",
                 dst.shown);
        rc = cli_fail(err, 1);
        goto out;
    }
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        rc = fail_errno("pipe");
        goto out;
    }
    co.peer_fd = pipefd[0];
    cp = ctr_copy_out(j->e, j->name, &co, pipefd[1], &st, &err);
    close(pipefd[1]);
    if (!cp) {
        rc = fail(err);
        goto out;
    }
    /* what the container sends is its source under its own name (st.name), which lands in
     * `dir` as `name` */
    uint64_t size = 0, devs = 0;
    if (copy_plan_check(S_ISDIR(st.mode), &hdst, dst.shown, &err) == 0) {
        copy_plan_dir(&hdst, st.name, &dir, &name);
        _cleanup_close_ int dfd = fs_openat_in_root(hostroot, dir, O_PATH | O_DIRECTORY, 0);
        struct copy_untar_opts uo = {
            .top = st.name, .rename = strcmp(name, st.name) ? name : NULL, .archive = j->o.archive};
        if (dfd < 0)
            berr_sys(&err, -dfd, "%s", dir);
        else
            copy_untar_host(pipefd[0], dfd, &uo, &size, &devs, &err);
    }
    rc = finish(cp, err);
    if (rc == 0 && devs)
        log_warn("cp: %llu device node(s) not made on the host (copy to \"-\" to get them)",
                 (unsigned long long)devs);
    if (rc == 0)
        summary(&j->o, size, dst.path);
out:
    if (pipefd[0] >= 0)
        close(pipefd[0]);
    free(hdst.canon);
    ctr_path_stat_clear(&st);
    copy_path_clear(&dst);
    return rc;
}

static int copy_in(struct job *j)
{
    struct berr *err = NULL;
    struct ctr_copy_in_opts ci = {.path = j->ctr_path, .copy_uid_gid = j->o.archive, .peer_fd = -1};
    if (!strcmp(j->host_path, "-")) {
        struct ctr_copy *cp = ctr_copy_in(j->e, j->name, &ci, STDIN_FILENO, &err);
        return cp ? finish(cp, NULL) : fail(err);
    }
    struct copy_path src = {0};
    if (host_path(j->host_path, &src))
        return 1;
    int rc = 1;
    struct copy_src s = {0};
    _cleanup_close_ int hostroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (hostroot < 0) {
        rc = fail_errno("open /");
        goto out;
    }
    if (copy_resolve_src(hostroot, &src, j->o.follow, &s, &err) < 0) {
        rc = fail(err);
        goto out;
    }
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        rc = fail_errno("pipe");
        goto out;
    }
    ci.src_base = src.base;
    ci.src_isdir = S_ISDIR(s.st.st_mode);
    ci.peer_fd = pipefd[1];
    struct ctr_copy *cp = ctr_copy_in(j->e, j->name, &ci, pipefd[0], &err);
    close(pipefd[0]);
    if (!cp) {
        close(pipefd[1]);
        rc = fail(err);
        goto out;
    }
    /* a container side that stopped reading (it failed, and says why) must not kill us */
    signal(SIGPIPE, SIG_IGN);
    uint64_t size = 0;
    copy_tar(hostroot, s.canon, src.base, pipefd[1], &size, &err);
    /* our failure: the container's side is stopped before it sees the stream end early */
    if (err) {
        rc = finish(cp, err);
        close(pipefd[1]);
    } else {
        close(pipefd[1]);
        rc = finish(cp, NULL);
    }
    if (rc == 0) {
        struct copy_path dst = {0};
        copy_path_parse(j->ctr_path, NULL, j->name, &dst);
        char to[PATH_MAX + 300];
        snprintf(to, sizeof(to), "%s:%s", j->name, dst.path);
        copy_path_clear(&dst);
        summary(&j->o, size, to);
    }
out:
    free(s.canon);
    copy_path_clear(&src);
    return rc;
}

/* docker's splitCpArg: CONTAINER:PATH, unless it is an absolute path or starts with "."
 * (./file:name is a local file). *ret_ctr is NULL for a local path. */
static void split_arg(char *arg, char **ret_ctr, char **ret_path)
{
    char *colon = strchr(arg, ':');
    *ret_ctr = NULL;
    *ret_path = arg;
    if (arg[0] == '/' || !colon || arg[0] == '.')
        return;
    *colon = 0;
    if (*arg)
        *ret_ctr = arg;
    *ret_path = colon + 1;
}

static void usage(FILE *f)
{
    fputs("Usage: berth cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"
          "       berth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH\n"
          "\n"
          "Copy files/folders between a container and the local filesystem.\n"
          "'-' as the source reads a tar archive from stdin and extracts it into a directory\n"
          "of the container; '-' as the destination writes a tar archive of the source to\n"
          "stdout. The container may be running or stopped.\n"
          "\n"
          "Options:\n"
          "  -a, --archive       Archive mode (copy all uid/gid information); without it,\n"
          "                      what is copied in is owned by root, what is copied out by\n"
          "                      you, with no setuid/setgid bit or file capability\n"
          "  -L, --follow-link   Always follow symbol link in SRC_PATH\n"
          "  -q, --quiet         Suppress the summary printed on a terminal\n",
          f);
}

int cmd_cp(struct engine *e, int argc, char **argv)
{
    static const struct option longs[] = {{"archive", no_argument, NULL, 'a'},
                                          {"follow-link", no_argument, NULL, 'L'},
                                          {"quiet", no_argument, NULL, 'q'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    struct job j = {.e = e};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "aLqh", longs, NULL)) != -1) {
        switch (c) {
        case 'a': j.o.archive = true; break;
        case 'L': j.o.follow = true; break;
        case 'q': j.o.quiet = true; break;
        case 'h': usage(stdout); return 0;
        default: return 125;
        }
    }
    struct berr *err = NULL;
    if (argc - optind != 2) {
        berr_set(&err, BERR_INVALID, EINVAL,
                 "cp: give a source and a destination: see 'berth cp --help'");
        return cli_fail(err, 1);
    }
    if (!*argv[optind] || !*argv[optind + 1]) {
        berr_set(&err, BERR_INVALID, EINVAL, "cp: %s can not be empty",
                 *argv[optind] ? "destination" : "source");
        return cli_fail(err, 1);
    }
    char *sctr, *spath, *dctr, *dpath;
    split_arg(argv[optind], &sctr, &spath);
    split_arg(argv[optind + 1], &dctr, &dpath);
    if (sctr && dctr)
        berr_set(&err, BERR_UNSUPPORTED, ENOTSUP,
                 "cp: copying between containers is not supported");
    else if (!sctr && !dctr)
        berr_set(&err, BERR_INVALID, EINVAL, "cp: must specify at least one container source");
    if (err)
        return cli_fail(err, 1);
    j.name = sctr ? sctr : dctr;
    /* a missing container is said before anything of the host's is looked at (the engine's
     * calls open it again, to copy) */
    struct ctr *ctr = ctr_open(e, j.name, &err);
    if (!ctr)
        return fail(err);
    ctr_free(ctr);
    j.ctr_path = sctr ? spath : dpath;
    /* "-": a tar stream, stdout out of the container, stdin into it */
    j.host_path = sctr ? dpath : spath;
    return sctr ? copy_out(&j) : copy_in(&j);
}

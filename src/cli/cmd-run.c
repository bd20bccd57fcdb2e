/* cmd-run.c - berth run: a container of an image, in the foreground with --rm, or detached
 * (-d) under its monitor (engine/monitor.c). A foreground container without --rm comes with
 * attaching to a monitor; until then it is refused, never half done. */
#include "cli.h"
#include "engine/engine.h"
#include "attach.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/proc.h"
#include "base/quote.h"
#include "engine/bundle.h"
#include "engine/config.h"
#include "image/layer.h"
#include "engine/containers.h"
#include "engine/monitor.h"
#include "engine/volumes.h"
#include "runtime/state.h"
#include <sys/file.h>
#include "image/overlay.h"
#include "image/store.h"
#include "runtime/container.h"
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* a bad value for a flag: one line, exit 125 */
static int run_fail(struct berr *err, const char *what)
{
    if (!err)
        berr_set(&err, BERR_INVALID, EINVAL, "%s", what);
    else
        berr_prefix(&err, what);
    berr_prefix(&err, "run");
    return cli_fail(err, 125);
}

/* --env-file: KEY=VALUE lines (KEY alone: from our environment); blank and # lines skipped.
 * Lines of any length (getline), appended in linear time; a line that is not UTF-8, or holds
 * a NUL byte, is refused with its number and its text escaped, never cut or dropped. */
static int read_env_file(const char *path, char ***env, struct berr **err)
{
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    if (!f)
        return berr_sys(err, errno, "%s", path);
    size_t n = 0, cap = 0; /* the caller's vector has no room to spare: the first append grows it */
    while (*env && (*env)[n])
        n++;
    char **v = *env;
    _cleanup_free_ char *line = NULL;
    size_t linecap = 0;
    ssize_t len;
    for (unsigned long lineno = 1; (len = getline(&line, &linecap, f)) >= 0; lineno++) {
        char q[QUOTE_SIZE];
        if (strlen(line) != (size_t)len) {
            quote_str(q, sizeof(q), line);
            return berr_set(err, BERR_INVALID, EINVAL, "%s: line %lu: a NUL byte after %s", path,
                            lineno, q);
        }
        line[strcspn(line, "\r\n")] = 0;
        const char *l = line + strspn(line, " \t");
        if (!*l || *l == '#')
            continue;
        quote_str(q, sizeof(q), l);
        if (*l == '=')
            return berr_set(err, BERR_INVALID, EINVAL, "%s: line %lu: %s: no variable name", path,
                            lineno, q);
        /* KEY=VALUE as it is; a bare KEY takes our value, or is skipped if we have none */
        const char *ours = strchr(l, '=') ? NULL : getenv(l);
        if (!strchr(l, '=') && !ours)
            continue;
        char *kv = ours ? xasprintf("%s=%s", l, ours) : xstrdup(l);
        if (bundle_text_check("variable", kv, err) < 0) {
            free(kv);
            return berr_prefix(err, "%s: line %lu", path, lineno);
        }
        if (n + 2 > cap) {
            cap = cap ? cap : 16;
            while (n + 2 > cap)
                cap *= 2;
            char **nv = realloc(v, cap * sizeof(char *));
            if (!nv) {
                free(kv);
                return berr_set(err, BERR_INTERNAL, ENOMEM, "%s: out of memory", path);
            }
            *env = v = nv;
        }
        v[n++] = kv;
        v[n] = NULL;
    }
    if (ferror(f))
        return berr_sys(err, errno, "%s", path);
    return 0;
}

/* --init: berth itself (static) bound read-only at /dev/init runs the command as its child */
static int add_init(json_t *spec, struct berr **err)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n < 0)
        return berr_sys(err, errno, "--init: /proc/self/exe");
    self[n] = 0;
    json_array_append_new(json_object_get(spec, "mounts"),
                          json_pack("{s:s,s:s,s:s,s:[s,s,s,s]}", "destination", "/dev/init", "type",
                                    "bind", "source", self, "options", "bind", "ro", "nosuid",
                                    "nodev"));
    json_t *proc = json_object_get(spec, "process");
    json_t *args = json_pack("[s,s]", "/dev/init", "--");
    json_array_extend(args, json_object_get(proc, "args"));
    json_object_set_new(proc, "args", args);
    return 0;
}

/* --restart no|always|unless-stopped|on-failure[:N] */
/* --security-opt: no-new-privileges[=true|false], seccomp=unconfined|FILE (docker's profile
 * format), and the LSM settings that say "none": berth applies no AppArmor profile or SELinux
 * label of its own */
static int parse_security_opt(const char *arg, bool *nnp, bool *unconfined, json_t **seccomp)
{
    const char *sep = strpbrk(arg, "=:");
    size_t kl = sep ? (size_t)(sep - arg) : strlen(arg);
    const char *val = sep ? sep + 1 : "";
    if (!strncmp(arg, "no-new-privileges", kl) && kl == 17) {
        if (sep && strcmp(val, "true") != 0 && strcmp(val, "false") != 0) {
            fprintf(stderr, "berth: run: --security-opt %s: use true or false\n", arg);
            return -1;
        }
        *nnp = !sep || !strcmp(val, "true");
        return 0;
    }
    if (!strncmp(arg, "seccomp", kl) && kl == 7 && sep) {
        json_decref(*seccomp);
        *seccomp = NULL;
        *unconfined = !strcmp(val, "unconfined");
        if (*unconfined)
            return 0;
        json_error_t je;
        *seccomp = json_load_file(val, JSON_REJECT_DUPLICATES, &je);
        if (!*seccomp) {
            fprintf(stderr, "berth: run: --security-opt %s: %s\n", arg, je.text);
            return -1;
        }
        return 0;
    }
    if ((!strcmp(arg, "apparmor=unconfined") || !strcmp(arg, "apparmor:unconfined") ||
         !strcmp(arg, "label=disable") || !strcmp(arg, "label:disable")))
        return 0;
    fprintf(stderr,
            "berth: run: --security-opt %s: not supported (berth takes no-new-privileges, "
            "seccomp=unconfined, seccomp=FILE, apparmor=unconfined, label=disable)\n",
            arg);
    return -1;
}

/* Containers whose `berth run` was killed: once their process has exited too, nothing owns
 * them. The disk is the source of truth, so the next run clears them: runtime state, cgroup
 * and container dir. A container still running is left alone. */
/* A --rm container whose monitor was killed, once it has exited: removed, as its monitor
 * would have. Others stay for `rm`. Returns true if it went. */
static bool reap_one(const char *root, const char *rtroot, const char *id)
{
    char f[PATH_MAX + 80];
    snprintf(f, sizeof(f), "%s/containers/%s/owner", root, id);
    if (proc_owner_alive(f) == 1)
        return false;
    snprintf(f, sizeof(f), "%s/containers/%s/container.json", root, id);
    json_t *rec = json_load_file(f, 0, NULL);
    bool auto_remove =
        !rec || json_is_true(json_object_get(json_object_get(rec, "HostConfig"), "AutoRemove"));
    json_decref(rec);
    if (!auto_remove)
        return false;
    struct berr *e = NULL;
    json_t *state = rt_state(rtroot, id, &e);
    const char *status = state ? json_string_value(json_object_get(state, "status")) : NULL;
    bool running = status && strcmp(status, "stopped") != 0;
    json_decref(state);
    berr_free(e);
    if (running)
        return false;
    _cleanup_berr_ struct berr *e2 = NULL;
    if (status)
        rt_delete(rtroot, id, true, &e2);
    snprintf(f, sizeof(f), "%s/containers/%s", root, id);
    log_debug("run: clearing container %.12s left by a monitor that was killed", id);
    ctr_name_forget(root, id);
    fs_rm_rf(f);
    return true;
}

/* What killed runs left, found without reading every container: the directories of runs
 * killed while setting up (<root>/containers/.creating/<id>, their marker) and of --rm
 * containers whose monitor was killed while removing them (.removing-<id>). */
static void reap_stale(const char *root, const char *rtroot)
{
    char path[PATH_MAX], f[PATH_MAX + 80];
    snprintf(path, sizeof(path), "%s/containers/.creating", root);
    _cleanup_closedir_ DIR *c = opendir(path);
    struct dirent *de;
    while (c && (de = readdir(c))) {
        if (strlen(de->d_name) != 64)
            continue;
        snprintf(f, sizeof(f), "%s/%s", path, de->d_name);
        if (proc_owner_alive(f) != 0) /* alive, or a marker just removed: a run that finished */
            continue;
        /* its run was killed after the monitor took over: the monitor owns it now */
        char own[PATH_MAX + 80];
        snprintf(own, sizeof(own), "%s/containers/%s/owner", root, de->d_name);
        if (proc_owner_alive(own) == 1) {
            unlink(f);
            continue;
        }
        _cleanup_berr_ struct berr *e = NULL;
        rt_delete(rtroot, de->d_name, true, &e);
        ctr_name_forget(root, de->d_name);
        snprintf(f, sizeof(f), "%s/containers/%s", root, de->d_name);
        fs_rm_rf(f);
        snprintf(f, sizeof(f), "%s/%s", path, de->d_name);
        unlink(f);
    }
    snprintf(path, sizeof(path), "%s/containers", root);
    _cleanup_closedir_ DIR *d = opendir(path);
    while (d && (de = readdir(d))) {
        if (strncmp(de->d_name, ".removing-", 10) != 0)
            continue;
        /* a path cut short would remove another directory */
        if (snprintf(f, sizeof(f), "%s/%s/owner", path, de->d_name) >= (int)sizeof(f) ||
            proc_owner_alive(f) != 0)
            continue;
        if (snprintf(f, sizeof(f), "%s/%s", path, de->d_name) >= (int)sizeof(f))
            continue;
        fs_rm_rf(f);
    }
}

/* Mounts a container's root file system (dir/rootfs over dir/upper) in a mount namespace of
 * our own: the host never sees it, and if berth is killed it goes away with the container
 * instead of staying mounted. The monitor forked after this keeps the namespace. */
static int mount_private(struct store *st, struct image *im, const char *dir, struct berr **err)
{
    char upper[PATH_MAX], work[PATH_MAX], rootfs[PATH_MAX];
    snprintf(upper, sizeof(upper), "%s/upper", dir);
    snprintf(work, sizeof(work), "%s/work", dir);
    snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return berr_sys(err, errno, "private mount namespace");
    /* the store's fd still points into the old namespace's mounts: overlay wants its layers
     * (named relative to the store) in ours */
    int nfd = open(st->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (nfd < 0 || dup3(nfd, st->dirfd, O_CLOEXEC) < 0) {
        berr_sys(err, errno, "reopen %s", st->dir);
        if (nfd >= 0)
            close(nfd);
        return -1;
    }
    close(nfd);
    return overlay_mount(st, im, upper, work, rootfs, err);
}

/* mount_private for an existing container (dir), from the image it records */
int mount_container(const char *root, const char *dir, struct berr **err)
{
    char imgfile[PATH_MAX];
    snprintf(imgfile, sizeof(imgfile), "%s/image", dir);
    _cleanup_free_ char *image_id = NULL;
    if (fs_read_file(imgfile, &image_id, NULL, err) < 0)
        return -1;
    _cleanup_store_ struct store *st = store_open(root, err);
    if (!st)
        return -1;
    _cleanup_image_ struct image *im = store_get_image(st, image_id, err);
    if (!im || mount_private(st, im, dir, err) < 0)
        return -1;
    return 0;
}

/* start of one created or exited container, in the calling (forked) process */
static int start_one(const char *root, const char *id, int attach_fd, bool interactive,
                     struct berr **err)
{
    json_t *c __attribute__((cleanup(json_decrefp))) = ctr_load(root, id, err);
    if (!c)
        return -1;
    if (json_is_true(json_object_get(json_object_get(c, "State"), "Running")))
        return 0;
    _cleanup_free_ char *dir = ctr_dir(root, id);
    if (mount_container(root, dir, err) < 0)
        return -1;
    char rtroot[PATH_MAX];
    cli_rtroot(rtroot, sizeof(rtroot));
    /* whatever a killed monitor left of the last run */
    _cleanup_berr_ struct berr *e = NULL;
    rt_delete(rtroot, id, true, &e);
    struct monitor_opts mo = {.root = root, .rtroot = rtroot, .id = id};
    monitor_opts_from_record(c, &mo);
    mo.keep_on_failure = true;
    mo.interactive = interactive;
    mo.attach_fd = attach_fd;
    return monitor_start(&mo, err);
}

/* A client of a running container's monitor: its exit code, or 0 after a detach */
static int attach_running(const char *root, const char *id, const struct attach_client_opts *ao)
{
    struct berr *err = NULL;
    _cleanup_free_ char *dir = ctr_dir(root, id);
    int sock = attach_connect(dir, &err);
    if (sock < 0)
        return cli_fail(err, 1);
    int rc = attach_client(sock, ao);
    close(sock);
    return rc == ATTACH_DETACHED ? 0 : rc;
}

int cmd_start(struct engine *e, int argc, char **argv)
{
    const char *root = e->root;
    static const struct option longs[] = {{"attach", no_argument, NULL, 'a'},
                                          {"interactive", no_argument, NULL, 'i'},
                                          {"detach-keys", required_argument, NULL, 'k'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    bool attach = false, interactive = false;
    char keys[16] = {16, 17}; /* ctrl-p ctrl-q */
    size_t nkeys = 2;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+aih", longs, NULL)) != -1) {
        switch (c) {
        case 'a': attach = true; break;
        case 'i': interactive = true; break;
        case 'k':
            if (attach_parse_keys(optarg, keys, &nkeys, sizeof(keys)) < 0) {
                fprintf(stderr, "berth: start: --detach-keys %s: invalid detach keys\n", optarg);
                return 125;
            }
            break;
        case 'h':
            printf("Usage: berth start [-a] [-i] [--detach-keys KEYS] CONTAINER...\n");
            return 0;
        default: return 125;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "berth: start: give at least one container\n");
        return 125;
    }
    if ((attach || interactive) && argc - optind > 1) {
        fprintf(stderr, "berth: start: you cannot start and attach multiple containers at once\n");
        return 125;
    }
    int rc = 0;
    for (int i = optind; i < argc; i++) {
        struct berr *err = NULL;
        _cleanup_free_ char *id = ctr_resolve(root, argv[i], &err);
        json_t *ctr = id ? ctr_load(root, id, &err) : NULL;
        if (!ctr) {
            rc = cli_fail(err, 1);
            continue;
        }
        json_t *cfg = json_object_get(ctr, "Config");
        bool tty = json_is_true(json_object_get(cfg, "Tty"));
        bool open_stdin = interactive && json_is_true(json_object_get(cfg, "OpenStdin"));
        bool running = json_is_true(json_object_get(json_object_get(ctr, "State"), "Running"));
        json_decref(ctr);
        if ((attach || interactive) && running) {
            /* docker start -a of a running container: an attach */
            struct attach_client_opts ao = {.tty = tty,
                                            .stdin_open = open_stdin,
                                            .sig_proxy = true,
                                            .keys = keys,
                                            .nkeys = nkeys};
            return attach_running(root, id, &ao);
        }
        int sv[2] = {-1, -1};
        if ((attach || interactive) &&
            socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
            berr_sys(&err, errno, "start: attach socket");
            return cli_fail(err, 1);
        }
        /* each in a process of its own: its mount namespace holds its root file system only */
        fflush(NULL);
        pid_t p = fork();
        if (p == 0) {
            /* one start at a time per store: two starts of one container cannot race */
            char lockpath[PATH_MAX];
            snprintf(lockpath, sizeof(lockpath), "%s/containers/.lock", root);
            int lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
            if (lockfd >= 0)
                flock(lockfd, LOCK_EX);
            if (start_one(root, id, sv[1], open_stdin, &err) < 0) {
                berr_prefix(&err, "start %s", argv[i]);
                _exit(cli_fail(err, 1)); /* docker start: 1 whatever went wrong */
            }
            _exit(0);
        }
        if (sv[1] >= 0)
            close(sv[1]);
        int status = 0;
        if (p < 0 || waitpid(p, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
            rc = p < 0 ? 1 : WIFEXITED(status) ? WEXITSTATUS(status) : 1;
            if (sv[0] >= 0)
                close(sv[0]);
            continue;
        }
        if (sv[0] < 0) {
            printf("%s\n", argv[i]);
            continue;
        }
        /* start -a: the container's output here, and its exit code ours */
        struct attach_client_opts ao = {
            .tty = tty, .stdin_open = open_stdin, .sig_proxy = true, .keys = keys, .nkeys = nkeys};
        rc = attach_client(sv[0], &ao);
        close(sv[0]);
        if (rc == ATTACH_DETACHED)
            rc = 0;
    }
    return rc;
}

int cmd_attach(struct engine *e, int argc, char **argv)
{
    const char *root = e->root;
    static const struct option longs[] = {{"no-stdin", no_argument, NULL, 'n'},
                                          {"sig-proxy", optional_argument, NULL, 's'},
                                          {"detach-keys", required_argument, NULL, 'k'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    bool no_stdin = false, sig_proxy = true;
    char keys[16] = {16, 17}; /* ctrl-p ctrl-q */
    size_t nkeys = 2;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", longs, NULL)) != -1) {
        switch (c) {
        case 'n': no_stdin = true; break;
        case 's':
            if (optarg && strcmp(optarg, "true") != 0 && strcmp(optarg, "false") != 0) {
                fprintf(stderr, "berth: attach: use --sig-proxy=true or --sig-proxy=false\n");
                return 125;
            }
            sig_proxy = !optarg || !strcmp(optarg, "true");
            break;
        case 'k':
            if (attach_parse_keys(optarg, keys, &nkeys, sizeof(keys)) < 0) {
                fprintf(stderr, "berth: attach: --detach-keys %s: invalid detach keys\n", optarg);
                return 125;
            }
            break;
        case 'h':
            printf("Usage: berth attach [--no-stdin] [--sig-proxy=false] [--detach-keys KEYS] "
                   "CONTAINER\n");
            return 0;
        default: return 125;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "berth: attach: give one container\n");
        return 125;
    }
    struct berr *err = NULL;
    _cleanup_free_ char *id = ctr_resolve(root, argv[optind], &err);
    json_t *ctr = id ? ctr_load(root, id, &err) : NULL;
    if (!ctr)
        return cli_fail(err, 1);
    json_t *cfg = json_object_get(ctr, "Config");
    bool tty = json_is_true(json_object_get(cfg, "Tty"));
    bool open_stdin = !no_stdin && json_is_true(json_object_get(cfg, "OpenStdin"));
    bool running = json_is_true(json_object_get(json_object_get(ctr, "State"), "Running"));
    json_decref(ctr);
    if (!running) {
        fprintf(stderr,
                "berth: attach %s: you cannot attach to a stopped container, start it "
                "first\n",
                argv[optind]);
        return 1;
    }
    struct attach_client_opts ao = {
        .tty = tty, .stdin_open = open_stdin, .sig_proxy = sig_proxy, .keys = keys, .nkeys = nkeys};
    return attach_running(root, id, &ao);
}

/* The container's merged root file system, opened: a running one's through its monitor's
 * mount namespace (without the container's own mounts: /proc, volumes); a stopped one's
 * mounted here, in a private namespace (the caller is a process of its own). */
static int open_rootfs(const char *root, const char *id, struct berr **err)
{
    json_t *c = ctr_load(root, id, err);
    if (!c)
        return -1;
    json_t *st = json_object_get(c, "State");
    bool running = json_is_true(json_object_get(st, "Running"));
    pid_t mon = json_integer_value(json_object_get(st, "MonitorPid"));
    uint64_t mstart = json_integer_value(json_object_get(st, "MonitorStart"));
    json_decref(c);
    _cleanup_free_ char *dir = ctr_dir(root, id);
    char path[PATH_MAX + 64];
    if (running) {
        if (!proc_alive(mon, mstart))
            return berr_set(err, BERR_INVALID, ESRCH,
                            "the container's monitor is gone: stop it, then export it");
        snprintf(path, sizeof(path), "/proc/%d/root%s/rootfs", mon, dir);
    } else {
        if (mount_container(root, dir, err) < 0)
            return -1;
        snprintf(path, sizeof(path), "%s/rootfs", dir);
    }
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return berr_sys(err, errno, "%s", path);
    return fd;
}

/* berth export [-o FILE] CONTAINER: its file system as a tarball (what import takes) */
int cmd_export(struct engine *e, int argc, char **argv)
{
    const char *root = e->root;
    static const struct option longs[] = {
        {"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {0}};
    const char *out = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+o:h", longs, NULL)) != -1) {
        if (c == 'o')
            out = optarg;
        else if (c == 'h') {
            printf("Usage: berth export [-o FILE] CONTAINER\n");
            return 0;
        } else
            return 125;
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "berth: export: give one container\n");
        return 125;
    }
    if (!out && isatty(STDOUT_FILENO)) {
        fprintf(stderr, "berth: export: refusing to write a tarball to a terminal: use -o FILE "
                        "or redirect\n");
        return 125;
    }
    struct berr *err = NULL;
    _cleanup_free_ char *id = ctr_resolve(root, argv[optind], &err);
    if (!id)
        return cli_fail(err, 1);
    /* written next to the target and renamed: a failed export leaves no half tarball */
    _cleanup_free_ char *tmp = NULL;
    int fd = STDOUT_FILENO;
    if (out && (asprintf(&tmp, "%s.berth-tmp-%d", out, getpid()) < 0 ||
                (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)) {
        berr_sys(&err, errno, "export: create %s", out);
        return cli_fail(err, 1);
    }
    /* in a process of its own: a stopped container's mount goes with it */
    fflush(NULL);
    pid_t p = fork();
    if (p == 0) {
        int rfd = open_rootfs(root, id, &err);
        if (rfd < 0 || layer_diff(rfd, fd, LAYER_COMPRESSION_NONE, NULL, &err) < 0) {
            berr_prefix(&err, "export %s", argv[optind]);
            _exit(cli_fail(err, 1));
        }
        _exit(0);
    }
    int status = 1;
    bool ok = p > 0 && waitpid(p, &status, 0) == p && WIFEXITED(status) && !WEXITSTATUS(status);
    if (out) {
        if (ok && (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, out) < 0)) {
            berr_sys(&err, errno, "export: write %s", out);
            cli_fail(err, 1);
            ok = false;
        } else if (!ok) {
            close(fd);
        }
        if (!ok)
            unlink(tmp);
    }
    return ok ? 0 : 1;
}

int cmd_run(struct engine *e, int argc, char **argv)
{
    const char *root = e->root;
    bool create_only = !strcmp(argv[0], "create");
    static const struct option longs[] = {{"rm", no_argument, NULL, 'R'},
                                          {"interactive", no_argument, NULL, 'i'},
                                          {"tty", no_argument, NULL, 't'},
                                          {"env", required_argument, NULL, 'e'},
                                          {"workdir", required_argument, NULL, 'w'},
                                          {"user", required_argument, NULL, 'u'},
                                          {"entrypoint", required_argument, NULL, 'E'},
                                          {"hostname", required_argument, NULL, 'h'},
                                          {"read-only", no_argument, NULL, 'r'},
                                          {"network", required_argument, NULL, 'n'},
                                          {"net", required_argument, NULL, 'n'},
                                          {"detach", no_argument, NULL, 'd'},
                                          {"name", required_argument, NULL, 'N'},
                                          {"memory", required_argument, NULL, 'm'},
                                          {"memory-swap", required_argument, NULL, 1},
                                          {"cpus", required_argument, NULL, 2},
                                          {"cpu-shares", required_argument, NULL, 'c'},
                                          {"cpuset-cpus", required_argument, NULL, 3},
                                          {"pids-limit", required_argument, NULL, 4},
                                          {"cap-add", required_argument, NULL, 5},
                                          {"cap-drop", required_argument, NULL, 6},
                                          {"security-opt", required_argument, NULL, 7},
                                          {"env-file", required_argument, NULL, 8},
                                          {"label", required_argument, NULL, 'l'},
                                          {"stop-signal", required_argument, NULL, 9},
                                          {"stop-timeout", required_argument, NULL, 10},
                                          {"volume", required_argument, NULL, 'v'},
                                          {"mount", required_argument, NULL, 11},
                                          {"tmpfs", required_argument, NULL, 12},
                                          {"restart", required_argument, NULL, 13},
                                          {"ulimit", required_argument, NULL, 14},
                                          {"device", required_argument, NULL, 15},
                                          {"init", no_argument, NULL, 16},
                                          {"privileged", no_argument, NULL, 17},
                                          {"log-driver", required_argument, NULL, 18},
                                          {"log-opt", required_argument, NULL, 19},
                                          {"sig-proxy", optional_argument, NULL, 20},
                                          {"detach-keys", required_argument, NULL, 21},
                                          {"publish", required_argument, NULL, 'p'},
                                          {"publish-all", no_argument, NULL, 'P'},
                                          {"help", no_argument, NULL, 'H'},
                                          {0}};
    bool rm = false, interactive = false, tty = false, readonly = false, hostnet = false;
    bool detach = false;
    const char *entrypoint = NULL, *workdir = NULL, *user = NULL, *hostname = NULL;
    const char *name = NULL, *stop_signal = NULL;
    long stop_timeout = -2; /* not given */
    int restart = RESTART_NO, max_restarts = 0;
    _cleanup_strv_ char **env = NULL, **cap_add = NULL, **cap_drop = NULL, **vol_args = NULL,
                        **ulimits = NULL, **devices = NULL;
    json_t *mounts __attribute__((cleanup(json_decrefp))) = json_array();
    bool nnp = false, use_init = false, privileged = false, unconfined = false, sig_proxy = true;
    char keys[16] = {16, 17}; /* ctrl-p ctrl-q */
    size_t nkeys = 2;
    json_t *seccomp __attribute__((cleanup(json_decrefp))) = NULL;
    json_t *secopts __attribute__((cleanup(json_decrefp))) = json_array();
    json_t *logcfg __attribute__((cleanup(json_decrefp))) =
        json_pack("{s:s,s:{}}", "Type", "json-file", "Config");
    struct bundle_resources res = {0};
    json_t *labels __attribute__((cleanup(json_decrefp))) = json_object();
    struct berr *err = NULL;
    char *end;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+ite:w:u:h:dm:c:l:v:p:P", longs, NULL)) != -1) {
        switch (c) {
        case 'R': rm = true; break;
        case 'i': interactive = true; break;
        case 't': tty = true; break;
        case 'e': env = cli_env_arg(env, optarg); break;
        case 'w': workdir = optarg; break;
        case 'u': user = optarg; break;
        case 'E': entrypoint = optarg; break;
        case 'h': hostname = optarg; break;
        case 'r': readonly = true; break;
        case 'n':
            if (!strcmp(optarg, "host"))
                hostnet = true;
            else if (strcmp(optarg, "none") != 0) {
                fprintf(stderr, "berth: run: --network %s: only none and host exist yet\n", optarg);
                return 125;
            }
            break;
        case 'd': detach = true; break;
        case 'N': name = optarg; break;
        case 'm':
            if (bundle_parse_bytes(optarg, &res.memory, &err) < 0)
                return run_fail(err, "--memory");
            break;
        case 1:
            if (!strcmp(optarg, "-1"))
                res.memory_swap = -1;
            else if (bundle_parse_bytes(optarg, &res.memory_swap, &err) < 0)
                return run_fail(err, "--memory-swap");
            break;
        case 2: {
            double v = strtod(optarg, &end);
            if (end == optarg || *end || !(v >= 0))
                return run_fail(NULL, "--cpus: give a number of CPUs, as 1.5");
            res.nano_cpus = (int64_t)(v * 1e9 + 0.5);
            break;
        }
        case 'c':
            res.cpu_shares = strtoull(optarg, &end, 10);
            if (end == optarg || *end || res.cpu_shares < 2 || res.cpu_shares > 262144)
                return run_fail(NULL, "--cpu-shares: give a number from 2 to 262144");
            break;
        case 3: res.cpuset_cpus = optarg; break;
        case 4:
            res.pids_limit = strtoll(optarg, &end, 10);
            if (end == optarg || *end || res.pids_limit < -1)
                return run_fail(NULL, "--pids-limit: give a number (-1 or 0: unlimited)");
            if (res.pids_limit == 0)
                res.pids_limit = -1;
            break;
        case 5: cap_add = strv_append(cap_add, optarg); break;
        case 6: cap_drop = strv_append(cap_drop, optarg); break;
        case 7:
            if (parse_security_opt(optarg, &nnp, &unconfined, &seccomp) < 0)
                return 125;
            json_array_append_new(secopts, json_string(optarg));
            break;
        case 17: privileged = true; break;
        case 20:
            if (optarg && strcmp(optarg, "true") != 0 && strcmp(optarg, "false") != 0)
                return run_fail(NULL, "--sig-proxy: use --sig-proxy=true or --sig-proxy=false");
            sig_proxy = !optarg || !strcmp(optarg, "true");
            break;
        case 21:
            if (attach_parse_keys(optarg, keys, &nkeys, sizeof(keys)) < 0)
                return run_fail(NULL, "--detach-keys: invalid detach keys: use a comma-separated "
                                      "list of ctrl-<a-z,@,[,\\,],^,_> and single characters");
            break;
        case 18:
            if (strcmp(optarg, "json-file") != 0 && strcmp(optarg, "none") != 0) {
                fprintf(stderr,
                        "berth: run: --log-driver %s: berth has json-file and none (read "
                        "json-file logs with `berth logs`)\n",
                        optarg);
                return 125;
            }
            json_object_set_new(logcfg, "Type", json_string(optarg));
            break;
        case 19: {
            const char *eq = strchr(optarg, '=');
            _cleanup_free_ char *k = strndup(optarg, eq ? (size_t)(eq - optarg) : 0);
            struct monitor_opts probe = {0};
            json_t *one = json_pack("{s:s,s:{s:s}}", "Type", "json-file", "Config", k ? k : "",
                                    eq ? eq + 1 : "");
            int r = !eq ? -1 : monitor_log_config(one, &probe);
            json_decref(one);
            if (r < 0) {
                if (!eq || r == -2)
                    fprintf(stderr,
                            "berth: run: --log-opt %s: unknown log opt '%s' for json-file "
                            "log driver (berth's: max-size, max-file)\n",
                            optarg, k && *k ? k : optarg);
                else
                    fprintf(stderr,
                            "berth: run: --log-opt %s: give max-size as 10m, 1g, 500k and "
                            "max-file as a number from 1 to 99\n",
                            optarg);
                return 125;
            }
            json_object_set_new(json_object_get(logcfg, "Config"), k, json_string(eq + 1));
            break;
        }
        case 8:
            if (read_env_file(optarg, &env, &err) < 0)
                return run_fail(err, "--env-file");
            break;
        case 'l': {
            /* a label is JSON text (the record, the spec's annotations): UTF-8 or refused */
            if (bundle_text_check("label", optarg, &err) < 0)
                return run_fail(err, "-l");
            const char *eq = strchr(optarg, '=');
            char *k = strndup(optarg, eq ? (size_t)(eq - optarg) : strlen(optarg));
            json_object_set_new(labels, k, json_string(eq ? eq + 1 : ""));
            free(k);
            break;
        }
        case 9:
            if (cli_parse_signal(optarg) < 0)
                return run_fail(NULL, "--stop-signal: unknown signal");
            stop_signal = optarg;
            break;
        case 'v':
        case 11:
        case 12: {
            /* kept in order, with its kind in front: parsed once the name is settled */
            char *a = NULL;
            if (asprintf(&a, "%c%s", c == 'v' ? 'v' : c == 11 ? 'm' : 't', optarg) < 0)
                return 125;
            vol_args = strv_append(vol_args, a);
            free(a);
            break;
        }
        case 14: ulimits = strv_append(ulimits, optarg); break;
        case 15: devices = strv_append(devices, optarg); break;
        case 16: use_init = true; break;
        case 13:
            if (monitor_parse_restart(optarg, &restart, &max_restarts) < 0)
                return run_fail(NULL, "--restart: use no, always, unless-stopped or "
                                      "on-failure[:N]");
            break;
        case 10:
            stop_timeout = strtol(optarg, &end, 10);
            if (end == optarg || *end || stop_timeout < -1)
                return run_fail(NULL, "--stop-timeout: give seconds (-1: wait for ever)");
            break;
        case 'p':
        case 'P':
            fprintf(stderr,
                    "berth: run: %s: publishing ports needs bridge networking, which "
                    "berth does not have yet (use --network host)\n",
                    c == 'p' ? "-p" : "-P");
            return 125;
        case 'H':
            printf(
                "Usage: berth run [-d] [--rm] [--name NAME] [-i] [-t] [-e K=V] [--env-file F] "
                "[-l K=V] [-m BYTES] [--memory-swap BYTES] [--cpus N] [--cpu-shares N] "
                "[--cpuset-cpus LIST] [--pids-limit N] [--cap-add CAP] [--cap-drop CAP] "
                "[--privileged] [--security-opt no-new-privileges|seccomp=unconfined|seccomp=FILE] "
                "[--stop-signal SIG] [--stop-timeout S] "
                "[--restart no|always|unless-stopped|on-failure[:N]] [--ulimit N=S[:H]] "
                "[--device /dev/X[:/dev/Y][:rwm]] [--init] [--log-driver json-file|none] "
                "[--log-opt max-size=10m] [--log-opt max-file=N] [--sig-proxy=false] "
                "[--detach-keys ctrl-p,ctrl-q] "
                "[-v SRC:DST[:ro]] [--mount type=...] [--tmpfs DST] [-w DIR] "
                "[-u USER[:GROUP]] [--entrypoint CMD] [-h HOSTNAME] [--read-only] "
                "[--network none|host] IMAGE [COMMAND] [ARG...]\n");
            return 0;
        default: fprintf(stderr, "berth: run: see 'berth run --help'\n"); return 125;
        }
    }
    if (restart != RESTART_NO && rm) {
        fprintf(stderr, "berth: run: --restart and --rm conflict: a container removed when it "
                        "exits cannot be restarted\n");
        return 125;
    }
    if (create_only && detach) {
        fprintf(stderr, "berth: create: -d is not a create flag (a created container starts "
                        "detached with `berth start`)\n");
        return 125;
    }
    if (optind >= argc) {
        fprintf(stderr, "berth: run: give an image: see 'berth run --help'\n");
        return 125;
    }
    const char *what = argv[optind];
    char **cmd = optind + 1 < argc ? argv + optind + 1 : NULL;
    log_debug("run: begin");
    /* -e (and -e KEY, whose value is ours): checked before anything is made */
    for (char **e = env; e && *e; e++)
        if (bundle_text_check("environment variable", *e, &err) < 0)
            return run_fail(err, "-e");
    /* the command goes into config.json, which is JSON: UTF-8 or refused, never dropped */
    for (char **a = cmd; a && *a; a++)
        if (bundle_text_check("argument", *a, &err) < 0)
            return run_fail(err, "command");
    /* what the flags leave unsaid, berth.json says (or berth's defaults): read by main */
    if (!res.pids_limit)
        res.pids_limit = e->config.default_pids_limit;

    _cleanup_store_ struct store *st = store_open(root, &err);
    if (!st)
        return cli_fail(err, 125);
    _cleanup_image_ struct image *im = store_find_image(st, what, &err);
    if (!im) {
        berr_prefix(&err, "run");
        return cli_fail(err, 125);
    }

    uint8_t rnd[32];
    char id[65];
    if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
        return cli_fail(NULL, 125);
    for (int i = 0; i < 32; i++)
        snprintf(id + 2 * i, 3, "%02x", rnd[i]);
    char short_id[13];
    snprintf(short_id, sizeof(short_id), "%.12s", id);

    /* the paths in the container's dir have room for the dir and a name: they fit */
    char dir[PATH_MAX], upper[PATH_MAX + 16], work[PATH_MAX + 16], rootfs[PATH_MAX + 16],
        rtroot[PATH_MAX];
    cli_rtroot(rtroot, sizeof(rtroot));
    if (fs_pathf(dir, sizeof(dir), &err, "%s/containers/%s", root, id) < 0)
        return cli_fail(err, 125);
    /* names are unique: checked and recorded under one lock. The container's directory is
     * made under it too, and the stale ones cleared: a directory without its record yet
     * must not look like one a killed run left */
    char lockpath[PATH_MAX];
    snprintf(lockpath, sizeof(lockpath), "%s/containers", root);
    fs_mkdir_p(lockpath, 0700);
    snprintf(lockpath, sizeof(lockpath), "%s/containers/.lock", root);
    _cleanup_close_ int lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0) {
        berr_sys(&err, errno, "run: lock %s", lockpath);
        return cli_fail(err, 125);
    }
    reap_stale(root, rtroot);
    /* the marker of a container being set up: a run killed before its monitor took over
     * leaves it, and the next run clears what that run made */
    char marker[PATH_MAX + 80], mdir[PATH_MAX];
    snprintf(mdir, sizeof(mdir), "%s/containers/.creating", root);
    snprintf(marker, sizeof(marker), "%s/%s", mdir, id);
    char owner[64];
    int on = proc_self_owner(owner, sizeof(owner));
    {
        _cleanup_close_ int mfd = -1;
        if (fs_mkdir_p(mdir, 0700) < 0 ||
            (mfd = open(mdir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
            fs_write_replace(mfd, id, owner, on, 0600, &err) < 0 || fs_mkdir_p(dir, 0700) < 0) {
            if (!err)
                berr_sys(&err, errno, "run: %s", dir);
            unlink(marker);
            return cli_fail(err, 125);
        }
    }
    _cleanup_free_ char *cname = name ? strdup(name) : ctr_generate_name(root);
    if (name && ctr_name_claim(root, name, id, &err) < 0 && err->kind == BERR_CONFLICT) {
        /* held by a --rm container whose monitor was killed: that one is gone really */
        _cleanup_berr_ struct berr *e = NULL;
        _cleanup_free_ char *holder = ctr_resolve(root, name, &e);
        if (holder && reap_one(root, rtroot, holder)) {
            berr_free(err);
            err = NULL;
            ctr_name_claim(root, name, id, &err);
        }
    } else if (!name && cname) {
        ctr_name_claim(root, cname, id, &err);
    }
    if (err || !cname) {
        rmdir(dir);
        unlink(marker);
        return cli_fail(err, 125);
    }
    /* the mounts: volumes are made (and checked) under the lock, as the record is */
    for (char **a = vol_args; a && *a; a++) {
        json_t *m = vol_parse_mount(root, *a + 1,
                                    **a == 'v'   ? VOL_ARG_V
                                    : **a == 'm' ? VOL_ARG_MOUNT
                                                 : VOL_ARG_TMPFS,
                                    &err);
        if (!m) {
            berr_prefix(&err, "run: %s %s",
                        **a == 'v'   ? "-v"
                        : **a == 'm' ? "--mount"
                                     : "--tmpfs",
                        *a + 1);
            vol_remove_anonymous(root, mounts);
            rmdir(dir);
            unlink(marker);
            return cli_fail(err, 125);
        }
        json_array_append_new(mounts, m);
    }
    snprintf(upper, sizeof(upper), "%s/upper", dir);
    snprintf(work, sizeof(work), "%s/work", dir);
    snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
    int code = 125;
    bool mounted = false, handed = false;
    _cleanup_close_ int dfd = -1;
    /* modes exact, whatever the umask: the container's root directory (upper) as an image's
     * is, nothing of it writable by others */
    if (fs_mkdir_p(dir, 0700) < 0 || chmod(dir, 0700) < 0 || mkdir(upper, 0755) < 0 ||
        chmod(upper, 0755) < 0 || mkdir(work, 0700) < 0 || mkdir(rootfs, 0755) < 0 ||
        chmod(rootfs, 0755) < 0) {
        berr_sys(&err, errno, "run: container dir %s", dir);
        goto out;
    }
    /* the image this container uses: rmi and prune leave it while the container exists */
    char imgfile[PATH_MAX + 16];
    snprintf(imgfile, sizeof(imgfile), "%s/image", dir);
    dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    /* a --rm container is not to outlive a crash of the machine: its records need no fsync
     * (two journal commits on a disk, most of a millisecond) */
    int (*write_rec)(int, const char *, const void *, size_t, mode_t, struct berr **) =
        rm ? fs_write_replace : fs_write_atomic;
    if (dfd < 0 || write_rec(dfd, "image", im->id, strlen(im->id), 0600, &err) < 0 ||
        fs_write_replace(dfd, "owner", owner, on, 0600, &err) < 0) {
        if (!err)
            berr_sys(&err, errno, "run: %s", imgfile);
        goto out;
    }
    {
        /* the record: what `ps` and `inspect` show */
        struct bundle_opts ao = {.cmd = cmd, .entrypoint = entrypoint};
        _cleanup_strv_ char **args = bundle_args(im->config, &ao, &err);
        if (!args)
            goto out;
        json_t *jargs = json_array();
        for (char **a = args + 1; *a; a++)
            json_array_append_new(jargs, json_string(*a));
        char created[64];
        rt_now_rfc3339(created, sizeof(created));
        json_t *c = json_object_get(im->config, "config");
        json_t *rec =
            json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:{s:O,s:O,s:o,s:s,s:s,s:b,s:b,s:s,s:s},s:{s:b,"
                      "s:b,s:s},s:s}",
                      "Id", id, "Name", cname ? cname : id, "Image", im->id, "ImageName", what,
                      "Created", created, "Path", args[0], "Args", jargs, "Config", "Cmd",
                      json_object_get(c, "Cmd") ?: json_null(), "Entrypoint",
                      json_object_get(c, "Entrypoint") ?: json_null(), "Env",
                      json_incref(json_object_get(c, "Env")) ?: json_array(), "WorkingDir",
                      workdir ? workdir : "", "User", user ? user : "", "Tty", tty, "OpenStdin",
                      interactive, "Hostname", hostname ? hostname : short_id, "Image", what,
                      "HostConfig", "AutoRemove", rm, "ReadonlyRootfs", readonly, "NetworkMode",
                      hostnet ? "host" : "none", "LogPath", "json.log");
        json_t *rc = json_object_get(rec, "Config"), *hc = json_object_get(rec, "HostConfig");
        json_t *rm_ = json_deep_copy(mounts);
        size_t mi;
        json_t *mv;
        json_array_foreach(rm_, mi, mv) json_object_del(mv, "New");
        json_object_set_new(rec, "Mounts", rm_);
        json_t *renv = json_deep_copy(json_object_get(rc, "Env"));
        json_object_set_new(rc, "Env", renv);
        if (bundle_env_merge(renv, env, &err) < 0) {
            json_decref(rec);
            goto out;
        }
        json_object_set(rc, "Labels", labels);
        const char *isig = json_string_value(json_object_get(c, "StopSignal"));
        if (stop_signal || isig)
            json_object_set_new(rc, "StopSignal", json_string(stop_signal ? stop_signal : isig));
        if (stop_timeout != -2)
            json_object_set_new(rc, "StopTimeout", json_integer(stop_timeout));
        json_object_set_new(hc, "RestartPolicy",
                            json_pack("{s:s,s:i}", "Name", monitor_restart_name(restart),
                                      "MaximumRetryCount", max_restarts));
        json_t *ul = json_array(), *dv = json_array();
        for (char **u = ulimits; u && *u; u++)
            json_array_append_new(ul, json_string(*u));
        for (char **d = devices; d && *d; d++)
            json_array_append_new(dv, json_string(*d));
        json_object_set_new(hc, "Ulimits", ul);
        json_object_set_new(hc, "Init", json_boolean(use_init));
        json_object_set_new(hc, "Devices", dv);
        json_object_set_new(hc, "Memory", json_integer(res.memory));
        json_object_set_new(hc, "MemorySwap", json_integer(res.memory_swap));
        json_object_set_new(hc, "NanoCpus", json_integer(res.nano_cpus));
        json_object_set_new(hc, "CpuShares", json_integer(res.cpu_shares));
        json_object_set_new(hc, "CpusetCpus", json_string(res.cpuset_cpus ? res.cpuset_cpus : ""));
        json_object_set_new(hc, "PidsLimit", json_integer(res.pids_limit));
        json_t *ca = json_array(), *cd = json_array();
        for (char **p = cap_add; p && *p; p++)
            json_array_append_new(ca, json_string(*p));
        for (char **p = cap_drop; p && *p; p++)
            json_array_append_new(cd, json_string(*p));
        json_object_set_new(hc, "CapAdd", ca);
        json_object_set_new(hc, "CapDrop", cd);
        json_object_set(hc, "SecurityOpt", secopts);
        json_object_set_new(hc, "Privileged", json_boolean(privileged));
        json_object_set(hc, "LogConfig", logcfg);
        _cleanup_free_ char *text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(rec);
        if (write_rec(dfd, "container.json", text, strlen(text), 0600, &err) < 0)
            goto out;
        flock(lockfd, LOCK_UN);
    }
    log_debug("run %.12s: recorded", id);
    if (mount_private(st, im, dir, &err) < 0)
        goto out;
    mounted = true;
    log_debug("run %.12s: root file system mounted", id);
    /* the image is in use: its layers stay while the container runs (the store lock would
     * serialise every run; a mounted layer cannot be removed anyway) */

    struct bundle_opts bo = {.hostname = hostname ? hostname : short_id,
                             .cmd = cmd,
                             .entrypoint = entrypoint,
                             .env = env,
                             .workdir = workdir,
                             .user = user,
                             .tty = tty,
                             .cap_add = cap_add,
                             .cap_drop = cap_drop,
                             .no_new_privileges = nnp,
                             .privileged = privileged,
                             .seccomp_unconfined = unconfined,
                             .seccomp = seccomp};
    json_t *spec = bundle_spec(im->config, rootfs, &bo, &err);
    if (!spec)
        goto out;
    if (use_init && add_init(spec, &err) < 0) {
        json_decref(spec);
        goto out;
    }
    for (char **u = ulimits; u && *u && !err; u++)
        bundle_add_ulimit(spec, *u, &err);
    for (char **d = devices; d && *d && !err; d++)
        bundle_add_device(spec, *d, &err);
    if (err || bundle_set_resources(spec, &res, &err) < 0 ||
        vol_apply(spec, mounts, rootfs, &err) < 0) {
        json_decref(spec);
        goto out;
    }
    if (json_object_size(labels)) {
        json_t *ann = json_object_get(spec, "annotations");
        if (!ann)
            json_object_set_new(spec, "annotations", ann = json_object());
        json_object_update(ann, labels);
    }
    if (readonly)
        json_object_set_new(json_object_get(spec, "root"), "readonly", json_true());
    /* -t in the foreground: the container's terminal is born with our size (a resize sent
     * after the start could come after its first look) */
    struct winsize ws;
    if (tty && !detach && !create_only &&
        (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) &&
        ws.ws_row && ws.ws_col)
        json_object_set_new(json_object_get(spec, "process"), "consoleSize",
                            json_pack("{s:i,s:i}", "height", ws.ws_row, "width", ws.ws_col));
    if (hostnet) {
        json_t *ns = json_object_get(json_object_get(spec, "linux"), "namespaces");
        for (size_t i = 0; i < json_array_size(ns); i++)
            if (!strcmp(json_string_value(json_object_get(json_array_get(ns, i), "type")),
                        "network"))
                json_array_remove(ns, i--);
        /* with the host's network, sysfs is the host's too: bind it read-only */
    }
    /* the spec holds the -e values (secrets, often): 0600 whatever the caller's umask */
    {
        _cleanup_free_ char *text = json_dumps(spec, JSON_COMPACT);
        json_decref(spec);
        if (!text) {
            berr_set(&err, BERR_INTERNAL, EIO, "run: encode config.json");
            goto out;
        }
        if (write_rec(dfd, "config.json", text, strlen(text), 0600, &err) < 0) {
            berr_prefix(&err, "run");
            goto out;
        }
    }

    cli_event_ctr(root, id, "create", NULL);
    if (create_only) {
        /* started later by `berth start`, which mounts the root file system again */
        umount2(rootfs, MNT_DETACH);
        unlink(marker);
        printf("%s\n", id);
        return 0;
    }
    /* the monitor runs it, detached or not: in the foreground we are its attached client,
     * and the container outlives us if we are killed or the user detaches */
    int sv[2] = {-1, -1};
    if (!detach && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        berr_sys(&err, errno, "run: attach socket");
        goto out;
    }
    struct monitor_opts mo = {.root = root,
                              .rtroot = rtroot,
                              .id = id,
                              .tty = tty,
                              .interactive = interactive,
                              .attach_fd = sv[1],
                              .auto_remove = rm,
                              .restart = restart,
                              .max_restarts = max_restarts};
    monitor_log_config(logcfg, &mo);
    log_debug("run %.12s: spec written", id);
    int mr = monitor_start(&mo, &err);
    log_debug("run %.12s: the monitor has started it", id);
    unlink(marker); /* the monitor owns it now, or removed it */
    if (sv[1] >= 0)
        close(sv[1]);
    if (mr < 0) {
        if (sv[0] >= 0)
            close(sv[0]);
        /* the monitor removed the container dir; its anonymous volumes go too */
        vol_remove_anonymous(root, mounts);
        code = berr_exit_code(err);
        mounted = false;
        handed = true;
        goto out;
    }
    if (detach) {
        printf("%s\n", id);
        return 0;
    }
    struct attach_client_opts ao = {.tty = tty,
                                    .stdin_open = interactive,
                                    .sig_proxy = sig_proxy,
                                    .keys = keys,
                                    .nkeys = nkeys};
    code = attach_client(sv[0], &ao);
    close(sv[0]);
    return code == ATTACH_DETACHED ? 0 : code;
out:
    if (err)
        cli_fail(err, code);
    /* only failures come here: what was made for the container goes (unless the monitor,
     * which had it, removed it already) */
    if (mounted && umount2(rootfs, MNT_DETACH) < 0)
        log_warn("run: unmount %s: %s", rootfs, strerror(errno));
    if (!handed) {
        if (cname)
            ctr_name_release(root, cname, id);
        fs_rm_rf(dir);
        vol_remove_anonymous(root, mounts);
    }
    unlink(marker);
    return code;
}

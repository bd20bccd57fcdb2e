/* cmd-run.c - berth run and create (their flags into the engine's ctr_create_opts), start,
 * attach and export: the engine (engine/ctr-run.c) makes and starts the container; here the
 * terminal is its attached client (attach.c). */
#include "cli.h"
#include "attach.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/quote.h"
#include "engine/bundle.h"
#include "engine/containers.h"
#include "engine/ctr-ops.h"
#include "engine/ctr-run.h"
#include "engine/engine.h"
#include "engine/images.h"
#include "engine/monitor.h"
#include "engine/volumes.h"
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
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

/* A client of a running container's monitor: its exit code, or 0 after a detach. ref: the
 * container as the user named it (for the message) */
static int attach_running(struct engine *e, const char *id, const char *ref,
                          const struct attach_client_opts *ao)
{
    struct berr *err = NULL;
    int sock = ctr_attach(e, id, &err);
    if (sock < 0) {
        if (err->kind == BERR_CONFLICT)
            berr_prefix(&err, "attach %s", ref);
        return cli_fail(err, 1);
    }
    int rc = attach_client(sock, ao);
    close(sock);
    return rc == ATTACH_DETACHED ? 0 : rc;
}

int cmd_start(struct engine *e, int argc, char **argv)
{
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
    while ((c = getopt_long(argc, argv, "aih", longs, NULL)) != -1) {
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
        _cleanup_ctr_ struct ctr *ctr = ctr_open(e, argv[i], &err);
        if (!ctr) {
            rc = cli_fail(err, 1);
            continue;
        }
        json_t *cfg = json_object_get(ctr->rec, "Config");
        bool tty = json_is_true(json_object_get(cfg, "Tty"));
        bool open_stdin = interactive && json_is_true(json_object_get(cfg, "OpenStdin"));
        struct attach_client_opts ao = {
            .tty = tty, .stdin_open = open_stdin, .sig_proxy = true, .keys = keys, .nkeys = nkeys};
        /* docker start -a of a running container: an attach */
        if ((attach || interactive) && ctr_running(ctr))
            return attach_running(e, ctr->id, argv[i], &ao);
        struct ctr_start_opts so = {.attach = attach || interactive, .interactive = interactive};
        int sock = -1;
        if (ctr_start(e, ctr->id, &so, &sock, &err) < 0) {
            if (err->kind == BERR_NOT_MODIFIED) {
                /* started meanwhile: docker start of a running container is no error */
                berr_free(err);
                if (so.attach)
                    return attach_running(e, ctr->id, argv[i], &ao);
                printf("%s\n", argv[i]);
                continue;
            }
            berr_prefix(&err, "start %s", argv[i]);
            rc = cli_fail(err, 1); /* docker start: 1 whatever went wrong */
            continue;
        }
        if (sock < 0) {
            printf("%s\n", argv[i]);
            continue;
        }
        /* start -a: the container's output here, and its exit code ours */
        rc = attach_client(sock, &ao);
        close(sock);
        if (rc == ATTACH_DETACHED)
            rc = 0;
    }
    return rc;
}

int cmd_attach(struct engine *e, int argc, char **argv)
{
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
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
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
    _cleanup_ctr_ struct ctr *ctr = ctr_open(e, argv[optind], &err);
    if (!ctr)
        return cli_fail(err, 1);
    json_t *cfg = json_object_get(ctr->rec, "Config");
    bool tty = json_is_true(json_object_get(cfg, "Tty"));
    bool open_stdin = !no_stdin && json_is_true(json_object_get(cfg, "OpenStdin"));
    struct attach_client_opts ao = {
        .tty = tty, .stdin_open = open_stdin, .sig_proxy = sig_proxy, .keys = keys, .nkeys = nkeys};
    return attach_running(e, ctr->id, argv[optind], &ao);
}

/* berth export [-o FILE] CONTAINER: its file system as a tarball (what import takes) */
int cmd_export(struct engine *e, int argc, char **argv)
{
    static const struct option longs[] = {
        {"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {0}};
    const char *out = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
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
    _cleanup_ctr_ struct ctr *ctr = ctr_open(e, argv[optind], &err);
    if (!ctr)
        return cli_fail(err, 1);
    /* written next to the target and renamed: a failed export leaves no half tarball */
    _cleanup_free_ char *tmp = NULL;
    int fd = STDOUT_FILENO;
    if (out && (asprintf(&tmp, "%s.berth-tmp-%d", out, getpid()) < 0 ||
                (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)) {
        berr_sys(&err, errno, "export: create %s", out);
        return cli_fail(err, 1);
    }
    fflush(NULL);
    bool ok = ctr_export(e, ctr->id, fd, &err) == 0;
    if (!ok) {
        berr_prefix(&err, "export %s", argv[optind]);
        cli_fail(err, 1);
        err = NULL;
    }
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

enum pull_policy { PULL_MISSING, PULL_ALWAYS, PULL_NEVER };

/* True if the local image what is of platform (OS/ARCH[/VARIANT]: the variant is checked
 * when given); *ret_have gets its own, malloc'd. False with *err if it cannot be read. */
static bool image_platform_is(struct engine *e, const char *what, const char *platform,
                              char **ret_have, struct berr **err)
{
    json_t *im __attribute__((cleanup(json_decrefp))) = img_inspect(e, what, err);
    if (!im)
        return false;
    const char *os = json_string_value(json_object_get(im, "Os"));
    const char *arch = json_string_value(json_object_get(im, "Architecture"));
    const char *var = json_string_value(json_object_get(im, "Variant"));
    char *have = *ret_have = xasprintf("%s/%s%s%s", os ? os : "", arch ? arch : "",
                                       var && *var ? "/" : "", var && *var ? var : "");
    size_t n = strlen(platform);
    return !strcmp(have, platform) || (!strncmp(have, platform, n) && have[n] == '/');
}

/* docker's words for an image of another platform than --platform's, as *err */
static int set_mismatch(struct berr **err, const char *verb, const char *what, const char *platform,
                        const char *have)
{
    berr_set(err, BERR_NOT_FOUND, ENOENT,
             "%s: image with reference %s was found but does not match the specified platform: "
             "wanted %s, actual: %s",
             verb, what, platform, have ? have : "unknown");
    return -1;
}

/* Pulls what for run or create as docker does: "Unable to find image 'x:latest' locally"
 * first when it was missing (announce), the progress on stderr (stdout is the container's,
 * or create's ID), nothing with -q. */
static int pull_image(struct engine *e, const char *verb, const char *what, const char *platform,
                      bool quiet, bool announce, struct berr **err)
{
    _cleanup_free_ char *name = img_pull_name(what, err);
    if (!name)
        return -1;
    if (announce && !quiet)
        fprintf(stderr, "Unable to find image '%s' locally\n", name);
    fflush(NULL);
    _cleanup_close_ int null = quiet ? open("/dev/null", O_WRONLY | O_CLOEXEC) : -1;
    struct img_pull_opts po = {.platform = platform};
    if (img_pull(e, name, &po, quiet ? null : STDERR_FILENO, err) < 0)
        return berr_prefix(err, "%s", verb);
    /* a registry's single-platform image is what it is: checked against --platform */
    _cleanup_free_ char *have = NULL;
    if (platform && !image_platform_is(e, what, platform, &have, err))
        return *err ? berr_prefix(err, "%s", verb) : set_mismatch(err, verb, what, platform, have);
    return 0;
}

/* After a failed create (*err): true if it failed for want of the image, the policy lets us
 * pull it and the pull worked (*err freed: create again); false otherwise, *err the create's
 * error or the pull's. */
static bool pull_missing(struct engine *e, const char *verb, const char *what,
                         enum pull_policy pull, const char *platform, bool quiet, struct berr **err)
{
    if (pull != PULL_MISSING || (*err)->kind != BERR_NOT_FOUND || img_exists(e, what))
        return false;
    berr_free(*err);
    *err = NULL;
    return pull_image(e, verb, what, platform, quiet, true, err) == 0;
}

int cmd_run(struct engine *e, int argc, char **argv)
{
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
                                          {"pull", required_argument, NULL, 22},
                                          {"dns", required_argument, NULL, 24},
                                          {"dns-search", required_argument, NULL, 25},
                                          {"dns-option", required_argument, NULL, 26},
                                          {"dns-opt", required_argument, NULL, 26},
                                          {"add-host", required_argument, NULL, 27},
                                          {"platform", required_argument, NULL, 23},
                                          {"quiet", no_argument, NULL, 'q'},
                                          {"help", no_argument, NULL, 'H'},
                                          {0}};
    bool rm = false, interactive = false, tty = false, readonly = false, hostnet = false;
    bool detach = false, quiet = false;
    enum pull_policy pull = PULL_MISSING;
    const char *platform = NULL;
    const char *entrypoint = NULL, *workdir = NULL, *user = NULL, *hostname = NULL;
    const char *name = NULL, *stop_signal = NULL;
    long stop_timeout = CTR_NO_STOP_TIMEOUT;
    int restart = RESTART_NO, max_restarts = 0;
    _cleanup_strv_ char **env = NULL, **cap_add = NULL, **cap_drop = NULL, **ulimits = NULL,
                        **devices = NULL, **dns = NULL, **dns_search = NULL, **dns_options = NULL,
                        **add_hosts = NULL;
    _cleanup_free_ struct ctr_mount_arg *mounts = NULL;
    size_t n_mounts = 0;
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
    while ((c = getopt_long(argc, argv, "+ite:w:u:h:dm:c:l:v:p:Pq", longs, NULL)) != -1) {
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
            if (ctr_signal_parse(optarg) < 0)
                return run_fail(NULL, "--stop-signal: unknown signal");
            stop_signal = optarg;
            break;
        case 'v':
        case 11:
        case 12: {
            /* kept in order: parsed once the name is settled */
            mounts = xreallocarray(mounts, n_mounts + 1, sizeof(*mounts));
            mounts[n_mounts++] = (struct ctr_mount_arg){.kind = c == 'v'  ? VOL_ARG_V
                                                                : c == 11 ? VOL_ARG_MOUNT
                                                                          : VOL_ARG_TMPFS,
                                                        .spec = optarg};
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
        case 22:
            if (!strcmp(optarg, "missing"))
                pull = PULL_MISSING;
            else if (!strcmp(optarg, "always"))
                pull = PULL_ALWAYS;
            else if (!strcmp(optarg, "never"))
                pull = PULL_NEVER;
            else {
                fprintf(stderr,
                        "berth: %s: invalid pull option: '%s': must be one of \"always\", "
                        "\"missing\" or \"never\"\n",
                        argv[0], optarg);
                return 125;
            }
            break;
        case 23:
            if (!strchr(optarg, '/') || optarg[0] == '/' || optarg[strlen(optarg) - 1] == '/') {
                fprintf(stderr,
                        "berth: %s: --platform %s: give OS/ARCH[/VARIANT], as linux/amd64\n",
                        argv[0], optarg);
                return 125;
            }
            platform = optarg;
            break;
        case 'q': quiet = true; break;
        case 24: dns = strv_append(dns, optarg); break;
        case 25: dns_search = strv_append(dns_search, optarg); break;
        case 26: dns_options = strv_append(dns_options, optarg); break;
        case 27: add_hosts = strv_append(add_hosts, optarg); break;
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
                "[--network none|host] [--dns IP] [--dns-search DOMAIN] [--dns-option OPT] "
                "[--add-host HOST:IP] [--pull missing|always|never] [--platform OS/ARCH] [-q] "
                "IMAGE [COMMAND] [ARG...]\n");
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
    struct ctr_create_opts o = {.image = what,
                                .name = name,
                                .cmd = cmd,
                                .entrypoint = entrypoint,
                                .env = env,
                                .workdir = workdir,
                                .user = user,
                                .hostname = hostname,
                                .tty = tty,
                                .open_stdin = interactive,
                                .read_only = readonly,
                                .host_network = hostnet,
                                .auto_remove = rm,
                                .init = use_init,
                                .privileged = privileged,
                                .no_new_privileges = nnp,
                                .seccomp_unconfined = unconfined,
                                .seccomp = seccomp,
                                .security_opt = secopts,
                                .labels = labels,
                                .log_config = logcfg,
                                .stop_signal = stop_signal,
                                .stop_timeout = stop_timeout,
                                .restart = restart,
                                .max_restarts = max_restarts,
                                .mounts = mounts,
                                .n_mounts = n_mounts,
                                .ulimits = ulimits,
                                .devices = devices,
                                .cap_add = cap_add,
                                .cap_drop = cap_drop,
                                .dns = dns,
                                .dns_search = dns_search,
                                .dns_options = dns_options,
                                .add_hosts = add_hosts,
                                .res = res};
    /* -t in the foreground: the container's terminal is born with our size */
    struct winsize ws;
    if (tty && !detach && !create_only &&
        (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) &&
        ws.ws_row && ws.ws_col) {
        o.console_rows = ws.ws_row;
        o.console_cols = ws.ws_col;
    }
    /* --pull always, or a local image of another platform than --platform asks for (as
     * missing: pulled, or refused with --pull never) */
    bool pulled = false;
    if (platform && pull != PULL_ALWAYS) {
        /* one look at the local image: missing is for the create below to find */
        _cleanup_free_ char *have = NULL;
        bool same = image_platform_is(e, what, platform, &have, &err);
        if (err && err->kind != BERR_NOT_FOUND)
            return cli_fail(err, 125);
        bool here = !err;
        berr_free(err);
        err = NULL;
        if (here && !same && pull == PULL_NEVER) {
            set_mismatch(&err, argv[0], what, platform, have);
            return cli_fail(err, 125);
        }
        if (here && !same && pull_image(e, argv[0], what, platform, quiet, false, &err) < 0)
            return cli_fail(err, 125);
        pulled = here && !same;
    }
    if (pull == PULL_ALWAYS) {
        if (pull_image(e, argv[0], what, platform, quiet, false, &err) < 0)
            return cli_fail(err, 125);
        pulled = true;
    }
    char id[65];
    if (create_only) {
        /* started later by `berth start` */
        int r = ctr_create(e, &o, id, &err);
        if (r < 0 && !pulled && pull_missing(e, argv[0], what, pull, platform, quiet, &err))
            r = ctr_create(e, &o, id, &err);
        if (r < 0)
            return cli_fail(err, 125);
        printf("%s\n", id);
        return 0;
    }
    /* the monitor runs it, detached or not: in the foreground we are its attached client,
     * and the container outlives us if we are killed or the user detaches */
    fflush(NULL);
    int sock = -1;
    int r = ctr_run(e, &o, !detach, id, &sock, &err);
    if (r < 0 && !pulled && pull_missing(e, argv[0], what, pull, platform, quiet, &err))
        r = ctr_run(e, &o, !detach, id, &sock, &err);
    if (r < 0)
        return cli_fail(err, berr_exit_code(err));
    if (detach) {
        printf("%s\n", id);
        return 0;
    }
    struct attach_client_opts ao = {.tty = tty,
                                    .stdin_open = interactive,
                                    .sig_proxy = sig_proxy,
                                    .keys = keys,
                                    .nkeys = nkeys};
    int code = attach_client(sock, &ao);
    close(sock);
    return code == ATTACH_DETACHED ? 0 : code;
}

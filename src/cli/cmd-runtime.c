/* cmd-runtime.c - the runc-compatible runtime CLI (what containerd, CRI-O and podman call) */
#include "cli.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "cgroup/cgroup.h"
#include "engine/ctr-ops.h"
#include "linux/seccomp.h"
#include "linux/selfexe.h"
#include "runtime/container.h"
#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
/* the OCI runtime CLI keeps glibc's getopt_long and runc's own messages */
#undef getopt_long

#define DEFAULT_ROOT "/run/berth-runtime"

static const char *root = DEFAULT_ROOT;

static int fail(struct berr *err)
{
    return cli_fail(err, 1);
}

static int fail_msg(const char *fmt, const char *a)
{
    struct berr *e = NULL;
    berr_set(&e, BERR_INVALID, EINVAL, fmt, a);
    return fail(e);
}

static void runtime_usage(FILE *f)
{
    fputs("Usage: berth-runtime [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n"
          "\n"
          "An OCI runtime (runtime-spec 1.x), command-compatible with runc.\n"
          "\n"
          "Commands:\n"
          "  create    create a container from a bundle, waiting for start\n"
          "  start     start the process of a created container\n"
          "  run       create and start a container, wait for it, delete it\n"
          "  state     print the state of a container as JSON\n"
          "  kill      send a signal to the container's init (or all its processes)\n"
          "  delete    delete a container\n"
          "  exec      run a process in a running container\n"
          "  list      list containers\n"
          "  ps        list the processes of a container\n"
          "  pause     freeze all processes of a container\n"
          "  resume    thaw a paused container\n"
          "  update    change the resources of a container\n"
          "  spec      write a default config.json\n"
          "  events    resource usage and OOM events of a container\n"
          "  features  print what this runtime supports as JSON\n"
          "\n"
          "Global options:\n"
          "  --root DIR          state directory (default " DEFAULT_ROOT ")\n"
          "  --log FILE          log file\n"
          "  --log-format FMT    text or json\n"
          "  --debug             debug logging\n"
          "  --systemd-cgroup    (not supported: berth manages cgroups itself)\n"
          "  -v, --version       print the version\n",
          f);
}

/* getopt_long_only: runc (urfave/cli) accepts -flag and --flag alike */
static int parse(int argc, char **argv, const char *shorts, const struct option *longs)
{
    return getopt_long_only(argc, argv, shorts, longs, NULL);
}

static int need_id(int argc, char **argv, const char *cmd)
{
    if (optind >= argc) {
        fprintf(stderr, "%s: %s: missing container ID\n", log_program(), cmd);
        return -1;
    }
    return 0;
}

static int bad_usage(const char *cmd)
{
    fprintf(stderr, "%s: %s: see '%s --help'\n", log_program(), cmd, log_program());
    return 1;
}

/* Whether the bundle's config puts the init into a pid namespace given by path: where
 * other processes, a container's perhaps, live already. Errors say no: create reports them. */
static bool joins_pid_ns(const char *bundle)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/config.json", bundle ? bundle : ".");
    json_t *cj = json_load_file(path, 0, NULL);
    json_t *ns;
    size_t i;
    bool joins = false;
    json_array_foreach(json_object_get(json_object_get(cj, "linux"), "namespaces"), i, ns)
    {
        const char *type = json_string_value(json_object_get(ns, "type"));
        if (type && !strcmp(type, "pid") && json_object_get(ns, "path"))
            joins = true;
    }
    json_decref(cj);
    return joins;
}

/* Re-executes from a sealed copy of berth (linux/selfexe.h) when the process this command
 * makes can be seen from a container before its program runs: a created init waits as a
 * clone of us (and `exec` into a created container is allowed), and an init that joins a
 * pid namespace by path is among that namespace's processes from its clone on. `run` into
 * a new pid namespace pays nothing. Returns 0 or an exit code. */
static int protect_binary(bool needed, const char *cmd)
{
    int r = needed ? selfexe_reexec(cli_argv) : 0;
    if (r < 0) {
        struct berr *e = NULL;
        berr_sys(&e, -r, "%s: make a sealed copy of the berth binary", cmd);
        return fail(e);
    }
    return 0;
}

static int cmd_create_or_run(int argc, char **argv, bool run)
{
    static const struct option longs[] = {{"bundle", required_argument, NULL, 'b'},
                                          {"pid-file", required_argument, NULL, 'p'},
                                          {"console-socket", required_argument, NULL, 'c'},
                                          {"no-pivot", no_argument, NULL, 'P'},
                                          {"no-new-keyring", no_argument, NULL, 'K'},
                                          {"preserve-fds", required_argument, NULL, 'F'},
                                          {"detach", no_argument, NULL, 'd'},
                                          {"keep", no_argument, NULL, 'k'},
                                          {"no-subreaper", no_argument, NULL, 'S'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    struct rt_create_opts o = {0};
    bool detach = false, keep = false;
    int c;
    while ((c = parse(argc, argv, "+b:dh", longs)) != -1) {
        switch (c) {
        case 'b': o.bundle = optarg; break;
        case 'p': o.pid_file = optarg; break;
        case 'c': o.console_socket = optarg; break;
        case 'P': o.no_pivot = true; break;
        case 'K': o.no_new_keyring = true; break;
        case 'F': o.preserve_fds = atoi(optarg); break;
        case 'd':
            if (!run)
                return bad_usage("create");
            detach = true;
            break;
        case 'k': keep = true; break;
        case 'S': break; /* we never need a subreaper for detached runs */
        case 'h':
            printf("Usage: %s %s [--bundle DIR] [--pid-file FILE] [--console-socket SOCK] "
                   "[--no-pivot] [--no-new-keyring] [--preserve-fds N]%s ID\n",
                   log_program(), run ? "run" : "create", run ? " [--detach] [--keep]" : "");
            return 0;
        default: return bad_usage(run ? "run" : "create");
        }
    }
    if (need_id(argc, argv, run ? "run" : "create") < 0)
        return 1;
    const char *id = argv[optind];
    int pr = protect_binary(!run || joins_pid_ns(o.bundle), run ? "run" : "create");
    if (pr)
        return pr;
    struct berr *err = NULL;
    pid_t pid;
    int pty = -1;
    o.want_pty = run && !detach && !o.console_socket;
    o.subreaper = run && !detach;
    if (rt_create(root, id, &o, &pid, &pty, &err) < 0)
        return fail(err);
    if (!run)
        return 0;
    if (rt_start(root, id, &err) < 0) {
        _cleanup_berr_ struct berr *e = NULL;
        rt_delete(root, id, true, &e);
        return fail(err);
    }
    log_debug("run %s: started, waiting", id);
    if (detach)
        return 0;
    int code = rt_wait_foreground(pid, pty, &err);
    log_debug("run %s: exited with %d", id, code);
    if (pty >= 0)
        close(pty);
    if (!keep && rt_delete(root, id, true, &err) < 0)
        cli_fail(err, 1);
    return code;
}

static int cmd_simple(int argc, char **argv, const char *cmd)
{
    static const struct option longs[] = {
        {"force", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {0}};
    bool force = false;
    int c;
    while ((c = parse(argc, argv, "+fh", longs)) != -1) {
        if (c == 'f' && strcmp(cmd, "delete") == 0)
            force = true;
        else if (c == 'h') {
            printf("Usage: %s %s%s ID\n", log_program(), cmd,
                   strcmp(cmd, "delete") == 0 ? " [--force]" : "");
            return 0;
        } else
            return bad_usage(cmd);
    }
    if (need_id(argc, argv, cmd) < 0)
        return 1;
    const char *id = argv[optind];
    struct berr *err = NULL;
    int r = 0;
    if (strcmp(cmd, "start") == 0)
        r = rt_start(root, id, &err);
    else if (strcmp(cmd, "delete") == 0)
        r = rt_delete(root, id, force, &err);
    else if (strcmp(cmd, "pause") == 0)
        r = rt_pause(root, id, true, &err);
    else if (strcmp(cmd, "resume") == 0)
        r = rt_pause(root, id, false, &err);
    else if (strcmp(cmd, "state") == 0) {
        json_t *o = rt_state(root, id, &err);
        if (!o)
            return fail(err);
        char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", s);
        free(s);
        json_decref(o);
    }
    return r < 0 ? fail(err) : 0;
}

static int cmd_kill(int argc, char **argv)
{
    static const struct option longs[] = {
        {"all", no_argument, NULL, 'a'}, {"help", no_argument, NULL, 'h'}, {0}};
    bool all = false;
    int c;
    while ((c = parse(argc, argv, "ah", longs)) != -1) {
        if (c == 'a')
            all = true;
        else if (c == 'h') {
            printf("Usage: %s kill [--all] ID [SIGNAL]\n", log_program());
            return 0;
        } else
            return bad_usage("kill");
    }
    if (need_id(argc, argv, "kill") < 0)
        return 1;
    const char *id = argv[optind];
    int sig = SIGTERM;
    if (optind + 1 < argc && (sig = ctr_signal_parse(argv[optind + 1])) < 0)
        return fail_msg("kill: unknown signal \"%s\"", argv[optind + 1]);
    struct berr *err = NULL;
    return rt_kill(root, id, sig, all, &err) < 0 ? fail(err) : 0;
}

/* The user name of uid from /etc/passwd (no NSS: berth is a static binary), or the number. */
static void user_name(uid_t uid, char *buf, size_t len)
{
    snprintf(buf, len, "%u", uid);
    _cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
    char line[1024];
    while (f && fgets(line, sizeof(line), f)) {
        char *name = strtok(line, ":");
        strtok(NULL, ":");
        char *id = strtok(NULL, ":");
        if (name && id && (uid_t)strtoul(id, NULL, 10) == uid) {
            snprintf(buf, len, "%s", name);
            return;
        }
    }
}

static int cmd_list(int argc, char **argv)
{
    static const struct option longs[] = {{"format", required_argument, NULL, 'f'},
                                          {"quiet", no_argument, NULL, 'q'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    const char *format = "table";
    bool quiet = false;
    int c;
    while ((c = parse(argc, argv, "f:qh", longs)) != -1) {
        if (c == 'f')
            format = optarg;
        else if (c == 'q')
            quiet = true;
        else if (c == 'h') {
            printf("Usage: %s list [--format table|json] [--quiet]\n", log_program());
            return 0;
        } else
            return bad_usage("list");
    }
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
        return fail_msg("list: unknown format \"%s\": use table or json", format);
    struct berr *err = NULL;
    json_t *a = rt_list(root, &err);
    if (!a)
        return fail(err);
    size_t i;
    json_t *o;
    if (quiet) {
        json_array_foreach(a, i, o) printf("%s\n", json_string_value(json_object_get(o, "id")));
    } else if (strcmp(format, "json") == 0) {
        char *s = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER);
        printf("%s\n", s);
        free(s);
    } else {
        char owner[64];
        user_name(geteuid(), owner, sizeof(owner));
        printf("%-12s %-10s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
               "OWNER");
        json_array_foreach(a, i, o)
        {
            printf("%-12s %-10lld %-10s %-40s %-30s %s\n",
                   json_string_value(json_object_get(o, "id")),
                   (long long)json_integer_value(json_object_get(o, "pid")),
                   json_string_value(json_object_get(o, "status")),
                   json_string_value(json_object_get(o, "bundle")),
                   json_string_value(json_object_get(o, "created")), owner);
        }
    }
    json_decref(a);
    return 0;
}

static int cmd_ps(int argc, char **argv)
{
    static const struct option longs[] = {
        {"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {0}};
    const char *format = "table";
    int c;
    while ((c = parse(argc, argv, "+f:h", longs)) != -1) {
        if (c == 'f')
            format = optarg;
        else if (c == 'h') {
            printf("Usage: %s ps [--format table|json] ID [ps options]\n", log_program());
            return 0;
        } else
            return bad_usage("ps");
    }
    if (need_id(argc, argv, "ps") < 0)
        return 1;
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
        return fail_msg("ps: unknown format \"%s\": use table or json", format);
    struct berr *err = NULL;
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    if (rt_ps(root, argv[optind], &pids, &n, &err) < 0)
        return fail(err);
    if (strcmp(format, "json") == 0) {
        printf("[");
        for (size_t i = 0; i < n; i++)
            printf("%s%d", i ? "," : "", pids[i]);
        printf("]\n");
        return 0;
    }
    /* table: the system's ps, filtered to the container's pids (as runc does) */
    char cmd[8192] = "ps";
    if (optind + 1 < argc) {
        for (int i = optind + 1; i < argc; i++) {
            /* each is quoted for the shell that runs ps: a quote could end the quoting */
            if (strchr(argv[i], '\''))
                return fail_msg("ps: the ps option \"%s\" must not contain a quote", argv[i]);
            strncat(cmd, " '", sizeof(cmd) - strlen(cmd) - 1);
            strncat(cmd, argv[i], sizeof(cmd) - strlen(cmd) - 1);
            strncat(cmd, "'", sizeof(cmd) - strlen(cmd) - 1);
        }
    } else {
        strncat(cmd, " -ef", sizeof(cmd) - strlen(cmd) - 1);
    }
    FILE *p = popen(cmd, "re");
    if (!p)
        return fail_msg("ps: cannot run \"%s\"", cmd);
    char line[4096];
    int pidcol = -1;
    while (fgets(line, sizeof(line), p)) {
        if (pidcol < 0) {
            /* header: find the PID column */
            char copy[4096];
            snprintf(copy, sizeof(copy), "%s", line);
            int col = 0;
            char *save = NULL;
            for (char *t = strtok_r(copy, " \t\n", &save); t;
                 t = strtok_r(NULL, " \t\n", &save), col++)
                if (strcmp(t, "PID") == 0)
                    pidcol = col;
            fputs(line, stdout);
            if (pidcol < 0) {
                pclose(p);
                return fail_msg("ps: no PID column in the output of \"%s\"", cmd);
            }
            continue;
        }
        char copy[4096];
        snprintf(copy, sizeof(copy), "%s", line);
        char *save = NULL, *t = strtok_r(copy, " \t\n", &save);
        for (int col = 0; t && col < pidcol; col++)
            t = strtok_r(NULL, " \t\n", &save);
        if (!t)
            continue;
        pid_t pid = atoi(t);
        for (size_t i = 0; i < n; i++)
            if (pids[i] == pid) {
                fputs(line, stdout);
                break;
            }
    }
    pclose(p);
    return 0;
}

static int cmd_update(int argc, char **argv)
{
    static const struct option longs[] = {
        {"resources", required_argument, NULL, 'r'}, {"help", no_argument, NULL, 'h'}, {0}};
    const char *file = NULL;
    int c;
    while ((c = parse(argc, argv, "r:h", longs)) != -1) {
        if (c == 'r')
            file = optarg;
        else if (c == 'h') {
            printf("Usage: %s update --resources FILE|- ID\n", log_program());
            return 0;
        } else
            return bad_usage("update");
    }
    if (need_id(argc, argv, "update") < 0)
        return 1;
    if (!file)
        return fail_msg("update: %s", "--resources FILE (or - for stdin) is required");
    json_error_t je;
    json_t *j = strcmp(file, "-") == 0 ? json_loadf(stdin, 0, &je) : json_load_file(file, 0, &je);
    if (!j) {
        struct berr *e = NULL;
        berr_set(&e, BERR_INVALID, EINVAL, "update: --resources %s: line %d: %s", file, je.line,
                 je.text);
        return fail(e);
    }
    struct berr *err = NULL;
    struct spec_resources *res = spec_resources_from_json(j, "resources", &err);
    json_decref(j);
    if (!res)
        return fail(err);
    int r = rt_update(root, argv[optind], res, &err);
    spec_resources_free(res);
    return r < 0 ? fail(err) : 0;
}

/* UID[:GID], each 0 to 2^32-2: a larger number must not wrap to root */
static int parse_user(const char *s, struct spec_user *u)
{
    _cleanup_free_ char *copy = strdup(s);
    char *g = copy ? strchr(copy, ':') : NULL;
    if (g)
        *g++ = 0;
    uint32_t uid, gid = u->gid;
    if (!copy || spec_parse_id(copy, &uid) < 0 || (g && spec_parse_id(g, &gid) < 0))
        return -1;
    u->uid = uid;
    u->gid = gid;
    return 0;
}

static int cmd_exec(int argc, char **argv)
{
    static const struct option longs[] = {{"process", required_argument, NULL, 'p'},
                                          {"tty", no_argument, NULL, 't'},
                                          {"detach", no_argument, NULL, 'd'},
                                          {"pid-file", required_argument, NULL, 'P'},
                                          {"console-socket", required_argument, NULL, 'c'},
                                          {"env", required_argument, NULL, 'e'},
                                          {"cwd", required_argument, NULL, 'w'},
                                          {"user", required_argument, NULL, 'u'},
                                          {"additional-gids", required_argument, NULL, 'g'},
                                          {"cap", required_argument, NULL, 'C'},
                                          {"no-new-privs", no_argument, NULL, 'n'},
                                          {"apparmor", required_argument, NULL, 'A'},
                                          {"process-label", required_argument, NULL, 'L'},
                                          {"preserve-fds", required_argument, NULL, 'F'},
                                          {"ignore-paused", no_argument, NULL, 'I'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    const char *process_file = NULL, *cwd = NULL, *user = NULL, *apparmor = NULL, *label = NULL;
    _cleanup_strv_ char **envs = NULL, **caps = NULL, **gids = NULL;
    bool tty = false, nnp = false;
    struct rt_exec_opts o = {0};
    int c;
    /* the process joins the container as a clone of ours (see protect_binary) */
    int pr = protect_binary(true, "exec");
    if (pr)
        return pr;
    while ((c = parse(argc, argv, "+p:tde:u:g:h", longs)) != -1) {
        switch (c) {
        case 'p': process_file = optarg; break;
        case 't': tty = true; break;
        case 'd': o.detach = true; break;
        case 'P': o.pid_file = optarg; break;
        case 'c': o.console_socket = optarg; break;
        case 'e': envs = strv_append(envs, optarg); break;
        case 'w': cwd = optarg; break;
        case 'u': user = optarg; break;
        case 'g': gids = strv_append(gids, optarg); break;
        case 'C': caps = strv_append(caps, optarg); break;
        case 'n': nnp = true; break;
        case 'A': apparmor = optarg; break;
        case 'L': label = optarg; break;
        case 'F': o.preserve_fds = atoi(optarg); break;
        case 'I': break;
        case 'h':
            printf("Usage: %s exec [--process FILE | ARGS...] [--tty] [--detach] [--pid-file F] "
                   "[--console-socket S] [--env K=V] [--cwd DIR] [--user UID[:GID]] "
                   "[--additional-gids G] [--cap CAP] [--no-new-privs] ID [COMMAND ARGS...]\n",
                   log_program());
            return 0;
        default: return bad_usage("exec");
        }
    }
    if (need_id(argc, argv, "exec") < 0)
        return 1;
    const char *id = argv[optind];
    if (apparmor)
        return fail_msg("exec: --apparmor %s: AppArmor is not enabled on this host", apparmor);
    if (label)
        return fail_msg("exec: --process-label %s: SELinux is not enabled on this host", label);
    struct berr *err = NULL;
    struct spec_process *p = NULL;
    if (process_file) {
        json_error_t je;
        json_t *j = json_load_file(process_file, 0, &je);
        if (!j) {
            berr_set(&err, BERR_INVALID, EINVAL, "exec: --process %s: line %d: %s", process_file,
                     je.line, je.text);
            return fail(err);
        }
        p = spec_process_from_json(j, "process", &err);
        json_decref(j);
        if (!p)
            return fail(err);
    } else {
        if (optind + 1 >= argc)
            return fail_msg("exec: %s", "give a command to run, or --process FILE");
        /* runc's way: the container's own process is the template; the arguments win */
        json_t *cj = NULL;
        _cleanup_spec_ struct spec *s = rt_load_config(root, id, &cj, &err);
        if (!s)
            return fail(err);
        json_t *pj = json_deep_copy(json_object_get(cj, "process"));
        json_decref(cj);
        if (!pj)
            return fail_msg("exec: container \"%s\" has no process in its config", id);
        json_t *args = json_array();
        for (int i = optind + 1; i < argc; i++)
            json_array_append_new(args, json_string(argv[i]));
        json_object_set_new(pj, "args", args);
        json_object_set_new(pj, "terminal", json_boolean(tty));
        json_object_del(pj, "consoleSize");
        p = spec_process_from_json(pj, "process", &err);
        json_decref(pj);
        if (!p)
            return fail(err);
        for (char **e = envs; e && *e; e++) {
            if (!strchr(*e, '=')) {
                spec_process_free(p);
                return fail_msg("exec: --env \"%s\" is not KEY=VALUE", *e);
            }
            /* replace a variable of the same name, or append */
            size_t kl = strchr(*e, '=') - *e + 1;
            bool done = false;
            for (char **pe = p->env; pe && *pe; pe++)
                if (strncmp(*pe, *e, kl) == 0) {
                    free(*pe);
                    *pe = strdup(*e);
                    done = true;
                }
            if (!done)
                p->env = strv_append(p->env, *e);
        }
        if (cwd) {
            free(p->cwd);
            p->cwd = strdup(cwd);
        }
        if (user && parse_user(user, &p->user) < 0) {
            spec_process_free(p);
            return fail_msg("exec: --user \"%s\": use UID[:GID], each 0 to 4294967294", user);
        }
        for (char **g = gids; g && *g; g++) {
            uint32_t gid;
            if (spec_parse_id(*g, &gid) < 0) {
                spec_process_free(p);
                return fail_msg("exec: --additional-gids \"%s\": a gid is 0 to 4294967294", *g);
            }
            p->user.additional_gids = realloc(p->user.additional_gids,
                                              (p->user.n_additional_gids + 1) * sizeof(uint32_t));
            p->user.additional_gids[p->user.n_additional_gids++] = gid;
        }
        for (char **cp = caps; cp && *cp; cp++) {
            int cap = spec_cap_from_name(*cp);
            if (cap < 0) {
                spec_process_free(p);
                return fail_msg("exec: --cap: unknown capability \"%s\"", *cp);
            }
            uint64_t bit = 1ULL << cap;
            p->caps.set = true;
            p->caps.bounding |= bit;
            p->caps.effective |= bit;
            p->caps.permitted |= bit;
            p->caps.inheritable |= bit;
            p->caps.ambient |= bit;
        }
        if (nnp)
            p->no_new_privileges = true;
    }
    if (tty)
        p->terminal = true;
    o.process = p;
    o.want_pty = p->terminal && !o.console_socket && !o.detach;
    pid_t pid = 0;
    int status = 0;
    int r = rt_exec(root, id, &o, &pid, &status, &err);
    spec_process_free(p);
    if (r < 0)
        return fail(err);
    return o.detach ? 0 : status;
}

/* events: resource stats, and an "oom" event whenever the container's OOM kill count grows */
static int cmd_events(int argc, char **argv)
{
    static const struct option longs[] = {{"stats", no_argument, NULL, 's'},
                                          {"interval", required_argument, NULL, 'i'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    bool once = false;
    double interval = 5;
    int c;
    while ((c = parse(argc, argv, "h", longs)) != -1) {
        if (c == 's')
            once = true;
        else if (c == 'i') {
            char *end;
            interval = strtod(optarg, &end);
            if (*end == 's')
                end++;
            else if (*end == 'm' && end[1] == 's') {
                interval /= 1000;
                end += 2;
            }
            if (*end || interval <= 0)
                return fail_msg("events: --interval \"%s\": use e.g. 5s or 500ms", optarg);
        } else if (c == 'h') {
            printf("Usage: %s events [--stats] [--interval 5s] ID\n", log_program());
            return 0;
        } else
            return bad_usage("events");
    }
    if (need_id(argc, argv, "events") < 0)
        return 1;
    const char *id = argv[optind];
    json_int_t ooms = -1;
    for (;;) {
        struct berr *err = NULL;
        json_t *data = rt_stats(root, id, &err);
        if (!data)
            return fail(err);
        bool running = json_is_true(json_object_get(data, "running"));
        json_object_del(data, "running");
        json_int_t now = json_integer_value(json_object_get(data, "oom_kill"));
        if (!once && ((ooms >= 0 && now > ooms) || (ooms < 0 && now > 0))) {
            printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", id);
        }
        ooms = now;
        json_t *ev = json_pack("{s:s,s:s,s:o}", "type", "stats", "id", id, "data", data);
        char *txt = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
        printf("%s\n", txt);
        fflush(stdout);
        free(txt);
        json_decref(ev);
        if (once || !running)
            return 0; /* a stopped container has no more events */
        usleep((useconds_t)(interval * 1e6));
    }
}

static int cmd_spec(int argc, char **argv)
{
    static const struct option longs[] = {{"bundle", required_argument, NULL, 'b'},
                                          {"rootless", no_argument, NULL, 'r'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    const char *bundle = ".";
    bool rootless = false;
    int c;
    while ((c = parse(argc, argv, "b:h", longs)) != -1) {
        if (c == 'b')
            bundle = optarg;
        else if (c == 'r')
            rootless = true;
        else if (c == 'h') {
            printf("Usage: %s spec [--bundle DIR] [--rootless]\n", log_program());
            return 0;
        } else
            return bad_usage("spec");
    }
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/config.json", bundle);
    if (access(path, F_OK) == 0)
        return fail_msg("spec: %s already exists: remove it first", path);
    json_t *j = spec_default_json(rootless);
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    FILE *f = fopen(path, "we");
    if (!f) {
        free(s);
        struct berr *e = NULL;
        berr_sys(&e, errno, "spec: create %s", path);
        return fail(e);
    }
    fprintf(f, "%s\n", s);
    fclose(f);
    free(s);
    return 0;
}

static json_t *strs(const char *const *v)
{
    json_t *a = json_array();
    for (; v && *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

static int cmd_features(void)
{
    static const char *const hooks[] = {
        "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
        NULL};
    static const char *const mount_opts[] = {
        "async",         "atime",      "bind",     "defaults",    "dev",      "diratime",
        "dirsync",       "exec",       "lazytime", "loud",        "mand",     "noatime",
        "nodev",         "nodiratime", "noexec",   "nolazytime",  "nomand",   "norelatime",
        "nostrictatime", "nosuid",     "private",  "rbind",       "relatime", "remount",
        "rprivate",      "rshared",    "rslave",   "runbindable", "ro",       "rw",
        "shared",        "silent",     "slave",    "strictatime", "suid",     "sync",
        "tmpcopyup",     "unbindable", NULL};
    static const char *const ns[] = {"cgroup", "ipc",  "mount", "network", "pid",
                                     "time",   "user", "uts",   NULL};
    json_t *caps = json_array();
    for (int i = 0; i < cap_max_bits(); i++)
        json_array_append_new(caps, json_string(spec_cap_name(i)));
    json_t *o = json_pack("{s:s,s:s,s:o,s:o,s:{s:o,s:o,s:{s:b,s:b,s:b},s:{s:b,s:o,s:o,s:o,s:o},s:{"
                          "s:b},s:{s:b},s:{s:b}},s:{}}",
                          "ociVersionMin", "1.0.0", "ociVersionMax", "1.3.0", "hooks", strs(hooks),
                          "mountOptions", strs(mount_opts), "linux", "namespaces", strs(ns),
                          "capabilities", caps, "cgroup", "v1", 1, "v2", 1, "systemd", 0, "seccomp",
                          "enabled", 1, "actions", strs(seccomp_supported_actions), "operators",
                          strs(seccomp_supported_operators), "archs", strs(seccomp_supported_archs),
                          "knownFlags", strs(seccomp_supported_flags), "apparmor", "enabled", 0,
                          "selinux", "enabled", 0, "intelRdt", "enabled", 0, "annotations");
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", s);
    free(s);
    json_decref(o);
    return 0;
}

int cmd_runtime(int argc, char **argv)
{
    static const struct option longs[] = {{"root", required_argument, NULL, 'r'},
                                          {"log", required_argument, NULL, 'l'},
                                          {"log-format", required_argument, NULL, 'f'},
                                          {"debug", no_argument, NULL, 'D'},
                                          {"systemd-cgroup", no_argument, NULL, 'S'},
                                          {"rootless", required_argument, NULL, 'R'},
                                          {"criu", required_argument, NULL, 'C'},
                                          {"version", no_argument, NULL, 'v'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    const char *log_file = NULL, *log_format = "text";
    bool debug = false;
    int c;
    if (getenv("BERTH_RUNTIME_ROOT"))
        root = getenv("BERTH_RUNTIME_ROOT");
    opterr = 1;
    while ((c = parse(argc, argv, "+vh", longs)) != -1) {
        switch (c) {
        case 'r': root = optarg; break;
        case 'l': log_file = optarg; break;
        case 'f': log_format = optarg; break;
        case 'D': debug = true; break;
        case 'S':
            return fail_msg("%s", "--systemd-cgroup is not supported: berth manages cgroups itself "
                                  "(use the cgroupfs cgroup manager)");
        case 'R':
            if (strcmp(optarg, "false") != 0 && strcmp(optarg, "auto") != 0)
                return fail_msg("--rootless %s: only false and auto are supported", optarg);
            break;
        case 'C': return fail_msg("--criu %s: checkpoint/restore is not supported", optarg);
        case 'v': printf("%s version %s\nspec: 1.2.0\n", log_program(), BERTH_VERSION); return 0;
        case 'h': runtime_usage(stdout); return 0;
        default: runtime_usage(stderr); return 1;
        }
    }
    if (strcmp(log_format, "text") != 0 && strcmp(log_format, "json") != 0)
        return fail_msg("--log-format %s: use text or json", log_format);
    if (log_setup(log_file, strcmp(log_format, "json") == 0, debug ? LOG_LVL_DEBUG : LOG_LVL_WARN) <
        0) {
        struct berr *e = NULL;
        berr_sys(&e, errno, "--log %s", log_file);
        return fail(e);
    }
    if (root[0] != '/') {
        /* a root too long for the buffer is refused below, never cut into another directory */
        _cleanup_free_ char *cwd = realpath(".", NULL);
        char *abs_root = NULL;
        if (!cwd || asprintf(&abs_root, "%s/%s", cwd, root) < 0)
            return fail_msg("--root %s: cannot resolve", root);
        root = abs_root; /* for the life of the process */
    }
    if (strlen(root) > FS_ROOT_MAX) {
        struct berr *e = NULL;
        berr_set(&e, BERR_INVALID, ENAMETOOLONG, "--root %s: path is too long (over %d bytes)",
                 root, FS_ROOT_MAX);
        return fail(e);
    }
    if (optind >= argc) {
        runtime_usage(stderr);
        return 1;
    }
    const char *cmd = argv[optind];
    log_debug("%s: begin", cmd);
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    optind = 1;
    if (strcmp(cmd, "create") == 0)
        return cmd_create_or_run(sub_argc, sub_argv, false);
    if (strcmp(cmd, "run") == 0)
        return cmd_create_or_run(sub_argc, sub_argv, true);
    if (!strcmp(cmd, "start") || !strcmp(cmd, "delete") || !strcmp(cmd, "state") ||
        !strcmp(cmd, "pause") || !strcmp(cmd, "resume"))
        return cmd_simple(sub_argc, sub_argv, cmd);
    if (strcmp(cmd, "kill") == 0)
        return cmd_kill(sub_argc, sub_argv);
    if (strcmp(cmd, "list") == 0)
        return cmd_list(sub_argc, sub_argv);
    if (strcmp(cmd, "ps") == 0)
        return cmd_ps(sub_argc, sub_argv);
    if (strcmp(cmd, "exec") == 0)
        return cmd_exec(sub_argc, sub_argv);
    if (strcmp(cmd, "update") == 0)
        return cmd_update(sub_argc, sub_argv);
    if (strcmp(cmd, "spec") == 0)
        return cmd_spec(sub_argc, sub_argv);
    if (strcmp(cmd, "features") == 0)
        return cmd_features();
    if (strcmp(cmd, "help") == 0) {
        runtime_usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "events") == 0)
        return cmd_events(sub_argc, sub_argv);
    if (!strcmp(cmd, "checkpoint") || !strcmp(cmd, "restore"))
        return fail_msg("%s: not supported by berth", cmd);
    return fail_msg("unknown command \"%s\": see --help", cmd);
}

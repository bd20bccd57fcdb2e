/* cmd-container.c - berth ps, logs, exec, stop, kill, rm, wait, inspect (and `container ...`) */
#include "cli.h"
#include "engine/engine.h"
#include "format.h"
#include "table.h"
#include "template.h"
#include "base/cleanup.h"
#include "base/quote.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/proc.h"
#include "engine/containers.h"
#include "engine/ctr-ops.h"
#include "engine/ctr-query.h"
#include "engine/images.h"
#include "engine/system.h"
#include "engine/volumes.h"
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int fail_msg(int code, const char *fmt, const char *a)
{
    struct berr *e = NULL;
    berr_set(&e, BERR_INVALID, EINVAL, fmt, a);
    return cli_fail(e, code);
}

/* --- ps ------------------------------------------------------------------------------ */

/* `"sh -c 'echo hi; sl…"`: the command, cut at 20 characters (19 and an ellipsis) unless
 * no_trunc, quoted as Go quotes; malloc'd */
static char *ps_command(const char *command, bool no_trunc)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "%s", command);
    size_t i, chars = 0, cut = 0;
    for (i = 0; cmd[i]; i++)
        if (((unsigned char)cmd[i] & 0xc0) != 0x80 && ++chars == 20)
            cut = i;
    if (!no_trunc && chars > 20)
        snprintf(cmd + cut, sizeof(cmd) - cut, "…");
    return tmpl_quote(cmd);
}

/* SIZE: "2B (virtual 4.26MB)" */
static void ps_size(json_t *sum, char *buf, size_t len)
{
    unsigned long long rw = json_integer_value(json_object_get(sum, "SizeRw"));
    unsigned long long rootfs = json_integer_value(json_object_get(sum, "SizeRootFs"));
    char a[32], b[32];
    table_size(rw, a, sizeof(a));
    table_size(rootfs, b, sizeof(b));
    if (rootfs > 0)
        snprintf(buf, len, "%s (virtual %s)", a, b);
    else
        snprintf(buf, len, "%s", a);
}

/* The fields of docker's ps templates for a container (sum: its ContainerSummary): ID,
 * Image, Command, CreatedAt, RunningFor, Ports, State, Status, Size, Names, Labels,
 * LocalVolumes, Mounts, Networks. */
static json_t *ps_row(json_t *sum, bool no_trunc)
{
    const char *id = json_string_value(json_object_get(sum, "Id")) ?: "";
    const char *name = json_string_value(json_array_get(json_object_get(sum, "Names"), 0)) ?: "";
    time_t t = json_integer_value(json_object_get(sum, "Created"));
    struct tm tm;
    char sid[80], created[64] = "", since[64], at[64], size[80] = "0B", nvol[16];
    if (gmtime_r(&t, &tm))
        strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(sid, sizeof(sid), no_trunc ? "%s" : "%.12s", id);
    table_since(created, since, sizeof(since));
    table_go_time(created, at, sizeof(at));
    if (json_object_get(sum, "SizeRw"))
        ps_size(sum, size, sizeof(size));
    /* mounts by volume name or source (15 characters unless no_trunc), and how many are
     * local volumes */
    char *mounts = NULL;
    size_t len = 0, i, local = 0;
    FILE *f = open_memstream(&mounts, &len);
    json_t *v;
    json_array_foreach(json_object_get(sum, "Mounts"), i, v)
    {
        const char *mname = json_string_value(json_object_get(v, "Name"));
        if (!mname || !*mname)
            mname = json_string_value(json_object_get(v, "Source")) ?: "";
        fprintf(f, !no_trunc && strlen(mname) > 15 ? "%s%.14s…" : "%s%s", i ? "," : "", mname);
        local += !strcmp(json_string_value(json_object_get(v, "Driver")) ?: "", "local");
    }
    if (f)
        fclose(f);
    snprintf(nvol, sizeof(nvol), "%zu", local);
    char *cmd = ps_command(json_string_value(json_object_get(sum, "Command")) ?: "", no_trunc);
    json_t *row = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:s,s:s}", "ID", sid, "Image",
        json_string_value(json_object_get(sum, "Image")) ?: "", "Command", cmd ? cmd : "",
        "CreatedAt", at, "RunningFor", since, "Ports", "", "State",
        json_string_value(json_object_get(sum, "State")) ?: "", "Status",
        json_string_value(json_object_get(sum, "Status")) ?: "", "Size", size, "Names",
        name + (name[0] == '/'), "Labels", listfmt_labels(json_object_get(sum, "Labels")),
        "LocalVolumes", nvol, "Mounts", mounts ? mounts : "", "Networks",
        json_string_value(json_object_get(json_object_get(sum, "HostConfig"), "NetworkMode"))
            ?: "");
    free(cmd);
    free(mounts);
    return row;
}

static int cmd_ps(struct engine *e, int argc, char **argv)
{
    static const struct option longs[] = {
        {"all", no_argument, NULL, 'a'},          {"quiet", no_argument, NULL, 'q'},
        {"no-trunc", no_argument, NULL, 'T'},     {"format", required_argument, NULL, 'F'},
        {"last", required_argument, NULL, 'n'},   {"latest", no_argument, NULL, 'l'},
        {"filter", required_argument, NULL, 'f'}, {"size", no_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},         {0}};
    bool all = false, quiet = false, no_trunc = false, size = false;
    const char *format = NULL;
    long last = -1; /* -n: the last N created, in any state */
    char *end;
    int c;
    struct berr *err = NULL;
    _cleanup_(json_decrefp) json_t *filters = json_object();
    optind = 1;
    while ((c = getopt_long(argc, argv, "aqhn:lf:s", longs, NULL)) != -1) {
        switch (c) {
        case 'a': all = true; break;
        case 'n':
            last = strtol(optarg, &end, 10);
            if (*end || !*optarg || last < 0)
                return fail_msg(125, "ps: -n %s: give a number of containers", optarg);
            break;
        case 'l': last = 1; break;
        case 'q': quiet = true; break;
        case 'T': no_trunc = true; break;
        case 'F': format = optarg; break;
        case 's': size = true; break;
        case 'f':
            if (ctr_filter_add(filters, optarg, &err) < 0)
                return cli_fail(err, 125);
            break;
        case 'h':
            printf("Usage: berth ps [-a] [-q] [-s] [-n N | -l] [--no-trunc] [-f KEY=VALUE]... "
                   "[--format json|table|TEMPLATE]\n"
                   "Filters: id, name, label, status, exited, ancestor, before, since, volume, "
                   "network, health, is-task\n");
            return 0;
        default: return 125;
        }
    }
    if (optind < argc)
        return fail_msg(125, "ps: unexpected argument \"%s\"", argv[optind]);
    /* docker's default table; .Size (or -s) has the sizes worked out */
    char def[160];
    snprintf(def, sizeof(def),
             "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t"
             "{{.Status}}\t{{.Ports}}\t{{.Names}}%s",
             size ? "\t{{.Size}}" : "");
    size |= format && strstr(format, ".Size");
    _cleanup_(json_decrefp) json_t *header = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", "CONTAINER ID", "Image",
        "IMAGE", "Command", "COMMAND", "CreatedAt", "CREATED AT", "RunningFor", "CREATED", "Ports",
        "PORTS", "State", "STATE", "Status", "STATUS", "Size", "SIZE", "Names", "NAMES", "Labels",
        "LABELS", "Mounts", "MOUNTS", "LocalVolumes", "LOCAL VOLUMES", "Networks", "NETWORKS");
    _cleanup_listfmt_ struct listfmt *lf =
        listfmt_new(quiet ? "{{.ID}}" : format, def, header, &err);
    if (!lf)
        return cli_fail(err, 125);
    struct ctr_list_opts o = {.all = all, .last = last, .size = size, .filters = filters};
    _cleanup_(json_decrefp) json_t *rows = ctr_list(e, &o, &err);
    if (!rows)
        return cli_fail(err, err->kind == BERR_NOT_FOUND ? 1 : 125);
    size_t i;
    json_t *v;
    json_array_foreach(rows, i, v)
    {
        _cleanup_(json_decrefp) json_t *row = ps_row(v, no_trunc);
        _cleanup_(json_decrefp) json_t *methods =
            json_pack("{s:O}", "Label", json_object_get(v, "Labels"));
        if (listfmt_add(lf, row, methods, &err) < 0)
            return cli_fail(err, 125);
    }
    listfmt_end(TAKE_PTR(lf), stdout);
    return 0;
}

/* --- logs ---------------------------------------------------------------------------- */

/* an entry of the container's stream 1 or 2 to our stdout or stderr */
static int logs_out(void *ctx, int stream, const char *data, size_t len)
{
    (void)ctx;
    FILE *f = stream == 2 ? stderr : stdout;
    fwrite(data, 1, len, f);
    return fflush(f) == 0 ? 0 : -EPIPE;
}

static int cmd_logs(struct engine *e, int argc, char **argv)
{
    static const struct option longs[] = {{"follow", no_argument, NULL, 'f'},
                                          {"timestamps", no_argument, NULL, 't'},
                                          {"tail", required_argument, NULL, 'n'},
                                          {"since", required_argument, NULL, 'S'},
                                          {"until", required_argument, NULL, 'U'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    struct ctr_logs_opts o = {.tail = -1, .out = logs_out, .stop_fd = -1};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ftn:h", longs, NULL)) != -1) {
        switch (c) {
        case 'f': o.follow = true; break;
        case 't': o.timestamps = true; break;
        case 'n': {
            char *end;
            o.tail = strcmp(optarg, "all") == 0 ? -1 : strtol(optarg, &end, 10);
            if (strcmp(optarg, "all") != 0 && (*end || o.tail < 0))
                return fail_msg(125, "logs: --tail %s: give a number of lines or \"all\"", optarg);
            break;
        }
        case 'S':
            if (!ctr_logs_time(optarg, &o.since))
                return fail_msg(125,
                                "logs: --since %s: give a time (RFC 3339 UTC, Unix seconds) "
                                "or a duration (10m)",
                                optarg);
            break;
        case 'U':
            if (!ctr_logs_time(optarg, &o.until))
                return fail_msg(125,
                                "logs: --until %s: give a time (RFC 3339 UTC, Unix seconds) "
                                "or a duration (10m)",
                                optarg);
            break;
        case 'h':
            printf("Usage: berth logs [-f] [-t] [-n|--tail N] [--since T] [--until T] CONTAINER\n");
            return 0;
        default: return 125;
        }
    }
    if (optind + 1 != argc)
        return fail_msg(125, "logs: give exactly one container%s", "");
    struct berr *err = NULL;
    if (ctr_logs(e, argv[optind], &o, &err) < 0)
        return cli_fail(err, 1);
    return 0;
}

/* --- stop, kill, wait ------------------------------------------------------------------ */

/* Calls fn for each container named in argv[first..], by name, ID or ID prefix; a failure
 * (one that cannot be found too) is reported (exit 1) and the others still get their turn.
 * Returns 0, or the code of the last failure. */
typedef int (*ctr_fn)(struct engine *e, const char *arg, void *ctx);
static int each_container(struct engine *e, int argc, char **argv, int first, ctr_fn fn, void *ctx)
{
    int rc = 0;
    for (int i = first; i < argc; i++) {
        int r = fn(e, argv[i], ctx);
        if (r)
            rc = r;
    }
    return rc;
}

struct stop_args {
    int sig;
    long timeout;
};

static int stop_cb(struct engine *e, const char *arg, void *ctx)
{
    struct stop_args *a = ctx;
    struct berr *err = NULL;
    struct ctr_stop_opts o = {.signal = a->sig, .timeout = a->timeout};
    if (ctr_stop(e, arg, &o, &err) < 0)
        return cli_fail(err, 1);
    printf("%s\n", arg);
    return 0;
}

/* restart: our stop, then berth start (cmd-run.c) */
static int restart_cb(struct engine *e, const char *arg, void *ctx)
{
    struct stop_args *a = ctx;
    struct berr *err = NULL;
    struct ctr_stop_opts o = {.timeout = a->timeout, .restart = true};
    if (ctr_stop(e, arg, &o, &err) < 0)
        return cli_fail(err, 1);
    char *sargv[] = {"start", (char *)arg, NULL};
    return cmd_start(e, 2, sargv);
}

static int kill_cb(struct engine *e, const char *arg, void *ctx)
{
    struct berr *err = NULL;
    if (ctr_kill(e, arg, *(int *)ctx, &err) < 0)
        return cli_fail(err, 1);
    printf("%s\n", arg);
    return 0;
}

static int wait_cb(struct engine *e, const char *arg, void *ctx)
{
    (void)ctx;
    struct berr *err = NULL;
    int code = ctr_wait(e, arg, &err);
    if (code < 0)
        return cli_fail(err, 1);
    printf("%d\n", code);
    fflush(stdout);
    return 0;
}

static int cmd_stop(struct engine *e, int argc, char **argv)
{
    static const struct option longs[] = {{"time", required_argument, NULL, 't'},
                                          {"signal", required_argument, NULL, 's'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    long timeout = CTR_STOP_TIMEOUT_DEFAULT; /* the container's --stop-timeout, else 10 */
    int sig = 0; /* the container's --stop-signal (or its image's), else SIGTERM */
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:s:h", longs, NULL)) != -1) {
        char *end;
        switch (c) {
        case 't':
            timeout = strtol(optarg, &end, 10);
            if (*end || !*optarg || timeout < -1)
                return fail_msg(125, "stop: --time %s: give seconds (-1: wait for ever)", optarg);
            break;
        case 's':
            if ((sig = ctr_signal_parse(optarg)) < 0)
                return fail_msg(125, "stop: unknown signal \"%s\"", optarg);
            break;
        case 'h': printf("Usage: berth stop [-t SECONDS] [-s SIGNAL] CONTAINER...\n"); return 0;
        default: return 125;
        }
    }
    if (optind >= argc)
        return fail_msg(125, "stop: give at least one container%s", "");
    struct stop_args a = {.sig = sig, .timeout = timeout};
    return each_container(e, argc, argv, optind, stop_cb, &a);
}

static int cmd_restart(struct engine *e, int argc, char **argv)
{
    static const struct option longs[] = {
        {"time", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'}, {0}};
    long timeout = CTR_STOP_TIMEOUT_DEFAULT;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:h", longs, NULL)) != -1) {
        char *end;
        switch (c) {
        case 't':
            timeout = strtol(optarg, &end, 10);
            if (*end || !*optarg || timeout < -1)
                return fail_msg(125, "restart: --time %s: give seconds (-1: wait for ever)",
                                optarg);
            break;
        case 'h': printf("Usage: berth restart [-t SECONDS] CONTAINER...\n"); return 0;
        default: return 125;
        }
    }
    if (optind >= argc)
        return fail_msg(125, "restart: give at least one container%s", "");
    struct stop_args a = {.timeout = timeout};
    return each_container(e, argc, argv, optind, restart_cb, &a);
}

/* pause, unpause: the container's processes frozen in their cgroup */
static int pause_cb(struct engine *e, const char *arg, void *ctx)
{
    bool pause = *(bool *)ctx;
    struct berr *err = NULL;
    if (ctr_pause(e, arg, pause, &err) < 0)
        return cli_fail(err, 1);
    printf("%s\n", arg);
    return 0;
}

static int cmd_pause(struct engine *e, int argc, char **argv, bool pause)
{
    const char *verb = pause ? "pause" : "unpause";
    if (argc < 2)
        return fail_msg(125, "%s: give at least one container", verb);
    for (int i = 1; i < argc; i++)
        if (argv[i][0] == '-')
            return fail_msg(125, "unknown option %s", argv[i]);
    return each_container(e, argc, argv, 1, pause_cb, &pause);
}

static int cmd_rename(struct engine *e, int argc, char **argv)
{
    if (argc != 3 || argv[1][0] == '-')
        return fail_msg(125, "rename: give a container and its new name%s", "");
    struct berr *err = NULL;
    /* a container that cannot be found (or a prefix of several) is exit 1; a new name that is
     * taken or not valid docker's 125 */
    _cleanup_ctr_ struct ctr *c = ctr_open(e, argv[1], &err);
    if (!c)
        return cli_fail(err, 1);
    if (ctr_rename(e, argv[1], argv[2], &err) < 0)
        return cli_fail(err, err->kind == BERR_CONFLICT || err->kind == BERR_INVALID ? 125 : 1);
    return 0;
}

static int cmd_kill(struct engine *e, int argc, char **argv)
{
    static const struct option longs[] = {
        {"signal", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'}, {0}};
    int sig = SIGKILL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:h", longs, NULL)) != -1) {
        switch (c) {
        case 's':
            if ((sig = ctr_signal_parse(optarg)) < 0)
                return fail_msg(125, "kill: unknown signal \"%s\"", optarg);
            break;
        case 'h': printf("Usage: berth kill [-s SIGNAL] CONTAINER...\n"); return 0;
        default: return 125;
        }
    }
    if (optind >= argc)
        return fail_msg(125, "kill: give at least one container%s", "");
    return each_container(e, argc, argv, optind, kill_cb, &sig);
}

static int cmd_wait(struct engine *e, int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("Usage: berth wait CONTAINER...\n");
        return 0;
    }
    if (argc >= 2 && argv[1][0] == '-')
        return fail_msg(125, "wait: unknown option %s", argv[1]);
    if (argc < 2)
        return fail_msg(125, "wait: give at least one container%s", "");
    return each_container(e, argc, argv, 1, wait_cb, NULL);
}

/* --- exec ---------------------------------------------------------------------------- */

static int cmd_exec(struct engine *e, int argc, char **argv)
{
    static const struct option longs[] = {{"detach", no_argument, NULL, 'd'},
                                          {"interactive", no_argument, NULL, 'i'},
                                          {"tty", no_argument, NULL, 't'},
                                          {"env", required_argument, NULL, 'e'},
                                          {"user", required_argument, NULL, 'u'},
                                          {"workdir", required_argument, NULL, 'w'},
                                          {"privileged", no_argument, NULL, 'P'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    struct ctr_exec_opts o = {.stdio = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}};
    _cleanup_strv_ char **env = NULL;
    int c;
    /* the process joins the container as a clone of ours: from a sealed copy of berth,
     * never the host's binary; before anything is done */
    int sr = ctr_exec_reexec(cli_argv);
    if (sr < 0)
        return fail_msg(125, "exec: make a sealed copy of the berth binary: %s", strerror(-sr));
    optind = 1;
    while ((c = getopt_long(argc, argv, "+dite:u:w:h", longs, NULL)) != -1) {
        switch (c) {
        case 'd': o.detach = true; break;
        case 'i': o.interactive = true; break;
        case 't': o.tty = true; break;
        case 'e': env = cli_env_arg(env, optarg); break;
        case 'u': o.user = optarg; break;
        case 'w': o.workdir = optarg; break;
        case 'P': o.privileged = true; break;
        case 'h':
            printf("Usage: berth exec [-d] [-i] [-t] [-e K=V] [-u USER[:GROUP]] [-w DIR] "
                   "[--privileged] "
                   "CONTAINER COMMAND [ARG...]\n");
            return 0;
        default: return 125;
        }
    }
    if (optind + 2 > argc)
        return fail_msg(125, "exec: give a container and a command%s", "");
    if (o.workdir && o.workdir[0] != '/')
        return fail_msg(125, "exec: -w %s: the working directory must be absolute", o.workdir);
    if (o.detach && o.interactive)
        return fail_msg(125, "exec: -i with -d is not supported yet (nothing could attach)%s", "");
    o.args = argv + optind + 1;
    o.env = env;
    struct berr *err = NULL;
    /* 125 for berth's own errors: the command's exit code is the rest */
    int code = ctr_exec(e, argv[optind], &o, &err);
    return code < 0 ? cli_fail(err, berr_exit_code(err)) : code;
}

/* --- rm -------------------------------------------------------------------------------- */

static int rm_cb(struct engine *e, const char *arg, void *ctx)
{
    struct berr *err = NULL;
    if (ctr_remove(e, arg, ctx, &err) < 0)
        return cli_fail(err, 1);
    printf("%s\n", arg);
    return 0;
}

static int cmd_rm(struct engine *e, int argc, char **argv)
{
    static const struct option longs[] = {{"force", no_argument, NULL, 'f'},
                                          {"volumes", no_argument, NULL, 'v'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    struct ctr_remove_opts o = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "fvh", longs, NULL)) != -1) {
        switch (c) {
        case 'f': o.force = true; break;
        case 'v': o.volumes = true; break;
        case 'h': printf("Usage: berth rm [-f] [-v] CONTAINER...\n"); return 0;
        default: return 125;
        }
    }
    if (optind >= argc)
        return fail_msg(125, "rm: give at least one container%s", "");
    return each_container(e, argc, argv, optind, rm_cb, &o);
}

/* container prune: every container that does not run */
static int cmd_prune(struct engine *e, int argc, char **argv)
{
    bool force = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--force"))
            force = true;
        else
            return fail_msg(125, "container prune: unknown argument %s", argv[i]);
    }
    if (!force)
        return fail_msg(125,
                        "container prune: this removes every stopped container; run it with -f "
                        "to go ahead%s",
                        "");
    struct berr *err = NULL;
    struct sys_prune_opts o = {0};
    json_t *out = json_array();
    json_int_t reclaimed = 0;
    if (sys_container_prune(e, &o, out, &reclaimed, &err) < 0) {
        json_decref(out);
        return cli_fail(err, 1);
    }
    printf("Deleted Containers:\n");
    size_t i;
    json_t *v;
    json_array_foreach(out, i, v) printf("%s\n", json_string_value(v));
    json_decref(out);
    return 0;
}

/* port: the container's published ports. berth publishes none yet (no bridge network, and
 * run refuses -p), so this lists nothing, as docker does for such a container; a port asked
 * for is "not published". */
static int cmd_port(struct engine *e, int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("Usage: berth port CONTAINER [PRIVATE_PORT[/PROTO]]\n");
        return 0;
    }
    if (argc < 2 || argc > 3 || argv[1][0] == '-')
        return fail_msg(125, "port: give a container and, maybe, a port%s", "");
    struct berr *err = NULL;
    _cleanup_(json_decrefp) json_t *ports = ctr_port(e, argv[1], &err);
    if (!ports)
        return cli_fail(err, 1);
    if (argc == 3) {
        char *end;
        long port = strtol(argv[2], &end, 10);
        if (end == argv[2] || port < 1 || port > 65535 ||
            (*end && strcmp(end, "/tcp") && strcmp(end, "/udp") && strcmp(end, "/sctp")))
            return fail_msg(125, "port: %s: give a port as 80 or 80/tcp", argv[2]);
        fprintf(stderr, "berth: no public port '%s' published for %s\n", argv[2], argv[1]);
        return 1;
    }
    return 0;
}

/* a cell ps right-aligns: a number, a time, a size */
static bool top_numeric(const char *s)
{
    return *s && strspn(s, "0123456789.:-") == strlen(s);
}

/* top: the container's processes, as `ps -ef` (or the ps options given) shows them: columns
 * as wide as their widest cell, one space apart, numbers to the right (as ps aligns them) */
static int cmd_top(struct engine *e, int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-')
        return fail_msg(125, "top: give a container (and ps options)%s", "");
    struct berr *err = NULL;
    _cleanup_(json_decrefp) json_t *top = ctr_top(e, argv[1], argv + 2, &err);
    if (!top)
        return cli_fail(err, 1);
    json_t *titles = json_object_get(top, "Titles"), *procs = json_object_get(top, "Processes");
    size_t ncol = json_array_size(titles), i, k;
    json_t *p;
    _cleanup_free_ size_t *width = calloc(ncol + 1, sizeof(size_t));
    _cleanup_free_ bool *right = calloc(ncol + 1, sizeof(bool));
    for (k = 0; k < ncol; k++) {
        width[k] = strlen(json_string_value(json_array_get(titles, k)));
        right[k] = json_array_size(procs) > 0;
    }
    json_array_foreach(procs, i, p) for (k = 0; k < ncol; k++)
    {
        const char *cell = json_string_value(json_array_get(p, k)) ?: "";
        if (strlen(cell) > width[k])
            width[k] = strlen(cell);
        right[k] &= top_numeric(cell);
    }
    for (i = 0; i <= json_array_size(procs); i++) {
        json_t *row = i ? json_array_get(procs, i - 1) : titles;
        for (k = 0; k < ncol; k++) {
            const char *cell = json_string_value(json_array_get(row, k)) ?: "";
            if (k + 1 == ncol)
                printf("%s%s\n", k ? " " : "", cell);
            else
                printf(right[k] ? "%s%*s" : "%s%-*s", k ? " " : "", (int)width[k], cell);
        }
    }
    return 0;
}

/* bytes as docker stats prints them: binary units ("1.5MiB") */
static void size_iec(double b, char *buf, size_t len)
{
    static const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (b >= 1024 && i < 4) {
        b /= 1024;
        i++;
    }
    snprintf(buf, len, i ? "%.4g%s" : "%.0f%s", b, u[i]);
}

/* The containers stats shows: those named, or every running one (-a: every one) */
static json_t *stats_ids(struct engine *e, json_t *want, bool all, int *rc)
{
    json_t *ids = json_array();
    size_t i;
    json_t *v;
    if (json_array_size(want)) {
        json_array_foreach(want, i, v)
        {
            struct berr *err = NULL;
            _cleanup_ctr_ struct ctr *c = ctr_open(e, json_string_value(v), &err);
            if (!c)
                *rc = cli_fail(err, 1);
            else
                json_array_append_new(ids, json_string(c->id));
        }
        return ids;
    }
    struct berr *err = NULL;
    struct ctr_list_opts o = {.all = all, .last = -1};
    _cleanup_(json_decrefp) json_t *rows = ctr_list(e, &o, &err);
    if (!rows)
        *rc = cli_fail(err, 1);
    json_array_foreach(rows, i, v)
    {
        /* running ones (paused too): not those between two runs of a restart policy */
        const char *state = json_string_value(json_object_get(v, "State")) ?: "";
        if (all || !strcmp(state, "running") || !strcmp(state, "paused"))
            json_array_append(ids, json_object_get(v, "Id"));
    }
    return ids;
}

static double stats_num(json_t *s, const char *a, const char *b, const char *c)
{
    json_t *v = json_object_get(json_object_get(s, a), b);
    return json_number_value(c ? json_object_get(v, c) : v);
}

/* One table: CPU % over `interval_ms` (two samples), memory and PIDs now */
static int stats_table(struct engine *eng, json_t *ids, long interval_ms, const char *format,
                       bool no_trunc)
{
    struct berr *err = NULL;
    _cleanup_(json_decrefp) json_t *header = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Container", "CONTAINER", "ID", "CONTAINER ID",
        "Name", "NAME", "CPUPerc", "CPU %", "MemUsage", "MEM USAGE / LIMIT", "MemPerc", "MEM %",
        "NetIO", "NET I/O", "BlockIO", "BLOCK I/O", "PIDs", "PIDS");
    struct listfmt *lf = listfmt_new(format,
                                     "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t"
                                     "{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}",
                                     header, &err);
    if (!lf)
        return cli_fail(err, 125);
    size_t n = json_array_size(ids), i;
    json_t *v;
    _cleanup_(json_decrefp) json_t *first = json_array();
    json_array_foreach(ids, i, v)
    {
        _cleanup_berr_ struct berr *e = NULL;
        json_t *s = ctr_stats(eng, json_string_value(v), &e);
        json_array_append_new(first, s ? s : json_object());
    }
    if (n)
        usleep(interval_ms * 1000);
    int rc = 0;
    json_array_foreach(ids, i, v)
    {
        const char *id = json_string_value(v);
        _cleanup_berr_ struct berr *e = NULL;
        _cleanup_(json_decrefp) json_t *s = ctr_stats(eng, id, &e);
        json_t *s0 = json_array_get(first, i);
        char sid[65], cpu[32] = "0.00%", mem[2 * 32 + 3] = "0B / 0B", memp[32] = "0.00%",
                      pids[32] = "0";
        snprintf(sid, sizeof(sid), "%.*s", no_trunc ? 64 : 12, id);
        double limit = stats_num(s, "memory_stats", "limit", NULL);
        if (limit > 0) {
            /* docker's CPU %: the container's share of the host's CPU time, times its CPUs */
            double used = stats_num(s, "memory_stats", "usage", NULL);
            double dcpu = stats_num(s, "cpu_stats", "cpu_usage", "total_usage") -
                          stats_num(s0, "cpu_stats", "cpu_usage", "total_usage");
            double dsys = stats_num(s, "cpu_stats", "system_cpu_usage", NULL) -
                          stats_num(s0, "cpu_stats", "system_cpu_usage", NULL);
            double ncpu = stats_num(s, "cpu_stats", "online_cpus", NULL);
            snprintf(cpu, sizeof(cpu), "%.2f%%",
                     dsys > 0 && dcpu > 0 ? dcpu / dsys * ncpu * 100 : 0);
            char a[32], b[32];
            size_iec(used, a, sizeof(a));
            size_iec(limit, b, sizeof(b));
            snprintf(mem, sizeof(mem), "%s / %s", a, b);
            snprintf(memp, sizeof(memp), "%.2f%%", used / limit * 100);
            snprintf(pids, sizeof(pids), "%.0f", stats_num(s, "pids_stats", "current", NULL));
        }
        /* no network yet but none or the host's: nothing of its own to count */
        const char *name = json_string_value(json_object_get(s, "name")) ?: "";
        name += name[0] == '/';
        json_t *row = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Container", name, "ID",
                                sid, "Name", name, "CPUPerc", cpu, "MemUsage", mem, "MemPerc", memp,
                                "NetIO", "--", "BlockIO", "--", "PIDs", pids);
        if (listfmt_add(lf, row, NULL, &err) < 0)
            rc = 125;
        json_decref(row);
        if (rc)
            break;
    }
    if (rc) {
        listfmt_end(lf, NULL);
        return cli_fail(err, 125);
    }
    listfmt_end(lf, stdout);
    return 0;
}

static int cmd_stats(struct engine *e, int argc, char **argv)
{
    static const struct option longs[] = {
        {"all", no_argument, NULL, 'a'},      {"no-stream", no_argument, NULL, 'n'},
        {"no-trunc", no_argument, NULL, 't'}, {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},     {0}};
    bool all = false, no_stream = false, no_trunc = false;
    const char *format = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ah", longs, NULL)) != -1) {
        switch (c) {
        case 'a': all = true; break;
        case 'n': no_stream = true; break;
        case 't': no_trunc = true; break;
        case 'f': format = optarg; break;
        case 'h':
            printf("Usage: berth stats [-a] [--no-stream] [--no-trunc] [--format TEMPLATE] "
                   "[CONTAINER...]\n");
            return 0;
        default: return 125;
        }
    }
    json_t *want __attribute__((cleanup(json_decrefp))) = json_array();
    for (int i = optind; i < argc; i++)
        json_array_append_new(want, json_string(argv[i]));
    int rc = 0;
    if (no_stream) {
        json_t *ids = stats_ids(e, want, all, &rc);
        int r = stats_table(e, ids, 500, format, no_trunc);
        json_decref(ids);
        return r ? r : rc;
    }
    /* streaming, as docker: a new table every second (the screen cleared on a terminal)
     * until interrupted; the containers listed again each time unless named */
    bool term = isatty(STDOUT_FILENO);
    for (;;) {
        json_t *ids = stats_ids(e, want, all, &rc);
        if (rc) {
            json_decref(ids);
            return rc;
        }
        if (term)
            fputs("\033[2J\033[H", stdout);
        int r = stats_table(e, ids, 1000, format, no_trunc);
        json_decref(ids);
        if (r)
            return r;
        if (!term)
            putchar('\n');
        fflush(stdout);
    }
}

/* --- inspect --------------------------------------------------------------------------- */

/* An object by name: a container, an image or a volume (type NULL: the first of them that
 * has the name, in docker's order). sort: whether its JSON shows its keys sorted. */
static json_t *inspect_find(struct engine *eng, const char *type, const char *what, bool size,
                            bool *sort, struct berr **err)
{
    struct berr *e = NULL;
    json_t *o = NULL;
    *sort = true;
    if (!type || !strcmp(type, "container"))
        o = ctr_inspect(eng, what, size, &e);
    if (!o && (!type || !strcmp(type, "image"))) {
        berr_free(TAKE_PTR(e));
        o = img_inspect(eng, what, &e);
        *sort = false;
    }
    if (!o && (!type || !strcmp(type, "volume"))) {
        berr_free(TAKE_PTR(e));
        o = vol_inspect(eng, what, &e);
        *sort = true;
    }
    if (!o && !type) {
        berr_free(TAKE_PTR(e));
        char q[QUOTE_SIZE]; /* what a user typed, escaped */
        quote_plain(q, sizeof(q), what);
        berr_set(&e, BERR_NOT_FOUND, ENOENT, "no such object: %s", q);
    }
    if (!o)
        *err = e;
    return o;
}

int cmd_inspect(struct engine *e, const char *type, int argc, char **argv)
{
    static const struct option longs[] = {{"format", required_argument, NULL, 'f'},
                                          {"size", no_argument, NULL, 's'},
                                          {"type", required_argument, NULL, 't'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    const char *format = NULL, *kind = type;
    bool size = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:sh", longs, NULL)) != -1) {
        switch (c) {
        case 'f': format = optarg; break;
        case 's': size = true; break;
        case 't':
            if (type)
                return fail_msg(125, "inspect: --type is an option of berth inspect%s", "");
            if (strcmp(optarg, "container") && strcmp(optarg, "image") && strcmp(optarg, "volume"))
                return fail_msg(125, "inspect: --type %s: give container, image or volume", optarg);
            kind = optarg;
            break;
        case 'h':
            printf("Usage: berth %s%sinspect [-f FORMAT] %s%s...\n"
                   "FORMAT: json, or a Go template such as '{{.State.Pid}}'\n",
                   type ? type : "", type ? " " : "",
                   type && strcmp(type, "container") ? "" : "[-s] ",
                   type ? (!strcmp(type, "container") ? "CONTAINER"
                           : !strcmp(type, "image")   ? "IMAGE"
                                                      : "VOLUME")
                        : "[--type container|image|volume] NAME");
            return 0;
        default: return 125;
        }
    }
    if (optind >= argc)
        return fail_msg(125, "inspect: give at least one %s", kind ? kind : "name");
    struct berr *err = NULL;
    struct inspectfmt *f = inspectfmt_new(format, &err);
    if (!f)
        return cli_fail(err, 125);
    int rc = 0;
    for (int i = optind; i < argc; i++) {
        bool sort;
        json_t *o = inspect_find(e, kind, argv[i], size, &sort, &err);
        if (!o)
            rc = cli_fail(TAKE_PTR(err), 1);
        else if (inspectfmt_add(f, o, sort, &err) < 0)
            rc = cli_fail(TAKE_PTR(err), 125);
        json_decref(o);
    }
    inspectfmt_end(f, stdout);
    return rc;
}

int cmd_container(struct engine *e, const char *verb, int argc, char **argv)
{
    if (!strcmp(verb, "ps") || !strcmp(verb, "ls") || !strcmp(verb, "list"))
        return cmd_ps(e, argc, argv);
    if (!strcmp(verb, "logs"))
        return cmd_logs(e, argc, argv);
    if (!strcmp(verb, "stop"))
        return cmd_stop(e, argc, argv);
    if (!strcmp(verb, "kill"))
        return cmd_kill(e, argc, argv);
    if (!strcmp(verb, "rm"))
        return cmd_rm(e, argc, argv);
    if (!strcmp(verb, "wait"))
        return cmd_wait(e, argc, argv);
    if (!strcmp(verb, "inspect"))
        return cmd_inspect(e, "container", argc, argv);
    if (!strcmp(verb, "exec"))
        return cmd_exec(e, argc, argv);
    if (!strcmp(verb, "pause") || !strcmp(verb, "unpause"))
        return cmd_pause(e, argc, argv, !strcmp(verb, "pause"));
    if (!strcmp(verb, "export"))
        return cmd_export(e, argc, argv);
    if (!strcmp(verb, "cp"))
        return cmd_cp(e, argc, argv);
    if (!strcmp(verb, "top"))
        return cmd_top(e, argc, argv);
    if (!strcmp(verb, "stats"))
        return cmd_stats(e, argc, argv);
    if (!strcmp(verb, "rename"))
        return cmd_rename(e, argc, argv);
    if (!strcmp(verb, "prune"))
        return cmd_prune(e, argc, argv);
    if (!strcmp(verb, "restart"))
        return cmd_restart(e, argc, argv);
    if (!strcmp(verb, "start"))
        return cmd_start(e, argc, argv);
    if (!strcmp(verb, "attach"))
        return cmd_attach(e, argc, argv);
    if (!strcmp(verb, "port"))
        return cmd_port(e, argc, argv);
    if (!strcmp(verb, "create") || !strcmp(verb, "run"))
        return cmd_run(e, argc, argv);
    return fail_msg(
        125,
        "container %s: not a container command (create, start, restart, ls, logs, "
        "exec, stop, kill, rm, wait, inspect, pause, unpause, rename, prune, top, stats, cp)",
        verb);
}

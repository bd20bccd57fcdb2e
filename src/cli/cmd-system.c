/* cmd-system.c - berth info, version, system info|df|prune: flags in, engine/system.c's
 * documents out, as docker prints them (or through --format) */
#include "cli.h"
#include "engine/engine.h"
#include "base/cleanup.h"
#include "base/xalloc.h"
#include "engine/system.h"
#include "format.h"
#include "table.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int usage_fail(const char *fmt, const char *a)
{
    struct berr *e = NULL;
    berr_set(&e, BERR_INVALID, EINVAL, fmt, a);
    return cli_fail(e, 125);
}

/* --format over one document: "json" is the object on a line, else a Go template */
static int print_format(const char *format, json_t *doc)
{
    if (!strcmp(format, "json") || !strcmp(format, "{{json .}}")) {
        _cleanup_free_ char *s = json_dumps(doc, JSON_COMPACT);
        printf("%s\n", s);
        return 0;
    }
    struct berr *err = NULL;
    struct inspectfmt *f = inspectfmt_new(format, &err);
    if (!f || inspectfmt_add(f, doc, false, &err) < 0) {
        if (f)
            inspectfmt_end(f, NULL);
        return cli_fail(err, 125);
    }
    inspectfmt_end(f, stdout);
    return 0;
}

/* -f/--format FORMAT and -h among the flags of a verb without others; returns optind, -1 for
 * an unknown flag, -2 for --help */
static int parse_format(int argc, char **argv, const char **format, bool *verbose, bool *all,
                        bool *volumes, bool *force, const char **filter)
{
    static const struct option longs[] = {
        {"format", required_argument, NULL, 'F'}, {"verbose", no_argument, NULL, 'v'},
        {"all", no_argument, NULL, 'a'},          {"volumes", no_argument, NULL, 'V'},
        {"force", no_argument, NULL, 'f'},        {"filter", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},         {0}};
    /* -f is --format for info, version and df, --force for prune, as with docker */
    const char *shorts = force ? "+afh" : verbose ? "+F:f:vh" : "+f:h";
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        if ((c == 'F' || (c == 'f' && !force)) && format)
            *format = optarg;
        else if (c == 'v' && verbose)
            *verbose = true;
        else if (c == 'a' && all)
            *all = true;
        else if (c == 'V' && volumes)
            *volumes = true;
        else if (c == 'f' && force)
            *force = true;
        else if (c == 'L' && filter)
            *filter = optarg;
        else if (c == 'h')
            return -2;
        else {
            fprintf(stderr, "berth: %s: unknown argument %s\n", argv[0], argv[optind - 1]);
            return -1;
        }
    }
    return optind;
}

static const char *jstr(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k)) ?: "";
}

static long long jint(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static int cmd_info(struct engine *e, int argc, char **argv)
{
    const char *format = NULL;
    int i = parse_format(argc, argv, &format, NULL, NULL, NULL, NULL, NULL);
    if (i == -2)
        return printf("Usage: berth info [-f FORMAT]\n"), 0;
    if (i < 0)
        return 125;
    if (i < argc)
        return usage_fail("info: unknown argument %s", argv[i]);
    struct berr *err = NULL;
    json_t *info __attribute__((cleanup(json_decrefp))) = sys_info(e, &err);
    if (!info)
        return cli_fail(err, 1);
    if (format)
        return print_format(format, info);
    char mem[32];
    table_bytes(jint(info, "MemTotal"), mem, sizeof(mem));
    printf("Client:\n Context:    default\n Debug Mode: false\n\nServer:\n");
    printf(" Containers: %lld\n  Running: %lld\n  Paused: %lld\n  Stopped: %lld\n",
           jint(info, "Containers"), jint(info, "ContainersRunning"),
           jint(info, "ContainersPaused"), jint(info, "ContainersStopped"));
    printf(" Images: %lld\n Server Version: %s\n Storage Driver: %s\n", jint(info, "Images"),
           jstr(info, "ServerVersion"), jstr(info, "Driver"));
    size_t k;
    json_t *v;
    json_array_foreach(json_object_get(info, "DriverStatus"), k, v)
        printf("  %s: %s\n", json_string_value(json_array_get(v, 0)),
               json_string_value(json_array_get(v, 1)));
    printf(" Logging Driver: %s\n Cgroup Driver: %s\n Cgroup Version: %s\n",
           jstr(info, "LoggingDriver"), jstr(info, "CgroupDriver"), jstr(info, "CgroupVersion"));
    printf(" Runtimes:");
    const char *name;
    json_object_foreach(json_object_get(info, "Runtimes"), name, v) printf(" %s", name);
    printf("\n Default Runtime: %s\n Init Binary: %s\n Security Options:\n",
           jstr(info, "DefaultRuntime"), jstr(info, "InitBinary"));
    /* "name=seccomp,profile=default" -> "  seccomp" and "   Profile: default" */
    json_array_foreach(json_object_get(info, "SecurityOptions"), k, v)
    {
        _cleanup_free_ char *opt = xstrdup(json_string_value(v));
        for (char *kv = strtok(opt, ","); kv; kv = strtok(NULL, ",")) {
            char *eq = strchr(kv, '=');
            if (!eq)
                continue;
            *eq = '\0';
            if (!strcmp(kv, "name"))
                printf("  %s\n", eq + 1);
            else
                printf("   %c%s: %s\n", kv[0] - 32 * (kv[0] >= 'a' && kv[0] <= 'z'), kv + 1,
                       eq + 1);
        }
    }
    printf(" Kernel Version: %s\n Operating System: %s\n OSType: %s\n Architecture: %s\n"
           " CPUs: %lld\n Total Memory: %s\n Name: %s\n Docker Root Dir: %s\n"
           " Debug Mode: false\n",
           jstr(info, "KernelVersion"), jstr(info, "OperatingSystem"), jstr(info, "OSType"),
           jstr(info, "Architecture"), jint(info, "NCPU"), mem, jstr(info, "Name"),
           jstr(info, "DockerRootDir"));
    json_t *cfg = json_object_get(info, "BerthConfig");
    long long pids = jint(cfg, "DefaultPidsLimit");
    printf(" Berth Run Root: %s\n Berth Config: %s\n", jstr(info, "BerthRunRoot"),
           jstr(cfg, "ConfigFile"));
    if (pids > 0)
        printf("  Default Pids Limit: %lld\n", pids);
    else
        printf("  Default Pids Limit: unlimited\n");
    return 0;
}

static int cmd_version(int argc, char **argv)
{
    const char *format = NULL;
    int i = parse_format(argc, argv, &format, NULL, NULL, NULL, NULL, NULL);
    if (i == -2)
        return printf("Usage: berth version [-f FORMAT]\n"), 0;
    if (i < 0)
        return 125;
    if (i < argc)
        return usage_fail("version: unknown argument %s", argv[i]);
    json_t *server = sys_version();
    /* the client is this binary too: the same build */
    json_t *client =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Platform", "berth", "Version",
                  jstr(server, "Version"), "ApiVersion", SYS_API_VERSION, "DefaultAPIVersion",
                  SYS_API_VERSION, "GitCommit", jstr(server, "GitCommit"), "GoVersion",
                  jstr(server, "GoVersion"), "Os", "linux", "Arch", jstr(server, "Arch"));
    json_t *doc __attribute__((cleanup(json_decrefp))) =
        json_pack("{s:o,s:o}", "Client", client, "Server", server);
    if (format)
        return print_format(format, doc);
    const char *commit = jstr(server, "GitCommit")[0] ? jstr(server, "GitCommit") : "unknown";
    printf("Client:\n Version:           %s\n API version:       %s\n C version:         %s\n"
           " Git commit:        %s\n Built:             %s\n OS/Arch:           linux/%s\n"
           " Context:           default\n\n",
           jstr(client, "Version"), SYS_API_VERSION, jstr(client, "GoVersion"), commit,
           jstr(server, "BuildTime"), jstr(client, "Arch"));
    printf("Server:\n Engine:\n  Version:          %s\n  API version:      %s (minimum version "
           "%s)\n  C version:        %s\n  Git commit:       %s\n  Built:            %s\n"
           "  OS/Arch:          linux/%s\n  Experimental:     false\n",
           jstr(server, "Version"), jstr(server, "ApiVersion"), jstr(server, "MinAPIVersion"),
           jstr(server, "GoVersion"), commit, jstr(server, "BuildTime"), jstr(server, "Arch"));
    return 0;
}

/* "1.2kB (35%)": the percentage only when there is a total, as docker shows it */
static void reclaim_cell(unsigned long long reclaim, unsigned long long total, char *buf,
                         size_t len)
{
    char s[32];
    table_size4(reclaim, s, sizeof(s));
    if (total > 0)
        snprintf(buf, len, "%s (%llu%%)", s, reclaim * 100 / total);
    else
        snprintf(buf, len, "%s", s);
}

static int df_verbose(json_t *df)
{
    size_t i;
    json_t *v;
    printf("Images space usage:\n\n");
    struct table *t = table_new(8);
    json_array_foreach(json_object_get(df, "Images"), i, v)
    {
        json_t *tags = json_object_get(v, "RepoTags");
        const char *tag = json_string_value(json_array_get(tags, 0));
        _cleanup_free_ char *repo = xstrdup(tag ? tag : "<none>:<none>");
        char *colon = strrchr(repo, ':');
        const char *tg = "<none>";
        if (colon && !strchr(colon, '/')) {
            *colon = '\0';
            tg = colon + 1;
        }
        char id[16], created[64], size[32], shared[32], unique[32], nc[16];
        snprintf(id, sizeof(id), "%.12s", jstr(v, "Id") + 7);
        time_t ct = (time_t)jint(v, "Created");
        char iso[32];
        strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", gmtime(&ct));
        table_since(iso, created, sizeof(created));
        table_size4(jint(v, "Size"), size, sizeof(size));
        table_size4(jint(v, "SharedSize"), shared, sizeof(shared));
        table_size4(jint(v, "Size") - jint(v, "SharedSize"), unique, sizeof(unique));
        snprintf(nc, sizeof(nc), "%lld", jint(v, "Containers"));
        const char *row[] = {repo, tg, id, created, size, shared, unique, nc};
        table_add(t, row);
    }
    table_print(t, stdout,
                (const char *[]){"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE",
                                 "UNIQUE SIZE", "CONTAINERS"});
    printf("\nContainers space usage:\n\n");
    t = table_new(8);
    json_array_foreach(json_object_get(df, "Containers"), i, v)
    {
        char id[16], nvol[16] = "0", size[32], created[64], cmd[64];
        snprintf(id, sizeof(id), "%.12s", jstr(v, "Id"));
        size_t k, vols = 0;
        json_t *m;
        json_array_foreach(json_object_get(v, "Mounts"), k, m) vols +=
            !strcmp(jstr(m, "Type"), "volume");
        snprintf(nvol, sizeof(nvol), "%zu", vols);
        table_size4(jint(v, "SizeRw"), size, sizeof(size));
        time_t ct = (time_t)jint(v, "Created");
        char iso[32];
        strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", gmtime(&ct));
        table_since(iso, created, sizeof(created));
        json_t *c = json_object_get(v, "Command");
        snprintf(cmd, sizeof(cmd), "\"%.17s%s\"", json_string_value(json_array_get(c, 0)) ?: "",
                 json_array_size(c) > 1 ? "…" : "");
        const char *row[] = {id,
                             jstr(v, "Image"),
                             cmd,
                             nvol,
                             size,
                             created,
                             jstr(v, "State"),
                             json_string_value(json_array_get(json_object_get(v, "Names"), 0)) + 1};
        table_add(t, row);
    }
    table_print(t, stdout,
                (const char *[]){"CONTAINER ID", "IMAGE", "COMMAND", "LOCAL VOLUMES", "SIZE",
                                 "CREATED", "STATUS", "NAMES"});
    printf("\nLocal Volumes space usage:\n\n");
    t = table_new(3);
    json_array_foreach(json_object_get(df, "Volumes"), i, v)
    {
        json_t *u = json_object_get(v, "UsageData");
        char links[16], size[32];
        snprintf(links, sizeof(links), "%lld", jint(u, "RefCount"));
        table_size4(jint(u, "Size"), size, sizeof(size));
        const char *row[] = {jstr(v, "Name"), links, size};
        table_add(t, row);
    }
    table_print(t, stdout, (const char *[]){"VOLUME NAME", "LINKS", "SIZE"});
    printf("\nBuild cache usage: 0B\n\n");
    t = table_new(7);
    table_print(t, stdout,
                (const char *[]){"CACHE ID", "CACHE TYPE", "SIZE", "CREATED", "LAST USED", "USAGE",
                                 "SHARED"});
    return 0;
}

static int cmd_df(struct engine *e, int argc, char **argv)
{
    const char *format = NULL;
    bool verbose = false;
    int i = parse_format(argc, argv, &format, &verbose, NULL, NULL, NULL, NULL);
    if (i == -2)
        return printf("Usage: berth system df [-v] [--format FORMAT]\n"), 0;
    if (i < 0)
        return 125;
    if (i < argc)
        return usage_fail("system df: unknown argument %s", argv[i]);
    struct berr *err = NULL;
    json_t *df __attribute__((cleanup(json_decrefp))) = sys_df(e, &err);
    if (!df)
        return cli_fail(err, 1);
    if (verbose && !format)
        return df_verbose(df);
    if (verbose)
        return print_format(format, df);
    size_t k;
    json_t *v;
    /* images: what the ones no container uses would give back */
    unsigned long long isize = jint(df, "LayersSize"), iused = 0, iactive = 0;
    json_array_foreach(json_object_get(df, "Images"), k, v) if (jint(v, "Containers") > 0)
    {
        iactive++;
        iused += jint(v, "Size") - jint(v, "SharedSize");
    }
    unsigned long long csize = 0, creclaim = 0, cactive = 0;
    json_array_foreach(json_object_get(df, "Containers"), k, v)
    {
        bool up = !strcmp(jstr(v, "State"), "running") || !strcmp(jstr(v, "State"), "paused");
        csize += jint(v, "SizeRw");
        cactive += up;
        if (!up)
            creclaim += jint(v, "SizeRw");
    }
    unsigned long long vsize = 0, vreclaim = 0, vactive = 0;
    json_array_foreach(json_object_get(df, "Volumes"), k, v)
    {
        json_t *u = json_object_get(v, "UsageData");
        vsize += jint(u, "Size");
        if (jint(u, "RefCount") > 0)
            vactive++;
        else
            vreclaim += jint(u, "Size");
    }
    struct {
        const char *type;
        size_t total;
        unsigned long long active, size, reclaim;
        bool pct;
    } rows[] = {
        {"Images", json_array_size(json_object_get(df, "Images")), iactive, isize,
         isize > iused ? isize - iused : 0, true},
        {"Containers", json_array_size(json_object_get(df, "Containers")), cactive, csize, creclaim,
         true},
        {"Local Volumes", json_array_size(json_object_get(df, "Volumes")), vactive, vsize, vreclaim,
         true},
        {"Build Cache", 0, 0, 0, 0, false},
    };
    json_t *header = json_pack("{s:s,s:s,s:s,s:s,s:s}", "Type", "TYPE", "TotalCount", "TOTAL",
                               "Active", "ACTIVE", "Size", "SIZE", "Reclaimable", "RECLAIMABLE");
    struct listfmt *f = listfmt_new(
        format, "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
        header, &err);
    json_decref(header);
    if (!f)
        return cli_fail(err, 125);
    for (size_t r = 0; r < sizeof(rows) / sizeof(*rows); r++) {
        char size[32], reclaim[48];
        table_size4(rows[r].size, size, sizeof(size));
        if (rows[r].pct)
            reclaim_cell(rows[r].reclaim, rows[r].size, reclaim, sizeof(reclaim));
        else
            table_size4(rows[r].reclaim, reclaim, sizeof(reclaim));
        json_t *row = json_pack("{s:s,s:I,s:I,s:s,s:s}", "Type", rows[r].type, "TotalCount",
                                (json_int_t)rows[r].total, "Active", (json_int_t)rows[r].active,
                                "Size", size, "Reclaimable", reclaim);
        int rc = listfmt_add(f, row, NULL, &err);
        json_decref(row);
        if (rc < 0) {
            listfmt_end(f, NULL);
            return cli_fail(err, 125);
        }
    }
    listfmt_end(f, stdout);
    return 0;
}

/* --filter until=: a Unix time, an RFC 3339 time or a Go duration before now ("24h", "90m") */
static long parse_until(const char *v)
{
    char *end;
    double n = strtod(v, &end);
    if (end != v && (!strcmp(end, "h") || !strcmp(end, "m") || !strcmp(end, "s")))
        return (long)(time(NULL) - n * (*end == 'h' ? 3600 : *end == 'm' ? 60 : 1));
    if (end != v && !*end)
        return (long)n;
    struct tm tm = {0};
    if (strptime(v, "%Y-%m-%dT%H:%M:%S", &tm) || strptime(v, "%Y-%m-%d", &tm))
        return (long)timegm(&tm);
    return -1;
}

static int cmd_prune(struct engine *e, int argc, char **argv)
{
    struct sys_prune_opts o = {0};
    bool force = false;
    const char *filter = NULL;
    int i = parse_format(argc, argv, NULL, NULL, &o.all, &o.volumes, &force, &filter);
    if (i == -2)
        return printf("Usage: berth system prune [-a] [--volumes] [-f] [--filter until=T]\n"), 0;
    if (i < 0)
        return 125;
    if (i < argc)
        return usage_fail("system prune: unknown argument %s", argv[i]);
    if (filter) {
        if (strncmp(filter, "until=", 6) != 0 || (o.until = parse_until(filter + 6)) <= 0)
            return usage_fail("system prune: --filter %s: only until=TIME is supported", filter);
    }
    if (!force) {
        printf("WARNING! This will remove:\n  - all stopped containers\n%s%s\n"
               "Are you sure you want to continue? [y/N] ",
               o.volumes ? "  - all volumes not used by at least one container\n" : "",
               o.all ? "  - all images without at least one container associated to them\n"
                     : "  - all dangling images\n");
        fflush(stdout);
        char answer[16] = "";
        if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y'))
            return printf("\n"), 0;
    }
    struct berr *err = NULL;
    json_t *rep __attribute__((cleanup(json_decrefp))) = sys_prune(e, &o, &err);
    if (!rep)
        return cli_fail(err, 1);
    static const char *sections[][2] = {{"ContainersDeleted", "Deleted Containers:"},
                                        {"VolumesDeleted", "Deleted Volumes:"}};
    size_t k;
    json_t *v;
    for (size_t s = 0; s < 2; s++) {
        json_t *a = json_object_get(rep, sections[s][0]);
        if (!json_array_size(a))
            continue;
        printf("%s\n", sections[s][1]);
        json_array_foreach(a, k, v) printf("%s\n", json_string_value(v));
        printf("\n");
    }
    json_t *imgs = json_object_get(rep, "ImagesDeleted");
    if (json_array_size(imgs)) {
        printf("Deleted Images:\n");
        json_array_foreach(imgs, k, v)
        {
            if (json_object_get(v, "Untagged"))
                printf("untagged: %s\n", jstr(v, "Untagged"));
            else
                printf("deleted: %s\n", jstr(v, "Deleted"));
        }
        printf("\n");
    }
    char size[32];
    table_size4(jint(rep, "SpaceReclaimed"), size, sizeof(size));
    printf("Total reclaimed space: %s\n", size);
    return 0;
}

int cmd_system(struct engine *e, const char *verb, int argc, char **argv)
{
    if (!strcmp(verb, "info"))
        return cmd_info(e, argc, argv);
    if (!strcmp(verb, "version"))
        return cmd_version(argc, argv);
    if (!strcmp(verb, "df"))
        return cmd_df(e, argc, argv);
    if (!strcmp(verb, "prune"))
        return cmd_prune(e, argc, argv);
    return usage_fail("system %s: not a system command (info, df, prune)", verb);
}

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
#include "engine/bundle.h"
#include "engine/containers.h"
#include "engine/ctr-ops.h"
#include "engine/system.h"
#include "engine/volumes.h"
#include "image/store.h"
#include "oci/runtime-spec.h"
#include "runtime/container.h"
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <regex.h>
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

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool is_running(json_t *c)
{
    return json_is_true(json_object_get(json_object_get(c, "State"), "Running"));
}

/* --- ps ------------------------------------------------------------------------------ */

static void ps_status(json_t *st, char *buf, size_t len)
{
    const char *status = json_string_value(json_object_get(st, "Status"));
    char d[64];
    if (status && !strcmp(status, "running")) {
        long age = table_age(json_string_value(json_object_get(st, "StartedAt")));
        table_duration(age < 0 ? 0 : age, d, sizeof(d));
        snprintf(buf, len, "Up %s%s", d,
                 json_is_true(json_object_get(st, "Paused")) ? " (Paused)" : "");
    } else if (status && !strcmp(status, "restarting")) {
        long age = table_age(json_string_value(json_object_get(st, "FinishedAt")));
        table_duration(age < 0 ? 0 : age, d, sizeof(d));
        snprintf(buf, len, "Restarting (%lld) %s ago",
                 (long long)json_integer_value(json_object_get(st, "ExitCode")), d);
    } else if (status && !strcmp(status, "exited")) {
        long code = json_integer_value(json_object_get(st, "ExitCode"));
        long age = table_age(json_string_value(json_object_get(st, "FinishedAt")));
        if (age < 0) {
            snprintf(buf, len, "Exited (%ld)", code);
        } else {
            table_duration(age, d, sizeof(d));
            snprintf(buf, len, "Exited (%ld) %s ago", code, d);
        }
    } else {
        snprintf(buf, len, "Created");
    }
}

/* `"sh -c 'echo hi; sl…"`: the command, cut at 20 characters (19 and an ellipsis) unless
 * no_trunc, quoted as Go quotes; malloc'd */
static char *ps_command(json_t *c, bool no_trunc)
{
    char cmd[4096];
    size_t n =
        snprintf(cmd, sizeof(cmd), "%s", json_string_value(json_object_get(c, "Path")) ?: "");
    size_t i, chars = 0, cut = 0;
    json_t *a;
    json_array_foreach(json_object_get(c, "Args"), i, a)
    {
        if (n < sizeof(cmd))
            n += snprintf(cmd + n, sizeof(cmd) - n, " %s", json_string_value(a));
    }
    for (i = 0; cmd[i]; i++)
        if (((unsigned char)cmd[i] & 0xc0) != 0x80 && ++chars == 20)
            cut = i;
    if (!no_trunc && chars > 20)
        snprintf(cmd + cut, sizeof(cmd) - cut, "…");
    return tmpl_quote(cmd);
}

/* the state docker shows: a paused container is "paused", not "running" */
static const char *ps_state(json_t *st)
{
    if (json_is_true(json_object_get(st, "Paused")))
        return "paused";
    return json_string_value(json_object_get(st, "Status")) ?: "created";
}

static unsigned long long du_total;
static int du_add(const char *path, const struct stat *s, int type, struct FTW *f)
{
    if (type != FTW_D && type != FTW_DP)
        du_total += s->st_size;
    return 0;
}

/* docker's SizeRw and SizeRootFs: what a container wrote (its layer), and that with its
 * image (st: the image store, or NULL) */
static void ctr_sizes(const char *root, json_t *ctr, struct store *st, unsigned long long *rw,
                      unsigned long long *rootfs)
{
    _cleanup_free_ char *dir = ctr_dir(root, json_string_value(json_object_get(ctr, "Id")));
    char upper[4200];
    snprintf(upper, sizeof(upper), "%s/upper", dir);
    du_total = 0;
    nftw(upper, du_add, 16, FTW_PHYS);
    *rw = *rootfs = du_total;
    _cleanup_berr_ struct berr *e = NULL;
    struct image *im =
        st ? store_get_image(st, json_string_value(json_object_get(ctr, "Image")), &e) : NULL;
    if (im)
        *rootfs += im->size;
    image_free(im);
}

/* SIZE: "2B (virtual 4.26MB)" */
static void ps_size(const char *root, json_t *ctr, struct store *st, char *buf, size_t len)
{
    unsigned long long rw, rootfs;
    char a[32], b[32];
    ctr_sizes(root, ctr, st, &rw, &rootfs);
    table_size(rw, a, sizeof(a));
    table_size(rootfs, b, sizeof(b));
    if (rootfs > 0)
        snprintf(buf, len, "%s (virtual %s)", a, b);
    else
        snprintf(buf, len, "%s", a);
}

/* The fields of docker's ps templates for a container: ID, Image, Command, CreatedAt,
 * RunningFor, Ports, State, Status, Size, Names, Labels, LocalVolumes, Mounts, Networks.
 * st: the image store when .Size is wanted, else NULL. */
static json_t *ps_row(const char *root, json_t *ctr, bool no_trunc, struct store *st)
{
    json_t *state = json_object_get(ctr, "State");
    json_t *labels = json_object_get(json_object_get(ctr, "Config"), "Labels");
    const char *id = json_string_value(json_object_get(ctr, "Id")) ?: "";
    const char *created = json_string_value(json_object_get(ctr, "Created"));
    char sid[80], status[128], since[64], at[64], size[80] = "0B", nvol[16];
    snprintf(sid, sizeof(sid), no_trunc ? "%s" : "%.12s", id);
    ps_status(state, status, sizeof(status));
    table_since(created, since, sizeof(since));
    table_go_time(created, at, sizeof(at));
    if (st)
        ps_size(root, ctr, st, size, sizeof(size));
    /* mounts by volume name or source (15 characters unless no_trunc), and how many are
     * local volumes */
    char *mounts = NULL;
    size_t len = 0, i, local = 0;
    FILE *f = open_memstream(&mounts, &len);
    json_t *v;
    json_array_foreach(json_object_get(ctr, "Mounts"), i, v)
    {
        const char *name = json_string_value(json_object_get(v, "Name"));
        if (!name || !*name)
            name = json_string_value(json_object_get(v, "Source")) ?: "";
        fprintf(f, !no_trunc && strlen(name) > 15 ? "%s%.14s…" : "%s%s", i ? "," : "", name);
        local += !strcmp(json_string_value(json_object_get(v, "Driver")) ?: "", "local");
    }
    if (f)
        fclose(f);
    snprintf(nvol, sizeof(nvol), "%zu", local);
    char *cmd = ps_command(ctr, no_trunc);
    json_t *row = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:s,s:s}", "ID", sid, "Image",
        json_string_value(json_object_get(ctr, "ImageName")) ?: "", "Command", cmd ? cmd : "",
        "CreatedAt", at, "RunningFor", since, "Ports", "", "State", ps_state(state), "Status",
        status, "Size", size, "Names", json_string_value(json_object_get(ctr, "Name")) ?: "",
        "Labels", listfmt_labels(labels), "LocalVolumes", nvol, "Mounts", mounts ? mounts : "",
        "Networks",
        json_string_value(json_object_get(json_object_get(ctr, "HostConfig"), "NetworkMode"))
            ?: "");
    free(cmd);
    free(mounts);
    return row;
}

/* --filter KEY=VALUE, docker's: the values of one key are alternatives, keys all apply */
static const char *ps_filter_keys[] = {"id",     "name",    "label",    "status", "exited",
                                       "before", "since",   "ancestor", "volume", "network",
                                       "health", "is-task", NULL};
static const char *ps_states[] = {"created", "restarting", "running", "removing",
                                  "paused",  "exited",     "dead",    NULL};

static bool in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (!strcmp(*list, s))
            return true;
    return false;
}

static int ps_filter_add(json_t *filters, const char *arg, struct berr **err)
{
    const char *eq = strchr(arg, '=');
    if (!eq)
        return berr_set(err, BERR_INVALID, EINVAL,
                        "bad format of filter \"%s\" (expected name=value)", arg);
    _cleanup_free_ char *key = strndup(arg, eq - arg);
    const char *val = eq + 1;
    char *end;
    if (!in_list(ps_filter_keys, key))
        return berr_set(err, BERR_INVALID, EINVAL, "invalid filter '%s'", key);
    if ((!strcmp(key, "status") && !in_list(ps_states, val)) ||
        (!strcmp(key, "exited") && (strtol(val, &end, 10), *end || !*val)) ||
        (!strcmp(key, "is-task") && strcmp(val, "true") && strcmp(val, "false") &&
         strcmp(val, "1") && strcmp(val, "0")))
        return berr_set(err, BERR_INVALID, EINVAL, "invalid filter '%s'", arg);
    if (!json_object_get(filters, key))
        json_object_set_new(filters, key, json_array());
    json_array_append_new(json_object_get(filters, key),
                          strcmp(key, "exited") ? json_string(val)
                                                : json_sprintf("%ld", strtol(val, NULL, 10)));
    return 0;
}

/* docker's filters.Match: a value equal to s, or a regular expression found in it */
static bool match_any(json_t *vals, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(vals, i, v)
    {
        regex_t re;
        if (!strcmp(json_string_value(v), s))
            return true;
        if (regcomp(&re, json_string_value(v), REG_EXTENDED | REG_NOSUB) != 0)
            continue;
        bool m = regexec(&re, s, 0, NULL, 0) == 0;
        regfree(&re);
        if (m)
            return true;
    }
    return !vals;
}

static bool exact_any(json_t *vals, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(vals, i, v)
    {
        if (!strcmp(json_string_value(v), s))
            return true;
    }
    return !vals;
}

/* ancestors: the IDs of the images that ancestor= names */
static bool ps_match(json_t *f, json_t *ctr, json_t *ancestors)
{
    json_t *st = json_object_get(ctr, "State"), *m;
    json_t *labels = json_object_get(json_object_get(ctr, "Config"), "Labels");
    const char *name = json_string_value(json_object_get(ctr, "Name")) ?: "";
    const char *net =
        json_string_value(json_object_get(json_object_get(ctr, "HostConfig"), "NetworkMode"));
    char slashed[300];
    snprintf(slashed, sizeof(slashed), "/%s", name);
    if (!(match_any(json_object_get(f, "name"), name) ||
          match_any(json_object_get(f, "name"), slashed)) ||
        !match_any(json_object_get(f, "id"), json_string_value(json_object_get(ctr, "Id"))) ||
        !match_any(json_object_get(f, "status"), ps_state(st)) ||
        !exact_any(json_object_get(f, "network"), net ?: "") ||
        !exact_any(json_object_get(f, "health"), "none"))
        return false;
    /* no container is a swarm task */
    json_t *task = json_object_get(f, "is-task");
    if (task && (exact_any(task, "true") || exact_any(task, "1")))
        return false;
    size_t j;
    if (!listfmt_labels_match(json_object_get(f, "label"), labels))
        return false;
    /* exited: one of the codes, of a container that ran */
    bool ran = !json_is_true(json_object_get(st, "Running")) &&
               *(json_string_value(json_object_get(st, "StartedAt")) ?: "");
    char code[24];
    snprintf(code, sizeof(code), "%lld",
             (long long)json_integer_value(json_object_get(st, "ExitCode")));
    if (json_object_get(f, "exited") && (!ran || !exact_any(json_object_get(f, "exited"), code)))
        return false;
    if (json_object_get(f, "ancestor") &&
        !json_object_get(ancestors, json_string_value(json_object_get(ctr, "Image")) ?: ""))
        return false;
    /* volume: by name (a bind mount by its source) or by where it is mounted */
    json_t *vols = json_object_get(f, "volume");
    bool found = !vols;
    json_array_foreach(json_object_get(ctr, "Mounts"), j, m)
    {
        const char *vn = json_string_value(json_object_get(m, "Name"));
        if (!vn || !*vn)
            vn = json_string_value(json_object_get(m, "Source")) ?: "";
        found |=
            vols && (exact_any(vols, vn) ||
                     exact_any(vols, json_string_value(json_object_get(m, "Destination")) ?: ""));
    }
    return found;
}

static int cmd_ps(struct engine *e, int argc, char **argv)
{
    const char *root = e->root;
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
    while ((c = getopt_long(argc, argv, "+aqhn:lf:s", longs, NULL)) != -1) {
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
            if (ps_filter_add(filters, optarg, &err) < 0)
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
    /* before= and since= name containers; ancestor= images (by name or ID) */
    _cleanup_free_ char *before = NULL, *since = NULL;
    json_t *b = json_array_get(json_object_get(filters, "before"), 0);
    json_t *s = json_array_get(json_object_get(filters, "since"), 0);
    if ((b && !(before = ctr_resolve(root, json_string_value(b), &err))) ||
        (s && !(since = ctr_resolve(root, json_string_value(s), &err))))
        return cli_fail(err, 1);
    _cleanup_store_ struct store *st = NULL;
    _cleanup_(json_decrefp) json_t *ancestors = json_object();
    if (size || json_object_get(filters, "ancestor")) {
        st = store_open(root, &err);
        if (!st)
            return cli_fail(err, 125);
    }
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(filters, "ancestor"), i, v)
    {
        _cleanup_berr_ struct berr *e = NULL;
        struct image *im = store_find_image(st, json_string_value(v), &e);
        if (im)
            json_object_set_new(ancestors, im->id, json_true());
        image_free(im);
    }
    /* a status filter lists stopped containers too */
    all |= json_object_get(filters, "status") != NULL;
    _cleanup_(json_decrefp) json_t *ids = ctr_ids(root);
    long shown = 0;
    bool past_before = !before;
    json_array_foreach(ids, i, v)
    {
        const char *id = json_string_value(v);
        if (last >= 0 && shown >= last)
            break; /* newest first: the first N are the last created */
        if (since && !strcmp(id, since))
            break;
        if (!past_before) {
            past_before = !strcmp(id, before);
            continue;
        }
        _cleanup_berr_ struct berr *e = NULL;
        _cleanup_(json_decrefp) json_t *ctr = ctr_load(root, id, &e);
        json_t *state = json_object_get(ctr, "State");
        if (!ctr ||
            (!all && last < 0 && !is_running(ctr) &&
             !json_is_true(json_object_get(state, "Restarting"))) ||
            !ps_match(filters, ctr, ancestors))
            continue;
        _cleanup_(json_decrefp) json_t *row = ps_row(root, ctr, no_trunc, st);
        _cleanup_(json_decrefp) json_t *methods =
            json_pack("{s:o}", "Label",
                      json_incref(json_object_get(json_object_get(ctr, "Config"), "Labels"))
                          ?: json_object());
        if (listfmt_add(lf, row, methods, &err) < 0)
            return cli_fail(err, 125);
        shown++;
    }
    listfmt_end(TAKE_PTR(lf), stdout);
    return 0;
}

/* --- logs ---------------------------------------------------------------------------- */

struct logs_opts {
    bool timestamps;
    long tail;           /* -1: all */
    double since, until; /* seconds since the epoch; 0: not given */
};

/* An RFC 3339 time in UTC ("2026-11-29T03:05:25.754Z") to seconds since the epoch. */
static bool parse_rfc3339(const char *s, double *ret)
{
    struct tm tm = {0};
    const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!rest)
        return false;
    double frac = 0;
    if (*rest == '.') {
        char *end;
        frac = strtod(rest, &end);
        rest = end;
    }
    if (*rest && strcmp(rest, "Z") != 0)
        return false;
    *ret = (double)timegm(&tm) + frac;
    return true;
}

/* --since/--until: RFC 3339 (UTC), Unix seconds, or a duration back from now (10m, 1h, 30s) */
static bool parse_when(const char *s, double *ret)
{
    char *end;
    double v = strtod(s, &end);
    if (end != s && !*end && v >= 0) {
        *ret = v;
        return true;
    }
    if (end != s && v >= 0 && (!strcmp(end, "s") || !strcmp(end, "m") || !strcmp(end, "h"))) {
        *ret = (double)time(NULL) - v * (*end == 'h' ? 3600 : *end == 'm' ? 60 : 1);
        return true;
    }
    return parse_rfc3339(s, ret);
}

static bool in_range(const char *line, const struct logs_opts *o)
{
    if (!o->since && !o->until)
        return true;
    json_t *j = json_loads(line, 0, NULL);
    double t = 0;
    bool ok = j && parse_rfc3339(json_string_value(json_object_get(j, "time")), &t) &&
              (!o->since || t >= o->since) && (!o->until || t <= o->until);
    json_decref(j);
    return ok;
}

/* Prints one json-file line to stdout or stderr. */
static void logs_line(const char *line, const struct logs_opts *o)
{
    json_t *j = json_loads(line, 0, NULL);
    if (!j)
        return;
    const char *stream = json_string_value(json_object_get(j, "stream"));
    json_t *log = json_object_get(j, "log");
    FILE *f = stream && !strcmp(stream, "stderr") ? stderr : stdout;
    if (o->timestamps)
        fprintf(f, "%s ", json_string_value(json_object_get(j, "time")) ?: "");
    fwrite(json_string_value(log), 1, json_string_length(log), f);
    fflush(f);
    json_decref(j);
}

/* Reads complete lines from fd, keeping a partial one in *pending. */
static void logs_read(int fd, char **pending, size_t *plen, json_t *keep, const struct logs_opts *o)
{
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        *pending = realloc(*pending, *plen + n + 1);
        memcpy(*pending + *plen, buf, n);
        *plen += n;
        (*pending)[*plen] = 0;
        char *start = *pending, *nl;
        while ((nl = memchr(start, '\n', *pending + *plen - start))) {
            *nl = 0;
            if (!in_range(start, o))
                ;
            else if (keep)
                json_array_append_new(keep, json_string(start));
            else
                logs_line(start, o);
            start = nl + 1;
        }
        *plen -= start - *pending;
        memmove(*pending, start, *plen);
    }
}

static int cmd_logs(struct engine *e, int argc, char **argv)
{
    const char *root = e->root;
    static const struct option longs[] = {{"follow", no_argument, NULL, 'f'},
                                          {"timestamps", no_argument, NULL, 't'},
                                          {"tail", required_argument, NULL, 'n'},
                                          {"since", required_argument, NULL, 'S'},
                                          {"until", required_argument, NULL, 'U'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    struct logs_opts o = {.tail = -1};
    bool follow = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+ftn:h", longs, NULL)) != -1) {
        switch (c) {
        case 'f': follow = true; break;
        case 't': o.timestamps = true; break;
        case 'n': {
            char *end;
            o.tail = strcmp(optarg, "all") == 0 ? -1 : strtol(optarg, &end, 10);
            if (strcmp(optarg, "all") != 0 && (*end || o.tail < 0))
                return fail_msg(125, "logs: --tail %s: give a number of lines or \"all\"", optarg);
            break;
        }
        case 'S':
            if (!parse_when(optarg, &o.since))
                return fail_msg(125,
                                "logs: --since %s: give a time (RFC 3339 UTC, Unix seconds) "
                                "or a duration (10m)",
                                optarg);
            break;
        case 'U':
            if (!parse_when(optarg, &o.until))
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
    _cleanup_free_ char *id = ctr_resolve(root, argv[optind], &err);
    if (!id)
        return cli_fail(err, 1);
    json_t *ctr = ctr_load(root, id, &err);
    if (!ctr)
        return cli_fail(err, 1);
    const char *driver = json_string_value(
        json_object_get(json_object_get(json_object_get(ctr, "HostConfig"), "LogConfig"), "Type"));
    bool readable = !driver || strcmp(driver, "none") != 0;
    json_decref(ctr);
    if (!readable)
        return fail_msg(1, "logs %s: configured logging driver does not support reading",
                        argv[optind]);
    _cleanup_free_ char *dir = ctr_dir(root, id);
    char path[4200];
    /* rotated files first, oldest first: json.log.2, json.log.1, then json.log */
    json_t *keep = o.tail >= 0 ? json_array() : NULL;
    for (int k = 99; k >= 1; k--) {
        snprintf(path, sizeof(path), "%s/json.log.%d", dir, k);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        char *pending = NULL;
        size_t plen = 0;
        logs_read(fd, &pending, &plen, keep, &o);
        free(pending);
    }
    snprintf(path, sizeof(path), "%s/json.log", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char *pending = NULL;
    size_t plen = 0;
    if (fd >= 0)
        logs_read(fd, &pending, &plen, keep, &o);
    if (keep) {
        size_t n = json_array_size(keep);
        for (size_t i = n > (size_t)o.tail ? n - o.tail : 0; i < n; i++)
            logs_line(json_string_value(json_array_get(keep, i)), &o);
        json_decref(keep);
    }
    /* -f: what comes next, while the container runs (and follow the file across rotation) */
    while (follow) {
        _cleanup_berr_ struct berr *e = NULL;
        json_t *ctr = ctr_load(root, id, &e);
        bool running = ctr && is_running(ctr);
        json_decref(ctr);
        struct stat a, b;
        if (fd >= 0 && stat(path, &a) == 0 && fstat(fd, &b) == 0 && a.st_ino != b.st_ino) {
            logs_read(fd, &pending, &plen, NULL, &o); /* the rest of the rotated file */
            close(fd);
            fd = open(path, O_RDONLY | O_CLOEXEC);
            plen = 0;
        } else if (fd < 0) {
            fd = open(path, O_RDONLY | O_CLOEXEC);
        }
        if (fd >= 0)
            logs_read(fd, &pending, &plen, NULL, &o);
        if (!running)
            break;
        usleep(50000);
    }
    free(pending);
    if (fd >= 0)
        close(fd);
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
    while ((c = getopt_long(argc, argv, "+t:s:h", longs, NULL)) != -1) {
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
    while ((c = getopt_long(argc, argv, "+t:h", longs, NULL)) != -1) {
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
    while ((c = getopt_long(argc, argv, "+s:h", longs, NULL)) != -1) {
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
    while ((c = getopt_long(argc, argv, "+fvh", longs, NULL)) != -1) {
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
    const char *root = e->root;
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
    const char *runroot = e->runroot;
    struct sys_prune_opts o = {0};
    json_t *out = json_array();
    json_int_t reclaimed = 0;
    if (sys_container_prune(root, runroot, &o, out, &reclaimed, &err) < 0) {
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

/* top: the container's processes, as `ps -ef` (or the ps options given) shows them */
/* port: the container's published ports. berth publishes none yet (no bridge network, and
 * run refuses -p), so this lists nothing, as docker does for such a container; a port asked
 * for is "not published". */
static int cmd_port(struct engine *e, int argc, char **argv)
{
    const char *root = e->root;
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("Usage: berth port CONTAINER [PRIVATE_PORT[/PROTO]]\n");
        return 0;
    }
    if (argc < 2 || argc > 3 || argv[1][0] == '-')
        return fail_msg(125, "port: give a container and, maybe, a port%s", "");
    struct berr *err = NULL;
    _cleanup_free_ char *id = ctr_resolve(root, argv[1], &err);
    if (!id)
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

static int cmd_top(struct engine *e, int argc, char **argv)
{
    const char *root = e->root;
    if (argc < 2 || argv[1][0] == '-')
        return fail_msg(125, "top: give a container (and ps options)%s", "");
    struct berr *err = NULL;
    _cleanup_free_ char *id = ctr_resolve(root, argv[1], &err);
    json_t *ctr = id ? ctr_load(root, id, &err) : NULL;
    if (!ctr)
        return cli_fail(err, 1);
    bool running = is_running(ctr);
    json_decref(ctr);
    if (!running)
        return fail_msg(1, "top: container %s is not running", argv[1]);
    char rtroot[4200];
    cli_rtroot(rtroot, sizeof(rtroot));
    char **rargv = calloc(argc + 5, sizeof(char *));
    int n = 0;
    rargv[n++] = "berth-runtime";
    rargv[n++] = "--root";
    rargv[n++] = rtroot;
    rargv[n++] = "ps";
    rargv[n++] = id;
    for (int i = 2; i < argc; i++)
        rargv[n++] = argv[i];
    optind = 1;
    int r = cmd_runtime(n, rargv);
    free(rargv);
    return r;
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

/* stats --no-stream: CPU (over half a second), memory and PIDs from each cgroup */
/* The containers stats shows: those named, or every running one (-a: every one) */
static json_t *stats_ids(const char *root, json_t *want, bool all, int *rc)
{
    json_t *ids = json_array();
    size_t i;
    json_t *v;
    if (json_array_size(want)) {
        json_array_foreach(want, i, v)
        {
            struct berr *err = NULL;
            char *id = ctr_resolve(root, json_string_value(v), &err);
            if (!id)
                *rc = cli_fail(err, 1);
            else
                json_array_append_new(ids, json_string(id));
            free(id);
        }
        return ids;
    }
    json_t *every = ctr_ids(root);
    json_array_foreach(every, i, v)
    {
        _cleanup_berr_ struct berr *e = NULL;
        json_t *c = ctr_load(root, json_string_value(v), &e);
        if (c && (all || is_running(c)))
            json_array_append(ids, v);
        json_decref(c);
    }
    json_decref(every);
    return ids;
}

/* One table: CPU % over `interval_ms` (two samples of CPU time), memory and PIDs now */
static int stats_table(const char *root, const char *rtroot, json_t *ids, long interval_ms,
                       const char *format, bool no_trunc)
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
    double *cpu0 = calloc(n + 1, sizeof(double));
    json_array_foreach(ids, i, v)
    {
        _cleanup_berr_ struct berr *e = NULL;
        json_t *s = rt_stats(rtroot, json_string_value(v), &e);
        cpu0[i] = json_number_value(
            json_object_get(json_object_get(json_object_get(s, "cpu"), "usage"), "total"));
        json_decref(s);
    }
    long t0 = now_ms();
    if (n)
        usleep(interval_ms * 1000);
    double wall_ns = (now_ms() - t0) * 1e6;
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    double host_mem = (double)pages * psize;
    int rc = 0;
    json_array_foreach(ids, i, v)
    {
        const char *id = json_string_value(v);
        _cleanup_berr_ struct berr *e = NULL;
        json_t *c = ctr_load(root, id, &e);
        json_t *s = c && is_running(c) ? rt_stats(rtroot, id, &e) : NULL;
        char sid[65], cpu[32] = "--", mem[2 * 32 + 3] = "-- / --", memp[32] = "--", pids[32] = "--";
        snprintf(sid, sizeof(sid), "%.*s", no_trunc ? 64 : 12, id);
        if (s) {
            json_t *m = json_object_get(json_object_get(s, "memory"), "usage");
            double used = json_number_value(json_object_get(m, "usage"));
            double limit = json_number_value(json_object_get(m, "limit"));
            if (limit <= 0 || limit > host_mem)
                limit = host_mem;
            double cpu1 = json_number_value(
                json_object_get(json_object_get(json_object_get(s, "cpu"), "usage"), "total"));
            snprintf(cpu, sizeof(cpu), "%.2f%%",
                     wall_ns > 0 ? (cpu1 - cpu0[i]) / wall_ns * 100 : 0);
            char a[32], b[32];
            size_iec(used, a, sizeof(a));
            size_iec(limit, b, sizeof(b));
            snprintf(mem, sizeof(mem), "%s / %s", a, b);
            snprintf(memp, sizeof(memp), "%.2f%%", limit > 0 ? used / limit * 100 : 0);
            snprintf(pids, sizeof(pids), "%lld",
                     (long long)json_integer_value(
                         json_object_get(json_object_get(s, "pids"), "current")));
        } else {
            snprintf(cpu, sizeof(cpu), "0.00%%");
            snprintf(mem, sizeof(mem), "0B / 0B");
            snprintf(memp, sizeof(memp), "0.00%%");
            snprintf(pids, sizeof(pids), "0");
        }
        /* no network yet but none or the host's: nothing of its own to count */
        const char *name = json_string_value(json_object_get(c, "Name")) ?: "";
        json_t *row = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Container", name, "ID",
                                sid, "Name", name, "CPUPerc", cpu, "MemUsage", mem, "MemPerc", memp,
                                "NetIO", "--", "BlockIO", "--", "PIDs", pids);
        if (listfmt_add(lf, row, NULL, &err) < 0)
            rc = 125;
        json_decref(row);
        json_decref(s);
        json_decref(c);
        if (rc)
            break;
    }
    free(cpu0);
    if (rc) {
        listfmt_end(lf, NULL);
        return cli_fail(err, 125);
    }
    listfmt_end(lf, stdout);
    return 0;
}

static int cmd_stats(struct engine *e, int argc, char **argv)
{
    const char *root = e->root;
    static const struct option longs[] = {
        {"all", no_argument, NULL, 'a'},      {"no-stream", no_argument, NULL, 'n'},
        {"no-trunc", no_argument, NULL, 't'}, {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},     {0}};
    bool all = false, no_stream = false, no_trunc = false;
    const char *format = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+ah", longs, NULL)) != -1) {
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
    char rtroot[4200];
    cli_rtroot(rtroot, sizeof(rtroot));
    int rc = 0;
    if (no_stream) {
        json_t *ids = stats_ids(root, want, all, &rc);
        int r = stats_table(root, rtroot, ids, 500, format, no_trunc);
        json_decref(ids);
        return r ? r : rc;
    }
    /* streaming, as docker: a new table every second (the screen cleared on a terminal)
     * until interrupted; the containers listed again each time unless named */
    bool term = isatty(STDOUT_FILENO);
    for (;;) {
        json_t *ids = stats_ids(root, want, all, &rc);
        if (rc) {
            json_decref(ids);
            return rc;
        }
        if (term)
            fputs("\033[2J\033[H", stdout);
        int r = stats_table(root, rtroot, ids, 1000, format, no_trunc);
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
    const char *root = eng->root;
    struct berr *e = NULL;
    json_t *o = NULL;
    *sort = true;
    if (!type || !strcmp(type, "container")) {
        _cleanup_free_ char *id = ctr_resolve(root, what, &e);
        if (id && (o = ctr_load(root, id, &e)) && size) {
            /* -s: what it wrote, and that with its image */
            _cleanup_berr_ struct berr *e2 = NULL;
            _cleanup_store_ struct store *st = store_open(root, &e2);
            unsigned long long rw, rootfs;
            ctr_sizes(root, o, st, &rw, &rootfs);
            json_object_set_new(o, "SizeRw", json_integer(rw));
            json_object_set_new(o, "SizeRootFs", json_integer(rootfs));
        }
    }
    if (!o && (!type || !strcmp(type, "image"))) {
        berr_free(TAKE_PTR(e));
        o = cli_image_inspect(eng, what, &e);
        *sort = false;
    }
    if (!o && (!type || !strcmp(type, "volume"))) {
        berr_free(TAKE_PTR(e));
        if ((o = vol_get(root, what, false, NULL, &e)))
            json_object_del(o, "Anonymous");
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
    while ((c = getopt_long(argc, argv, "+f:sh", longs, NULL)) != -1) {
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

/* ctr-query.c - reading containers: list with docker's filters, inspect, logs, top, stats */
#include "ctr-query.h"
#include "engine/filters.h"
#include "engine/containers.h"
#include "engine/engine.h"
#include "engine/system.h"
#include "base/cleanup.h"
#include "base/xalloc.h"
#include "image/store.h"
#include "runtime/container.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

void ctr_human_duration(long d, char *buf, size_t len)
{
    long m = d / 60, h = d / 3600;
    if (d < 1)
        snprintf(buf, len, "Less than a second");
    else if (d == 1)
        snprintf(buf, len, "1 second");
    else if (d < 60)
        snprintf(buf, len, "%ld seconds", d);
    else if (m == 1)
        snprintf(buf, len, "About a minute");
    else if (m < 60)
        snprintf(buf, len, "%ld minutes", m);
    else if (h == 1)
        snprintf(buf, len, "About an hour");
    else if (h < 48)
        snprintf(buf, len, "%ld hours", h);
    else if (h < 24 * 14)
        snprintf(buf, len, "%ld days", h / 24);
    else if (h < 24 * 60)
        snprintf(buf, len, "%ld weeks", h / (24 * 7));
    else if (h < 24 * 365 * 2)
        snprintf(buf, len, "%ld months", h / (24 * 30));
    else
        snprintf(buf, len, "%ld years", h / (24 * 365));
}

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

/* whole seconds since an RFC 3339 time (0 if in the future), or -1 */
static long age_of(const char *rfc3339)
{
    struct tm tm = {0};
    if (!rfc3339 || !strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm))
        return -1;
    long d = (long)(time(NULL) - timegm(&tm));
    return d < 0 ? 0 : d;
}

bool ctr_logs_time(const char *s, double *ret)
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

/* --- sizes --------------------------------------------------------------------------- */

/* docker's SizeRw and SizeRootFs: what a container wrote (its layer), and that with its
 * image (st: the image store, or NULL) */
static void ctr_sizes(const char *root, json_t *ctr, struct store *st, unsigned long long *rw,
                      unsigned long long *rootfs)
{
    _cleanup_free_ char *dir = ctr_dir(root, json_string_value(json_object_get(ctr, "Id")));
    _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
    *rw = *rootfs = sys_du(upper);
    _cleanup_berr_ struct berr *e = NULL;
    struct image *im =
        st ? store_get_image(st, json_string_value(json_object_get(ctr, "Image")), &e) : NULL;
    if (im)
        *rootfs += im->size;
    image_free(im);
}

static void add_sizes(const char *root, json_t *ctr, struct store *st, json_t *to)
{
    unsigned long long rw, rootfs;
    ctr_sizes(root, ctr, st, &rw, &rootfs);
    json_object_set_new(to, "SizeRw", json_integer(rw));
    json_object_set_new(to, "SizeRootFs", json_integer(rootfs));
}

/* --- list ---------------------------------------------------------------------------- */

static const char *filter_keys[] = {"id",     "name",    "label",    "status", "exited",
                                    "before", "since",   "ancestor", "volume", "network",
                                    "health", "is-task", NULL};
static const char *states[] = {"created", "restarting", "running", "removing",
                               "paused",  "exited",     "dead",    NULL};

static bool in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (!strcmp(*list, s))
            return true;
    return false;
}

int ctr_filter_add(json_t *filters, const char *arg, struct berr **err)
{
    const char *eq = strchr(arg, '=');
    if (!eq)
        return berr_set(err, BERR_INVALID, EINVAL,
                        "bad format of filter \"%s\" (expected name=value)", arg);
    _cleanup_free_ char *key = strndup(arg, eq - arg);
    const char *val = eq + 1;
    char *end;
    if (!in_list(filter_keys, key))
        return berr_set(err, BERR_INVALID, EINVAL, "invalid filter '%s'", key);
    if ((!strcmp(key, "status") && !in_list(states, val)) ||
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

/* the state docker shows: a paused container is "paused", not "running" */
static const char *shown_state(json_t *st)
{
    if (json_is_true(json_object_get(st, "Paused")))
        return "paused";
    return json_string_value(json_object_get(st, "Status")) ?: "created";
}

/* Status: "Up 5 minutes (Paused)", "Exited (0) 3 seconds ago", "Created" */
static void shown_status(json_t *st, char *buf, size_t len)
{
    const char *status = json_string_value(json_object_get(st, "Status"));
    char d[64];
    if (status && !strcmp(status, "running")) {
        long age = age_of(json_string_value(json_object_get(st, "StartedAt")));
        ctr_human_duration(age < 0 ? 0 : age, d, sizeof(d));
        snprintf(buf, len, "Up %s%s", d,
                 json_is_true(json_object_get(st, "Paused")) ? " (Paused)" : "");
    } else if (status && !strcmp(status, "restarting")) {
        long age = age_of(json_string_value(json_object_get(st, "FinishedAt")));
        ctr_human_duration(age < 0 ? 0 : age, d, sizeof(d));
        snprintf(buf, len, "Restarting (%lld) %s ago",
                 (long long)json_integer_value(json_object_get(st, "ExitCode")), d);
    } else if (status && !strcmp(status, "exited")) {
        long code = json_integer_value(json_object_get(st, "ExitCode"));
        long age = age_of(json_string_value(json_object_get(st, "FinishedAt")));
        if (age < 0) {
            snprintf(buf, len, "Exited (%ld)", code);
        } else {
            ctr_human_duration(age, d, sizeof(d));
            snprintf(buf, len, "Exited (%ld) %s ago", code, d);
        }
    } else {
        snprintf(buf, len, "Created");
    }
}

/* ancestors: the IDs of the images that ancestor= names */
static bool list_match(json_t *f, json_t *ctr, json_t *ancestors)
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
        !match_any(json_object_get(f, "status"), shown_state(st)) ||
        !exact_any(json_object_get(f, "network"), net ?: "") ||
        !exact_any(json_object_get(f, "health"), "none"))
        return false;
    /* no container is a swarm task */
    json_t *task = json_object_get(f, "is-task");
    if (task && (exact_any(task, "true") || exact_any(task, "1")))
        return false;
    size_t j;
    if (!filter_labels_match(json_object_get(f, "label"), labels))
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

/* A ContainerSummary of a record; st: the image store when sizes are wanted, else NULL. */
static json_t *summary(const char *root, json_t *ctr, struct store *st)
{
    json_t *state = json_object_get(ctr, "State");
    json_t *labels = json_object_get(json_object_get(ctr, "Config"), "Labels");
    char status[128];
    shown_status(state, status, sizeof(status));
    /* Command: the path and its arguments, joined with spaces as docker does */
    char *cmd = NULL;
    size_t len = 0, i;
    FILE *f = open_memstream(&cmd, &len);
    json_t *a;
    if (!f)
        abort();
    fputs(json_string_value(json_object_get(ctr, "Path")) ?: "", f);
    json_array_foreach(json_object_get(ctr, "Args"), i, a) fprintf(f, " %s", json_string_value(a));
    fclose(f);
    double created = 0;
    parse_rfc3339(json_string_value(json_object_get(ctr, "Created")), &created);
    json_t *row = json_pack(
        "{s:O?,s:[s+],s:s,s:s,s:s,s:I,s:s,s:s,s:[],s:o,s:{s:s},s:o}", "Id",
        json_object_get(ctr, "Id"), "Names", "/",
        json_string_value(json_object_get(ctr, "Name")) ?: "", "Image",
        json_string_value(json_object_get(ctr, "ImageName")) ?: "", "ImageID",
        json_string_value(json_object_get(ctr, "Image")) ?: "", "Command", cmd, "Created",
        (json_int_t)created, "State", shown_state(state), "Status", status, "Ports", "Labels",
        labels ? json_deep_copy(labels) : json_object(), "HostConfig", "NetworkMode",
        json_string_value(json_object_get(json_object_get(ctr, "HostConfig"), "NetworkMode")) ?: "",
        "Mounts", json_deep_copy(json_object_get(ctr, "Mounts")) ?: json_array());
    free(cmd);
    if (st)
        add_sizes(root, ctr, st, row);
    return row;
}

json_t *ctr_list(struct engine *e, const struct ctr_list_opts *o, struct berr **err)
{
    const char *root = e->root;
    json_t *filters = o->filters;
    /* before= and since= name containers; ancestor= images (by name or ID) */
    _cleanup_free_ char *before = NULL, *since = NULL;
    json_t *b = json_array_get(json_object_get(filters, "before"), 0);
    json_t *s = json_array_get(json_object_get(filters, "since"), 0);
    if ((b && !(before = ctr_resolve(root, json_string_value(b), err))) ||
        (s && !(since = ctr_resolve(root, json_string_value(s), err))))
        return NULL;
    _cleanup_store_ struct store *st = NULL;
    _cleanup_(json_decrefp) json_t *ancestors = json_object();
    if (o->size || json_object_get(filters, "ancestor")) {
        st = store_open(root, err);
        if (!st)
            return NULL;
    }
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(filters, "ancestor"), i, v)
    {
        _cleanup_berr_ struct berr *e2 = NULL;
        struct image *im = store_find_image(st, json_string_value(v), &e2);
        if (im)
            json_object_set_new(ancestors, im->id, json_true());
        image_free(im);
    }
    /* a status filter lists stopped containers too */
    bool all = o->all || json_object_get(filters, "status") != NULL;
    _cleanup_(json_decrefp) json_t *ids = ctr_ids(root);
    json_t *rows = json_array();
    long shown = 0;
    bool past_before = !before;
    json_array_foreach(ids, i, v)
    {
        const char *id = json_string_value(v);
        if (o->last >= 0 && shown >= o->last)
            break; /* newest first: the first N are the last created */
        if (since && !strcmp(id, since))
            break;
        if (!past_before) {
            past_before = !strcmp(id, before);
            continue;
        }
        _cleanup_berr_ struct berr *e2 = NULL;
        _cleanup_(json_decrefp) json_t *ctr = ctr_load(root, id, &e2);
        json_t *state = json_object_get(ctr, "State");
        if (!ctr ||
            (!all && o->last < 0 && !json_is_true(json_object_get(state, "Running")) &&
             !json_is_true(json_object_get(state, "Restarting"))) ||
            !list_match(filters, ctr, ancestors))
            continue;
        json_array_append_new(rows, summary(root, ctr, o->size ? st : NULL));
        shown++;
    }
    return rows;
}

/* --- inspect ------------------------------------------------------------------------- */

json_t *ctr_inspect(struct engine *e, const char *ref, bool size, struct berr **err)
{
    _cleanup_ctr_ struct ctr *c = ctr_open(e, ref, err);
    if (!c)
        return NULL;
    json_t *o = json_incref(c->rec);
    if (size) {
        /* -s: what it wrote, and that with its image */
        _cleanup_berr_ struct berr *e2 = NULL;
        _cleanup_store_ struct store *st = store_open(e->root, &e2);
        add_sizes(e->root, o, st, o);
    }
    return o;
}

/* --- logs ---------------------------------------------------------------------------- */

static bool in_range(json_t *j, const struct ctr_logs_opts *o)
{
    if (!o->since && !o->until)
        return true;
    double t = 0;
    return parse_rfc3339(json_string_value(json_object_get(j, "time")), &t) &&
           (!o->since || t >= o->since) && (!o->until || t <= o->until);
}

/* Hands one json-file line to o->out; < 0 if it says stop. */
static int emit(const char *line, const struct ctr_logs_opts *o)
{
    _cleanup_(json_decrefp) json_t *j = json_loads(line, 0, NULL);
    if (!j)
        return 0;
    const char *stream = json_string_value(json_object_get(j, "stream"));
    json_t *log = json_object_get(j, "log");
    int which = stream && !strcmp(stream, "stderr") ? 2 : 1;
    if (!o->timestamps)
        return o->out(o->ctx, which, json_string_value(log) ?: "", json_string_length(log));
    _cleanup_free_ char *s = xasprintf("%s %s", json_string_value(json_object_get(j, "time")) ?: "",
                                       json_string_value(log) ?: "");
    return o->out(o->ctx, which, s, strlen(s));
}

struct reader {
    int fd;
    char *pending; /* a line not yet complete */
    size_t plen;
    json_t *keep; /* --tail: the lines kept to emit at the end, else NULL */
};

/* Reads what there is from r->fd: each complete line in range is emitted (or kept). */
static int read_lines(struct reader *r, const struct ctr_logs_opts *o)
{
    char buf[65536];
    ssize_t n;
    while ((n = read(r->fd, buf, sizeof(buf))) > 0) {
        r->pending = xrealloc(r->pending, r->plen + n + 1);
        memcpy(r->pending + r->plen, buf, n);
        r->plen += n;
        r->pending[r->plen] = 0;
        char *start = r->pending, *nl;
        while ((nl = memchr(start, '\n', r->pending + r->plen - start))) {
            *nl = 0;
            json_t *j = json_loads(start, 0, NULL);
            bool keep = j && in_range(j, o);
            json_decref(j);
            if (keep && r->keep)
                json_array_append_new(r->keep, json_string(start));
            else if (keep && emit(start, o) < 0)
                return -EPIPE;
            start = nl + 1;
        }
        r->plen -= start - r->pending;
        memmove(r->pending, start, r->plen);
    }
    return 0;
}

/* -f: what the container writes next, until it stops: inotify on its directory wakes us for
 * appends to json.log, its rotation (a new json.log renamed in) and state.json (written when
 * the container ends); its process's and monitor's pidfds for an end nobody recorded. */
static int follow(struct engine *e, struct ctr *c, struct reader *r, const char *path,
                  const struct ctr_logs_opts *o, struct berr **err)
{
    _cleanup_close_ int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (in < 0)
        return berr_sys(err, errno, "logs: inotify");
    if (inotify_add_watch(in, c->dir,
                          IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF |
                              IN_MOVE_SELF) < 0)
        return berr_sys(err, errno, "logs: watch %s", c->dir);
    struct pollfd p[4] = {
        {.fd = in, .events = POLLIN}, {.fd = -1}, {.fd = -1}, {.fd = o->stop_fd, .events = POLLIN}};
    pid_t watched[3] = {0, 0, 0};
    int r2 = 0;
    for (;;) {
        /* the state first, then the log: the end is recorded after the last output */
        _cleanup_berr_ struct berr *e2 = NULL;
        bool running = ctr_reload(e, c, &e2) == 0 && ctr_running(c);
        /* the process (a restart makes a new one) and the monitor, each watched once */
        pid_t now[3] = {
            0, ctr_pid(c, NULL),
            json_integer_value(json_object_get(json_object_get(c->rec, "State"), "MonitorPid"))};
        bool vanished = false;
        for (int i = 1; i < 3 && running; i++) {
            if (now[i] <= 0 || now[i] == watched[i])
                continue;
            if (p[i].fd >= 0)
                close(p[i].fd);
            watched[i] = now[i];
            p[i] = (struct pollfd){.fd = (int)syscall(SYS_pidfd_open, now[i], 0), .events = POLLIN};
            vanished |= p[i].fd < 0;
        }
        struct stat a, b;
        if (r->fd >= 0 && stat(path, &a) == 0 && fstat(r->fd, &b) == 0 && a.st_ino != b.st_ino) {
            if ((r2 = read_lines(r, o)) < 0) /* the rest of the rotated file */
                break;
            close(r->fd);
            r->fd = open(path, O_RDONLY | O_CLOEXEC);
            r->plen = 0;
        } else if (r->fd < 0) {
            r->fd = open(path, O_RDONLY | O_CLOEXEC);
        }
        if (r->fd >= 0 && (r2 = read_lines(r, o)) < 0)
            break;
        if (!running)
            break;
        /* gone since it was read: the state again (unless its monitor will record it) */
        if (vanished && p[2].fd < 0)
            continue;
        if (poll(p, 4, -1) < 0 && errno != EINTR) {
            r2 = berr_sys(err, errno, "logs: wait");
            break;
        }
        char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        bool gone = false;
        ssize_t n;
        while ((n = read(in, ev, sizeof(ev))) > 0)
            for (char *q = ev; q < ev + n;) {
                struct inotify_event *ie = (struct inotify_event *)q;
                gone |= (ie->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) != 0;
                q += sizeof(*ie) + ie->len;
            }
        /* an exited process stays readable: watched once */
        for (int i = 1; i < 3; i++)
            if (p[i].fd >= 0 && p[i].revents) {
                close(p[i].fd);
                p[i].fd = -1;
            }
        if (p[3].fd >= 0 && p[3].revents)
            break;
        if (gone) {
            if (r->fd >= 0)
                r2 = read_lines(r, o);
            break;
        }
    }
    for (int i = 1; i < 3; i++)
        if (p[i].fd >= 0)
            close(p[i].fd);
    return r2;
}

int ctr_logs(struct engine *e, const char *ref, const struct ctr_logs_opts *o, struct berr **err)
{
    _cleanup_ctr_ struct ctr *c = ctr_open(e, ref, err);
    if (!c)
        return berr_code(*err);
    const char *driver = json_string_value(json_object_get(
        json_object_get(json_object_get(c->rec, "HostConfig"), "LogConfig"), "Type"));
    if (driver && !strcmp(driver, "none"))
        return berr_set(err, BERR_UNSUPPORTED, ENOTSUP,
                        "logs %s: configured logging driver does not support reading", ref);
    /* rotated files first, oldest first: json.log.2, json.log.1, then json.log */
    struct reader r = {.fd = -1, .keep = o->tail >= 0 ? json_array() : NULL};
    int rc = 0;
    for (int k = 99; k >= 1 && rc == 0; k--) {
        char name[32];
        snprintf(name, sizeof(name), "json.log.%d", k);
        _cleanup_free_ char *p = ctr_path(c, name);
        _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        struct reader old = {.fd = fd, .keep = r.keep};
        rc = read_lines(&old, o);
        free(old.pending);
    }
    _cleanup_free_ char *path = ctr_path(c, "json.log");
    r.fd = open(path, O_RDONLY | O_CLOEXEC);
    if (rc == 0 && r.fd >= 0)
        rc = read_lines(&r, o);
    if (r.keep) {
        size_t n = json_array_size(r.keep);
        for (size_t i = n > (size_t)o->tail ? n - o->tail : 0; i < n && rc == 0; i++)
            if (emit(json_string_value(json_array_get(r.keep, i)), o) < 0)
                rc = -EPIPE;
        json_decref(r.keep);
        r.keep = NULL;
    }
    if (rc == 0 && o->follow)
        rc = follow(e, c, &r, path, o, err);
    free(r.pending);
    if (r.fd >= 0)
        close(r.fd);
    /* a reader that went away is the end of the stream, not a failure */
    return rc == -EPIPE ? 0 : rc;
}

/* --- top ----------------------------------------------------------------------------- */

/* Runs ps with args (and -ef if none); its output and, if it failed, its first error line. */
static char *run_ps(char *const *args, struct berr **err)
{
    size_t n = 0;
    while (args && args[n])
        n++;
    _cleanup_free_ char **argv = xcalloc(n + 3, sizeof(char *));
    argv[0] = "ps";
    if (n == 0)
        argv[1] = "-ef";
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = args[i];
    int out[2];
    if (pipe2(out, O_CLOEXEC) < 0) {
        berr_sys(err, errno, "top: pipe");
        return NULL;
    }
    _cleanup_close_ int errfd = memfd_create("ps-stderr", MFD_CLOEXEC);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    if (errfd >= 0)
        posix_spawn_file_actions_adddup2(&fa, errfd, 2);
    pid_t pid;
    int r = posix_spawnp(&pid, "ps", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    if (r != 0) {
        close(out[0]);
        berr_sys(err, r, "top: run ps");
        return NULL;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    char buf[8192];
    ssize_t got;
    while ((got = read(out[0], buf, sizeof(buf))) > 0 || (got < 0 && errno == EINTR))
        if (got > 0)
            fwrite(buf, 1, got, f);
    fclose(f);
    close(out[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return text;
    free(text);
    char msg[512] = "";
    if (errfd >= 0) {
        ssize_t m = pread(errfd, msg, sizeof(msg) - 1, 0);
        msg[m > 0 ? m : 0] = 0;
        msg[strcspn(msg, "\n")] = 0;
    }
    berr_set(err, BERR_INVALID, EINVAL, "top: ps failed%s%s", *msg ? ": " : "", msg);
    return NULL;
}

/* The fields of a line of ps: split at blanks, all after the ntitles-1th in the last (CMD
 * has spaces), as docker splits them. */
static json_t *ps_fields(char *line, size_t ntitles)
{
    json_t *f = json_array();
    char *save = NULL;
    for (char *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        if (ntitles && json_array_size(f) == ntitles - 1) {
            if (save && *save)
                t[strlen(t)] = ' '; /* strtok_r ended it here: the rest of the line is one */
            json_array_append_new(f, json_string(t));
            break;
        }
        json_array_append_new(f, json_string(t));
    }
    return f;
}

json_t *ctr_top(struct engine *e, const char *ref, char *const *ps_args, struct berr **err)
{
    _cleanup_ctr_ struct ctr *c = ctr_open(e, ref, err);
    if (!c)
        return NULL;
    if (!ctr_running(c)) {
        berr_set(err, BERR_CONFLICT, EBUSY, "top: container %s is not running", ref);
        return NULL;
    }
    _cleanup_free_ pid_t *pids = NULL;
    size_t npids = 0;
    if (rt_ps(e->rtroot, c->id, &pids, &npids, err) < 0)
        return NULL;
    _cleanup_free_ char *text = run_ps(ps_args, err);
    if (!text)
        return NULL;
    json_t *titles = NULL, *procs = json_array();
    long pidcol = -1;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (!titles) {
            titles = ps_fields(line, 0);
            size_t i;
            json_t *t;
            json_array_foreach(titles, i, t) if (!strcmp(json_string_value(t), "PID")) pidcol = i;
            if (pidcol < 0) {
                json_decref(titles);
                json_decref(procs);
                berr_set(err, BERR_INVALID, EINVAL, "top: no PID column in the output of ps");
                return NULL;
            }
            continue;
        }
        json_t *f = ps_fields(line, json_array_size(titles));
        pid_t pid = atoi(json_string_value(json_array_get(f, pidcol)) ?: "");
        bool ours = false;
        for (size_t i = 0; i < npids && !ours; i++)
            ours = pids[i] == pid;
        if (ours)
            json_array_append_new(procs, f);
        else
            json_decref(f);
    }
    if (!titles) {
        json_decref(procs);
        berr_set(err, BERR_INVALID, EINVAL, "top: ps printed nothing");
        return NULL;
    }
    return json_pack("{s:o,s:o}", "Titles", titles, "Processes", procs);
}

/* --- stats, port --------------------------------------------------------------------- */

/* The host's CPU time in nanoseconds, all CPUs and states (what docker's system_cpu_usage
 * is: the rate of a container's usage against it, times online_cpus, is its CPU %). */
static unsigned long long host_cpu_ns(void)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/stat", "re");
    char line[512];
    if (!f || !fgets(line, sizeof(line), f) || strncmp(line, "cpu ", 4))
        return 0;
    unsigned long long sum = 0;
    char *p = line + 4, *end;
    for (unsigned long long v; (v = strtoull(p, &end, 10)), end != p; p = end)
        sum += v;
    return sum * (1000000000ULL / (unsigned long long)sysconf(_SC_CLK_TCK));
}

json_t *ctr_stats(struct engine *e, const char *ref, struct berr **err)
{
    _cleanup_ctr_ struct ctr *c = ctr_open(e, ref, err);
    if (!c)
        return NULL;
    _cleanup_berr_ struct berr *e2 = NULL;
    _cleanup_(json_decrefp) json_t *s = ctr_running(c) ? rt_stats(e->rtroot, c->id, &e2) : NULL;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    char read[64];
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(read, sizeof(read), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(read + n, sizeof(read) - n, ".%09ldZ", now.tv_nsec);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    json_t *mem = json_object();
    if (s) {
        json_t *m = json_object_get(json_object_get(s, "memory"), "usage");
        /* no limit of its own: the host's memory is its limit */
        double host = (double)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
        json_int_t limit = json_integer_value(json_object_get(m, "limit"));
        if (limit <= 0 || (double)limit > host)
            limit = (json_int_t)host;
        json_object_set_new(mem, "usage", json_copy(json_object_get(m, "usage")));
        json_object_set_new(mem, "max_usage", json_copy(json_object_get(m, "max")));
        json_object_set_new(mem, "limit", json_integer(limit));
    }
    json_t *pids = json_object_get(s, "pids");
    return json_pack(
        "{s:s,s:s,s:s+,s:s,s:{s:{s:I},s:I,s:I},s:{s:{s:I},s:I,s:I},s:o,s:{s:I,s:I},s:{},s:{}}",
        "read", read, "id", c->id, "name", "/", c->name, "preread", "0001-01-01T00:00:00Z",
        "cpu_stats", "cpu_usage", "total_usage",
        (json_int_t)json_integer_value(
            json_object_get(json_object_get(json_object_get(s, "cpu"), "usage"), "total")),
        "system_cpu_usage", (json_int_t)host_cpu_ns(), "online_cpus", (json_int_t)ncpu,
        "precpu_stats", "cpu_usage", "total_usage", (json_int_t)0, "system_cpu_usage",
        (json_int_t)0, "online_cpus", (json_int_t)ncpu, "memory_stats", mem, "pids_stats",
        "current", (json_int_t)json_integer_value(json_object_get(pids, "current")), "limit",
        (json_int_t)json_integer_value(json_object_get(pids, "limit")), "blkio_stats", "networks");
}

json_t *ctr_port(struct engine *e, const char *ref, struct berr **err)
{
    _cleanup_ctr_ struct ctr *c = ctr_open(e, ref, err);
    if (!c)
        return NULL;
    return json_object();
}

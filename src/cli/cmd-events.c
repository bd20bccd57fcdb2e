/* cmd-events.c - berth events [--since T] [--until T] [-f KEY=VALUE]... [--format F] */
#include "cli.h"
#include "engine/engine.h"
#include "template.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "engine/events.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Go's time.ParseDuration ("10m", "1h30m", "1.5s", "-2h"): nanoseconds, or -1 */
static int parse_duration(const char *s, int64_t *ret)
{
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{"ns", 1},  {"us", 1e3}, {"µs", 1e3},  {"ms", 1e6},
                 {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
    int sign = 1;
    if (*s == '-' || *s == '+')
        sign = *s++ == '-' ? -1 : 1;
    if (!strcmp(s, "0")) {
        *ret = 0;
        return 0;
    }
    if (!*s)
        return -1;
    double total = 0;
    while (*s) {
        if (!isdigit((unsigned char)*s) && *s != '.')
            return -1;
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (end == s || errno)
            return -1;
        s = end;
        size_t best = 0;
        double mult = 0;
        for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
            size_t l = strlen(units[i].unit);
            if (!strncmp(s, units[i].unit, l) && l > best)
                best = l, mult = units[i].ns;
        }
        if (!best)
            return -1;
        s += best;
        total += v * mult;
    }
    if (total > 9e18)
        return -1;
    *ret = sign * (int64_t)total;
    return 0;
}

/* digits: n of them exactly into *v */
static bool digits(const char **s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++, (*s)++) {
        if (!isdigit((unsigned char)**s))
            return false;
        *v = *v * 10 + (**s - '0');
    }
    return true;
}

/* docker's --since/--until (timetypes.GetTimestamp): a duration before now, a unix time
 * (seconds with a fraction) or an RFC 3339 date and time (local time without a zone);
 * nanoseconds since the epoch, or -1 */
static int parse_time(const char *s, int64_t now, int64_t *ret)
{
    int64_t d;
    /* "0" is the epoch, not a duration (as docker reads it) */
    if (strcmp(s, "0") != 0 && parse_duration(s, &d) == 0) {
        *ret = now - d;
        return 0;
    }
    if (*s && strspn(s, "0123456789.") == strlen(s) && strchr(s, '.') == strrchr(s, '.')) {
        char *end;
        long long sec = strtoll(s, &end, 10);
        int64_t frac = 0;
        if (*end == '.') {
            int n = 0;
            for (const char *p = end + 1; *p; p++, n++)
                if (n < 9)
                    frac = frac * 10 + (*p - '0');
            for (; n < 9; n++)
                frac *= 10;
        }
        *ret = (int64_t)sec * 1000000000 + frac;
        return 0;
    }
    struct tm tm = {0};
    int v;
    const char *p = s;
    if (!digits(&p, 4, &v) || *p++ != '-')
        return -1;
    tm.tm_year = v - 1900;
    if (!digits(&p, 2, &v) || *p++ != '-')
        return -1;
    tm.tm_mon = v - 1;
    if (!digits(&p, 2, &v))
        return -1;
    tm.tm_mday = v;
    int64_t frac = 0;
    if (*p == 'T') {
        p++;
        if (!digits(&p, 2, &v))
            return -1;
        tm.tm_hour = v;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &v))
                return -1;
            tm.tm_min = v;
            if (*p == ':') {
                p++;
                if (!digits(&p, 2, &v))
                    return -1;
                tm.tm_sec = v;
                if (*p == '.') {
                    int n = 0;
                    for (p++; isdigit((unsigned char)*p); p++, n++)
                        if (n < 9)
                            frac = frac * 10 + (*p - '0');
                    if (n == 0)
                        return -1;
                    for (; n < 9; n++)
                        frac *= 10;
                }
            }
        }
    }
    time_t t;
    if (!*p) {
        tm.tm_isdst = -1;
        t = mktime(&tm);
    } else {
        long off = 0;
        if (*p == 'Z')
            p++;
        else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, hh, mm;
            if (!digits(&p, 2, &hh) || *p++ != ':' || !digits(&p, 2, &mm))
                return -1;
            off = sign * (hh * 3600L + mm * 60L);
        } else
            return -1;
        if (*p)
            return -1;
        t = timegm(&tm) - off;
    }
    if (t == (time_t)-1 && tm.tm_year != 69)
        return -1;
    *ret = (int64_t)t * 1000000000 + frac;
    return 0;
}

struct printer {
    struct tmpl *t;
    bool json;
    bool failed;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* docker's default line: time (RFC3339Nano, fixed 9 digits) type action ID (k=v, ...) */
static void print_line(json_t *ev)
{
    int64_t ns = json_integer_value(json_object_get(ev, "timeNano"));
    time_t sec = ns / 1000000000;
    struct tm tm;
    localtime_r(&sec, &tm);
    char when[64], zone[48];
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    if (tm.tm_gmtoff == 0)
        snprintf(zone, sizeof(zone), "Z");
    else
        snprintf(zone, sizeof(zone), "%c%02ld:%02ld", tm.tm_gmtoff < 0 ? '-' : '+',
                 labs(tm.tm_gmtoff) / 3600, labs(tm.tm_gmtoff) % 3600 / 60);
    json_t *actor = json_object_get(ev, "Actor");
    printf("%s.%09lld%s %s %s %s", when, (long long)(ns % 1000000000), zone,
           json_string_value(json_object_get(ev, "Type")),
           json_string_value(json_object_get(ev, "Action")),
           json_string_value(json_object_get(actor, "ID")));
    json_t *attrs = json_object_get(actor, "Attributes");
    if (json_object_size(attrs) > 0) {
        /* sorted by key, as Go's output of a map */
        size_t n = json_object_size(attrs), i = 0;
        const char **keys = xmalloc(n * sizeof(*keys));
        const char *k;
        json_t *v;
        json_object_foreach(attrs, k, v) keys[i++] = k;
        qsort(keys, n, sizeof(*keys), cmp_str);
        fputs(" (", stdout);
        for (i = 0; i < n; i++)
            printf("%s%s=%s", i ? ", " : "", keys[i],
                   json_string_value(json_object_get(attrs, keys[i])) ?: "");
        fputs(")", stdout);
        free(keys);
    }
    fputs("\n", stdout);
}

static int print_event(json_t *ev, void *data)
{
    struct printer *p = data;
    if (p->json) {
        char *s = json_dumps(ev, JSON_COMPACT);
        if (s)
            puts(s);
        free(s);
    } else if (p->t) {
        /* the Go names of events.Message's fields whose JSON names differ */
        static const char *go[][2] = {{"Status", "status"}, {"ID", "id"},
                                      {"From", "from"},     {"Scope", "scope"},
                                      {"Time", "time"},     {"TimeNano", "timeNano"}};
        json_t *fields = json_object();
        for (size_t i = 0; i < ARRAY_SIZE(go); i++) {
            json_t *v = json_object_get(ev, go[i][1]);
            /* a Go struct's field is never missing: "" or 0 */
            json_object_set_new(fields, go[i][0],
                                v       ? json_incref(v)
                                : i < 4 ? json_string("")
                                        : json_integer(0));
        }
        struct tmpl_opts o = {.fields = fields};
        _cleanup_berr_ struct berr *e = NULL;
        int r = tmpl_exec(p->t, ev, &o, stdout, &e);
        json_decref(fields);
        if (r < 0) {
            fflush(stdout);
            log_msg(LOG_LVL_ERROR, "%s", e->msg);
            p->failed = true;
            return 1;
        }
        fputs("\n", stdout);
    } else
        print_line(ev);
    /* a pipe reader sees each event as it comes */
    fflush(stdout);
    return 0;
}

static int stop_pipe[2] = {-1, -1};

static void on_stop(int sig)
{
    int saved = errno;
    if (write(stop_pipe[1], "x", 1) < 0) {
    }
    errno = saved;
}

int cmd_engine_events(struct engine *e, int argc, char **argv)
{
    const char *since = NULL, *until = NULL, *format = NULL;
    _cleanup_(json_decrefp) json_t *filters = json_object();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
#define OPT(name)                                                                                  \
    (!strcmp(a, name) && i + 1 < argc          ? (v = argv[++i], true)                             \
     : !strncmp(a, name "=", strlen(name) + 1) ? (v = a + strlen(name) + 1, true)                  \
                                               : false)
        if (OPT("--since"))
            since = v;
        else if (OPT("--until"))
            until = v;
        else if (OPT("--format"))
            format = v;
        else if (OPT("--filter") || OPT("-f")) {
            const char *eq = strchr(v, '=');
            if (!eq || eq == v) {
                fprintf(stderr, "berth: events: bad format of filter (expected name=value)\n");
                return 125;
            }
            _cleanup_free_ char *key = xasprintf("%.*s", (int)(eq - v), v);
            _cleanup_berr_ struct berr *e = NULL;
            if (events_check_filter(key, &e) < 0) {
                fprintf(stderr, "berth: events: %s\n", e->msg);
                return 125;
            }
            json_t *list = json_object_get(filters, key);
            if (!list)
                json_object_set_new(filters, key, list = json_array());
            json_array_append_new(list, json_string(eq + 1));
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("Usage: berth events [--since TIME] [--until TIME] [-f KEY=VALUE]... "
                   "[--format json|TEMPLATE]\n");
            return 0;
        } else {
            fprintf(stderr, "berth: events: unknown argument %s\n", a);
            return 125;
        }
#undef OPT
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    struct events_query q = {.filters = filters, .follow = true, .stop_fd = -1};
    if (since && parse_time(since, now, &q.since_ns) < 0) {
        fprintf(stderr, "berth: events: --since %s: not a time, unix timestamp or duration\n",
                since);
        return 125;
    }
    if (until && parse_time(until, now, &q.until_ns) < 0) {
        fprintf(stderr, "berth: events: --until %s: not a time, unix timestamp or duration\n",
                until);
        return 125;
    }
    /* the epoch itself stands for "from the start" */
    if (since && q.since_ns == 0)
        q.since_ns = 1;
    if (until && q.until_ns == 0)
        q.until_ns = 1;
    struct printer p = {0};
    _cleanup_tmpl_ struct tmpl *t = NULL;
    if (format && !strcmp(format, "json"))
        p.json = true;
    else if (format && *format) {
        struct berr *err = NULL;
        _cleanup_free_ char *text = xstrdup(format);
        t = tmpl_parse(text, &err);
        if (!t)
            return cli_fail(err, 125);
        p.t = t;
    }
    /* SIGINT and SIGTERM end the following, and the command, with 0 */
    if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        perror("berth: events: pipe");
        return 125;
    }
    struct sigaction sa = {.sa_handler = on_stop};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    q.stop_fd = stop_pipe[0];
    struct berr *err = NULL;
    if (events_read(e->runroot, &q, print_event, &p, &err) < 0)
        return cli_fail(err, 125);
    return p.failed ? 125 : 0;
}

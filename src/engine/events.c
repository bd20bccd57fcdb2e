/* events.c - the events journal (events.h) */
#include "engine/events.h"
#include "engine/filters.h"
#include "engine/containers.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *journal_path(const char *runroot, const char *suffix)
{
    return xasprintf("%s/events%s", runroot, suffix);
}

/* <runroot>/events.lock, taken in mode (LOCK_SH, LOCK_EX); its fd, or -1 */
static int take_lock(const char *runroot, int mode, struct berr **err)
{
    _cleanup_free_ char *path = journal_path(runroot, ".lock");
    _cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
    if (fd < 0)
        return berr_sys(err, errno, "events: open %s", path);
    if (flock(fd, mode) < 0)
        return berr_sys(err, errno, "events: lock %s", path);
    return TAKE_FD(fd);
}

/* The event as a line (with its newline), cut to fit EVENTS_MAX_LINE: the attributes lose
 * all but the ones docker's output leads with, then their values are shortened. */
static char *event_line(const char *type, const char *action, const char *actor_id, json_t *attrs,
                        struct berr **err)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t nanos = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    json_t *a = attrs ? json_deep_copy(attrs) : json_object();
    for (int pass = 0; pass < 3; pass++) {
        if (pass == 1) {
            static const char *keep[] = {"name", "image", "exitCode", "signal", "driver"};
            json_t *k = json_object();
            for (size_t i = 0; i < ARRAY_SIZE(keep); i++) {
                json_t *v = json_object_get(a, keep[i]);
                if (v)
                    json_object_set(k, keep[i], v);
            }
            json_decref(a);
            a = k;
        } else if (pass == 2) {
            const char *key;
            json_t *v;
            json_object_foreach(a, key, v)
            {
                if (json_is_string(v) && json_string_length(v) > 256) {
                    /* cut where a UTF-8 character starts, so the value stays valid */
                    size_t n = 256;
                    const char *s = json_string_value(v);
                    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
                        n--;
                    json_object_set_new(a, key, json_stringn(s, n));
                }
            }
        }
        json_t *ev = json_object();
        /* the fields docker (20.10) still fills for older clients */
        if (!strcmp(type, "container") || !strcmp(type, "image")) {
            json_object_set_new(ev, "status", json_string(action));
            json_object_set_new(ev, "id", json_string(actor_id));
            const char *img = json_string_value(json_object_get(a, "image"));
            if (!strcmp(type, "container") && img)
                json_object_set_new(ev, "from", json_string(img));
        }
        json_object_set_new(ev, "Type", json_string(type));
        json_object_set_new(ev, "Action", json_string(action));
        json_object_set_new(ev, "Actor", json_pack("{s:s,s:O}", "ID", actor_id, "Attributes", a));
        json_object_set_new(ev, "scope", json_string("local"));
        json_object_set_new(ev, "time", json_integer(ts.tv_sec));
        json_object_set_new(ev, "timeNano", json_integer(nanos));
        char *s = json_dumps(ev, JSON_COMPACT);
        json_decref(ev);
        if (!s) {
            json_decref(a);
            berr_set(err, BERR_INVALID, 0, "events: %s %s: not valid JSON", type, action);
            return NULL;
        }
        size_t len = strlen(s);
        if (len + 1 <= EVENTS_MAX_LINE) {
            json_decref(a);
            char *line = xasprintf("%s\n", s);
            free(s);
            return line;
        }
        free(s);
    }
    json_decref(a);
    berr_set(err, BERR_INVALID, 0, "events: %s %s: the event is too long", type, action);
    return NULL;
}

/* Renames events.log (still the file fd writes) to events.log.1, under the lock, unless
 * another writer did it first. */
static void rotate(const char *runroot, int fd, long max_size)
{
    _cleanup_berr_ struct berr *e = NULL;
    /* never waits: a reader of the past holds the lock while its output may block (a pager),
     * and no container operation may hang on it; a later append rotates instead */
    _cleanup_close_ int lock = take_lock(runroot, LOCK_EX | LOCK_NB, &e);
    if (lock < 0) {
        log_debug("%s", e->msg);
        return;
    }
    _cleanup_free_ char *path = journal_path(runroot, ".log");
    _cleanup_free_ char *old = journal_path(runroot, ".log.1");
    struct stat ours, now;
    if (fstat(fd, &ours) < 0 || stat(path, &now) < 0 || ours.st_ino != now.st_ino ||
        ours.st_dev != now.st_dev || now.st_size <= max_size)
        return;
    if (rename(path, old) < 0)
        log_debug("events: rotate %s: %s", path, strerror(errno));
}

int events_append_max(const char *runroot, const char *type, const char *action,
                      const char *actor_id, json_t *attrs, long max_size, struct berr **err)
{
    if (max_size <= 0)
        max_size = EVENTS_MAX_SIZE;
    _cleanup_free_ char *line = event_line(type, action, actor_id ? actor_id : "", attrs, err);
    if (!line)
        return berr_code(*err);
    _cleanup_free_ char *path = journal_path(runroot, ".log");
    _cleanup_close_ int fd =
        open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
    if (fd < 0 && errno == ENOENT && fs_mkdir_p(runroot, 0700) == 0)
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
    if (fd < 0)
        return berr_sys(err, errno, "events: open %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return berr_sys(err, errno, "events: stat %s", path);
    if (!S_ISREG(st.st_mode))
        return berr_set(err, BERR_INVALID, 0, "events: %s is not a regular file", path);
    /* 0600 whatever the umask was when it was made */
    if ((st.st_mode & 07777) != 0600 && fchmod(fd, 0600) < 0)
        return berr_sys(err, errno, "events: chmod %s", path);
    /* one write of a line under PIPE_BUF: appended whole, never interleaved with another */
    size_t len = strlen(line);
    ssize_t n = write(fd, line, len);
    if (n < 0)
        return berr_sys(err, errno, "events: write %s", path);
    if ((size_t)n != len)
        return berr_set(err, BERR_INTERNAL, EIO, "events: write %s: short write", path);
    if (st.st_size + (off_t)len > max_size)
        rotate(runroot, fd, max_size);
    return 0;
}

int events_append(const char *runroot, const char *type, const char *action, const char *actor_id,
                  json_t *attrs, struct berr **err)
{
    return events_append_max(runroot, type, action, actor_id, attrs, 0, err);
}

void events_note(const char *runroot, const char *type, const char *action, const char *id,
                 json_t *attrs)
{
    _cleanup_berr_ struct berr *e = NULL;
    if (!runroot || events_append(runroot, type, action, id, attrs, &e) < 0)
        log_debug("%s", e ? e->msg : "events: no run root");
    json_decref(attrs); /* taken, as events.h says */
}

void events_container(const char *root, const char *runroot, const char *id, const char *action,
                      json_t *extra)
{
    _cleanup_berr_ struct berr *e = NULL;
    json_t *c = id ? ctr_load(root, id, &e) : NULL;
    events_ctr_record(runroot, id, c, action, extra);
    json_decref(c);
}

void events_ctr_record(const char *runroot, const char *id, json_t *c, const char *action,
                       json_t *extra)
{
    json_t *attrs = json_object();
    if (c) {
        json_t *config = json_object_get(c, "Config");
        const char *key;
        json_t *v;
        /* the labels first: docker's own attributes win over a label of the same name */
        json_object_foreach(json_object_get(config, "Labels"), key, v)
        {
            if (json_is_string(v))
                json_object_set(attrs, key, v);
        }
        const char *image = json_string_value(json_object_get(c, "ImageName"));
        if (!image)
            image = json_string_value(json_object_get(config, "Image"));
        if (image)
            json_object_set_new(attrs, "image", json_string(image));
        const char *name = json_string_value(json_object_get(c, "Name"));
        if (name)
            json_object_set_new(attrs, "name", json_string(name[0] == '/' ? name + 1 : name));
    }
    if (extra)
        json_object_update(attrs, extra);
    json_decref(extra);
    events_note(runroot, "container", action, id, attrs);
}

char *events_runroot_of(const char *rtroot)
{
    if (!rtroot)
        return NULL;
    const char *slash = strrchr(rtroot, '/');
    if (!slash || strcmp(slash, "/runtime") != 0)
        return NULL;
    return xasprintf("%.*s", (int)(slash - rtroot), rtroot);
}

/* --- reading --- */

static const char *filter_keys[] = {"config", "container", "daemon", "event",  "image",
                                    "label",  "network",   "node",   "plugin", "scope",
                                    "secret", "service",   "type",   "volume"};

int events_check_filter(const char *key, struct berr **err)
{
    for (size_t i = 0; i < ARRAY_SIZE(filter_keys); i++)
        if (!strcmp(key, filter_keys[i]))
            return 0;
    return berr_set(err, BERR_INVALID, 0, "invalid filter '%s'", key);
}

/* docker's ExactMatch (prefix false) and FuzzyMatch (prefix true): true if no value is
 * given for key, else if s equals one (or, fuzzy, starts with one) */
static bool match(json_t *filters, const char *key, const char *s, bool prefix)
{
    json_t *want = json_object_get(filters, key);
    if (!want || json_array_size(want) == 0)
        return true;
    size_t i;
    json_t *w;
    json_array_foreach(want, i, w)
    {
        const char *v = json_string_value(w);
        if (s && v && (prefix ? !strncmp(s, v, strlen(v)) : !strcmp(s, v)))
            return true;
    }
    return false;
}
static bool exact(json_t *filters, const char *key, const char *s)
{
    return match(filters, key, s, false);
}
static bool fuzzy(json_t *filters, const char *key, const char *s)
{
    return match(filters, key, s, true);
}

/* "busybox:latest" -> "busybox" (a digest or a port stays) */
static char *strip_tag(const char *ref)
{
    if (!ref)
        return NULL;
    const char *colon = strrchr(ref, ':');
    const char *slash = strrchr(ref, '/');
    if (!colon || (slash && colon < slash) || strchr(ref, '@'))
        return xstrdup(ref);
    return xasprintf("%.*s", (int)(colon - ref), ref);
}

bool events_match(json_t *ev, json_t *filters)
{
    if (!filters || json_object_size(filters) == 0)
        return true;
    const char *type = json_string_value(json_object_get(ev, "Type"));
    const char *action = json_string_value(json_object_get(ev, "Action"));
    json_t *actor = json_object_get(ev, "Actor");
    const char *id = json_string_value(json_object_get(actor, "ID"));
    json_t *attrs = json_object_get(actor, "Attributes");
    const char *name = json_string_value(json_object_get(attrs, "name"));
    /* "exec_start" matches "exec_start: sh -c ..." as docker's #25798 does */
    bool fuzzy_event = false;
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(filters, "event"), i, w)
    {
        const char *v = json_string_value(w);
        if (v &&
            (!strcmp(v, "exec_create") || !strcmp(v, "exec_start") || !strcmp(v, "health_status")))
            fuzzy_event = true;
    }
    if (!(fuzzy_event ? fuzzy(filters, "event", action) : exact(filters, "event", action)))
        return false;
    if (!exact(filters, "type", type) ||
        !exact(filters, "scope", json_string_value(json_object_get(ev, "scope"))))
        return false;
    if (!(fuzzy(filters, "container", id) || fuzzy(filters, "container", name)))
        return false;
    if (!(fuzzy(filters, "volume", id) || fuzzy(filters, "volume", name)))
        return false;
    if (!(fuzzy(filters, "network", id) || fuzzy(filters, "network", name)))
        return false;
    const char *iname = json_string_value(
        json_object_get(attrs, type && !strcmp(type, "image") ? "name" : "image"));
    _cleanup_free_ char *sid = strip_tag(id), *sname = strip_tag(iname);
    if (!(exact(filters, "image", id) || exact(filters, "image", iname) ||
          exact(filters, "image", sid) || exact(filters, "image", sname)))
        return false;
    /* keys berth has no events for: a filter on them matches nothing */
    static const char *none[] = {"config", "daemon", "node", "plugin", "secret", "service"};
    for (size_t k = 0; k < ARRAY_SIZE(none); k++)
        if (json_array_size(json_object_get(filters, none[k])) > 0)
            return false;
    /* every label= must match: a key the attributes have, or key=value */
    if (!filter_labels_match(json_object_get(filters, "label"), attrs))
        return false;
    return true;
}

/* A journal file being read: its fd and what was read of a line not yet whole */
struct reader {
    const char *runroot;
    const struct events_query *q;
    events_cb cb;
    void *data;
    int fd;
    char buf[EVENTS_MAX_LINE * 2];
    size_t have;
    bool stopped;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void emit(struct reader *r, const char *line, size_t len)
{
    json_t *ev = json_loadb(line, len, 0, NULL);
    if (!json_is_object(ev)) {
        json_decref(ev);
        return; /* not ours, or cut by a crash mid-write: skipped */
    }
    int64_t t = json_integer_value(json_object_get(ev, "timeNano"));
    if ((r->q->since_ns && t < r->q->since_ns) || (r->q->until_ns && t > r->q->until_ns) ||
        !events_match(ev, r->q->filters)) {
        json_decref(ev);
        return;
    }
    if (r->cb(ev, r->data) != 0)
        r->stopped = true;
    json_decref(ev);
}

/* Reads r->fd to its end, handing each whole line to emit */
static int drain(struct reader *r, struct berr **err)
{
    while (r->fd >= 0 && !r->stopped) {
        ssize_t n = read(r->fd, r->buf + r->have, sizeof(r->buf) - r->have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return berr_sys(err, errno, "events: read the journal");
        if (n == 0)
            return 0;
        r->have += n;
        char *start = r->buf, *nl;
        while (!r->stopped && (nl = memchr(start, '\n', r->have - (start - r->buf)))) {
            emit(r, start, nl - start);
            start = nl + 1;
        }
        r->have -= start - r->buf;
        memmove(r->buf, start, r->have);
        if (r->have == sizeof(r->buf))
            r->have = 0; /* no line is this long: not ours */
    }
    return 0;
}

static int open_journal(const char *runroot, const char *suffix, struct berr **err)
{
    _cleanup_free_ char *path = journal_path(runroot, suffix);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    if (fd < 0 && errno != ENOENT)
        return berr_sys(err, errno, "events: open %s", path);
    return fd < 0 ? -2 : fd;
}

static bool same_file(int fd, const struct stat *st)
{
    struct stat ours;
    return fd >= 0 && fstat(fd, &ours) == 0 && ours.st_ino == st->st_ino &&
           ours.st_dev == st->st_dev;
}

/* After a change in the run root: the rest of the file being read, then the files that came
 * after it, from their start: events.log.1 if it is not ours (it is newer then: two
 * rotations since we looked), then events.log. More rotations than that between two looks
 * lose what the rotated files held. */
static int follow_journal(struct reader *r, struct berr **err)
{
    _cleanup_free_ char *path = journal_path(r->runroot, ".log");
    _cleanup_free_ char *old = journal_path(r->runroot, ".log.1");
    for (int round = 0; round < 4 && !r->stopped; round++) {
        if (drain(r, err) < 0)
            return -1;
        struct stat now, prev;
        bool have_log = stat(path, &now) == 0;
        if (have_log && same_file(r->fd, &now))
            return 0;
        const char *next = ".log";
        if (r->fd >= 0 && stat(old, &prev) == 0 && !same_file(r->fd, &prev))
            next = ".log.1";
        else if (!have_log)
            return 0; /* rotated and nothing written since: later */
        int fd = open_journal(r->runroot, next, err);
        if (fd == -2)
            return 0;
        if (fd < 0)
            return -1;
        if (r->fd >= 0)
            close(r->fd);
        r->fd = fd;
        r->have = 0;
    }
    return 0;
}

int events_read(const char *runroot, const struct events_query *q, events_cb cb, void *data,
                struct berr **err)
{
    struct reader *r = xmalloc(sizeof(*r));
    *r = (struct reader){.runroot = runroot, .q = q, .cb = cb, .data = data, .fd = -1};
    int ret = 0;
    _cleanup_close_ int ino = -1;
    _cleanup_close_ int lock = -1;
    bool past = q->since_ns || q->until_ns;
    if (fs_mkdir_p(runroot, 0700) < 0) {
        ret = berr_sys(err, errno, "events: make %s", runroot);
        goto out;
    }
    if (q->follow) {
        /* watched before the past is read: nothing written in between is missed */
        ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (ino < 0 || inotify_add_watch(ino, runroot, IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
            ret = berr_sys(err, errno, "events: watch %s", runroot);
            goto out;
        }
    }
    /* no rotation while the two files are read: the older one first */
    lock = take_lock(runroot, LOCK_SH, err);
    if (lock < 0) {
        ret = -1;
        goto out;
    }
    if (past) {
        r->fd = open_journal(runroot, ".log.1", err);
        if (r->fd == -1 || (r->fd >= 0 && drain(r, err) < 0)) {
            ret = -1;
            goto out;
        }
        if (r->fd >= 0)
            close(r->fd);
        r->have = 0;
    }
    r->fd = open_journal(runroot, ".log", err);
    if (r->fd == -1) {
        ret = -1;
        goto out;
    }
    if (r->fd >= 0 && !past && lseek(r->fd, 0, SEEK_END) < 0) {
        ret = berr_sys(err, errno, "events: seek the journal");
        goto out;
    }
    if (r->fd >= 0 && past && drain(r, err) < 0) {
        ret = -1;
        goto out;
    }
    close(lock);
    lock = -1;
    while (q->follow && !r->stopped) {
        int timeout = -1;
        if (q->until_ns) {
            int64_t left = q->until_ns - now_ns();
            if (left <= 0)
                break;
            timeout = (int)((left + 999999) / 1000000);
        }
        struct pollfd p[2] = {{.fd = ino, .events = POLLIN}, {.fd = q->stop_fd, .events = POLLIN}};
        int n = poll(p, q->stop_fd >= 0 ? 2 : 1, timeout);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ret = berr_sys(err, errno, "events: wait for events");
            goto out;
        }
        if (q->stop_fd >= 0 && p[1].revents)
            break;
        if (!p[0].revents)
            continue;
        char evbuf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        while (read(ino, evbuf, sizeof(evbuf)) > 0)
            ;
        if (follow_journal(r, err) < 0) {
            ret = -1;
            goto out;
        }
    }
out:
    if (r->fd >= 0)
        close(r->fd);
    free(r);
    return ret;
}

/* cgroup.c - cgroup layout detection, path resolution, dispatch to v1/v2, and the operations
 * that are the same on every layout (create, enter, pids, kill, destroy, stats) */
#include "cgroup/cgroup-internal.h"
#include "base/log.h"
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "base/cleanup.h"

#define CG_ROOT "/sys/fs/cgroup"

/* ---- controller names ---- */

static const struct {
    const char *v1, *v2;
} ctrl_names[CG__MAX] = {
    [CG_CPU] = {"cpu", "cpu"},
    [CG_CPUACCT] = {"cpuacct", NULL}, /* v2: part of cpu.stat, always there */
    [CG_CPUSET] = {"cpuset", "cpuset"},
    [CG_MEMORY] = {"memory", "memory"},
    [CG_DEVICES] = {"devices", NULL}, /* v2: an eBPF program, not a controller */
    [CG_FREEZER] = {"freezer", NULL}, /* v2: cgroup.freeze in the core */
    [CG_BLKIO] = {"blkio", "io"},
    [CG_PIDS] = {"pids", "pids"},
    [CG_HUGETLB] = {"hugetlb", "hugetlb"},
    [CG_NET_CLS] = {"net_cls", NULL},
    [CG_NET_PRIO] = {"net_prio", NULL},
    [CG_PERF_EVENT] = {"perf_event", "perf_event"},
    [CG_RDMA] = {"rdma", "rdma"},
    [CG_MISC] = {"misc", "misc"},
};

const char *cg_ctrl_v1_name(enum cg_ctrl c)
{
    return c < CG__MAX ? ctrl_names[c].v1 : NULL;
}
const char *cg_ctrl_v2_name(enum cg_ctrl c)
{
    return c < CG__MAX ? ctrl_names[c].v2 : NULL;
}

int cg_ctrl_from_v1_name(const char *name)
{
    for (int i = 0; i < CG__MAX; i++)
        if (strcmp(ctrl_names[i].v1, name) == 0)
            return i;
    return -1;
}

static int ctrl_from_v2_name(const char *name)
{
    for (int i = 0; i < CG__MAX; i++)
        if (ctrl_names[i].v2 && strcmp(ctrl_names[i].v2, name) == 0)
            return i;
    return -1;
}

unsigned cg_parse_v2_controllers(const char *text)
{
    unsigned mask = 0;
    _cleanup_free_ char *copy = strdup(text ? text : "");
    if (!copy)
        return 0;
    char *save = NULL;
    for (char *t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
        int c = ctrl_from_v2_name(t);
        if (c >= 0)
            mask |= CG_BIT(c);
    }
    return mask;
}

/* ---- layout detection ---- */

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape_octal(char *s)
{
    char *w = s;
    for (char *r = s; *r;) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
            r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
            r += 4;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

void cg_layout_done(struct cg_layout *l)
{
    for (size_t i = 0; i < l->n_hier; i++) {
        free(l->hier[i].mount);
        free(l->hier[i].name);
    }
    free(l->hier);
    l->hier = NULL;
    l->n_hier = 0;
}

struct mnt {
    char *dev, *root, *mount;
    bool v2;
    unsigned ctrl;
    char *name;
};

static void mnt_free(struct mnt *m)
{
    free(m->dev);
    free(m->root);
    free(m->mount);
    free(m->name);
}

/* Splits one mountinfo line; returns false if it is not a cgroup mount. */
static bool parse_mount_line(char *line, struct mnt *ret)
{
    char *fields[6] = {0};
    char *save = NULL, *t = strtok_r(line, " ", &save);
    size_t n = 0;
    /* id parent maj:min root mountpoint options [optional...] - fstype source superopts */
    for (; t && n < 6; t = strtok_r(NULL, " ", &save))
        fields[n++] = t;
    if (n < 6)
        return false;
    while (t && strcmp(t, "-") != 0)
        t = strtok_r(NULL, " ", &save);
    if (!t)
        return false;
    char *fstype = strtok_r(NULL, " ", &save);
    char *source = strtok_r(NULL, " ", &save);
    char *super = strtok_r(NULL, " \n", &save);
    if (!fstype || !source)
        return false;
    bool v2 = strcmp(fstype, "cgroup2") == 0;
    if (!v2 && strcmp(fstype, "cgroup") != 0)
        return false;

    struct mnt m = {.v2 = v2};
    /* v1: the hierarchy is named by its super options ("rw,cpu,cpuacct", "rw,name=systemd"),
     * not by where it is mounted. */
    if (!v2 && super) {
        _cleanup_free_ char *copy = strdup(super);
        char *s2 = NULL;
        for (char *o = copy ? strtok_r(copy, ",", &s2) : NULL; o; o = strtok_r(NULL, ",", &s2)) {
            int c = cg_ctrl_from_v1_name(o);
            if (c >= 0)
                m.ctrl |= CG_BIT(c);
            else if (strncmp(o, "name=", 5) == 0 && !m.name)
                m.name = xstrdup(o + 5);
        }
        if (!m.ctrl && !m.name)
            return false; /* a v1 hierarchy of a controller berth does not know */
    }
    unescape_octal(fields[3]);
    unescape_octal(fields[4]);
    m.dev = strdup(fields[2]);
    m.root = strdup(fields[3]);
    m.mount = strdup(fields[4]);
    if (!m.dev || !m.root || !m.mount) {
        mnt_free(&m);
        return false;
    }
    *ret = m;
    return true;
}

/* Rank of a cgroup2 mount point: the standard places first. */
static int v2_rank(const char *mount)
{
    if (strcmp(mount, CG_ROOT) == 0)
        return 0;
    if (strcmp(mount, CG_ROOT "/unified") == 0)
        return 1;
    return 2;
}

int cg_parse_mountinfo(const char *text, struct cg_layout *ret, struct berr **err)
{
    struct mnt *m = NULL;
    size_t n = 0;
    _cleanup_free_ char *copy = strdup(text);
    if (!copy)
        return berr_sys(err, ENOMEM, "parse mountinfo");

    /* The mount points of all lines, in order: a cgroup mount that a later mount covers
     * (at the same place or above it, e.g. a tmpfs over /sys/fs/cgroup/unified) is not
     * reachable and must not be used. */
    size_t nlines = 0;
    for (const char *p = text; *p; p++)
        nlines += *p == '\n';
    _cleanup_free_ char **mps = calloc(nlines + 2, sizeof(char *));
    _cleanup_free_ char *copy2 = strdup(text);
    if (!mps || !copy2)
        return berr_sys(err, ENOMEM, "parse mountinfo");
    size_t nmp = 0;
    char *s2 = NULL;
    for (char *line = strtok_r(copy2, "\n", &s2); line && nmp < nlines + 1;
         line = strtok_r(NULL, "\n", &s2)) {
        char *f = line;
        for (int k = 0; k < 4 && f; k++) {
            f = strchr(f, ' ');
            if (f)
                f++;
        }
        if (!f)
            continue;
        char *end = strchr(f, ' ');
        if (end)
            *end = 0;
        unescape_octal(f);
        mps[nmp++] = f;
    }

    char *save = NULL;
    size_t lineno = 0;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        struct mnt cur;
        size_t this_line = lineno++;
        if (!parse_mount_line(line, &cur))
            continue;
        bool covered = false;
        for (size_t k = this_line + 1; k < nmp && !covered; k++) {
            size_t l = strlen(mps[k]);
            covered = strcmp(mps[k], cur.mount) == 0 ||
                      (strncmp(mps[k], cur.mount, l) == 0 && (l == 1 || cur.mount[l] == '/'));
        }
        if (covered) {
            mnt_free(&cur);
            continue;
        }
        /* The same hierarchy (same superblock) may be mounted more than once; keep one
         * mount, preferring one that shows the hierarchy's root, and for cgroup2 the
         * standard mount point. */
        size_t i;
        for (i = 0; i < n; i++)
            if (strcmp(m[i].dev, cur.dev) == 0 || (cur.v2 && m[i].v2))
                break;
        if (i < n) {
            bool better = strcmp(m[i].root, "/") != 0 && strcmp(cur.root, "/") == 0;
            if (cur.v2 && v2_rank(cur.mount) != v2_rank(m[i].mount))
                better = v2_rank(cur.mount) < v2_rank(m[i].mount);
            if (better) {
                mnt_free(&m[i]);
                m[i] = cur;
            } else {
                mnt_free(&cur);
            }
            continue;
        }
        struct mnt *nm = realloc(m, (n + 1) * sizeof(*m));
        if (!nm) {
            mnt_free(&cur);
            for (size_t k = 0; k < n; k++)
                mnt_free(&m[k]);
            free(m);
            return berr_sys(err, ENOMEM, "parse mountinfo");
        }
        m = nm;
        m[n++] = cur;
    }

    struct cg_layout l = {.unified = -1};
    for (int c = 0; c < CG__MAX; c++)
        l.v1[c] = -1;
    bool has_v1_ctrl = false, has_v2 = false;
    for (size_t i = 0; i < n; i++) {
        has_v1_ctrl |= !m[i].v2 && m[i].ctrl;
        has_v2 |= m[i].v2;
    }
    if (has_v2 && !has_v1_ctrl)
        l.mode = CG_MODE_UNIFIED;
    else if (has_v2)
        l.mode = CG_MODE_HYBRID;
    else
        l.mode = CG_MODE_LEGACY;

    l.hier = calloc(n ? n : 1, sizeof(*l.hier));
    if (!l.hier) {
        for (size_t k = 0; k < n; k++)
            mnt_free(&m[k]);
        free(m);
        return berr_sys(err, ENOMEM, "parse mountinfo");
    }
    for (size_t i = 0; i < n; i++) {
        /* On a pure v2 host a stray v1 named hierarchy (mounted for old containers) is not
         * ours to populate. */
        if (l.mode == CG_MODE_UNIFIED && !m[i].v2) {
            mnt_free(&m[i]);
            continue;
        }
        struct cg_hier *h = &l.hier[l.n_hier];
        h->mount = TAKE_PTR(m[i].mount);
        h->name = TAKE_PTR(m[i].name);
        h->v2 = m[i].v2;
        h->ctrl = m[i].ctrl;
        if (h->v2)
            l.unified = (int)l.n_hier;
        for (int c = 0; c < CG__MAX; c++)
            if (h->ctrl & CG_BIT(c))
                l.v1[c] = (int)l.n_hier;
        l.n_hier++;
        mnt_free(&m[i]);
    }
    free(m);
    *ret = l;
    return 0;
}

static struct cg_layout host_layout;
static pthread_once_t host_once = PTHREAD_ONCE_INIT;

static void detect(void)
{
    _cleanup_free_ char *text = NULL;
    struct cg_layout l = {.mode = CG_MODE_LEGACY, .unified = -1};
    for (int c = 0; c < CG__MAX; c++)
        l.v1[c] = -1;
    _cleanup_berr_ struct berr *e = NULL;
    if (cg_read("/proc/self", "mountinfo", &text) == 0 && cg_parse_mountinfo(text, &l, &e) == 0 &&
        l.unified >= 0) {
        _cleanup_free_ char *ctrls = NULL;
        if (cg_read(l.hier[l.unified].mount, "cgroup.controllers", &ctrls) == 0)
            l.v2_ctrl = cg_parse_v2_controllers(ctrls);
    }
    host_layout = l;
}

const struct cg_layout *cg_layout(void)
{
    pthread_once(&host_once, detect);
    return &host_layout;
}

enum cg_mode cg_mode(void)
{
    return cg_layout()->mode;
}

/* The hierarchy where controller c is used: its v1 hierarchy if attached there, else the
 * unified one if v2 offers it. */
static const struct cg_hier *ctrl_hier(const struct cg_layout *l, enum cg_ctrl c)
{
    if (l->v1[c] >= 0)
        return &l->hier[l->v1[c]];
    if (l->unified >= 0 && (l->v2_ctrl & CG_BIT(c)))
        return &l->hier[l->unified];
    return NULL;
}

int cg_clone_fd(const struct cg *cg)
{
    const struct cg_layout *l = cg_layout();
    if (l->mode != CG_MODE_UNIFIED || l->unified < 0)
        return -1;
    _cleanup_free_ char *dir = cg_dir(&l->hier[l->unified], cg->path);
    return dir ? open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
}

int cg_birth_fds(const struct cg *cg, int *ret_clone_fd, int **ret_tasks)
{
    const struct cg_layout *l = cg_layout();
    if (l->mode == CG_MODE_UNIFIED || l->n_hier == 0)
        return -1;
    int *t = calloc(l->n_hier, sizeof(int));
    int cfd = -1;
    size_t n = 0;
    if (!t)
        return -1;
    for (size_t i = 0; i < l->n_hier; i++) {
        _cleanup_free_ char *dir = cg_dir(&l->hier[i], cg->path);
        char tasks[4200];
        snprintf(tasks, sizeof(tasks), "%s/tasks", dir ? dir : "");
        int fd = !dir            ? -1
                 : l->hier[i].v2 ? open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)
                                 : open(tasks, O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
            for (size_t k = 0; k < n; k++)
                close(t[k]);
            if (cfd >= 0)
                close(cfd);
            free(t);
            return -1;
        }
        if (l->hier[i].v2)
            cfd = fd;
        else
            t[n++] = fd;
    }
    *ret_clone_fd = cfd;
    *ret_tasks = t;
    return (int)n;
}

const char *cg_hierarchy(const char *controller)
{
    const struct cg_layout *l = cg_layout();
    if (!controller)
        return l->unified >= 0 ? l->hier[l->unified].mount : NULL;
    if (strncmp(controller, "name=", 5) == 0) {
        for (size_t i = 0; i < l->n_hier; i++)
            if (l->hier[i].name && strcmp(l->hier[i].name, controller + 5) == 0)
                return l->hier[i].mount;
        return NULL;
    }
    int c = cg_ctrl_from_v1_name(controller);
    if (c < 0)
        c = ctrl_from_v2_name(controller);
    if (c < 0)
        return NULL;
    const struct cg_hier *h = ctrl_hier(l, c);
    return h ? h->mount : NULL;
}

/* The hierarchy to read the process list from: on v2 the unified one; on v1 one that every
 * container is in for sure. */
static const struct cg_hier *procs_hier(const struct cg_layout *l)
{
    if (l->mode == CG_MODE_UNIFIED && l->unified >= 0)
        return &l->hier[l->unified];
    static const enum cg_ctrl pref[] = {CG_PIDS, CG_FREEZER};
    for (size_t i = 0; i < ARRAY_SIZE(pref); i++)
        if (l->v1[pref[i]] >= 0)
            return &l->hier[l->v1[pref[i]]];
    for (size_t i = 0; i < l->n_hier; i++)
        if (l->hier[i].name && strcmp(l->hier[i].name, "systemd") == 0)
            return &l->hier[i];
    for (size_t i = 0; i < l->n_hier; i++)
        if (!l->hier[i].v2)
            return &l->hier[i];
    return l->unified >= 0 ? &l->hier[l->unified] : NULL;
}

/* ---- paths ---- */

int cg_check_path(const char *path, struct berr **err)
{
    if (!path || path[0] != '/')
        return berr_set(err, BERR_INVALID, EINVAL, "cgroup path \"%s\" is not absolute",
                        path ? path : "");
    if (path[1] == '\0')
        return berr_set(err, BERR_INVALID, EINVAL, "cgroup path must not be the root cgroup");
    for (const char *p = path + 1;;) {
        const char *e = strchrnul(p, '/');
        size_t len = (size_t)(e - p);
        if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return berr_set(err, BERR_INVALID, EINVAL,
                            "cgroup path \"%s\": empty, \".\" or \"..\" component", path);
        if (!*e)
            break;
        p = e + 1;
    }
    return 0;
}

char *cg_resolve_path(const char *cgroups_path, const char *id, struct berr **err)
{
    if (!id || !*id || strchr(id, '/') || strcmp(id, ".") == 0 || strcmp(id, "..") == 0) {
        berr_set(err, BERR_INVALID, EINVAL, "invalid container id \"%s\" for a cgroup path",
                 id ? id : "");
        return NULL;
    }
    const char *cp = cgroups_path ? cgroups_path : "";
    if (cp[0] != '/') {
        /* systemd's "slice:prefix:name" */
        const char *c1 = strchr(cp, ':');
        if (c1 && strchr(c1 + 1, ':')) {
            berr_set(err, BERR_UNSUPPORTED, EOPNOTSUPP,
                     "systemd cgroup paths are not supported: use a path");
            return NULL;
        }
    }

    _cleanup_free_ char *raw = NULL;
    int r;
    if (!*cp)
        r = asprintf(&raw, "/berth/%s", id);
    else if (cp[0] != '/')
        r = asprintf(&raw, "/berth/%s", cp);
    else
        r = asprintf(&raw, "%s", cp);
    if (r < 0) {
        berr_sys(err, ENOMEM, "resolve cgroup path");
        return NULL;
    }
    /* Normalise "//" and a trailing "/" so the same cgroup has one spelling in state
     * files. */
    char *w = raw;
    for (const char *p = raw; *p; p++) {
        if (*p == '/' && w > raw && w[-1] == '/')
            continue;
        *w++ = *p;
    }
    *w = '\0';
    if (w - raw > 1 && w[-1] == '/')
        w[-1] = '\0';
    if (cg_check_path(raw, err) < 0) {
        berr_prefix(err, "linux.cgroupsPath");
        return NULL;
    }
    return TAKE_PTR(raw);
}

/* ---- conversions and parsing ---- */

/* cpu.shares (2..262144, default 1024) to cpu.weight (1..10000, default 100), the mapping
 * runc, crun and systemd agree on. */
uint64_t cg_shares_to_weight(uint64_t shares)
{
    if (shares == 0)
        return 0;
    if (shares < 2)
        shares = 2;
    if (shares > 262144)
        shares = 262144;
    return 1 + ((shares - 2) * 9999) / 262142;
}

/* blkio.weight (10..1000) to io.weight (1..10000) */
uint64_t cg_blkio_weight_to_io(uint64_t weight)
{
    if (weight == 0)
        return 0;
    if (weight < 10)
        weight = 10;
    if (weight > 1000)
        weight = 1000;
    return 1 + ((weight - 10) * 9999) / 990;
}

int cg_parse_u64(const char *text, uint64_t *ret)
{
    while (text && isspace((unsigned char)*text))
        text++;
    if (!text || !*text)
        return -EINVAL;
    if (strncmp(text, "max", 3) == 0 && (!text[3] || isspace((unsigned char)text[3]))) {
        *ret = UINT64_MAX;
        return 0;
    }
    if (!isdigit((unsigned char)*text))
        return -EINVAL;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || (*end && !isspace((unsigned char)*end)))
        return -EINVAL;
    /* v1 reports "no limit" as the largest page-aligned counter (9223372036854771712) */
    *ret = v >= (1ULL << 62) ? UINT64_MAX : v;
    return 0;
}

int cg_keyed_u64(const char *text, const char *key, uint64_t *ret)
{
    size_t kl = strlen(key);
    for (const char *p = text; p && *p;) {
        const char *eol = strchrnul(p, '\n');
        if (strncmp(p, key, kl) == 0 && (p[kl] == ' ' || p[kl] == '\t')) {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(p + kl + 1, &end, 10);
            if (errno || end == p + kl + 1)
                return -EINVAL;
            *ret = v;
            return 0;
        }
        p = *eol ? eol + 1 : eol;
    }
    return -ENOENT;
}

/* ---- file access ---- */

char *cg_dir(const struct cg_hier *h, const char *path)
{
    char *d = NULL;
    if (asprintf(&d, "%s%s", h->mount, path) < 0)
        return NULL;
    return d;
}

int cg_read(const char *dir, const char *file, char **ret)
{
    _cleanup_free_ char *p = NULL;
    if (asprintf(&p, "%s/%s", dir, file) < 0)
        return -ENOMEM;
    _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;
    size_t cap = 4096, len = 0;
    _cleanup_free_ char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    for (;;) {
        if (cap - len < 2) {
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                return -ENOMEM;
            buf = nb;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    *ret = TAKE_PTR(buf);
    return 0;
}

int cg_write_raw(const char *dir, const char *file, const char *value)
{
    _cleanup_free_ char *p = NULL;
    if (asprintf(&p, "%s/%s", dir, file) < 0)
        return -ENOMEM;
    _cleanup_close_ int fd = open(p, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;
    /* cgroup files take one value per write(2): never split it */
    size_t len = strlen(value);
    ssize_t n;
    do
        n = write(fd, value, len);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if ((size_t)n != len)
        return -EIO;
    return 0;
}

bool cg_has_file(const char *dir, const char *file)
{
    _cleanup_free_ char *p = NULL;
    if (asprintf(&p, "%s/%s", dir, file) < 0)
        return false;
    return access(p, F_OK) == 0;
}

static bool dir_exists(const char *dir)
{
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- writes with undo ---- */

void cg_undo_done(struct cg_undo *u)
{
    for (size_t i = 0; i < u->n; i++) {
        free(u->e[i].dir);
        free(u->e[i].file);
        free(u->e[i].old);
    }
    free(u->e);
    u->e = NULL;
    u->n = 0;
}

void cg_undo_run(struct cg_undo *u)
{
    /* Reverse order keeps pairs valid that the forward writes ordered on purpose (memory
     * limit <= memsw limit, cfs period before quota). Best effort: this is an error path. */
    for (size_t i = u->n; i-- > 0;) {
        if (strcmp(u->e[i].file, "devices.list") == 0)
            cg_v1_devices_restore(u->e[i].dir, u->e[i].old);
        else
            (void)cg_write_raw(u->e[i].dir, u->e[i].file, u->e[i].old);
    }
    cg_undo_done(u);
}

int cg_undo_push(struct cg_undo *u, const char *dir, const char *file, char *old)
{
    struct cg_undo_entry *ne = realloc(u->e, (u->n + 1) * sizeof(*ne));
    if (!ne) {
        free(old);
        return -ENOMEM;
    }
    u->e = ne;
    ne[u->n].dir = strdup(dir);
    ne[u->n].file = strdup(file);
    ne[u->n].old = old;
    if (!ne[u->n].dir || !ne[u->n].file) {
        free(ne[u->n].dir);
        free(ne[u->n].file);
        free(old);
        return -ENOMEM;
    }
    u->n++;
    return 0;
}

int cg_err_unsupported(struct berr **err, const char *field, const char *what, const char *file)
{
    return berr_set(err, BERR_UNSUPPORTED, EOPNOTSUPP, "%s: %s not supported (no %s file)", field,
                    what, file);
}

static int write_err(struct berr **err, const char *field, const char *value, const char *file,
                     int errnum)
{
    /* ENOTSUPP (524) is kernel-internal and leaks out of some cgroup files (kmem on >= 5.16):
     * strerror() knows it only as "Unknown error 524". */
    if (errnum == 524)
        errnum = EOPNOTSUPP;
    enum berr_kind kind = (errnum == EINVAL || errnum == ERANGE) ? BERR_INVALID
                          : errnum == EOPNOTSUPP                 ? BERR_UNSUPPORTED
                                                                 : BERR_INTERNAL;
    /* one line: a multi-line value (ifpriomap) is shown up to its first newline */
    int vl = (int)strcspn(value, "\n");
    return berr_set(err, kind, errnum, "%s: write \"%.*s\" to %s: %s", field, vl, value, file,
                    strerror(errnum));
}

/* The old content in a form that can be written back. */
static char *restorable(const char *file, char *old)
{
    if (strcmp(file, "memory.oom_control") == 0) {
        uint64_t v = 0;
        cg_keyed_u64(old, "oom_kill_disable", &v);
        free(old);
        return strdup(v ? "1" : "0");
    }
    size_t len = strlen(old);
    while (len && old[len - 1] == '\n')
        old[--len] = '\0';
    return old;
}

int cg_set(struct cg_ctx *c, const struct cg_hier *h, const char *file, const char *value,
           const char *field, const char *what, struct berr **err)
{
    _cleanup_free_ char *dir = cg_dir(h, c->path);
    if (!dir)
        return berr_sys(err, ENOMEM, "%s", field);
    if (!cg_has_file(dir, file))
        return cg_err_unsupported(err, field, what, file);
    char *old = NULL;
    if (c->undo && cg_read(dir, file, &old) == 0)
        old = restorable(file, old);
    int r = cg_write_raw(dir, file, value);
    if (r < 0) {
        free(old);
        return write_err(err, field, value, file, -r);
    }
    if (c->undo && old && cg_undo_push(c->undo, dir, file, old) < 0)
        return berr_sys(err, ENOMEM, "%s", field);
    return 0;
}

int cg_set_keyed(struct cg_ctx *c, const struct cg_hier *h, const char *file, const char *key,
                 const char *value, const char *absent, const char *field, const char *what,
                 struct berr **err)
{
    _cleanup_free_ char *dir = cg_dir(h, c->path);
    if (!dir)
        return berr_sys(err, ENOMEM, "%s", field);
    if (!cg_has_file(dir, file))
        return cg_err_unsupported(err, field, what, file);
    char *old = NULL;
    _cleanup_free_ char *text = NULL;
    if (c->undo && cg_read(dir, file, &text) == 0) {
        size_t kl = strlen(key);
        for (const char *p = text; *p;) {
            const char *eol = strchrnul(p, '\n');
            if (strncmp(p, key, kl) == 0 && p[kl] == ' ') {
                old = strndup(p, (size_t)(eol - p));
                break;
            }
            p = *eol ? eol + 1 : eol;
        }
        if (!old && asprintf(&old, "%s %s", key, absent) < 0)
            old = NULL;
    }
    int r = cg_write_raw(dir, file, value);
    if (r < 0) {
        free(old);
        return write_err(err, field, value, file, -r);
    }
    if (c->undo && old && cg_undo_push(c->undo, dir, file, old) < 0)
        return berr_sys(err, ENOMEM, "%s", field);
    return 0;
}

/* ---- dispatch of resources ---- */

/* Which controllers res needs, and for each the field to name when it is missing. */
static unsigned res_needs(const struct spec_resources *res, const char *field[CG__MAX])
{
    unsigned m = 0;
#define NEED(c, f)                                                                                 \
    do {                                                                                           \
        if (!(m & CG_BIT(c)))                                                                      \
            field[c] = (f);                                                                        \
        m |= CG_BIT(c);                                                                            \
    } while (0)
    const typeof(res->memory) *mem = &res->memory;
    if (mem->limit.set || mem->reservation.set || mem->swap.set || mem->swappiness.set ||
        mem->has_disable_oom_killer || mem->has_use_hierarchy)
        NEED(CG_MEMORY, "linux.resources.memory");
    const typeof(res->cpu) *cpu = &res->cpu;
    if (cpu->shares.set || cpu->quota.set || cpu->burst.set || cpu->period.set ||
        cpu->realtime_runtime.set || cpu->realtime_period.set || cpu->idle.set)
        NEED(CG_CPU, "linux.resources.cpu");
    if (cpu->cpus && *cpu->cpus)
        NEED(CG_CPUSET, "linux.resources.cpu.cpus");
    if (cpu->mems && *cpu->mems)
        NEED(CG_CPUSET, "linux.resources.cpu.mems");
    if (res->pids.limit.set)
        NEED(CG_PIDS, "linux.resources.pids");
    bool blkio = res->blkio.weight.set || res->blkio.leaf_weight.set || res->blkio.n_weight_device;
    for (int i = 0; i < 4; i++)
        blkio |= res->blkio.n_throttle[i] > 0;
    if (blkio)
        NEED(CG_BLKIO, "linux.resources.blockIO");
    if (res->n_hugepage_limits)
        NEED(CG_HUGETLB, "linux.resources.hugepageLimits");
    if (res->network.class_id.set)
        NEED(CG_NET_CLS, "linux.resources.network.classID");
    if (res->network.n_priorities)
        NEED(CG_NET_PRIO, "linux.resources.network.priorities");
    if (res->n_devices)
        NEED(CG_DEVICES, "linux.resources.devices");
#undef NEED
    return m;
}

static int apply(struct cg_ctx *c, const struct spec_resources *res, struct berr **err)
{
    const struct cg_layout *l = c->l;
    const char *field[CG__MAX] = {0};
    unsigned v1 = 0, v2 = 0;
    bool v2_devices = false;
    unsigned need = res ? res_needs(res, field) : 0;

    /* Kernel memory limits, deprecated by the runtime spec, are ignored with a warning (as
     * runc does) rather than refuse a config written for older hosts: cgroup v2 never had
     * them, and Linux 5.16 stopped enforcing v1's memory.kmem.limit_in_bytes (writes
     * succeed, nothing changes). v1's TCP buffer limit still holds, so it is applied where
     * the kernel has it (as crun does), and ignored elsewhere. */
    if (res && res->memory.kernel.set)
        log_warn("linux.resources.memory.kernel: ignored (kernel memory limits are deprecated, "
                 "and Linux no longer enforces them)");
    if (res && res->memory.kernel_tcp.set && l->v1[CG_MEMORY] < 0)
        log_warn("linux.resources.memory.kernelTCP: ignored (only cgroup v1 has a kernel TCP "
                 "memory limit)");
    else if (res && res->memory.kernel_tcp.set && !(need & CG_BIT(CG_MEMORY))) {
        need |= CG_BIT(CG_MEMORY);
        field[CG_MEMORY] = "linux.resources.memory.kernelTCP";
    }
    if (res && res->has_rdma)
        return berr_set(err, BERR_UNSUPPORTED, EOPNOTSUPP,
                        "linux.resources.rdma: rdma limits are not supported");
    if (res && res->n_unified && l->unified < 0)
        return berr_set(err, BERR_UNSUPPORTED, EOPNOTSUPP,
                        "linux.resources.unified: needs cgroup v2, this host has cgroup v1 only");

    /* Each controller is used where it is attached: its v1 hierarchy if it has one (legacy,
     * hybrid), else the unified hierarchy if v2 offers it. */
    for (int k = 0; k < CG__MAX; k++) {
        if (!(need & CG_BIT(k)))
            continue;
        if (l->v1[k] >= 0)
            v1 |= CG_BIT(k);
        else if (l->unified >= 0 && (l->v2_ctrl & CG_BIT(k)))
            v2 |= CG_BIT(k);
        else if (k == CG_DEVICES && l->unified >= 0)
            v2_devices = true; /* eBPF on the unified hierarchy, no controller needed */
        else
            return berr_set(err, BERR_UNSUPPORTED, EOPNOTSUPP, "%s: %s controller not available",
                            field[k], cg_ctrl_v1_name(k));
    }

    if (l->unified >= 0) {
        /* On a pure v2 host turn on every controller (like runc and crun) so stats and a
         * later `update` find their files; on a hybrid host the unified hierarchy mostly
         * only tracks processes, so touch only what this request needs there. */
        unsigned enable = l->mode == CG_MODE_UNIFIED ? l->v2_ctrl : v2;
        int r = cg_v2_enable_controllers(&l->hier[l->unified], c->path, enable, v2, err);
        if (r < 0)
            return r;
    }
    if (!res)
        return 0;
    int r = cg_v1_apply(c, res, v1, err);
    if (r < 0)
        return r;
    r = cg_v2_apply(c, res, v2, false, err);
    if (r < 0)
        return r;
    if (res->n_unified) {
        r = cg_v2_apply_unified(c, res, err);
        if (r < 0)
            return r;
    }
    /* Last: replacing the device program is the one step the undo journal cannot take back
     * (the old program is detached), so nothing may fail after it. */
    if (v2_devices)
        return cg_v2_apply(c, res, 0, true, err);
    return 0;
}

/* ---- create / open / enter ---- */

struct created {
    char **dirs;
    size_t n;
};

static void created_undo(struct created *cr)
{
    /* Deepest first: dirs were recorded parent before child. No retry on EBUSY: nothing was
     * ever moved into a cgroup made here, so a busy one is a parent ("/berth") that another
     * container has started to use meanwhile, and it stays. */
    for (size_t i = cr->n; i-- > 0;)
        (void)rmdir(cr->dirs[i]);
}

static void created_done(struct created *cr)
{
    for (size_t i = 0; i < cr->n; i++)
        free(cr->dirs[i]);
    free(cr->dirs);
}

/* mkdir -p of path under mount, recording each directory it made. */
static int mkdir_p(const char *mount, const char *path, struct created *cr, struct berr **err)
{
    if (!dir_exists(mount))
        return berr_sys(err, ENOENT, "cgroup hierarchy %s", mount);
    size_t ml = strlen(mount), pl = strlen(path);
    _cleanup_free_ char *d = malloc(ml + pl + 1);
    if (!d)
        return berr_sys(err, ENOMEM, "create cgroup");
    memcpy(d, mount, ml + 1);
    int retries = 0;
    for (const char *p = path; *p;) {
        const char *e = strchrnul(p + 1, '/');
        memcpy(d + ml + (size_t)(p - path), p, (size_t)(e - p));
        d[ml + (size_t)(e - path)] = '\0';
        p = e;
        int r = mkdir(d, 0755);
        if (r < 0 && errno == ENOENT && retries++ < 3) {
            /* a parent was removed meanwhile by a failing create of a sibling: again */
            p = path;
            continue;
        }
        if (r == 0) {
            char **nd = realloc(cr->dirs, (cr->n + 1) * sizeof(*nd));
            char *copy = strdup(d);
            if (!nd || !copy) {
                free(copy);
                if (nd)
                    cr->dirs = nd;
                rmdir(d);
                return berr_sys(err, ENOMEM, "create cgroup");
            }
            cr->dirs = nd;
            cr->dirs[cr->n++] = copy;
        } else if (errno != EEXIST) {
            return berr_sys(err, errno, "create cgroup %s", d);
        }
    }
    return 0;
}

static struct cg *cg_new(const char *path)
{
    struct cg *cg = calloc(1, sizeof(*cg));
    if (!cg)
        return NULL;
    cg->path = strdup(path);
    if (!cg->path) {
        free(cg);
        return NULL;
    }
    return cg;
}

struct cg *cg_create(const char *path, const struct spec_resources *res, struct berr **err)
{
    const struct cg_layout *l = cg_layout();
    if (cg_check_path(path, err) < 0)
        return NULL;
    if (l->n_hier == 0) {
        berr_set(err, BERR_UNSUPPORTED, ENOENT, "create cgroup %s: no cgroup filesystem mounted",
                 path);
        return NULL;
    }
    struct cg *cg = cg_new(path);
    if (!cg) {
        berr_sys(err, ENOMEM, "create cgroup %s", path);
        return NULL;
    }

    /* The undo of creating is removing what was made; the undo journal covers values
     * changed in a cgroup that already existed and is reused. */
    struct created cr = {0};
    struct cg_undo undo = {0};
    struct cg_ctx c = {.l = l, .path = path, .undo = &undo};
    int r = 0;
    for (size_t i = 0; i < l->n_hier && r >= 0; i++) {
        r = mkdir_p(l->hier[i].mount, path, &cr, err);
        /* a new v1 cpuset cgroup has no cpus and no mems: nothing could run in it */
        if (r >= 0 && !l->hier[i].v2 && (l->hier[i].ctrl & CG_BIT(CG_CPUSET)))
            r = cg_v1_cpuset_init(&l->hier[i], path, err);
    }
    if (r >= 0)
        r = apply(&c, res, err);
    if (r < 0) {
        cg_undo_run(&undo);
        created_undo(&cr);
        created_done(&cr);
        cg_free(cg);
        berr_prefix(err, "create cgroup %s", path);
        return NULL;
    }
    cg_undo_done(&undo);
    /* where the leaf itself is among the directories we created */
    cg->created_in = xcalloc(l->n_hier + 1, sizeof(char *));
    size_t nc = 0;
    for (size_t i = 0; i < l->n_hier; i++) {
        _cleanup_free_ char *leaf = cg_dir(&l->hier[i], path);
        for (size_t k = 0; leaf && k < cr.n; k++)
            if (strcmp(cr.dirs[k], leaf) == 0) {
                cg->created_in[nc++] = xstrdup(l->hier[i].mount);
                break;
            }
    }
    created_done(&cr);
    return cg;
}

struct cg *cg_open(const char *path, struct berr **err)
{
    const struct cg_layout *l = cg_layout();
    if (cg_check_path(path, err) < 0)
        return NULL;
    for (size_t i = 0; i < l->n_hier; i++) {
        _cleanup_free_ char *dir = cg_dir(&l->hier[i], path);
        if (dir && dir_exists(dir)) {
            struct cg *cg = cg_new(path);
            if (!cg)
                berr_sys(err, ENOMEM, "open cgroup %s", path);
            return cg;
        }
    }
    berr_set(err, BERR_NOT_FOUND, ENOENT, "cgroup %s not found", path);
    return NULL;
}

void cg_free(struct cg *cg)
{
    if (!cg)
        return;
    free(cg->path);
    for (char **p = cg->created_in; p && *p; p++)
        free(*p);
    free(cg->created_in);
    free(cg);
}

int cg_enter(const struct cg *cg, pid_t pid, struct berr **err)
{
    const struct cg_layout *l = cg_layout();
    char buf[32];
    snprintf(buf, sizeof(buf), "%d", (int)pid);
    /* No undo here: moving the process back would mean writing into whatever cgroup it came
     * from, which is not ours. Callers kill a process that failed to enter. */
    for (size_t i = 0; i < l->n_hier; i++) {
        _cleanup_free_ char *dir = cg_dir(&l->hier[i], cg->path);
        if (!dir)
            return berr_sys(err, ENOMEM, "enter cgroup");
        int r = cg_write_raw(dir, "cgroup.procs", buf);
        if (r < 0)
            return berr_sys(err, -r, "move pid %d into cgroup %s", (int)pid, dir);
    }
    return 0;
}

int cg_update(const struct cg *cg, const struct spec_resources *res, struct berr **err)
{
    const struct cg_layout *l = cg_layout();
    bool found = false;
    for (size_t i = 0; i < l->n_hier && !found; i++) {
        _cleanup_free_ char *dir = cg_dir(&l->hier[i], cg->path);
        found = dir && dir_exists(dir);
    }
    if (!found)
        return berr_set(err, BERR_NOT_FOUND, ENOENT, "update cgroup %s: not found", cg->path);

    struct cg_undo undo = {0};
    struct cg_ctx c = {.l = l, .path = cg->path, .undo = &undo};
    int r = apply(&c, res, err);
    if (r < 0) {
        cg_undo_run(&undo);
        return berr_prefix(err, "update cgroup %s", cg->path);
    }
    cg_undo_done(&undo);
    return 0;
}

/* ---- freezer ---- */

/* Where the freezer is: 1 v1 freezer.state, 2 v2 cgroup.freeze, or negative errno. */
static int freezer_dir(const struct cg *cg, char **ret_dir)
{
    const struct cg_layout *l = cg_layout();
    if (l->v1[CG_FREEZER] >= 0) {
        char *d = cg_dir(&l->hier[l->v1[CG_FREEZER]], cg->path);
        if (!d)
            return -ENOMEM;
        *ret_dir = d;
        return 1;
    }
    if (l->unified >= 0) {
        char *d = cg_dir(&l->hier[l->unified], cg->path);
        if (!d)
            return -ENOMEM;
        if (!dir_exists(d)) {
            free(d);
            return -ENOENT;
        }
        if (!cg_has_file(d, "cgroup.freeze")) {
            free(d);
            return -EOPNOTSUPP;
        }
        *ret_dir = d;
        return 2;
    }
    return -EOPNOTSUPP;
}

int cg_freeze(const struct cg *cg, bool frozen, struct berr **err)
{
    _cleanup_free_ char *dir = NULL;
    int kind = freezer_dir(cg, &dir);
    if (kind == -EOPNOTSUPP)
        return berr_set(err, BERR_UNSUPPORTED, EOPNOTSUPP, "%s cgroup %s: no freezer on this host",
                        frozen ? "freeze" : "thaw", cg->path);
    if (kind < 0)
        return berr_sys(err, -kind, "%s cgroup %s", frozen ? "freeze" : "thaw", cg->path);
    int r = kind == 1 ? cg_v1_freeze(dir, frozen, err) : cg_v2_freeze(dir, frozen, err);
    if (r < 0)
        return berr_prefix(err, "%s cgroup %s", frozen ? "freeze" : "thaw", cg->path);
    return 0;
}

int cg_is_frozen(const struct cg *cg)
{
    _cleanup_free_ char *dir = NULL;
    int kind = freezer_dir(cg, &dir);
    if (kind < 0)
        return kind;
    return kind == 1 ? cg_v1_is_frozen(dir) : cg_v2_is_frozen(dir);
}

/* ---- processes ---- */

struct pidset {
    pid_t *v;
    size_t n, cap;
};

static int pidset_add(struct pidset *s, pid_t p)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 16;
        pid_t *nv = realloc(s->v, nc * sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        s->v = nv;
        s->cap = nc;
    }
    s->v[s->n++] = p;
    return 0;
}

static int collect_pids(const char *dir, struct pidset *s, int depth)
{
    _cleanup_free_ char *text = NULL;
    int r = cg_read(dir, "cgroup.procs", &text);
    if (r < 0)
        return r;
    for (char *p = text; *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        if (v > 0 && pidset_add(s, (pid_t)v) < 0)
            return -ENOMEM;
        p = end;
        while (*p == '\n' || *p == ' ')
            p++;
    }
    if (depth > 64)
        return 0;
    _cleanup_closedir_ DIR *d = opendir(dir);
    if (!d)
        return -errno;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        _cleanup_free_ char *sub = NULL;
        if (asprintf(&sub, "%s/%s", dir, de->d_name) < 0)
            return -ENOMEM;
        r = collect_pids(sub, s, depth + 1);
        if (r < 0 && r != -ENOENT) /* a sub-cgroup may go away meanwhile */
            return r;
    }
    return 0;
}

static int cmp_pid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return (x > y) - (x < y);
}

int cg_pids(const struct cg *cg, pid_t **ret, size_t *ret_n, struct berr **err)
{
    const struct cg_hier *h = procs_hier(cg_layout());
    if (!h)
        return berr_set(err, BERR_UNSUPPORTED, ENOENT, "list pids of cgroup %s: no cgroups",
                        cg->path);
    _cleanup_free_ char *dir = cg_dir(h, cg->path);
    if (!dir)
        return berr_sys(err, ENOMEM, "list pids of cgroup %s", cg->path);
    struct pidset s = {0};
    int r = collect_pids(dir, &s, 0);
    if (r < 0) {
        free(s.v);
        return berr_sys(err, -r, "list pids of cgroup %s", cg->path);
    }
    /* v1 cgroup.procs may repeat a pid */
    if (s.n)
        qsort(s.v, s.n, sizeof(*s.v), cmp_pid);
    size_t w = 0;
    for (size_t i = 0; i < s.n; i++)
        if (w == 0 || s.v[w - 1] != s.v[i])
            s.v[w++] = s.v[i];
    *ret = s.v;
    *ret_n = w;
    return 0;
}

int cg_kill_all(const struct cg *cg, int sig, struct berr **err)
{
    const struct cg_layout *l = cg_layout();

    /* cgroup.kill (5.14+) kills the whole subtree atomically, forks included */
    if (sig == SIGKILL && l->unified >= 0) {
        _cleanup_free_ char *dir = cg_dir(&l->hier[l->unified], cg->path);
        if (dir && cg_has_file(dir, "cgroup.kill")) {
            int r = cg_write_raw(dir, "cgroup.kill", "1");
            if (r == 0 || r == -ENOENT)
                return 0;
        }
    }

    /* Freeze first so that no process escapes by forking between listing and killing;
     * thaw afterwards unless the container was paused before. */
    int was = cg_is_frozen(cg);
    bool froze = false;
    if (was == 0) {
        struct berr *ignored = NULL;
        froze = cg_freeze(cg, true, &ignored) == 0;
        berr_free(ignored);
    }
    bool frozen = froze || was == 1;

    /* Without a freezer, repeat until a round finds no new process. */
    struct pidset done = {0};
    int r = 0;
    for (int round = 0; round < 20; round++) {
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        r = cg_pids(cg, &pids, &n, err);
        if (r < 0)
            break;
        bool any = false;
        for (size_t i = 0; i < n; i++) {
            bool seen = false;
            for (size_t k = 0; k < done.n && !seen; k++)
                seen = done.v[k] == pids[i];
            if (seen)
                continue;
            if (kill(pids[i], sig) < 0 && errno != ESRCH) {
                r = berr_sys(err, errno, "kill pid %d of cgroup %s", (int)pids[i], cg->path);
                break;
            }
            any = true;
            if (pidset_add(&done, pids[i]) < 0) {
                r = berr_sys(err, ENOMEM, "kill cgroup %s", cg->path);
                break;
            }
        }
        if (r < 0 || !any || frozen)
            break;
    }
    free(done.v);
    if (froze) {
        struct berr *e2 = NULL;
        int r2 = cg_freeze(cg, false, &e2);
        if (r2 < 0 && r >= 0) {
            if (err && !*err)
                *err = TAKE_PTR(e2);
            berr_free(e2);
            return r2;
        }
        berr_free(e2);
    }
    return r < 0 ? r : 0;
}

/* ---- destroy ---- */

static int rmdir_retry(const char *dir, const struct timespec *deadline)
{
    /* a cgroup stays busy for a moment after its last process exited: retry soon at first,
     * then back off */
    useconds_t wait = 100;
    for (;;) {
        if (rmdir(dir) == 0 || errno == ENOENT)
            return 0;
        if (errno != EBUSY)
            return -errno;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > deadline->tv_sec ||
            (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec))
            return -EBUSY;
        usleep(wait);
        if (wait < 10000)
            wait *= 2;
    }
}

/* Removes the sub-cgroups of dir deepest first, then dir. */
static int rm_tree(const char *dir, const struct timespec *deadline, int depth)
{
    _cleanup_closedir_ DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : -errno;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (depth > 64)
            return -ELOOP;
        _cleanup_free_ char *sub = NULL;
        if (asprintf(&sub, "%s/%s", dir, de->d_name) < 0)
            return -ENOMEM;
        int r = rm_tree(sub, deadline, depth + 1);
        if (r < 0)
            return r;
    }
    return rmdir_retry(dir, deadline);
}

int cg_destroy(const struct cg *cg, struct berr **err)
{
    const struct cg_layout *l = cg_layout();
    if (cg_check_path(cg->path, err) < 0)
        return berr_prefix(err, "destroy cgroup");
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += 1;
    int first = 0;
    /* every hierarchy, even after a failure in one: leave as little behind as possible */
    for (size_t i = 0; i < l->n_hier; i++) {
        bool ours = !cg->created_in;
        for (char **p = cg->created_in; p && *p && !ours; p++)
            ours = strcmp(*p, l->hier[i].mount) == 0;
        if (!ours)
            continue;
        _cleanup_free_ char *dir = cg_dir(&l->hier[i], cg->path);
        if (!dir)
            return berr_sys(err, ENOMEM, "destroy cgroup %s", cg->path);
        int r = rm_tree(dir, &deadline, 0);
        if (r < 0 && first == 0)
            first = berr_sys(err, -r, "destroy cgroup %s", dir);
    }
    return first;
}

/* ---- stats ---- */

static uint64_t read_u64_or0(const char *dir, const char *file)
{
    _cleanup_free_ char *t = NULL;
    uint64_t v = 0;
    if (cg_read(dir, file, &t) == 0 && cg_parse_u64(t, &v) == 0)
        return v;
    return 0;
}

static uint64_t read_keyed_or0(const char *dir, const char *file, const char *key)
{
    _cleanup_free_ char *t = NULL;
    uint64_t v = 0;
    if (cg_read(dir, file, &t) == 0 && cg_keyed_u64(t, key, &v) == 0)
        return v;
    return 0;
}

uint64_t cg_oom_kills(const struct cg *cg)
{
    const struct cg_hier *h = ctrl_hier(cg_layout(), CG_MEMORY);
    if (!h)
        return 0;
    _cleanup_free_ char *dir = cg_dir(h, cg->path);
    if (!dir)
        return 0;
    return h->v2 ? read_keyed_or0(dir, "memory.events", "oom_kill")
                 : read_keyed_or0(dir, "memory.oom_control", "oom_kill");
}

int cg_stats(const struct cg *cg, struct cg_stats *ret, struct berr **err)
{
    const struct cg_layout *l = cg_layout();
    struct cg_stats s = {0};
    const struct cg_hier *ph = procs_hier(l);
    _cleanup_free_ char *pdir = ph ? cg_dir(ph, cg->path) : NULL;
    if (!pdir || !dir_exists(pdir))
        return berr_set(err, BERR_NOT_FOUND, ENOENT, "stats of cgroup %s: not found", cg->path);

    /* Values a host cannot give (controller missing) stay 0; limits with no limit are
     * UINT64_MAX. */
    if (l->v1[CG_CPUACCT] >= 0) {
        _cleanup_free_ char *d = cg_dir(&l->hier[l->v1[CG_CPUACCT]], cg->path);
        if (d)
            s.cpu_usage_ns = read_u64_or0(d, "cpuacct.usage");
    } else if (l->unified >= 0) {
        /* cpu.stat's usage_usec is in the core, there without the cpu controller */
        _cleanup_free_ char *d = cg_dir(&l->hier[l->unified], cg->path);
        if (d)
            s.cpu_usage_ns = read_keyed_or0(d, "cpu.stat", "usage_usec") * 1000;
    }
    const struct cg_hier *h = ctrl_hier(l, CG_MEMORY);
    if (h) {
        _cleanup_free_ char *d = cg_dir(h, cg->path);
        if (d && h->v2) {
            s.memory_usage = read_u64_or0(d, "memory.current");
            s.memory_limit = read_u64_or0(d, "memory.max");
            s.memory_max_usage = read_u64_or0(d, "memory.peak");
        } else if (d) {
            s.memory_usage = read_u64_or0(d, "memory.usage_in_bytes");
            s.memory_limit = read_u64_or0(d, "memory.limit_in_bytes");
            s.memory_max_usage = read_u64_or0(d, "memory.max_usage_in_bytes");
        }
    }
    h = ctrl_hier(l, CG_PIDS);
    if (h) {
        _cleanup_free_ char *d = cg_dir(h, cg->path);
        if (d) {
            s.pids_current = read_u64_or0(d, "pids.current");
            s.pids_limit = read_u64_or0(d, "pids.max");
        }
    }
    s.oom_kills = cg_oom_kills(cg);
    *ret = s;
    return 0;
}

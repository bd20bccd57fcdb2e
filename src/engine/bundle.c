/* bundle.c - a container's runtime spec from an image config and `run` options */
#include "bundle.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/quote.h"
#include "linux/seccomp.h"
#include "oci/runtime-spec.h"
#include <ctype.h>
#include <fcntl.h>
#include <math.h>
#include <dirent.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Docker's default capabilities */
static const char *const docker_caps[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
    NULL,
};

static const char *const docker_masked[] = {
    "/proc/asound",
    "/proc/acpi",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
    NULL,
};

static const char *const docker_readonly[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Reads /etc/passwd or /etc/group of the root filesystem; NULL if there is none. Only a
 * regular file of sane size counts: an image's /etc/passwd may be a fifo or a device node,
 * which must not block, or be opened for real, on the host. */
static char *read_db(int rootfd, const char *path)
{
    int fd = fs_openat_in_root(rootfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
    if (fd < 0)
        return NULL;
    _cleanup_close_ int f = fd;
    struct stat sb;
    if (fstat(f, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > (16 << 20))
        return NULL;
    char *buf = calloc(1, sb.st_size + 1);
    if (!buf)
        return NULL;
    ssize_t n = pread(f, buf, sb.st_size, 0);
    if (n < 0) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    return buf;
}

/* Finds a line of a colon-separated database whose field 0 (name) or field 2 (id) matches. */
static bool db_find(char *db, const char *name, long id, char **fields, int nfields)
{
    char *save = NULL;
    for (char *line = db ? strtok_r(db, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        int n = 0;
        char *p = line;
        while (n < nfields) {
            fields[n++] = p;
            char *c = strchr(p, ':');
            if (!c)
                break;
            *c = 0;
            p = c + 1;
        }
        if (n < nfields && n < 4)
            continue; /* passwd needs name, password, uid, gid; group name, password, gid */
        uint32_t v;
        if ((name && strcmp(fields[0], name) == 0) ||
            (!name && spec_parse_id(fields[2], &v) == 0 && v == id))
            return true;
    }
    return false;
}

/* A uid or gid, given or read from the image's /etc/passwd or /etc/group: 0 to 2^32-2. A
 * larger number must not wrap (4294967296 would be root). */
static int parse_id(const char *s, const char *what, const char *src, uint32_t *ret,
                    struct berr **err)
{
    if (spec_parse_id(s, ret) < 0)
        return berr_set(err, BERR_INVALID, ERANGE, "%s \"%s\"%s: a %s is 0 to %u", what, s, src,
                        what, SPEC_ID_MAX);
    return 0;
}

int bundle_resolve_user(int rootfd, const char *spec, uint32_t *ret_uid, uint32_t *ret_gid,
                        uint32_t **ret_groups, size_t *ret_ngroups, struct berr **err)
{
    _cleanup_free_ char *copy = strdup(spec && *spec ? spec : "0");
    char *group = strchr(copy, ':');
    if (group)
        *group++ = 0;
    const char *user = copy;
    uint32_t uid = 0, gid = 0;
    bool have_gid = false;
    _cleanup_free_ char *passwd = read_db(rootfd, "/etc/passwd");
    _cleanup_free_ char *username = NULL;
    char *f[7] = {0};
    if (all_digits(user)) {
        if (parse_id(user, "uid", "", &uid, err) < 0)
            return -1;
        /* a uid need not be in /etc/passwd; if it is, its group is the default */
        _cleanup_free_ char *copydb = passwd ? strdup(passwd) : NULL;
        if (copydb && db_find(copydb, NULL, uid, f, 7)) {
            if (parse_id(f[3], "gid", " in /etc/passwd", &gid, err) < 0)
                return -1;
            have_gid = true;
            username = strdup(f[0]);
        }
    } else {
        _cleanup_free_ char *copydb = passwd ? strdup(passwd) : NULL;
        if (!copydb || !db_find(copydb, user, 0, f, 7))
            return berr_set(err, BERR_INVALID, ENOENT,
                            "unable to find user %s: no matching entries in passwd file", user);
        if (parse_id(f[2], "uid", " in /etc/passwd", &uid, err) < 0 ||
            parse_id(f[3], "gid", " in /etc/passwd", &gid, err) < 0)
            return -1;
        have_gid = true;
        username = strdup(f[0]);
    }
    _cleanup_free_ char *groupdb = read_db(rootfd, "/etc/group");
    if (group) {
        if (all_digits(group)) {
            if (parse_id(group, "gid", "", &gid, err) < 0)
                return -1;
        } else {
            _cleanup_free_ char *copydb = groupdb ? strdup(groupdb) : NULL;
            if (!copydb || !db_find(copydb, group, 0, f, 4))
                return berr_set(err, BERR_INVALID, ENOENT,
                                "unable to find group %s: no matching entries in group file",
                                group);
            if (parse_id(f[2], "gid", " in /etc/group", &gid, err) < 0)
                return -1;
        }
        have_gid = true;
    }
    if (!have_gid)
        gid = 0;
    /* supplementary groups: those that list the user by name */
    uint32_t *groups = NULL;
    size_t ng = 0;
    if (username && groupdb) {
        char *save = NULL;
        for (char *line = strtok_r(groupdb, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
            char *g[4] = {0};
            int n = 0;
            char *p = line;
            while (n < 4) {
                g[n++] = p;
                char *c = strchr(p, ':');
                if (!c)
                    break;
                *c = 0;
                p = c + 1;
            }
            if (n < 4 || !g[3][0])
                continue;
            char *s2 = NULL;
            for (char *m = strtok_r(g[3], ",", &s2); m; m = strtok_r(NULL, ",", &s2)) {
                uint32_t sg;
                if (strcmp(m, username) != 0)
                    continue;
                if (spec_parse_id(g[2], &sg) < 0) {
                    free(groups);
                    return berr_set(err, BERR_INVALID, ERANGE,
                                    "gid \"%s\" of group %s in /etc/group: a gid is 0 to %u", g[2],
                                    g[0], SPEC_ID_MAX);
                }
                uint32_t *ng2 = realloc(groups, (ng + 1) * sizeof(uint32_t));
                if (ng2) {
                    groups = ng2;
                    groups[ng++] = sg;
                }
            }
        }
    }
    *ret_uid = uid;
    *ret_gid = gid;
    *ret_groups = groups;
    *ret_ngroups = ng;
    return 0;
}

static size_t strv_len(char **v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

char **bundle_args(json_t *cfg, const struct bundle_opts *o, struct berr **err)
{
    json_t *c = json_object_get(cfg, "config");
    json_t *ep = json_object_get(c, "Entrypoint"), *cmd = json_object_get(c, "Cmd");
    /* the image config comes from strangers: every element must be a string */
    static const char *names[] = {"Entrypoint", "Cmd"};
    json_t *lists[] = {ep, cmd};
    for (int l = 0; l < 2; l++) {
        if (lists[l] && !json_is_array(lists[l]) && !json_is_null(lists[l])) {
            berr_set(err, BERR_INVALID, EINVAL, "image config: %s is not a list", names[l]);
            return NULL;
        }
        size_t i;
        json_t *v;
        json_array_foreach(lists[l], i, v) if (!json_is_string(v))
        {
            berr_set(err, BERR_INVALID, EINVAL, "image config: %s[%zu] is not a string", names[l],
                     i);
            return NULL;
        }
    }
    size_t nep = o->entrypoint ? (o->entrypoint[0] ? 1 : 0) : json_array_size(ep);
    size_t ncmd = o->cmd ? strv_len(o->cmd) : (o->entrypoint ? 0 : json_array_size(cmd));
    if (nep + ncmd == 0) {
        berr_set(err, BERR_INVALID, EINVAL, "no command specified");
        return NULL;
    }
    char **args = calloc(nep + ncmd + 1, sizeof(char *));
    size_t k = 0;
    for (size_t i = 0; i < nep; i++)
        args[k++] =
            strdup(o->entrypoint ? o->entrypoint : json_string_value(json_array_get(ep, i)));
    for (size_t i = 0; i < ncmd; i++)
        args[k++] = strdup(o->cmd ? o->cmd[i] : json_string_value(json_array_get(cmd, i)));
    return args;
}

static json_t *strs(const char *const *v)
{
    json_t *a = json_array();
    for (; v && *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

bool bundle_utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        int n = c < 0x80                 ? 0
                : c >= 0xc2 && c <= 0xdf ? 1
                : c >= 0xe0 && c <= 0xef ? 2
                : c >= 0xf0 && c <= 0xf4 ? 3
                                         : -1;
        if (n < 0)
            return false;
        uint32_t cp = n == 0 ? c : c & (0x3f >> n);
        for (int k = 1; k <= n; k++) {
            if ((p[k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[k] & 0x3f);
        }
        /* overlong forms, UTF-16 surrogates and code points past U+10FFFF, as jansson */
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        p += n + 1;
    }
    return true;
}

int bundle_text_check(const char *what, const char *s, struct berr **err)
{
    if (bundle_utf8_valid(s))
        return 0;
    char q[QUOTE_SIZE];
    quote_str(q, sizeof(q), s);
    return berr_set(err, BERR_INVALID, EILSEQ,
                    "%s %s is not valid UTF-8: the container's config is JSON, which holds UTF-8 "
                    "text only",
                    what, q);
}

int bundle_env_merge(json_t *env, char *const *kvs, struct berr **err)
{
    /* an index of the names to their places: one pass, not a search per variable (200,000
     * lines of an --env-file were minutes of CPU) */
    json_t *index __attribute__((cleanup(json_decrefp))) = json_object();
    size_t i;
    json_t *v;
    json_array_foreach(env, i, v)
    {
        const char *e = json_string_value(v);
        const char *eq = e ? strchr(e, '=') : NULL;
        if (eq)
            json_object_setn_new_nocheck(index, e, eq - e, json_integer(i));
    }
    for (char *const *kv = kvs; kv && *kv; kv++) {
        int r = bundle_text_check("environment variable", *kv, err);
        if (r < 0)
            return r;
        size_t kl = strchr(*kv, '=') ? (size_t)(strchr(*kv, '=') - *kv) : strlen(*kv);
        json_t *at = json_object_getn(index, *kv, kl);
        if (at) {
            json_array_set_new(env, json_integer_value(at), json_string(*kv));
        } else {
            json_object_setn_new_nocheck(index, *kv, kl, json_integer(json_array_size(env)));
            json_array_append_new(env, json_string(*kv));
        }
    }
    return 0;
}

void bundle_env_set(json_t *env, const char *kv)
{
    size_t kl = strchr(kv, '=') ? (size_t)(strchr(kv, '=') - kv) : strlen(kv);
    size_t i;
    json_t *v;
    json_array_foreach(env, i, v)
    {
        const char *e = json_string_value(v);
        if (strncmp(e, kv, kl) == 0 && e[kl] == '=') {
            json_array_set_new(env, i, json_string(kv));
            return;
        }
    }
    json_array_append_new(env, json_string(kv));
}

/* "net_admin", "NET_ADMIN", "CAP_NET_ADMIN" -> the bit; -1 if unknown */
static int cap_bit(const char *name)
{
    char full[64];
    snprintf(full, sizeof(full), "%s%s", strncasecmp(name, "CAP_", 4) ? "CAP_" : "", name);
    return spec_cap_from_name(full);
}

/* docker's order: with --cap-add ALL every capability, less the dropped; with --cap-drop ALL
 * none, plus the added; otherwise the defaults, less the dropped, plus the added */
static int caps_adjust(uint64_t *mask, char **add, char **drop, struct berr **err)
{
    uint64_t all = cap_max_bits() >= 64 ? ~0ULL : (1ULL << cap_max_bits()) - 1;
    uint64_t plus = 0, minus = 0;
    bool add_all = false, drop_all = false;
    for (int pass = 0; pass < 2; pass++)
        for (char **c = pass ? drop : add; c && *c; c++) {
            if (!strcasecmp(*c, "ALL")) {
                *(pass ? &drop_all : &add_all) = true;
                continue;
            }
            int bit = cap_bit(*c);
            if (bit < 0 || bit >= 64)
                return berr_set(err, BERR_INVALID, EINVAL, "unknown capability \"%s\"", *c);
            *(pass ? &minus : &plus) |= 1ULL << bit;
        }
    if (add_all)
        *mask = all & ~minus;
    else if (drop_all)
        *mask = plus & all;
    else
        *mask = ((*mask & ~minus) | plus) & all;
    return 0;
}

static json_t *caps_json(uint64_t mask)
{
    json_t *a = json_array();
    for (int b = 0; b < 64; b++)
        if (mask & (1ULL << b))
            json_array_append_new(a, json_string(spec_cap_name(b)));
    return a;
}

uint64_t bundle_all_caps(void)
{
    uint64_t mask = 0;
    for (int b = 0; b < cap_max_bits() && b < 64; b++)
        if (prctl(PR_CAPBSET_READ, b, 0, 0, 0) == 1)
            mask |= 1ULL << b;
    return mask;
}

#if defined(__x86_64__)
#define NATIVE_ARCH "SCMP_ARCH_X86_64"
#elif defined(__aarch64__)
#define NATIVE_ARCH "SCMP_ARCH_AARCH64"
#elif defined(__i386__)
#define NATIVE_ARCH "SCMP_ARCH_X86"
#elif defined(__arm__)
#define NATIVE_ARCH "SCMP_ARCH_ARM"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_ARCH "SCMP_ARCH_PPC64LE"
#elif defined(__s390x__)
#define NATIVE_ARCH "SCMP_ARCH_S390X"
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_ARCH "SCMP_ARCH_RISCV64"
#else
#define NATIVE_ARCH ""
#endif

static bool str_in(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i,
                       v) if (json_is_string(v) && !strcmp(json_string_value(v), s)) return true;
    return false;
}

/* "4.8" against the running kernel's release ("6.1.0-18-amd64") */
static bool kernel_at_least(const char *want)
{
    struct utsname u;
    int a = 0, b = 0, x = 0, y = 0;
    if (uname(&u) < 0 || sscanf(want, "%d.%d", &a, &b) < 1 ||
        sscanf(u.release, "%d.%d", &x, &y) < 1)
        return true;
    return x > a || (x == a && y >= b);
}

/* Does the rule apply to this host and this container's capabilities? Docker's semantics:
 * every included capability held, none of the excluded; the native architecture among the
 * included ones and not among the excluded; the kernel at least minKernel. */
static bool rule_applies(json_t *rule, uint64_t caps, const char *where, struct berr **err)
{
    for (int pass = 0; pass < 2; pass++) {
        json_t *sel = json_object_get(rule, pass ? "excludes" : "includes");
        if (!sel)
            continue;
        if (!json_is_object(sel)) {
            berr_set(err, BERR_INVALID, EINVAL, "%s.%s: not an object", where,
                     pass ? "excludes" : "includes");
            return false;
        }
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(sel, "caps"), i, v)
        {
            int bit = json_is_string(v) ? cap_bit(json_string_value(v)) : -1;
            bool held = bit >= 0 && bit < 64 && (caps & (1ULL << bit));
            if (pass ? held : !held)
                return false;
        }
        json_t *arches = json_object_get(sel, "arches");
        if (json_array_size(arches) && str_in(arches, NATIVE_ARCH) == (bool)pass)
            return false;
        const char *mk = json_string_value(json_object_get(sel, "minKernel"));
        if (!pass && mk && !kernel_at_least(mk))
            return false;
    }
    return true;
}

json_t *bundle_seccomp_profile(json_t *d, uint64_t caps, struct berr **err)
{
    if (!json_is_object(d)) {
        berr_set(err, BERR_INVALID, EINVAL, "a seccomp profile is a JSON object");
        return NULL;
    }
    const char *def = json_string_value(json_object_get(d, "defaultAction"));
    if (!def) {
        berr_set(err, BERR_INVALID, EINVAL, "defaultAction: missing");
        return NULL;
    }
    json_t *out = json_pack("{s:s}", "defaultAction", def);
    json_t *v;
    if ((v = json_object_get(d, "defaultErrnoRet")))
        json_object_set(out, "defaultErrnoRet", v);
    if ((v = json_object_get(d, "flags")))
        json_object_set(out, "flags", v);
    if ((v = json_object_get(d, "listenerPath")))
        json_object_set(out, "listenerPath", v);
    /* archMap: the native architecture's entry, with its sub-architectures */
    json_t *arches = json_array();
    size_t i;
    json_array_foreach(json_object_get(d, "archMap"), i, v)
    {
        if (strcmp(json_string_value(json_object_get(v, "architecture")) ?: "", NATIVE_ARCH) != 0)
            continue;
        json_array_append_new(arches, json_string(NATIVE_ARCH));
        json_array_extend(arches, json_object_get(v, "subArchitectures") ?: json_array());
    }
    if (!json_object_get(d, "archMap") && json_is_array(json_object_get(d, "architectures")))
        json_array_extend(arches, json_object_get(d, "architectures"));
    if (json_array_size(arches))
        json_object_set_new(out, "architectures", arches);
    else
        json_decref(arches);
    json_t *calls = json_array();
    json_object_set_new(out, "syscalls", calls);
    json_array_foreach(json_object_get(d, "syscalls"), i, v)
    {
        char where[64];
        snprintf(where, sizeof(where), "syscalls[%zu]", i);
        struct berr *e = NULL;
        if (!rule_applies(v, caps, where, &e)) {
            if (e) {
                *err = e;
                json_decref(out);
                return NULL;
            }
            continue;
        }
        json_t *names = json_object_get(v, "names");
        json_t *name = json_object_get(v, "name"); /* the old one-name form */
        const char *action = json_string_value(json_object_get(v, "action"));
        if ((!json_array_size(names) && !json_is_string(name)) || !action) {
            berr_set(err, BERR_INVALID, EINVAL, "%s: needs names and an action", where);
            json_decref(out);
            return NULL;
        }
        json_t *r =
            json_pack("{s:o,s:s}", "names", names ? json_incref(names) : json_pack("[O]", name),
                      "action", action);
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) if (!strcmp(k, "args") || !strcmp(k, "errnoRet"))
            json_object_set(r, k, x);
        json_array_append_new(calls, r);
    }
    return out;
}

/* --privileged: every device of the host's /dev (as docker: not the pty, shm and mqueue
 * file systems, nor the console) */
static void add_host_devices(json_t *devs, const char *path, int depth)
{
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        if (n[0] == '.' ||
            (depth == 0 && (!strcmp(n, "pts") || !strcmp(n, "shm") || !strcmp(n, "mqueue") ||
                            !strcmp(n, "fd") || !strcmp(n, "console"))))
            continue;
        char full[PATH_MAX];
        snprintf(full, sizeof(full), "%s/%s", path, n);
        struct stat st;
        if (lstat(full, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode) && depth < 4)
            add_host_devices(devs, full, depth + 1);
        else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
            json_array_append_new(devs, json_pack("{s:s,s:s,s:I,s:I,s:i,s:i,s:i}", "path", full,
                                                  "type", S_ISCHR(st.st_mode) ? "c" : "b", "major",
                                                  (json_int_t)major(st.st_rdev), "minor",
                                                  (json_int_t)minor(st.st_rdev), "fileMode",
                                                  (int)(st.st_mode & 0777), "uid", (int)st.st_uid,
                                                  "gid", (int)st.st_gid));
    }
    closedir(d);
}

json_t *bundle_caps(uint64_t mask)
{
    return json_pack("{s:o,s:o,s:o}", "bounding", caps_json(mask), "effective", caps_json(mask),
                     "permitted", caps_json(mask));
}

int bundle_parse_bytes(const char *s, int64_t *ret, struct berr **err)
{
    char *end;
    double v = strtod(s, &end);
    double mult = 1;
    switch (*end | 0x20) {
    case 'k':
        mult = 1024.0;
        end++;
        break;
    case 'm':
        mult = 1024.0 * 1024;
        end++;
        break;
    case 'g':
        mult = 1024.0 * 1024 * 1024;
        end++;
        break;
    case 't':
        mult = 1024.0 * 1024 * 1024 * 1024;
        end++;
        break;
    default: break;
    }
    if (*end == 'b' || *end == 'B')
        end++;
    if (end == s || *end || !isfinite(v) || v < 0 || v * mult > 9.2e18)
        return berr_set(err, BERR_INVALID, EINVAL,
                        "invalid size \"%s\": give bytes, or a number with k, m, g", s);
    *ret = (int64_t)(v * mult);
    return 0;
}

int bundle_set_resources(json_t *spec, const struct bundle_resources *r, struct berr **err)
{
    if (r->memory && r->memory < 6 * 1024 * 1024)
        return berr_set(err, BERR_INVALID, EINVAL, "--memory: the minimum memory limit is 6MB");
    if (r->memory_swap > 0 && !r->memory)
        return berr_set(err, BERR_INVALID, EINVAL,
                        "--memory-swap: give --memory too (the swap limit is memory plus swap)");
    if (r->memory_swap > 0 && r->memory_swap < r->memory)
        return berr_set(err, BERR_INVALID, EINVAL,
                        "--memory-swap: it must be at least --memory (it is memory plus swap)");
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (r->nano_cpus < 0 || (ncpu > 0 && r->nano_cpus > ncpu * 1000000000LL))
        return berr_set(err, BERR_INVALID, EINVAL, "--cpus: give a number from 0.01 to %ld", ncpu);
    if (r->nano_cpus && r->nano_cpus < 10000000)
        return berr_set(err, BERR_INVALID, EINVAL, "--cpus: the minimum is 0.01");
    if (r->cpuset_cpus &&
        (!*r->cpuset_cpus || strspn(r->cpuset_cpus, "0123456789,-") != strlen(r->cpuset_cpus)))
        return berr_set(err, BERR_INVALID, EINVAL,
                        "--cpuset-cpus %s: give CPUs as a list, as 0-3 or 0,2", r->cpuset_cpus);
    json_t *lx = json_object_get(spec, "linux");
    json_t *res = json_object_get(lx, "resources");
    if (!res)
        json_object_set_new(lx, "resources", res = json_object());
    if (r->memory) {
        json_t *m = json_pack("{s:I}", "limit", (json_int_t)r->memory);
        /* docker's default: as much swap as memory; -1 unlimited */
        json_int_t swap = r->memory_swap ? r->memory_swap : 2 * r->memory;
        json_object_set_new(m, "swap", json_integer(swap));
        json_object_set_new(res, "memory", m);
    }
    json_t *cpu = json_object();
    if (r->nano_cpus) {
        json_object_set_new(cpu, "period", json_integer(100000));
        json_object_set_new(cpu, "quota", json_integer(r->nano_cpus / 10000));
    }
    if (r->cpu_shares)
        json_object_set_new(cpu, "shares", json_integer(r->cpu_shares));
    if (r->cpuset_cpus)
        json_object_set_new(cpu, "cpus", json_string(r->cpuset_cpus));
    if (json_object_size(cpu))
        json_object_set_new(res, "cpu", cpu);
    else
        json_decref(cpu);
    if (r->pids_limit)
        json_object_set_new(res, "pids", json_pack("{s:I}", "limit", (json_int_t)r->pids_limit));
    return 0;
}

json_t *bundle_spec(json_t *cfg, const char *rootfs, const struct bundle_opts *o, struct berr **err)
{
    json_t *c = json_object_get(cfg, "config");
    _cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        berr_sys(err, errno, "root filesystem %s", rootfs);
        return NULL;
    }
    _cleanup_strv_ char **args = bundle_args(cfg, o, err);
    if (!args)
        return NULL;
    const char *userspec = o->user ? o->user : json_string_value(json_object_get(c, "User"));
    uint32_t uid, gid;
    _cleanup_free_ uint32_t *groups = NULL;
    size_t ngroups = 0;
    if (bundle_resolve_user(rootfd, userspec, &uid, &gid, &groups, &ngroups, err) < 0)
        return NULL;

    if (o->hostname && bundle_text_check("hostname", o->hostname, err) < 0)
        return NULL;
    /* Env: PATH by default, the image's, then -e; HOSTNAME; TERM with a tty */
    json_t *env = json_array();
    bundle_env_set(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(c, "Env"), i, v) if (json_is_string(v))
        bundle_env_set(env, json_string_value(v));
    if (o->hostname) {
        char h[300];
        snprintf(h, sizeof(h), "HOSTNAME=%s", o->hostname);
        bundle_env_set(env, h);
    }
    if (o->tty)
        bundle_env_set(env, "TERM=xterm");
    if (bundle_env_merge(env, o->env, err) < 0) {
        json_decref(env);
        return NULL;
    }

    uint64_t capmask = 0;
    for (const char *const *cp = docker_caps; *cp; cp++)
        capmask |= 1ULL << spec_cap_from_name(*cp);
    if (o->privileged)
        capmask = bundle_all_caps();
    if (caps_adjust(&capmask, o->cap_add, o->cap_drop, err) < 0)
        return NULL;
    json_t *seccomp = NULL;
    if (o->seccomp && !o->privileged) {
        seccomp = bundle_seccomp_profile(o->seccomp, capmask, err);
        if (!seccomp) {
            berr_prefix(err, "seccomp profile");
            return NULL;
        }
    } else if (!o->privileged && !o->seccomp_unconfined) {
        seccomp = seccomp_default_profile(capmask);
    }
    json_t *caps = bundle_caps(capmask);

    json_t *argv = json_array();
    for (char **a = args; *a; a++)
        json_array_append_new(argv, json_string(*a));
    json_t *gids = json_array();
    for (size_t g = 0; g < ngroups; g++)
        json_array_append_new(gids, json_integer(groups[g]));
    const char *wd = o->workdir ? o->workdir : json_string_value(json_object_get(c, "WorkingDir"));
    json_t *process =
        json_pack("{s:b,s:{s:I,s:I,s:o},s:o,s:o,s:s,s:o}", "terminal", o->tty, "user", "uid",
                  (json_int_t)uid, "gid", (json_int_t)gid, "additionalGids", gids, "args", argv,
                  "env", env, "cwd", wd && *wd ? wd : "/", "capabilities", caps);
    if (o->no_new_privileges)
        json_object_set_new(process, "noNewPrivileges", json_true());

    /* /dev is a tmpfs: docker's 64 MiB cap, or a container fills the host's memory there */
    json_t *mounts = json_pack(
        "[{s:s,s:s,s:s,s:[s,s,s]},"
        "{s:s,s:s,s:s,s:[s,s,s,s]},"
        "{s:s,s:s,s:s,s:[s,s,s,s,s,s]},"
        "{s:s,s:s,s:s,s:[s,s,s]},"
        "{s:s,s:s,s:s,s:[s,s,s,s,s]},"
        "{s:s,s:s,s:s,s:[s,s,s,s]},"
        "{s:s,s:s,s:s,s:[s,s,s,s,s]}]",
        "destination", "/proc", "type", "proc", "source", "proc", "options", "nosuid", "noexec",
        "nodev", "destination", "/dev", "type", "tmpfs", "source", "tmpfs", "options", "nosuid",
        "strictatime", "mode=755", "size=65536k", "destination", "/dev/pts", "type", "devpts",
        "source", "devpts", "options", "nosuid", "noexec", "newinstance", "ptmxmode=0666",
        "mode=0620", "gid=5", "destination", "/dev/mqueue", "type", "mqueue", "source", "mqueue",
        "options", "nosuid", "noexec", "nodev", "destination", "/dev/shm", "type", "tmpfs",
        "source", "shm", "options", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k",
        "destination", "/sys", "type", "sysfs", "source", "sysfs", "options", "nosuid", "noexec",
        "nodev", "ro", "destination", "/sys/fs/cgroup", "type", "cgroup", "source", "cgroup",
        "options", "ro", "nosuid", "noexec", "nodev", "relatime");

    json_t *lx = json_pack("{s:[{s:s},{s:s},{s:s},{s:s},{s:s},{s:s}],s:{s:[{s:b,s:s}]}}",
                           "namespaces", "type", "pid", "type", "ipc", "type", "uts", "type",
                           "mount", "type", "network", "type", "cgroup", "resources", "devices",
                           "allow", o->privileged, "access", "rwm");
    if (seccomp)
        json_object_set_new(lx, "seccomp", seccomp);
    if (o->privileged) {
        /* docker's --privileged: the host's devices, all allowed; /sys and the cgroup file
         * system writable; nothing masked */
        json_t *devs = json_array();
        add_host_devices(devs, "/dev", 0);
        json_object_set_new(lx, "devices", devs);
        size_t mi;
        json_t *m;
        json_array_foreach(mounts, mi, m)
        {
            const char *dst = json_string_value(json_object_get(m, "destination"));
            if (strcmp(dst, "/sys") != 0 && strcmp(dst, "/sys/fs/cgroup") != 0)
                continue;
            json_t *opts = json_object_get(m, "options");
            for (size_t k = 0; k < json_array_size(opts); k++)
                if (!strcmp(json_string_value(json_array_get(opts, k)), "ro"))
                    json_array_set_new(opts, k, json_string("rw"));
        }
    } else {
        json_object_set_new(lx, "maskedPaths", strs(docker_masked));
        json_object_set_new(lx, "readonlyPaths", strs(docker_readonly));
    }
    json_t *spec =
        json_pack("{s:s,s:o,s:{s:s,s:b},s:o,s:o}", "ociVersion", "1.2.0", "process", process,
                  "root", "path", rootfs, "readonly", 0, "mounts", mounts, "linux", lx);
    if (o->hostname)
        json_object_set_new(spec, "hostname", json_string(o->hostname));
    /* the image's labels and stop signal travel as annotations, as containerd does */
    json_t *ann = json_object();
    const char *k;
    json_object_foreach(json_object_get(c, "Labels"), k, v) if (json_is_string(v))
        json_object_set(ann, k, v);
    const char *stop = json_string_value(json_object_get(c, "StopSignal"));
    if (stop)
        json_object_set_new(ann, "org.opencontainers.image.stopSignal", json_string(stop));
    if (json_object_size(ann))
        json_object_set_new(spec, "annotations", ann);
    else
        json_decref(ann);
    return spec;
}

int bundle_add_ulimit(json_t *spec, const char *arg, struct berr **err)
{
    const char *eq = strchr(arg, '=');
    char type[64];
    if (!eq || eq == arg || (size_t)(eq - arg) > 40)
        return berr_set(err, BERR_INVALID, EINVAL, "--ulimit %s: use NAME=SOFT[:HARD]", arg);
    snprintf(type, sizeof(type), "RLIMIT_%.*s", (int)(eq - arg), arg);
    for (char *p = type; *p; p++)
        *p = toupper((unsigned char)*p);
    if (spec_rlimit_from_name(type) < 0)
        return berr_set(err, BERR_INVALID, EINVAL, "--ulimit %s: unknown limit \"%.*s\"", arg,
                        (int)(eq - arg), arg);
    char *end;
    long long soft = strtoll(eq + 1, &end, 10), hard = soft;
    if (end == eq + 1 || (*end && *end != ':'))
        return berr_set(err, BERR_INVALID, EINVAL, "--ulimit %s: use NAME=SOFT[:HARD]", arg);
    if (*end == ':') {
        const char *h = end + 1;
        hard = strtoll(h, &end, 10);
        if (end == h || *end)
            return berr_set(err, BERR_INVALID, EINVAL, "--ulimit %s: use NAME=SOFT[:HARD]", arg);
    }
    if (soft < 0 || hard < 0)
        return berr_set(err, BERR_INVALID, EINVAL,
                        "--ulimit %s: unlimited (-1) is not supported yet: give a number", arg);
    if (soft > hard)
        return berr_set(err, BERR_INVALID, EINVAL,
                        "--ulimit %s: the soft limit must not be above the hard one", arg);
    json_t *proc = json_object_get(spec, "process");
    json_t *rl = json_object_get(proc, "rlimits");
    if (!rl)
        json_object_set_new(proc, "rlimits", rl = json_array());
    /* a later --ulimit of the same name wins */
    for (size_t i = 0; i < json_array_size(rl); i++)
        if (!strcmp(json_string_value(json_object_get(json_array_get(rl, i), "type")), type))
            json_array_remove(rl, i--);
    json_array_append_new(rl, json_pack("{s:s,s:I,s:I}", "type", type, "soft", (json_int_t)soft,
                                        "hard", (json_int_t)hard));
    return 0;
}

int bundle_add_device(json_t *spec, const char *arg, struct berr **err)
{
    _cleanup_free_ char *copy = strdup(arg);
    char *parts[3] = {0};
    int n = 0;
    for (char *save = NULL, *p = strtok_r(copy, ":", &save); p && n < 3;
         p = strtok_r(NULL, ":", &save))
        parts[n++] = p;
    const char *host = parts[0], *ctr = host, *perms = "rwm";
    if (n == 2 && parts[1][0] != '/')
        perms = parts[1];
    else if (n >= 2)
        ctr = parts[1];
    if (n == 3)
        perms = parts[2];
    struct stat st;
    if (!host || host[0] != '/' || !ctr || ctr[0] != '/')
        return berr_set(err, BERR_INVALID, EINVAL, "--device %s: use /dev/HOST[:/dev/CTR][:rwm]",
                        arg);
    if (!*perms || strspn(perms, "rwm") != strlen(perms))
        return berr_set(err, BERR_INVALID, EINVAL, "--device %s: permissions are r, w and m", arg);
    /* the runtime allows what linux.devices lists with rwm (as runc does): a narrower
     * permission would not hold */
    if (strlen(perms) != 3 || !strchr(perms, 'r') || !strchr(perms, 'w') || !strchr(perms, 'm'))
        return berr_set(err, BERR_INVALID, EINVAL,
                        "--device %s: permissions other than rwm are not supported yet", arg);
    if (stat(host, &st) < 0)
        return berr_sys(err, errno, "--device %s", host);
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
        return berr_set(err, BERR_INVALID, EINVAL, "--device %s: not a device", host);
    const char *type = S_ISCHR(st.st_mode) ? "c" : "b";
    json_t *lx = json_object_get(spec, "linux");
    json_t *devs = json_object_get(lx, "devices");
    if (!devs)
        json_object_set_new(lx, "devices", devs = json_array());
    json_array_append_new(devs, json_pack("{s:s,s:s,s:I,s:I,s:i,s:i,s:i}", "path", ctr, "type",
                                          type, "major", (json_int_t)major(st.st_rdev), "minor",
                                          (json_int_t)minor(st.st_rdev), "fileMode",
                                          (int)(st.st_mode & 0777), "uid", 0, "gid", 0));
    json_t *res = json_object_get(lx, "resources");
    json_array_append_new(json_object_get(res, "devices"),
                          json_pack("{s:b,s:s,s:I,s:I,s:s}", "allow", 1, "type", type, "major",
                                    (json_int_t)major(st.st_rdev), "minor",
                                    (json_int_t)minor(st.st_rdev), "access", perms));
    return 0;
}

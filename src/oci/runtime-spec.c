/* runtime-spec.c - config.json <-> structs, with errors that name the field */
#include "runtime-spec.h"
#include "base/cleanup.h"
#include <linux/sched.h>
#include <sched.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* ---- small typed getters; each names the field on error ---- */

static int bad(struct berr **err, const char *field, const char *what)
{
    return berr_set(err, BERR_INVALID, EINVAL, "%s: %s", field, what);
}

static int get_str(json_t *o, const char *key, const char *field, char **out, bool required,
                   struct berr **err)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) {
        if (required)
            return berr_set(err, BERR_INVALID, EINVAL, "%s.%s: missing", field, key);
        return 0;
    }
    if (!json_is_string(v))
        return berr_set(err, BERR_INVALID, EINVAL, "%s.%s: must be a string", field, key);
    *out = xstrdup(json_string_value(v));
    return 0;
}

static int get_bool(json_t *o, const char *key, const char *field, bool *out, bool *has,
                    struct berr **err)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return berr_set(err, BERR_INVALID, EINVAL, "%s.%s: must be a boolean", field, key);
    *out = json_is_true(v);
    if (has)
        *has = true;
    return 0;
}

static int get_i64(json_t *o, const char *key, const char *field, opt_i64 *out, struct berr **err)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v))
        return berr_set(err, BERR_INVALID, EINVAL, "%s.%s: must be an integer", field, key);
    out->set = true;
    out->v = json_integer_value(v);
    return 0;
}

static int get_u64(json_t *o, const char *key, const char *field, opt_u64 *out, struct berr **err)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return 0;
    /* jansson holds integers as signed 64 bit; a larger value arrives as a real */
    if (json_is_real(v) && json_real_value(v) >= 9.2e18 && json_real_value(v) < 1.85e19) {
        out->set = true;
        out->v = (uint64_t)json_real_value(v);
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return berr_set(err, BERR_INVALID, EINVAL, "%s.%s: must be a non-negative integer", field,
                        key);
    out->set = true;
    out->v = (uint64_t)json_integer_value(v);
    return 0;
}

static int get_u32(json_t *o, const char *key, const char *field, uint32_t *out, bool required,
                   struct berr **err)
{
    opt_u64 v = {0};
    int r = get_u64(o, key, field, &v, err);
    if (r < 0)
        return r;
    if (!v.set) {
        if (required)
            return berr_set(err, BERR_INVALID, EINVAL, "%s.%s: missing", field, key);
        return 0;
    }
    if (v.v > UINT32_MAX)
        return berr_set(err, BERR_INVALID, EINVAL, "%s.%s: out of range", field, key);
    *out = (uint32_t)v.v;
    return 0;
}

/* A uid or gid: 0 to 2^32-2. (uid_t)-1 means "no change" to setresuid and chown, and a value
 * past 32 bits would wrap to another (4294967296 is root), so neither is a user. */
static int get_id(json_t *o, const char *key, const char *field, uint32_t *out, struct berr **err)
{
    opt_u64 v = {0};
    int r = get_u64(o, key, field, &v, err);
    if (r < 0)
        return r;
    if (!v.set)
        return berr_set(err, BERR_INVALID, EINVAL, "%s.%s: missing", field, key);
    if (v.v > SPEC_ID_MAX)
        return berr_set(err, BERR_INVALID, EINVAL, "%s.%s: %" PRIu64 " is out of range (0 to %u)",
                        field, key, v.v, SPEC_ID_MAX);
    *out = (uint32_t)v.v;
    return 0;
}

int spec_parse_id(const char *s, uint32_t *ret)
{
    if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
        return -1;
    unsigned long long v = strtoull(s, NULL, 10);
    if (v > SPEC_ID_MAX)
        return -1;
    *ret = (uint32_t)v;
    return 0;
}

static json_t *get_obj(json_t *o, const char *key, const char *field, struct berr **err, int *r)
{
    json_t *v = json_object_get(o, key);
    *r = 0;
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_object(v)) {
        *r = berr_set(err, BERR_INVALID, EINVAL, "%s.%s: must be an object", field, key);
        return NULL;
    }
    return v;
}

static json_t *get_arr(json_t *o, const char *key, const char *field, struct berr **err, int *r)
{
    json_t *v = json_object_get(o, key);
    *r = 0;
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_array(v)) {
        *r = berr_set(err, BERR_INVALID, EINVAL, "%s.%s: must be an array", field, key);
        return NULL;
    }
    return v;
}

static int get_strv(json_t *o, const char *key, const char *field, char ***out, struct berr **err)
{
    int r;
    json_t *a = get_arr(o, key, field, err, &r);
    if (!a)
        return r;
    size_t n = json_array_size(a);
    char **v = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(a, i);
        if (!json_is_string(s)) {
            strv_free(v);
            return berr_set(err, BERR_INVALID, EINVAL, "%s.%s[%zu]: must be a string", field, key,
                            i);
        }
        v[i] = xstrdup(json_string_value(s));
    }
    *out = v;
    return 0;
}

static int get_kv(json_t *o, const char *key, const char *field, struct spec_kv **out, size_t *n,
                  struct berr **err)
{
    int r;
    json_t *m = get_obj(o, key, field, err, &r);
    if (!m)
        return r;
    *n = json_object_size(m);
    *out = xcalloc(*n + 1, sizeof(**out));
    const char *k;
    json_t *v;
    size_t i = 0;
    json_object_foreach(m, k, v)
    {
        if (!json_is_string(v))
            return berr_set(err, BERR_INVALID, EINVAL, "%s.%s.%s: must be a string", field, key, k);
        (*out)[i].key = xstrdup(k);
        (*out)[i].value = xstrdup(json_string_value(v));
        i++;
    }
    return 0;
}

static void kv_free(struct spec_kv *kv, size_t n)
{
    for (size_t i = 0; kv && i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

/* ---- names ---- */

static const struct {
    const char *name;
    int type;
} ns_names[] = {
    {"pid", CLONE_NEWPID},       {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
    {"ipc", CLONE_NEWIPC},       {"uts", CLONE_NEWUTS},     {"user", CLONE_NEWUSER},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

int spec_ns_from_name(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(ns_names); i++)
        if (strcmp(ns_names[i].name, name) == 0)
            return ns_names[i].type;
    return 0;
}

const char *spec_ns_name(int type)
{
    for (size_t i = 0; i < ARRAY_SIZE(ns_names); i++)
        if (ns_names[i].type == type)
            return ns_names[i].name;
    return "?";
}

int spec_cap_from_name(const char *name)
{
    cap_value_t c;
    if (strncasecmp(name, "CAP_", 4) != 0 || cap_from_name(name, &c) < 0)
        return -1;
    return c;
}

const char *spec_cap_name(int cap)
{
    static __thread char buf[64]; /* the engine runs in a daemon's threads */
    char *n = cap_to_name(cap);
    if (!n)
        return "?";
    snprintf(buf, sizeof(buf), "%s", n);
    for (char *p = buf; *p; p++)
        *p = toupper(*p);
    cap_free(n);
    return buf;
}

static const struct {
    const char *name;
    int res;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

int spec_rlimit_from_name(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
        if (strcmp(rlimit_names[i].name, name) == 0)
            return rlimit_names[i].res;
    return -1;
}

/* ---- mounts ---- */

static const struct {
    const char *name;
    bool clear;
    unsigned long flag;
} mount_flags[] = {
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"silent", false, MS_SILENT},
    {"loud", true, MS_SILENT},
    {"lazytime", false, MS_LAZYTIME},
    {"nolazytime", true, MS_LAZYTIME},
    {"defaults", false, 0},
};

static const struct {
    const char *name;
    unsigned long flag;
} propagation_flags[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

static unsigned long propagation_from_name(const char *n)
{
    for (size_t i = 0; i < ARRAY_SIZE(propagation_flags); i++)
        if (strcmp(propagation_flags[i].name, n) == 0)
            return propagation_flags[i].flag;
    return 0;
}

int spec_mount_parse_options(struct spec_mount *m, struct berr **err)
{
    size_t datalen = 0;
    _cleanup_free_ char *data = NULL;
    m->flags = m->clear_flags = m->propagation = 0;
    m->bind = m->recursive = false;
    for (char **o = m->options; o && *o; o++) {
        bool known = false;
        for (size_t i = 0; i < ARRAY_SIZE(mount_flags); i++) {
            if (strcmp(mount_flags[i].name, *o) != 0)
                continue;
            if (mount_flags[i].clear) {
                m->flags &= ~mount_flags[i].flag;
                m->clear_flags |= mount_flags[i].flag;
            } else {
                m->flags |= mount_flags[i].flag;
                m->clear_flags &= ~mount_flags[i].flag;
            }
            known = true;
        }
        unsigned long p = propagation_from_name(*o);
        if (p) {
            m->propagation = p;
            known = true;
        }
        if (strcmp(*o, "bind") == 0 || strcmp(*o, "rbind") == 0) {
            m->bind = true;
            m->recursive = (*o)[0] == 'r';
            known = true;
        }
        /* idmapped mounts and recursive attributes (rro, rnosuid, ...) need
         * mount_setattr; refuse rather than silently mount without them */
        if (strcmp(*o, "idmap") == 0 || strcmp(*o, "ridmap") == 0)
            return berr_set(err, BERR_UNSUPPORTED, ENOTSUP,
                            "mounts[%s].options: \"%s\" is not supported", m->destination, *o);
        if (known)
            continue;
        if (strcmp(*o, "tmpcopyup") == 0 || strncmp(*o, "x-", 2) == 0)
            continue; /* userspace hints for other tools; harmless to the kernel */
        size_t l = strlen(*o);
        data = xrealloc(data, datalen + l + 2);
        if (datalen)
            data[datalen++] = ',';
        memcpy(data + datalen, *o, l + 1);
        datalen += l;
    }
    if (m->type && (strcmp(m->type, "bind") == 0))
        m->bind = true;
    free(m->data);
    m->data = TAKE_PTR(data);
    return 0;
}

static int parse_mounts(json_t *root, struct spec *s, struct berr **err)
{
    int r;
    json_t *a = get_arr(root, "mounts", "config", err, &r);
    if (!a)
        return r;
    s->n_mounts = json_array_size(a);
    s->mounts = xcalloc(s->n_mounts + 1, sizeof(*s->mounts));
    for (size_t i = 0; i < s->n_mounts; i++) {
        char field[64];
        snprintf(field, sizeof(field), "mounts[%zu]", i);
        json_t *o = json_array_get(a, i);
        struct spec_mount *m = &s->mounts[i];
        if (!json_is_object(o))
            return bad(err, field, "must be an object");
        if ((r = get_str(o, "destination", field, &m->destination, true, err)) < 0 ||
            (r = get_str(o, "type", field, &m->type, false, err)) < 0 ||
            (r = get_str(o, "source", field, &m->source, false, err)) < 0 ||
            (r = get_strv(o, "options", field, &m->options, err)) < 0)
            return r;
        if (m->destination[0] != '/')
            return berr_set(err, BERR_INVALID, EINVAL,
                            "%s.destination: \"%s\" must be an absolute path", field,
                            m->destination);
        if (json_object_get(o, "uidMappings") || json_object_get(o, "gidMappings"))
            return berr_set(err, BERR_UNSUPPORTED, ENOTSUP,
                            "%s: idmapped mounts (uidMappings/gidMappings) are not supported",
                            field);
        if ((r = spec_mount_parse_options(m, err)) < 0)
            return berr_prefix(err, "%s", field);
        if (!m->type && !m->bind)
            return berr_set(err, BERR_INVALID, EINVAL,
                            "%s: no type given and options have no bind or rbind", field);
    }
    return 0;
}

/* ---- process ---- */

static int parse_caps(json_t *o, const char *field, struct spec_caps *c, struct berr **err)
{
    static const char *sets[] = {"bounding", "effective", "inheritable", "permitted", "ambient"};
    uint64_t *dst[] = {&c->bounding, &c->effective, &c->inheritable, &c->permitted, &c->ambient};
    c->set = true;
    for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
        _cleanup_strv_ char **names = NULL;
        int r = get_strv(o, sets[i], field, &names, err);
        if (r < 0)
            return r;
        for (size_t j = 0; names && names[j]; j++) {
            int cap = spec_cap_from_name(names[j]);
            if (cap < 0)
                return berr_set(err, BERR_INVALID, EINVAL, "%s.%s[%zu]: unknown capability \"%s\"",
                                field, sets[i], j, names[j]);
            /* a capability the kernel does not know cannot be granted; runc warns and
             * drops it, so that newer profiles run on older kernels */
            if (cap > cap_max_bits() - 1)
                continue;
            *dst[i] |= 1ULL << cap;
        }
    }
    return 0;
}

void spec_process_free(struct spec_process *p)
{
    if (!p)
        return;
    free(p->user.additional_gids);
    free(p->user.username);
    strv_free(p->args);
    strv_free(p->env);
    free(p->cwd);
    for (size_t i = 0; i < p->n_rlimits; i++)
        free(p->rlimits[i].type);
    free(p->rlimits);
    free(p->apparmor_profile);
    free(p->selinux_label);
    free(p);
}

struct spec_process *spec_process_from_json(json_t *o, const char *field, struct berr **err)
{
    int r;
    if (!json_is_object(o)) {
        bad(err, field, "must be an object");
        return NULL;
    }
    struct spec_process *p = xcalloc(1, sizeof(*p));
    char f[128];
    json_t *v;
    if ((r = get_bool(o, "terminal", field, &p->terminal, NULL, err)) < 0)
        goto fail;
    if ((v = get_obj(o, "consoleSize", field, err, &r))) {
        snprintf(f, sizeof(f), "%s.consoleSize", field);
        if ((r = get_u64(v, "height", f, &p->console_height, err)) < 0 ||
            (r = get_u64(v, "width", f, &p->console_width, err)) < 0)
            goto fail;
    } else if (r < 0)
        goto fail;

    snprintf(f, sizeof(f), "%s.user", field);
    if ((v = get_obj(o, "user", field, err, &r))) {
        if ((r = get_id(v, "uid", f, &p->user.uid, err)) < 0 ||
            (r = get_id(v, "gid", f, &p->user.gid, err)) < 0 ||
            (r = get_u64(v, "umask", f, &p->user.umask, err)) < 0 ||
            (r = get_str(v, "username", f, &p->user.username, false, err)) < 0)
            goto fail;
        json_t *ag = get_arr(v, "additionalGids", f, err, &r);
        if (r < 0)
            goto fail;
        if (ag) {
            p->user.n_additional_gids = json_array_size(ag);
            p->user.additional_gids = calloc(p->user.n_additional_gids + 1, sizeof(uint32_t));
            for (size_t i = 0; i < p->user.n_additional_gids; i++) {
                json_t *g = json_array_get(ag, i);
                if (!json_is_integer(g) || json_integer_value(g) < 0 ||
                    json_integer_value(g) > SPEC_ID_MAX) {
                    r = berr_set(err, BERR_INVALID, EINVAL,
                                 "%s.additionalGids[%zu]: must be a gid (0 to %u)", f, i,
                                 SPEC_ID_MAX);
                    goto fail;
                }
                p->user.additional_gids[i] = json_integer_value(g);
            }
        }
    } else if (r < 0)
        goto fail;
    else {
        r = berr_set(err, BERR_INVALID, EINVAL, "%s.user: missing", field);
        goto fail;
    }

    if ((r = get_strv(o, "args", field, &p->args, err)) < 0 ||
        (r = get_strv(o, "env", field, &p->env, err)) < 0 ||
        (r = get_str(o, "cwd", field, &p->cwd, true, err)) < 0 ||
        (r = get_bool(o, "noNewPrivileges", field, &p->no_new_privileges, NULL, err)) < 0 ||
        (r = get_str(o, "apparmorProfile", field, &p->apparmor_profile, false, err)) < 0 ||
        (r = get_i64(o, "oomScoreAdj", field, &p->oom_score_adj, err)) < 0 ||
        (r = get_str(o, "selinuxLabel", field, &p->selinux_label, false, err)) < 0)
        goto fail;
    if (json_object_get(o, "commandLine")) {
        r = berr_set(err, BERR_INVALID, EINVAL, "%s.commandLine: only for Windows", field);
        goto fail;
    }
    if (!p->args || !p->args[0]) {
        r = berr_set(err, BERR_INVALID, EINVAL, "%s.args: must have at least one element", field);
        goto fail;
    }
    if (p->cwd[0] != '/') {
        r = berr_set(err, BERR_INVALID, EINVAL, "%s.cwd: \"%s\" must be an absolute path", field,
                     p->cwd);
        goto fail;
    }
    if (p->oom_score_adj.set && (p->oom_score_adj.v < -1000 || p->oom_score_adj.v > 1000)) {
        r = berr_set(err, BERR_INVALID, EINVAL, "%s.oomScoreAdj: %lld out of range -1000..1000",
                     field, (long long)p->oom_score_adj.v);
        goto fail;
    }
    for (char **e = p->env; e && *e; e++)
        if (!strchr(*e, '=')) {
            r = berr_set(err, BERR_INVALID, EINVAL, "%s.env: \"%s\" is not KEY=VALUE", field, *e);
            goto fail;
        }

    if ((v = get_obj(o, "capabilities", field, err, &r))) {
        snprintf(f, sizeof(f), "%s.capabilities", field);
        if ((r = parse_caps(v, f, &p->caps, err)) < 0)
            goto fail;
    } else if (r < 0)
        goto fail;

    json_t *rl = get_arr(o, "rlimits", field, err, &r);
    if (r < 0)
        goto fail;
    if (rl) {
        p->n_rlimits = json_array_size(rl);
        p->rlimits = calloc(p->n_rlimits + 1, sizeof(*p->rlimits));
        for (size_t i = 0; i < p->n_rlimits; i++) {
            snprintf(f, sizeof(f), "%s.rlimits[%zu]", field, i);
            json_t *e = json_array_get(rl, i);
            struct spec_rlimit *l = &p->rlimits[i];
            opt_u64 soft = {0}, hard = {0};
            if (!json_is_object(e)) {
                r = bad(err, f, "must be an object");
                goto fail;
            }
            if ((r = get_str(e, "type", f, &l->type, true, err)) < 0 ||
                (r = get_u64(e, "soft", f, &soft, err)) < 0 ||
                (r = get_u64(e, "hard", f, &hard, err)) < 0)
                goto fail;
            l->resource = spec_rlimit_from_name(l->type);
            if (l->resource < 0) {
                r = berr_set(err, BERR_INVALID, EINVAL, "%s.type: unknown rlimit \"%s\"", f,
                             l->type);
                goto fail;
            }
            if (!soft.set || !hard.set) {
                r = berr_set(err, BERR_INVALID, EINVAL, "%s: soft and hard are required", f);
                goto fail;
            }
            for (size_t j = 0; j < i; j++)
                if (p->rlimits[j].resource == l->resource) {
                    r = berr_set(err, BERR_INVALID, EINVAL, "%s.type: \"%s\" given twice", f,
                                 l->type);
                    goto fail;
                }
            l->soft = soft.v;
            l->hard = hard.v;
        }
    }
    return p;
fail:
    spec_process_free(p);
    return NULL;
}

/* ---- hooks ---- */

static const char *hook_keys[HOOK__MAX] = {"prestart",       "createRuntime", "createContainer",
                                           "startContainer", "poststart",     "poststop"};

static int parse_hooks(json_t *root, struct spec *s, struct berr **err)
{
    int r;
    json_t *h = get_obj(root, "hooks", "config", err, &r);
    if (!h)
        return r;
    for (int k = 0; k < HOOK__MAX; k++) {
        char f[64];
        snprintf(f, sizeof(f), "hooks");
        json_t *a = get_arr(h, hook_keys[k], f, err, &r);
        if (r < 0)
            return r;
        if (!a)
            continue;
        s->hooks.n[k] = json_array_size(a);
        s->hooks.list[k] = calloc(s->hooks.n[k] + 1, sizeof(struct spec_hook));
        for (size_t i = 0; i < s->hooks.n[k]; i++) {
            snprintf(f, sizeof(f), "hooks.%s[%zu]", hook_keys[k], i);
            json_t *o = json_array_get(a, i);
            struct spec_hook *hk = &s->hooks.list[k][i];
            if (!json_is_object(o))
                return bad(err, f, "must be an object");
            if ((r = get_str(o, "path", f, &hk->path, true, err)) < 0 ||
                (r = get_strv(o, "args", f, &hk->args, err)) < 0 ||
                (r = get_strv(o, "env", f, &hk->env, err)) < 0 ||
                (r = get_i64(o, "timeout", f, &hk->timeout, err)) < 0)
                return r;
            if (hk->path[0] != '/')
                return berr_set(err, BERR_INVALID, EINVAL, "%s.path: \"%s\" must be absolute", f,
                                hk->path);
            if (hk->timeout.set && hk->timeout.v <= 0)
                return berr_set(err, BERR_INVALID, EINVAL, "%s.timeout: must be positive", f);
        }
    }
    return 0;
}

/* ---- linux.resources ---- */

static int parse_major_minor(json_t *o, const char *f, int64_t *maj, int64_t *min, bool required,
                             struct berr **err)
{
    opt_i64 a = {0}, b = {0};
    int r;
    if ((r = get_i64(o, "major", f, &a, err)) < 0 || (r = get_i64(o, "minor", f, &b, err)) < 0)
        return r;
    if (required && (!a.set || !b.set))
        return berr_set(err, BERR_INVALID, EINVAL, "%s: major and minor are required", f);
    *maj = a.set ? a.v : -1;
    *min = b.set ? b.v : -1;
    return 0;
}

void spec_resources_free(struct spec_resources *r)
{
    if (!r)
        return;
    free(r->cpu.cpus);
    free(r->cpu.mems);
    free(r->blkio.weight_device);
    for (int i = 0; i < 4; i++)
        free(r->blkio.throttle[i]);
    for (size_t i = 0; i < r->n_hugepage_limits; i++)
        free(r->hugepage_limits[i].page_size);
    free(r->hugepage_limits);
    kv_free(r->network.priorities, r->network.n_priorities);
    free(r->devices);
    kv_free(r->unified, r->n_unified);
    free(r);
}

struct spec_resources *spec_resources_from_json(json_t *o, const char *field, struct berr **err)
{
    int r = 0;
    char f[128];
    json_t *v;
    if (!json_is_object(o)) {
        bad(err, field, "must be an object");
        return NULL;
    }
    struct spec_resources *res = xcalloc(1, sizeof(*res));

    snprintf(f, sizeof(f), "%s.memory", field);
    if ((v = get_obj(o, "memory", field, err, &r))) {
        if ((r = get_i64(v, "limit", f, &res->memory.limit, err)) < 0 ||
            (r = get_i64(v, "reservation", f, &res->memory.reservation, err)) < 0 ||
            (r = get_i64(v, "swap", f, &res->memory.swap, err)) < 0 ||
            (r = get_i64(v, "kernel", f, &res->memory.kernel, err)) < 0 ||
            (r = get_i64(v, "kernelTCP", f, &res->memory.kernel_tcp, err)) < 0 ||
            (r = get_u64(v, "swappiness", f, &res->memory.swappiness, err)) < 0 ||
            (r = get_bool(v, "disableOOMKiller", f, &res->memory.disable_oom_killer,
                          &res->memory.has_disable_oom_killer, err)) < 0 ||
            (r = get_bool(v, "useHierarchy", f, &res->memory.use_hierarchy,
                          &res->memory.has_use_hierarchy, err)) < 0 ||
            (r = get_bool(v, "checkBeforeUpdate", f, &res->memory.check_before_update, NULL, err)) <
                0)
            goto fail;
        if (res->memory.swappiness.set && res->memory.swappiness.v > 100) {
            r = berr_set(err, BERR_INVALID, EINVAL, "%s.swappiness: %llu out of range 0..100", f,
                         (unsigned long long)res->memory.swappiness.v);
            goto fail;
        }
    } else if (r < 0)
        goto fail;

    snprintf(f, sizeof(f), "%s.cpu", field);
    if ((v = get_obj(o, "cpu", field, err, &r))) {
        if ((r = get_u64(v, "shares", f, &res->cpu.shares, err)) < 0 ||
            (r = get_i64(v, "quota", f, &res->cpu.quota, err)) < 0 ||
            (r = get_u64(v, "burst", f, &res->cpu.burst, err)) < 0 ||
            (r = get_u64(v, "period", f, &res->cpu.period, err)) < 0 ||
            (r = get_i64(v, "realtimeRuntime", f, &res->cpu.realtime_runtime, err)) < 0 ||
            (r = get_u64(v, "realtimePeriod", f, &res->cpu.realtime_period, err)) < 0 ||
            (r = get_str(v, "cpus", f, &res->cpu.cpus, false, err)) < 0 ||
            (r = get_str(v, "mems", f, &res->cpu.mems, false, err)) < 0 ||
            (r = get_i64(v, "idle", f, &res->cpu.idle, err)) < 0)
            goto fail;
    } else if (r < 0)
        goto fail;

    if ((v = get_obj(o, "pids", field, err, &r))) {
        snprintf(f, sizeof(f), "%s.pids", field);
        if ((r = get_i64(v, "limit", f, &res->pids.limit, err)) < 0)
            goto fail;
    } else if (r < 0)
        goto fail;

    snprintf(f, sizeof(f), "%s.blockIO", field);
    if ((v = get_obj(o, "blockIO", field, err, &r))) {
        if ((r = get_u64(v, "weight", f, &res->blkio.weight, err)) < 0 ||
            (r = get_u64(v, "leafWeight", f, &res->blkio.leaf_weight, err)) < 0)
            goto fail;
        json_t *a = get_arr(v, "weightDevice", f, err, &r);
        if (r < 0)
            goto fail;
        if (a) {
            res->blkio.n_weight_device = json_array_size(a);
            res->blkio.weight_device =
                calloc(res->blkio.n_weight_device + 1, sizeof(struct spec_weight_device));
            for (size_t i = 0; i < res->blkio.n_weight_device; i++) {
                char f2[sizeof(f) + 64]; /* "<f>.name[<size_t>]" */
                snprintf(f2, sizeof(f2), "%s.weightDevice[%zu]", f, i);
                json_t *e = json_array_get(a, i);
                struct spec_weight_device *d = &res->blkio.weight_device[i];
                if ((r = parse_major_minor(e, f2, &d->major, &d->minor, true, err)) < 0 ||
                    (r = get_u64(e, "weight", f2, &d->weight, err)) < 0 ||
                    (r = get_u64(e, "leafWeight", f2, &d->leaf_weight, err)) < 0)
                    goto fail;
            }
        }
        static const char *tk[4] = {"throttleReadBpsDevice", "throttleWriteBpsDevice",
                                    "throttleReadIOPSDevice", "throttleWriteIOPSDevice"};
        for (int k = 0; k < 4; k++) {
            a = get_arr(v, tk[k], f, err, &r);
            if (r < 0)
                goto fail;
            if (!a)
                continue;
            res->blkio.n_throttle[k] = json_array_size(a);
            res->blkio.throttle[k] =
                calloc(res->blkio.n_throttle[k] + 1, sizeof(struct spec_throttle_device));
            for (size_t i = 0; i < res->blkio.n_throttle[k]; i++) {
                char f2[sizeof(f) + 64]; /* "<f>.name[<size_t>]" */
                snprintf(f2, sizeof(f2), "%s.%s[%zu]", f, tk[k], i);
                json_t *e = json_array_get(a, i);
                struct spec_throttle_device *d = &res->blkio.throttle[k][i];
                opt_u64 rate = {0};
                if ((r = parse_major_minor(e, f2, &d->major, &d->minor, true, err)) < 0 ||
                    (r = get_u64(e, "rate", f2, &rate, err)) < 0)
                    goto fail;
                d->rate = rate.v;
            }
        }
    } else if (r < 0)
        goto fail;

    json_t *a = get_arr(o, "hugepageLimits", field, err, &r);
    if (r < 0)
        goto fail;
    if (a) {
        res->n_hugepage_limits = json_array_size(a);
        res->hugepage_limits =
            calloc(res->n_hugepage_limits + 1, sizeof(struct spec_hugepage_limit));
        for (size_t i = 0; i < res->n_hugepage_limits; i++) {
            snprintf(f, sizeof(f), "%s.hugepageLimits[%zu]", field, i);
            json_t *e = json_array_get(a, i);
            opt_u64 lim = {0};
            if ((r = get_str(e, "pageSize", f, &res->hugepage_limits[i].page_size, true, err)) <
                    0 ||
                (r = get_u64(e, "limit", f, &lim, err)) < 0)
                goto fail;
            res->hugepage_limits[i].limit = lim.v;
        }
    }

    if ((v = get_obj(o, "network", field, err, &r))) {
        snprintf(f, sizeof(f), "%s.network", field);
        if ((r = get_u64(v, "classID", f, &res->network.class_id, err)) < 0)
            goto fail;
        json_t *pa = get_arr(v, "priorities", f, err, &r);
        if (r < 0)
            goto fail;
        if (pa) {
            res->network.n_priorities = json_array_size(pa);
            res->network.priorities = calloc(res->network.n_priorities + 1, sizeof(struct spec_kv));
            for (size_t i = 0; i < res->network.n_priorities; i++) {
                char f2[sizeof(f) + 64]; /* "<f>.name[<size_t>]" */
                snprintf(f2, sizeof(f2), "%s.priorities[%zu]", f, i);
                json_t *e = json_array_get(pa, i);
                opt_u64 pr = {0};
                if ((r = get_str(e, "name", f2, &res->network.priorities[i].key, true, err)) < 0 ||
                    (r = get_u64(e, "priority", f2, &pr, err)) < 0)
                    goto fail;
                if (asprintf(&res->network.priorities[i].value, "%llu", (unsigned long long)pr.v) <
                    0)
                    goto fail;
            }
        }
    } else if (r < 0)
        goto fail;

    a = get_arr(o, "devices", field, err, &r);
    if (r < 0)
        goto fail;
    if (a) {
        res->n_devices = json_array_size(a);
        res->devices = calloc(res->n_devices + 1, sizeof(struct spec_device_rule));
        for (size_t i = 0; i < res->n_devices; i++) {
            snprintf(f, sizeof(f), "%s.devices[%zu]", field, i);
            json_t *e = json_array_get(a, i);
            struct spec_device_rule *d = &res->devices[i];
            _cleanup_free_ char *type = NULL, *access = NULL;
            if (!json_is_object(e)) {
                r = bad(err, f, "must be an object");
                goto fail;
            }
            if ((r = get_bool(e, "allow", f, &d->allow, NULL, err)) < 0 ||
                (r = get_str(e, "type", f, &type, false, err)) < 0 ||
                (r = get_str(e, "access", f, &access, false, err)) < 0 ||
                (r = parse_major_minor(e, f, &d->major, &d->minor, false, err)) < 0)
                goto fail;
            if (!json_object_get(e, "allow")) {
                r = berr_set(err, BERR_INVALID, EINVAL, "%s.allow: missing", f);
                goto fail;
            }
            d->type = type ? type[0] : 'a';
            if (type && (strlen(type) != 1 || !strchr("acb", d->type))) {
                r = berr_set(err, BERR_INVALID, EINVAL, "%s.type: \"%s\" must be a, c or b", f,
                             type);
                goto fail;
            }
            const char *acc = access ? access : "rwm";
            if (strlen(acc) > 3 || strspn(acc, "rwm") != strlen(acc)) {
                r = berr_set(err, BERR_INVALID, EINVAL, "%s.access: \"%s\" must be a subset of rwm",
                             f, acc);
                goto fail;
            }
            strcpy(d->access, acc);
        }
    }

    if ((r = get_kv(o, "unified", field, &res->unified, &res->n_unified, err)) < 0)
        goto fail;
    if (json_object_get(o, "rdma")) {
        r = berr_set(err, BERR_UNSUPPORTED, ENOTSUP, "%s.rdma: rdma limits are not supported",
                     field);
        goto fail;
    }
    return res;
fail:
    spec_resources_free(res);
    return NULL;
}

/* ---- linux ---- */

static int parse_idmaps(json_t *l, const char *key, struct spec_idmap **out, size_t *n,
                        struct berr **err)
{
    int r;
    json_t *a = get_arr(l, key, "linux", err, &r);
    if (!a)
        return r;
    *n = json_array_size(a);
    *out = calloc(*n + 1, sizeof(**out));
    for (size_t i = 0; i < *n; i++) {
        char f[64];
        snprintf(f, sizeof(f), "linux.%s[%zu]", key, i);
        json_t *e = json_array_get(a, i);
        if ((r = get_u32(e, "containerID", f, &(*out)[i].container_id, true, err)) < 0 ||
            (r = get_u32(e, "hostID", f, &(*out)[i].host_id, true, err)) < 0 ||
            (r = get_u32(e, "size", f, &(*out)[i].size, true, err)) < 0)
            return r;
    }
    return 0;
}

static int parse_seccomp(json_t *o, struct spec_seccomp **out, struct berr **err)
{
    int r;
    const char *field = "linux.seccomp";
    struct spec_seccomp *sc = calloc(1, sizeof(*sc));
    *out = sc;
    if ((r = get_str(o, "defaultAction", field, &sc->default_action, true, err)) < 0 ||
        (r = get_u64(o, "defaultErrnoRet", field, &sc->default_errno_ret, err)) < 0 ||
        (r = get_strv(o, "architectures", field, &sc->architectures, err)) < 0 ||
        (r = get_strv(o, "flags", field, &sc->flags, err)) < 0 ||
        (r = get_str(o, "listenerPath", field, &sc->listener_path, false, err)) < 0 ||
        (r = get_str(o, "listenerMetadata", field, &sc->listener_metadata, false, err)) < 0)
        return r;
    json_t *a = get_arr(o, "syscalls", field, err, &r);
    if (r < 0)
        return r;
    if (!a)
        return 0;
    sc->n_syscalls = json_array_size(a);
    sc->syscalls = calloc(sc->n_syscalls + 1, sizeof(*sc->syscalls));
    for (size_t i = 0; i < sc->n_syscalls; i++) {
        char f[64];
        snprintf(f, sizeof(f), "linux.seccomp.syscalls[%zu]", i);
        json_t *e = json_array_get(a, i);
        struct spec_seccomp_syscall *s = &sc->syscalls[i];
        if (!json_is_object(e))
            return bad(err, f, "must be an object");
        if ((r = get_strv(e, "names", f, &s->names, err)) < 0 ||
            (r = get_str(e, "action", f, &s->action, true, err)) < 0 ||
            (r = get_u64(e, "errnoRet", f, &s->errno_ret, err)) < 0)
            return r;
        if (!s->names || !s->names[0])
            return berr_set(err, BERR_INVALID, EINVAL, "%s.names: must not be empty", f);
        json_t *args = get_arr(e, "args", f, err, &r);
        if (r < 0)
            return r;
        if (!args)
            continue;
        s->n_args = json_array_size(args);
        s->args = calloc(s->n_args + 1, sizeof(*s->args));
        for (size_t j = 0; j < s->n_args; j++) {
            char f2[96];
            snprintf(f2, sizeof(f2), "%s.args[%zu]", f, j);
            json_t *ae = json_array_get(args, j);
            opt_u64 idx = {0}, val = {0}, val2 = {0};
            if ((r = get_u64(ae, "index", f2, &idx, err)) < 0 ||
                (r = get_u64(ae, "value", f2, &val, err)) < 0 ||
                (r = get_u64(ae, "valueTwo", f2, &val2, err)) < 0 ||
                (r = get_str(ae, "op", f2, &s->args[j].op, true, err)) < 0)
                return r;
            if (!idx.set || idx.v > 5)
                return berr_set(err, BERR_INVALID, EINVAL, "%s.index: must be 0..5", f2);
            s->args[j].index = idx.v;
            s->args[j].value = val.v;
            s->args[j].value_two = val2.v;
        }
    }
    return 0;
}

static void seccomp_free(struct spec_seccomp *sc)
{
    if (!sc)
        return;
    free(sc->default_action);
    strv_free(sc->architectures);
    strv_free(sc->flags);
    free(sc->listener_path);
    free(sc->listener_metadata);
    for (size_t i = 0; i < sc->n_syscalls; i++) {
        strv_free(sc->syscalls[i].names);
        free(sc->syscalls[i].action);
        for (size_t j = 0; j < sc->syscalls[i].n_args; j++)
            free(sc->syscalls[i].args[j].op);
        free(sc->syscalls[i].args);
    }
    free(sc->syscalls);
    free(sc);
}

static int parse_linux(json_t *root, struct spec *s, struct berr **err)
{
    int r;
    json_t *l = get_obj(root, "linux", "config", err, &r);
    if (!l)
        return r;
    struct spec_linux *lx = s->linux_ = calloc(1, sizeof(*lx));
    char f[96];

    json_t *a = get_arr(l, "namespaces", "linux", err, &r);
    if (r < 0)
        return r;
    if (a) {
        lx->n_namespaces = json_array_size(a);
        lx->namespaces = calloc(lx->n_namespaces + 1, sizeof(*lx->namespaces));
        for (size_t i = 0; i < lx->n_namespaces; i++) {
            snprintf(f, sizeof(f), "linux.namespaces[%zu]", i);
            json_t *e = json_array_get(a, i);
            _cleanup_free_ char *type = NULL;
            if (!json_is_object(e))
                return bad(err, f, "must be an object");
            if ((r = get_str(e, "type", f, &type, true, err)) < 0 ||
                (r = get_str(e, "path", f, &lx->namespaces[i].path, false, err)) < 0)
                return r;
            lx->namespaces[i].type = spec_ns_from_name(type);
            if (!lx->namespaces[i].type)
                return berr_set(err, BERR_INVALID, EINVAL, "%s.type: unknown namespace type \"%s\"",
                                f, type);
            for (size_t j = 0; j < i; j++)
                if (lx->namespaces[j].type == lx->namespaces[i].type)
                    return berr_set(err, BERR_INVALID, EINVAL,
                                    "%s.type: namespace \"%s\" listed twice", f, type);
            if (lx->namespaces[i].path && lx->namespaces[i].path[0] != '/')
                return berr_set(err, BERR_INVALID, EINVAL, "%s.path: \"%s\" must be absolute", f,
                                lx->namespaces[i].path);
        }
    }
    if ((r = parse_idmaps(l, "uidMappings", &lx->uid_mappings, &lx->n_uid_mappings, err)) < 0 ||
        (r = parse_idmaps(l, "gidMappings", &lx->gid_mappings, &lx->n_gid_mappings, err)) < 0)
        return r;

    a = get_arr(l, "devices", "linux", err, &r);
    if (r < 0)
        return r;
    if (a) {
        lx->n_devices = json_array_size(a);
        lx->devices = calloc(lx->n_devices + 1, sizeof(*lx->devices));
        for (size_t i = 0; i < lx->n_devices; i++) {
            snprintf(f, sizeof(f), "linux.devices[%zu]", i);
            json_t *e = json_array_get(a, i);
            struct spec_device *d = &lx->devices[i];
            _cleanup_free_ char *type = NULL;
            if ((r = get_str(e, "path", f, &d->path, true, err)) < 0 ||
                (r = get_str(e, "type", f, &type, true, err)) < 0 ||
                (r = get_u64(e, "fileMode", f, &d->file_mode, err)) < 0 ||
                (r = get_u64(e, "uid", f, &d->uid, err)) < 0 ||
                (r = get_u64(e, "gid", f, &d->gid, err)) < 0)
                return r;
            if (strlen(type) != 1 || !strchr("cbup", type[0]))
                return berr_set(err, BERR_INVALID, EINVAL, "%s.type: \"%s\" must be c, b, u or p",
                                f, type);
            d->type = type[0] == 'u' ? 'c' : type[0];
            if ((r = parse_major_minor(e, f, &d->major, &d->minor, d->type != 'p', err)) < 0)
                return r;
            if (d->path[0] != '/')
                return berr_set(err, BERR_INVALID, EINVAL, "%s.path: \"%s\" must be absolute", f,
                                d->path);
        }
    }

    if ((r = get_str(l, "cgroupsPath", "linux", &lx->cgroups_path, false, err)) < 0)
        return r;
    json_t *res = get_obj(l, "resources", "linux", err, &r);
    if (r < 0)
        return r;
    if (res && !(lx->resources = spec_resources_from_json(res, "linux.resources", err)))
        return berr_code(*err);

    if ((r = get_str(l, "rootfsPropagation", "linux", &lx->rootfs_propagation, false, err)) < 0)
        return r;
    if (lx->rootfs_propagation && lx->rootfs_propagation[0]) {
        lx->rootfs_propagation_flags = propagation_from_name(lx->rootfs_propagation);
        if (!lx->rootfs_propagation_flags)
            return berr_set(err, BERR_INVALID, EINVAL,
                            "linux.rootfsPropagation: unknown propagation \"%s\"",
                            lx->rootfs_propagation);
    }
    if ((r = get_strv(l, "maskedPaths", "linux", &lx->masked_paths, err)) < 0 ||
        (r = get_strv(l, "readonlyPaths", "linux", &lx->readonly_paths, err)) < 0 ||
        (r = get_str(l, "mountLabel", "linux", &lx->mount_label, false, err)) < 0 ||
        (r = get_kv(l, "sysctl", "linux", &lx->sysctl, &lx->n_sysctl, err)) < 0)
        return r;

    json_t *sc = get_obj(l, "seccomp", "linux", err, &r);
    if (r < 0)
        return r;
    if (sc && (r = parse_seccomp(sc, &lx->seccomp, err)) < 0)
        return r;
    lx->has_intel_rdt = json_object_get(l, "intelRdt") != NULL;

    json_t *p = get_obj(l, "personality", "linux", err, &r);
    if (r < 0)
        return r;
    if (p) {
        _cleanup_free_ char *domain = NULL;
        _cleanup_strv_ char **flags = NULL;
        if ((r = get_str(p, "domain", "linux.personality", &domain, true, err)) < 0 ||
            (r = get_strv(p, "flags", "linux.personality", &flags, err)) < 0)
            return r;
        if (strcmp(domain, "LINUX") == 0)
            lx->personality = PER_LINUX;
        else if (strcmp(domain, "LINUX32") == 0)
            lx->personality = PER_LINUX32;
        else
            return berr_set(err, BERR_INVALID, EINVAL,
                            "linux.personality.domain: \"%s\" must be LINUX or LINUX32", domain);
        if (flags && flags[0])
            return berr_set(err, BERR_UNSUPPORTED, ENOTSUP,
                            "linux.personality.flags: no flags are defined by the spec");
        lx->has_personality = true;
    }

    json_t *to = get_obj(l, "timeOffsets", "linux", err, &r);
    if (r < 0)
        return r;
    if (to) {
        static const char *clocks[2] = {"monotonic", "boottime"};
        for (int i = 0; i < 2; i++) {
            json_t *c = get_obj(to, clocks[i], "linux.timeOffsets", err, &r);
            if (r < 0)
                return r;
            if (!c)
                continue;
            snprintf(f, sizeof(f), "linux.timeOffsets.%s", clocks[i]);
            opt_i64 secs = {0};
            uint32_t ns = 0;
            if ((r = get_i64(c, "secs", f, &secs, err)) < 0 ||
                (r = get_u32(c, "nanosecs", f, &ns, false, err)) < 0)
                return r;
            lx->time_offsets[i].set = true;
            lx->time_offsets[i].secs = secs.v;
            lx->time_offsets[i].nanosecs = ns;
        }
    }
    return 0;
}

/* ---- top level ---- */

void spec_free(struct spec *s)
{
    if (!s)
        return;
    free(s->oci_version);
    free(s->root.path);
    spec_process_free(s->process);
    free(s->hostname);
    free(s->domainname);
    for (size_t i = 0; i < s->n_mounts; i++) {
        free(s->mounts[i].destination);
        free(s->mounts[i].type);
        free(s->mounts[i].source);
        strv_free(s->mounts[i].options);
        free(s->mounts[i].data);
    }
    free(s->mounts);
    for (int k = 0; k < HOOK__MAX; k++) {
        for (size_t i = 0; i < s->hooks.n[k]; i++) {
            free(s->hooks.list[k][i].path);
            strv_free(s->hooks.list[k][i].args);
            strv_free(s->hooks.list[k][i].env);
        }
        free(s->hooks.list[k]);
    }
    kv_free(s->annotations, s->n_annotations);
    struct spec_linux *lx = s->linux_;
    if (lx) {
        for (size_t i = 0; i < lx->n_namespaces; i++)
            free(lx->namespaces[i].path);
        free(lx->namespaces);
        free(lx->uid_mappings);
        free(lx->gid_mappings);
        for (size_t i = 0; i < lx->n_devices; i++)
            free(lx->devices[i].path);
        free(lx->devices);
        free(lx->cgroups_path);
        spec_resources_free(lx->resources);
        free(lx->rootfs_propagation);
        strv_free(lx->masked_paths);
        strv_free(lx->readonly_paths);
        free(lx->mount_label);
        kv_free(lx->sysctl, lx->n_sysctl);
        seccomp_free(lx->seccomp);
        free(lx);
    }
    free(s);
}

struct spec *spec_from_json(json_t *root, struct berr **err)
{
    int r;
    if (!json_is_object(root)) {
        berr_set(err, BERR_INVALID, EINVAL, "config: must be a JSON object");
        return NULL;
    }
    _cleanup_spec_ struct spec *s = xcalloc(1, sizeof(*s));
    if ((r = get_str(root, "ociVersion", "config", &s->oci_version, true, err)) < 0)
        return NULL;
    /* every 1.x release is a superset of 1.0.0 in what we read */
    if (strncmp(s->oci_version, "1.", 2) != 0) {
        berr_set(err, BERR_INVALID, EINVAL,
                 "config.ociVersion: unsupported version \"%s\" (berth supports 1.x)",
                 s->oci_version);
        return NULL;
    }
    json_t *rt = get_obj(root, "root", "config", err, &r);
    if (r < 0)
        return NULL;
    if (!rt) {
        berr_set(err, BERR_INVALID, EINVAL, "config.root: missing");
        return NULL;
    }
    if (get_str(rt, "path", "root", &s->root.path, true, err) < 0 ||
        get_bool(rt, "readonly", "root", &s->root.readonly, NULL, err) < 0)
        return NULL;

    json_t *p = get_obj(root, "process", "config", err, &r);
    if (r < 0)
        return NULL;
    if (p && !(s->process = spec_process_from_json(p, "process", err)))
        return NULL;
    if (get_str(root, "hostname", "config", &s->hostname, false, err) < 0 ||
        get_str(root, "domainname", "config", &s->domainname, false, err) < 0 ||
        parse_mounts(root, s, err) < 0 || parse_hooks(root, s, err) < 0 ||
        get_kv(root, "annotations", "config", &s->annotations, &s->n_annotations, err) < 0 ||
        parse_linux(root, s, err) < 0)
        return NULL;

    if (s->linux_ && s->linux_->has_intel_rdt) {
        berr_set(err, BERR_UNSUPPORTED, ENOTSUP, "linux.intelRdt: not supported by berth");
        return NULL;
    }
    bool userns = spec_namespace(s, CLONE_NEWUSER) != NULL;
    if (!userns && s->linux_ && (s->linux_->n_uid_mappings || s->linux_->n_gid_mappings)) {
        berr_set(err, BERR_INVALID, EINVAL,
                 "linux.uidMappings: mappings given without a user namespace");
        return NULL;
    }
    if (s->hostname && s->hostname[0] && !spec_namespace(s, CLONE_NEWUTS)) {
        berr_set(err, BERR_INVALID, EINVAL,
                 "config.hostname: setting a hostname needs a new uts namespace");
        return NULL;
    }
    return TAKE_PTR(s);
}

struct spec *spec_load(const char *path, struct berr **err)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        if (access(path, F_OK) < 0) {
            berr_sys(err, errno, "%s", path);
            return NULL;
        }
        berr_set(err, BERR_INVALID, EINVAL, "%s: line %d: %s", path, je.line, je.text);
        return NULL;
    }
    struct spec *s = spec_from_json(root, err);
    json_decref(root);
    if (!s)
        berr_prefix(err, "%s", path);
    return s;
}

const struct spec_namespace *spec_namespace(const struct spec *s, int type)
{
    if (!s->linux_)
        return NULL;
    for (size_t i = 0; i < s->linux_->n_namespaces; i++)
        if (s->linux_->namespaces[i].type == type)
            return &s->linux_->namespaces[i];
    return NULL;
}

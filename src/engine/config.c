/* config.c - berth.json: read, checked, defaults filled in */
#include "config.h"
#include "base/cleanup.h"
#include <errno.h>
#include <stdbool.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int pids_limit(json_t *v, const char *path, int64_t *ret, struct berr **err)
{
    if (!json_is_integer(v) || json_integer_value(v) < -1)
        return berr_set(err, BERR_INVALID, EINVAL,
                        "config %s: \"default-pids-limit\" must be a number (0 or -1: no limit)",
                        path);
    json_int_t n = json_integer_value(v);
    *ret = n > 0 ? n : -1;
    return 0;
}

static int string_setting(json_t *v, const char *path, const char *key, char *out,
                          struct berr **err)
{
    const char *s = json_string_value(v);
    if (!s || !*s || strlen(s) >= CONFIG_NAME_MAX || strpbrk(s, "/ \t\n"))
        return berr_set(err, BERR_INVALID, EINVAL,
                        "config %s: \"%s\" must be a registry host[:port]", path, key);
    snprintf(out, CONFIG_NAME_MAX, "%s", s);
    return 0;
}

static int insecure(json_t *v, const char *path, struct config *c, struct berr **err)
{
    if (!json_is_array(v) || json_array_size(v) > CONFIG_MAX_INSECURE)
        return berr_set(err, BERR_INVALID, EINVAL,
                        "config %s: \"insecure-registries\" must be a list of at most %d "
                        "registries",
                        path, CONFIG_MAX_INSECURE);
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        const char *s = json_string_value(x);
        if (!s || !*s || strlen(s) >= CONFIG_NAME_MAX || strpbrk(s, " \t\n"))
            return berr_set(err, BERR_INVALID, EINVAL,
                            "config %s: \"insecure-registries\"[%zu] must be HOST[:PORT] or a "
                            "CIDR",
                            path, i);
        snprintf(c->insecure_registries[i], CONFIG_NAME_MAX, "%s", s);
    }
    c->n_insecure = (int)json_array_size(v);
    return 0;
}

static int path_setting(json_t *v, const char *path, const char *key, char *out, struct berr **err)
{
    const char *s = json_string_value(v);
    if (!s || s[0] != '/' || strlen(s) >= CONFIG_PATH_MAX || strpbrk(s, "\n"))
        return berr_set(err, BERR_INVALID, EINVAL, "config %s: \"%s\" must be an absolute path",
                        path, key);
    snprintf(out, CONFIG_PATH_MAX, "%s", s);
    return 0;
}

/* docker's ValidateMirror: http or https, a host, nothing after it but an optional "/" */
static int mirrors(json_t *v, const char *path, struct config *c, struct berr **err)
{
    if (!json_is_array(v) || json_array_size(v) > CONFIG_MAX_MIRRORS)
        return berr_set(err, BERR_INVALID, EINVAL,
                        "config %s: \"registry-mirrors\" must be a list of at most %d URLs", path,
                        CONFIG_MAX_MIRRORS);
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        const char *s = json_string_value(x);
        const char *h = !s                           ? NULL
                        : !strncmp(s, "https://", 8) ? s + 8
                        : !strncmp(s, "http://", 7)  ? s + 7
                                                     : NULL;
        size_t hn = h ? strcspn(h, "/") : 0;
        if (!h || hn == 0 || (h[hn] && strcmp(h + hn, "/") != 0) || strpbrk(s, " \t\n?#@") ||
            strlen(s) >= CONFIG_NAME_MAX)
            return berr_set(err, BERR_INVALID, EINVAL,
                            "config %s: \"registry-mirrors\"[%zu]: invalid mirror \"%s\": an "
                            "http:// or https:// URL with a host and no path",
                            path, i, s ? s : "");
        snprintf(c->registry_mirrors[i], CONFIG_NAME_MAX, "%.*s", (int)(h - s + hn), s);
    }
    c->n_mirrors = (int)json_array_size(v);
    return 0;
}

/* $BERTH_DEFAULT_REGISTRY over the file: the test suite's way to keep short names local */
static int env_overrides(struct config *c, struct berr **err)
{
    const char *s = getenv("BERTH_DEFAULT_REGISTRY");
    if (!s || !*s)
        return 0;
    if (strlen(s) >= CONFIG_NAME_MAX || strpbrk(s, "/ \t\n"))
        return berr_set(err, BERR_INVALID, EINVAL,
                        "BERTH_DEFAULT_REGISTRY: \"%s\" is not a registry host[:port]", s);
    snprintf(c->default_registry, CONFIG_NAME_MAX, "%s", s);
    return 0;
}

int config_load(const char *path, struct config *ret, struct berr **err)
{
    struct config c = {.default_pids_limit = CONFIG_DEFAULT_PIDS_LIMIT,
                       .default_registry = CONFIG_DEFAULT_REGISTRY,
                       .certs_dir = CONFIG_DEFAULT_CERTS_DIR};
    bool named = path || (getenv("BERTH_CONFIG") && *getenv("BERTH_CONFIG"));
    if (!path)
        path = named ? getenv("BERTH_CONFIG") : CONFIG_DEFAULT_PATH;
    struct stat sb;
    if (stat(path, &sb) < 0) {
        if (errno == ENOENT && !named) {
            if (env_overrides(&c, err) < 0)
                return -1;
            *ret = c;
            return 0;
        }
        return berr_sys(err, errno, "config %s", path);
    }
    if (!S_ISREG(sb.st_mode))
        return berr_set(err, BERR_INVALID, EINVAL, "config %s: not a regular file", path);
    json_error_t je;
    json_t *j __attribute__((cleanup(json_decrefp))) =
        json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return berr_set(err, BERR_INVALID, EINVAL, "config %s: line %d: %s", path, je.line,
                        je.text);
    if (!json_is_object(j))
        return berr_set(err, BERR_INVALID, EINVAL, "config %s: must be a JSON object", path);
    const char *k;
    json_t *v;
    json_object_foreach(j, k, v)
    {
        if (!strcmp(k, "default-pids-limit")) {
            if (pids_limit(v, path, &c.default_pids_limit, err) < 0)
                return -1;
        } else if (!strcmp(k, "default-registry")) {
            if (string_setting(v, path, k, c.default_registry, err) < 0)
                return -1;
        } else if (!strcmp(k, "insecure-registries")) {
            if (insecure(v, path, &c, err) < 0)
                return -1;
        } else if (!strcmp(k, "certs-dir")) {
            if (path_setting(v, path, k, c.certs_dir, err) < 0)
                return -1;
        } else if (!strcmp(k, "registry-mirrors")) {
            if (mirrors(v, path, &c, err) < 0)
                return -1;
        } else {
            return berr_set(err, BERR_INVALID, EINVAL,
                            "config %s: unknown setting \"%s\" (berth knows certs-dir, "
                            "default-pids-limit, default-registry, insecure-registries, "
                            "registry-mirrors)",
                            path, k);
        }
    }
    if (env_overrides(&c, err) < 0)
        return -1;
    *ret = c;
    return 0;
}

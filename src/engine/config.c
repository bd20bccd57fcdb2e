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

int config_load(const char *path, struct config *ret, struct berr **err)
{
    struct config c = {.default_pids_limit = CONFIG_DEFAULT_PIDS_LIMIT};
    bool named = path || (getenv("BERTH_CONFIG") && *getenv("BERTH_CONFIG"));
    if (!path)
        path = named ? getenv("BERTH_CONFIG") : CONFIG_DEFAULT_PATH;
    struct stat sb;
    if (stat(path, &sb) < 0) {
        if (errno == ENOENT && !named) {
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
        } else {
            return berr_set(err, BERR_INVALID, EINVAL,
                            "config %s: unknown setting \"%s\" (berth knows default-pids-limit)",
                            path, k);
        }
    }
    *ret = c;
    return 0;
}

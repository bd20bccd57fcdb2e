/* engine.c - the engine's handle */
#include "engine/engine.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct engine *engine_new(const char *root, const char *runroot, const char *config_path,
                          struct berr **err)
{
    if (!root || root[0] != '/' || !runroot || runroot[0] != '/') {
        berr_set(err, BERR_INVALID, EINVAL, "the state and run roots must be absolute paths");
        return NULL;
    }
    if (strlen(root) > FS_ROOT_MAX || strlen(runroot) > FS_ROOT_MAX) {
        berr_set(err, BERR_INVALID, ENAMETOOLONG, "a root path is too long (over %d bytes)",
                 FS_ROOT_MAX);
        return NULL;
    }
    struct engine *e = xcalloc(1, sizeof(*e));
    if (config_load(config_path, &e->config, err) < 0) {
        free(e);
        return NULL;
    }
    e->root = xstrdup(root);
    e->runroot = xstrdup(runroot);
    e->rtroot = xasprintf("%s/runtime", runroot);
    e->config_path = config_path ? xstrdup(config_path) : NULL;
    return e;
}

void engine_free(struct engine *e)
{
    if (!e)
        return;
    free(e->root);
    free(e->runroot);
    free(e->rtroot);
    free(e->config_path);
    free(e);
}

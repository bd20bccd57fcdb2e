/* engine.c - the engine's handle */
#include "engine/engine.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The binary this process runs: its path if it is a file there, else /proc/self/exe (a
 * sealed copy in a memfd, or a detached bind of it, has no path to open again) */
static char *self_binary(void)
{
    char path[PATH_MAX];
    struct stat st;
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    if (n > 0) {
        path[n] = 0;
        if (path[0] == '/' && !strstr(path, " (deleted)") && stat(path, &st) == 0 &&
            S_ISREG(st.st_mode))
            return xstrdup(path);
    }
    return xstrdup("/proc/self/exe");
}

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
    e->berth = self_binary();
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
    free(e->berth);
    free(e);
}

char *engine_helper_path(const char *self, const char *name)
{
    const char *slash = self ? strrchr(self, '/') : NULL;
    if (slash && self[0] == '/' && strncmp(self, "/proc/", 6) != 0) {
        char *p = xasprintf("%.*s/%s", (int)(slash - self), self, name);
        if (access(p, X_OK) == 0)
            return p;
        free(p);
    }
    return xstrdup(name);
}

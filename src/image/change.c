/* change.c - Dockerfile-style changes to an image config: what `import -c` and `commit -c` apply */
#include "image/change.h"
#include "base/cleanup.h"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A --change instruction applied to the image config's "config" object. */
int image_config_change(json_t *cfg, const char *change, struct berr **err)
{
    while (isspace((unsigned char)*change))
        change++;
    char kw[16] = "";
    size_t k = 0;
    while (change[k] && !isspace((unsigned char)change[k]) && k < sizeof(kw) - 1) {
        kw[k] = toupper((unsigned char)change[k]);
        k++;
    }
    const char *arg = change + k;
    while (isspace((unsigned char)*arg))
        arg++;
    json_error_t je;
    if (!strcmp(kw, "CMD") || !strcmp(kw, "ENTRYPOINT")) {
        json_t *v =
            arg[0] == '[' ? json_loads(arg, 0, &je) : json_pack("[s,s,s]", "/bin/sh", "-c", arg);
        if (!v || !json_is_array(v))
            return berr_set(err, BERR_INVALID, EINVAL, "--change \"%s\": not a JSON array", change);
        json_object_set_new(cfg, !strcmp(kw, "CMD") ? "Cmd" : "Entrypoint", v);
    } else if (!strcmp(kw, "ENV")) {
        json_t *env = json_object_get(cfg, "Env");
        if (!env)
            json_object_set_new(cfg, "Env", env = json_array());
        _cleanup_free_ char *kv = strdup(arg); /* a value of any length, never cut */
        if (!kv)
            return berr_sys(err, ENOMEM, "--change");
        char *eq = strchr(kv, '='), *sp = strchr(kv, ' ');
        if (!eq && sp) /* "ENV KEY value" form */
            *sp = '=';
        else if (!eq)
            return berr_set(err, BERR_INVALID, EINVAL, "--change \"%s\": ENV needs KEY=VALUE",
                            change);
        json_array_append_new(env, json_string(kv));
    } else if (!strcmp(kw, "WORKDIR")) {
        json_object_set_new(cfg, "WorkingDir", json_string(arg));
    } else if (!strcmp(kw, "USER")) {
        json_object_set_new(cfg, "User", json_string(arg));
    } else if (!strcmp(kw, "STOPSIGNAL")) {
        json_object_set_new(cfg, "StopSignal", json_string(arg));
    } else if (!strcmp(kw, "EXPOSE") || !strcmp(kw, "VOLUME")) {
        const char *key = !strcmp(kw, "EXPOSE") ? "ExposedPorts" : "Volumes";
        json_t *o = json_object_get(cfg, key);
        if (!o)
            json_object_set_new(cfg, key, o = json_object());
        _cleanup_free_ char *port = NULL;
        if (asprintf(&port, "%s%s", arg, !strcmp(kw, "EXPOSE") && !strchr(arg, '/') ? "/tcp" : "") <
            0)
            return berr_sys(err, ENOMEM, "--change");
        json_object_set_new(o, port, json_object());
    } else if (!strcmp(kw, "LABEL")) {
        json_t *o = json_object_get(cfg, "Labels");
        if (!o)
            json_object_set_new(cfg, "Labels", o = json_object());
        _cleanup_free_ char *kv = strdup(arg);
        if (!kv)
            return berr_sys(err, ENOMEM, "--change");
        char *eq = strchr(kv, '=');
        if (!eq)
            return berr_set(err, BERR_INVALID, EINVAL, "--change \"%s\": LABEL needs KEY=VALUE",
                            change);
        *eq = 0;
        json_object_set_new(o, kv, json_string(eq + 1));
    } else {
        return berr_set(
            err, BERR_INVALID, EINVAL,
            "--change \"%s\": %s is not supported (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, "
            "STOPSIGNAL, USER, VOLUME, WORKDIR are)",
            change, kw[0] ? kw : "an empty instruction");
    }
    return 0;
}

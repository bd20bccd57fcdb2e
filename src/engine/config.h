/* config.h - berth's configuration file, /etc/berth/berth.json (--config FILE, or
 * $BERTH_CONFIG), in the spirit of docker's daemon.json: the defaults that flags override.
 * CLI and daemon read the same file.
 *
 *   { "default-pids-limit": 2048 }   pids.max of a container run without --pids-limit;
 *                                    0 or -1: no limit
 *     "default-registry": "docker.io"  the registry of short names ("busybox") for pull and
 *                                    push; $BERTH_DEFAULT_REGISTRY overrides it (tests point
 *                                    it at a loopback address so nothing reaches out)
 *     "insecure-registries": ["h:5000", "10.0.0.0/8"]  registries spoken to over plain HTTP,
 *                                    besides 127.0.0.0/8 and ::1 (always): HOST[:PORT] or an
 *                                    IPv4 CIDR, as docker's daemon.json has them
 *     "certs-dir": "/etc/berth/certs.d"  per-registry CAs and client certificates in
 *                                    docker's certs.d layout (HOST[:PORT]/ca.crt,
 *                                    client.cert, client.key); an absolute path. Replaces
 *                                    /etc/berth/certs.d; /etc/docker/certs.d is read too
 *     "registry-mirrors": ["https://mirror.lan", "http://10.0.0.2:5000"]  pull mirrors of
 *                                    Docker Hub, tried in order before the default registry
 *                                    (docker's daemon.json key): scheme://HOST[:PORT] only
 *
 * A key berth does not know is refused (as dockerd refuses one), so a misspelt setting is
 * never silently without effect. */
#pragma once
#include <stdint.h>
#include "base/error.h"

#define CONFIG_DEFAULT_PATH "/etc/berth/berth.json"
/* podman's default: enough for any service, too few to take every PID of the host */
#define CONFIG_DEFAULT_PIDS_LIMIT 2048

#define CONFIG_DEFAULT_REGISTRY "docker.io"
#define CONFIG_MAX_INSECURE 32
#define CONFIG_NAME_MAX 256
#define CONFIG_DEFAULT_CERTS_DIR "/etc/berth/certs.d"
#define CONFIG_PATH_MAX 1024
#define CONFIG_MAX_MIRRORS 8

struct config {
    int64_t default_pids_limit;             /* > 0: the limit; -1: none */
    char default_registry[CONFIG_NAME_MAX]; /* host[:port]; never empty */
    /* fixed arrays, so a config is copied by value and owns nothing to free */
    char insecure_registries[CONFIG_MAX_INSECURE][CONFIG_NAME_MAX];
    int n_insecure;
    char certs_dir[CONFIG_PATH_MAX]; /* absolute; never empty */
    /* "http://host:port" or "https://host", no path, no trailing slash */
    char registry_mirrors[CONFIG_MAX_MIRRORS][CONFIG_NAME_MAX];
    int n_mirrors;
};

/* Reads the file at path; NULL: $BERTH_CONFIG, else CONFIG_DEFAULT_PATH. The default file
 * missing gives the defaults; a file named explicitly must exist. A file that is not a JSON
 * object, a key of the wrong type or an unknown key is an error naming the file. */
int config_load(const char *path, struct config *ret, struct berr **err);

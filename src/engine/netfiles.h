/* netfiles.h - the /etc/hosts, /etc/hostname and /etc/resolv.conf a container sees, written
 * as docker writes them into the container's directory and bound over the image's.
 *
 * Every container gets the three, whatever its network. A network of its own (today: none):
 * hosts with localhost and the IPv6 names docker lists, then --add-host lines; resolv.conf
 * the host's with loopback nameservers dropped (they mean nothing in another network
 * namespace), docker's public defaults if none is left, --dns/--dns-search/--dns-option
 * replacing the host's. --network host: the host's hosts and resolv.conf as they are (and
 * the flags), and the host's name. */
#pragma once
#include <stdbool.h>
#include <jansson.h>
#include "base/error.h"

struct netfiles_opts {
    const char *hostname; /* the container's */
    bool host_network;
    char **dns, **dns_search, **dns_options, **add_hosts; /* NULL-terminated, or NULL */
};

/* Checks the flags before anything is made: --dns an IP address, --dns-search a domain
 * name (or "."), --dns-option one word, --add-host HOST:IP (host-gateway refused while
 * berth has no bridge). BERR_INVALID naming the flag and the value. */
int netfiles_check(const struct netfiles_opts *o, struct berr **err);

/* The files' text from the host's (hosts_text, resolv_text: what /etc/hosts and the
 * resolver's file hold, or NULL if missing). Caller frees. */
char *netfiles_hosts(const struct netfiles_opts *o, const char *hosts_text);
char *netfiles_resolv(const struct netfiles_opts *o, const char *resolv_text);

/* Writes hosts, hostname and resolv.conf into the directory dirfd from the host's files. */
int netfiles_write(int dirfd, const struct netfiles_opts *o, struct berr **err);

/* Adds the three bind mounts (from dir) to the spec's mounts, read-only with a read-only
 * root file system, as docker mounts them. */
void netfiles_mounts(json_t *spec, const char *dir, bool read_only);

/* Makes dir/init: etc/ with the three files empty, the mount points the runtime binds them
 * onto, laid over the image as docker's init layer (overlay_mount's init) so that they are
 * never a change of the container's (diff, commit), whatever the image has. */
int netfiles_init_layer(const char *dir, struct berr **err);

/* The host's name (gethostname), for --network host; "localhost" if it has none. */
void netfiles_host_name(char *buf, size_t len);

/* netfiles.c - /etc/hosts, /etc/hostname and /etc/resolv.conf for a container (netfiles.h) */
#include "engine/netfiles.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* docker's fallback when no nameserver is left (libnetwork's resolvconf defaults) */
static const char *const default_dns[] = {"8.8.8.8", "8.8.4.4", NULL};

static bool is_ip(const char *s)
{
    unsigned char b[16];
    return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

static bool is_word(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
            return false;
    return true;
}

/* a domain name as docker's ValidateDNSSearch takes it: labels of letters, digits and '-',
 * not starting or ending with '-', at most 255 characters; "." alone means none */
static bool is_domain(const char *s)
{
    size_t n = strlen(s);
    if (!strcmp(s, "."))
        return true;
    if (n == 0 || n > 255 || s[0] == '.' || s[0] == '-')
        return false;
    for (const char *p = s; *p; p++) {
        if (*p == '.') {
            if (p[1] == '.' || p[-1] == '-' || p[1] == '-')
                return false;
        } else if (!isalnum((unsigned char)*p) && *p != '-') {
            return false;
        }
    }
    return s[n - 1] != '-';
}

int netfiles_check(const struct netfiles_opts *o, struct berr **err)
{
    for (char **d = o->dns; d && *d; d++)
        if (!is_ip(*d))
            return berr_set(err, BERR_INVALID, EINVAL, "--dns %s: not an IP address", *d);
    for (char **d = o->dns_search; d && *d; d++)
        if (!is_domain(*d))
            return berr_set(err, BERR_INVALID, EINVAL, "--dns-search %s: not a domain name", *d);
    for (char **d = o->dns_options; d && *d; d++)
        if (!is_word(*d))
            return berr_set(err, BERR_INVALID, EINVAL, "--dns-option %s: one word, as ndots:2", *d);
    for (char **h = o->add_hosts; h && *h; h++) {
        const char *colon = strchr(*h, ':');
        if (!colon || colon == *h)
            return berr_set(err, BERR_INVALID, EINVAL, "--add-host %s: use HOST:IP", *h);
        _cleanup_free_ char *host = xstrndup(*h, (size_t)(colon - *h));
        if (!is_word(host) || strchr(host, '#'))
            return berr_set(err, BERR_INVALID, EINVAL, "--add-host %s: invalid host name", *h);
        if (!strcmp(colon + 1, "host-gateway"))
            return berr_set(err, BERR_UNSUPPORTED, ENOTSUP,
                            "--add-host %s: host-gateway needs bridge networking, which berth "
                            "does not have yet",
                            *h);
        if (!is_ip(colon + 1))
            return berr_set(err, BERR_INVALID, EINVAL, "--add-host %s: invalid IP address %s", *h,
                            colon + 1);
    }
    return 0;
}

/* appends text to a growing string */
static void cat(char **s, size_t *len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cat(char **s, size_t *len, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    *s = xrealloc(*s, *len + (size_t)n + 1);
    vsnprintf(*s + *len, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    *len += (size_t)n;
}

char *netfiles_hosts(const struct netfiles_opts *o, const char *hosts_text)
{
    char *s = xstrdup("");
    size_t len = 0;
    if (o->host_network) {
        if (hosts_text) {
            cat(&s, &len, "%s", hosts_text);
            if (len && s[len - 1] != '\n')
                cat(&s, &len, "\n");
        }
    } else {
        cat(&s, &len,
            "127.0.0.1\tlocalhost\n"
            "::1\tlocalhost ip6-localhost ip6-loopback\n"
            "fe00::0\tip6-localnet\n"
            "ff00::0\tip6-mcastprefix\n"
            "ff02::1\tip6-allnodes\n"
            "ff02::2\tip6-allrouters\n");
    }
    for (char **h = o->add_hosts; h && *h; h++) {
        const char *colon = strchr(*h, ':');
        if (colon)
            cat(&s, &len, "%s\t%.*s\n", colon + 1, (int)(colon - *h), *h);
    }
    return s;
}

static bool loopback_ns(const char *ip)
{
    struct in_addr a;
    struct in6_addr a6;
    if (inet_pton(AF_INET, ip, &a) == 1)
        return (ntohl(a.s_addr) >> 24) == 127;
    return inet_pton(AF_INET6, ip, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* the value after a keyword at the start of line (its first word), or NULL */
static const char *keyword(const char *line, const char *kw)
{
    size_t n = strlen(kw);
    if (strncmp(line, kw, n) != 0 || (line[n] != ' ' && line[n] != '\t'))
        return NULL;
    return line + n + strspn(line + n, " \t");
}

char *netfiles_resolv(const struct netfiles_opts *o, const char *resolv_text)
{
    char *s = xstrdup("");
    size_t len = 0;
    bool custom = (o->dns && *o->dns) || (o->dns_search && *o->dns_search) ||
                  (o->dns_options && *o->dns_options);
    if (o->host_network && !custom) {
        /* the host's as it is: the container shares its network */
        if (resolv_text) {
            cat(&s, &len, "%s", resolv_text);
            if (len && s[len - 1] != '\n')
                cat(&s, &len, "\n");
        }
        return s;
    }
    /* the host's lines, each kept unless a flag replaces its kind or it names a loopback
     * nameserver another network namespace cannot reach */
    _cleanup_free_ char *copy = xstrdup(resolv_text ? resolv_text : "");
    size_t kept_ns = 0;
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        const char *v;
        if ((v = keyword(line, "nameserver"))) {
            char ip[64];
            snprintf(ip, sizeof(ip), "%.*s", (int)strcspn(v, " \t#;"), v);
            if ((o->dns && *o->dns) || (!o->host_network && loopback_ns(ip)))
                continue;
            kept_ns++;
        } else if (keyword(line, "search") || keyword(line, "domain")) {
            if (o->dns_search && *o->dns_search)
                continue;
        } else if (keyword(line, "options")) {
            if (o->dns_options && *o->dns_options)
                continue;
        }
        cat(&s, &len, "%s\n", line);
    }
    for (char **d = o->dns; d && *d; d++, kept_ns++)
        cat(&s, &len, "nameserver %s\n", *d);
    if (!kept_ns && !o->host_network)
        for (const char *const *d = default_dns; *d; d++)
            cat(&s, &len, "nameserver %s\n", *d);
    /* "." alone: no search list (docker's way to drop the host's) */
    if (o->dns_search && *o->dns_search && strcmp(o->dns_search[0], ".") != 0) {
        cat(&s, &len, "search");
        for (char **d = o->dns_search; *d; d++)
            cat(&s, &len, " %s", *d);
        cat(&s, &len, "\n");
    }
    if (o->dns_options && *o->dns_options) {
        cat(&s, &len, "options");
        for (char **d = o->dns_options; *d; d++)
            cat(&s, &len, " %s", *d);
        cat(&s, &len, "\n");
    }
    return s;
}

/* a host file's text (at most 1 MiB), or NULL if it cannot be read */
static char *slurp(const char *path)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, len = 0;
    char *s = xmalloc(cap + 1);
    for (;;) {
        if (len == cap) {
            if (cap >= (1 << 20))
                break;
            cap *= 2;
            s = xrealloc(s, cap + 1);
        }
        ssize_t r = read(fd, s + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    s[len] = 0;
    /* a NUL inside is the end, as the resolver sees it */
    return s;
}

/* The host's resolver configuration: /etc/resolv.conf, unless it names only systemd-resolved's
 * stub (127.0.0.53), whose real upstreams are in /run/systemd/resolve/resolv.conf, as docker
 * reads them */
static char *host_resolv(bool host_network)
{
    char *t = slurp("/etc/resolv.conf");
    if (!t || host_network || !strstr(t, "127.0.0.53"))
        return t;
    char *up = slurp("/run/systemd/resolve/resolv.conf");
    if (!up)
        return t;
    free(t);
    return up;
}

int netfiles_init_layer(const char *dir, struct berr **err)
{
    _cleanup_free_ char *init = xasprintf("%s/init", dir);
    _cleanup_free_ char *etc = xasprintf("%s/etc", init);
    if ((mkdir(init, 0755) < 0 && errno != EEXIST) || chmod(init, 0755) < 0 ||
        (mkdir(etc, 0755) < 0 && errno != EEXIST) || chmod(etc, 0755) < 0)
        return berr_sys(err, errno, "init layer %s", init);
    _cleanup_close_ int dfd = open(etc, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return berr_sys(err, errno, "init layer %s", etc);
    static const char *const files[] = {"hosts", "hostname", "resolv.conf"};
    for (size_t i = 0; i < 3; i++) {
        int fd = openat(dfd, files[i], O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0 || fchmod(fd, 0644) < 0) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            return berr_sys(err, e, "init layer %s/%s", etc, files[i]);
        }
        close(fd);
    }
    return 0;
}

void netfiles_host_name(char *buf, size_t len)
{
    if (gethostname(buf, len) < 0 || !buf[0])
        snprintf(buf, len, "localhost");
    buf[len - 1] = 0;
}

int netfiles_write(int dirfd, const struct netfiles_opts *o, struct berr **err)
{
    _cleanup_free_ char *hosts_in = o->host_network ? slurp("/etc/hosts") : NULL;
    _cleanup_free_ char *resolv_in = host_resolv(o->host_network);
    _cleanup_free_ char *hosts = netfiles_hosts(o, hosts_in);
    _cleanup_free_ char *resolv = netfiles_resolv(o, resolv_in);
    _cleanup_free_ char *hostname = xasprintf("%s\n", o->hostname);
    /* 0644: read by every user of the container, as docker's */
    if (fs_write_replace(dirfd, "hosts", hosts, strlen(hosts), 0644, err) < 0 ||
        fs_write_replace(dirfd, "hostname", hostname, strlen(hostname), 0644, err) < 0 ||
        fs_write_replace(dirfd, "resolv.conf", resolv, strlen(resolv), 0644, err) < 0)
        return berr_prefix(err, "network files");
    return 0;
}

void netfiles_mounts(json_t *spec, const char *dir, bool read_only)
{
    static const char *const files[][2] = {{"resolv.conf", "/etc/resolv.conf"},
                                           {"hostname", "/etc/hostname"},
                                           {"hosts", "/etc/hosts"}};
    json_t *mounts = json_object_get(spec, "mounts");
    for (size_t i = 0; i < 3; i++) {
        _cleanup_free_ char *src = xasprintf("%s/%s", dir, files[i][0]);
        json_array_append_new(mounts,
                              json_pack("{s:s,s:s,s:s,s:[s,s,s]}", "destination", files[i][1],
                                        "type", "bind", "source", src, "options", "rbind",
                                        "rprivate", read_only ? "ro" : "rw"));
    }
}

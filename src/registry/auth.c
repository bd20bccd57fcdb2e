/* auth.c - WWW-Authenticate challenges and docker's config.json credentials */
#include "registry/auth.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "base/cleanup.h"
#include "base/fs.h"

#define HUB_KEY "https://index.docker.io/v1/"

void auth_challenge_clear(struct auth_challenge *c)
{
    free(c->scheme);
    free(c->realm);
    free(c->service);
    free(c->scope);
    memset(c, 0, sizeof(*c));
}

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

int auth_parse_challenge(const char *h, struct auth_challenge *ret, struct berr **err)
{
    struct auth_challenge c = {0};
    h = skip_ws(h ? h : "");
    size_t n = strcspn(h, " \t,");
    if (n == 0)
        return berr_set(err, BERR_INVALID, EINVAL, "WWW-Authenticate: no scheme");
    c.scheme = xstrndup(h, n);
    for (char *p = c.scheme; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    h += n;
    for (;;) {
        h = skip_ws(h);
        while (*h == ',' || *h == ' ' || *h == '\t')
            h++;
        if (!*h)
            break;
        size_t kn = strcspn(h, "= \t,");
        const char *key = h;
        h += kn;
        h = skip_ws(h);
        if (*h != '=') /* a token68 or a stray word: nothing we use */
            continue;
        h = skip_ws(h + 1);
        _cleanup_free_ char *val = xmalloc(strlen(h) + 1);
        size_t vn = 0;
        if (*h == '"') {
            for (h++; *h && *h != '"'; h++) {
                if (*h == '\\' && h[1])
                    h++;
                val[vn++] = *h;
            }
            if (*h != '"') {
                auth_challenge_clear(&c);
                return berr_set(err, BERR_INVALID, EINVAL, "WWW-Authenticate: unterminated quote");
            }
            h++;
        } else {
            while (*h && *h != ',' && *h != ' ' && *h != '\t')
                val[vn++] = *h++;
        }
        val[vn] = 0;
        char **slot = NULL;
        if (kn == 5 && !strncasecmp(key, "realm", 5))
            slot = &c.realm;
        else if (kn == 7 && !strncasecmp(key, "service", 7))
            slot = &c.service;
        else if (kn == 5 && !strncasecmp(key, "scope", 5))
            slot = &c.scope;
        if (slot) {
            free(*slot);
            *slot = TAKE_PTR(val);
        }
    }
    *ret = c;
    return 0;
}

char *auth_b64_encode(const void *data, size_t len)
{
    char *out = xmalloc(4 * ((len + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

int auth_b64_decode(const char *s, char **ret, size_t *ret_len, struct berr **err)
{
    size_t n = strlen(s);
    if (n % 4 != 0 || n > INT_MAX / 2)
        return berr_set(err, BERR_INVALID, EINVAL, "invalid base64");
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '/' ||
                  (c == '=' && i >= n - 2 && (i == n - 1 || s[n - 1] == '='));
        if (!ok)
            return berr_set(err, BERR_INVALID, EINVAL, "invalid base64");
    }
    char *out = xmalloc(n / 4 * 3 + 1);
    int m = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
    if (m < 0) {
        free(out);
        return berr_set(err, BERR_INVALID, EINVAL, "invalid base64");
    }
    /* EVP_DecodeBlock counts the padding as zero bytes */
    if (n && s[n - 1] == '=')
        m--;
    if (n > 1 && s[n - 2] == '=')
        m--;
    out[m] = 0;
    *ret = out;
    if (ret_len)
        *ret_len = (size_t)m;
    return 0;
}

static bool is_hub(const char *host)
{
    return !strcmp(host, "docker.io") || !strcmp(host, "index.docker.io") ||
           !strcmp(host, "registry-1.docker.io") || !strcmp(host, HUB_KEY);
}

char *auth_key(const char *host)
{
    return xstrdup(is_hub(host) ? HUB_KEY : host);
}

char *auth_config_path(void)
{
    const char *d = getenv("DOCKER_CONFIG");
    if (d && *d)
        return xasprintf("%s/config.json", d);
    const char *home = getenv("HOME");
    return xasprintf("%s/.docker/config.json", home && *home ? home : "/root");
}

/* "https://host:5000/v1/" -> "host:5000"; anything else as it is */
static char *key_host(const char *key)
{
    if (!strcmp(key, HUB_KEY))
        return xstrdup(key);
    const char *s = key;
    if (!strncmp(s, "https://", 8))
        s += 8;
    else if (!strncmp(s, "http://", 7))
        s += 7;
    return xstrndup(s, strcspn(s, "/"));
}

static json_t *load(const char *path, struct berr **err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    _cleanup_berr_ struct berr *e = NULL;
    if (fs_read_file(path, &text, &len, &e) < 0) {
        if (e->errnum == ENOENT)
            return json_object();
        *err = TAKE_PTR(e);
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(text, len, 0, &je);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        berr_set(err, BERR_INVALID, EINVAL, "%s: not a JSON object", path);
        return NULL;
    }
    return j;
}

/* the entry of host in auths: its exact key, or a URL key naming the same host */
static const char *find_key(json_t *auths, const char *host)
{
    _cleanup_free_ char *want = auth_key(host);
    if (json_object_get(auths, want))
        return json_object_iter_key(json_object_iter_at(auths, want));
    const char *k;
    json_t *v;
    json_object_foreach(auths, k, v)
    {
        _cleanup_free_ char *h = key_host(k);
        if (!strcmp(h, want) || (is_hub(h) && is_hub(want)))
            return k;
    }
    return NULL;
}

/* ---- credential helpers ---- */

int auth_helper_name(json_t *config, const char *host, char **ret, struct berr **err)
{
    _cleanup_free_ char *want = auth_key(host);
    json_t *helpers = json_object_get(config, "credHelpers");
    const char *name = NULL, *k;
    json_t *v;
    json_object_foreach(helpers, k, v)
    {
        _cleanup_free_ char *h = key_host(k);
        if (!strcmp(k, host) || !strcmp(k, want) || !strcmp(h, want) || (is_hub(h) && is_hub(want)))
            name = json_string_value(v);
    }
    if (!name || !*name)
        name = json_string_value(json_object_get(config, "credsStore"));
    *ret = NULL;
    if (!name || !*name)
        return 0;
    if (strchr(name, '/') || strlen(name) > 128)
        return berr_set(err, BERR_INVALID, EINVAL, "credential helper \"%s\" is not a helper name",
                        name);
    *ret = xstrdup(name);
    return 0;
}

char *auth_helper_store_input(const char *server, const char *user, const char *secret)
{
    json_t *j = json_pack("{s:s,s:s,s:s}", "ServerURL", server, "Username", user, "Secret", secret);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

int auth_helper_parse_get(const char *out, char **ret_user, char **ret_secret, struct berr **err)
{
    json_t *j __attribute__((cleanup(json_decrefp))) = json_loads(out ? out : "", 0, NULL);
    const char *u = json_string_value(json_object_get(j, "Username"));
    const char *p = json_string_value(json_object_get(j, "Secret"));
    if (!u || !p || !*p || strchr(u, ':'))
        return berr_set(err, BERR_INVALID, EINVAL,
                        "not {\"Username\": ..., \"Secret\": ...} in the helper's answer");
    *ret_user = xstrdup(u);
    *ret_secret = xstrdup(p);
    return 0;
}

bool auth_helper_not_found(const char *out)
{
    return out && strstr(out, "credentials not found");
}

static char *read_all_fd(int fd)
{
    struct stat sb;
    if (fstat(fd, &sb) < 0 || lseek(fd, 0, SEEK_SET) < 0)
        return xstrdup("");
    size_t n = sb.st_size > (1 << 20) ? (1 << 20) : (size_t)sb.st_size;
    char *buf = xmalloc(n + 1);
    ssize_t k = read(fd, buf, n);
    buf[k > 0 ? (size_t)k : 0] = 0;
    /* trimmed: surrounding white space and newlines */
    size_t len = strlen(buf);
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
        buf[--len] = 0;
    return buf;
}

int auth_helper_run(const char *name, const char *action, const char *input, char **ret_out,
                    struct berr **err)
{
    _cleanup_free_ char *prog = xasprintf("docker-credential-%s", name);
    /* stdin, stdout and stderr are memfds: no pipe to deadlock on, nothing on our terminal */
    _cleanup_close_ int in = memfd_create("cred-in", MFD_CLOEXEC);
    _cleanup_close_ int out = memfd_create("cred-out", MFD_CLOEXEC);
    _cleanup_close_ int errfd = memfd_create("cred-err", MFD_CLOEXEC);
    if (in < 0 || out < 0 || errfd < 0)
        return berr_sys(err, errno, "credential helper %s", prog);
    if (fs_write_all(in, input, strlen(input)) < 0 || lseek(in, 0, SEEK_SET) < 0)
        return berr_sys(err, errno, "credential helper %s", prog);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in, 0);
    posix_spawn_file_actions_adddup2(&fa, out, 1);
    posix_spawn_file_actions_adddup2(&fa, errfd, 2);
    char *argv[] = {prog, (char *)action, NULL};
    extern char **environ;
    pid_t pid;
    int r = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r == ENOENT)
        return berr_set(err, BERR_INVALID, ENOENT,
                        "credential helper %s: executable file not found in $PATH", prog);
    if (r != 0)
        return berr_sys(err, r, "credential helper %s", prog);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return berr_sys(err, errno, "credential helper %s", prog);
    _cleanup_free_ char *o = read_all_fd(out);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        *ret_out = TAKE_PTR(o);
        return 0;
    }
    /* its message: stdout (the protocol's), else stderr, else the status; one line */
    _cleanup_free_ char *e2 = read_all_fd(errfd);
    const char *msg = *o ? o : e2;
    size_t ml = strcspn(msg, "\n");
    char st[48];
    if (WIFEXITED(status))
        snprintf(st, sizeof(st), "exit status %d", WEXITSTATUS(status));
    else
        snprintf(st, sizeof(st), "killed by signal %d", WTERMSIG(status));
    berr_set(err, BERR_INVALID, EIO, "credential helper %s %s: %.*s%s%s", prog, action, (int)ml,
             msg, ml ? ": " : "", st);
    *ret_out = TAKE_PTR(o);
    return -EIO;
}

/* user and password for host from its helper: none when the helper has none */
static int helper_get(const char *helper, const char *host, char **ret_user, char **ret_pass,
                      struct berr **err)
{
    _cleanup_free_ char *server = auth_key(host), *out = NULL;
    if (auth_helper_run(helper, "get", server, &out, err) < 0) {
        if (!auth_helper_not_found(out))
            return -1;
        berr_free(TAKE_PTR(*err));
        return 0;
    }
    if (auth_helper_parse_get(out, ret_user, ret_pass, err) < 0)
        return berr_prefix(err, "credential helper docker-credential-%s get", helper);
    return 0;
}

int auth_get(const char *path, const char *host, char **ret_user, char **ret_pass,
             struct berr **err)
{
    _cleanup_free_ char *p = path ? xstrdup(path) : auth_config_path();
    json_t *j __attribute__((cleanup(json_decrefp))) = load(p, err);
    if (!j)
        return berr_code(*err);
    *ret_user = *ret_pass = NULL;
    _cleanup_free_ char *helper = NULL;
    if (auth_helper_name(j, host, &helper, err) < 0)
        return berr_prefix(err, "%s", p);
    if (helper)
        return helper_get(helper, host, ret_user, ret_pass, err);
    json_t *auths = json_object_get(j, "auths");
    const char *k = find_key(auths, host);
    const char *b64 =
        k ? json_string_value(json_object_get(json_object_get(auths, k), "auth")) : NULL;
    if (!b64 || !*b64)
        return 0;
    _cleanup_free_ char *plain = NULL;
    size_t n = 0;
    if (auth_b64_decode(b64, &plain, &n, err) < 0 || strlen(plain) != n || !strchr(plain, ':'))
        return berr_set(err, BERR_INVALID, EINVAL,
                        "%s: auths[\"%s\"].auth is not user:password "
                        "in base64",
                        p, k);
    char *colon = strchr(plain, ':');
    *ret_user = xstrndup(plain, (size_t)(colon - plain));
    *ret_pass = xstrdup(colon + 1);
    return 0;
}

static int save(const char *path, json_t *j, struct berr **err)
{
    _cleanup_free_ char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = 0;
        int r = fs_mkdir_p(dir, 0700);
        if (r < 0)
            return berr_sys(err, -r, "mkdir %s", dir);
    }
    _cleanup_free_ char *text = json_dumps(j, JSON_INDENT(1));
    _cleanup_close_ int dfd = open(slash ? dir : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return berr_sys(err, errno, "%s", dir);
    size_t tl = strlen(text);
    text = xrealloc(text, tl + 2);
    text[tl] = '\n';
    text[tl + 1] = 0;
    return fs_write_atomic(dfd, slash ? slash + 1 : path, text, tl + 1, 0600, err);
}

int auth_store(const char *path, const char *host, const char *user, const char *pass,
               struct berr **err)
{
    _cleanup_free_ char *p = path ? xstrdup(path) : auth_config_path();
    json_t *j __attribute__((cleanup(json_decrefp))) = load(p, err);
    if (!j)
        return berr_code(*err);
    json_t *auths = json_object_get(j, "auths");
    if (!json_is_object(auths)) {
        auths = json_object();
        json_object_set_new(j, "auths", auths);
    }
    const char *old = find_key(auths, host);
    if (old)
        json_object_del(auths, old);
    _cleanup_free_ char *key = auth_key(host), *helper = NULL;
    if (auth_helper_name(j, host, &helper, err) < 0)
        return berr_prefix(err, "%s", p);
    if (helper) {
        /* the secret goes to the helper; the file keeps an empty entry, as docker's does */
        _cleanup_free_ char *in = auth_helper_store_input(key, user, pass), *out = NULL;
        if (auth_helper_run(helper, "store", in, &out, err) < 0)
            return -1;
        json_object_set_new(auths, key, json_object());
        return save(p, j, err);
    }
    _cleanup_free_ char *plain = xasprintf("%s:%s", user, pass);
    _cleanup_free_ char *b64 = auth_b64_encode(plain, strlen(plain));
    json_object_set_new(auths, key, json_pack("{s:s}", "auth", b64));
    return save(p, j, err);
}

int auth_remove(const char *path, const char *host, struct berr **err)
{
    _cleanup_free_ char *p = path ? xstrdup(path) : auth_config_path();
    json_t *j __attribute__((cleanup(json_decrefp))) = load(p, err);
    if (!j)
        return berr_code(*err);
    json_t *auths = json_object_get(j, "auths");
    const char *k = find_key(auths, host);
    _cleanup_free_ char *helper = NULL;
    if (auth_helper_name(j, host, &helper, err) < 0)
        return berr_prefix(err, "%s", p);
    bool had = false;
    if (helper) {
        _cleanup_free_ char *server = auth_key(host), *out = NULL;
        if (auth_helper_run(helper, "erase", server, &out, err) < 0) {
            if (!auth_helper_not_found(out))
                return -1;
            berr_free(TAKE_PTR(*err));
        } else {
            had = true;
        }
    }
    if (!k)
        return had ? 1 : 0;
    json_object_del(auths, k);
    int r = save(p, j, err);
    return r < 0 ? r : 1;
}

/* test-registry-client.c - the registry client's pure parts: names and endpoints, insecure
 * registries, WWW-Authenticate, platform selection, config.json credentials */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/cleanup.h"
#include "base/fs.h"
#include "engine/config.h"
#include "image/reference.h"
#include "registry/auth.h"
#include "registry/client.h"
#include "registry/client-http.h"

static void test_names(void **state)
{
    /* docker's normalisation (reference.c), and where each name is fetched from */
    struct config c = {.default_registry = "docker.io"};
    struct {
        const char *in, *full, *endpoint;
    } cases[] = {
        {"busybox", "docker.io/library/busybox:latest", "registry-1.docker.io"},
        {"user/app:1", "docker.io/user/app:1", "registry-1.docker.io"},
        {"localhost:5000/x", "localhost:5000/x:latest", "localhost:5000"},
        {"127.0.0.1:5000/a/b:t", "127.0.0.1:5000/a/b:t", "127.0.0.1:5000"},
        {"[::1]:5000/x", "[::1]:5000/x:latest", "[::1]:5000"},
        {"localhost/x", "localhost/x:latest", "localhost"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        _cleanup_berr_ struct berr *err = NULL;
        struct ref *r = ref_parse(cases[i].in, &err);
        assert_non_null(r);
        _cleanup_free_ char *full = ref_string(r), *ep = reg_endpoint(&c, r->domain);
        assert_string_equal(full, cases[i].full);
        assert_string_equal(ep, cases[i].endpoint);
        ref_free(r);
    }
    /* a configured default registry stands in for Docker Hub, the names stay Hub's */
    snprintf(c.default_registry, sizeof(c.default_registry), "127.0.0.1:1");
    _cleanup_free_ char *ep = reg_endpoint(&c, "docker.io"), *other = reg_endpoint(&c, "q.io");
    assert_string_equal(ep, "127.0.0.1:1");
    assert_string_equal(other, "q.io");
}

static void test_insecure(void **state)
{
    struct config c = {.n_insecure = 3};
    snprintf(c.insecure_registries[0], CONFIG_NAME_MAX, "reg.lan:5000");
    snprintf(c.insecure_registries[1], CONFIG_NAME_MAX, "10.1.0.0/16");
    snprintf(c.insecure_registries[2], CONFIG_NAME_MAX, "plain.example");
    assert_true(reg_insecure(&c, "127.0.0.1:5000"));
    assert_true(reg_insecure(&c, "127.255.3.4"));
    assert_true(reg_insecure(&c, "[::1]:5000"));
    assert_true(reg_insecure(&c, "localhost:5000"));
    assert_true(reg_insecure(&c, "reg.lan:5000"));
    assert_false(reg_insecure(&c, "reg.lan:5001"));
    assert_true(reg_insecure(&c, "10.1.200.3:80"));
    assert_false(reg_insecure(&c, "10.2.0.1"));
    assert_true(reg_insecure(&c, "plain.example:443"));
    assert_false(reg_insecure(&c, "registry-1.docker.io"));
    assert_false(reg_insecure(&c, "128.0.0.1"));
    assert_false(reg_insecure(NULL, "[::2]:5000"));
}

static void test_challenge(void **state)
{
    struct auth_challenge c;
    _cleanup_berr_ struct berr *err = NULL;
    assert_int_equal(auth_parse_challenge("Bearer realm=\"https://auth.docker.io/token\","
                                          "service=\"registry.docker.io\",scope=\"repository:"
                                          "library/busybox:pull\"",
                                          &c, &err),
                     0);
    assert_string_equal(c.scheme, "bearer");
    assert_string_equal(c.realm, "https://auth.docker.io/token");
    assert_string_equal(c.service, "registry.docker.io");
    assert_string_equal(c.scope, "repository:library/busybox:pull");
    auth_challenge_clear(&c);
    /* any case, spaces, unquoted values, an escaped quote, unknown keys */
    assert_int_equal(auth_parse_challenge("  BASIC Realm = \"a \\\"b\\\" c\" , error=x,"
                                          " service=svc",
                                          &c, &err),
                     0);
    assert_string_equal(c.scheme, "basic");
    assert_string_equal(c.realm, "a \"b\" c");
    assert_string_equal(c.service, "svc");
    assert_null(c.scope);
    auth_challenge_clear(&c);
    assert_true(auth_parse_challenge("", &c, &err) < 0);
    berr_freep(&err);
    assert_true(auth_parse_challenge("Bearer realm=\"open", &c, &err) < 0);
}

static void test_platform(void **state)
{
    const char *text =
        "{\"manifests\":["
        "{\"digest\":\"sha256:att\",\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"}}"
        ","
        "{\"digest\":\"sha256:amd\",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
        "{\"digest\":\"sha256:v6\",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\","
        "\"variant\":\"v6\"}},"
        "{\"digest\":\"sha256:v7\",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\","
        "\"variant\":\"v7\"}},"
        "{\"digest\":\"sha256:a64\",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\","
        "\"variant\":\"v8\"}},"
        "{\"digest\":\"sha256:win\",\"platform\":{\"os\":\"windows\",\"architecture\":\"amd64\"}}"
        "]}";
    json_t *idx = json_loads(text, 0, NULL);
    struct {
        const char *plat, *want;
    } cases[] = {
        {"linux/amd64", "sha256:amd"},
        {"linux/arm/v7", "sha256:v7"},
        {"linux/arm/v6", "sha256:v6"},
        {"linux/arm64", "sha256:a64"},
        {"linux/arm64/v8", "sha256:a64"},
        {"windows/amd64", "sha256:win"},
        {"linux/s390x", NULL},
        {"linux/arm/v5", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct reg_platform p;
        _cleanup_berr_ struct berr *err = NULL;
        assert_int_equal(reg_platform_parse(cases[i].plat, &p, &err), 0);
        json_t *d = reg_select_platform(idx, &p);
        if (!cases[i].want) {
            assert_null(d);
            continue;
        }
        assert_non_null(d);
        assert_string_equal(json_string_value(json_object_get(d, "digest")), cases[i].want);
    }
    const char *bad[] = {"linux", "/amd64", "linux/", "linux/arm/", "a/b/c/d", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        struct reg_platform p;
        _cleanup_berr_ struct berr *err = NULL;
        assert_true(reg_platform_parse(bad[i], &p, &err) < 0);
        assert_int_equal(err->kind, BERR_INVALID);
    }
    struct reg_platform h;
    reg_platform_host(&h);
    assert_string_equal(h.os, "linux");
    assert_true(h.arch[0] != 0);
    json_decref(idx);
}

static void test_b64(void **state)
{
    _cleanup_free_ char *e = auth_b64_encode("alice:s3cret", 12);
    assert_string_equal(e, "YWxpY2U6czNjcmV0");
    _cleanup_free_ char *e1 = auth_b64_encode("a", 1), *e2 = auth_b64_encode("ab", 2);
    assert_string_equal(e1, "YQ==");
    assert_string_equal(e2, "YWI=");
    char *d = NULL;
    size_t n = 0;
    _cleanup_berr_ struct berr *err = NULL;
    assert_int_equal(auth_b64_decode("YWI=", &d, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(d, "ab");
    free(d);
    assert_int_equal(auth_b64_decode("YQ==", &d, &n, &err), 0);
    assert_int_equal(n, 1);
    free(d);
    const char *bad[] = {"YQ=", "Y*==", "=YQ=", "YQ=a"};
    for (size_t i = 0; i < 4; i++) {
        _cleanup_berr_ struct berr *e3 = NULL;
        assert_true(auth_b64_decode(bad[i], &d, &n, &e3) < 0);
    }
}

static void test_config_json(void **state)
{
    char dir[] = "/tmp/berth-auth-test.XXXXXX";
    assert_non_null(mkdtemp(dir));
    _cleanup_free_ char *path = xasprintf("%s/sub/config.json", dir);
    _cleanup_berr_ struct berr *err = NULL;
    char *u = NULL, *p = NULL;
    /* no file: no credentials, no error */
    assert_int_equal(auth_get(path, "r:5000", &u, &p, &err), 0);
    assert_null(u);
    assert_int_equal(auth_store(path, "r:5000", "alice", "pa:ss", &err), 0);
    assert_int_equal(auth_store(path, "docker.io", "bob", "x", &err), 0);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    json_t *j = json_load_file(path, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(j, "auths"), "r:5000"), "auth")),
                        "YWxpY2U6cGE6c3M=");
    assert_non_null(json_object_get(json_object_get(j, "auths"), "https://index.docker.io/v1/"));
    json_decref(j);
    assert_int_equal(auth_get(path, "r:5000", &u, &p, &err), 0);
    assert_string_equal(u, "alice");
    assert_string_equal(p, "pa:ss"); /* split at the first colon */
    free(u);
    free(p);
    assert_int_equal(auth_get(path, "registry-1.docker.io", &u, &p, &err), 0);
    assert_string_equal(u, "bob");
    free(u);
    free(p);
    /* other keys survive; an URL key counts for its host */
    FILE *f = fopen(path, "w");
    fputs("{\"psFormat\":\"x\",\"auths\":{\"https://q.io/v1/\":{\"auth\":\"dTpw\"}}}", f);
    fclose(f);
    assert_int_equal(auth_get(path, "q.io", &u, &p, &err), 0);
    assert_string_equal(u, "u");
    assert_string_equal(p, "p");
    free(u);
    free(p);
    assert_int_equal(auth_remove(path, "q.io", &err), 1);
    assert_int_equal(auth_remove(path, "q.io", &err), 0);
    j = json_load_file(path, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "psFormat")), "x");
    json_decref(j);
    /* a broken entry is an error, not an anonymous pull */
    f = fopen(path, "w");
    fputs("{\"auths\":{\"b:1\":{\"auth\":\"bm9jb2xvbg==\"}}}", f);
    fclose(f);
    assert_true(auth_get(path, "b:1", &u, &p, &err) < 0);
    assert_int_equal(err->kind, BERR_INVALID);
    /* $DOCKER_CONFIG names the directory */
    setenv("DOCKER_CONFIG", "/x/y", 1);
    _cleanup_free_ char *cp = auth_config_path();
    assert_string_equal(cp, "/x/y/config.json");
    unsetenv("DOCKER_CONFIG");
    _cleanup_free_ char *k = auth_key("index.docker.io");
    assert_string_equal(k, "https://index.docker.io/v1/");
    fs_rm_rf(dir);
}

static void test_config_settings(void **state)
{
    char path[] = "/tmp/berth-regconf.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "{\"default-registry\":\"mirror.lan:5000\","
                       "\"insecure-registries\":[\"mirror.lan:5000\",\"10.0.0.0/8\"]}";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct config c;
    _cleanup_berr_ struct berr *err = NULL;
    unsetenv("BERTH_DEFAULT_REGISTRY");
    assert_int_equal(config_load(path, &c, &err), 0);
    assert_string_equal(c.default_registry, "mirror.lan:5000");
    assert_int_equal(c.n_insecure, 2);
    assert_string_equal(c.insecure_registries[1], "10.0.0.0/8");
    setenv("BERTH_DEFAULT_REGISTRY", "127.0.0.1:1", 1);
    assert_int_equal(config_load(path, &c, &err), 0);
    assert_string_equal(c.default_registry, "127.0.0.1:1");
    setenv("BERTH_DEFAULT_REGISTRY", "a/b", 1);
    assert_true(config_load(path, &c, &err) < 0);
    unsetenv("BERTH_DEFAULT_REGISTRY");
    berr_freep(&err);
    fd = open(path, O_WRONLY | O_TRUNC);
    const char *bad = "{\"insecure-registries\":\"x\"}";
    assert_int_equal(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
    close(fd);
    assert_true(config_load(path, &c, &err) < 0);
    unlink(path);
}

static void test_error_text(void **state)
{
    /* the spec's JSON errors, as docker prints them: lowercased code, then the message */
    struct reg_resp p;
    reg_resp_init(&p);
    p.status = 404;
    p.body = xstrdup("{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest "
                     "unknown\",\"detail\":{}}]}");
    p.len = strlen(p.body);
    _cleanup_free_ char *t = reg_error_text(&p);
    assert_string_equal(t, "manifest unknown: manifest unknown");
    free(p.body);
    p.body = xstrdup("<html>bad gateway</html>");
    p.len = strlen(p.body);
    p.status = 502;
    _cleanup_free_ char *t2 = reg_error_text(&p);
    assert_string_equal(t2, "HTTP 502");
    free(p.body);
    p.body = NULL;
    p.len = 0;
    p.status = 401;
    _cleanup_free_ char *t3 = reg_error_text(&p);
    assert_string_equal(t3, "HTTP 401");
}

static int put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* certs.d: which directories a registry's TLS material comes from, and docker's checks */
static void test_certs_dirs(void **state)
{
    char *d[2];
    _cleanup_berr_ struct berr *err = NULL;
    assert_int_equal(reg_certs_dirs(NULL, "reg.lan:5000", d, &err), 0);
    assert_string_equal(d[0], "/etc/berth/certs.d/reg.lan:5000");
    assert_string_equal(d[1], "/etc/docker/certs.d/reg.lan:5000");
    free(d[0]);
    free(d[1]);
    /* certs-dir replaces berth's directory, not docker's; no port: the host alone */
    assert_int_equal(reg_certs_dirs("/tmp/c.d/", "reg.lan", d, &err), 0);
    assert_string_equal(d[0], "/tmp/c.d/reg.lan");
    assert_string_equal(d[1], "/etc/docker/certs.d/reg.lan");
    free(d[0]);
    free(d[1]);
    assert_int_equal(reg_certs_dirs("", "[::1]:5000", d, &err), 0);
    assert_string_equal(d[0], "/etc/berth/certs.d/[::1]:5000");
    free(d[0]);
    free(d[1]);
    assert_true(reg_certs_dirs(NULL, "a/b", d, &err) < 0);
    berr_freep(&err);
    assert_true(reg_certs_dirs(NULL, "..", d, &err) < 0);
    berr_freep(&err);

    /* a directory of certs-dir: nothing there is no CA; a .cert needs its .key */
    char dir[] = "/tmp/berth-certs.XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct reg r;
    reg_init(&r);
    r.host = xstrdup("127.0.0.1:5000");
    assert_int_equal(reg_load_tls(&r, dir, &err), 0);
    assert_null(r.ca_pem);
    _cleanup_free_ char *hd = xasprintf("%s/127.0.0.1:5000", dir);
    _cleanup_free_ char *cert = xasprintf("%s/client.cert", hd);
    _cleanup_free_ char *key = xasprintf("%s/client.key", hd);
    _cleanup_free_ char *ca = xasprintf("%s/ca.crt", hd);
    assert_int_equal(mkdir(hd, 0700), 0);
    assert_int_equal(put_file(cert, "x"), 0);
    assert_true(reg_load_tls(&r, dir, &err) < 0);
    _cleanup_free_ char *want = xasprintf("missing key %s for client certificate %s", key, cert);
    assert_string_equal(err->msg, want);
    berr_freep(&err);
    assert_int_equal(put_file(key, "x"), 0);
    assert_int_equal(reg_load_tls(&r, dir, &err), 0);
    assert_string_equal(r.tls_cert, cert);
    assert_string_equal(r.tls_key, key);
    unlink(cert);
    assert_true(reg_load_tls(&r, dir, &err) < 0);
    assert_non_null(strstr(err->msg, "missing client certificate"));
    berr_freep(&err);
    unlink(key);
    /* a CA: the system's bundle first, then certs.d's (here one of the system's CAs) */
    _cleanup_free_ char *sys = NULL;
    size_t sys_len = 0;
    if (fs_read_file(REG_SYSTEM_CA_BUNDLE, &sys, &sys_len, &err) == 0) {
        char *end = strstr(sys, "-----END CERTIFICATE-----\n");
        assert_non_null(end);
        _cleanup_free_ char *one = xstrndup(sys, (size_t)(end - sys) + 26);
        assert_int_equal(put_file(ca, one), 0);
        assert_int_equal(reg_load_tls(&r, dir, &err), 1);
        assert_int_equal(r.ca_len, sys_len + (sys[sys_len - 1] != '\n') + strlen(one));
        assert_memory_equal(r.ca_pem, sys, sys_len);
        assert_string_equal(r.ca_pem + r.ca_len - strlen(one), one);
        assert_null(r.tls_cert);
    }
    berr_freep(&err);
    /* a .crt must hold a PEM certificate */
    assert_int_equal(put_file(ca, "not a certificate"), 0);
    assert_true(reg_load_tls(&r, dir, &err) < 0);
    assert_non_null(strstr(err->msg, "no PEM certificate"));
    berr_freep(&err);
    unlink(ca);
    rmdir(hd);
    rmdir(dir);
    reg_clear(&r);
}

/* docker's credential helpers: which one, and the JSON of the protocol */
static void test_cred_helpers(void **state)
{
    _cleanup_berr_ struct berr *err = NULL;
    json_t *c =
        json_loads("{\"credsStore\":\"pass\",\"credHelpers\":{\"gcr.io\":\"gcloud\","
                   "\"https://index.docker.io/v1/\":\"hub\",\"https://q.io:5000/v1/\":\"q\"}}",
                   0, NULL);
    assert_non_null(c);
    char *n = NULL;
    assert_int_equal(auth_helper_name(c, "gcr.io", &n, &err), 0);
    assert_string_equal(n, "gcloud");
    free(n);
    assert_int_equal(auth_helper_name(c, "docker.io", &n, &err), 0);
    assert_string_equal(n, "hub");
    free(n);
    assert_int_equal(auth_helper_name(c, "q.io:5000", &n, &err), 0);
    assert_string_equal(n, "q");
    free(n);
    /* the others: credsStore */
    assert_int_equal(auth_helper_name(c, "127.0.0.1:5000", &n, &err), 0);
    assert_string_equal(n, "pass");
    free(n);
    json_object_del(c, "credsStore");
    assert_int_equal(auth_helper_name(c, "127.0.0.1:5000", &n, &err), 0);
    assert_null(n);
    json_object_set_new(c, "credsStore", json_string("../evil"));
    assert_true(auth_helper_name(c, "127.0.0.1:5000", &n, &err) < 0);
    assert_non_null(strstr(err->msg, "../evil"));
    berr_freep(&err);
    json_decref(c);

    _cleanup_free_ char *in = auth_helper_store_input("127.0.0.1:5000", "alice", "s\"3");
    assert_string_equal(in, "{\"ServerURL\":\"127.0.0.1:5000\",\"Username\":\"alice\","
                            "\"Secret\":\"s\\\"3\"}");
    char *u = NULL, *p = NULL;
    assert_int_equal(auth_helper_parse_get("{\"ServerURL\":\"x\",\"Username\":\"bob\","
                                           "\"Secret\":\"pw\"}\n",
                                           &u, &p, &err),
                     0);
    assert_string_equal(u, "bob");
    assert_string_equal(p, "pw");
    free(u);
    free(p);
    assert_true(auth_helper_parse_get("{\"Username\":\"bob\"}", &u, &p, &err) < 0);
    berr_freep(&err);
    assert_true(auth_helper_parse_get("credentials not found in native keychain", &u, &p, &err) <
                0);
    berr_freep(&err);
    assert_true(auth_helper_not_found("credentials not found in native keychain"));
    assert_false(auth_helper_not_found("boom"));
    assert_false(auth_helper_not_found(NULL));

    /* a helper that is not on $PATH: its name in the error */
    _cleanup_free_ char *out = NULL;
    assert_true(auth_helper_run("berth-no-such-helper", "get", "x", &out, &err) < 0);
    assert_non_null(strstr(err->msg, "docker-credential-berth-no-such-helper"));
    assert_non_null(strstr(err->msg, "not found in $PATH"));
}

int main(void)
{
    xalloc_setup_jansson();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_insecure),
        cmocka_unit_test(test_challenge),
        cmocka_unit_test(test_platform),
        cmocka_unit_test(test_b64),
        cmocka_unit_test(test_config_json),
        cmocka_unit_test(test_config_settings),
        cmocka_unit_test(test_error_text),
        cmocka_unit_test(test_certs_dirs),
        cmocka_unit_test(test_cred_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

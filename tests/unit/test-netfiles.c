/* test-netfiles.c - the /etc/hosts, /etc/hostname and /etc/resolv.conf a container gets:
 * docker's defaults, the flags' checks, loopback nameservers dropped, the host's files with
 * --network host, the init layer's mount points */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/fs.h"
#include "engine/netfiles.h"

static const char *defaults = "127.0.0.1\tlocalhost\n"
                              "::1\tlocalhost ip6-localhost ip6-loopback\n"
                              "fe00::0\tip6-localnet\n"
                              "ff00::0\tip6-mcastprefix\n"
                              "ff02::1\tip6-allnodes\n"
                              "ff02::2\tip6-allrouters\n";

static void check_ok(struct netfiles_opts *o)
{
    struct berr *err = NULL;
    assert_int_equal(netfiles_check(o, &err), 0);
}

static void check_bad(struct netfiles_opts *o, enum berr_kind kind, const char *msg)
{
    struct berr *err = NULL;
    assert_true(netfiles_check(o, &err) < 0);
    assert_int_equal(err->kind, kind);
    assert_non_null(strstr(err->msg, msg));
    berr_free(err);
}

static void test_check(void **state)
{
    (void)state;
    char *dns[] = {"10.0.0.1", "fd00::53", NULL};
    char *search[] = {"example.com", "a-b.c", ".", NULL};
    char *opts[] = {"ndots:2", "rotate", NULL};
    char *hosts[] = {"db:10.1.2.3", "v6:fd00::1", NULL};
    struct netfiles_opts o = {
        .dns = dns, .dns_search = search, .dns_options = opts, .add_hosts = hosts};
    check_ok(&o);
    char *bad_dns[] = {"300.1.1.1", NULL};
    check_bad(&(struct netfiles_opts){.dns = bad_dns}, BERR_INVALID, "--dns 300.1.1.1");
    char *bad_search[] = {"a..b", NULL}, *bad_search2[] = {"-a.b", NULL},
         *bad_search3[] = {"a b", NULL};
    check_bad(&(struct netfiles_opts){.dns_search = bad_search}, BERR_INVALID, "a..b");
    check_bad(&(struct netfiles_opts){.dns_search = bad_search2}, BERR_INVALID, "-a.b");
    check_bad(&(struct netfiles_opts){.dns_search = bad_search3}, BERR_INVALID, "a b");
    char *bad_opt[] = {"a b", NULL};
    check_bad(&(struct netfiles_opts){.dns_options = bad_opt}, BERR_INVALID, "--dns-option");
    char *h1[] = {"nocolon", NULL}, *h2[] = {":1.2.3.4", NULL}, *h3[] = {"h:x", NULL},
         *h4[] = {"h:host-gateway", NULL}, *h5[] = {"a b:1.2.3.4", NULL};
    check_bad(&(struct netfiles_opts){.add_hosts = h1}, BERR_INVALID, "use HOST:IP");
    check_bad(&(struct netfiles_opts){.add_hosts = h2}, BERR_INVALID, "use HOST:IP");
    check_bad(&(struct netfiles_opts){.add_hosts = h3}, BERR_INVALID, "invalid IP address");
    check_bad(&(struct netfiles_opts){.add_hosts = h4}, BERR_UNSUPPORTED, "host-gateway");
    check_bad(&(struct netfiles_opts){.add_hosts = h5}, BERR_INVALID, "invalid host name");
}

static void test_hosts(void **state)
{
    (void)state;
    struct netfiles_opts o = {.hostname = "abc"};
    char *s = netfiles_hosts(&o, "1.1.1.1 hostfile\n");
    assert_string_equal(s, defaults);
    free(s);
    char *add[] = {"db:10.1.2.3", "v6:fd00::1", NULL};
    o.add_hosts = add;
    s = netfiles_hosts(&o, NULL);
    char want[512];
    snprintf(want, sizeof(want), "%s10.1.2.3\tdb\nfd00::1\tv6\n", defaults);
    assert_string_equal(s, want);
    free(s);
    /* the host's, with the additions; a last line without its newline gets one */
    o.host_network = true;
    s = netfiles_hosts(&o, "127.0.0.1 localhost\n1.1.1.1 hostfile");
    assert_string_equal(s, "127.0.0.1 localhost\n1.1.1.1 hostfile\n10.1.2.3\tdb\nfd00::1\tv6\n");
    free(s);
}

static void test_resolv(void **state)
{
    (void)state;
    const char *host = "# generated\n"
                       "nameserver 127.0.0.53\n"
                       "nameserver 10.0.0.2\n"
                       "nameserver ::1\n"
                       "search corp.example\n"
                       "options edns0 trust-ad\n";
    struct netfiles_opts o = {.hostname = "abc"};
    char *s = netfiles_resolv(&o, host);
    assert_string_equal(s, "# generated\nnameserver 10.0.0.2\nsearch corp.example\n"
                           "options edns0 trust-ad\n");
    free(s);
    /* only loopback ones: docker's public defaults */
    s = netfiles_resolv(&o, "nameserver 127.0.0.1\n");
    assert_string_equal(s, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
    free(s);
    s = netfiles_resolv(&o, NULL);
    assert_string_equal(s, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
    free(s);
    /* the flags replace their kind of line, the others stay */
    char *dns[] = {"10.9.9.9", NULL}, *search[] = {"a.example", "b.example", NULL},
         *opts[] = {"ndots:2", NULL};
    o.dns = dns;
    o.dns_search = search;
    o.dns_options = opts;
    s = netfiles_resolv(&o, host);
    assert_string_equal(s, "# generated\nnameserver 10.9.9.9\nsearch a.example b.example\n"
                           "options ndots:2\n");
    free(s);
    /* "." drops the host's search list */
    char *dot[] = {".", NULL};
    struct netfiles_opts d = {.hostname = "abc", .dns_search = dot};
    s = netfiles_resolv(&d, host);
    assert_null(strstr(s, "search"));
    free(s);
    /* the host's network: its file as it is, loopback nameservers and all */
    struct netfiles_opts h = {.hostname = "abc", .host_network = true};
    s = netfiles_resolv(&h, host);
    assert_string_equal(s, host);
    free(s);
}

static void test_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/berth-unit-netfiles.XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct berr *err = NULL;
    assert_int_equal(netfiles_init_layer(dir, &err), 0);
    assert_int_equal(netfiles_init_layer(dir, &err), 0); /* again: the same */
    struct stat st;
    char p[128];
    snprintf(p, sizeof(p), "%s/init/etc/resolv.conf", dir);
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_size, 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct netfiles_opts o = {.hostname = "box"};
    assert_int_equal(netfiles_write(dfd, &o, &err), 0);
    close(dfd);
    char *text = NULL;
    snprintf(p, sizeof(p), "%s/hostname", dir);
    assert_int_equal(fs_read_file(p, &text, NULL, &err), 0);
    assert_string_equal(text, "box\n");
    free(text);
    snprintf(p, sizeof(p), "%s/hosts", dir);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);

    json_t *spec = json_pack("{s:[]}", "mounts");
    netfiles_mounts(spec, dir, true);
    json_t *m = json_object_get(spec, "mounts");
    assert_int_equal(json_array_size(m), 3);
    json_t *opts = json_object_get(json_array_get(m, 2), "options");
    assert_string_equal(json_string_value(json_object_get(json_array_get(m, 2), "destination")),
                        "/etc/hosts");
    assert_string_equal(json_string_value(json_array_get(opts, json_array_size(opts) - 1)), "ro");
    json_decref(spec);
    assert_int_equal(fs_rm_rf(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_hosts),
        cmocka_unit_test(test_resolv),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

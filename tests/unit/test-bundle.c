/* test-bundle.c - run options and image config -> runtime spec */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <unistd.h>
#include "engine/bundle.h"
#include "oci/runtime-spec.h"

static char root[256];

static void put(const char *rel, const char *text)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* the image's /etc/passwd and /etc/group every test starts from */
static void good_files(void)
{
    put("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                      "app:x:1000:1001:app:/home/app:/bin/sh\n"
                      "nobody:x:65534:65534:nobody:/:/bin/false\n");
    put("etc/group", "root:x:0:\nstaff:x:50:app,other\nappgrp:x:1001:\nwheel:x:10:app\n");
}

static int setup(void **state)
{
    snprintf(root, sizeof(root), "/tmp/berth-bundle-test.XXXXXX");
    assert_non_null(mkdtemp(root));
    char p[512];
    snprintf(p, sizeof(p), "%s/etc", root);
    mkdir(p, 0755);
    good_files();
    return 0;
}

static int teardown(void **state)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void resolve(const char *spec, int want_r, uint32_t want_uid, uint32_t want_gid,
                    size_t want_ng)
{
    int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    uint32_t uid = 99, gid = 99, *groups = NULL;
    size_t ng = 0;
    struct berr *err = NULL;
    int r = bundle_resolve_user(fd, spec, &uid, &gid, &groups, &ng, &err);
    close(fd);
    if (want_r < 0) {
        assert_true(r < 0);
        assert_non_null(err);
        berr_free(err);
        return;
    }
    if (r < 0)
        fail_msg("%s: %s", spec, err->msg);
    assert_int_equal(uid, want_uid);
    assert_int_equal(gid, want_gid);
    assert_int_equal(ng, want_ng);
    free(groups);
}

static void test_users(void **state)
{
    resolve(NULL, 0, 0, 0, 0);
    resolve("", 0, 0, 0, 0);
    resolve("root", 0, 0, 0, 0);
    resolve("app", 0, 1000, 1001, 2);  /* staff and wheel list it */
    resolve("1000", 0, 1000, 1001, 2); /* a known uid brings its group */
    resolve("4242", 0, 4242, 0, 0);    /* an unknown uid is fine, group 0 */
    resolve("4242:77", 0, 4242, 77, 0);
    resolve("app:staff", 0, 1000, 50, 2);
    resolve("nobody:appgrp", 0, 65534, 1001, 0);
    resolve("ghost", -1, 0, 0, 0);
    resolve("app:ghosts", -1, 0, 0, 0);
    /* 2^32 and past wrapped to 0, root; 2^32-1 is (uid_t)-1, "no change" */
    resolve("4294967294", 0, 4294967294U, 0, 0);
    resolve("4294967294:4294967294", 0, 4294967294U, 4294967294U, 0);
    resolve("4294967295", -1, 0, 0, 0);
    resolve("4294967296", -1, 0, 0, 0);
    resolve("18446744073709551616", -1, 0, 0, 0);
    resolve("65534:4294967296", -1, 0, 0, 0);
    resolve("0:4294967295", -1, 0, 0, 0);
    resolve("app:4294967296", -1, 0, 0, 0);
}

/* an image's /etc/passwd or /etc/group with ids past 32 bits: refused, never wrapped */
static void test_users_from_image_out_of_range(void **state)
{
    put("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                      "big:x:4294967296:0::/:/bin/sh\n"
                      "biggid:x:1000:4294967296::/:/bin/sh\n");
    put("etc/group", "root:x:0:\nhuge:x:4294967297:\nmember:x:4294967296:root\n");
    resolve("big", -1, 0, 0, 0);
    resolve("biggid", -1, 0, 0, 0);
    resolve("0:huge", -1, 0, 0, 0);
    resolve("root", -1, 0, 0, 0); /* a supplementary group of root's is out of range */
    resolve("0", -1, 0, 0, 0);
    good_files(); /* the good files back (setup again would make a second root, left behind) */
}

static void test_passwd_symlink_stays_inside(void **state)
{
    /* an image whose /etc/passwd points at the host's: it resolves inside the image */
    char p[512];
    snprintf(p, sizeof(p), "%s/etc/passwd", root);
    unlink(p);
    assert_int_equal(symlink("/../../../../../etc/passwd", p), 0);
    resolve("root", -1, 0, 0, 0); /* no passwd inside: the host's is never read */
    resolve("0", 0, 0, 0, 0);
    unlink(p);
    put("etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\n");
}

static char **strv(const char *a, const char *b)
{
    char **v = calloc(3, sizeof(char *));
    v[0] = a ? strdup(a) : NULL;
    v[1] = b ? strdup(b) : NULL;
    return v;
}

static void check_args(json_t *cfg, struct bundle_opts *o, const char *want)
{
    struct berr *err = NULL;
    char **a = bundle_args(cfg, o, &err);
    char got[512] = "";
    if (!a) {
        snprintf(got, sizeof(got), "error: %s", err->msg);
        berr_free(err);
    } else {
        for (char **p = a; *p; p++) {
            strcat(got, *p);
            strcat(got, p[1] ? " " : "");
            free(*p);
        }
        free(a);
    }
    assert_string_equal(got, want);
}

static void test_args(void **state)
{
    json_t *both =
        json_loads("{\"config\":{\"Entrypoint\":[\"/ep\",\"-x\"],\"Cmd\":[\"def\"]}}", 0, NULL);
    json_t *cmdonly = json_loads("{\"config\":{\"Cmd\":[\"sh\"]}}", 0, NULL);
    json_t *none = json_loads("{\"config\":{}}", 0, NULL);
    struct bundle_opts o = {0};
    check_args(both, &o, "/ep -x def");
    char **c = strv("mine", "arg");
    o.cmd = c;
    check_args(both, &o, "/ep -x mine arg");
    o.cmd = NULL;
    o.entrypoint = "/other";
    check_args(both, &o, "/other"); /* a new entrypoint drops the image's Cmd */
    o.cmd = c;
    check_args(both, &o, "/other mine arg");
    o.entrypoint = "";
    check_args(both, &o, "mine arg");
    o.entrypoint = NULL;
    o.cmd = NULL;
    check_args(cmdonly, &o, "sh");
    check_args(none, &o, "error: no command specified");
    free(c[0]);
    free(c[1]);
    free(c);
    json_decref(both);
    json_decref(cmdonly);
    json_decref(none);
}

static void test_spec(void **state)
{
    json_t *cfg = json_loads("{\"config\":{\"Cmd\":[\"sh\"],\"Env\":[\"A=1\",\"PATH=/bin\"],"
                             "\"User\":\"app\",\"WorkingDir\":\"/w\",\"Labels\":{\"l\":\"v\"},"
                             "\"StopSignal\":\"SIGQUIT\"}}",
                             0, NULL);
    char **env = strv("A=2", "B=3");
    struct bundle_opts o = {.hostname = "abc123", .env = env, .tty = true};
    struct berr *err = NULL;
    json_t *j = bundle_spec(cfg, root, &o, &err);
    if (!j)
        fail_msg("%s", err->msg);
    /* it is a spec berth's own parser accepts */
    struct spec *s = spec_from_json(j, &err);
    if (!s)
        fail_msg("%s", err->msg);
    assert_int_equal(s->process->user.uid, 1000);
    assert_int_equal(s->process->user.gid, 1001);
    assert_string_equal(s->process->cwd, "/w");
    assert_true(s->process->terminal);
    assert_string_equal(s->hostname, "abc123");
    char *joined = json_dumps(json_object_get(json_object_get(j, "process"), "env"), JSON_COMPACT);
    assert_string_equal(joined,
                        "[\"PATH=/bin\",\"A=2\",\"HOSTNAME=abc123\",\"TERM=xterm\",\"B=3\"]");
    free(joined);
    /* docker's 14 default capabilities, seccomp, masked paths */
    assert_int_equal(__builtin_popcountll(s->process->caps.bounding), 14);
    assert_non_null(s->linux_->seccomp);
    assert_non_null(s->linux_->masked_paths);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "annotations"),
                                                          "org.opencontainers.image.stopSignal")),
                        "SIGQUIT");
    /* /dev: docker's tmpfs, capped (a container would fill the host's memory there) */
    bool dev_capped = false;
    for (size_t i = 0; i < s->n_mounts; i++)
        if (!strcmp(s->mounts[i].destination, "/dev")) {
            assert_string_equal(s->mounts[i].type, "tmpfs");
            assert_non_null(strstr(s->mounts[i].data, "size=65536k"));
            assert_non_null(strstr(s->mounts[i].data, "mode=755"));
            dev_capped = true;
        }
    assert_true(dev_capped);
    spec_free(s);
    json_decref(j);
    json_decref(cfg);
    for (char **e = env; *e; e++)
        free(*e);
    free(env);
}

/* the environment: later values replace earlier ones in place, in linear time; text that is
 * not UTF-8 refused with its bytes escaped (JSON cannot hold it; it was dropped silently) */
static void test_env(void **state)
{
    json_t *env = json_pack("[s,s]", "PATH=/bin", "A=1");
    char *add[] = {"B=2", "A=3", "C", "B=4", "D=x=y", NULL};
    struct berr *err = NULL;
    assert_int_equal(bundle_env_merge(env, add, &err), 0);
    char *joined = json_dumps(env, JSON_COMPACT);
    assert_string_equal(joined, "[\"PATH=/bin\",\"A=3\",\"B=4\",\"C\",\"D=x=y\"]");
    free(joined);
    char *bad[] = {"E=ok", "F=\xff\x1b[2J", NULL};
    assert_true(bundle_env_merge(env, bad, &err) < 0);
    assert_non_null(strstr(err->msg, "\"F=\\xff\\x1b[2J\""));
    assert_null(strchr(err->msg, '\x1b'));
    berr_free(err);
    err = NULL;
    /* 200,000 variables: well under a second when linear (minutes when quadratic) */
    size_t n = 200000;
    char **many = calloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        assert_true(asprintf(&many[i], "V%zu=%zu", i % 150000, i) > 0);
    json_t *big = json_array();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(bundle_env_merge(big, many, &err), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(json_array_size(big), 150000);
    assert_string_equal(json_string_value(json_array_get(big, 5)), "V5=150005");
    assert_true(t1.tv_sec - t0.tv_sec < 3);
    for (size_t i = 0; i < n; i++)
        free(many[i]);
    free(many);
    json_decref(big);
    json_decref(env);

    assert_true(bundle_utf8_valid("plain ascii"));
    assert_true(bundle_utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
    assert_false(bundle_utf8_valid("\xc0\xaf"));         /* overlong "/" */
    assert_false(bundle_utf8_valid("\xed\xa0\x80"));     /* a surrogate */
    assert_false(bundle_utf8_valid("\xf4\x90\x80\x80")); /* past U+10FFFF */
    assert_false(bundle_utf8_valid("\xe2\x82"));         /* cut short */
}

/* docker's seccomp profile format: rules kept or dropped by capability, architecture and
 * kernel; the old one-name form; bad profiles refused */
static void test_seccomp_profile(void **state)
{
    json_error_t je;
    json_t *d = json_loads(
        "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
        "\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\",\"subArchitectures\":[\"SCMP_ARCH_"
        "X86\"]},"
        "{\"architecture\":\"SCMP_ARCH_AARCH64\",\"subArchitectures\":[\"SCMP_ARCH_ARM\"]}],"
        "\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"},"
        "{\"name\":\"write\",\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":1,"
        "\"op\":\"SCMP_CMP_EQ\"}]},"
        "{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":[\"CAP_SYS_"
        "ADMIN\"]}},"
        "{\"names\":[\"chown\"],\"action\":\"SCMP_ACT_ALLOW\",\"excludes\":{\"caps\":[\"CAP_"
        "CHOWN\"]}},"
        "{\"names\":[\"s390_only\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"arches\":["
        "\"s390x\","
        "\"SCMP_ARCH_S390X\"]}},"
        "{\"names\":[\"future\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"minKernel\":\"99."
        "0\"}}]}",
        0, &je);
    assert_non_null(d);
    struct berr *err = NULL;
    json_t *p = bundle_seccomp_profile(d, 1ULL << CAP_CHOWN, &err);
    assert_non_null(p);
    assert_string_equal(json_string_value(json_object_get(p, "defaultAction")), "SCMP_ACT_ERRNO");
    assert_int_equal(json_integer_value(json_object_get(p, "defaultErrnoRet")), 1);
#if defined(__x86_64__)
    assert_string_equal(json_string_value(json_array_get(json_object_get(p, "architectures"), 1)),
                        "SCMP_ARCH_X86");
#endif
    json_t *calls = json_object_get(p, "syscalls");
    /* read, write: kept; mount: no CAP_SYS_ADMIN; chown: CAP_CHOWN excludes it; s390_only:
     * not this architecture; future: not this kernel */
    assert_int_equal(json_array_size(calls), 2);
    json_t *w = json_array_get(calls, 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(w, "names"), 0)), "write");
    assert_int_equal(
        json_integer_value(json_object_get(json_array_get(json_object_get(w, "args"), 0), "value")),
        1);
    json_decref(p);
    p = bundle_seccomp_profile(d, 1ULL << CAP_SYS_ADMIN, &err);
    assert_int_equal(json_array_size(json_object_get(p, "syscalls")), 4);
    json_decref(p);
    json_decref(d);

    d = json_loads("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"x\"]}]}", 0,
                   &je);
    assert_null(bundle_seccomp_profile(d, 0, &err));
    assert_string_equal(err->msg, "syscalls[0]: needs names and an action");
    berr_free(err);
    err = NULL;
    json_decref(d);
    d = json_loads("[1]", 0, &je);
    assert_null(bundle_seccomp_profile(d, 0, &err));
    berr_free(err);
    json_decref(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_users),
        cmocka_unit_test(test_passwd_symlink_stays_inside),
        cmocka_unit_test(test_users_from_image_out_of_range),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_spec),
        cmocka_unit_test(test_seccomp_profile),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

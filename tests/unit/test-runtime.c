/* test-runtime.c - the runtime's failures on containers that do not exist or cannot be
 * created: each returns an error (the contract of base/error.h) and frees what it made
 * (the ASan build's leak checker holds the second half) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "base/cleanup.h"
#include "base/error.h"
#include "base/fs.h"
#include "oci/runtime-spec.h"
#include "runtime/container.h"
#include "runtime/state.h"

static char tmpl[] = "/tmp/berth-unit-runtime.XXXXXX";
static char rtroot[PATH_MAX], bundle[PATH_MAX];

static int setup(void **state)
{
    xalloc_setup_jansson();
    if (!mkdtemp(tmpl))
        return -1;
    snprintf(rtroot, sizeof(rtroot), "%s/run", tmpl);
    snprintf(bundle, sizeof(bundle), "%s/bundle", tmpl);
    if (mkdir(rtroot, 0700) < 0 || mkdir(bundle, 0700) < 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    fs_rm_rf(tmpl);
    return 0;
}

static void check_error(struct berr *e)
{
    assert_non_null(e);
    assert_non_null(e->msg);
    assert_true(berr_code(e) < 0);
}

static void test_missing_container(void **state)
{
    const char *id = "unit-nosuch";
#define EXPECT_FAIL(call)                                                                          \
    do {                                                                                           \
        _cleanup_berr_ struct berr *e = NULL;                                                      \
        assert_true((call) < 0);                                                                   \
        check_error(e);                                                                            \
        assert_int_equal(e->kind, BERR_NOT_FOUND);                                                 \
    } while (0)
#define EXPECT_NULL(call)                                                                          \
    do {                                                                                           \
        _cleanup_berr_ struct berr *e = NULL;                                                      \
        assert_null(call);                                                                         \
        check_error(e);                                                                            \
        assert_int_equal(e->kind, BERR_NOT_FOUND);                                                 \
    } while (0)
    EXPECT_FAIL(rt_start(rtroot, id, &e));
    EXPECT_FAIL(rt_kill(rtroot, id, 15, false, &e));
    EXPECT_FAIL(rt_delete(rtroot, id, false, &e));
    EXPECT_FAIL(rt_delete(rtroot, id, true, &e));
    EXPECT_FAIL(rt_pause(rtroot, id, true, &e));
    EXPECT_NULL(rt_state(rtroot, id, &e));
    EXPECT_NULL(rt_stats(rtroot, id, &e));
    EXPECT_NULL(rt_state_load(rtroot, id, &e));
    /* an ID that is not one: refused before it becomes a path */
    _cleanup_berr_ struct berr *e = NULL;
    assert_null(rt_state_load(rtroot, "../x", &e));
    check_error(e);
}

static void write_config(json_t *cfg)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/config.json", bundle);
    assert_int_equal(json_dump_file(cfg, path, 0), 0);
}

/* rt_create compiles the seccomp program first, to name a bad field before anything is made;
 * the checks after it returned without freeing the program */
static void test_create_refused_frees_seccomp(void **state)
{
    json_t *cfg = spec_default_json(false);
    assert_non_null(json_object_get(json_object_get(cfg, "linux"), "seccomp"));
    char rootfs[PATH_MAX + 16];
    snprintf(rootfs, sizeof(rootfs), "%s/rootfs", bundle);
    struct rt_create_opts o = {.bundle = bundle};
    pid_t pid = 0;
    int pty = -1;

    /* the root file system is missing */
    json_object_set_new(json_object_get(cfg, "root"), "path", json_string("rootfs"));
    write_config(cfg);
    {
        _cleanup_berr_ struct berr *e = NULL;
        assert_true(rt_create(rtroot, "unit-leak1", &o, &pid, &pty, &e) < 0);
        check_error(e);
        assert_non_null(strstr(e->msg, "root.path"));
    }
    assert_int_equal(mkdir(rootfs, 0755), 0);
    /* a terminal without a console socket */
    json_object_set_new(json_object_get(cfg, "process"), "terminal", json_true());
    write_config(cfg);
    {
        _cleanup_berr_ struct berr *e = NULL;
        assert_true(rt_create(rtroot, "unit-leak2", &o, &pid, &pty, &e) < 0);
        check_error(e);
        assert_non_null(strstr(e->msg, "console-socket"));
    }
    /* a console socket without a terminal */
    json_object_set_new(json_object_get(cfg, "process"), "terminal", json_false());
    write_config(cfg);
    o.console_socket = "/nonexistent/console.sock";
    {
        _cleanup_berr_ struct berr *e = NULL;
        assert_true(rt_create(rtroot, "unit-leak3", &o, &pid, &pty, &e) < 0);
        check_error(e);
        assert_non_null(strstr(e->msg, "console-socket"));
    }
    json_decref(cfg);
    /* nothing was made for any of them */
    struct stat sb;
    assert_true(stat(rtroot, &sb) == 0);
    for (int i = 1; i <= 3; i++) {
        char p[PATH_MAX + 32];
        snprintf(p, sizeof(p), "%s/unit-leak%d", rtroot, i);
        assert_true(stat(p, &sb) < 0 && errno == ENOENT);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_container),
        cmocka_unit_test(test_create_refused_frees_seccomp),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* test-config.c - berth.json: defaults, values, and the errors for a bad file */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine/config.h"
#include "engine/engine.h"
#include "base/cleanup.h"

static char path[64];

static void put(const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    snprintf(path, sizeof(path), "/tmp/berth-config-test.XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unsetenv("BERTH_CONFIG");
    return 0;
}

static int teardown(void **state)
{
    unlink(path);
    return 0;
}

static int64_t pids(const char *text)
{
    put(text);
    struct config c = {0};
    struct berr *err = NULL;
    if (config_load(path, &c, &err) < 0)
        fail_msg("%s: %s", text, err->msg);
    return c.default_pids_limit;
}

static void bad(const char *text, const char *want)
{
    put(text);
    struct config c = {.default_pids_limit = 77};
    struct berr *err = NULL;
    assert_true(config_load(path, &c, &err) < 0);
    assert_non_null(err);
    if (!strstr(err->msg, want))
        fail_msg("%s: got \"%s\", want \"%s\"", text, err->msg, want);
    assert_non_null(strstr(err->msg, path));    /* the file is named */
    assert_int_equal(c.default_pids_limit, 77); /* written only on success */
    berr_free(err);
}

static void test_values(void **state)
{
    assert_int_equal(pids("{}"), CONFIG_DEFAULT_PIDS_LIMIT);
    assert_int_equal(CONFIG_DEFAULT_PIDS_LIMIT, 2048);
    assert_int_equal(pids("{\"default-pids-limit\": 100}"), 100);
    assert_int_equal(pids("{\"default-pids-limit\": 0}"), -1); /* docker's 0: none */
    assert_int_equal(pids("{\"default-pids-limit\": -1}"), -1);
}

static void test_errors(void **state)
{
    bad("{\"default-pids-limit\": 1", "line");
    bad("not json", "line 1");
    bad("[1]", "must be a JSON object");
    bad("{\"default-pids-limit\": \"100\"}", "default-pids-limit");
    bad("{\"default-pids-limit\": -2}", "default-pids-limit");
    bad("{\"default-pids-limit\": 1.5}", "default-pids-limit");
    bad("{\"default-pid-limit\": 100}", "unknown setting \"default-pid-limit\"");
    bad("{\"default-pids-limit\": 1, \"default-pids-limit\": 2}", "duplicate");
}

static void test_which_file(void **state)
{
    struct config c;
    struct berr *err = NULL;
    /* a file named explicitly (--config, BERTH_CONFIG) must exist: a typo is not ignored */
    assert_true(config_load("/nonexistent/berth.json", &c, &err) < 0);
    assert_non_null(strstr(err->msg, "/nonexistent/berth.json"));
    berr_free(err);
    err = NULL;
    setenv("BERTH_CONFIG", "/nonexistent/env.json", 1);
    assert_true(config_load(NULL, &c, &err) < 0);
    assert_non_null(strstr(err->msg, "/nonexistent/env.json"));
    berr_free(err);
    err = NULL;
    put("{\"default-pids-limit\": 33}");
    setenv("BERTH_CONFIG", path, 1);
    assert_int_equal(config_load(NULL, &c, &err), 0);
    assert_int_equal(c.default_pids_limit, 33);
    unsetenv("BERTH_CONFIG");
    /* the default file missing: the defaults */
    if (access(CONFIG_DEFAULT_PATH, F_OK) != 0) {
        assert_int_equal(config_load(NULL, &c, &err), 0);
        assert_int_equal(c.default_pids_limit, CONFIG_DEFAULT_PIDS_LIMIT);
    }
}

/* certs-dir: docker's certs.d layout somewhere else than /etc/berth/certs.d */
static void test_certs_dir(void **state)
{
    struct config c;
    _cleanup_berr_ struct berr *err = NULL;
    put("{}");
    assert_int_equal(config_load(path, &c, &err), 0);
    assert_string_equal(c.certs_dir, CONFIG_DEFAULT_CERTS_DIR);
    put("{\"certs-dir\": \"/tmp/x/certs.d\"}");
    assert_int_equal(config_load(path, &c, &err), 0);
    assert_string_equal(c.certs_dir, "/tmp/x/certs.d");
    bad("{\"certs-dir\": \"relative/certs.d\"}", "\"certs-dir\" must be an absolute path");
    bad("{\"certs-dir\": \"\"}", "\"certs-dir\" must be an absolute path");
    bad("{\"certs-dir\": 1}", "\"certs-dir\" must be an absolute path");
}

/* registry-mirrors: docker's daemon.json list, checked as docker checks a mirror */
static void test_mirrors(void **state)
{
    struct config c;
    _cleanup_berr_ struct berr *err = NULL;
    put("{}");
    assert_int_equal(config_load(path, &c, &err), 0);
    assert_int_equal(c.n_mirrors, 0);
    put("{\"registry-mirrors\": [\"http://127.0.0.1:5000\", \"https://mirror.example/\"]}");
    assert_int_equal(config_load(path, &c, &err), 0);
    assert_int_equal(c.n_mirrors, 2);
    assert_string_equal(c.registry_mirrors[0], "http://127.0.0.1:5000");
    assert_string_equal(c.registry_mirrors[1], "https://mirror.example");
    bad("{\"registry-mirrors\": \"http://a\"}", "\"registry-mirrors\" must be a list");
    bad("{\"registry-mirrors\": [\"mirror.example\"]}", "invalid mirror \"mirror.example\"");
    bad("{\"registry-mirrors\": [\"ftp://m\"]}", "invalid mirror");
    bad("{\"registry-mirrors\": [\"https://m/v2/\"]}", "invalid mirror");
    bad("{\"registry-mirrors\": [\"https://\"]}", "invalid mirror");
    bad("{\"registry-mirrors\": [\"https://m?x=1\"]}", "invalid mirror");
    bad("{\"registry-mirrors\": [1]}", "\"registry-mirrors\"[0]");
}

/* the engine's handle reads the configuration once and holds the roots */
static void test_engine_handle(void **state)
{
    put("{\"default-pids-limit\": 99}");
    _cleanup_berr_ struct berr *err = NULL;
    struct engine *e = engine_new("/var/lib/x", "/run/x", path, &err);
    assert_non_null(e);
    assert_string_equal(e->root, "/var/lib/x");
    assert_string_equal(e->rtroot, "/run/x/runtime");
    assert_int_equal(e->config.default_pids_limit, 99);
    engine_free(e);
    /* relative roots and a bad file are errors, with a message */
    assert_null(engine_new("rel", "/run/x", path, &err));
    assert_non_null(err);
    berr_free(TAKE_PTR(err));
    put("{\"nosuch\": 1}");
    assert_null(engine_new("/a", "/b", path, &err));
    assert_non_null(strstr(err->msg, "nosuch"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),     cmocka_unit_test(test_errors),
        cmocka_unit_test(test_which_file), cmocka_unit_test(test_engine_handle),
        cmocka_unit_test(test_certs_dir),  cmocka_unit_test(test_mirrors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

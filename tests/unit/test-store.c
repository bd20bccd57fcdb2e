/* test-store.c - the image store's failures: each returns an error with a message (the
 * contract of base/error.h), none crashes, on an empty store */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/cleanup.h"
#include "base/error.h"
#include "base/fs.h"
#include "image/store.h"

static char tmpl[] = "/tmp/berth-unit-store.XXXXXX";

static int setup(void **state)
{
    xalloc_setup_jansson();
    if (!mkdtemp(tmpl))
        return -1;
    struct berr *e = NULL;
    struct store *st = store_open(tmpl, &e);
    if (!st) {
        berr_free(e);
        return -1;
    }
    *state = st;
    return 0;
}

static int teardown(void **state)
{
    store_close(*state);
    fs_rm_rf(tmpl);
    return 0;
}

/* fails with an error of this kind whose message names `what` */
static void check_error(struct berr *e, enum berr_kind kind, const char *what)
{
    assert_non_null(e);
    assert_non_null(e->msg);
    assert_true(berr_code(e) < 0);
    assert_int_equal(e->kind, kind);
    if (!strstr(e->msg, what))
        fail_msg("\"%s\" does not name \"%s\"", e->msg, what);
}

static void test_find_missing(void **state)
{
    struct store *st = *state;
    static const struct {
        const char *what;
        enum berr_kind kind;
    } cases[] = {
        {"nosuch", BERR_NOT_FOUND},
        {"nosuch:latest", BERR_NOT_FOUND},
        {"example.com/a/b@sha256:"
         "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
         BERR_NOT_FOUND},
        {"sha256:ffffffffffff", BERR_NOT_FOUND},
        {"Foo", BERR_INVALID}, /* `ps -f ancestor=Foo` crashed here */
        {"library/Busybox:x", BERR_INVALID},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_berr_ struct berr *e = NULL;
        assert_null(store_find_image(st, cases[i].what, &e));
        check_error(e, cases[i].kind, cases[i].what);
    }
    _cleanup_berr_ struct berr *e = NULL;
    const char *id = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    assert_null(store_get_image(st, id, &e));
    check_error(e, BERR_NOT_FOUND, id);
}

static void test_tag_untag_errors(void **state)
{
    struct store *st = *state;
    const char *id = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    {
        _cleanup_berr_ struct berr *e = NULL;
        assert_true(store_tag(st, id, "Bad Name", &e) < 0);
        check_error(e, BERR_INVALID, "Bad Name");
    }
    {
        _cleanup_berr_ struct berr *e = NULL;
        assert_true(store_tag(st, id,
                              "busybox@"
                              "sha256:"
                              "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                              &e) < 0);
        check_error(e, BERR_INVALID, "busybox@");
    }
    {
        _cleanup_berr_ struct berr *e = NULL;
        assert_true(store_untag(st, "nosuch:tag", &e) < 0);
        check_error(e, BERR_NOT_FOUND, "nosuch:tag");
    }
    {
        _cleanup_berr_ struct berr *e = NULL;
        assert_true(store_untag(st, "::", &e) < 0);
        check_error(e, BERR_INVALID, "::");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_missing),
        cmocka_unit_test(test_tag_untag_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

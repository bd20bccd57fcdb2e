/* test-error.c - the error contract (err is never NULL, every failure sets it) and the
 * out-of-memory policy (abort, never a NULL that changes behaviour) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>
#include "base/cleanup.h"
#include "base/error.h"
#include "base/xalloc.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* Runs fn in a child; returns its wait status. */
static int in_child(void (*fn)(void))
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* the abort is expected: no core file, no noise */
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, STDERR_FILENO);
        fn();
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static void set_with_null_err(void)
{
    berr_set(NULL, BERR_INVALID, EINVAL, "bad %s", "input");
}

static void prefix_with_null_err(void)
{
    berr_prefix(NULL, "context");
}

static void test_null_err_aborts(void **state)
{
    int st = in_child(set_with_null_err);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    st = in_child(prefix_with_null_err);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
}

static void test_first_cause_kept(void **state)
{
    _cleanup_berr_ struct berr *e = NULL;
    assert_int_equal(berr_set(&e, BERR_NOT_FOUND, ENOENT, "image %s", "x"), -ENOENT);
    assert_int_equal(berr_sys(&e, EACCES, "later"), -EACCES);
    assert_int_equal(berr_prefix(&e, "run"), -ENOENT);
    assert_string_equal(e->msg, "run: image x");
    assert_int_equal(e->kind, BERR_NOT_FOUND);
}

/* a failure that set no error must not read as a success further up */
static void test_prefix_without_error_is_an_error(void **state)
{
    _cleanup_berr_ struct berr *e = NULL;
    int r = berr_prefix(&e, "load %s", "state");
    assert_true(r < 0);
    assert_non_null(e);
    assert_true(berr_code(e) < 0);
    assert_string_equal(e->msg, "load state: unknown error");
}

static void test_exit_codes_by_kind(void **state)
{
    assert_int_equal(berr_exit_code(NULL), 125);
    struct berr e = {.kind = BERR_CMD_NOT_FOUND, .errnum = ENOENT, .msg = (char *)"x"};
    assert_int_equal(berr_exit_code(&e), 127);
    e.kind = BERR_CMD_NOT_RUNNABLE;
    e.errnum = EACCES;
    assert_int_equal(berr_exit_code(&e), 126);
    /* the text does not decide: an "exec: " message of another kind is berth's own error */
    e.kind = BERR_NOT_FOUND;
    e.errnum = ENOENT;
    e.msg = (char *)"exec: no such container";
    assert_int_equal(berr_exit_code(&e), 125);
    e.kind = BERR_INVALID;
    e.errnum = EACCES;
    assert_int_equal(berr_exit_code(&e), 125);
}

/* Out of memory in the child: the address space is capped just above what it uses, then an
 * allocation larger than the rest is asked for. */
static char *big;
#define BIG (64u << 20)

static void cap_address_space(void)
{
    big = malloc(BIG + 1);
    if (!big)
        _exit(3);
    memset(big, 'a', BIG);
    big[BIG] = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (!f || fscanf(f, "%lu", &pages) != 1)
        _exit(3);
    fclose(f);
    rlim_t cap = (rlim_t)pages * sysconf(_SC_PAGESIZE) + BIG / 2;
    struct rlimit rl = {cap, cap};
    if (setrlimit(RLIMIT_AS, &rl) < 0)
        _exit(3);
}

static void strv_append_oom(void)
{
    cap_address_space();
    char **v = strv_append(NULL, "--cap-drop");
    v = strv_append(v, big); /* a copy of 64 MiB does not fit */
    /* reached only if it returned: then the list must still be there */
    _exit(v && v[0] ? 4 : 5);
}

static void json_oom(void)
{
    xalloc_setup_jansson();
    cap_address_space();
    json_t *s = json_string(big);
    _exit(s ? 4 : 5);
}

static void xasprintf_oom(void)
{
    cap_address_space();
    char *s = xasprintf("%s%s", big, big);
    _exit(s ? 4 : 5);
}

static void test_oom_aborts(void **state)
{
#ifdef UNDER_ASAN
    skip(); /* ASan reserves terabytes of address space: RLIMIT_AS cannot be used */
#endif
    void (*fns[])(void) = {strv_append_oom, json_oom, xasprintf_oom};
    for (size_t i = 0; i < ARRAY_SIZE(fns); i++) {
        int st = in_child(fns[i]);
        if (!WIFSIGNALED(st))
            fail_msg("case %zu: exited %d instead of aborting", i, WEXITSTATUS(st));
        assert_int_equal(WTERMSIG(st), SIGABRT);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_err_aborts),
        cmocka_unit_test(test_first_cause_kept),
        cmocka_unit_test(test_prefix_without_error_is_an_error),
        cmocka_unit_test(test_exit_codes_by_kind),
        cmocka_unit_test(test_oom_aborts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

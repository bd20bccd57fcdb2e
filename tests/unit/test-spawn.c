/* test-spawn.c - helper processes (engine/spawn.h) in both modes, forked and forked+exec'd:
 * a job's success, exit status and fds handed over, its error with its kind carried across,
 * a job that does not exist, the helper's empty signal mask; then one real container (run,
 * exec, cp in and out, create and export) with e->exec_helpers set, so that every helper is
 * the berth binary exec'd afresh ($BERTH_BIN, given by meson). Runs as root, with
 * /bin/busybox. The monitor's loop execs this binary again as "berth-monitor" (fork mode):
 * main() hands that to monitor_resume, as berth's main does. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "attach-drain.h"
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include "engine/containers.h"
#include "engine/ctr-copy.h"
#include "engine/ctr-ops.h"
#include "engine/ctr-run.h"
#include "engine/engine.h"
#include "engine/monitor.h"
#include "engine/spawn.h"

static char top[64];
static struct engine *eng;
static const char *berth_bin;

/* a busybox image "busybox" (Cmd sh) in the state root, imported by the berth under test */
static void make_image(const char *root, const char *runroot)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "set -e; r=%s/rootfs; mkdir -p $r/bin $r/proc $r/dev $r/sys $r/tmp; "
             "cp /bin/busybox $r/bin/; for a in sh echo cat sleep; do ln -s busybox $r/bin/$a; "
             "done; tar -C $r -cf %s/layer.tar .; "
             "%s --root %s --runroot %s import -c 'CMD [\"sh\"]' %s/layer.tar busybox >/dev/null",
             top, top, berth_bin, root, runroot, top);
    assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
    snprintf(top, sizeof(top), "/tmp/berth-spawn-test.XXXXXX");
    assert_non_null(mkdtemp(top));
    char root[128], runroot[128], conf[128];
    snprintf(root, sizeof(root), "%s/root", top);
    snprintf(runroot, sizeof(runroot), "%s/run", top);
    make_image(root, runroot);
    snprintf(conf, sizeof(conf), "%s/berth.json", top);
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fputs("{}\n", f);
    fclose(f);
    _cleanup_berr_ struct berr *err = NULL;
    eng = engine_new(root, runroot, conf, &err);
    assert_non_null(eng);
    /* the helpers exec the berth binary built beside this test, not this test */
    free(eng->berth);
    eng->berth = xstrdup(berth_bin);
    return 0;
}

static int teardown(void **state)
{
    engine_free(eng);
    eng = NULL;
    fs_rm_rf(top);
    return 0;
}

/* everything fd gives until EOF */
static void slurp(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    ssize_t n;
    while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
        len += n;
    buf[len] = 0;
}

static void probe_both(bool exec_mode)
{
    eng->exec_helpers = exec_mode;
    _cleanup_berr_ struct berr *err = NULL;
    /* success, its exit status, an fd handed over (a pipe's write end) */
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    json_t *a = json_pack("{s:s,s:i}", "write", "hello", "status", 7);
    int status = -1;
    assert_int_equal(spawn_run(eng, "probe", a, &p[1], 1, 0, &status, &err), 0);
    json_decref(a);
    close(p[1]);
    char buf[64];
    slurp(p[0], buf, sizeof(buf));
    close(p[0]);
    assert_string_equal(buf, "hello");
    assert_int_equal(status, 7);
    /* an error, its kind, errno and message carried across */
    a = json_pack("{s:{s:i,s:i,s:s}}", "fail", "kind", BERR_CONFLICT, "errno", EBUSY, "message",
                  "it is busy");
    int r = spawn_run(eng, "probe", a, NULL, 0, 0, NULL, &err);
    json_decref(a);
    assert_int_equal(r, -EBUSY);
    assert_int_equal(err->kind, BERR_CONFLICT);
    assert_int_equal(err->errnum, EBUSY);
    assert_string_equal(err->msg, "it is busy");
    berr_free(err);
    err = NULL;
    /* no such job: nothing is started */
    assert_true(spawn_run(eng, "nosuchjob", NULL, NULL, 0, 0, NULL, &err) < 0);
    assert_int_equal(err->kind, BERR_NOT_FOUND);
    berr_free(err);
    err = NULL;
    /* the caller's signal mask is not the helper's */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    a = json_pack("{s:b}", "mask", 1);
    assert_int_equal(spawn_run(eng, "probe", a, &p[1], 1, 0, NULL, &err), 0);
    json_decref(a);
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(p[1]);
    slurp(p[0], buf, sizeof(buf));
    close(p[0]);
    assert_string_equal(buf, "0");
}

static void test_probe_fork(void **state)
{
    probe_both(false);
}

static void test_probe_exec(void **state)
{
    probe_both(true);
}

/* berth-spawn run by hand refuses */
static void test_refused_by_hand(void **state)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "bash -c 'exec -a berth-spawn %s probe </dev/null >/dev/null 2>&1'; test $? = 125",
             berth_bin);
    assert_int_equal(system(cmd), 0);
}

/* One container's life with every helper exec'd: its monitor (run), exec, cp, export */
static void test_container_exec_helpers(void **state)
{
    eng->exec_helpers = true;
    _cleanup_berr_ struct berr *err = NULL;
    char id[65];
    /* run, attached: the monitor is berth exec'd as berth-spawn */
    char *cmd1[] = {"sh", "-c", "echo out; exit 3", NULL};
    struct ctr_create_opts o1 = {
        .image = "busybox", .cmd = cmd1, .stop_timeout = CTR_NO_STOP_TIMEOUT};
    int fd = -1;
    assert_int_equal(ctr_run(eng, &o1, true, id, &fd, &err), 0);
    char out[256];
    assert_int_equal(drain(fd, out, sizeof(out)), 3);
    close(fd);
    assert_string_equal(out, "out\n");
    /* a failure of the command comes back with its kind */
    char *bad[] = {"nosuchcommand", NULL};
    struct ctr_create_opts ob = {
        .image = "busybox", .cmd = bad, .stop_timeout = CTR_NO_STOP_TIMEOUT};
    assert_true(ctr_run(eng, &ob, false, id, NULL, &err) < 0);
    assert_int_equal(err->kind, BERR_CMD_NOT_FOUND);
    berr_free(err);
    err = NULL;

    /* detached, for exec and cp */
    char *cmd2[] = {"sleep", "100", NULL};
    struct ctr_create_opts o2 = {
        .image = "busybox", .name = "long", .cmd = cmd2, .stop_timeout = CTR_NO_STOP_TIMEOUT};
    assert_int_equal(ctr_run(eng, &o2, false, id, NULL, &err), 0);
    /* exec: stdio handed to the helper, its exit status back */
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    _cleanup_close_ int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    char *eargs[] = {"sh", "-c", "echo in-exec; exit 5", NULL};
    struct ctr_exec_opts eo = {.args = eargs, .stdio = {null, p[1], p[1]}};
    assert_int_equal(ctr_exec(eng, "long", &eo, &err), 5);
    close(p[1]);
    slurp(p[0], out, sizeof(out));
    close(p[0]);
    assert_string_equal(out, "in-exec\n");
    /* cp in: a tar of one file unpacked in /tmp */
    char cmdline[512], tarpath[128];
    snprintf(cmdline, sizeof(cmdline),
             "mkdir -p %s/src && printf hello > %s/src/hello.txt && tar -C %s/src -cf %s/in.tar "
             "hello.txt",
             top, top, top, top);
    assert_int_equal(system(cmdline), 0);
    snprintf(tarpath, sizeof(tarpath), "%s/in.tar", top);
    {
        _cleanup_close_ int tfd = open(tarpath, O_RDONLY | O_CLOEXEC);
        struct ctr_copy_in_opts io = {.path = "/tmp", .peer_fd = -1};
        struct ctr_copy *cp = ctr_copy_in(eng, "long", &io, tfd, &err);
        assert_non_null(cp);
        assert_int_equal(ctr_copy_finish(cp, false, &err), 0);
    }
    struct ctr_path_stat st = {0};
    assert_int_equal(ctr_copy_stat(eng, "long", "/tmp/hello.txt", &st, &err), 0);
    assert_int_equal(st.size, 5);
    ctr_path_stat_clear(&st);
    /* a path that is not there: its kind from the helper */
    assert_true(ctr_copy_stat(eng, "long", "/nosuch", &st, &err) < 0);
    assert_int_equal(err->kind, BERR_NOT_FOUND);
    berr_free(err);
    err = NULL;
    /* cp out: the file as a tar */
    snprintf(tarpath, sizeof(tarpath), "%s/out.tar", top);
    {
        _cleanup_close_ int tfd = open(tarpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        struct ctr_copy_out_opts oo = {.path = "/tmp/hello.txt", .peer_fd = -1};
        struct ctr_copy *cp = ctr_copy_out(eng, "long", &oo, tfd, &st, &err);
        assert_non_null(cp);
        assert_int_equal(ctr_copy_finish(cp, false, &err), 0);
        ctr_path_stat_clear(&st);
    }
    snprintf(cmdline, sizeof(cmdline), "tar -xOf %s hello.txt | grep -qx hello", tarpath);
    assert_int_equal(system(cmdline), 0);
    struct ctr_remove_opts ro = {.force = true};
    assert_int_equal(ctr_remove(eng, "long", &ro, &err), 0);

    /* create (its helper mounts and writes the spec) and export (its helper mounts again) */
    assert_int_equal(ctr_create(eng, &o1, id, &err), 0);
    snprintf(tarpath, sizeof(tarpath), "%s/export.tar", top);
    {
        _cleanup_close_ int tfd = open(tarpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_int_equal(ctr_export(eng, id, tfd, &err), 0);
    }
    snprintf(cmdline, sizeof(cmdline), "tar -tf %s | grep -qx bin/busybox", tarpath);
    assert_int_equal(system(cmdline), 0);
    _cleanup_ctr_ struct ctr *c = ctr_open(eng, id, &err);
    assert_non_null(c);
    _cleanup_free_ char *spec = ctr_path(c, "config.json");
    assert_int_equal(access(spec, F_OK), 0);
    /* left to teardown: its owner is this process, which rm would wait 5 s for */
}

int main(int argc, char **argv)
{
    /* the monitor's loop, back to "berth" to record an exit */
    const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    if (!strcmp(self, "berth-monitor"))
        return monitor_resume(argc, argv);
    xalloc_setup_jansson();
    berth_bin = getenv("BERTH_BIN");
    if (geteuid() != 0 || access("/bin/busybox", X_OK) != 0 || !berth_bin ||
        access(berth_bin, X_OK) != 0) {
        fprintf(stderr, "test-spawn: needs root, /bin/busybox and $BERTH_BIN: skipped\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_probe_fork, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_exec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_by_hand, setup, teardown),
        cmocka_unit_test_setup_teardown(test_container_exec_helpers, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

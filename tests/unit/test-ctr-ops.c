/* test-ctr-ops.c - the container operations of the engine, driven with no CLI: their error
 * kinds (a missing container, a wrong state, a taken name), rename, wait (woken by the
 * monitor's record, not by a poll), remove, the events they note, the signal parser.
 * Containers are records made here, their "process" and "monitor" children of the test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "base/cleanup.h"
#include "base/proc.h"
#include "engine/containers.h"
#include "engine/ctr-ops.h"
#include "engine/engine.h"
#include "engine/events.h"

static char top[64];
static struct engine *eng;

#define ID_A "aaaa000000000000000000000000000000000000000000000000000000000001"
#define ID_B "bbbb000000000000000000000000000000000000000000000000000000000002"

static int setup(void **state)
{
    snprintf(top, sizeof(top), "/tmp/berth-ctrops-test.XXXXXX");
    assert_non_null(mkdtemp(top));
    char root[128], runroot[128], conf[128];
    snprintf(root, sizeof(root), "%s/root", top);
    snprintf(runroot, sizeof(runroot), "%s/run", top);
    snprintf(conf, sizeof(conf), "%s/berth.json", top);
    assert_int_equal(mkdir(root, 0700), 0);
    assert_int_equal(mkdir(runroot, 0700), 0);
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fputs("{}", f);
    fclose(f);
    _cleanup_berr_ struct berr *err = NULL;
    eng = engine_new(root, runroot, conf, &err);
    assert_non_null(eng);
    return 0;
}

static int teardown(void **state)
{
    engine_free(eng);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
    assert_int_equal(system(cmd), 0);
    return 0;
}

/* A container's record: container.json with its name, and state.json (taken) */
static void make_ctr(const char *id, const char *name, json_t *st)
{
    _cleanup_berr_ struct berr *err = NULL;
    _cleanup_free_ char *dir = ctr_dir(eng->root, id);
    char path[4300];
    snprintf(path, sizeof(path), "%s/containers", eng->root);
    mkdir(path, 0700);
    assert_int_equal(mkdir(dir, 0700), 0);
    _cleanup_close_ int lock = ctr_lock(eng->root, &err);
    assert_true(lock >= 0);
    assert_int_equal(ctr_name_claim(eng->root, name, id, &err), 0);
    json_t *rec =
        json_pack("{s:s,s:s,s:s,s:{}}", "Id", id, "Name", name, "Image", "sha256:1234", "Config");
    snprintf(path, sizeof(path), "%s/container.json", dir);
    assert_int_equal(json_dump_file(rec, path, 0), 0);
    json_decref(rec);
    assert_int_equal(ctr_save_state(eng->root, id, st, &err), 0);
    json_decref(st);
}

static json_t *exited(int code)
{
    return json_pack("{s:s,s:i,s:s,s:s}", "Status", "exited", "ExitCode", code, "StartedAt",
                     "2026-01-01T00:00:00Z", "FinishedAt", "2026-01-01T00:00:01Z");
}

/* A child that lives ms milliseconds (-1: until killed) */
static pid_t child(long ms)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (ms < 0)
            for (;;)
                pause();
        usleep(ms * 1000);
        _exit(0);
    }
    return pid;
}

static json_t *running(pid_t pid, pid_t mon, bool paused)
{
    /* the start time read once it is there: a fork's /proc entry is at once */
    return json_pack("{s:s,s:i,s:I,s:i,s:I,s:b,s:i,s:s}", "Status", "running", "Pid", pid,
                     "PidStart", (json_int_t)proc_start_time(pid), "MonitorPid", mon,
                     "MonitorStart", (json_int_t)(mon > 0 ? proc_start_time(mon) : 0), "Paused",
                     paused, "ExitCode", 0, "StartedAt", "2026-01-01T00:00:00Z");
}

static void reap(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static int add_action(json_t *ev, void *data)
{
    fprintf(data, "%s ", json_string_value(json_object_get(ev, "Action")));
    return 0;
}

/* The actions of the events journal, in order, for container id */
static char *actions(const char *id)
{
    json_t *f = json_pack("{s:[s]}", "container", id);
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    struct events_query q = {.since_ns = 1, .filters = f, .stop_fd = -1};
    _cleanup_berr_ struct berr *err = NULL;
    events_read(eng->runroot, &q, add_action, m, &err);
    fclose(m);
    json_decref(f);
    return out;
}

static void test_signal_parse(void **state)
{
    assert_int_equal(ctr_signal_parse("KILL"), SIGKILL);
    assert_int_equal(ctr_signal_parse("sigterm"), SIGTERM);
    assert_int_equal(ctr_signal_parse("SIGUSR1"), SIGUSR1);
    assert_int_equal(ctr_signal_parse("9"), 9);
    assert_int_equal(ctr_signal_parse("RTMIN+3"), SIGRTMIN + 3);
    assert_int_equal(ctr_signal_parse("RTMAX-1"), SIGRTMAX - 1);
    assert_int_equal(ctr_signal_parse("0"), -1);
    assert_int_equal(ctr_signal_parse("NOPE"), -1);
    assert_int_equal(ctr_signal_parse(""), -1);
    assert_int_equal(ctr_signal_parse("RTMIN+99"), -1);
}

/* every operation on a container that does not exist: BERR_NOT_FOUND, named */
static void test_not_found(void **state)
{
    struct ctr_stop_opts so = {.timeout = 1};
    struct ctr_remove_opts ro = {.force = true};
    char *args[] = {"true", NULL};
    struct ctr_exec_opts eo = {.args = args, .stdio = {0, 1, 2}};
    for (int i = 0; i < 8; i++) {
        _cleanup_berr_ struct berr *err = NULL;
        int r = i == 0   ? ctr_stop(eng, "ghost", &so, &err)
                : i == 1 ? ctr_kill(eng, "ghost", SIGTERM, &err)
                : i == 2 ? ctr_pause(eng, "ghost", true, &err)
                : i == 3 ? ctr_pause(eng, "ghost", false, &err)
                : i == 4 ? ctr_rename(eng, "ghost", "x2", &err)
                : i == 5 ? ctr_wait(eng, "ghost", &err)
                : i == 6 ? ctr_remove(eng, "ghost", &ro, &err)
                         : ctr_exec(eng, "ghost", &eo, &err);
        assert_true(r < 0);
        assert_non_null(err);
        assert_int_equal(err->kind, BERR_NOT_FOUND);
        assert_string_equal(err->msg, "no such container: ghost");
    }
}

/* an exited container: wait gives its code; kill, pause and exec are conflicts; stop is
 * "not modified" (1), recorded as the user's, and noted */
static void test_exited(void **state)
{
    make_ctr(ID_A, "done", exited(3));
    _cleanup_berr_ struct berr *err = NULL;
    assert_int_equal(ctr_wait(eng, "done", &err), 3);
    assert_int_equal(ctr_wait(eng, "aaaa", &err), 3); /* an ID prefix */
    assert_true(ctr_kill(eng, "done", SIGTERM, &err) < 0);
    assert_int_equal(err->kind, BERR_CONFLICT);
    assert_string_equal(err->msg, "kill: container done is not running");
    berr_free(TAKE_PTR(err));
    assert_true(ctr_pause(eng, "done", true, &err) < 0);
    assert_int_equal(err->kind, BERR_CONFLICT);
    assert_string_equal(err->msg, "container done is not running");
    berr_free(TAKE_PTR(err));
    char *args[] = {"true", NULL};
    struct ctr_exec_opts eo = {.args = args, .stdio = {0, 1, 2}};
    assert_true(ctr_exec(eng, "done", &eo, &err) < 0);
    assert_int_equal(err->kind, BERR_CONFLICT);
    assert_string_equal(err->msg, "exec: container done is not running");
    berr_free(TAKE_PTR(err));
    struct ctr_stop_opts so = {.timeout = CTR_STOP_TIMEOUT_DEFAULT};
    assert_int_equal(ctr_stop(eng, "done", &so, &err), 1);
    char path[4300];
    snprintf(path, sizeof(path), "%s/containers/%s/stopped-by-user", eng->root, ID_A);
    assert_int_equal(access(path, F_OK), 0);
    /* a restart's stop leaves the events to the start that follows; failures note none */
    so.restart = true;
    assert_int_equal(ctr_stop(eng, "done", &so, &err), 1);
    _cleanup_free_ char *acts = actions(ID_A);
    assert_string_equal(acts, "stop ");
}

/* a running container: rm without force, pause of a paused one, unpause of one that runs:
 * conflicts, and nothing changed */
static void test_running_conflicts(void **state)
{
    pid_t p = child(-1);
    make_ctr(ID_A, "web", running(p, 0, false));
    _cleanup_berr_ struct berr *err = NULL;
    struct ctr_remove_opts ro = {0};
    assert_true(ctr_remove(eng, "web", &ro, &err) < 0);
    assert_int_equal(err->kind, BERR_CONFLICT);
    assert_string_equal(err->msg, "rm: container web is running: stop it first (berth stop), "
                                  "or force its removal with -f");
    berr_free(TAKE_PTR(err));
    assert_true(ctr_pause(eng, "web", false, &err) < 0);
    assert_int_equal(err->kind, BERR_CONFLICT);
    assert_string_equal(err->msg, "container web is not paused");
    berr_free(TAKE_PTR(err));
    make_ctr(ID_B, "frozen", running(p, 0, true));
    assert_true(ctr_pause(eng, "frozen", true, &err) < 0);
    assert_int_equal(err->kind, BERR_CONFLICT);
    assert_string_equal(err->msg, "container frozen is already paused");
    berr_free(TAKE_PTR(err));
    _cleanup_ctr_ struct ctr *c = ctr_open(eng, "web", &err);
    assert_non_null(c);
    assert_true(ctr_running(c));
    reap(p);
}

/* wait returns the code the monitor records, woken by it (well under the second a poll
 * would take); a container whose monitor died with it reads 255 */
static void test_wait(void **state)
{
    pid_t p = child(-1);
    pid_t mon = fork();
    assert_true(mon >= 0);
    if (mon == 0) {
        /* the monitor: the process ends, its exit is recorded, the monitor lives on a bit */
        usleep(200000);
        kill(p, SIGKILL);
        struct berr *err = NULL;
        ctr_save_state(eng->root, ID_A, exited(7), &err);
        usleep(3000000);
        _exit(0);
    }
    make_ctr(ID_A, "job", running(p, mon, false));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    _cleanup_berr_ struct berr *err = NULL;
    assert_int_equal(ctr_wait(eng, "job", &err), 7);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 150 && ms < 800);
    reap(mon);
    waitpid(p, NULL, 0);
    /* no monitor: the end of the process itself (its pidfd) */
    p = child(200);
    make_ctr(ID_B, "orphan", running(p, 0, false));
    assert_int_equal(ctr_wait(eng, "orphan", &err), 255);
    waitpid(p, NULL, 0);
}

static void test_rename(void **state)
{
    make_ctr(ID_A, "old", exited(0));
    make_ctr(ID_B, "other", exited(0));
    _cleanup_berr_ struct berr *err = NULL;
    assert_true(ctr_rename(eng, "old", "other", &err) < 0);
    assert_int_equal(err->kind, BERR_CONFLICT);
    berr_free(TAKE_PTR(err));
    assert_true(ctr_rename(eng, "old", "-bad", &err) < 0);
    assert_int_equal(err->kind, BERR_INVALID);
    berr_free(TAKE_PTR(err));
    assert_int_equal(ctr_rename(eng, "old", "new", &err), 0);
    _cleanup_ctr_ struct ctr *c = ctr_open(eng, "new", &err);
    assert_non_null(c);
    assert_string_equal(c->id, ID_A);
    assert_string_equal(c->name, "new");
    assert_null(ctr_open(eng, "old", &err));
    assert_int_equal(err->kind, BERR_NOT_FOUND);
    _cleanup_free_ char *acts = actions(ID_A);
    assert_string_equal(acts, "rename ");
}

static void test_remove(void **state)
{
    make_ctr(ID_A, "gone", exited(0));
    _cleanup_berr_ struct berr *err = NULL;
    struct ctr_remove_opts ro = {0};
    assert_int_equal(ctr_remove(eng, "gone", &ro, &err), 0);
    char path[4300];
    snprintf(path, sizeof(path), "%s/containers/%s", eng->root, ID_A);
    assert_int_not_equal(access(path, F_OK), 0);
    assert_null(ctr_open(eng, "gone", &err));
    assert_int_equal(err->kind, BERR_NOT_FOUND);
    berr_free(TAKE_PTR(err));
    /* the name is free again */
    make_ctr(ID_B, "gone", exited(0));
    _cleanup_free_ char *acts = actions(ID_A);
    assert_string_equal(acts, "destroy ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signal_parse),
        cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exited, setup, teardown),
        cmocka_unit_test_setup_teardown(test_running_conflicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

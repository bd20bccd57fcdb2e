/* test-ctr-query.c - the engine's reading of containers with no CLI: list with docker's
 * filters, inspect, logs (tail, since, streams, rotation, following a container until it
 * ends), top, stats and port, and their error kinds. The records are written by hand into a
 * temporary root; a "running" container is a child process of the test. */
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
#include "base/fs.h"
#include "base/proc.h"
#include "base/xalloc.h"
#include "engine/ctr-query.h"
#include "engine/engine.h"

static char dir[64];
static struct engine *eng;

#define ID_A "aaaaaaaaaaaa0000000000000000000000000000000000000000000000000000"
#define ID_B "bbbbbbbbbbbb0000000000000000000000000000000000000000000000000000"
#define ID_C "cccccccccccc0000000000000000000000000000000000000000000000000000"

static void write_file(const char *id, const char *file, const char *text)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/root/containers/%s/%s", dir, id, file);
    *strrchr(p, '/') = 0;
    assert_int_equal(fs_mkdir_p(p, 0700), 0);
    snprintf(p, sizeof(p), "%s/root/containers/%s/%s", dir, id, file);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* A container record: name, created time, labels (JSON), state.json (JSON or NULL) */
static void record(const char *id, const char *name, const char *created, const char *labels,
                   const char *logtype, const char *state)
{
    _cleanup_free_ char *c = xasprintf(
        "{\"Id\":\"%s\",\"Name\":\"%s\",\"Created\":\"%s\",\"Image\":\"sha256:none\","
        "\"ImageName\":\"busybox\",\"Path\":\"sh\",\"Args\":[\"-c\",\"echo hi\"],"
        "\"Config\":{\"Labels\":%s},\"HostConfig\":{\"NetworkMode\":\"none\","
        "\"LogConfig\":{\"Type\":\"%s\"}},\"Mounts\":[{\"Type\":\"volume\",\"Name\":\"data\","
        "\"Destination\":\"/data\",\"Driver\":\"local\"}]}",
        id, name, created, labels, logtype);
    write_file(id, "container.json", c);
    if (state)
        write_file(id, "state.json", state);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/berth-ctrq-test.XXXXXX");
    assert_non_null(mkdtemp(dir));
    char root[128], run[128], config[128];
    snprintf(root, sizeof(root), "%s/root", dir);
    snprintf(run, sizeof(run), "%s/run", dir);
    snprintf(config, sizeof(config), "%s/berth.json", dir);
    FILE *f = fopen(config, "w");
    assert_non_null(f);
    fputs("{}\n", f);
    assert_int_equal(fclose(f), 0);
    _cleanup_berr_ struct berr *e = NULL;
    eng = engine_new(root, run, config, &e);
    assert_non_null(eng);
    /* a: created, b: exited 3, c: exited 0 with a label and no logs to read */
    record(ID_A, "alpha", "2026-01-01T00:00:01.000000000Z", "{}", "json-file", NULL);
    record(ID_B, "beta", "2026-01-01T00:00:02.000000000Z", "{\"tier\":\"web\"}", "json-file",
           "{\"Status\":\"exited\",\"ExitCode\":3,\"StartedAt\":\"2026-01-01T00:00:03Z\","
           "\"FinishedAt\":\"2026-01-01T00:00:04Z\"}");
    record(ID_C, "gamma", "2026-01-01T00:00:03.000000000Z", "{\"tier\":\"db\"}", "none",
           "{\"Status\":\"exited\",\"ExitCode\":0,\"StartedAt\":\"2026-01-01T00:00:03Z\","
           "\"FinishedAt\":\"2026-01-01T00:00:04Z\"}");
    write_file(ID_B, "upper/file", "12345");
    write_file(ID_B, "json.log.1",
               "{\"log\":\"one\\n\",\"stream\":\"stdout\",\"time\":\"2026-01-01T00:00:01Z\"}\n");
    write_file(ID_B, "json.log",
               "{\"log\":\"two\\n\",\"stream\":\"stderr\",\"time\":\"2026-01-01T00:00:02Z\"}\n"
               "{\"log\":\"three\\n\",\"stream\":\"stdout\",\"time\":\"2026-01-01T00:00:03Z\"}\n");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    engine_free(eng);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

/* the names of the rows, joined with spaces */
static char *names(json_t *rows)
{
    char *s = xstrdup("");
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        char *n = xasprintf("%s%s%s", s, i ? " " : "",
                            json_string_value(json_array_get(json_object_get(r, "Names"), 0)));
        free(s);
        s = n;
    }
    return s;
}

static char *list(bool all, long last, const char *const *filters)
{
    _cleanup_(json_decrefp) json_t *f = json_object();
    _cleanup_berr_ struct berr *e = NULL;
    for (; filters && *filters; filters++)
        assert_int_equal(ctr_filter_add(f, *filters, &e), 0);
    struct ctr_list_opts o = {.all = all, .last = last, .filters = f};
    _cleanup_(json_decrefp) json_t *rows = ctr_list(eng, &o, &e);
    assert_non_null(rows);
    return names(rows);
}

static void test_list(void **state)
{
    (void)state;
    char *s;
    assert_string_equal(s = list(false, -1, NULL), "");
    free(s);
    assert_string_equal(s = list(true, -1, NULL), "/gamma /beta /alpha");
    free(s);
    assert_string_equal(s = list(false, 2, NULL), "/gamma /beta");
    free(s);
    assert_string_equal(s = list(true, -1, (const char *[]){"status=exited", NULL}),
                        "/gamma /beta");
    free(s);
    assert_string_equal(s = list(true, -1, (const char *[]){"exited=3", NULL}), "/beta");
    free(s);
    assert_string_equal(s = list(true, -1, (const char *[]){"label=tier", NULL}), "/gamma /beta");
    free(s);
    assert_string_equal(s = list(true, -1, (const char *[]){"label=tier=db", NULL}), "/gamma");
    free(s);
    assert_string_equal(s = list(true, -1, (const char *[]){"name=^/al", NULL}), "/alpha");
    free(s);
    assert_string_equal(s = list(true, -1, (const char *[]){"before=gamma", NULL}), "/beta /alpha");
    free(s);
    assert_string_equal(s = list(true, -1, (const char *[]){"since=alpha", NULL}), "/gamma /beta");
    free(s);
    assert_string_equal(s = list(true, -1, (const char *[]){"volume=/data", "id=bbb", NULL}),
                        "/beta");
    free(s);

    /* the summary's fields */
    _cleanup_berr_ struct berr *e = NULL;
    struct ctr_list_opts o = {.all = true, .last = 1, .size = true};
    _cleanup_(json_decrefp) json_t *rows = ctr_list(eng, &o, &e);
    assert_non_null(rows);
    json_t *g = json_array_get(rows, 0);
    assert_string_equal(json_string_value(json_object_get(g, "Id")), ID_C);
    assert_string_equal(json_string_value(json_object_get(g, "Command")), "sh -c echo hi");
    assert_string_equal(json_string_value(json_object_get(g, "State")), "exited");
    assert_true(!strncmp(json_string_value(json_object_get(g, "Status")), "Exited (0) ", 11));
    assert_string_equal(json_string_value(json_object_get(g, "Image")), "busybox");
    assert_int_equal(json_integer_value(json_object_get(g, "Created")), 1767225603);
    assert_non_null(json_object_get(g, "SizeRw"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(g, "Labels"), "tier")),
                        "db");
}

static void test_list_errors(void **state)
{
    (void)state;
    _cleanup_(json_decrefp) json_t *f = json_object();
    _cleanup_berr_ struct berr *e = NULL;
    assert_true(ctr_filter_add(f, "nope=1", &e) < 0);
    assert_int_equal(e->kind, BERR_INVALID);
    berr_freep(&e);
    assert_true(ctr_filter_add(f, "status=sleeping", &e) < 0);
    assert_int_equal(e->kind, BERR_INVALID);
    berr_freep(&e);
    assert_true(ctr_filter_add(f, "novalue", &e) < 0);
    berr_freep(&e);
    assert_int_equal(ctr_filter_add(f, "before=nosuch", &e), 0);
    struct ctr_list_opts o = {.last = -1, .filters = f};
    assert_null(ctr_list(eng, &o, &e));
    assert_int_equal(e->kind, BERR_NOT_FOUND);
}

static void test_inspect(void **state)
{
    (void)state;
    _cleanup_berr_ struct berr *e = NULL;
    assert_null(ctr_inspect(eng, "nosuch", false, &e));
    assert_int_equal(e->kind, BERR_NOT_FOUND);
    berr_freep(&e);
    json_t *c = ctr_inspect(eng, "beta", true, &e);
    assert_non_null(c);
    assert_string_equal(json_string_value(json_object_get(c, "Id")), ID_B);
    assert_int_equal(json_integer_value(json_object_get(c, "SizeRw")), 5);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(c, "State"), "ExitCode")),
                     3);
    json_decref(c);
}

struct out {
    char *text[3];
};

static int collect(void *ctx, int stream, const char *data, size_t len)
{
    struct out *o = ctx;
    char *n = xasprintf("%s%.*s", o->text[stream] ?: "", (int)len, data);
    free(o->text[stream]);
    o->text[stream] = n;
    return 0;
}

static void out_free(struct out *o)
{
    for (int i = 0; i < 3; i++)
        free(o->text[i]);
    memset(o, 0, sizeof(*o));
}

static void test_logs(void **state)
{
    (void)state;
    _cleanup_berr_ struct berr *e = NULL;
    struct out got = {0};
    struct ctr_logs_opts o = {.tail = -1, .out = collect, .ctx = &got};
    assert_int_equal(ctr_logs(eng, "beta", &o, &e), 0);
    assert_string_equal(got.text[1], "one\nthree\n");
    assert_string_equal(got.text[2], "two\n");
    out_free(&got);
    o.tail = 1;
    o.timestamps = true;
    assert_int_equal(ctr_logs(eng, "beta", &o, &e), 0);
    assert_string_equal(got.text[1], "2026-01-01T00:00:03Z three\n");
    assert_null(got.text[2]);
    out_free(&got);
    o = (struct ctr_logs_opts){.tail = -1, .out = collect, .ctx = &got};
    assert_true(ctr_logs_time("2026-01-01T00:00:02Z", &o.since));
    assert_true(ctr_logs_time("1767225602.5", &o.until));
    assert_int_equal(ctr_logs(eng, "beta", &o, &e), 0);
    assert_null(got.text[1]);
    assert_string_equal(got.text[2], "two\n");
    out_free(&got);
    assert_false(ctr_logs_time("yesterday", &o.since));
    /* follow of a container that does not run: what there is, then the end */
    o = (struct ctr_logs_opts){
        .tail = -1, .follow = true, .stop_fd = -1, .out = collect, .ctx = &got};
    assert_int_equal(ctr_logs(eng, "beta", &o, &e), 0);
    assert_string_equal(got.text[1], "one\nthree\n");
    out_free(&got);

    assert_true(ctr_logs(eng, "gamma", &o, &e) < 0);
    assert_int_equal(e->kind, BERR_UNSUPPORTED);
    berr_freep(&e);
    assert_true(ctr_logs(eng, "nosuch", &o, &e) < 0);
    assert_int_equal(e->kind, BERR_NOT_FOUND);
}

/* -f on a running container: appends and a rotation are followed, and the end of its
 * process ends the stream (its "process" is a child that writes the log itself) */
static void test_logs_follow(void **state)
{
    (void)state;
    char log[256], old[256];
    snprintf(log, sizeof(log), "%s/root/containers/%s/json.log", dir, ID_A);
    snprintf(old, sizeof(old), "%s/root/containers/%s/json.log.1", dir, ID_A);
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char c;
        close(go[1]);
        if (read(go[0], &c, 1) != 1)
            _exit(1);
        usleep(100000);
        FILE *f = fopen(log, "a");
        fputs("{\"log\":\"later\\n\",\"stream\":\"stdout\",\"time\":\"2026-01-01T00:00:05Z\"}\n",
              f);
        fclose(f);
        usleep(100000);
        rename(log, old);
        f = fopen(log, "w");
        fputs("{\"log\":\"rotated\\n\",\"stream\":\"stdout\",\"time\":\"2026-01-01T00:00:06Z\"}\n",
              f);
        fclose(f);
        usleep(100000);
        _exit(0);
    }
    close(go[0]);
    _cleanup_free_ char *st = xasprintf("{\"Status\":\"running\",\"Pid\":%d,\"PidStart\":%llu,"
                                        "\"StartedAt\":\"2026-01-01T00:00:04Z\"}",
                                        (int)pid, (unsigned long long)proc_start_time(pid));
    write_file(ID_A, "state.json", st);
    write_file(ID_A, "json.log",
               "{\"log\":\"first\\n\",\"stream\":\"stdout\",\"time\":\"2026-01-01T00:00:04Z\"}\n");

    /* running now: it is listed, and top and stats see it */
    char *s = list(false, -1, NULL);
    assert_string_equal(s, "/alpha");
    free(s);
    _cleanup_berr_ struct berr *e = NULL;
    json_t *stats = ctr_stats(eng, "alpha", &e);
    assert_non_null(stats);
    assert_string_equal(json_string_value(json_object_get(stats, "name")), "/alpha");
    json_decref(stats);

    /* a reader that has gone (its stop fd hung up) ends the following, though it runs */
    int stop[2];
    assert_int_equal(pipe(stop), 0);
    close(stop[1]);
    struct out early = {0};
    struct ctr_logs_opts so = {
        .tail = -1, .follow = true, .stop_fd = stop[0], .out = collect, .ctx = &early};
    assert_int_equal(ctr_logs(eng, "alpha", &so, &e), 0);
    assert_string_equal(early.text[1], "first\n");
    out_free(&early);
    close(stop[0]);

    assert_int_equal(write(go[1], "x", 1), 1);
    close(go[1]);
    struct out got = {0};
    struct ctr_logs_opts o = {
        .tail = -1, .follow = true, .stop_fd = -1, .out = collect, .ctx = &got};
    time_t t0 = time(NULL);
    assert_int_equal(ctr_logs(eng, "alpha", &o, &e), 0);
    assert_true(time(NULL) - t0 < 5);
    assert_string_equal(got.text[1], "first\nlater\nrotated\n");
    out_free(&got);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    unlink(old);
    unlink(log);
    char p[256];
    snprintf(p, sizeof(p), "%s/root/containers/%s/state.json", dir, ID_A);
    unlink(p);
}

static void test_top_stats_port(void **state)
{
    (void)state;
    _cleanup_berr_ struct berr *e = NULL;
    assert_null(ctr_top(eng, "beta", NULL, &e));
    assert_int_equal(e->kind, BERR_CONFLICT);
    berr_freep(&e);
    assert_null(ctr_top(eng, "nosuch", NULL, &e));
    assert_int_equal(e->kind, BERR_NOT_FOUND);
    berr_freep(&e);

    json_t *s = ctr_stats(eng, "beta", &e);
    assert_non_null(s);
    assert_string_equal(json_string_value(json_object_get(s, "id")), ID_B);
    assert_string_equal(json_string_value(json_object_get(s, "name")), "/beta");
    assert_int_equal(json_object_size(json_object_get(s, "memory_stats")), 0);
    assert_true(json_integer_value(
                    json_object_get(json_object_get(s, "cpu_stats"), "system_cpu_usage")) > 0);
    json_decref(s);
    assert_null(ctr_stats(eng, "nosuch", &e));
    assert_int_equal(e->kind, BERR_NOT_FOUND);
    berr_freep(&e);

    json_t *p = ctr_port(eng, "beta", &e);
    assert_non_null(p);
    assert_int_equal(json_object_size(p), 0);
    json_decref(p);
    assert_null(ctr_port(eng, "nosuch", &e));
    assert_int_equal(e->kind, BERR_NOT_FOUND);
}

static void test_duration(void **state)
{
    (void)state;
    char b[64];
    ctr_human_duration(0, b, sizeof(b));
    assert_string_equal(b, "Less than a second");
    ctr_human_duration(61, b, sizeof(b));
    assert_string_equal(b, "About a minute");
    ctr_human_duration(3 * 3600, b, sizeof(b));
    assert_string_equal(b, "3 hours");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list),        cmocka_unit_test(test_list_errors),
        cmocka_unit_test(test_inspect),     cmocka_unit_test(test_logs),
        cmocka_unit_test(test_logs_follow), cmocka_unit_test(test_top_stats_port),
        cmocka_unit_test(test_duration),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

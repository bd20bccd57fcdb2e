/* test-events.c - the events journal: many writers at once, rotation, reading both files,
 * cut attributes, filters, following */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "base/cleanup.h"
#include "engine/events.h"

static char dir[64];

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/berth-events-test.XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

struct seen {
    json_t *all; /* the events, in the order read */
};

static int collect(json_t *ev, void *data)
{
    struct seen *s = data;
    json_array_append(s->all, ev);
    return 0;
}

static json_t *read_all(json_t *filters)
{
    struct seen s = {.all = json_array()};
    struct events_query q = {.since_ns = 1, .filters = filters, .stop_fd = -1};
    _cleanup_berr_ struct berr *e = NULL;
    assert_int_equal(events_read(dir, &q, collect, &s, &e), 0);
    return s.all;
}

static void append(const char *type, const char *action, const char *id, json_t *attrs, long max)
{
    _cleanup_berr_ struct berr *e = NULL;
    int r = events_append_max(dir, type, action, id, attrs, max, &e);
    if (r < 0)
        fail_msg("%s", e->msg);
    json_decref(attrs);
}

/* 10 children append 8 events each at once, with rotation at 8 KiB (about 12 KiB in all, so
 * it rotates once and nothing is lost): every line whole, every event once, in each child's
 * order, across both files */
static void test_many_writers_and_rotation(void **state)
{
    enum { KIDS = 10, EACH = 8 };
    pid_t pids[KIDS];
    for (int k = 0; k < KIDS; k++) {
        pids[k] = fork();
        assert_true(pids[k] >= 0);
        if (pids[k] == 0) {
            for (int i = 0; i < EACH; i++) {
                char id[32], seq[16];
                snprintf(id, sizeof(id), "kid%d", k);
                snprintf(seq, sizeof(seq), "%d", i);
                _cleanup_berr_ struct berr *e = NULL;
                json_t *a = json_pack("{s:s,s:s}", "name", id, "seq", seq);
                if (events_append_max(dir, "volume", "create", id, a, 8192, &e) < 0)
                    _exit(1);
                json_decref(a);
            }
            _exit(0);
        }
    }
    for (int k = 0; k < KIDS; k++) {
        int st;
        assert_int_equal(waitpid(pids[k], &st, 0), pids[k]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    char path[128];
    struct stat sb;
    snprintf(path, sizeof(path), "%s/events.log.1", dir);
    assert_int_equal(stat(path, &sb), 0); /* it rotated */
    assert_int_equal(sb.st_mode & 07777, 0600);
    json_t *all = read_all(NULL);
    assert_int_equal(json_array_size(all), KIDS * EACH);
    int next[KIDS] = {0};
    size_t i;
    json_t *ev;
    json_array_foreach(all, i, ev)
    {
        json_t *a = json_object_get(json_object_get(ev, "Actor"), "Attributes");
        int k = atoi(json_string_value(json_object_get(a, "name")) + 3);
        assert_true(k >= 0 && k < KIDS);
        assert_int_equal(atoi(json_string_value(json_object_get(a, "seq"))), next[k]);
        next[k]++;
    }
    json_decref(all);
}

/* past the size, one old file is kept: the oldest events go, the rest stay in order */
static void test_rotation_keeps_one_old_file(void **state)
{
    for (int i = 0; i < 100; i++) {
        char id[16];
        snprintf(id, sizeof(id), "%d", i);
        append("volume", "create", id, NULL, 2048);
    }
    json_t *all = read_all(NULL);
    size_t n = json_array_size(all);
    assert_true(n > 10 && n < 100);
    for (size_t i = 0; i < n; i++) {
        const char *id = json_string_value(
            json_object_get(json_object_get(json_array_get(all, i), "Actor"), "ID"));
        assert_int_equal(atoi(id), (int)(100 - n + i));
    }
    json_decref(all);
}

/* a reader of the past holds the lock: appends go on without waiting and rotate later */
static void test_rotation_never_waits_for_a_reader(void **state)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/events.lock", dir);
    int lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    assert_true(lock >= 0);
    assert_int_equal(flock(lock, LOCK_SH), 0);
    for (int i = 0; i < 20; i++)
        append("volume", "create", "x", NULL, 1024);
    snprintf(path, sizeof(path), "%s/events.log.1", dir);
    struct stat sb;
    assert_true(stat(path, &sb) < 0);
    close(lock);
    append("volume", "create", "y", NULL, 1024);
    assert_int_equal(stat(path, &sb), 0);
}

/* a line never passes 4096 bytes: the attributes are cut, the JSON stays whole */
static void test_long_attributes_are_cut(void **state)
{
    char *big = malloc(10000);
    memset(big, 'x', 9999);
    big[9999] = 0;
    append("container", "start", "abc",
           json_pack("{s:s,s:s,s:s}", "name", "web", "label", big, "image", "busybox"), 0);
    memcpy(big, "\xc3\xa9", 2); /* a value cut in the middle of a character stays UTF-8 */
    for (int i = 0; i < 9998; i += 2)
        memcpy(big + i, "\xc3\xa9", 2);
    append("container", "stop", "abc", json_pack("{s:s}", "name", big), 0);
    free(big);
    char path[128];
    snprintf(path, sizeof(path), "%s/events.log", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int n = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        assert_true(len <= EVENTS_MAX_LINE);
        json_t *ev = json_loads(line, 0, NULL);
        assert_non_null(ev);
        json_t *a = json_object_get(json_object_get(ev, "Actor"), "Attributes");
        if (n == 0) {
            assert_string_equal(json_string_value(json_object_get(a, "name")), "web");
            assert_string_equal(json_string_value(json_object_get(a, "image")), "busybox");
            assert_null(json_object_get(a, "label"));
            /* docker's legacy fields of a container event */
            assert_string_equal(json_string_value(json_object_get(ev, "from")), "busybox");
            assert_string_equal(json_string_value(json_object_get(ev, "status")), "start");
            assert_string_equal(json_string_value(json_object_get(ev, "id")), "abc");
        } else
            assert_true(json_string_length(json_object_get(a, "name")) <= 256);
        json_decref(ev);
        n++;
    }
    assert_int_equal(n, 2);
    free(line);
    fclose(f);
}

static void test_filters(void **state)
{
    const char *cid = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    append("container", "start", cid,
           json_pack("{s:s,s:s,s:s}", "name", "web", "image", "busybox:latest", "tier", "front"),
           0);
    append("container", "exec_start: sh -c true", cid,
           json_pack("{s:s,s:s}", "name", "web", "image", "busybox:latest"), 0);
    append("image", "tag", "sha256:aaaa", json_pack("{s:s}", "name", "mybox:1"), 0);
    append("volume", "create", "data", json_pack("{s:s}", "driver", "local"), 0);
    struct {
        const char *filters;
        int want;
    } cases[] = {
        {"{}", 4},
        {"{\"type\": [\"image\"]}", 1},
        {"{\"type\": [\"image\", \"volume\"]}", 2},
        {"{\"container\": [\"web\"]}", 2},
        {"{\"container\": [\"0123\"]}", 2},
        {"{\"container\": [\"nope\"]}", 0},
        {"{\"event\": [\"start\"]}", 1},
        {"{\"event\": [\"exec_start\"]}", 1},
        {"{\"event\": [\"exec_start: sh -c true\"]}", 1},
        {"{\"image\": [\"busybox\"]}", 2},
        {"{\"image\": [\"mybox:1\"]}", 1},
        {"{\"image\": [\"mybox\"]}", 1},
        {"{\"label\": [\"tier\"]}", 1},
        {"{\"label\": [\"tier=front\"]}", 1},
        {"{\"label\": [\"tier=back\"]}", 0},
        {"{\"volume\": [\"data\"]}", 1},
        {"{\"type\": [\"container\"], \"event\": [\"start\"], \"container\": [\"web\"]}", 1},
        {"{\"service\": [\"x\"]}", 0},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        json_t *f = json_loads(cases[i].filters, 0, NULL);
        assert_non_null(f);
        json_t *all = read_all(f);
        if ((int)json_array_size(all) != cases[i].want)
            fail_msg("%s: %zu events, want %d", cases[i].filters, json_array_size(all),
                     cases[i].want);
        json_decref(all);
        json_decref(f);
    }
    _cleanup_berr_ struct berr *e = NULL;
    assert_int_equal(events_check_filter("event", &e), 0);
    assert_true(events_check_filter("colour", &e) < 0);
    assert_int_equal(e->kind, BERR_INVALID);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* following: what a child appends later arrives; until ends it; the past is not read
 * without since */
static void test_follow(void **state)
{
    append("volume", "create", "old", NULL, 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        usleep(100000);
        _cleanup_berr_ struct berr *e = NULL;
        events_append(dir, "volume", "create", "new", NULL, &e);
        /* and past a rotation */
        for (int i = 0; i < 30; i++, usleep(2000))
            events_append_max(dir, "volume", "destroy", "new", NULL, 1024, &e);
        _exit(0);
    }
    struct seen s = {.all = json_array()};
    int64_t start = now_ns();
    struct events_query q = {.until_ns = start + 600000000LL, .follow = true, .stop_fd = -1};
    q.since_ns = 0;
    /* no since, but until: docker reads the past up to until; here until is ahead, so the
     * old event is in it too */
    _cleanup_berr_ struct berr *e = NULL;
    assert_int_equal(events_read(dir, &q, collect, &s, &e), 0);
    int64_t took = now_ns() - start;
    assert_true(took >= 500000000LL && took < 3000000000LL);
    waitpid(pid, NULL, 0);
    assert_int_equal(json_array_size(s.all), 32);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(s.all, 1), "Actor"), "ID")),
                        "new");
    json_decref(s.all);
}

int main(void)
{
    umask(0); /* the journal is 0600 whatever the umask */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_many_writers_and_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation_keeps_one_old_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation_never_waits_for_a_reader, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_attributes_are_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_follow, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

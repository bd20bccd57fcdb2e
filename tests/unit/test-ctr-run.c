/* test-ctr-run.c - the engine's container birth with no CLI: a busybox image made in a
 * temporary root, a container created, started and waited for through its monitor, its logs
 * read, its file system exported, and the error kinds (missing image, duplicate name, missing
 * container, start of a running one, attach to a stopped one). Runs as root, with
 * /bin/busybox. The monitor's loop execs this binary again as "berth-monitor" to record the
 * exit: main() hands that to monitor_resume, as berth's main does. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "attach-drain.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/proc.h"
#include "base/xalloc.h"
#include "engine/containers.h"
#include "engine/ctr-run.h"
#include "engine/engine.h"
#include "engine/monitor.h"
#include "image/layer.h"
#include "image/store.h"

static char top[64];
static struct engine *eng;

/* a file system of busybox and the links the tests run; a tar of it as the one layer of the
 * image "busybox" (Cmd sh), recorded as import does */
static void make_image(void)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/rootfs/bin", top);
    assert_int_equal(fs_mkdir_p(p, 0755), 0);
    for (const char *d = "proc\0dev\0sys\0tmp\0"; *d; d += strlen(d) + 1) {
        snprintf(p, sizeof(p), "%s/rootfs/%s", top, d);
        assert_int_equal(mkdir(p, 0755), 0);
    }
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "cp /bin/busybox %s/rootfs/bin/busybox", top);
    assert_int_equal(system(cmd), 0);
    for (const char *a = "sh\0echo\0cat\0"; *a; a += strlen(a) + 1) {
        snprintf(p, sizeof(p), "%s/rootfs/bin/%s", top, a);
        assert_int_equal(symlink("busybox", p), 0);
    }
    snprintf(p, sizeof(p), "%s/rootfs", top);
    _cleanup_close_ int rfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    snprintf(p, sizeof(p), "%s/layer.tar", top);
    _cleanup_close_ int tfd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(rfd >= 0 && tfd >= 0);
    _cleanup_berr_ struct berr *err = NULL;
    assert_int_equal(layer_diff(rfd, tfd, LAYER_COMPRESSION_NONE, NULL, &err), 0);
    _cleanup_free_ char *tar = NULL;
    size_t tar_len = 0;
    assert_int_equal(fs_read_file(p, &tar, &tar_len, &err), 0);

    char root[128];
    snprintf(root, sizeof(root), "%s/root", top);
    _cleanup_store_ struct store *st = store_open(root, &err);
    assert_non_null(st);
    assert_int_equal(store_lock(st, &err), 0);
    char blob[72], chain[72], diff_id[72], cdigest[72], mdigest[72], id[72];
    uint64_t size = 0;
    assert_int_equal(store_put_blob(st, tar, tar_len, blob, &err), 0);
    assert_int_equal(store_add_layer(st, NULL, blob, chain, diff_id, &size, &err), 0);
    json_t *config = json_pack("{s:s,s:s,s:{s:[s],s:[s]},s:{s:s,s:[s]}}", "architecture", "amd64",
                               "os", "linux", "config", "Cmd", "sh", "Env",
                               "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/bin",
                               "rootfs", "type", "layers", "diff_ids", diff_id);
    _cleanup_free_ char *ctext = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(config);
    assert_int_equal(store_put_blob(st, ctext, strlen(ctext), cdigest, &err), 0);
    json_t *manifest = json_pack("{s:i,s:s,s:{s:s,s:s,s:I},s:[{s:s,s:s,s:I}]}", "schemaVersion", 2,
                                 "mediaType", "application/vnd.oci.image.manifest.v1+json",
                                 "config", "mediaType", "application/vnd.oci.image.config.v1+json",
                                 "digest", cdigest, "size", (json_int_t)strlen(ctext), "layers",
                                 "mediaType", "application/vnd.oci.image.layer.v1.tar", "digest",
                                 blob, "size", (json_int_t)tar_len);
    _cleanup_free_ char *mtext = json_dumps(manifest, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(manifest);
    assert_int_equal(store_put_blob(st, mtext, strlen(mtext), mdigest, &err), 0);
    assert_int_equal(store_add_image(st, mdigest, id, &err), 0);
    assert_int_equal(store_tag(st, id, "busybox", &err), 0);
}

static int setup(void **state)
{
    snprintf(top, sizeof(top), "/tmp/berth-ctr-run-test.XXXXXX");
    assert_non_null(mkdtemp(top));
    make_image();
    char root[128], runroot[128], conf[128];
    snprintf(root, sizeof(root), "%s/root", top);
    snprintf(runroot, sizeof(runroot), "%s/run", top);
    snprintf(conf, sizeof(conf), "%s/berth.json", top);
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fputs("{}\n", f);
    fclose(f);
    _cleanup_berr_ struct berr *err = NULL;
    eng = engine_new(root, runroot, conf, &err);
    assert_non_null(eng);
    return 0;
}

static int teardown(void **state)
{
    engine_free(eng);
    eng = NULL;
    fs_rm_rf(top);
    return 0;
}

static void test_run_wait_logs(void **state)
{
    char *cmd[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
    struct ctr_create_opts o = {
        .image = "busybox", .name = "first", .cmd = cmd, .stop_timeout = CTR_NO_STOP_TIMEOUT};
    char id[65];
    int fd = -1;
    _cleanup_berr_ struct berr *err = NULL;
    assert_int_equal(ctr_run(eng, &o, true, id, &fd, &err), 0);
    assert_true(ctr_is_id(id));
    assert_true(fd >= 0);
    char out[256];
    assert_int_equal(drain(fd, out, sizeof(out)), 3);
    close(fd);
    assert_non_null(strstr(out, "out\n"));
    assert_non_null(strstr(out, "err\n"));
    /* the monitor recorded the exit before it told us */
    _cleanup_ctr_ struct ctr *c = ctr_open(eng, "first", &err);
    assert_non_null(c);
    assert_string_equal(c->id, id);
    assert_string_equal(ctr_status(c), "exited");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(c->rec, "State"), "ExitCode")), 3);
    /* its logs: docker's json-file lines */
    _cleanup_free_ char *log = ctr_path(c, "json.log");
    _cleanup_free_ char *text = NULL;
    assert_int_equal(fs_read_file(log, &text, NULL, &err), 0);
    assert_non_null(strstr(text, "\"log\":\"out\\n\""));
    assert_non_null(strstr(text, "\"stream\":\"stderr\""));
    /* a duplicate name: a conflict, and nothing made */
    assert_int_equal(ctr_create(eng, &o, id, &err) < 0, 1);
    assert_int_equal(err->kind, BERR_CONFLICT);
    json_t *ids = ctr_ids(eng->root);
    assert_int_equal(json_array_size(ids), 1);
    json_decref(ids);
    /* the events, noted where they happened: create (here), start and die (its monitor) */
    char evpath[128];
    snprintf(evpath, sizeof(evpath), "%s/events.log", eng->runroot);
    _cleanup_free_ char *events = NULL;
    assert_int_equal(fs_read_file(evpath, &events, NULL, &err), 0);
    const char *create = strstr(events, "\"Action\":\"create\"");
    const char *start = strstr(events, "\"Action\":\"start\"");
    const char *die = strstr(events, "\"Action\":\"die\"");
    assert_true(create && start && die && create < start && start < die);
}

/* a run killed while setting its container up (its marker and owner name dead processes):
 * the sweep clears what it made */
static void test_stale_sweep(void **state)
{
    struct ctr_create_opts o = {.image = "busybox", .stop_timeout = CTR_NO_STOP_TIMEOUT};
    char id[65];
    _cleanup_berr_ struct berr *err = NULL;
    assert_int_equal(ctr_create(eng, &o, id, &err), 0);
    char marker[256], owner[256];
    snprintf(marker, sizeof(marker), "%s/containers/.creating/%s", eng->root, id);
    snprintf(owner, sizeof(owner), "%s/containers/%s/owner", eng->root, id);
    _cleanup_berr_ struct berr *e2 = NULL;
    /* a created container has no owner (rm must not wait for a creator that lives on) */
    assert_int_equal(access(owner, F_OK), -1);
    assert_int_equal(fs_write_replace(AT_FDCWD, marker, "999999999 1", 11, 0600, &e2), 0);
    /* its run was killed after the container's owner (a monitor: here this process) took
     * over, and that one lives: only the marker goes */
    char self[64];
    int n = proc_self_owner(self, sizeof(self));
    assert_int_equal(fs_write_replace(AT_FDCWD, owner, self, n, 0600, &e2), 0);
    ctr_reap_stale(eng);
    assert_int_equal(access(marker, F_OK), -1);
    _cleanup_ctr_ struct ctr *c = ctr_open(eng, id, &err);
    assert_non_null(c);
    /* both gone: the container goes */
    assert_int_equal(fs_write_replace(AT_FDCWD, marker, "999999999 1", 11, 0600, &e2), 0);
    assert_int_equal(fs_write_replace(AT_FDCWD, owner, "999999999 1", 11, 0600, &e2), 0);
    ctr_reap_stale(eng);
    assert_null(ctr_open(eng, id, &err));
    assert_int_equal(err->kind, BERR_NOT_FOUND);
    assert_int_equal(access(c->dir, F_OK), -1);
    assert_int_equal(access(marker, F_OK), -1);
}

static void test_create_start_attach_export(void **state)
{
    /* reads its stdin to the end: runs until the client closes it */
    char *cmd[] = {"cat", NULL};
    struct ctr_create_opts o = {
        .image = "busybox", .cmd = cmd, .open_stdin = true, .stop_timeout = CTR_NO_STOP_TIMEOUT};
    char id[65];
    _cleanup_berr_ struct berr *err = NULL;
    assert_int_equal(ctr_create(eng, &o, id, &err), 0);
    {
        _cleanup_ctr_ struct ctr *c = ctr_open(eng, id, &err);
        assert_non_null(c);
        assert_string_equal(ctr_status(c), "created");
        /* not running: no attach */
        assert_true(ctr_attach(eng, id, &err) < 0);
        assert_int_equal(err->kind, BERR_CONFLICT);
        berr_free(err);
        err = NULL;
    }
    /* a stopped container's files, from its image */
    char tarpath[128];
    snprintf(tarpath, sizeof(tarpath), "%s/export.tar", top);
    {
        _cleanup_close_ int tfd = open(tarpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_int_equal(ctr_export(eng, id, tfd, &err), 0);
        char cmdline[256];
        snprintf(cmdline, sizeof(cmdline), "tar -tf %s | grep -qx bin/busybox", tarpath);
        assert_int_equal(system(cmdline), 0);
    }
    struct ctr_start_opts so = {.attach = true, .interactive = true};
    int fd = -1;
    assert_int_equal(ctr_start(eng, id, &so, &fd, &err), 0);
    assert_true(fd >= 0);
    /* started already: docker's 304 */
    assert_true(ctr_start(eng, id, &so, NULL, &err) < 0);
    assert_int_equal(err->kind, BERR_NOT_MODIFIED);
    berr_free(err);
    err = NULL;
    assert_int_equal(ctr_attach_resize(fd, 24, 80), 0); /* no terminal: ignored */
    assert_int_equal(ctr_attach_input(fd, "hello\n", 6), 0);
    assert_int_equal(ctr_attach_input_end(fd), 0);
    char out[256];
    assert_int_equal(drain(fd, out, sizeof(out)), 0);
    close(fd);
    assert_string_equal(out, "hello\n");
    _cleanup_ctr_ struct ctr *c = ctr_open(eng, id, &err);
    assert_non_null(c);
    assert_string_equal(ctr_status(c), "exited");
}

static void test_error_kinds(void **state)
{
    char id[65];
    _cleanup_berr_ struct berr *err = NULL;
    struct ctr_create_opts o = {.image = "nosuchimage", .stop_timeout = CTR_NO_STOP_TIMEOUT};
    assert_true(ctr_create(eng, &o, id, &err) < 0);
    assert_int_equal(err->kind, BERR_NOT_FOUND);
    assert_non_null(strstr(err->msg, "nosuchimage"));
    berr_free(err);
    err = NULL;
    struct ctr_start_opts so = {0};
    assert_true(ctr_start(eng, "nosuch", &so, NULL, &err) < 0);
    assert_int_equal(err->kind, BERR_NOT_FOUND);
    berr_free(err);
    err = NULL;
    assert_true(ctr_attach(eng, "nosuch", &err) < 0);
    assert_int_equal(err->kind, BERR_NOT_FOUND);
    berr_free(err);
    err = NULL;
    assert_true(ctr_export(eng, "nosuch", 1, &err) < 0);
    assert_int_equal(err->kind, BERR_NOT_FOUND);
    berr_free(err);
    err = NULL;
    /* a command that does not exist: docker's 127, and the container gone */
    char *cmd[] = {"nosuchcommand", NULL};
    struct ctr_create_opts bad = {
        .image = "busybox", .cmd = cmd, .stop_timeout = CTR_NO_STOP_TIMEOUT};
    assert_true(ctr_run(eng, &bad, false, id, NULL, &err) < 0);
    assert_int_equal(err->kind, BERR_CMD_NOT_FOUND);
    json_t *ids = ctr_ids(eng->root);
    assert_int_equal(json_array_size(ids), 0);
    json_decref(ids);
}

int main(int argc, char **argv)
{
    /* the monitor's loop, back to "berth" to record an exit */
    const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    if (!strcmp(self, "berth-monitor"))
        return monitor_resume(argc, argv);
    xalloc_setup_jansson();
    if (geteuid() != 0 || access("/bin/busybox", X_OK) != 0) {
        fprintf(stderr, "test-ctr-run: needs root and /bin/busybox: skipped\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_run_wait_logs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_start_attach_export, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_sweep, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

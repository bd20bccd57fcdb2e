/* test-images.c - the engine's image and volume operations driven with no CLI: import, list
 * with filters, tag, inspect, history, remove, save and load, mount, volumes; their error
 * kinds and the events they note */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "layer-fixture.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "engine/images.h"
#include "engine/volumes.h"

struct t {
    char dir[64];
    char tarball[128];
    struct engine *e;
};

static void tb_file(struct archive *a, const char *path, mode_t mode, const char *data)
{
    struct archive_entry *en = archive_entry_new();
    archive_entry_copy_pathname(en, path);
    archive_entry_set_mode(en, mode);
    archive_entry_set_mtime(en, 1000000000, 0);
    archive_entry_set_size(en, data ? strlen(data) : 0);
    assert_int_equal(archive_write_header(a, en), ARCHIVE_OK);
    if (data)
        assert_int_equal(archive_write_data(a, data, strlen(data)), (ssize_t)strlen(data));
    archive_entry_free(en);
}

static int setup(void **state)
{
    xalloc_setup_jansson();
    struct t *t = xcalloc(1, sizeof(*t));
    snprintf(t->dir, sizeof(t->dir), "/tmp/berth-unit-images.XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    /* a root file system of two files */
    snprintf(t->tarball, sizeof(t->tarball), "%s/rootfs.tar", t->dir);
    int fd = open(t->tarball, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    struct archive *a = tb_new(fd, GZIP);
    tb_file(a, "etc", AE_IFDIR | 0755, NULL);
    tb_file(a, "etc/hostname", AE_IFREG | 0644, "box\n");
    tb_file(a, "hello", AE_IFREG | 0755, "#!/bin/sh\necho hi\n");
    tb_close(a);
    close(fd);
    /* a configuration that does not exist is the defaults, whatever the host has */
    _cleanup_free_ char *root = xasprintf("%s/root", t->dir), *run = xasprintf("%s/run", t->dir),
                        *conf = xasprintf("%s/berth.json", t->dir);
    int cfd = open(conf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(cfd >= 0);
    assert_int_equal(write(cfd, "{}", 2), 2);
    close(cfd);
    struct berr *err = NULL;
    t->e = engine_new(root, run, conf, &err);
    assert_non_null(t->e);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct t *t = *state;
    engine_free(t->e);
    fs_rm_rf(t->dir);
    free(t);
    return 0;
}

/* the call failed with an error of this kind */
#define assert_kind(call, k)                                                                       \
    do {                                                                                           \
        struct berr *e_ = NULL;                                                                    \
        assert_true((call) < 0);                                                                   \
        assert_non_null(e_);                                                                       \
        assert_int_equal(e_->kind, (k));                                                           \
        berr_free(e_);                                                                             \
    } while (0)
#define ERR (&e_)

static void import(struct t *t, const char *ref, char id[72])
{
    const char *changes[] = {"CMD [\"/hello\"]", "LABEL tier=web", NULL};
    struct img_import_opts o = {
        .changes = changes, .message = "first", .reference = ref, .source = t->tarball};
    struct berr *err = NULL;
    int r = img_import(t->e, -1, &o, id, &err);
    if (r < 0)
        fail_msg("import: %s", err->msg);
    assert_int_equal(strncmp(id, "sha256:", 7), 0);
}

static json_t *list(struct t *t, const char *json_filters)
{
    json_t *f = json_filters ? json_loads(json_filters, 0, NULL) : NULL;
    struct img_list_opts o = {.filters = f};
    struct berr *err = NULL;
    json_t *l = img_list(t->e, &o, &err);
    json_decref(f);
    assert_non_null(l);
    return l;
}

static size_t list_n(struct t *t, const char *json_filters)
{
    json_t *l = list(t, json_filters);
    size_t n = json_array_size(l);
    json_decref(l);
    return n;
}

static void test_import(void **state)
{
    struct t *t = *state;
    char id[72];
    const char *bad[] = {"ONBUILD RUN x", NULL};
    struct img_import_opts o = {.changes = bad, .source = t->tarball};
    assert_kind(img_import(t->e, -1, &o, id, ERR), BERR_INVALID);
    o = (struct img_import_opts){.source = "http://example.com/rootfs.tar"};
    assert_kind(img_import(t->e, -1, &o, id, ERR), BERR_UNSUPPORTED);
    o = (struct img_import_opts){.source = t->tarball, .reference = "Bad:Name"};
    assert_kind(img_import(t->e, -1, &o, id, ERR), BERR_INVALID);
    o = (struct img_import_opts){.source = "/nonexistent/rootfs.tar"};
    assert_kind(img_import(t->e, -1, &o, id, ERR), BERR_NOT_FOUND);
    /* an empty tarball from an fd */
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    o = (struct img_import_opts){.source = "-"};
    assert_kind(img_import(t->e, fd, &o, id, ERR), BERR_INVALID);
    close(fd);
    /* nothing of them is left */
    assert_int_equal(list_n(t, NULL), 0);

    import(t, "app:1", id);
    json_t *l = list(t, NULL);
    assert_int_equal(json_array_size(l), 1);
    json_t *s = json_array_get(l, 0);
    assert_string_equal(json_string_value(json_object_get(s, "Id")), id);
    assert_string_equal(json_string_value(json_array_get(json_object_get(s, "RepoTags"), 0)),
                        "app:1");
    assert_true(json_integer_value(json_object_get(s, "Created")) > 1700000000);
    assert_true(json_integer_value(json_object_get(s, "Size")) > 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(s, "Labels"), "tier")),
                        "web");
    assert_int_equal(
        strncmp(json_string_value(json_object_get(json_object_get(s, "Descriptor"), "digest")),
                "sha256:", 7),
        0);
    json_decref(l);

    json_t *in = NULL;
    struct berr *err = NULL;
    assert_non_null(in = img_inspect(t->e, "app:1", &err));
    assert_string_equal(json_string_value(json_object_get(in, "Id")), id);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(json_object_get(in, "Config"), "Cmd"), 0)),
        "/hello");
    json_decref(in);
    assert_kind(img_inspect(t->e, "nosuch", ERR) ? 0 : -1, BERR_NOT_FOUND);

    json_t *h = img_history(t->e, id + 7, &err);
    assert_non_null(h);
    assert_int_equal(json_array_size(h), 1);
    json_t *h0 = json_array_get(h, 0);
    assert_string_equal(json_string_value(json_object_get(h0, "Id")), id);
    assert_string_equal(json_string_value(json_object_get(h0, "Comment")), "first");
    assert_non_null(strstr(json_string_value(json_object_get(h0, "CreatedBy")), "berth import"));
    assert_true(json_integer_value(json_object_get(h0, "Size")) > 0);
    json_decref(h);
    assert_kind(img_history(t->e, "nosuch", ERR) ? 0 : -1, BERR_NOT_FOUND);
}

static void test_list_filters(void **state)
{
    struct t *t = *state;
    char a[72], b[72];
    import(t, "web/app:1", a);
    usleep(1100 * 1000); /* created times a second apart: before= and since= tell them apart */
    /* the same tarball, other changes: another image, with no name */
    const char *changes[] = {"CMD [\"true\"]", NULL};
    struct img_import_opts o = {.changes = changes, .source = t->tarball};
    struct berr *err = NULL;
    assert_int_equal(img_import(t->e, -1, &o, b, &err), 0);
    assert_string_not_equal(a, b);
    assert_int_equal(img_tag(t->e, a, "other:2", &err), 0);

    /* newest first */
    json_t *l = list(t, NULL);
    assert_int_equal(json_array_size(l), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(l, 0), "Id")), b);
    assert_int_equal(json_array_size(json_object_get(json_array_get(l, 0), "RepoTags")), 0);
    assert_int_equal(json_array_size(json_object_get(json_array_get(l, 1), "RepoTags")), 2);
    json_decref(l);

    assert_int_equal(list_n(t, "{\"dangling\": [\"true\"]}"), 1);
    assert_int_equal(list_n(t, "{\"dangling\": [\"false\"]}"), 1);
    assert_int_equal(list_n(t, "{\"label\": [\"tier=web\"]}"), 1);
    assert_int_equal(list_n(t, "{\"label\": [\"tier=db\"]}"), 0);
    assert_int_equal(list_n(t, "{\"before\": [\"other:2\"]}"), 0);
    assert_int_equal(list_n(t, "{\"since\": [\"other:2\"]}"), 1);
    /* a reference keeps only the names it matches; '*' stops at '/' */
    l = list(t, "{\"reference\": [\"web/*\"]}");
    assert_int_equal(json_array_size(l), 1);
    json_t *tags = json_object_get(json_array_get(l, 0), "RepoTags");
    assert_int_equal(json_array_size(tags), 1);
    assert_string_equal(json_string_value(json_array_get(tags, 0)), "web/app:1");
    json_decref(l);
    assert_int_equal(list_n(t, "{\"reference\": [\"*\"]}"), 1);
    assert_int_equal(list_n(t, "{\"reference\": [\"other:*\"]}"), 1);

    json_t *f = json_loads("{\"bogus\": [\"1\"]}", 0, NULL);
    struct img_list_opts lo = {.filters = f};
    assert_kind(img_list(t->e, &lo, ERR) ? 0 : -1, BERR_INVALID);
    json_decref(f);
    f = json_loads("{\"before\": [\"nosuch\"]}", 0, NULL);
    lo.filters = f;
    assert_kind(img_list(t->e, &lo, ERR) ? 0 : -1, BERR_NOT_FOUND);
    json_decref(f);
    assert_kind(img_check_filter("dangling", "maybe", ERR), BERR_INVALID);
    assert_int_equal(img_check_filter("label", "a=b", &err), 0);
}

/* events_read's callback: every event into the array data */
static int collect(json_t *ev, void *data)
{
    json_array_append(data, ev);
    return 0;
}

static const char *entry(json_t *out, size_t i, const char *key)
{
    return json_string_value(json_object_get(json_array_get(out, i), key));
}

static void test_tag_remove(void **state)
{
    struct t *t = *state;
    char id[72];
    struct berr *err = NULL;
    import(t, "one", id);
    assert_kind(img_tag(t->e, "nosuch", "x:1", ERR), BERR_NOT_FOUND);
    assert_kind(img_tag(t->e, "one", "Bad:Name", ERR), BERR_INVALID);
    assert_int_equal(img_tag(t->e, "one", "two:x", &err), 0);

    struct img_remove_opts o = {0};
    json_t *out = json_array();
    assert_kind(img_remove(t->e, "nosuch", &o, out, ERR), BERR_NOT_FOUND);
    /* by ID with names in two repositories: only with force */
    assert_kind(img_remove(t->e, id + 7, &o, out, ERR), BERR_CONFLICT);
    assert_int_equal(json_array_size(out), 0);
    o.no_prune = true;
    assert_kind(img_remove(t->e, "two:x", &o, out, ERR), BERR_UNSUPPORTED);
    o.no_prune = false;
    /* by name: that name goes, the image stays with its other */
    assert_int_equal(img_remove(t->e, "two:x", &o, out, &err), 0);
    assert_int_equal(json_array_size(out), 1);
    assert_string_equal(entry(out, 0, "Untagged"), "two:x");
    /* its last name: the image goes too */
    assert_int_equal(img_remove(t->e, "one", &o, out, &err), 0);
    assert_int_equal(json_array_size(out), 3);
    assert_string_equal(entry(out, 1, "Untagged"), "one:latest");
    assert_string_equal(entry(out, 2, "Deleted"), id);
    json_decref(out);
    assert_int_equal(list_n(t, NULL), 0);

    /* the events, in order */
    const char *want[] = {"import", "tag", "untag", "untag", "delete"};
    struct events_query q = {.since_ns = 1, .stop_fd = -1};
    json_t *seen = json_array();
    assert_int_equal(events_read(t->e->runroot, &q, collect, seen, &err), 0);
    assert_int_equal(json_array_size(seen), ARRAY_SIZE(want));
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        json_t *ev = json_array_get(seen, i);
        assert_string_equal(json_string_value(json_object_get(ev, "Type")), "image");
        assert_string_equal(json_string_value(json_object_get(ev, "Action")), want[i]);
        assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "Actor"), "ID")),
                            id);
    }
    json_decref(seen);
}

static void test_save_load(void **state)
{
    struct t *t = *state;
    char id[72];
    struct berr *err = NULL;
    import(t, "me/app:1", id);
    _cleanup_free_ char *path = xasprintf("%s/saved.tar", t->dir);
    struct img_save_opts so = {.path = path};
    assert_kind(img_archive_format("zip", &so.format, ERR), BERR_INVALID);
    assert_int_equal(img_archive_format("docker-archive", &so.format, &err), 0);
    const char *what[] = {"me/app:1", "nosuch"};
    assert_kind(img_save(t->e, what, 0, &so, -1, ERR), BERR_INVALID);
    assert_kind(img_save(t->e, what, 2, &so, -1, ERR), BERR_NOT_FOUND);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(img_save(t->e, what, 1, &so, -1, &err), 0);

    struct img_remove_opts ro = {0};
    json_t *out = json_array();
    assert_int_equal(img_remove(t->e, "me/app:1", &ro, out, &err), 0);
    json_decref(out);
    assert_int_equal(list_n(t, NULL), 0);

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    json_t *loaded = img_load(t->e, fd, &err);
    close(fd);
    assert_non_null(loaded);
    assert_int_equal(json_array_size(loaded), 1);
    json_t *l0 = json_array_get(loaded, 0);
    assert_string_equal(json_string_value(json_object_get(l0, "id")), id);
    assert_string_equal(json_string_value(json_array_get(json_object_get(l0, "RepoTags"), 0)),
                        "me/app:1");
    json_decref(loaded);
    assert_int_equal(list_n(t, "{\"reference\": [\"me/app\"]}"), 1);

    /* not an archive */
    fd = open(t->tarball, O_RDONLY | O_CLOEXEC);
    assert_null(img_load(t->e, fd, &err));
    assert_non_null(err);
    berr_free(err);
    close(fd);
}

static void test_mount(void **state)
{
    struct t *t = *state;
    if (geteuid() != 0) {
        skip();
        return;
    }
    char id[72], id2[72];
    struct berr *err = NULL;
    import(t, "m:1", id);
    assert_kind(img_unmount(t->e, "m:1", id2, ERR), BERR_NOT_MODIFIED);
    assert_kind(img_mount(t->e, "nosuch", ERR) ? 0 : -1, BERR_NOT_FOUND);
    _cleanup_free_ char *path = img_mount(t->e, "m:1", &err);
    if (!path) {
        /* overlayfs may be unavailable here (a container without it) */
        berr_free(err);
        skip();
        return;
    }
    _cleanup_free_ char *hostname = xasprintf("%s/etc/hostname", path);
    assert_int_equal(access(hostname, F_OK), 0);
    /* mounted again: the same path */
    _cleanup_free_ char *again = img_mount(t->e, id, &err);
    assert_non_null(again);
    assert_string_equal(again, path);
    struct img_remove_opts ro = {0};
    json_t *out = json_array();
    assert_kind(img_remove(t->e, "m:1", &ro, out, ERR), BERR_CONFLICT);
    assert_int_equal(json_array_size(out), 0);
    json_decref(out);
    assert_int_equal(img_unmount(t->e, "m:1", id2, &err), 0);
    assert_string_equal(id, id2);
    assert_int_equal(access(path, F_OK), -1);
}

static void test_volumes(void **state)
{
    struct t *t = *state;
    struct berr *err = NULL;
    json_t *v = vol_create(t->e, "data", &err);
    assert_non_null(v);
    assert_string_equal(json_string_value(json_object_get(v, "Name")), "data");
    json_decref(v);
    assert_kind(vol_create(t->e, "-bad", ERR) ? 0 : -1, BERR_INVALID);
    json_t *anon = vol_create(t->e, NULL, &err);
    assert_non_null(anon);
    assert_kind(vol_destroy(t->e, "nosuch", false, ERR), BERR_NOT_FOUND);
    assert_int_equal(vol_destroy(t->e, "nosuch", true, &err), 0);
    /* prune: the anonymous one only */
    json_t *p = vol_prune(t->e, &err);
    assert_non_null(p);
    json_t *del = json_object_get(p, "VolumesDeleted");
    assert_int_equal(json_array_size(del), 1);
    assert_string_equal(json_string_value(json_array_get(del, 0)),
                        json_string_value(json_object_get(anon, "Name")));
    json_decref(p);
    json_decref(anon);
    assert_int_equal(vol_destroy(t->e, "data", false, &err), 0);
    json_t *left = vol_list(t->e->root);
    assert_int_equal(json_array_size(left), 0);
    json_decref(left);

    /* create, create, destroy (of nothing, forced), destroy (prune), destroy */
    const char *want[] = {"create", "create", "destroy", "destroy", "destroy"};
    json_t *f = json_pack("{s:[s]}", "type", "volume");
    struct events_query q = {.since_ns = 1, .filters = f, .stop_fd = -1};
    json_t *seen = json_array();
    assert_int_equal(events_read(t->e->runroot, &q, collect, seen, &err), 0);
    assert_int_equal(json_array_size(seen), ARRAY_SIZE(want));
    for (size_t i = 0; i < ARRAY_SIZE(want); i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(seen, i), "Action")),
                            want[i]);
    json_decref(seen);
    json_decref(f);
}

/* pull for run: names, presence, and berth-registry's errors coming back with their kinds
 * (a registry where nothing listens: nothing leaves the machine) */
static void test_pull(void **state)
{
    struct t *t = *state;
    struct berr *err = NULL;
    char *n = img_pull_name("busybox", &err);
    assert_string_equal(n, "busybox:latest");
    free(n);
    n = img_pull_name("127.0.0.1:5000/a/b:v1", &err);
    assert_string_equal(n, "127.0.0.1:5000/a/b:v1");
    free(n);
    assert_null(img_pull_name("Bad:Name", &err));
    assert_int_equal(err->kind, BERR_INVALID);
    berr_free(err);
    err = NULL;

    char id[72];
    import(t, "box:1", id);
    assert_true(img_exists(t->e, "box:1"));
    assert_true(img_exists(t->e, id + 7));
    assert_false(img_exists(t->e, "box:2"));

    assert_kind(img_pull(t->e, "Bad:Name", NULL, 1, ERR), BERR_INVALID);
    setenv("BERTH_DEFAULT_REGISTRY", "127.0.0.1:1", 1);
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    assert_true(null >= 0);
    assert_int_equal(img_pull(t->e, "nosuch", NULL, null, &err), -EIO);
    assert_int_equal(err->kind, BERR_INTERNAL);
    assert_true(strncmp(err->msg,
                        "pull nosuch: GET http://127.0.0.1:1/v2/library/nosuch/manifests/latest: ",
                        71) == 0);
    assert_non_null(strstr(err->msg, "Couldn't connect to server"));
    berr_free(err);
    err = NULL;
    /* a bad --platform is the client's to refuse, in its words */
    struct img_pull_opts po = {.platform = "linux"};
    assert_kind(img_pull(t->e, "nosuch", &po, null, ERR), BERR_INTERNAL);
    close(null);
    assert_false(img_exists(t->e, "nosuch"));

    /* beside the binary, else by name */
    char *p = engine_helper_path("/nonexistent/dir/berth", "berth-registry");
    assert_string_equal(p, "berth-registry");
    free(p);
    p = engine_helper_path("/bin/sh", "sh");
    assert_string_equal(p, "/bin/sh");
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_import, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tag_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mount, setup, teardown),
        cmocka_unit_test_setup_teardown(test_volumes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

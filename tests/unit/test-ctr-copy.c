/* test-ctr-copy.c - the engine's archive API with no CLI: a path's stat, a tar of a path out
 * of a stopped container, a tar unpacked in it, and docker cp's planning; symlinks of the
 * container resolving inside it; the error kinds. The container is a record under a
 * temporary root whose image is a tar of a directory imported into the store there; the
 * engine's helper mounts it as it mounts any stopped container (run as root). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/cleanup.h"
#include "base/fs.h"
#include "engine/containers.h"
#include "engine/ctr-copy.h"
#include "engine/engine.h"
#include "engine/images.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define RO_ID "1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char top[64];

static void put(const char *rel, const char *content)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", top, rel);
    char parent[512];
    snprintf(parent, sizeof(parent), "%s", p);
    *strrchr(parent, '/') = 0;
    assert_int_equal(fs_mkdir_p(parent, 0755), 0);
    if (!content) {
        assert_int_equal(fs_mkdir_p(p, 0755), 0);
        return;
    }
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(content, f);
    assert_int_equal(fclose(f), 0);
}

static void link_(const char *target, const char *rel)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", top, rel);
    assert_int_equal(symlink(target, p), 0);
}

static char *slurp(const char *rel)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", top, rel);
    char *s = NULL;
    _cleanup_berr_ struct berr *err = NULL;
    if (fs_read_file(p, &s, NULL, &err) < 0)
        return NULL;
    return s;
}

static bool exists(const char *rel)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof(p), "%s/%s", top, rel);
    return lstat(p, &st) == 0;
}

/* the image every test container has: <top>/lower as a tar, imported into the store */
static void image(struct engine *e, char ret_id[72])
{
    char lower[128], tar[128];
    snprintf(lower, sizeof(lower), "%s/lower", top);
    snprintf(tar, sizeof(tar), "%s/lower.tar", top);
    _cleanup_close_ int hostroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int fd = open(tar, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    assert_true(hostroot >= 0 && fd >= 0);
    _cleanup_berr_ struct berr *err = NULL;
    assert_int_equal(copy_tar(hostroot, lower, ".", fd, NULL, &err), 0);
    struct img_import_opts o = {.source = tar};
    assert_int_equal(img_import(e, -1, &o, ret_id, &err), 0);
}

/* a stopped container of that image: a record, a name, the image's ID, an upper dir */
static void container(const char *id, const char *name, bool ro, const char *image_id)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "root/containers/%s/container.json", id);
    char rec[512];
    snprintf(rec, sizeof(rec),
             "{\"Id\":\"%s\",\"Name\":\"/%s\",\"Mounts\":[],"
             "\"HostConfig\":{\"ReadonlyRootfs\":%s}}",
             id, name, ro ? "true" : "false");
    put(rel, rec);
    snprintf(rel, sizeof(rel), "root/containers/%s/image", id);
    put(rel, image_id);
    const char *dirs[] = {"upper", "work", "rootfs"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(rel, sizeof(rel), "root/containers/%s/%s", id, dirs[i]);
        put(rel, NULL);
    }
    char root[128];
    snprintf(root, sizeof(root), "%s/root", top);
    _cleanup_berr_ struct berr *err = NULL;
    assert_int_equal(ctr_name_claim(root, name, id, &err), 0);
}

static int setup(void **state)
{
    snprintf(top, sizeof(top), "/tmp/berth-ctr-copy-XXXXXX");
    assert_non_null(mkdtemp(top));
    put("lower/f", "hello\n");
    put("lower/d/sub/deep", "deep\n");
    put("lower/d/top", "top\n");
    link_("/f", "lower/flink");
    link_("../../../../../..", "lower/up");
    /* the host's path of the canary, which inside the container names nothing */
    char host[128];
    snprintf(host, sizeof(host), "%s/canary", top);
    link_(host, "lower/hostlink");
    put("canary/secret", "canary\n");
    put("run", NULL);
    put("host", NULL);
    put("config.json", "{}");
    put("root", NULL);
    char root[128], run[128], cfg[128];
    snprintf(root, sizeof(root), "%s/root", top);
    snprintf(run, sizeof(run), "%s/run", top);
    snprintf(cfg, sizeof(cfg), "%s/config.json", top);
    _cleanup_berr_ struct berr *err = NULL;
    struct engine *e = engine_new(root, run, cfg, &err);
    assert_non_null(e);
    char image_id[72];
    image(e, image_id);
    container(ID, "ct", false, image_id);
    container(RO_ID, "ro", true, image_id);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    engine_free(*state);
    /* nothing of the container's was ever mounted here */
    char p[512];
    snprintf(p, sizeof(p), "%s/root/containers/%s/rootfs/f", top, ID);
    assert_int_equal(access(p, F_OK), -1);
    char *s = slurp("canary/secret");
    assert_string_equal(s, "canary\n");
    free(s);
    assert_false(exists("canary/new"));
    fs_rm_rf(top);
    return 0;
}

static void fails(struct berr *err, enum berr_kind kind, const char *msg)
{
    assert_non_null(err);
    if (err->kind != kind || (msg && strcmp(err->msg, msg)))
        fail_msg("error %d \"%s\", want %d \"%s\"", err->kind, err->msg, kind, msg ? msg : "");
}

/* --- paths and planning: no container -------------------------------------------------- */

static void test_paths(void **state)
{
    (void)state;
    struct copy_path p;
    copy_path_parse("/a//b/../c/", NULL, "ct", &p);
    assert_string_equal(p.path, "/a/c");
    assert_string_equal(p.base, "c");
    assert_true(p.slash);
    assert_string_equal(p.shown, "ct:/a//b/../c/");
    copy_path_clear(&p);
    copy_path_parse("d/.", "/home/u", NULL, &p);
    assert_string_equal(p.path, "/home/u/d");
    assert_string_equal(p.base, ".");
    assert_true(p.slash);
    assert_string_equal(p.shown, "d/.");
    copy_path_clear(&p);
    copy_path_parse("../../../x", NULL, "ct", &p);
    assert_string_equal(p.path, "/x");
    assert_false(p.slash);
    copy_path_clear(&p);

    /* docker's PrepareArchiveCopy */
    _cleanup_berr_ struct berr *err = NULL;
    struct copy_dst file = {.canon = "/f", .exists = true};
    struct copy_dst dir = {.canon = "/d", .exists = true, .isdir = true};
    struct copy_dst none = {.canon = "/n/new"};
    assert_int_equal(copy_plan_check(false, &file, "x", &err), 0);
    assert_true(copy_plan_check(true, &file, "x", &err) < 0);
    fails(err, BERR_CONFLICT, "cannot copy a directory to the file x");
    berr_free(TAKE_PTR(err));
    none.slash = true;
    assert_true(copy_plan_check(false, &none, "x/", &err) < 0);
    fails(err, BERR_NOT_FOUND, "x/: no such directory");
    berr_free(TAKE_PTR(err));
    char *d = NULL, *n = NULL;
    copy_plan_dir(&dir, "src", &d, &n);
    assert_string_equal(d, "/d");
    assert_string_equal(n, "src");
    free(d);
    free(n);
    copy_plan_dir(&none, "src", &d, &n);
    assert_string_equal(d, "/n");
    assert_string_equal(n, "new");
    free(d);
    free(n);
}

/* --- HEAD: stat ---------------------------------------------------------------------------- */

static void test_stat(void **state)
{
    struct engine *e = *state;
    _cleanup_berr_ struct berr *err = NULL;
    struct ctr_path_stat st;
    assert_int_equal(ctr_copy_stat(e, "ct", "/f", &st, &err), 0);
    assert_string_equal(st.name, "f");
    assert_int_equal(st.size, 6);
    assert_true(S_ISREG(st.mode));
    assert_null(st.link_target);
    ctr_path_stat_clear(&st);

    /* a symlink is the link; its target resolves inside the container, ".." stopping at "/" */
    assert_int_equal(ctr_copy_stat(e, ID, "flink", &st, &err), 0);
    assert_true(S_ISLNK(st.mode));
    assert_string_equal(st.link_target, "/f");
    json_t *j = ctr_path_stat_json(&st);
    assert_string_equal(json_string_value(json_object_get(j, "name")), "flink");
    assert_int_equal(json_integer_value(json_object_get(j, "mode")) & (1 << 27), 1 << 27);
    assert_string_equal(json_string_value(json_object_get(j, "linkTarget")), "/f");
    assert_non_null(strchr(json_string_value(json_object_get(j, "mtime")), 'T'));
    json_decref(j);
    ctr_path_stat_clear(&st);
    assert_int_equal(ctr_copy_stat(e, "ct", "/up", &st, &err), 0);
    assert_string_equal(st.link_target, "/");
    ctr_path_stat_clear(&st);
    /* through it, "/" of the container */
    assert_int_equal(ctr_copy_stat(e, "ct", "/up/d/", &st, &err), 0);
    assert_true(S_ISDIR(st.mode));
    j = ctr_path_stat_json(&st);
    assert_true(json_integer_value(json_object_get(j, "mode")) & (1u << 31));
    json_decref(j);
    ctr_path_stat_clear(&st);

    /* missing: the container, the path, the host's path through a symlink */
    assert_true(ctr_copy_stat(e, "nosuch", "/f", &st, &err) < 0);
    fails(err, BERR_NOT_FOUND, "no such container: nosuch");
    berr_free(TAKE_PTR(err));
    assert_true(ctr_copy_stat(e, "ct", "/nope", &st, &err) < 0);
    fails(err, BERR_NOT_FOUND, "could not find the file /nope in container ct");
    berr_free(TAKE_PTR(err));
    assert_true(ctr_copy_stat(e, "ct", "/hostlink/secret", &st, &err) < 0);
    fails(err, BERR_NOT_FOUND, NULL);
    berr_free(TAKE_PTR(err));
    assert_true(ctr_copy_stat(e, "ct", "/f/", &st, &err) < 0);
    assert_non_null(err);
}

/* --- GET: out --------------------------------------------------------------------------- */

/* copies path out of ct into <top>/host as cp does (dst: the destination's name there) */
static int get(struct engine *e, const char *path, bool follow, const char *dst, bool abort,
               struct berr **err)
{
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    struct ctr_copy_out_opts o = {.path = path, .follow = follow, .peer_fd = p[0]};
    struct ctr_path_stat st;
    struct ctr_copy *cp = ctr_copy_out(e, "ct", &o, p[1], &st, err);
    close(p[1]);
    if (!cp) {
        close(p[0]);
        return -1;
    }
    char host[128];
    snprintf(host, sizeof(host), "%s/host", top);
    _cleanup_close_ int dfd = open(host, O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct copy_untar_opts uo = {.top = st.name, .rename = dst};
    uint64_t size = 0;
    if (!abort)
        assert_int_equal(copy_untar_host(p[0], dfd, &uo, &size, NULL, err), 0);
    close(p[0]);
    ctr_path_stat_clear(&st);
    return ctr_copy_finish(cp, abort, err);
}

static void test_out(void **state)
{
    struct engine *e = *state;
    _cleanup_berr_ struct berr *err = NULL;
    assert_int_equal(get(e, "/d", false, NULL, false, &err), 0);
    char *s = slurp("host/d/sub/deep");
    assert_string_equal(s, "deep\n");
    free(s);
    assert_int_equal(get(e, "/d/.", false, "dd", false, &err), 0);
    s = slurp("host/dd/top");
    assert_string_equal(s, "top\n");
    free(s);
    /* a symlink as itself, or followed with -L */
    assert_int_equal(get(e, "/flink", false, NULL, false, &err), 0);
    struct stat st;
    char p[512];
    snprintf(p, sizeof(p), "%s/host/flink", top);
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(get(e, "/flink", true, "followed", false, &err), 0);
    s = slurp("host/followed");
    assert_string_equal(s, "hello\n");
    free(s);
    /* through symlinks that climb: still the container's own files */
    assert_int_equal(get(e, "/up/up/f", false, "viaup", false, &err), 0);
    s = slurp("host/viaup");
    assert_string_equal(s, "hello\n");
    free(s);
    assert_true(get(e, "/hostlink/secret", false, NULL, false, &err) < 0);
    fails(err, BERR_NOT_FOUND, "could not find the file /hostlink/secret in container ct");
    berr_free(TAKE_PTR(err));
    assert_true(get(e, "/nope", false, NULL, false, &err) < 0);
    fails(err, BERR_NOT_FOUND, "could not find the file /nope in container ct");
    berr_free(TAKE_PTR(err));
    /* the caller gives up: the helper is stopped, and that is no error of its own */
    assert_int_equal(get(e, "/d", false, "aborted", true, &err), 0);
    assert_null(err);
    struct ctr_path_stat ps;
    struct ctr_copy_out_opts o = {.path = "/f", .peer_fd = -1};
    assert_null(ctr_copy_out(e, "nosuch", &o, 1, &ps, &err));
    fails(err, BERR_NOT_FOUND, "no such container: nosuch");
}

/* --- PUT: in ---------------------------------------------------------------------------- */

/* writes <top>/<src> as a tar into container ref at path, planned as cp plans (src_base) or
 * into a directory as docker's PUT (plan false) */
static int put_in(struct engine *e, const char *ref, const char *src, const char *path, bool plan,
                  struct berr **err)
{
    struct copy_path sp;
    char full[512];
    snprintf(full, sizeof(full), "%s/%s", top, src);
    copy_path_parse(full, NULL, NULL, &sp);
    _cleanup_close_ int hostroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct copy_src s;
    assert_int_equal(copy_resolve_src(hostroot, &sp, false, &s, err), 0);
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    struct ctr_copy_in_opts o = {.path = path,
                                 .src_base = plan ? sp.base : NULL,
                                 .src_isdir = S_ISDIR(s.st.st_mode),
                                 .peer_fd = p[1]};
    struct ctr_copy *cp = ctr_copy_in(e, ref, &o, p[0], err);
    close(p[0]);
    int r = -1;
    if (cp) {
        assert_int_equal(copy_tar(hostroot, s.canon, sp.base, p[1], NULL, err), 0);
        close(p[1]);
        r = ctr_copy_finish(cp, false, err);
    } else {
        close(p[1]);
    }
    free(s.canon);
    copy_path_clear(&sp);
    return r;
}

static void test_in(void **state)
{
    struct engine *e = *state;
    _cleanup_berr_ struct berr *err = NULL;
    put("src/one", "one\n");
    put("src/tree/leaf", "leaf\n");
    char up[128];
    snprintf(up, sizeof(up), "root/containers/%s/upper", ID);
    char rel[256];
#define UPPER(x) (snprintf(rel, sizeof(rel), "%s/%s", up, x), rel)
    assert_int_equal(put_in(e, "ct", "src/one", "/new", true, &err), 0);
    char *s = slurp(UPPER("new"));
    assert_string_equal(s, "one\n");
    free(s);
    assert_int_equal(put_in(e, "ct", "src/tree", "/d", true, &err), 0);
    assert_true(exists(UPPER("d/tree/leaf")));
    /* docker's PUT: the tar unpacked in the directory */
    assert_int_equal(put_in(e, "ct", "src/one", "/d/sub", false, &err), 0);
    assert_true(exists(UPPER("d/sub/one")));
    /* a symlink of the container that climbs, and one to a host path: inside the container */
    assert_int_equal(put_in(e, "ct", "src/one", "/up/", true, &err), 0);
    assert_true(exists(UPPER("one")));
    assert_true(put_in(e, "ct", "src/one", "/hostlink/new", true, &err) < 0);
    fails(err, BERR_NOT_FOUND, NULL);
    berr_free(TAKE_PTR(err));
    assert_false(exists("canary/new"));

    /* docker's errors */
    assert_true(put_in(e, "ct", "src/one", "/nodir/x", true, &err) < 0);
    fails(err, BERR_NOT_FOUND, "could not find the file /nodir in container ct");
    berr_free(TAKE_PTR(err));
    assert_true(put_in(e, "ct", "src/tree", "/f", true, &err) < 0);
    fails(err, BERR_CONFLICT, "cannot copy a directory to the file ct:/f");
    berr_free(TAKE_PTR(err));
    assert_true(put_in(e, "ct", "src/one", "/f", false, &err) < 0);
    fails(err, BERR_INVALID, "destination \"ct:/f\" must be a directory");
    berr_free(TAKE_PTR(err));
    assert_true(put_in(e, "ro", "src/one", "/new", true, &err) < 0);
    fails(err, BERR_INVALID, "container rootfs is marked read-only");
    berr_free(TAKE_PTR(err));
    assert_true(put_in(e, "nosuch", "src/one", "/new", true, &err) < 0);
    fails(err, BERR_NOT_FOUND, "no such container: nosuch");
#undef UPPER
}

int main(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "test-ctr-copy: needs root (it mounts overlays)\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),
        cmocka_unit_test_setup_teardown(test_stat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

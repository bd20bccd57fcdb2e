/* test-registry-store.c - the registry server's storage: names, tags and digests checked
 * before they become paths; uploads verified, invisible until committed; manifests refused
 * when their blobs are missing; tags, catalog, referrers, gc */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/cleanup.h"
#include "base/digest.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include "registry/regstore.h"

static void test_names(void **state)
{
    const char *good[] = {"a", "library/busybox", "a.b/c_d/e__f/g--h", "0/1/2", "x-y.z", "a---b"};
    const char *bad[] = {"",     "A",   "a/",    "/a",         "a//b",      "..",   "a/../b",
                         "a/..", ".a",  "a.",    "a_",         "a___b",     "a..b", "a/B",
                         "a b",  "a:b", "a%2fb", "_manifests", "a/_layers", "a\\b"};
    for (size_t i = 0; i < ARRAY_SIZE(good); i++)
        assert_true(regstore_name_valid(good[i]));
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        if (regstore_name_valid(bad[i]))
            fail_msg("name %s accepted", bad[i]);
    }
    char longname[300];
    memset(longname, 'a', 256);
    longname[256] = '\0';
    assert_false(regstore_name_valid(longname));
    longname[255] = '\0';
    assert_true(regstore_name_valid(longname));
}

static void test_tags_digests(void **state)
{
    assert_true(regstore_tag_valid("latest"));
    assert_true(regstore_tag_valid("_x.Y-1"));
    assert_false(regstore_tag_valid(".x"));
    assert_false(regstore_tag_valid("-x"));
    assert_false(regstore_tag_valid("a/b"));
    assert_false(regstore_tag_valid(""));
    char t[200];
    memset(t, 'a', 129);
    t[129] = '\0';
    assert_false(regstore_tag_valid(t));
    const char *ok = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    assert_true(regstore_digest_valid(ok));
    assert_false(regstore_digest_valid(
        "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
    assert_false(regstore_digest_valid("sha256:e3b0"));
    assert_false(regstore_digest_valid(
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555"));
    assert_false(regstore_digest_valid(
        "sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    assert_false(regstore_digest_valid(
        "sha256:../../../../../../../../../../../../../../../../../../../etc/passwd"));
    assert_false(regstore_digest_valid(NULL));
    assert_true(regstore_upload_id_valid("0123456789abcdef0123456789abcdef"));
    assert_false(regstore_upload_id_valid("../../0123456789abcdef0123456789"));
}

struct fix {
    char dir[64];
    struct regstore *s;
};

static int setup(void **state)
{
    struct fix *f = xcalloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/test-regstore.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    _cleanup_berr_ struct berr *e = NULL;
    assert_int_equal(regstore_open(f->dir, &f->s, &e), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    regstore_free(f->s);
    fs_rm_rf(f->dir);
    free(f);
    return 0;
}

static void digest_of(const char *data, size_t len, char out[REGSTORE_DIGEST_LEN + 1])
{
    uint8_t raw[32];
    char hex[65];
    sha256(data, len, raw);
    sha256_hex(raw, hex);
    snprintf(out, REGSTORE_DIGEST_LEN + 1, "sha256:%s", hex);
}

/* uploads data as a blob of name through a session, in two appends */
static int put_blob(struct regstore *s, const char *name, const char *data, const char *digest,
                    struct berr **err)
{
    char id[REGSTORE_ID_LEN + 1];
    int fd;
    off_t size;
    assert_int_equal(regstore_upload_new(s, name, id, err), 0);
    assert_int_equal(regstore_upload_open(s, name, id, &fd, &size, err), 0);
    assert_int_equal(size, 0);
    size_t n = strlen(data);
    assert_int_equal(fs_write_all(fd, data, n / 2), 0);
    assert_int_equal(fs_write_all(fd, data + n / 2, n - n / 2), 0);
    int r = regstore_upload_commit(s, name, id, digest, err);
    close(fd);
    return r;
}

static size_t count_dir(const char *p)
{
    _cleanup_closedir_ DIR *d = opendir(p);
    size_t n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        n += de->d_name[0] != '.';
    return n;
}

static void test_upload_verify(void **state)
{
    struct fix *f = *state;
    _cleanup_berr_ struct berr *e = NULL;
    char d[REGSTORE_DIGEST_LEN + 1], other[REGSTORE_DIGEST_LEN + 1];
    digest_of("hello world", 11, d);
    digest_of("other", 5, other);
    /* the wrong digest: refused, nothing stored, the session gone */
    assert_int_equal(put_blob(f->s, "a/b", "hello world", other, &e), -EBADMSG);
    assert_int_equal(e->kind, BERR_INVALID);
    berr_free(TAKE_PTR(e));
    _cleanup_free_ char *blobs = xasprintf("%s/blobs/sha256", f->dir);
    _cleanup_free_ char *ups = xasprintf("%s/uploads", f->dir);
    assert_int_equal(count_dir(blobs), 0);
    assert_int_equal(count_dir(ups), 0);

    assert_int_equal(put_blob(f->s, "a/b", "hello world", d, &e), 0);
    int fd;
    off_t size;
    assert_int_equal(regstore_blob_open(f->s, "a/b", d, &fd, &size, &e), 0);
    assert_int_equal(size, 11);
    close(fd);
    /* another repository does not see it until it is mounted there */
    assert_int_equal(regstore_blob_open(f->s, "c", d, &fd, &size, &e), -ENOENT);
    berr_free(TAKE_PTR(e));
    assert_int_equal(regstore_blob_mount(f->s, "c", "a/b", d, &e), 0);
    assert_int_equal(regstore_blob_open(f->s, "c", d, &fd, &size, &e), 0);
    close(fd);
    assert_int_equal(regstore_blob_mount(f->s, "c", "nobody", other, &e), -ENOENT);
    berr_free(TAKE_PTR(e));
    /* a session belongs to its repository */
    char id[REGSTORE_ID_LEN + 1];
    assert_int_equal(regstore_upload_new(f->s, "a/b", id, &e), 0);
    assert_int_equal(regstore_upload_size(f->s, "c", id, &size, &e), -ENOENT);
    berr_free(TAKE_PTR(e));
    assert_int_equal(regstore_upload_size(f->s, "a/b", id, &size, &e), 0);
    assert_int_equal(regstore_upload_cancel(f->s, "a/b", id, &e), 0);
    assert_int_equal(regstore_upload_size(f->s, "a/b", id, &size, &e), -ENOENT);
}

static void test_manifests(void **state)
{
    struct fix *f = *state;
    _cleanup_berr_ struct berr *e = NULL;
    char cfg[REGSTORE_DIGEST_LEN + 1], layer[REGSTORE_DIGEST_LEN + 1];
    digest_of("{}", 2, cfg);
    digest_of("layer", 5, layer);
    assert_int_equal(put_blob(f->s, "app", "{}", cfg, &e), 0);
    _cleanup_free_ char *m = xasprintf(
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        "\"config\":{\"mediaType\":\"x\",\"digest\":\"%s\",\"size\":2},"
        "\"layers\":[{\"mediaType\":\"y\",\"digest\":\"%s\",\"size\":5}]}",
        cfg, layer);
    char md[REGSTORE_DIGEST_LEN + 1], subj[REGSTORE_DIGEST_LEN + 1];
    /* the layer is missing */
    assert_int_equal(regstore_manifest_put(f->s, "app", "v1", m, strlen(m), NULL, md, subj, &e),
                     -ENOENT);
    berr_free(TAKE_PTR(e));
    assert_int_equal(put_blob(f->s, "app", "layer", layer, &e), 0);
    /* Content-Type must agree with mediaType */
    assert_int_equal(regstore_manifest_put(f->s, "app", "v1", m, strlen(m),
                                           "application/vnd.docker.distribution.manifest.v2+json",
                                           md, subj, &e),
                     -EINVAL);
    berr_free(TAKE_PTR(e));
    assert_int_equal(regstore_manifest_put(f->s, "app", "v1", "[1]", 3, NULL, md, subj, &e),
                     -EINVAL);
    berr_free(TAKE_PTR(e));
    assert_int_equal(regstore_manifest_put(f->s, "app", "v1", m, strlen(m), NULL, md, subj, &e), 0);
    assert_string_equal(subj, "");
    /* by digest: the content's, and no other */
    assert_int_equal(regstore_manifest_put(f->s, "app", cfg, m, strlen(m), NULL, md, subj, &e),
                     -EBADMSG);
    berr_free(TAKE_PTR(e));
    assert_int_equal(regstore_manifest_put(f->s, "app", md, m, strlen(m), NULL, md, subj, &e), 0);

    _cleanup_free_ char *data = NULL, *type = NULL;
    size_t len;
    char got[REGSTORE_DIGEST_LEN + 1];
    assert_int_equal(regstore_manifest_get(f->s, "app", "v1", &data, &len, &type, got, &e), 0);
    assert_string_equal(type, "application/vnd.oci.image.manifest.v1+json");
    assert_string_equal(got, md);
    assert_memory_equal(data, m, len);

    /* a referrer */
    _cleanup_free_ char *r =
        xasprintf("{\"schemaVersion\":2,\"artifactType\":\"application/x-sig\","
                  "\"config\":{\"mediaType\":\"x\",\"digest\":\"%s\",\"size\":2},\"layers\":[],"
                  "\"subject\":{\"mediaType\":\"x\",\"digest\":\"%s\",\"size\":1}}",
                  cfg, md);
    char rd[REGSTORE_DIGEST_LEN + 1];
    assert_int_equal(regstore_manifest_put(f->s, "app", "sig", r, strlen(r),
                                           "application/vnd.oci.image.manifest.v1+json", rd, subj,
                                           &e),
                     0);
    assert_string_equal(subj, md);
    json_auto_t *idx = NULL;
    assert_int_equal(regstore_referrers(f->s, "app", md, NULL, &idx, &e), 0);
    json_t *list = json_object_get(idx, "manifests");
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "digest")), rd);
    json_auto_t *none = NULL;
    assert_int_equal(regstore_referrers(f->s, "app", md, "application/other", &none, &e), 0);
    assert_int_equal(json_array_size(json_object_get(none, "manifests")), 0);

    _cleanup_strv_ char **tags = NULL;
    assert_int_equal(regstore_tags(f->s, "app", &tags, &e), 0);
    assert_string_equal(tags[0], "sig");
    assert_string_equal(tags[1], "v1");
    assert_null(tags[2]);
    _cleanup_strv_ char **repos = NULL;
    assert_int_equal(regstore_catalog(f->s, &repos, &e), 0);
    assert_string_equal(repos[0], "app");
    assert_null(repos[1]);

    /* deleting by digest takes the tags that name it */
    assert_int_equal(regstore_manifest_delete(f->s, "app", md, &e), 0);
    _cleanup_free_ char *d2 = NULL, *t2 = NULL;
    assert_int_equal(regstore_manifest_get(f->s, "app", "v1", &d2, &len, &t2, got, &e), -ENOENT);
    berr_free(TAKE_PTR(e));
    assert_int_equal(regstore_manifest_delete(f->s, "app", md, &e), -ENOENT);
    berr_free(TAKE_PTR(e));

    /* gc: the layer only the deleted manifest used is still linked to the repository (a push
     * in progress looks the same), so it stays until its link goes */
    size_t n;
    unsigned long long bytes;
    assert_int_equal(regstore_gc(f->s, 3600, false, &n, &bytes, &e), 0);
    assert_int_equal(n, 1); /* the deleted manifest itself */
    assert_int_equal(regstore_blob_delete(f->s, "app", layer, &e), 0);
    assert_int_equal(regstore_gc(f->s, 3600, false, &n, &bytes, &e), 0);
    assert_int_equal(n, 1);
    assert_int_equal(bytes, 5);
    int fd;
    off_t size;
    assert_int_equal(regstore_blob_open(f->s, "app", cfg, &fd, &size, &e), 0);
    close(fd);
}

int main(void)
{
    xalloc_setup_jansson();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_tags_digests),
        cmocka_unit_test_setup_teardown(test_upload_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifests, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

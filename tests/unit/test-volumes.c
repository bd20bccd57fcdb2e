/* test-volumes.c - the engine's volume operations and system's documents with no CLI: create,
 * inspect, ls, rm and prune through the handle, the Engine API's Volume shape, the events
 * they note, and the error kinds (a bad name, a missing volume, one in use); info reporting
 * the handle's configuration, df counting a volume's users, system prune with --volumes.
 * Under a temporary root; nothing runs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/cleanup.h"
#include "base/fs.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "engine/system.h"
#include "engine/volumes.h"

#define ID "2123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char top[64];

static void put(const char *rel, const char *content)
{
    char p[512], parent[512];
    snprintf(p, sizeof(p), "%s/%s", top, rel);
    snprintf(parent, sizeof(parent), "%s", p);
    *strrchr(parent, '/') = 0;
    assert_int_equal(fs_mkdir_p(parent, 0755), 0);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(content, f);
    assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
    snprintf(top, sizeof(top), "/tmp/berth-volumes-XXXXXX");
    assert_non_null(mkdtemp(top));
    put("config.json", "{\"default-pids-limit\": 77}");
    char root[128], run[128], cfg[128];
    snprintf(root, sizeof(root), "%s/root", top);
    snprintf(run, sizeof(run), "%s/run", top);
    snprintf(cfg, sizeof(cfg), "%s/config.json", top);
    assert_int_equal(fs_mkdir_p(root, 0700), 0);
    assert_int_equal(fs_mkdir_p(run, 0700), 0);
    _cleanup_berr_ struct berr *err = NULL;
    struct engine *e = engine_new(root, run, cfg, &err);
    assert_non_null(e);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    engine_free(*state);
    fs_rm_rf(top);
    return 0;
}

static void fails(struct berr *err, enum berr_kind kind, const char *msg)
{
    assert_non_null(err);
    if (err->kind != kind || (msg && strcmp(err->msg, msg)))
        fail_msg("error %d \"%s\", want %d \"%s\"", err->kind, err->msg, kind, msg ? msg : "");
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* a container record (not running, never run) whose Mounts name volume `name` */
static void user_of(const char *name)
{
    char rel[256], rec[512];
    snprintf(rel, sizeof(rel), "root/containers/%s/container.json", ID);
    snprintf(rec, sizeof(rec),
             "{\"Id\":\"%s\",\"Name\":\"/user\",\"Created\":\"2020-01-01T00:00:00Z\","
             "\"Mounts\":[{\"Type\":\"volume\",\"Name\":\"%s\",\"Destination\":\"/d\"}]}",
             ID, name);
    put(rel, rec);
}

static int collect(json_t *ev, void *data)
{
    json_array_append_new(data, json_sprintf("%s %s %s", str(ev, "Type"), str(ev, "Action"),
                                             str(json_object_get(ev, "Actor"), "ID")));
    return 0;
}

static void test_volume_ops(void **state)
{
    struct engine *e = *state;
    _cleanup_berr_ struct berr *err = NULL;

    json_t *v = vol_create(e, "data", &err);
    assert_non_null(v);
    /* the Engine API's Volume, and nothing of berth's own record */
    assert_string_equal(str(v, "Name"), "data");
    assert_string_equal(str(v, "Driver"), "local");
    assert_string_equal(str(v, "Scope"), "local");
    char mp[256];
    snprintf(mp, sizeof(mp), "%s/root/volumes/data/_data", top);
    assert_string_equal(str(v, "Mountpoint"), mp);
    assert_non_null(strchr(str(v, "CreatedAt"), 'T'));
    assert_true(json_is_object(json_object_get(v, "Labels")));
    assert_true(json_is_object(json_object_get(v, "Options")));
    assert_null(json_object_get(v, "Anonymous"));
    assert_int_equal(json_object_size(v), 7);
    json_decref(v);
    struct stat st;
    assert_int_equal(stat(mp, &st), 0);
    assert_true(S_ISDIR(st.st_mode));

    /* create again: the same volume */
    v = vol_create(e, "data", &err);
    assert_non_null(v);
    assert_string_equal(str(v, "Mountpoint"), mp);
    json_decref(v);

    v = vol_inspect(e, "data", &err);
    assert_non_null(v);
    assert_string_equal(str(v, "Name"), "data");
    assert_null(json_object_get(v, "Anonymous"));
    json_decref(v);

    /* anonymous: a 64-hex name */
    json_t *anon = vol_create(e, NULL, &err);
    assert_non_null(anon);
    assert_int_equal(strlen(str(anon, "Name")), 64);

    json_t *ls = vol_ls(e, &err);
    assert_non_null(ls);
    json_t *vs = json_object_get(ls, "Volumes");
    assert_int_equal(json_array_size(vs), 2);
    assert_true(json_is_array(json_object_get(ls, "Warnings")));
    /* sorted by name, each a Volume */
    const char *first = str(json_array_get(vs, 0), "Name"),
               *second = str(json_array_get(vs, 1), "Name");
    assert_true(strcmp(first, second) < 0);
    assert_true(!strcmp(first, "data") || !strcmp(second, "data"));
    assert_true(!strcmp(first, str(anon, "Name")) || !strcmp(second, str(anon, "Name")));
    assert_null(json_object_get(json_array_get(vs, 0), "Anonymous"));
    assert_int_equal(json_object_size(json_array_get(vs, 1)), 7);
    json_decref(ls);

    /* errors: a bad name, a missing volume, one in use */
    assert_null(vol_create(e, "bad name", &err));
    fails(err, BERR_INVALID, NULL);
    berr_free(TAKE_PTR(err));
    assert_null(vol_inspect(e, "nosuch", &err));
    fails(err, BERR_NOT_FOUND, "no such volume: nosuch");
    berr_free(TAKE_PTR(err));
    assert_null(vol_inspect(e, "/abs", &err));
    fails(err, BERR_INVALID, NULL);
    berr_free(TAKE_PTR(err));
    assert_true(vol_destroy(e, "nosuch", false, &err) < 0);
    fails(err, BERR_NOT_FOUND, "no such volume: nosuch");
    berr_free(TAKE_PTR(err));
    assert_int_equal(vol_destroy(e, "nosuch", true, &err), 0);
    user_of("data");
    assert_true(vol_destroy(e, "data", false, &err) < 0);
    fails(err, BERR_CONFLICT,
          "volume data is in use by container 2123456789ab: remove the container first");
    berr_free(TAKE_PTR(err));

    /* prune: the anonymous volume, not the named one */
    json_t *out = vol_prune(e, &err);
    assert_non_null(out);
    assert_int_equal(json_array_size(json_object_get(out, "VolumesDeleted")), 1);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(out, "VolumesDeleted"), 0)),
        str(anon, "Name"));
    json_decref(out);
    assert_null(vol_inspect(e, str(anon, "Name"), &err));
    fails(err, BERR_NOT_FOUND, NULL);
    berr_free(TAKE_PTR(err));

    /* the journal: each change, where it happened */
    json_t *seen = json_array();
    struct events_query q = {.since_ns = 1, .stop_fd = -1};
    assert_int_equal(events_read(e->runroot, &q, collect, seen, &err), 0);
    char want[3][128];
    snprintf(want[0], sizeof(want[0]), "volume create data");
    snprintf(want[1], sizeof(want[1]), "volume create %s", str(anon, "Name"));
    snprintf(want[2], sizeof(want[2]), "volume destroy %s", str(anon, "Name"));
    size_t i, n = 0;
    json_t *s;
    json_array_foreach(seen, i, s)
    {
        for (size_t k = 0; k < 3; k++)
            n += !strcmp(json_string_value(s), want[k]);
    }
    /* "data" was created twice: docker notes create each time too */
    assert_true(n >= 3);
    json_decref(seen);
    json_decref(anon);
}

static void test_system(void **state)
{
    struct engine *e = *state;
    _cleanup_berr_ struct berr *err = NULL;

    /* info: the handle's roots and configuration */
    json_t *info = sys_info(e, &err);
    assert_non_null(info);
    assert_string_equal(str(info, "DockerRootDir"), e->root);
    assert_string_equal(str(info, "BerthRunRoot"), e->runroot);
    json_t *cfg = json_object_get(info, "BerthConfig");
    assert_string_equal(str(cfg, "ConfigFile"), e->config_path);
    assert_int_equal(json_integer_value(json_object_get(cfg, "DefaultPidsLimit")), 77);
    assert_int_equal(json_integer_value(json_object_get(info, "Containers")), 0);
    json_decref(info);

    /* df: a volume's users */
    json_decref(vol_create(e, "used", &err));
    json_decref(vol_create(e, "loose", &err));
    assert_null(err);
    user_of("used");
    json_t *df = sys_df(e, &err);
    assert_non_null(df);
    json_t *vs = json_object_get(df, "Volumes");
    assert_int_equal(json_array_size(vs), 2);
    assert_string_equal(str(json_array_get(vs, 1), "Name"), "used");
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_array_get(vs, 1), "UsageData"), "RefCount")),
                     1);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_array_get(vs, 0), "UsageData"), "RefCount")),
                     0);
    assert_int_equal(json_array_size(json_object_get(df, "Containers")), 1);
    json_decref(df);

    /* image prune of an empty store: nothing, no error */
    struct sys_prune_opts o = {.all = true};
    json_t *out = json_array();
    json_int_t reclaimed = 0;
    assert_int_equal(sys_image_prune(e, &o, out, &reclaimed, &err), 0);
    assert_int_equal(json_array_size(out), 0);
    json_decref(out);

    /* system prune without --volumes keeps every volume */
    struct sys_prune_opts keep = {.until = 1}; /* no container is that old */
    json_t *rep = sys_prune(e, &keep, &err);
    assert_non_null(rep);
    assert_int_equal(json_array_size(json_object_get(rep, "ContainersDeleted")), 0);
    assert_int_equal(json_array_size(json_object_get(rep, "VolumesDeleted")), 0);
    json_decref(rep);
    /* with it, the unused one (its user stays: too new for until) */
    struct sys_prune_opts vols = {.volumes = true, .until = 1};
    rep = sys_prune(e, &vols, &err);
    assert_non_null(rep);
    json_t *vd = json_object_get(rep, "VolumesDeleted");
    assert_int_equal(json_array_size(vd), 1);
    assert_string_equal(json_string_value(json_array_get(vd, 0)), "loose");
    json_decref(rep);
    json_t *v = vol_inspect(e, "used", &err);
    assert_non_null(v);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_volume_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_system, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

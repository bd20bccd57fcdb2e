/* test-changes.c - a container's changes read from an upper dir over layer dirs (A/C/D as
 * docker reads them), and the config a commit gives its image (run as root: it makes 0/0
 * devices and sets trusted.* xattrs) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "base/fs.h"
#include "base/xalloc.h"
#include "engine/changes.h"
#include "engine/commit.h"

static char top[64];

static void mk(const char *rel, char type, const char *content)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", top, rel);
    char parent[512];
    snprintf(parent, sizeof(parent), "%s", p);
    *strrchr(parent, '/') = 0;
    assert_int_equal(fs_mkdir_p(parent, 0755), 0);
    if (type == 'd')
        assert_int_equal(fs_mkdir_p(p, 0755), 0);
    else if (type == 'w')
        assert_int_equal(mknod(p, S_IFCHR | 0, makedev(0, 0)), 0);
    else if (type == 'o')
        assert_int_equal(setxattr(p, "trusted.overlay.opaque", "y", 1, 0), 0);
    else if (type == 'l')
        assert_int_equal(symlink(content, p), 0);
    else {
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        fputs(content, f);
        assert_int_equal(fclose(f), 0);
    }
}

/* the directory rel of `from` gets the mode and mtime of the same one in `to` */
static void same_times(const char *from, const char *to)
{
    char a[512], b[512];
    snprintf(a, sizeof(a), "%s/%s", top, from);
    snprintf(b, sizeof(b), "%s/%s", top, to);
    struct stat s;
    assert_int_equal(stat(b, &s), 0);
    struct timespec ts[2] = {s.st_atim, s.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, a, ts, 0), 0);
}

static int opendir_(const char *rel)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", top, rel);
    int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(fd >= 0);
    return fd;
}

static char *lines(json_t *changes)
{
    char *s = xstrdup("");
    size_t i;
    json_t *c;
    json_array_foreach(changes, i, c)
    {
        char *n = xasprintf("%s%s %s\n", s,
                            ctr_change_letter((int)json_integer_value(json_object_get(c, "Kind"))),
                            json_string_value(json_object_get(c, "Path")));
        free(s);
        s = n;
    }
    return s;
}

static void test_changes(void **state)
{
    snprintf(top, sizeof(top), "/tmp/berth-changes-XXXXXX");
    assert_non_null(mkdtemp(top));
    /* base layer */
    mk("base/etc", 'd', NULL);
    mk("base/etc/passwd", 'f', "root\n");
    mk("base/etc/del", 'f', "x\n");
    mk("base/etc/sub/deep", 'd', NULL);
    mk("base/gone", 'f', "g\n");
    mk("base/o/old", 'f', "old\n");
    mk("base/real", 'd', NULL);
    mk("base/real/f", 'f', "f\n");
    mk("base/lnk", 'l', "real");
    /* the layer above: deletes /gone, makes /o opaque (without old) */
    mk("mid/gone", 'w', NULL);
    mk("mid/o", 'd', NULL);
    mk("mid/o", 'o', NULL);
    mk("mid/o/new", 'f', "n\n");
    /* the container's upper dir */
    mk("upper/etc", 'd', NULL);
    mk("upper/etc/passwd", 'f', "root\nme\n"); /* C, and /etc stays quiet: same mtime */
    mk("upper/etc/sub", 'd', NULL);            /* deleted and made again: opaque */
    mk("upper/etc/sub", 'o', NULL);
    mk("upper/etc/sub/deep", 'd', NULL); /* A: the opaque dir hides the layers' deep */
    mk("upper/gone", 'f', "again\n");    /* A: a layer deleted it */
    mk("upper/o", 'd', NULL);
    mk("upper/o/old", 'f', "o\n");  /* A: mid's opaque /o hides base's */
    mk("upper/o/new", 'w', NULL);   /* D, and /o is changed by it */
    mk("upper/lnk", 'd', NULL);     /* C: was a symlink */
    mk("upper/lnk/f", 'f', "f\n");  /* A: never looked up through the layer's symlink */
    mk("upper/proc", 'd', NULL);    /* a mount point the runtime made: left out */
    mk("upper/real", 'd', NULL);    /* its mtime differs: C */
    mk("upper/real/f", 'w', NULL);  /* D */
    mk("upper/new.d/x", 'd', NULL); /* A, A */
    mk("upper/nothere", 'w', NULL); /* a whiteout of nothing: nothing */
    mk("upper/new-d", 'f', "x\n");  /* sorted by path as docker does: "-" before "." */
    /* the directories the container changed only inside keep their layer's mode and mtime */
    same_times("upper/etc", "base/etc");
    same_times("upper/o", "mid/o");

    int lower[2] = {opendir_("mid"), opendir_("base")};
    int upper = opendir_("upper");
    struct berr *err = NULL;
    json_t *changes = NULL;
    assert_int_equal(changes_compute(upper, lower, 2, &changes, &err), 0);
    char *got = lines(changes);
    const char *want = "C /etc\n"
                       "C /etc/passwd\n"
                       "D /etc/sub\n"
                       "A /etc/sub/deep\n"
                       "A /gone\n"
                       "C /lnk\n"
                       "A /lnk/f\n"
                       "A /new-d\n"
                       "A /new.d\n"
                       "A /new.d/x\n"
                       "C /o\n"
                       "D /o/new\n"
                       "A /o/old\n"
                       "C /real\n"
                       "D /real/f\n";
    if (strcmp(got, want))
        fail_msg("got:\n%swant:\n%s", got, want);
    free(got);
    json_decref(changes);
    close(upper);
    close(lower[0]);
    close(lower[1]);
}

static int teardown(void **state)
{
    if (top[0])
        fs_rm_rf(top);
    return 0;
}

static void test_commit_config(void **state)
{
    json_t *image = json_loads("{\"config\":{\"Entrypoint\":[\"/ep\",\"-x\"],\"Cmd\":[\"def\"],"
                               "\"Env\":[\"A=1\"],\"WorkingDir\":\"/w\",\"ExposedPorts\":"
                               "{\"80/tcp\":{}},\"Labels\":{\"a\":\"1\"}}}",
                               0, NULL);
    json_t *rec = json_loads(
        "{\"Path\":\"/ep\",\"Args\":[\"-x\",\"run\",\"me\"],\"Config\":{\"Entrypoint\":[\"/ep\","
        "\"-x\"],\"Cmd\":[\"def\"],\"Env\":[\"A=1\",\"B=2\"],\"WorkingDir\":\"\",\"User\":"
        "\"nobody\","
        "\"Labels\":{\"b\":\"2\"}}}",
        0, NULL);
    assert_non_null(image);
    assert_non_null(rec);
    struct berr *err = NULL;
    json_t *cfg = NULL;
    const char *const changes[] = {"ENV C=3", "EXPOSE 53/udp", NULL};
    assert_int_equal(ctr_commit_config(image, rec, changes, &cfg, &err), 0);
    char *s = json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(s, "{\"Cmd\":[\"run\",\"me\"],\"Entrypoint\":[\"/ep\",\"-x\"],\"Env\":[\"A="
                           "1\",\"B=2\",\"C=3\"],\"ExposedPorts\":{\"53/udp\":{},\"80/tcp\":{}},"
                           "\"Labels\":{\"a\":\"1\",\"b\":\"2\"},\"User\":\"nobody\","
                           "\"WorkingDir\":\"/w\"}");
    free(s);
    json_decref(cfg);

    /* --entrypoint replaced the image's: its first word is the entrypoint */
    json_object_set_new(rec, "Path", json_string("/bin/sh"));
    json_object_set_new(rec, "Args", json_pack("[s,s]", "-c", "x"));
    assert_int_equal(ctr_commit_config(image, rec, NULL, &cfg, &err), 0);
    json_t *pair =
        json_pack("[O,O]", json_object_get(cfg, "Entrypoint"), json_object_get(cfg, "Cmd"));
    s = json_dumps(pair, JSON_COMPACT);
    json_decref(pair);
    assert_string_equal(s, "[[\"/bin/sh\"],[\"-c\",\"x\"]]");
    free(s);
    json_decref(cfg);

    /* a bad change: an error, nothing returned */
    cfg = NULL;
    const char *const bad[] = {"CMD [\"ok\"]", "FROB x", NULL};
    assert_true(ctr_commit_config(image, rec, bad, &cfg, &err) < 0);
    assert_null(cfg);
    assert_non_null(strstr(err->msg, "FROB is not supported"));
    berr_free(err);
    json_decref(image);
    json_decref(rec);
}

int main(void)
{
    xalloc_setup_jansson();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_changes, teardown),
        cmocka_unit_test(test_commit_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

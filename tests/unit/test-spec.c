/* test-spec.c - config.json parsing: valid documents, and errors that name the field */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include "oci/runtime-spec.h"

static struct spec *parse(const char *text, struct berr **err)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    assert_non_null(j);
    struct spec *s = spec_from_json(j, err);
    json_decref(j);
    return s;
}

/* expects failure with `needle` in the message */
static void bad(const char *text, const char *needle)
{
    struct berr *err = NULL;
    struct spec *s = parse(text, &err);
    assert_null(s);
    assert_non_null(err);
    if (!strstr(err->msg, needle))
        fail_msg("error \"%s\" does not contain \"%s\"", err->msg, needle);
    berr_free(err);
}

#define MIN "\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"}"
#define PROC "\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],\"user\":{\"uid\":0,\"gid\":0}}"

static void test_minimal(void **state)
{
    struct berr *err = NULL;
    struct spec *s = parse("{" MIN "}", &err);
    assert_non_null(s);
    assert_string_equal(s->root.path, "rootfs");
    assert_null(s->process);
    spec_free(s);
}

static void test_versions(void **state)
{
    static const char *ok[] = {"1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.0.2-dev"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
        char doc[256];
        snprintf(doc, sizeof(doc), "{\"ociVersion\":\"%s\",\"root\":{\"path\":\"r\"}}", ok[i]);
        struct berr *err = NULL;
        struct spec *s = parse(doc, &err);
        assert_non_null(s);
        spec_free(s);
    }
    bad("{\"ociVersion\":\"2.0.0\",\"root\":{\"path\":\"r\"}}", "config.ociVersion");
    bad("{\"root\":{\"path\":\"r\"}}", "ociVersion: missing");
}

static void test_full(void **state)
{
    struct berr *err = NULL;
    struct spec *s = parse(
        "{" MIN
        ",\"hostname\":\"h\",\"process\":{\"terminal\":true,\"cwd\":\"/w\",\"args\":[\"a\",\"b\"],"
        "\"env\":[\"A=1\"],\"user\":{\"uid\":5,\"gid\":6,\"additionalGids\":[7,8],\"umask\":18},"
        "\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_CHOWN\"],\"ambient\":[\"CAP_CHOWN\"]},"
        "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":10,\"hard\":20}],\"oomScoreAdj\":-5,"
        "\"noNewPrivileges\":true},"
        "\"mounts\":[{\"destination\":\"/d\",\"type\":\"bind\",\"source\":\"/"
        "s\",\"options\":[\"rbind\",\"ro\",\"rslave\",\"size=1k\"]}],"
        "\"hooks\":{\"poststop\":[{\"path\":\"/bin/x\",\"timeout\":3}]},"
        "\"annotations\":{\"k\":\"v\"},"
        "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":\"/proc/1/ns/"
        "net\"},{\"type\":\"uts\"}],"
        "\"resources\":{\"memory\":{\"limit\":1048576,\"swap\":2097152},\"cpu\":{\"shares\":512,"
        "\"quota\":50000,\"cpus\":\"0\"},"
        "\"pids\":{\"limit\":10},\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,"
        "\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"}],"
        "\"unified\":{\"memory.high\":\"1000\"}},"
        "\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"},\"rootfsPropagation\":\"rshared\","
        "\"maskedPaths\":[\"/m\"],"
        "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
        "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}"
        "]}}}",
        &err);
    if (!s)
        fail_msg("%s", err->msg);
    assert_true(s->process->terminal);
    assert_int_equal(s->process->user.uid, 5);
    assert_int_equal(s->process->user.n_additional_gids, 2);
    assert_int_equal(s->process->user.umask.v, 18);
    assert_int_equal(s->process->caps.bounding, (1ULL << 5) | 1ULL);
    assert_int_equal(s->process->caps.ambient, 1ULL);
    assert_int_equal(s->process->rlimits[0].hard, 20);
    assert_int_equal(s->process->oom_score_adj.v, -5);
    assert_true(s->mounts[0].bind && s->mounts[0].recursive);
    assert_int_equal(s->mounts[0].flags, MS_RDONLY);
    assert_int_equal(s->mounts[0].propagation, MS_SLAVE | MS_REC);
    assert_string_equal(s->mounts[0].data, "size=1k");
    assert_int_equal(s->hooks.n[HOOK_POSTSTOP], 1);
    assert_int_equal(s->hooks.list[HOOK_POSTSTOP][0].timeout.v, 3);
    assert_non_null(spec_namespace(s, CLONE_NEWPID));
    assert_string_equal(spec_namespace(s, CLONE_NEWNET)->path, "/proc/1/ns/net");
    assert_null(spec_namespace(s, CLONE_NEWUSER));
    struct spec_resources *r = s->linux_->resources;
    assert_int_equal(r->memory.limit.v, 1048576);
    assert_true(r->cpu.quota.set);
    assert_false(r->cpu.period.set);
    assert_int_equal(r->n_devices, 2);
    assert_false(r->devices[0].allow);
    assert_int_equal(r->devices[0].type, 'a');
    assert_int_equal(r->devices[0].major, -1);
    assert_string_equal(r->devices[1].access, "rw");
    assert_string_equal(r->unified[0].key, "memory.high");
    assert_int_equal(s->linux_->rootfs_propagation_flags, MS_SHARED | MS_REC);
    assert_string_equal(s->linux_->seccomp->syscalls[0].args[0].op, "SCMP_CMP_EQ");
    spec_free(s);
}

static void test_errors_name_the_field(void **state)
{
    bad("[1]", "must be a JSON object");
    bad("{" MIN ",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"bogus\"}]}}",
        "linux.namespaces[1].type: unknown namespace type \"bogus\"");
    bad("{" MIN ",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}}",
        "listed twice");
    bad("{" MIN ",\"mounts\":[{\"destination\":\"rel\",\"type\":\"tmpfs\"}]}",
        "mounts[0].destination: \"rel\" must be an absolute path");
    bad("{" MIN ",\"mounts\":[{\"destination\":\"/a\"}]}", "mounts[0]: no type given");
    bad("{" MIN ",\"process\":{\"cwd\":\"/\",\"args\":[],\"user\":{\"uid\":0,\"gid\":0}}}",
        "process.args: must have at least one element");
    bad("{" MIN ",\"process\":{\"cwd\":\"rel\",\"args\":[\"a\"],\"user\":{\"uid\":0,\"gid\":0}}}",
        "process.cwd");
    bad("{" MIN ",\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"user\":{\"uid\":0,\"gid\":0},"
        "\"capabilities\":{\"bounding\":[\"CAP_NOPE\"]}}}",
        "process.capabilities.bounding[0]: unknown capability \"CAP_NOPE\"");
    bad("{" MIN ",\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"user\":{\"uid\":0,\"gid\":0},"
        "\"rlimits\":[{\"type\":\"RLIMIT_BOGUS\",\"soft\":1,\"hard\":1}]}}",
        "process.rlimits[0].type: unknown rlimit");
    bad("{" MIN ",\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"user\":{\"uid\":\"x\",\"gid\":0}}}",
        "process.user.uid: must be a non-negative integer");
    /* ids past 2^32-2 wrapped (4294967296 is root); 4294967295 is (uid_t)-1, "no change" */
    bad("{" MIN ",\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"user\":{\"uid\":4294967296,"
        "\"gid\":0}}}",
        "process.user.uid: 4294967296 is out of range");
    bad("{" MIN ",\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"user\":{\"uid\":4294967295,"
        "\"gid\":0}}}",
        "process.user.uid: 4294967295 is out of range");
    bad("{" MIN ",\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"user\":{\"uid\":0,"
        "\"gid\":4294967296}}}",
        "process.user.gid: 4294967296 is out of range");
    bad("{" MIN ",\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"user\":{\"uid\":0,"
        "\"gid\":0,\"additionalGids\":[1,4294967295]}}}",
        "process.user.additionalGids[1]: must be a gid");
    bad("{" MIN ",\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"user\":{\"uid\":0,"
        "\"gid\":0,\"additionalGids\":[4294967296]}}}",
        "process.user.additionalGids[0]: must be a gid");
    bad("{" MIN ",\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"user\":{\"uid\":0,\"gid\":0},"
        "\"oomScoreAdj\":5000}}",
        "process.oomScoreAdj");
    bad("{" MIN ",\"linux\":{\"resources\":{\"memory\":{\"limit\":\"big\"}}}}",
        "linux.resources.memory.limit: must be an integer");
    bad("{" MIN ",\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}}}",
        "linux.resources.devices[0].access");
    bad("{" MIN ",\"linux\":{\"rootfsPropagation\":\"sideways\"}}", "linux.rootfsPropagation");
    bad("{" MIN ",\"linux\":{\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}}",
        "without a user namespace");
    bad("{" MIN ",\"hooks\":{\"prestart\":[{\"path\":\"rel\"}]}}", "hooks.prestart[0].path");
    bad("{" MIN ",\"hostname\":\"h\",\"linux\":{\"namespaces\":[{\"type\":\"pid\"}]}}",
        "needs a new uts namespace");
    bad("{" MIN ",\"linux\":{\"intelRdt\":{}}}", "linux.intelRdt");
    bad("{" MIN ",\"linux\":{\"seccomp\":{\"syscalls\":[]}}}",
        "linux.seccomp.defaultAction: missing");
}

static void test_mount_options(void **state)
{
    char *opts[] = {"nosuid", "noexec", "rw", "ro", "suid", "mode=755", "private", "x-foo", NULL};
    struct spec_mount m = {.destination = "/x", .type = "tmpfs", .options = opts};
    struct berr *err = NULL;
    assert_int_equal(spec_mount_parse_options(&m, &err), 0);
    /* later options win: rw then ro is read-only; suid clears nosuid */
    assert_int_equal(m.flags, MS_NOEXEC | MS_RDONLY);
    assert_true(m.clear_flags & MS_NOSUID);
    assert_int_equal(m.propagation, MS_PRIVATE);
    assert_string_equal(m.data, "mode=755");
    free(m.data);
}

static void test_names(void **state)
{
    assert_int_equal(spec_ns_from_name("network"), CLONE_NEWNET);
    assert_int_equal(spec_ns_from_name("net"), 0);
    assert_int_equal(spec_cap_from_name("CAP_SYS_ADMIN"), 21);
    assert_int_equal(spec_cap_from_name("SYS_ADMIN"), -1);
    assert_string_equal(spec_cap_name(21), "CAP_SYS_ADMIN");
    assert_int_equal(spec_rlimit_from_name("RLIMIT_NPROC"), 6);
}

static void test_default_spec_roundtrips(void **state)
{
    json_t *j = spec_default_json(false);
    struct berr *err = NULL;
    struct spec *s = spec_from_json(j, &err);
    if (!s)
        fail_msg("%s", err->msg);
    assert_true(s->process->terminal);
    assert_non_null(s->linux_->seccomp);
    assert_non_null(spec_namespace(s, CLONE_NEWCGROUP));
    spec_free(s);
    json_decref(j);
    j = spec_default_json(true);
    s = spec_from_json(j, &err);
    assert_non_null(s);
    assert_non_null(spec_namespace(s, CLONE_NEWUSER));
    assert_null(spec_namespace(s, CLONE_NEWNET));
    spec_free(s);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_errors_name_the_field),
        cmocka_unit_test(test_mount_options),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_default_spec_roundtrips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* spec-default.c - the config.json `berth-runtime spec` writes (runc's shape, plus seccomp) */
#include "runtime-spec.h"
#include "linux/seccomp.h"
#include <unistd.h>

static const char *default_caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};

static const char *masked_paths[] = {
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/sys/firmware",
    "/proc/scsi",
    "/sys/devices/virtual/powercap",
};
static const char *readonly_paths[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                       "/proc/sysrq-trigger"};

static json_t *strs(const char **v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

#define STRS(...)                                                                                  \
    strs((const char *[]){__VA_ARGS__}, sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *))

static json_t *mount(const char *dst, const char *type, const char *src, json_t *opts)
{
    return json_pack("{s:s,s:s,s:s,s:o}", "destination", dst, "type", type, "source", src,
                     "options", opts);
}

json_t *spec_default_json(bool rootless)
{
    size_t ncaps = sizeof(default_caps) / sizeof(*default_caps);
    uint64_t capmask = 0;
    for (size_t i = 0; i < ncaps; i++)
        capmask |= 1ULL << spec_cap_from_name(default_caps[i]);

    json_t *caps = json_object();
    json_object_set_new(caps, "bounding", strs(default_caps, ncaps));
    json_object_set_new(caps, "effective", strs(default_caps, ncaps));
    json_object_set_new(caps, "permitted", strs(default_caps, ncaps));

    json_t *process = json_pack("{s:b,s:{s:i,s:i},s:[s],s:[s,s],s:s,s:o,s:[{s:s,s:i,s:i}],s:b}",
                                "terminal", 1, "user", "uid", 0, "gid", 0, "args", "sh", "env",
                                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                "TERM=xterm", "cwd", "/", "capabilities", caps, "rlimits", "type",
                                "RLIMIT_NOFILE", "hard", 1024, "soft", 1024, "noNewPrivileges", 1);

    json_t *mounts = json_array();
    json_array_append_new(mounts, mount("/proc", "proc", "proc", json_array()));
    json_array_append_new(mounts, mount("/dev", "tmpfs", "tmpfs",
                                        STRS("nosuid", "strictatime", "mode=755", "size=65536k")));
    json_array_append_new(mounts, mount("/dev/pts", "devpts", "devpts",
                                        rootless ? STRS("nosuid", "noexec", "newinstance",
                                                        "ptmxmode=0666", "mode=0620")
                                                 : STRS("nosuid", "noexec", "newinstance",
                                                        "ptmxmode=0666", "mode=0620", "gid=5")));
    json_array_append_new(mounts,
                          mount("/dev/shm", "tmpfs", "shm",
                                STRS("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")));
    json_array_append_new(
        mounts, mount("/dev/mqueue", "mqueue", "mqueue", STRS("nosuid", "noexec", "nodev")));
    if (rootless)
        json_array_append_new(mounts, mount("/sys", "none", "/sys",
                                            STRS("rbind", "nosuid", "noexec", "nodev", "ro")));
    else
        json_array_append_new(
            mounts, mount("/sys", "sysfs", "sysfs", STRS("nosuid", "noexec", "nodev", "ro")));
    json_array_append_new(mounts, mount("/sys/fs/cgroup", "cgroup", "cgroup",
                                        STRS("nosuid", "noexec", "nodev", "relatime", "ro")));

    json_t *ns = json_pack("[{s:s},{s:s},{s:s},{s:s},{s:s}]", "type", "pid", "type", "network",
                           "type", "ipc", "type", "uts", "type", "mount");
    if (rootless) {
        json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
        json_array_remove(ns, 1); /* no network namespace: rootless cannot set one up */
    } else {
        json_array_append_new(ns, json_pack("{s:s}", "type", "cgroup"));
    }

    json_t *lx = json_object();
    json_object_set_new(lx, "namespaces", ns);
    if (rootless) {
        json_object_set_new(lx, "uidMappings",
                            json_pack("[{s:i,s:i,s:i}]", "containerID", 0, "hostID",
                                      (json_int_t)getuid(), "size", 1));
        json_object_set_new(lx, "gidMappings",
                            json_pack("[{s:i,s:i,s:i}]", "containerID", 0, "hostID",
                                      (json_int_t)getgid(), "size", 1));
    } else {
        json_object_set_new(lx, "resources",
                            json_pack("{s:[{s:b,s:s}]}", "devices", "allow", 0, "access", "rwm"));
    }
    json_object_set_new(lx, "maskedPaths",
                        strs(masked_paths, sizeof(masked_paths) / sizeof(*masked_paths)));
    json_object_set_new(lx, "readonlyPaths",
                        strs(readonly_paths, sizeof(readonly_paths) / sizeof(*readonly_paths)));
    json_object_set_new(lx, "seccomp", seccomp_default_profile(capmask));

    return json_pack("{s:s,s:o,s:{s:s,s:b},s:s,s:o,s:o}", "ociVersion", "1.2.0", "process", process,
                     "root", "path", "rootfs", "readonly", 1, "hostname", "berth", "mounts", mounts,
                     "linux", lx);
}

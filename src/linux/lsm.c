/* lsm.c - AppArmor profiles and SELinux labels */
#include "lsm.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool lsm_apparmor_enabled(void)
{
    _cleanup_free_ char *v = NULL;
    _cleanup_berr_ struct berr *e = NULL;
    return fs_read_file("/sys/module/apparmor/parameters/enabled", &v, NULL, &e) == 0 &&
           v[0] == 'Y';
}

bool lsm_selinux_enabled(void)
{
    return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

int lsm_apparmor_exec(const char *profile, struct berr **err)
{
    if (!lsm_apparmor_enabled())
        return berr_set(err, BERR_UNSUPPORTED, ENOTSUP,
                        "process.apparmorProfile: AppArmor is not enabled on this host");
    char buf[4096];
    snprintf(buf, sizeof(buf), "exec %s", profile);
    int r = fs_write_string("/proc/self/attr/apparmor/exec", buf);
    if (r == -ENOENT)
        r = fs_write_string("/proc/self/attr/exec", buf);
    if (r < 0)
        return berr_sys(err, -r, "process.apparmorProfile: apply \"%s\" (is it loaded?)", profile);
    return 0;
}

int lsm_selinux_exec(const char *label, struct berr **err)
{
    if (!lsm_selinux_enabled())
        return 0;
    int r = fs_write_string("/proc/self/attr/exec", label);
    if (r < 0)
        return berr_sys(err, -r, "process.selinuxLabel: set \"%s\"", label);
    return 0;
}

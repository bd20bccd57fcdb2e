/* lsm.c - AppArmor profiles and SELinux labels */
#include "lsm.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "procfs.h"
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
    /* through a procfs handle nothing can redirect (procfs.h, CVE-2025-52881); the
     * attribute is the calling thread's */
    int r = procfs_write_once("thread-self/attr/apparmor/exec", buf, strlen(buf));
    if (r == -ENOENT)
        r = procfs_write_once("thread-self/attr/exec", buf, strlen(buf));
    if (r < 0)
        return berr_sys(err, -r, "process.apparmorProfile: apply \"%s\" (is it loaded?)", profile);
    return 0;
}

int lsm_selinux_exec(const char *label, struct berr **err)
{
    if (!lsm_selinux_enabled())
        return 0;
    int r = procfs_write_once("thread-self/attr/exec", label, strlen(label));
    if (r < 0)
        return berr_sys(err, -r, "process.selinuxLabel: set \"%s\"", label);
    return 0;
}

/* lsm.h - AppArmor profiles and SELinux labels for the container's process */
#pragma once
#include <stdbool.h>
#include "base/error.h"

bool lsm_apparmor_enabled(void);
bool lsm_selinux_enabled(void);
/* Sets the AppArmor profile for the next execve; refused if AppArmor is not enabled. */
int lsm_apparmor_exec(const char *profile, struct berr **err);
/* Sets the SELinux label for the next execve. Without SELinux there are no labels to apply
 * and this does nothing (as go-selinux and crun do), so specs written for SELinux hosts run. */
int lsm_selinux_exec(const char *label, struct berr **err);

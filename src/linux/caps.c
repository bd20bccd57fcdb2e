/* caps.c - the five capability sets of the container's process */
#include "init.h"
#include "base/cleanup.h"
#include <sys/capability.h>
#include <sys/prctl.h>

int caps_drop_bounding(const struct spec_caps *c, struct berr **err)
{
    int last = cap_max_bits() - 1;
    /* Bounding first: once a capability leaves it, nothing in this process tree (no setuid
     * binary, no file capability) can ever get it back. */
    for (int cap = 0; cap <= last; cap++) {
        if (c->bounding & (1ULL << cap))
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            return berr_sys(err, errno, "process.capabilities.bounding: drop %s",
                            spec_cap_name(cap));
    }
    return 0;
}

int caps_apply(const struct spec_caps *c, struct berr **err)
{
    int last = cap_max_bits() - 1;
    cap_t caps = cap_init();
    if (!caps)
        return berr_sys(err, errno, "process.capabilities");
    for (int cap = 0; cap <= last; cap++) {
        cap_value_t v = cap;
        if (c->effective & (1ULL << cap))
            cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
        if (c->permitted & (1ULL << cap))
            cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET);
        if (c->inheritable & (1ULL << cap))
            cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_SET);
    }
    int r = cap_set_proc(caps);
    int e = errno;
    cap_free(caps);
    if (r < 0)
        return berr_sys(err, e, "process.capabilities: set effective/permitted/inheritable");
    /* ambient capabilities survive execve of non-setuid programs for a non-root user; the
     * kernel only allows those that are both permitted and inheritable */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return berr_sys(err, errno, "process.capabilities.ambient: clear");
    for (int cap = 0; cap <= last; cap++) {
        if (!(c->ambient & (1ULL << cap)))
            continue;
        /* The kernel keeps an ambient capability only while it is permitted and
         * inheritable. `runc spec`, docker and containerd write ambient lists without the
         * inheritable set; runc and crun raise what they can and go on, and so do we. */
        if (!(c->permitted & c->inheritable & (1ULL << cap)))
            continue;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
            return berr_sys(err, errno, "process.capabilities.ambient: raise %s",
                            spec_cap_name(cap));
    }
    return 0;
}

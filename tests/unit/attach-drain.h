/* attach-drain.h - the unit tests' client of a container's monitor (engine/ctr-run.h) */
#pragma once
#include <string.h>
#include "engine/ctr-run.h"

/* The output (stdout and stderr in order) into out, until the exit code comes; returns it */
static inline int drain(int fd, char *out, size_t cap)
{
    size_t len = 0;
    char buf[CTR_ATTACH_MAX + 2];
    for (;;) {
        struct ctr_attach_msg m;
        assert_int_equal(ctr_attach_recv(fd, buf, sizeof(buf), &m), 1);
        if (m.kind == CTR_ATTACH_EXIT) {
            out[len] = 0;
            return m.exit_code;
        }
        if ((m.kind == CTR_ATTACH_STDOUT || m.kind == CTR_ATTACH_STDERR) && len + m.len < cap) {
            memcpy(out + len, m.data, m.len);
            len += m.len;
        }
    }
}

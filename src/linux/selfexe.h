/* selfexe.h - run berth from a copy of itself that nobody can write (CVE-2019-5736).
 *
 * A process that berth puts into a pid namespace where a container's processes already live
 * (`exec`, a create that joins a pid namespace by path, a created init that `exec` can join)
 * is visible to them from its clone on. A container process with CAP_SYS_PTRACE passes the
 * ptrace checks on it even when it is not dumpable, so it can open /proc/<pid>/exe, keep that
 * fd, and write the file once the process has exited: if that file is the host's berth
 * binary, the host is the container's. Such a process must therefore be a clone of a berth
 * that nobody can write, as runc's is: executed from a detached read-only bind mount of the
 * binary (no copy: about half a millisecond, the exec), or where mounts cannot be made from a
 * sealed memfd copy (F_SEAL_WRITE and the rest; a copy of the whole binary). A new pid namespace
 * that no container process is in yet (`berth run`) needs none of this: there the only berth
 * process leaves through the sealed trampoline (linux/execer.h) before anything else runs. */
#pragma once
#include <stdbool.h>

/* Whether this process runs from such a copy (1), not (0), or negative errno. */
int selfexe_sealed(void);
/* Unless already running from such a copy, makes one of /proc/self/exe and executes it
 * with argv and the current environment: does not return then. Returns 0 if already sealed,
 * negative errno if the copy could not be made or executed. Call it before the process has
 * done anything it must not do twice. */
int selfexe_reexec(char **argv);

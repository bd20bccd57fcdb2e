/* execer.h - exec a container's process through a sealed in-memory trampoline.
 *
 * CVE-2019-5736: if the program a container runs is a script whose interpreter is
 * /proc/self/exe, the kernel starts the exec'ing process's own image: it must never be the
 * host's berth binary, or the container could write to that binary through /proc. The
 * image that execs the container's program is therefore a tiny freestanding trampoline run
 * from a sealed memfd (src/linux/execer/execer.c). Until that exec, the berth process in
 * the container is not dumpable, so no container process can open its /proc/<pid>/exe. */
#pragma once

/* A sealed, close-on-exec memfd holding the trampoline; negative errno on failure. Make it
 * before seccomp is loaded: only the exec itself needs to be allowed then. */
int execer_memfd(void);
/* execve(path, argv, envp) through the trampoline in memfd. started_fd (or -1), left
 * without FD_CLOEXEC by the caller, closes at the program's own exec rather than the
 * trampoline's: the runtime watches it to know the program runs. Every other descriptor
 * must be close-on-exec already. Returns only on failure (negative errno). */
int execer_exec(int memfd, int started_fd, const char *path, char *const argv[],
                char *const envp[]);

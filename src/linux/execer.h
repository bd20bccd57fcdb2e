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
/* execve(path, argv, envp) through the trampoline in memfd. Descriptors from first_cloexec
 * up are closed at the program's exec (not the trampoline's): leave the ones that must
 * close exactly when the program starts without FD_CLOEXEC. Returns only on failure. */
int execer_exec(int memfd, int first_cloexec, const char *path, char *const argv[],
                char *const envp[]);

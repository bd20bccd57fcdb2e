/* cloned-binary.h - run from a sealed in-memory copy of ourselves (CVE-2019-5736).
 *
 * While the runtime sets a container up, its process is the berth binary from the host; a
 * hostile image can make the container exec /proc/self/exe (e.g. a "#!/proc/self/exe" entry
 * point) and then write to that file through /proc/<pid>/exe. Running from a sealed memfd
 * copy means that file is the copy, which cannot be written. */
#pragma once

/* If we are not running from a sealed copy, makes one and re-executes it with the same
 * arguments and environment (does not return then). Returns 0 if already running from one,
 * negative errno if the copy could not be made. */
int cloned_binary_ensure(char **argv);

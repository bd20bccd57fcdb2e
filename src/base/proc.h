/* proc.h - processes: start times (to tell a live pid from a reused one), waiting */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Start time of pid in clock ticks since boot (field 22 of /proc/PID/stat); 0 if gone. */
uint64_t proc_start_time(pid_t pid);
/* True if pid exists, is not a zombie, and has the given start time (0: any). */
bool proc_alive(pid_t pid, uint64_t start_time);
/* State letter of pid from /proc/PID/stat ('R', 'S', 'Z', ...) or 0 if gone. */
char proc_state(pid_t pid);
/* An owner file names a process by "PID START" (start time: a reused PID is not it).
 * proc_self_owner writes ours into buf and returns its length; proc_owner_alive reads one:
 * 1 alive, 0 gone (or unreadable contents), -1 no such file. */
int proc_self_owner(char *buf, size_t len);
int proc_owner_alive(const char *path);
/* Exit code in shell convention from a wait status: code, or 128+signal. */
int proc_exit_code(int status);

/* proc.c - processes */
#include "proc.h"
#include "fs.h"
#include "cleanup.h"
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *stat_after_comm(pid_t pid, char **buf)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    _cleanup_berr_ struct berr *e = NULL;
    if (fs_read_file(path, buf, NULL, &e) < 0)
        return NULL;
    char *p = strrchr(*buf, ')'); /* comm may contain spaces and parentheses */
    return p ? p + 2 : NULL;
}

char proc_state(pid_t pid)
{
    _cleanup_free_ char *buf = NULL;
    char *p = stat_after_comm(pid, &buf);
    return p ? p[0] : 0;
}

uint64_t proc_start_time(pid_t pid)
{
    _cleanup_free_ char *buf = NULL;
    char *p = stat_after_comm(pid, &buf);
    if (!p)
        return 0;
    /* p is field 3 (state); start time is field 22 */
    for (int field = 3; field < 22 && p; field++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    return p ? strtoull(p, NULL, 10) : 0;
}

bool proc_alive(pid_t pid, uint64_t start_time)
{
    if (pid <= 0)
        return false;
    _cleanup_free_ char *buf = NULL;
    char *p = stat_after_comm(pid, &buf);
    if (!p || p[0] == 'Z' || p[0] == 'X')
        return false;
    return start_time == 0 || proc_start_time(pid) == start_time;
}

int proc_exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 255;
}

int proc_self_owner(char *buf, size_t len)
{
    return snprintf(buf, len, "%d %llu", (int)getpid(),
                    (unsigned long long)proc_start_time(getpid()));
}

int proc_owner_alive(const char *path)
{
    _cleanup_free_ char *owner = NULL;
    int pid = 0;
    unsigned long long start = 0;
    _cleanup_berr_ struct berr *e = NULL;
    if (fs_read_file(path, &owner, NULL, &e) < 0)
        return -1;
    return sscanf(owner, "%d %llu", &pid, &start) == 2 && proc_alive(pid, start);
}

/* log.c - the log handler */
#include "log.h"
#include "cleanup.h"
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

static int log_fd = -1;
static bool log_json;
static enum log_level log_level = LOG_LVL_WARN;
static const char *program = "berth";

void log_set_program(const char *name)
{
    program = name;
}
const char *log_program(void)
{
    return program;
}
bool log_debug_enabled(void)
{
    return log_level >= LOG_LVL_DEBUG;
}

int log_setup(const char *path, bool json, enum log_level level)
{
    log_json = json;
    log_level = level;
    if (path) {
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return -1;
        if (log_fd >= 0)
            close(log_fd);
        log_fd = fd;
    }
    return 0;
}

static const char *level_name(enum log_level l)
{
    static const char *names[] = {"error", "warning", "info", "debug"};
    return names[l];
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level > log_level)
        return;
    char tm0[64] = "";
    if (level == LOG_LVL_DEBUG) {
        /* debug lines carry the time since the first one, to see where time goes */
        static struct timespec t0;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (!t0.tv_sec)
            t0 = now;
        snprintf(tm0, sizeof(tm0), "[%8.3f ms] ",
                 (now.tv_sec - t0.tv_sec) * 1e3 + (now.tv_nsec - t0.tv_nsec) / 1e6);
    }
    /* the whole message: one cut short loses its end, the part that says why */
    _cleanup_free_ char *body = NULL, *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&body, fmt, ap) < 0)
        body = NULL;
    va_end(ap);
    if (asprintf(&msg, "%s%s", tm0, body ? body : fmt) < 0)
        return;

    /* errors always reach stderr; other levels go there only when there is no log file */
    if (level == LOG_LVL_ERROR)
        dprintf(STDERR_FILENO, "%s: %s\n", program, msg);
    else if (log_fd < 0)
        dprintf(STDERR_FILENO, "%s: %s: %s\n", program, level_name(level), msg);
    if (log_fd < 0)
        return;
    char ts[64];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof(ts) - n, ".%09ldZ", now.tv_nsec);
    if (log_json) {
        json_t *o = json_pack("{s:s,s:s,s:s}", "level", level_name(level), "msg", msg, "time", ts);
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (s)
            dprintf(log_fd, "%s\n", s);
        free(s);
        json_decref(o);
    } else {
        dprintf(log_fd, "time=\"%s\" level=%s msg=\"%s\"\n", ts, level_name(level), msg);
    }
}

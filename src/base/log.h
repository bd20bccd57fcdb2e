/* log.h - the log handler: debug messages from library code, error lines from front ends */
#pragma once
#include <stdbool.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Configures the handler: path of a log file (NULL: stderr only), JSON lines (as runc's
 * --log-format json) or text, and the level printed. */
int log_setup(const char *path, bool json, enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
bool log_debug_enabled(void);
/* The name printed before messages on stderr ("berth"); static storage. */
void log_set_program(const char *name);
const char *log_program(void);

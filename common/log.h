/* Diagnostics and the access log.
 * One line per event on stderr: `time level component key=value... message`. The macros test
 * the level before evaluating their arguments. Callers never pass prompts, completions or
 * Authorization values. The access log (one line per request) goes to its own stream.
 * Single-threaded: call from the loop thread only. Depends on libc and libuv's error names. */
#ifndef SVC_COMMON_LOG_H
#define SVC_COMMON_LOG_H

#include <stdbool.h>

enum log_level {
    LOG_LEVEL_ERROR = 0,
    LOG_LEVEL_WARN,
    LOG_LEVEL_INFO,
    LOG_LEVEL_DEBUG,
};

extern enum log_level log_level_current;

void log_set_level(enum log_level level);
/* Parses "error", "warn", "info" or "debug". 0, or SVC_EPARSE. */
int log_level_parse(const char *s, enum log_level *out);
/* Writes one diagnostic line; `uv_rc` != 0 appends `err=<uv_err_name>`. Prefer the macros. */
void log_write(enum log_level level, const char *component, int uv_rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Sends access-log lines to `path` ("-" = stdout, NULL or "off" = disabled; the default is
 * stdout). Called at startup. 0, or a negative libuv code when the file cannot be opened. */
int log_access_open(const char *path);
bool log_access_enabled(void);
/* Writes one access-log line (a timestamp is prepended). */
void log_access(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_access_close(void);

#define LOG_AT_(lvl, rc, comp, ...)                                                                \
    do {                                                                                           \
        if (log_level_current >= (lvl))                                                            \
            log_write((lvl), (comp), (rc), __VA_ARGS__);                                           \
    } while (0)

#define log_error(comp, ...)        LOG_AT_(LOG_LEVEL_ERROR, 0, comp, __VA_ARGS__)
#define log_warn(comp, ...)         LOG_AT_(LOG_LEVEL_WARN, 0, comp, __VA_ARGS__)
#define log_info(comp, ...)         LOG_AT_(LOG_LEVEL_INFO, 0, comp, __VA_ARGS__)
#define log_debug(comp, ...)        LOG_AT_(LOG_LEVEL_DEBUG, 0, comp, __VA_ARGS__)
#define log_error_uv(rc, comp, ...) LOG_AT_(LOG_LEVEL_ERROR, (rc), comp, __VA_ARGS__)
#define log_warn_uv(rc, comp, ...)  LOG_AT_(LOG_LEVEL_WARN, (rc), comp, __VA_ARGS__)
#define log_info_uv(rc, comp, ...)  LOG_AT_(LOG_LEVEL_INFO, (rc), comp, __VA_ARGS__)
#define log_debug_uv(rc, comp, ...) LOG_AT_(LOG_LEVEL_DEBUG, (rc), comp, __VA_ARGS__)

#endif

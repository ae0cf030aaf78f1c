/* Line-oriented logging to stderr and the access-log stream. Depends on libc and libuv. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <uv.h>

#include "err.h"

enum log_level log_level_current = LOG_LEVEL_INFO;

static FILE *access_stream;
static bool access_disabled;
static bool access_owned;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level level)
{
    log_level_current = level;
}

int log_level_parse(const char *s, enum log_level *out)
{
    for (int i = 0; i <= LOG_LEVEL_DEBUG; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    if (strcmp(s, "warning") == 0) {
        *out = LOG_LEVEL_WARN;
        return 0;
    }
    return SVC_EPARSE;
}

/* Writes "YYYY-mm-ddTHH:MM:SS.mmmZ" into out (at least 25 bytes); returns its length. */
static size_t format_now(char *out, size_t size)
{
    struct timeval tv;
    struct tm tm;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
    int m = snprintf(out + n, size - n, ".%03dZ", (int)(tv.tv_usec / 1000));
    return n + (m > 0 ? (size_t)m : 0);
}

void log_write(enum log_level level, const char *component, int uv_rc, const char *fmt, ...)
{
    char line[2048];
    size_t n = format_now(line, sizeof(line));
    int m = snprintf(line + n, sizeof(line) - n, " %s %s ", level_names[level], component);
    va_list ap;

    if (m > 0)
        n += (size_t)m;
    va_start(ap, fmt);
    m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    if (m > 0)
        n = n + (size_t)m < sizeof(line) ? n + (size_t)m : sizeof(line) - 1;
    if (uv_rc != 0) {
        m = snprintf(line + n, sizeof(line) - n, " err=%s",
                     uv_rc <= -10000 ? err_str(uv_rc) : uv_err_name(uv_rc));
        if (m > 0)
            n = n + (size_t)m < sizeof(line) ? n + (size_t)m : sizeof(line) - 1;
    }
    if (n >= sizeof(line) - 1)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    fwrite(line, 1, n, stderr);
}

int log_access_open(const char *path)
{
    log_access_close();
    if (path == NULL || strcmp(path, "off") == 0) {
        access_disabled = true;
        return 0;
    }
    access_disabled = false;
    if (strcmp(path, "-") == 0)
        return 0;
    FILE *f = fopen(path, "ae");
    if (f == NULL)
        return -errno;
    setvbuf(f, NULL, _IOLBF, 0);
    access_stream = f;
    access_owned = true;
    return 0;
}

bool log_access_enabled(void)
{
    return !access_disabled;
}

void log_access(const char *fmt, ...)
{
    char line[2048];
    size_t n;
    va_list ap;

    if (access_disabled)
        return;
    n = format_now(line, sizeof(line));
    line[n++] = ' ';
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    va_end(ap);
    if (m > 0)
        n = n + (size_t)m < sizeof(line) - 1 ? n + (size_t)m : sizeof(line) - 2;
    line[n++] = '\n';
    FILE *f = access_stream != NULL ? access_stream : stdout;
    fwrite(line, 1, n, f);
    if (f == stdout)
        fflush(f);
}

void log_access_close(void)
{
    if (access_owned && access_stream != NULL)
        fclose(access_stream);
    access_stream = NULL;
    access_owned = false;
}

/* Wall-clock helpers. Depends on libc only. */
#include "wallclock.h"

#include <math.h>
#include <time.h>

double wallclock_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void wallclock_rfc3339(double t, char out[WALLCLOCK_RFC3339_LEN])
{
    time_t secs = (time_t)floor(t);
    struct tm tm;

    gmtime_r(&secs, &tm);
    if (strftime(out, WALLCLOCK_RFC3339_LEN, "%Y-%m-%dT%H:%M:%S+00:00", &tm) == 0)
        out[0] = '\0';
}

/* Wall-clock time for wire formats (Unix seconds, RFC 3339). Durations and timeouts use the
 * loop's monotonic clock instead. Depends on libc only. */
#ifndef SVC_COMMON_WALLCLOCK_H
#define SVC_COMMON_WALLCLOCK_H

#define WALLCLOCK_RFC3339_LEN 32

/* Current Unix time in seconds, with sub-second precision. */
double wallclock_now(void);
/* Writes `t` (Unix seconds, truncated to whole seconds) as "2026-02-10T09:26:25+00:00" (UTC,
 * numeric offset, no fraction: the reference's form) into `out`. */
void wallclock_rfc3339(double t, char out[WALLCLOCK_RFC3339_LEN]);

#endif

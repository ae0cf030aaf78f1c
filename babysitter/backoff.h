/* The restart schedule of a supervised child, as pure arithmetic: exponential delays from an
 * initial value, doubling per consecutive restart up to a cap; a limit on consecutive restarts;
 * and a reset once the child stayed ready long enough to count as stable. Knows no clock and no
 * process: the supervisor feeds it uptimes and asks for delays. Depends on nothing. */
#ifndef SVC_BABYSITTER_BACKOFF_H
#define SVC_BABYSITTER_BACKOFF_H

#include <stdbool.h>

struct bs_backoff {
    double initial_s;      /* delay before the first restart of a series */
    double max_s;          /* cap on any delay */
    double stable_after_s; /* ready uptime that ends a series (0 = any ready period does) */
    int max_restarts;      /* consecutive restarts allowed in one series */
    int streak;            /* restarts in the current series */
    unsigned long total;   /* restarts ever (what /info reports as restart_count) */
};

/* Sets the schedule's parameters and starts with no restart counted. A cap below the initial
 * delay is raised to it; negative values count as 0. */
void bs_backoff_init(struct bs_backoff *b, double initial_s, double max_s, double stable_after_s,
                     int max_restarts);

/* Counts one more restart and returns its delay in seconds: initial * 2^streak, capped at
 * max_s. Returns a negative value, counting nothing, when max_restarts restarts in a row were
 * already used: the caller must give up. */
double bs_backoff_next(struct bs_backoff *b);

/* Tells the schedule that the child just ended a ready period that lasted `ready_s` seconds
 * (0 when it never became ready). A period of at least stable_after_s starts a new series:
 * the next delay is the initial one again and max_restarts counts afresh. Returns true when
 * the series was reset. */
bool bs_backoff_note_ready(struct bs_backoff *b, double ready_s);

/* The delay the n-th restart of a series (0-based) would get, without counting anything. */
double bs_backoff_delay(const struct bs_backoff *b, int n);

#endif

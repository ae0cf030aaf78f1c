/* Request arrival schedule, as vLLM's `bench serve` draws it: gaps between requests follow a
 * gamma distribution with shape `burstiness` and mean 1/rate (burstiness 1 = exponential gaps,
 * a Poisson process; < 1 burstier, > 1 more even), accumulated, then rescaled so the last
 * request arrives at exactly n/rate seconds (which keeps throughput comparable across seeds).
 * An infinite rate sends everything at time 0. Pure; depends on tools/bench/rng. */
#ifndef SVC_TOOLS_BENCH_ARRIVAL_H
#define SVC_TOOLS_BENCH_ARRIVAL_H

#include <stddef.h>

/* Fills out[0..n-1] with non-decreasing send times in seconds from the start. `rate` > 0
 * (requests/s; INFINITY allowed), `burstiness` > 0. */
void bench_arrival_schedule(size_t n, double rate, double burstiness, unsigned long long seed,
                            double *out);

#endif

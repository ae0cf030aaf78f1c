/* A small deterministic pseudo-random generator (xoshiro256**, seeded through splitmix64) and the
 * distributions the benchmark needs: uniform, exponential and gamma. The same seed gives the same
 * sequence on every machine, so datasets and arrival schedules are reproducible from --seed.
 * Not for anything security-related. Depends on libc (and libm) only. */
#ifndef SVC_TOOLS_BENCH_RNG_H
#define SVC_TOOLS_BENCH_RNG_H

#include <stdint.h>

/* Embedded by value; no resources, so there is nothing to free. */
struct bench_rng {
    uint64_t s[4];
};

/* Seeds `r` from `seed`; distinct seeds give unrelated streams. */
void bench_rng_seed(struct bench_rng *r, uint64_t seed);
/* Seeds `r` from a seed and a stream number (for example a prefix or conversation index), so
 * that one item's text does not depend on how many items come before it. */
void bench_rng_seed2(struct bench_rng *r, uint64_t seed, uint64_t stream);
/* Next 64 random bits. */
uint64_t bench_rng_next(struct bench_rng *r);
/* Uniform integer in [0, n); n must be > 0. Unbiased (rejection sampling). */
uint64_t bench_rng_below(struct bench_rng *r, uint64_t n);
/* Uniform double in [0, 1). */
double bench_rng_uniform(struct bench_rng *r);
/* Exponential variate with mean `mean` (> 0). */
double bench_rng_exp(struct bench_rng *r, double mean);
/* Gamma variate with shape `k` (> 0) and scale `theta` (> 0): mean k*theta (Marsaglia-Tsang). */
double bench_rng_gamma(struct bench_rng *r, double k, double theta);

#endif

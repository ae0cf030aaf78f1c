/* xoshiro256** with splitmix64 seeding, and uniform/exponential/gamma variates. Depends on libc
 * and libm only. */
#include "rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void bench_rng_seed(struct bench_rng *r, uint64_t seed)
{
    uint64_t x = seed;

    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

void bench_rng_seed2(struct bench_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed;

    /* Mixing the stream through splitmix first keeps (seed, stream) and (seed + 1, stream - 1)
     * apart, which a plain sum would not. */
    bench_rng_seed(r, splitmix64(&x) ^ (stream * 0xd1342543de82ef95ULL + 1));
}

uint64_t bench_rng_next(struct bench_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t bench_rng_below(struct bench_rng *r, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;

    do {
        v = bench_rng_next(r);
    } while (v >= limit);
    return v % n;
}

double bench_rng_uniform(struct bench_rng *r)
{
    return (double)(bench_rng_next(r) >> 11) * 0x1.0p-53;
}

double bench_rng_exp(struct bench_rng *r, double mean)
{
    /* 1 - u lies in (0, 1], so the logarithm is finite. */
    return -log(1.0 - bench_rng_uniform(r)) * mean;
}

static double normal(struct bench_rng *r)
{
    /* Box-Muller; one of the pair is thrown away, which keeps the generator stateless. */
    double u1 = 1.0 - bench_rng_uniform(r), u2 = bench_rng_uniform(r);

    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

double bench_rng_gamma(struct bench_rng *r, double k, double theta)
{
    if (k < 1.0) {
        /* Boost from shape k + 1 (Marsaglia-Tsang's note): G(k) = G(k + 1) * U^(1/k). */
        double u = 1.0 - bench_rng_uniform(r);
        return bench_rng_gamma(r, k + 1.0, theta) * pow(u, 1.0 / k);
    }
    double d = k - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x = normal(r), v = 1.0 + c * x;
        if (v <= 0.0)
            continue;
        v = v * v * v;
        double u = 1.0 - bench_rng_uniform(r);
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
            return d * v * theta;
    }
}

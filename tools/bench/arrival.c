/* Gamma-distributed arrival schedule. Depends on libm and tools/bench/rng. */
#include "arrival.h"

#include <math.h>

#include "rng.h"

void bench_arrival_schedule(size_t n, double rate, double burstiness, unsigned long long seed,
                            double *out)
{
    struct bench_rng r;
    double t = 0.0;

    if (n == 0)
        return;
    if (isinf(rate)) {
        for (size_t i = 0; i < n; i++)
            out[i] = 0.0;
        return;
    }
    bench_rng_seed(&r, seed);
    double theta = 1.0 / (rate * burstiness);
    for (size_t i = 0; i < n; i++) {
        t += bench_rng_gamma(&r, burstiness, theta);
        out[i] = t;
    }
    /* Summed random gaps miss n/rate by a few percent; vLLM rescales to close that gap. */
    if (out[n - 1] > 0.0) {
        double scale = ((double)n / rate) / out[n - 1];
        for (size_t i = 0; i < n; i++)
            out[i] *= scale;
    }
}

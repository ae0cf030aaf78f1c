/* Unit tests for common/hash: pinned known answers (any change to the function changes which
 * instance every router maps a key to, so it must be deliberate), avalanche, every short length
 * read from exact-size allocations (ASan catches a read past `len`), and bucket distribution. */
#include "hash.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* Deterministic test input: xorshift64. */
static uint64_t rng_state = UINT64_C(88172645463325252);

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

struct kat {
    const char *in;
    uint64_t seed;
    uint64_t out;
};

/* Computed once from this implementation (identical with and without __int128) and pinned. */
static const struct kat kats[] = {
    {"", 0, UINT64_C(0x494488f784f461c1)},
    {"a", 0, UINT64_C(0x0f3a240a1ca05045)},
    {"ab", 0, UINT64_C(0x9d0e1dcdc8b657f5)},
    {"abc", 0, UINT64_C(0x91c83c5118801d1b)},
    {"abcd", 0, UINT64_C(0x0722f6823ded5f6e)},
    {"hello", 0, UINT64_C(0x895076277b766fdb)},
    {"1234567", 0, UINT64_C(0xbe85f8ee1d86ee24)},
    {"12345678", 0, UINT64_C(0x4ec0813bbe03f290)},
    {"hello, world!", 0, UINT64_C(0x5815facc7b3309fa)},
    {"0123456789abcdef", 0, UINT64_C(0x1f3fcdb1c9e411f9)},
    {"0123456789abcdefg", 0, UINT64_C(0xf7b32b5f732fd9c5)},
    {"The quick brown fox jumps over the lazy dog", 0, UINT64_C(0x2436342f95ff47f8)},
    {"The quick brown fox jumps over the lazy dog, twice: the quick brown fox!", 0,
     UINT64_C(0x167a5e1dad2dbe7e)},
    {"", UINT64_C(0x0123456789abcdef), UINT64_C(0xda279c2c5098f217)},
    {"abc", UINT64_C(0x0123456789abcdef), UINT64_C(0x483c2aecd8820bba)},
    {"1234567", UINT64_C(0x0123456789abcdef), UINT64_C(0x4dd193ddfa2c0790)},
    {"0123456789abcdef", UINT64_C(0x0123456789abcdef), UINT64_C(0xbcaf3bdcb0fbddcd)},
};

TEST(known_answers)
{
    for (size_t i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
        uint64_t h = hash64(kats[i].in, strlen(kats[i].in), kats[i].seed);
        if (h != kats[i].out)
            HARNESS_FAIL_("hash64(\"%s\", %#llx) = %#llx, pinned %#llx", kats[i].in,
                          (unsigned long long)kats[i].seed, (unsigned long long)h,
                          (unsigned long long)kats[i].out);
    }
    unsigned char b[256];
    for (int i = 0; i < 256; i++)
        b[i] = (unsigned char)i;
    ASSERT_TRUE(hash64(b, sizeof(b), 0) == UINT64_C(0xfa08d9bf30caf787));
    ASSERT_TRUE(hash64_u64(42, 7) == UINT64_C(0x4fb9b28a66f139d6));
    ASSERT_TRUE(hash64_str("hello") == hash64("hello", 5, 0));
    ASSERT_TRUE(hash64(NULL, 0, 0) == kats[0].out);
}

TEST(u64_is_little_endian_bytes)
{
    for (int i = 0; i < 100; i++) {
        uint64_t v = rng(), seed = rng();
        unsigned char b[8];
        for (int j = 0; j < 8; j++)
            b[j] = (unsigned char)(v >> (8 * j));
        ASSERT_TRUE(hash64_u64(v, seed) == hash64(b, 8, seed));
    }
}

TEST(chaining_depends_on_boundaries)
{
    uint64_t ab_c = hash64("c", 1, hash64("ab", 2, 0));
    uint64_t a_bc = hash64("bc", 2, hash64("a", 1, 0));

    ASSERT_TRUE(ab_c != a_bc);
    ASSERT_TRUE(ab_c != hash64("abc", 3, 0));
    ASSERT_TRUE(hash64("x", 1, 0) != hash64("x", 1, 1));
}

/* Flips every input bit (and every seed bit) of random inputs: on average half of the output
 * bits must change, and no output bit may be badly biased for any input bit. */
static void avalanche(size_t len, int samples)
{
    static unsigned flips[(64 + 8 * 80) * 64];
    unsigned char buf[80];
    size_t nbits = 8 * len + 64;
    double total = 0;

    memset(flips, 0, sizeof(flips));
    for (int s = 0; s < samples; s++) {
        for (size_t i = 0; i < len; i++)
            buf[i] = (unsigned char)rng();
        uint64_t seed = rng(), h = hash64(buf, len, seed);
        for (size_t b = 0; b < nbits; b++) {
            uint64_t h2;
            if (b < 8 * len) {
                buf[b / 8] ^= (unsigned char)(1u << (b % 8));
                h2 = hash64(buf, len, seed);
                buf[b / 8] ^= (unsigned char)(1u << (b % 8));
            } else {
                h2 = hash64(buf, len, seed ^ (UINT64_C(1) << (b - 8 * len)));
            }
            uint64_t d = h ^ h2;
            total += __builtin_popcountll(d);
            for (int o = 0; o < 64; o++)
                flips[b * 64 + (size_t)o] += (unsigned)((d >> o) & 1);
        }
    }
    double mean = total / (double)(nbits * (size_t)samples);
    ASSERT_LT(31.5, mean);
    ASSERT_LT(mean, 32.5);
    /* A fair bit flips samples/2 +- sqrt(samples)/2 times; allow 7 sigma, which no pair of
     * the ~200,000 (input bit, output bit) pairs should reach by chance. */
    double half = samples / 2.0, slack = 3.5 * sqrt((double)samples);
    for (size_t i = 0; i < nbits * 64; i++) {
        ASSERT_LT(half - slack, flips[i]);
        ASSERT_LT(flips[i], half + slack);
    }
}

TEST(avalanche_bits)
{
    static const size_t lens[] = {0, 1, 3, 4, 7, 8, 12, 16, 17, 32, 33, 48, 49, 64, 80};

    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
        avalanche(lens[i], 400);
}

TEST(all_short_lengths_in_bounds)
{
    uint64_t seen[65];

    for (size_t len = 0; len <= 64; len++) {
        /* Exactly `len` bytes (at least 1 for malloc), so ASan flags any over-read. */
        unsigned char *p = malloc(len ? len : 1);
        ASSERT_NOT_NULL(p);
        for (size_t i = 0; i < len; i++)
            p[i] = (unsigned char)('a' + i % 26);
        seen[len] = hash64(p, len, 0);
        /* The same bytes at another alignment hash the same. */
        unsigned char *q = malloc(len + 3);
        ASSERT_NOT_NULL(q);
        if (len)
            memcpy(q + 3, p, len);
        ASSERT_TRUE(hash64(q + 3, len, 0) == seen[len]);
        for (size_t j = 0; j < len; j++)
            ASSERT_TRUE(hash64(p, j, 0) == seen[j]);
        free(q);
        free(p);
        for (size_t j = 0; j < len; j++)
            ASSERT_TRUE(seen[j] != seen[len]);
    }
}

/* Chi-square of 200,000 similar keys over 1,024 buckets, from the low and the high bits. For
 * 1,023 degrees of freedom the mean is 1,023 and the standard deviation ~45; 1,300 is > 6 sigma. */
TEST(bucket_distribution)
{
    enum { KEYS = 200000, BUCKETS = 1024 };
    static unsigned lo[BUCKETS], hi[BUCKETS];
    char key[32];

    for (int i = 0; i < KEYS; i++) {
        snprintf(key, sizeof(key), "conv-%d", i);
        uint64_t h = hash64_str(key);
        lo[h % BUCKETS]++;
        hi[h >> 54]++;
    }
    double e = (double)KEYS / BUCKETS, clo = 0, chi = 0;
    for (int b = 0; b < BUCKETS; b++) {
        clo += (lo[b] - e) * (lo[b] - e) / e;
        chi += (hi[b] - e) * (hi[b] - e) / e;
    }
    ASSERT_LT(clo, 1300);
    ASSERT_LT(chi, 1300);
}

HARNESS_MAIN(CASE(known_answers), CASE(u64_is_little_endian_bytes),
             CASE(chaining_depends_on_boundaries), CASE(avalanche_bits),
             CASE(all_short_lengths_in_bounds), CASE(bucket_distribution))

/* hash64: a multiply-fold hash in the style of wyhash, written for this project. Each step
 * multiplies two 64-bit words into 128 bits and folds the halves together (xor), which mixes
 * every input bit into every output bit in one multiplication. Inputs up to 16 bytes take two
 * overlapping reads and one step; longer inputs run three independent lanes over 48-byte stripes
 * (so the multiplier pipelines), then 16-byte steps, then a final overlapping 16-byte tail. All
 * loads are assembled from bytes in little-endian order, so the value is the same on every host;
 * the compiler turns them into plain loads on little-endian machines. Depends on libc only. */
#include "hash.h"

#include <string.h>

/* Odd "nothing up my sleeve" constants with about half their bits set: 2^64 / golden ratio and
 * the fractional parts of the square roots of 3, 5 and 7. */
#define K0 UINT64_C(0x9e3779b97f4a7c15)
#define K1 UINT64_C(0xbb67ae8584caa73b)
#define K2 UINT64_C(0x3c6ef372fe94f82b)
#define K3 UINT64_C(0xa54ff53a5f1d36f1)

static inline void mul128(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi)
{
#if defined(__SIZEOF_INT128__) && !defined(HASH_NO_INT128)
    unsigned __int128 r = (unsigned __int128)a * b;
    *lo = (uint64_t)r;
    *hi = (uint64_t)(r >> 64);
#else
    /* Schoolbook on 32-bit halves: gives the same 128-bit product, so the same hashes. */
    uint64_t al = a & 0xffffffffu, ah = a >> 32, bl = b & 0xffffffffu, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
    *lo = (ll & 0xffffffffu) | (mid << 32);
    *hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
#endif
}

static inline uint64_t fold(uint64_t a, uint64_t b)
{
    uint64_t lo, hi;

    mul128(a, b, &lo, &hi);
    return lo ^ hi;
}

static inline uint64_t rd64(const unsigned char *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

static inline uint64_t rd32(const unsigned char *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
}

/* One absorbing step. The old state is xored back in so that a word that happens to zero one
 * factor (x == k) cannot wipe out everything hashed before it. */
static inline uint64_t step(uint64_t s, uint64_t x, uint64_t y, uint64_t k)
{
    return fold(x ^ k, y ^ s) ^ s;
}

uint64_t hash64(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    /* Pre-mix the seed so that close seeds (0, 1, 2, ... or chained values) start far apart. */
    uint64_t s = seed ^ fold(seed ^ K0, K1);
    uint64_t a, b;

    if (len <= 16) {
        if (len >= 8) {
            a = rd64(p);
            b = rd64(p + len - 8);
        } else if (len >= 4) {
            a = rd32(p);
            b = rd32(p + len - 4);
        } else if (len > 0) {
            /* First, middle and last byte: with the length, covers every byte of 1..3. */
            a = (uint64_t)p[0] << 16 | (uint64_t)p[len >> 1] << 8 | p[len - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t n = len;
        if (n > 48) {
            uint64_t s1 = s ^ K2, s2 = s ^ K3;
            do {
                s = step(s, rd64(p), rd64(p + 8), K1);
                s1 = step(s1, rd64(p + 16), rd64(p + 24), K2);
                s2 = step(s2, rd64(p + 32), rd64(p + 40), K3);
                p += 48;
                n -= 48;
            } while (n > 48);
            s ^= s1 ^ s2;
        }
        while (n > 16) {
            s = step(s, rd64(p), rd64(p + 8), K1);
            p += 16;
            n -= 16;
        }
        /* 1..16 bytes remain; the last 16 bytes of the input overlap what was hashed already,
         * which is inside the buffer because at least one 16-byte step ran. */
        a = rd64(p + n - 16);
        b = rd64(p + n - 8);
    }
    uint64_t lo, hi;
    mul128(a ^ K1, b ^ s, &lo, &hi);
    return fold(lo ^ K0 ^ (uint64_t)len, hi ^ s ^ K2);
}

uint64_t hash64_str(const char *s)
{
    return hash64(s, strlen(s), 0);
}

uint64_t hash64_u64(uint64_t v, uint64_t seed)
{
    unsigned char b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    return hash64(b, sizeof(b), seed);
}

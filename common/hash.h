/* A fast 64-bit non-cryptographic hash with a fixed definition: the same bytes and seed give the
 * same value in every process, run and machine (no random seeding, input read as little-endian),
 * because every router replica must map a key to the same instance. It is unkeyed, so it is not
 * meant to resist deliberately colliding inputs. Depends on libc only. */
#ifndef SVC_COMMON_HASH_H
#define SVC_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Hashes `len` bytes at `data` (borrowed; may be NULL when len is 0; never read past `len`).
 * Chain pieces by passing the previous result as `seed`: hash64(b, nb, hash64(a, na, 0)). */
uint64_t hash64(const void *data, size_t len, uint64_t seed);

/* hash64(s, strlen(s), 0). `s` is borrowed and must not be NULL. */
uint64_t hash64_str(const char *s);

/* hash64() of the 8-byte little-endian encoding of `v`: for hashing integers (a replica index,
 * a previous hash) identically on every host. */
uint64_t hash64_u64(uint64_t v, uint64_t seed);

#endif

/* The order examples are visited in: the identity for evaluation, or a
 * shuffle that is a pure function of (seed, epoch), so a resumed run sees
 * the batches an uninterrupted one would. Shared by every kind of data set
 * (images, sentences). */
#ifndef VG_ORDER_H
#define VG_ORDER_H

#include <stdint.h>

/* order[0..n) = 0..n-1, then, with shuffle, permuted by vg_shuffle keyed by
 * (seed, epoch). */
void vg_order(int64_t *order, int64_t n, int shuffle, uint64_t seed, uint64_t epoch);

/* Fisher-Yates over v[0..n) driven by the counter RNG: the permutation is a
 * function of (seed, step, stream) and n alone. Different streams give
 * unrelated permutations for the same seed. */
void vg_shuffle(int64_t *v, int64_t n, uint64_t seed, uint64_t step, uint32_t stream);

#endif

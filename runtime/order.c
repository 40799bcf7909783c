/* Visiting orders (order.h). */
#include "order.h"

#include "rng.h"

/* The stream of epoch orders; changing it would change every run's batches
 * and break the exact resume of older checkpoints. */
#define ORDER_STREAM 0x5EED5u

void vg_shuffle(int64_t *v, int64_t n, uint64_t seed, uint64_t step, uint32_t stream) {
  for (int64_t i = n - 1; i > 0; i--) {
    int64_t j = (int64_t)(vg_rng_uniform(seed, step, stream, (uint64_t)i) * (double)(i + 1));
    if (j > i) j = i; /* u < 1, but u * (i + 1) can round up to i + 1 */
    int64_t t = v[i];
    v[i] = v[j];
    v[j] = t;
  }
}

void vg_order(int64_t *order, int64_t n, int shuffle, uint64_t seed, uint64_t epoch) {
  for (int64_t i = 0; i < n; i++) order[i] = i;
  if (shuffle) vg_shuffle(order, n, seed, epoch, ORDER_STREAM);
}

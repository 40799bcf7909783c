#include "sample.h"

#include <math.h>

#include "rng.h"

void vg_pick_rows(const float *logits, int64_t rows, int64_t V, double temperature, uint64_t seed, uint64_t step,
                  uint32_t stream, int64_t *out) {
  for (int64_t r = 0; r < rows; r++) {
    const float *x = logits + r * V;
    int64_t best = 0;
    for (int64_t j = 1; j < V; j++) best = x[j] > x[best] ? j : best;
    if (temperature > 0) {
      /* Shifted by the maximum, so exp cannot overflow. */
      double total = 0;
      for (int64_t j = 0; j < V; j++) total += exp(((double)x[j] - x[best]) / temperature);
      const double u = vg_rng_uniform(seed, step, stream, (uint64_t)r) * total;
      double acc = 0;
      for (int64_t j = 0; j < V; j++) {
        acc += exp(((double)x[j] - x[best]) / temperature);
        if (u < acc) {
          best = j;
          break;
        }
      }
    }
    out[r] = best;
  }
}

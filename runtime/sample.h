/* Drawing discrete choices from a model's outputs on the host: the next
 * word of a sentence decoded one step at a time. */
#ifndef VG_SAMPLE_H
#define VG_SAMPLE_H

#include <stdint.h>

/* One class per row of logits [rows, V]: the most likely (the first of
 * ties) at temperature 0, else one drawn from softmax(logits / temperature)
 * by the counter RNG keyed (seed, step, stream, row), so the draw does not
 * depend on the thread count. out[r] is in [0, V). temperature >= 0. */
void vg_pick_rows(const float *logits, int64_t rows, int64_t V, double temperature, uint64_t seed, uint64_t step,
                  uint32_t stream, int64_t *out);

#endif

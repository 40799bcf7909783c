/* Counter-based random numbers (Philox4x32-10, Salmon et al. 2011).
 *
 * A number is a pure function of (seed, step, stream, index): a kernel can
 * draw element i from any thread, and recompute it in the backward pass, and
 * get the same value. That is what makes results independent of the thread
 * count and lets random ops save nothing for their backward. */
#ifndef VG_RNG_H
#define VG_RNG_H

#include <math.h>
#include <stdint.h>

static inline uint32_t vg_mulhilo32(uint32_t a, uint32_t b, uint32_t *hi) {
  uint64_t p = (uint64_t)a * b;
  *hi = (uint32_t)(p >> 32);
  return (uint32_t)p;
}

/* Philox4x32 with 10 rounds; ctr is the 128-bit counter, key the seed. */
static inline void vg_philox(uint64_t key, const uint32_t ctr[4], uint32_t out[4]) {
  uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
  uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
  for (int r = 0; r < 10; r++) {
    uint32_t hi0, hi1;
    uint32_t lo0 = vg_mulhilo32(0xD2511F53u, c0, &hi0);
    uint32_t lo1 = vg_mulhilo32(0xCD9E8D57u, c2, &hi1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

static inline void vg_rng_block(uint64_t seed, uint64_t step, uint32_t stream, uint64_t i, uint32_t out[4]) {
  const uint32_t ctr[4] = {(uint32_t)i, (uint32_t)(i >> 32), stream, (uint32_t)step ^ (uint32_t)(step >> 32) * 0x85EBCA6Bu};
  vg_philox(seed, ctr, out);
}

/* Uniform in [0, 1), 53 bits. */
static inline double vg_rng_uniform(uint64_t seed, uint64_t step, uint32_t stream, uint64_t i) {
  uint32_t u[4];
  vg_rng_block(seed, step, stream, i, u);
  return (double)(((uint64_t)u[0] << 21) ^ (u[1] >> 11)) * 0x1.0p-53;
}

/* Standard normal by Box-Muller; the log's argument is in (0, 1]. */
static inline double vg_rng_normal(uint64_t seed, uint64_t step, uint32_t stream, uint64_t i) {
  uint32_t u[4];
  vg_rng_block(seed, step, stream, i, u);
  double u1 = ((double)u[0] + 1.0) * 0x1.0p-32;
  double u2 = (double)u[1] * 0x1.0p-32;
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Standard Gumbel, -log(-log u), with u = (k + 1/2) 2^-52 for a 52-bit k:
 * strictly inside (0, 1) (k + 1/2 is exact in a double), so both logs are
 * finite and the draws lie in about [-3.6, 36.7]. */
static inline double vg_rng_gumbel(uint64_t seed, uint64_t step, uint32_t stream, uint64_t i) {
  uint32_t u[4];
  vg_rng_block(seed, step, stream, i, u);
  const double v = ((double)(((uint64_t)u[0] << 20) ^ (u[1] >> 12)) + 0.5) * 0x1.0p-52;
  return -log(-log(v));
}

/* FNV-1a: a stream id from a name, so a parameter's initial values do not
 * change when unrelated nodes are added to the graph. */
static inline uint32_t vg_rng_stream(const char *name) {
  uint32_t h = 2166136261u;
  for (; *name; name++) h = (h ^ (uint8_t)*name) * 16777619u;
  return h;
}

#endif

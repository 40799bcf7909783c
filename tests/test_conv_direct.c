/* Tests the float direct-convolution kernels (ops/conv_direct.h) on every
 * path this CPU runs (portable, AVX2, AVX-512) against sums in double, over
 * channel counts that leave every remainder of the register tiles, tap
 * counts 1 to 9 and lengths with and without a vector tail; and that a
 * weight gradient with first = 0 adds to what is there. The gradient
 * checks run the double build, which takes the portable loops only, so
 * this is where the vector kernels' arithmetic is checked. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "conv_direct.h"
#include "isa.h"

static int failures, checks;
static unsigned rng = 7;
static float frand(void) {
  rng = rng * 1664525u + 1013904223u;
  return (float)((rng >> 8) & 0xFFFFFF) / 8388608.0f - 1.0f;
}

static void check(const char *what, vg_isa isa, int Co, int Ci, int T, int Q, double want, double got, double scale) {
  checks++;
  if (fabs(want - got) <= 1e-5 * scale + 1e-6) return;
  if (failures++ < 5)
    printf("FAIL %s on %s (Co %d, Ci %d, T %d, Q %d): %.9g, want %.9g\n", what, vg_isa_name(isa), Co, Ci, T, Q, got,
           want);
}

static void one_case(vg_isa isa, int Co, int Ci, int T, int Q) {
  const int64_t plane = Q + 40, ldo = Q + 3;
  int64_t off[9];
  for (int t = 0; t < T; t++) off[t] = (t * 7) % 41; /* taps within [0, 40] */
  float *w = malloc(sizeof *w * Co * Ci * T), *in = malloc(sizeof *in * Ci * plane);
  float *out = malloc(sizeof *out * Co * ldo), *dy = malloc(sizeof *dy * Co * ldo), *dw = malloc(sizeof *dw * Co * Ci * T);
  if (!w || !in || !out || !dy || !dw) {
    printf("FAIL out of memory\n");
    exit(1);
  }
  for (int i = 0; i < Co * Ci * T; i++) w[i] = frand(), dw[i] = frand();
  for (int64_t i = 0; i < Ci * plane; i++) in[i] = frand();
  for (int64_t i = 0; i < Co * ldo; i++) dy[i] = frand(), out[i] = 1e30f;
  vg_dconv_fwd_f32(Co, Ci, T, off, w, in, plane, Q, out, ldo);
  for (int o = 0; o < Co; o++)
    for (int q = 0; q < Q; q++) {
      double s = 0, a = 0;
      for (int ci = 0; ci < Ci; ci++)
        for (int t = 0; t < T; t++) {
          const double p = (double)w[(o * Ci + ci) * T + t] * in[ci * plane + off[t] + q];
          s += p, a += fabs(p);
        }
      check("forward", isa, Co, Ci, T, Q, s, out[o * ldo + q], a);
    }
  float *before = malloc(sizeof *before * Co * Ci * T);
  if (!before) exit(1);
  for (int i = 0; i < Co * Ci * T; i++) before[i] = dw[i];
  for (int first = 1; first >= 0; first--) {
    if (!first)
      for (int i = 0; i < Co * Ci * T; i++) before[i] = dw[i];
    vg_dconv_dw_f32(Co, Ci, T, off, dy, ldo, in, plane, Q, dw, first);
    for (int o = 0; o < Co; o++)
      for (int ci = 0; ci < Ci; ci++)
        for (int t = 0; t < T; t++) {
          double s = first ? 0 : before[(o * Ci + ci) * T + t], a = fabs(s);
          for (int q = 0; q < Q; q++) {
            const double p = (double)dy[o * ldo + q] * in[ci * plane + off[t] + q];
            s += p, a += fabs(p);
          }
          check(first ? "weight gradient" : "weight gradient, added", isa, Co, Ci, T, Q, s, dw[(o * Ci + ci) * T + t],
                a);
        }
  }
  free(w), free(in), free(out), free(dy), free(dw), free(before);
}

int main(void) {
  const int cos[] = {1, 2, 3, 4, 5, 7, 16}, cis[] = {1, 3, 16}, ts[] = {1, 2, 4, 9};
  const int qs[] = {1, 7, 8, 15, 16, 17, 24, 95, 96, 97, 200, 1000};
  for (int isa = VG_ISA_PORTABLE; isa <= (int)vg_isa_cpu(); isa++) {
    vg_isa_force((vg_isa)isa);
    for (size_t a = 0; a < sizeof cos / sizeof *cos; a++)
      for (size_t b = 0; b < sizeof cis / sizeof *cis; b++)
        for (size_t c = 0; c < sizeof ts / sizeof *ts; c++)
          for (size_t d = 0; d < sizeof qs / sizeof *qs; d++) one_case((vg_isa)isa, cos[a], cis[b], ts[c], qs[d]);
    printf("%s path checked\n", vg_isa_name((vg_isa)isa));
  }
  printf("%d checks, %d failures\n", checks, failures);
  return failures != 0;
}

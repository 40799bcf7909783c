/* Direct convolution kernels for conv.c, on images flattened with their
 * padding: a stride-1 convolution of a zero-padded image [Ci, Hp, Wp] is,
 * over the flat index q = oh * Wp + ow, a sum of shifted copies of the
 * image (tap (i, j) reads q + i*d*Wp + j*d). Output positions whose column
 * lies in the padding (ow >= OW) come out as garbage and are dropped by the
 * caller; in return every tap is a contiguous vector, so the output
 * channels and pixels a kernel call works on stay in registers.
 *
 * Compiled for float and double like the op files; the float build uses
 * AVX2 + FMA when the CPU has them (chosen once per process). Sums run in a
 * fixed order that does not depend on threads. */
#ifndef VG_CONV_DIRECT_H
#define VG_CONV_DIRECT_H

#include <stdint.h>

#include "../runtime/op.h"

/* out[o * ldo + q] = sum over ci < Ci, t < T of
 *   w[(o * Ci + ci) * T + t] * in[ci * plane + off[t] + q]
 * for o < Co, q < Q. Reads in[] only at q < Q. */
void VG_SFX(vg_dconv_fwd)(int Co, int Ci, int T, const int64_t *off, const vg_real *w, const vg_real *in,
                          int64_t plane, int Q, vg_real *out, int64_t ldo);

/* dw[(o * Ci + ci) * T + t] = (first ? 0 : dw[...]) + sum over q < Q of
 *   dy[o * ldd + q] * in[ci * plane + off[t] + q]
 * for o < Co, ci < Ci, t < T. */
void VG_SFX(vg_dconv_dw)(int Co, int Ci, int T, const int64_t *off, const vg_real *dy, int64_t ldd,
                         const vg_real *in, int64_t plane, int Q, vg_real *dw, int first);

#endif

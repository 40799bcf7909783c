/* Convolution kernels on images in lanes: a group of up to VG_LANES images
 * stored [C][H][W][lane], so that one vector holds the same pixel of every
 * image of the group. With the few channels of the autoencoders (1 to 32)
 * the usual layouts leave a vector mostly empty or full of padding; here
 * every multiply-add is a whole vector of useful work at any stride,
 * padding or dilation, the borders are zeros written once into the input's
 * margin, and each tap is a plain address: no phases, no garbage columns.
 *
 * The lane count is the build's vector width (ops are compiled once per
 * instruction set: runtime/op.h), so groups, and the order of sums, belong
 * to a path; within a path the sums run in a fixed order that does not
 * depend on threads. Buffers are sized for VG_LANES_MAX lanes whatever the
 * path, since shape inference runs in the portable build. */
#ifndef VG_CONV_LANES_H
#define VG_CONV_LANES_H

#include <stdint.h>

#include "../runtime/op.h"

#if defined(VG_REAL_DOUBLE)
#define VG_LANES 2 /* 16 bytes: the gradient checks' build has SSE2 only */
#elif defined(__AVX512F__)
#define VG_LANES 16
#elif defined(__AVX2__)
#define VG_LANES 8
#else
#define VG_LANES 4
#endif
#define VG_LANES_MAX 16
/* The kernels keep a weight row's offsets on the stack: at most this many
 * channels on either side and taps. */
#define VG_LANES_MAX_CHANNELS 32
#define VG_LANES_MAX_TAPS 64

/* One convolution between an image side [C][Hp][Wp] (padded: every window
 * lies inside) and a grid side [Co][OH][OW]; window (oh, ow), tap (i, j)
 * reads image pixel (oh s + i d, ow s + j d). Weights [Co][C][kh][kw]. */
typedef struct vg_lgeom {
  int C, Co, Hp, Wp, OH, OW, kh, kw, s, d;
} vg_lgeom;

/* dst [C][Hp][Wp][lane] = image `lane` of src [m][C][H][W] at pixel
 * (y - top, x - left), zero outside it and in lanes >= m. */
void VG_SFX(vg_lanes_pack)(const vg_real *src, int m, int C, int H, int W, int top, int left, int Hp, int Wp,
                           vg_real *dst);

/* dst [m][C][H][W] = (add ? dst : 0) + src [C][Hs][Ws][lane] at pixel
 * (y + top, x + left) (zero where that lies outside src) + bias[c] if given. */
void VG_SFX(vg_lanes_unpack)(const vg_real *src, int m, int C, int Hs, int Ws, int top, int left, int H, int W,
                             vg_real *dst, int add, const vg_real *bias);

/* y [Co][OH][OW][lane] = the convolution of xp [C][Hp][Wp][lane] by w. */
void VG_SFX(vg_lconv_fwd)(const vg_lgeom *g, const vg_real *w, const vg_real *xp, vg_real *y);

/* dxp [C][Hp][Wp][lane] += its adjoint applied to dy [Co][OH][OW][lane]. */
void VG_SFX(vg_lconv_bwd)(const vg_lgeom *g, const vg_real *w, const vg_real *dy, vg_real *dxp);

/* dw [Co][C][kh][kw] = (first ? 0 : dw) + the correlation of dy with xp,
 * summed over pixels and lanes; dy's pixel (o, oh, ow) is the vector at
 * dy + (o dyplane + oh dyrow + ow) lanes (dy may lie inside a larger,
 * padded buffer). */
void VG_SFX(vg_lconv_dw)(const vg_lgeom *g, const vg_real *dy, int64_t dyrow, int64_t dyplane, const vg_real *xp,
                         vg_real *dw, int first);

#endif

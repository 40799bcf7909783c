/* exp, log, tanh and sigmoid for elementwise loops. The C library's expf, logf
 * and tanhf are calls the vectoriser cannot widen, and they cost more than the
 * rest of a sigmoid or tanh layer; these are branch-free arithmetic (range
 * reduction and a polynomial, Cephes' coefficients) that a loop turns into
 * vector code, within 3 ulp of the library's results. The double build, which
 * the gradient checks use, keeps the library's functions. */
#ifndef VG_VMATH_H
#define VG_VMATH_H

#include <math.h>
#include <stdint.h>

#ifdef VG_REAL_DOUBLE
static inline double vg_exp(double x) { return exp(x); }
static inline double vg_log(double x) { return log(x); }
static inline double vg_tanh(double x) { return tanh(x); }
static inline double vg_sigmoid(double x) {
  const double e = exp(-fabs(x)), r = 1 / (1 + e);
  return x >= 0 ? r : e * r;
}
#else
/* e^x: x = n ln 2 + r with |r| <= ln 2 / 2, e^r by a degree-6 polynomial,
 * 2^n put straight into the exponent bits. Overflows to +inf and
 * underflows to 0 where expf does (below -87.3 it flushes expf's
 * subnormals to 0); NaN stays NaN. */
static inline float vg_exp(float x) {
  const float hi = 88.72283f, lo = -87.33654f;
  /* Every comparison is made unconditionally and each select takes one:
   * GCC will not if-convert (and so not vectorise) a comparison that C
   * evaluates only on some paths, since it may raise a floating-point
   * exception. */
  const int is_nan = x != x, over = x >= hi, under = x <= lo;
  float c = x > lo ? x : lo; /* a NaN becomes lo here, and is returned below */
  c = c < hi ? c : hi;
  /* n = round(c / ln 2) by adding 1.5 * 2^23, which leaves n in the low
   * mantissa bits: no float-int conversions, whose rounding calls GCC
   * will not if-convert (so would not vectorise) at AVX2 and up. */
  union {
    float f;
    int32_t i;
  } k = {c * 1.44269504088896341f + 12582912.0f};
  const int32_t n = k.i - 0x4B400000;
  const float fn = k.f - 12582912.0f;
  const float r = (c - fn * 0.693359375f) + fn * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  union {
    int32_t i;
    float f;
  } s;
  /* 2^n with n in [-126, 128]: 2^128 is not a float, so n > 0 is built as
   * 2^(n-1) * 2. */
  const int32_t m = n > 0 ? n - 1 : n;
  s.i = (m + 127) * (1 << 23);
  const float two = n > 0 ? 2.0f : 1.0f;
  float y = p * s.f * two;
  y = under ? 0.0f : y;
  y = over ? INFINITY : y;
  return is_nan ? x : y;
}

/* log x: x = m 2^e with m in [sqrt(1/2), sqrt(2)), log(m) by a polynomial
 * in m - 1, e ln 2 added in two parts. Subnormals are scaled up first;
 * 0 gives -inf, negatives and NaN give NaN, +inf gives +inf. */
static inline float vg_log(float x) {
  const int sub = x < 1.17549435e-38f, is_zero = x == 0, neg = x < 0, inf = x == INFINITY, is_nan = x != x;
  const float xs = sub ? x * 8388608.0f : x; /* 2^23 */
  union {
    int32_t i;
    float f;
  } u;
  u.f = xs;
  int32_t e = ((u.i >> 23) & 0xff) - 126;
  u.i = (u.i & 0x007fffff) | 0x3f000000; /* mantissa in [0.5, 1) */
  const int low = u.f < 0.707106781186547524f;
  e = low ? e - 1 : e;
  const float m = (low ? u.f + u.f : u.f) - 1.0f;
  const float fe = (float)e - (sub ? 23.0f : 0.0f), z = m * m;
  float p = 7.0376836292e-2f;
  p = p * m - 1.1514610310e-1f;
  p = p * m + 1.1676998740e-1f;
  p = p * m - 1.2420140846e-1f;
  p = p * m + 1.4249322787e-1f;
  p = p * m - 1.6668057665e-1f;
  p = p * m + 2.0000714765e-1f;
  p = p * m - 2.4999993993e-1f;
  p = p * m + 3.3333331174e-1f;
  float y = p * m * z + fe * -2.12194440e-4f - 0.5f * z;
  y = (m + y) + fe * 0.693359375f;
  y = inf ? x : y;
  y = is_zero ? -INFINITY : y;
  y = neg ? NAN : y;
  return is_nan ? x : y;
}

/* Odd polynomial below |x| = 0.625 (where 1 - 2 / (e^2x + 1) would lose
 * digits to cancellation), the exponential form above. */
static inline float vg_tanh(float x) {
  const float a = fabsf(x), z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = x + x * z * p;
  const float big = 1.0f - 2.0f / (vg_exp(2.0f * a) + 1.0f);
  const int is_small = a < 0.625f, negative = x < 0;
  const float large = negative ? -big : big;
  return is_small ? small : large;
}

/* 1 / (1 + e^-x), from e^-|x| so the exponential never overflows. */
static inline float vg_sigmoid(float x) {
  const float e = vg_exp(-fabsf(x)), r = 1.0f / (1.0f + e), er = e * r;
  const int positive = x >= 0;
  return positive ? r : er;
}
#endif

#endif

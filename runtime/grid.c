/* Image grids: many small images tiled into one picture. */
#include "plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pngfile.h"

/* NaN fails every comparison, so it lands on 0 with the values below lo. */
static uint8_t to_byte(float v, double lo, double span) {
  double t = ((double)v - lo) / span * 255.0;
  if (!(t > 0)) return 0;
  if (t >= 255) return 255;
  return (uint8_t)(t + 0.5);
}

vg_status vg_image_grid(const float *images, int n, int h, int w, int cols, int pad, int scale, float lo, float hi,
                        uint8_t **out, int *out_w, int *out_h) {
  if (!out || !out_w || !out_h) return VG_ERR_ARG;
  *out = NULL;
  *out_w = *out_h = 0;
  if (!images || n < 1 || h < 1 || w < 1 || cols < 1 || pad < 0 || scale < 1) return VG_ERR_ARG;
  if (!isfinite(lo) || !isfinite(hi) || !(hi > lo)) return VG_ERR_ARG;
  int rows = (n - 1) / cols + 1;
  /* Sizes in int64 with a check at each step: every factor is below 2^31 and
   * each bound keeps the next product below 2^63. */
  int64_t gw = (int64_t)cols * w + ((int64_t)cols + 1) * pad;
  int64_t gh = (int64_t)rows * h + ((int64_t)rows + 1) * pad;
  if (gw > VG_PNG_MAX_BYTES || gh > VG_PNG_MAX_BYTES) return VG_ERR_ARG;
  int64_t ow = gw * scale, oh = gh * scale;
  if (ow > VG_PNG_MAX_BYTES || oh > VG_PNG_MAX_BYTES || ow * oh > VG_PNG_MAX_BYTES) return VG_ERR_ARG;

  uint8_t *img = malloc((size_t)(ow * oh));
  if (!img) return VG_ERR_NOMEM;
  memset(img, 128, (size_t)(ow * oh));
  double span = (double)hi - lo;
  for (int i = 0; i < n; i++) {
    const float *src = images + (size_t)i * h * w;
    /* Top-left corner of the tile in output pixels. */
    int64_t ox = (pad + (int64_t)(i % cols) * (w + pad)) * scale;
    int64_t oy = (pad + (int64_t)(i / cols) * (h + pad)) * scale;
    for (int y = 0; y < h; y++) {
      uint8_t *first = img + (oy + (int64_t)y * scale) * ow + ox;
      for (int x = 0; x < w; x++) memset(first + (size_t)x * scale, to_byte(src[(size_t)y * w + x], lo, span), scale);
      for (int k = 1; k < scale; k++) memcpy(first + k * ow, first, (size_t)w * scale);
    }
  }
  *out = img;
  *out_w = (int)ow;
  *out_h = (int)oh;
  return VG_OK;
}

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

vg_status vg_image_grid(const float *images, int n, int channels, int h, int w, int cols, int pad, int scale,
                        float lo, float hi, uint8_t **out, int *out_w, int *out_h) {
  if (!out || !out_w || !out_h) return VG_ERR_ARG;
  *out = NULL;
  *out_w = *out_h = 0;
  if (!images || n < 1 || (channels != 1 && channels != 3) || h < 1 || w < 1 || cols < 1 || pad < 0 || scale < 1)
    return VG_ERR_ARG;
  if (!isfinite(lo) || !isfinite(hi) || !(hi > lo)) return VG_ERR_ARG;
  int rows = (n - 1) / cols + 1;
  /* Sizes in int64 with a check at each step: every factor is below 2^31 and
   * each bound keeps the next product below 2^63. */
  int64_t gw = (int64_t)cols * w + ((int64_t)cols + 1) * pad;
  int64_t gh = (int64_t)rows * h + ((int64_t)rows + 1) * pad;
  if (gw > VG_PNG_MAX_BYTES || gh > VG_PNG_MAX_BYTES) return VG_ERR_ARG;
  int64_t ow = gw * scale, oh = gh * scale;
  if (ow > VG_PNG_MAX_BYTES || oh > VG_PNG_MAX_BYTES || ow * oh * channels > VG_PNG_MAX_BYTES) return VG_ERR_ARG;

  size_t bytes = (size_t)(ow * oh * channels), stride = (size_t)ow * (size_t)channels;
  uint8_t *img = malloc(bytes);
  if (!img) return VG_ERR_NOMEM;
  memset(img, 128, bytes); /* the padding: mid-gray in every channel */
  double span = (double)hi - lo;
  size_t plane = (size_t)h * (size_t)w;
  for (int i = 0; i < n; i++) {
    /* Image i is [channels, h, w]: channel c's plane starts at c * plane. */
    const float *src = images + (size_t)i * (size_t)channels * plane;
    /* Top-left corner of the tile in output pixels. */
    int64_t ox = (pad + (int64_t)(i % cols) * (w + pad)) * scale;
    int64_t oy = (pad + (int64_t)(i / cols) * (h + pad)) * scale;
    for (int y = 0; y < h; y++) {
      /* Fill the first of the row's `scale` output rows, then copy it. */
      uint8_t *first = img + (size_t)(oy + (int64_t)y * scale) * stride + (size_t)ox * channels;
      for (int x = 0; x < w; x++)
        for (int c = 0; c < channels; c++) {
          uint8_t b = to_byte(src[c * plane + (size_t)y * w + x], lo, span);
          uint8_t *px = first + (size_t)x * scale * channels + c;
          for (int k = 0; k < scale; k++) px[(size_t)k * channels] = b;
        }
      for (int k = 1; k < scale; k++) memcpy(first + k * stride, first, (size_t)w * scale * channels);
    }
  }
  *out = img;
  *out_w = (int)ow;
  *out_h = (int)oh;
  return VG_OK;
}

vg_status vg_grid_png(const char *path, const vg_image_run *runs, int nruns, int channels, int h, int w, int cols,
                      int scale, float lo, float hi, char *err, size_t errlen) {
  int64_t n = 0;
  for (int r = 0; r < nruns; r++) n += runs[r].count > 0 ? runs[r].count : 0;
  const int64_t per = (int64_t)channels * h * w;
  if (n < 1 || n > INT32_MAX || per < 1 || n * per > ((int64_t)1 << 28))
    return vg_file_error(err, errlen, VG_ERR_ARG, path, "cannot make a grid of %lld images of %dx%dx%d", (long long)n,
                         channels, h, w);
  float *all = malloc((size_t)(n * per) * sizeof *all);
  if (!all) return vg_file_error(err, errlen, VG_ERR_NOMEM, path, "out of memory for %lld images", (long long)n);
  float *at = all;
  for (int r = 0; r < nruns; r++)
    if (runs[r].count > 0) {
      memcpy(at, runs[r].images, (size_t)((int64_t)runs[r].count * per) * sizeof *at);
      at += (int64_t)runs[r].count * per;
    }
  uint8_t *pix = NULL;
  int gw, gh;
  vg_status st = vg_image_grid(all, (int)n, channels, h, w, cols, 1, scale, lo, hi, &pix, &gw, &gh);
  free(all);
  if (st) return vg_file_error(err, errlen, st, path, "cannot make a grid of %lld %dx%d images", (long long)n, h, w);
  st = vg_png_write(path, gw, gh, channels, pix, err, errlen);
  free(pix);
  return st;
}

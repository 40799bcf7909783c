/* Helpers for the picture tests: a directory for their files, checks that
 * a write left no temporary file, and pixel lookups in a read-back RGB
 * picture. */
#ifndef VG_TEST_PIXELS_H
#define VG_TEST_PIXELS_H

#include <stdint.h>
#include <stdio.h>

static const char *dir;

static inline void path_of(char *buf, size_t len, const char *name) { snprintf(buf, len, "%s/%s", dir, name); }

static inline int exists(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f) fclose(f);
  return f != NULL;
}

static inline int tmp_exists(const char *path) {
  char t[600];
  snprintf(t, sizeof t, "%s.tmp", path);
  return exists(t);
}

/* Pixel (x, y) of a w-wide RGB picture is (r, g, b). */
static inline int is(const uint8_t *px, int w, int x, int y, int r, int g, int b) {
  const uint8_t *p = px + 3 * ((size_t)y * w + x);
  return p[0] == r && p[1] == g && p[2] == b;
}

/* How many pixels in the rectangle [x0, x1) x [y0, y1) are (r, g, b). */
static inline int count_in(const uint8_t *px, int w, int x0, int y0, int x1, int y1, int r, int g, int b) {
  int k = 0;
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++) k += is(px, w, x, y, r, g, b);
  return k;
}

static inline int count(const uint8_t *px, int w, int h, int r, int g, int b) { return count_in(px, w, 0, 0, w, h, r, g, b); }

#endif

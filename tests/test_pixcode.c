/* The lossless image coder (runtime/pixcode.h): every example of every
 * shape comes back exactly (widths that leave a partial group of the four
 * coders, single rows and columns, several channels, random and structured
 * pixels); pictures with flat backgrounds code small and random bytes no
 * larger than the bound, even in its worst case (1.5 bytes a pixel); a
 * value the model never saw is refused; and a truncated, padded, flipped or
 * foreign code is reported, never read past. With
 * VG_MNIST_DIR set (ctest does when ../shared/data/mnist is there), all
 * 10,000 MNIST test digits come back too, in under 30% of their bytes. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "idx.h"
#include "pixcode.h"
#include "rng.h"

/* n examples of c x h x w: "blobs" are objects of smooth values on a zero
 * background, like Fashion-MNIST; "noise" is uniform bytes. */
static uint8_t *make_examples(int64_t n, int c, int h, int w, int noise, uint64_t seed) {
  const int64_t dim = (int64_t)c * h * w;
  uint8_t *x = malloc((size_t)(n * dim));
  for (int64_t e = 0; e < n; e++)
    for (int ch = 0; ch < c; ch++)
      for (int y = 0; y < h; y++)
        for (int i = 0; i < w; i++) {
          const int64_t at = e * dim + ((int64_t)ch * h + y) * w + i;
          const double u = vg_rng_uniform(seed, (uint64_t)e, (uint64_t)ch, (uint64_t)(y * w + i));
          if (noise) {
            x[at] = (uint8_t)(u * 256);
            continue;
          }
          /* An ellipse around the middle, brighter toward its centre, a
           * little texture inside. */
          const double dy = (y + 0.5) / h - 0.5, dx = (i + 0.5) / w - 0.5, r = dy * dy / 0.12 + dx * dx / 0.08;
          x[at] = r < 1 ? (uint8_t)(60 + 150 * (1 - r) + 40 * u) : 0;
        }
  return x;
}

/* Codes and decodes every example; returns the codes' total length. */
static size_t round_trip(const uint8_t *x, int64_t n, int c, int h, int w, const char *what) {
  const int64_t dim = (int64_t)c * h * w;
  vg_pixcode *m;
  CHECK(vg_pixcode_train(x, n, c, h, w, &m) == VG_OK, "%s: train", what);
  const size_t bound = vg_pixcode_bound(c, h, w);
  uint8_t *buf = malloc(bound), *out = malloc((size_t)dim);
  size_t total = 0;
  int wrong = 0;
  for (int64_t e = 0; e < n; e++) {
    const size_t len = vg_pixcode_encode(m, x + e * dim, c, h, w, buf);
    CHECK(len > 0 && len <= bound - (size_t)w, "%s: example %lld coded in %zu bytes (bound %zu)", what,
          (long long)e, len, bound);
    if (!len) continue;
    /* A copy of just the code: reading beside it is then an ASan error. */
    uint8_t *code = malloc(len);
    memcpy(code, buf + bound - len, len);
    const vg_status st = vg_pixcode_decode(m, code, len, c, h, w, out);
    if (st != VG_OK || memcmp(out, x + e * dim, (size_t)dim)) wrong++;
    free(code);
    total += len;
  }
  CHECK(wrong == 0, "%s: %d of %lld examples did not come back", what, wrong, (long long)n);
  free(buf), free(out);
  vg_pixcode_free(m);
  return total;
}

static void test_shapes(void) {
  static const int hs[] = {1, 2, 3, 5, 28}, ws[] = {1, 2, 3, 4, 5, 7, 17, 18, 19, 28, 33, 40};
  char what[128];
  for (int c = 1; c <= 3; c += 2)
    for (size_t a = 0; a < sizeof hs / sizeof *hs; a++)
      for (size_t b = 0; b < sizeof ws / sizeof *ws; b++)
        for (int noise = 0; noise <= 1; noise++) {
          snprintf(what, sizeof what, "%dx%dx%d %s", c, hs[a], ws[b], noise ? "noise" : "blobs");
          uint8_t *x = make_examples(12, c, hs[a], ws[b], noise, 7 + a * 31 + b);
          round_trip(x, 12, c, hs[a], ws[b], what);
          free(x);
        }
}

static void test_sizes(void) {
  const int64_t n = 400, dim = 28 * 28;
  uint8_t *x = make_examples(n, 1, 28, 28, 0, 3);
  const size_t blobs = round_trip(x, n, 1, 28, 28, "28x28 blobs");
  CHECK(blobs < (size_t)(n * dim) / 2, "blobs took %zu of %lld bytes", blobs, (long long)(n * dim));
  free(x);
  /* Uniform bytes cannot shrink: the frequencies are near flat, and the
   * four coders' final states are the overhead. */
  x = make_examples(n, 1, 28, 28, 1, 4);
  const size_t noise = round_trip(x, n, 1, 28, 28, "28x28 noise");
  CHECK(noise > (size_t)(n * dim) && noise < (size_t)(n * (dim + 40)), "noise took %zu of %lld bytes", noise,
        (long long)(n * dim));
  free(x);
  /* The worst case the bound must hold: a thousand examples of vertical
   * stripes (every difference from above 0, in every context), then one
   * whose every difference is nonzero, each as rare as a symbol can be (a
   * frequency of 1 in 4096, 12 bits): its code takes 1.5 bytes a pixel. */
  uint8_t *worst = malloc((size_t)(1001 * dim));
  for (int64_t e = 0; e <= 1000; e++)
    for (int i = 0; i < 28; i++) {
      uint8_t v = (uint8_t)(vg_rng_uniform(8, (uint64_t)e, 0, (uint64_t)i) * 256);
      for (int y = 0; y < 28; y++) {
        if (e == 1000 && y > 0) v = (uint8_t)(v + 1 + (int)(vg_rng_uniform(9, (uint64_t)y, 0, (uint64_t)i) * 255));
        worst[e * dim + y * 28 + i] = v;
      }
    }
  round_trip(worst, 1001, 1, 28, 28, "one example of rare differences among stripes");
  vg_pixcode *m;
  CHECK(vg_pixcode_train(worst, 1001, 1, 28, 28, &m) == VG_OK, "train");
  uint8_t *room = malloc(vg_pixcode_bound(1, 28, 28));
  const size_t len = vg_pixcode_encode(m, worst + 1000 * dim, 1, 28, 28, room);
  CHECK(len > (size_t)dim * 14 / 10, "the worst case took only %zu bytes for %lld pixels", len, (long long)dim);
  free(room), free(worst);
  vg_pixcode_free(m);
  /* All one value: one symbol per context, which lends a slot. */
  x = calloc((size_t)(n * dim), 1);
  const size_t flat = round_trip(x, n, 1, 28, 28, "28x28 zeros");
  CHECK(flat <= (size_t)n * 24, "zeros took %zu bytes for %lld examples", flat, (long long)n);
  free(x);
}

static void test_refusals(void) {
  const int h = 6, w = 9, dim = h * w;
  uint8_t *x = make_examples(20, 1, h, w, 0, 5);
  vg_pixcode *m;
  CHECK(vg_pixcode_train(x, 20, 1, h, w, &m) == VG_OK, "train");
  const size_t bound = vg_pixcode_bound(1, h, w);
  uint8_t *buf = malloc(bound), out[54];
  /* A first pixel of 2: the first rows are background (0) and the objects
   * start at 60, so no context ever saw a difference of 2 there. */
  uint8_t odd[54];
  memcpy(odd, x, sizeof odd);
  odd[0] = 2;
  CHECK(vg_pixcode_encode(m, odd, 1, h, w, buf) == 0, "a value never seen was coded");

  const size_t len = vg_pixcode_encode(m, x + 3 * dim, 1, h, w, buf);
  CHECK(len > 16, "coded in %zu bytes", len);
  for (size_t cut = 0; cut < len; cut++) {
    uint8_t *code = malloc(cut ? cut : 1);
    memcpy(code, buf + bound - len, cut);
    CHECK(vg_pixcode_decode(m, code, cut, 1, h, w, out) == VG_ERR_FORMAT, "%zu of %zu bytes decoded as whole", cut,
          len);
    free(code);
  }
  /* Any one bit flipped: the four final states or the end of the code
   * come out wrong (a flip that changes nothing is rare). */
  int caught = 0;
  uint8_t *flipped = malloc(len);
  for (size_t bit = 0; bit < 8 * len; bit++) {
    memcpy(flipped, buf + bound - len, len);
    flipped[bit / 8] ^= (uint8_t)(1u << bit % 8);
    caught += vg_pixcode_decode(m, flipped, len, 1, h, w, out) == VG_ERR_FORMAT;
  }
  CHECK(caught >= (int)(8 * len * 95 / 100), "%d of %zu flipped bits caught", caught, 8 * len);
  free(flipped);

  uint8_t *longer = malloc(len + 2);
  memcpy(longer, buf + bound - len, len);
  longer[len] = longer[len + 1] = 0x5a;
  CHECK(vg_pixcode_decode(m, longer, len + 2, 1, h, w, out) == VG_ERR_FORMAT, "two bytes too many went unnoticed");
  CHECK(vg_pixcode_decode(m, longer, len, 1, h, w, out) == VG_OK && memcmp(out, x + 3 * dim, dim) == 0,
        "the exact code");
  /* Another shape reads the code differently. */
  uint8_t wide[60];
  CHECK(vg_pixcode_decode(m, longer, len, 1, h, w + 1, wide) == VG_ERR_FORMAT, "decoded as 6x10");
  free(longer);

  vg_pixcode *copy = vg_pixcode_copy(m);
  CHECK(copy != NULL, "copy");
  CHECK(vg_pixcode_decode(copy, buf + bound - len, len, 1, h, w, out) == VG_OK && memcmp(out, x + 3 * dim, dim) == 0,
        "the copy decodes the original's code");
  vg_pixcode_free(copy);
  vg_pixcode_free(m);
  vg_pixcode_free(NULL);
  free(buf), free(x);
}

static void test_mnist(void) {
  const char *d = getenv("VG_MNIST_DIR");
  if (!d) {
    printf("VG_MNIST_DIR not set: MNIST round trip not run\n");
    return;
  }
  char path[1024], err[1024];
  snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte.gz", d);
  vg_idx im;
  CHECK(vg_idx_load(path, &im, err, sizeof err) == VG_OK, "%s", err);
  if (!im.data) return;
  const int64_t n = im.dims[0];
  const size_t total = round_trip(im.data, n, 1, (int)im.dims[1], (int)im.dims[2], "MNIST test digits");
  CHECK(total < im.len * 3 / 10, "MNIST's %zu bytes took %zu", im.len, total);
  printf("MNIST test digits: %.1f%% of their bytes\n", 100.0 * (double)total / (double)im.len);
  vg_idx_free(&im);
}

int main(void) {
  test_mnist();
  test_shapes();
  test_sizes();
  test_refusals();
  CHECK_DONE();
}

/* Image data sets: construction from IDX files and bytes, the in-place
 * selections (keep_classes, limit, label_subset), split_every, every fill's
 * exact values and the fingerprint ("imageset"); and folders of PNG images
 * with their layouts, channel rules, area resizing and each error's exact
 * text ("folder"). Files are written under the folder given as argv[2]. */
#define _POSIX_C_SOURCE 200809L /* mkdir */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "check.h"
#include "pngfile.h"
#include "image_folder.h"
#include "imageset.h"
#include "rng.h"

static const char *dir;
static char err[2048];

static void path_of(char *buf, size_t len, const char *name) { snprintf(buf, len, "%s/%s", dir, name); }

#define CHECK_ERR(want)                                                               \
  CHECK(strcmp(err, (want)) == 0, "\n  got  %s\n  want %s", err, (want))

/* ---- IDX ---- */

/* An IDX file of unsigned bytes with the given dimensions. */
static void write_idx(const char *name, int ndim, const uint32_t *dims, const uint8_t *data) {
  char p[512];
  path_of(p, sizeof p, name);
  FILE *f = fopen(p, "wb");
  const uint8_t head[4] = {0, 0, 8, (uint8_t)ndim};
  fwrite(head, 1, 4, f);
  size_t len = 1;
  for (int i = 0; i < ndim; i++) {
    const uint8_t be[4] = {(uint8_t)(dims[i] >> 24), (uint8_t)(dims[i] >> 16), (uint8_t)(dims[i] >> 8),
                           (uint8_t)dims[i]};
    fwrite(be, 1, 4, f);
    len *= dims[i];
  }
  fwrite(data, 1, len, f);
  fclose(f);
}

static vg_status load_idx_set(const char *images, const char *labels, vg_imageset *set) {
  char ip[512], lp[512];
  path_of(ip, sizeof ip, images);
  vg_idx im, lb;
  memset(&lb, 0, sizeof lb);
  vg_status st = vg_idx_load(ip, &im, err, sizeof err);
  CHECK(st == VG_OK, "%s", err);
  if (labels) {
    path_of(lp, sizeof lp, labels);
    st = vg_idx_load(lp, &lb, err, sizeof err);
    CHECK(st == VG_OK, "%s", err);
  }
  st = vg_imageset_from_idx(&im, labels ? &lb : NULL, images, set, err, sizeof err);
  CHECK(st == VG_OK || im.data != NULL, "the images' buffer was taken by a failed construction");
  vg_idx_free(&im);
  vg_idx_free(&lb);
  return st;
}

static void test_idx(void) {
  uint8_t px[36], lb[6] = {2, 0, 1, 2, 0, 2};
  for (int i = 0; i < 36; i++) px[i] = (uint8_t)(7 * i);
  write_idx("im3", 3, (const uint32_t[]){6, 2, 3}, px);
  write_idx("lb6", 1, (const uint32_t[]){6}, lb);
  write_idx("lb5", 1, (const uint32_t[]){5}, lb);
  write_idx("im2", 2, (const uint32_t[]){4, 5}, px);
  write_idx("im4", 4, (const uint32_t[]){3, 1, 3, 4}, px);

  vg_imageset s;
  CHECK(load_idx_set("im3", "lb6", &s) == VG_OK, "%s", err);
  CHECK(s.n == 6 && s.c == 1 && s.h == 2 && s.w == 3 && s.dim == 6 && s.classes == 3, "[6,2,3]: n %lld c %d h %d w %d",
        (long long)s.n, s.c, s.h, s.w);
  CHECK(memcmp(s.x, px, 36) == 0, "pixels");
  for (int i = 0; i < 6; i++) CHECK(s.y[i] == lb[i] && s.order[i] == i, "label/order %d", i);
  vg_imageset_free(&s);
  vg_imageset_free(&s); /* a freed set frees again harmlessly */

  CHECK(load_idx_set("im2", NULL, &s) == VG_OK, "%s", err);
  CHECK(s.n == 4 && s.c == 1 && s.h == 1 && s.w == 5 && s.dim == 5 && s.y == NULL && s.classes == 0,
        "[4,5]: n %lld c %d h %d w %d", (long long)s.n, s.c, s.h, s.w);
  vg_imageset_free(&s);

  CHECK(load_idx_set("im4", NULL, &s) == VG_ERR_FORMAT, "4 dimensions accepted");
  CHECK_ERR("im4: images must have 2 dimensions ([n, d]) or 3 ([n, h, w]), the file has 4");
  CHECK(s.x == NULL && s.order == NULL, "a failed set is empty");
  CHECK(load_idx_set("im3", "lb5", &s) == VG_ERR_FORMAT, "5 labels for 6 images accepted");
  CHECK_ERR("im3: 6 images but 5 labels");
  CHECK(load_idx_set("lb6", NULL, &s) == VG_ERR_FORMAT, "1 dimension accepted");
  CHECK_ERR("lb6: images must have 2 dimensions ([n, d]) or 3 ([n, h, w]), the file has 1");
}

/* ---- sets from bytes ---- */

/* n examples of 1x2x2 whose bytes are all 10 * i + 1 and the given labels. */
static vg_imageset small(int n, const int32_t *labels) {
  uint8_t px[4 * 64];
  for (int i = 0; i < n; i++) memset(px + 4 * i, 10 * i + 1, 4);
  vg_imageset s;
  vg_status st = vg_imageset_from_bytes(n, 1, 2, 2, px, labels, "small", &s, err, sizeof err);
  CHECK(st == VG_OK, "%s", err);
  return s;
}

/* Example i of s came from example want[i] of small(). */
static void check_examples(const vg_imageset *s, int n, const int *want, const char *what) {
  CHECK(s->n == n, "%s: %lld examples, want %d", what, (long long)s->n, n);
  for (int i = 0; i < n && i < s->n; i++) {
    CHECK(s->x[i * 4] == 10 * want[i] + 1 && s->x[i * 4 + 3] == 10 * want[i] + 1, "%s: example %d is %d, want %d",
          what, i, (s->x[i * 4] - 1) / 10, want[i]);
    CHECK(s->order[i] == i, "%s: order[%d] = %lld", what, i, (long long)s->order[i]);
  }
}

static void test_bytes(void) {
  vg_imageset s;
  const uint8_t px[12] = {0};
  CHECK(vg_imageset_from_bytes(3, 1, 2, 2, px, (const int32_t[]){0, -2, 1}, "mine.bin", &s, err, sizeof err) ==
            VG_ERR_ARG,
        "label -2 accepted");
  CHECK_ERR("mine.bin: example 1 has label -2; a label is a class id from 0 to 2147483646, or -1 for an example "
            "without one");
  CHECK(vg_imageset_from_bytes(0, 1, 2, 2, px, NULL, "mine.bin", &s, err, sizeof err) == VG_ERR_ARG, "n 0 accepted");
  CHECK_ERR("mine.bin: n, c, h and w must be positive (n 0, c 1, h 2, w 2)");
  CHECK(vg_imageset_from_bytes(INT64_MAX / 2, 3, 1 << 20, 1 << 20, px, NULL, "mine.bin", &s, err, sizeof err) ==
            VG_ERR_ARG,
        "an overflowing size accepted");
  CHECK_ERR("mine.bin: 4611686018427387903 examples of 3x1048576x1048576 bytes overflow a 64-bit size");
  s = small(3, (const int32_t[]){VG_NO_LABEL, 4, VG_NO_LABEL});
  CHECK(s.classes == 5 && s.c == 1 && s.dim == 4, "classes %d", s.classes);
  vg_imageset_free(&s);
  s = small(2, (const int32_t[]){VG_NO_LABEL, VG_NO_LABEL});
  CHECK(s.classes == 0 && s.y != NULL, "all unlabelled: classes %d", s.classes);
  vg_imageset_free(&s);
}

static void test_keep_classes(void) {
  const int32_t y[8] = {0, 1, 2, 1, 0, 2, 1, VG_NO_LABEL};
  vg_imageset s = small(8, y);
  vg_imageset_order(&s, 1, 7, 1);
  const unsigned char one[2] = {0, 1};
  CHECK(vg_imageset_keep_classes(&s, one, 2, err, sizeof err) == VG_OK, "%s", err);
  check_examples(&s, 3, (const int[]){1, 3, 6}, "keep 1");
  for (int i = 0; i < s.n; i++) CHECK(s.y[i] == 1, "label %d", i);
  CHECK(s.classes == 3, "classes changed to %d", s.classes);
  vg_imageset_free(&s);

  s = small(8, y);
  const unsigned char zero_two[3] = {1, 0, 1};
  CHECK(vg_imageset_keep_classes(&s, zero_two, 3, err, sizeof err) == VG_OK, "%s", err);
  check_examples(&s, 4, (const int[]){0, 2, 4, 5}, "keep 0 and 2");

  const unsigned char missing[5] = {0, 0, 0, 1, 1};
  CHECK(vg_imageset_keep_classes(&s, missing, 5, err, sizeof err) == VG_ERR_ARG, "an empty result accepted");
  CHECK_ERR("no examples left after keeping classes 3, 4 (the labels are 0 to 2)");
  check_examples(&s, 4, (const int[]){0, 2, 4, 5}, "unchanged after an error");
  CHECK(vg_imageset_keep_classes(&s, missing, 2, err, sizeof err) == VG_ERR_ARG, "nothing asked for accepted");
  CHECK_ERR("no examples left: no class was asked for");
  vg_imageset_free(&s);

  s = small(2, NULL);
  CHECK(vg_imageset_keep_classes(&s, one, 2, err, sizeof err) == VG_ERR_ARG, "a set without labels accepted");
  CHECK_ERR("cannot keep classes of a data set without labels");
  vg_imageset_free(&s);
}

static void test_limit(void) {
  vg_imageset s = small(6, (const int32_t[]){0, 1, 2, 3, 4, 5});
  vg_imageset_order(&s, 1, 3, 3);
  CHECK(vg_imageset_limit(&s, 4, err, sizeof err) == VG_OK, "%s", err);
  check_examples(&s, 4, (const int[]){0, 1, 2, 3}, "limit 4");
  CHECK(s.y[3] == 3 && s.classes == 6, "labels kept, classes %d", s.classes);
  CHECK(vg_imageset_limit(&s, 100, err, sizeof err) == VG_OK, "%s", err);
  check_examples(&s, 4, (const int[]){0, 1, 2, 3}, "limit 100");
  CHECK(vg_imageset_limit(&s, 0, err, sizeof err) == VG_ERR_ARG, "limit 0 accepted");
  CHECK_ERR("a limit of 0 examples: it must be at least 1");
  vg_imageset_free(&s);
}

/* 10 examples of class 0, 7 of class 1, 2 of class 2, 2 unlabelled,
 * interleaved. */
static vg_imageset subset_source(int32_t *y) {
  int k = 0;
  for (int i = 0; i < 10; i++) {
    y[k++] = 0;
    if (i < 7) y[k++] = 1;
    if (i < 2) y[k++] = 2;
    if (i < 2) y[k++] = VG_NO_LABEL;
  }
  return small(k, y);
}

static void test_label_subset(void) {
  int32_t y[32];
  vg_imageset a = subset_source(y), b = subset_source(y), c = subset_source(y);
  const int64_t n = a.n;
  CHECK(n == 21, "%lld examples", (long long)n);
  CHECK(vg_imageset_label_subset(&a, 3, 42, err, sizeof err) == VG_OK, "%s", err);
  CHECK(vg_imageset_label_subset(&b, 3, 42, err, sizeof err) == VG_OK, "%s", err);
  CHECK(vg_imageset_label_subset(&c, 3, 43, err, sizeof err) == VG_OK, "%s", err);
  int count[3] = {0, 0, 0};
  for (int64_t i = 0; i < n; i++) {
    CHECK(a.y[i] == y[i] || a.y[i] == VG_NO_LABEL, "example %lld relabelled %d -> %d", (long long)i, y[i], a.y[i]);
    if (a.y[i] >= 0) count[a.y[i]]++;
    CHECK(a.x[4 * i] == 10 * i + 1, "pixels moved");
  }
  CHECK(count[0] == 3 && count[1] == 3 && count[2] == 2, "labels kept per class: %d %d %d", count[0], count[1],
        count[2]);
  CHECK(a.n == n && a.classes == 3, "n or classes changed");
  CHECK(memcmp(a.y, b.y, (size_t)n * sizeof *a.y) == 0, "the same seed chose other examples");
  CHECK(memcmp(a.y, c.y, (size_t)n * sizeof *a.y) != 0, "seeds 42 and 43 chose the same examples");
  CHECK(vg_imageset_label_subset(&a, 0, 1, err, sizeof err) == VG_ERR_ARG, "per_class 0 accepted");
  CHECK_ERR("labels per class must be at least 1, got 0");
  vg_imageset_free(&a), vg_imageset_free(&b), vg_imageset_free(&c);
  a = small(3, NULL);
  CHECK(vg_imageset_label_subset(&a, 3, 1, err, sizeof err) == VG_ERR_ARG, "a set without labels accepted");
  CHECK_ERR("cannot keep 3 labels per class of a data set without labels");
  vg_imageset_free(&a);
}

static void test_split_every(void) {
  const int32_t y[11] = {0, 1, 0, VG_NO_LABEL, 0, 1, 0, VG_NO_LABEL, 1, 0, VG_NO_LABEL};
  vg_imageset s = small(11, y), train, test;
  vg_imageset_order(&s, 1, 5, 5); /* the split ignores the order */
  CHECK(vg_imageset_split_every(&s, 2, &train, &test, err, sizeof err) == VG_OK, "%s", err);
  /* class 0: 0 2 4 6 9 -> 2 6; class 1: 1 5 8 -> 5; unlabelled: 3 7 10 -> 7 */
  check_examples(&test, 4, (const int[]){2, 5, 6, 7}, "test");
  check_examples(&train, 7, (const int[]){0, 1, 3, 4, 8, 9, 10}, "train");
  CHECK(test.y[0] == 0 && test.y[1] == 1 && test.y[3] == VG_NO_LABEL && train.y[2] == VG_NO_LABEL, "labels");
  CHECK(test.classes == 2 && train.classes == 2 && test.c == 1 && test.h == 2 && test.w == 2, "shape");
  CHECK(s.n == 11, "the source changed");
  vg_imageset_free(&train), vg_imageset_free(&test);

  CHECK(vg_imageset_split_every(&s, 6, &train, &test, err, sizeof err) == VG_ERR_ARG, "an empty test set accepted");
  CHECK_ERR("every 6th example of each class gives no test examples: the largest class has 5");
  CHECK(train.x == NULL && test.x == NULL, "sets left behind");
  CHECK(vg_imageset_split_every(&s, 1, &train, &test, err, sizeof err) == VG_ERR_ARG, "k 1 accepted");
  CHECK_ERR("a test set of every 1st example: k must be at least 2");
  vg_imageset_free(&s);

  s = small(5, NULL);
  CHECK(vg_imageset_split_every(&s, 3, &train, &test, err, sizeof err) == VG_OK, "%s", err);
  check_examples(&test, 1, (const int[]){2}, "unlabelled test");
  check_examples(&train, 4, (const int[]){0, 1, 3, 4}, "unlabelled train");
  CHECK(train.y == NULL && test.y == NULL, "labels appeared");
  vg_imageset_free(&train), vg_imageset_free(&test), vg_imageset_free(&s);
}

/* The epoch order is what it was before it moved to order.c: resumed runs
 * depend on it. */
static void test_order(void) {
  int64_t got[50], want[50];
  vg_order(got, 50, 1, 1234, 7);
  for (int64_t i = 0; i < 50; i++) want[i] = i;
  for (int64_t i = 49; i > 0; i--) {
    int64_t j = (int64_t)(vg_rng_uniform(1234, 7, 0x5EED5u, (uint64_t)i) * (double)(i + 1));
    int64_t t = want[i];
    want[i] = want[j];
    want[j] = t;
  }
  CHECK(memcmp(got, want, sizeof got) == 0, "the epoch order changed");
  vg_order(got, 50, 0, 1234, 7);
  for (int64_t i = 0; i < 50; i++) CHECK(got[i] == i, "identity order at %lld", (long long)i);
}

static void test_fills(void) {
  const int32_t y[5] = {2, VG_NO_LABEL, 0, 1, 2};
  vg_imageset s = small(5, y);
  s.x[4 * 3 + 1] = 255; /* one pixel apart from its example's others */
  s.order[0] = 3, s.order[1] = 1, s.order[2] = 4, s.order[3] = 0, s.order[4] = 2;
  float px[3 * 4];
  vg_imageset_fill_pixels(&s, 1, 3, 2.0f / 255, -1, px); /* examples 1, 4, 0 */
  const int ex[3] = {1, 4, 0};
  for (int b = 0; b < 3; b++)
    for (int j = 0; j < 4; j++)
      CHECK(px[b * 4 + j] == (float)(10 * ex[b] + 1) * (2.0f / 255) + -1.0f, "pixel %d,%d = %g", b, j,
            px[b * 4 + j]);
  vg_imageset_fill_pixels(&s, 0, 1, 1, 0, px); /* example 3 */
  CHECK(px[0] == 31 && px[1] == 255 && px[2] == 31 && px[3] == 31, "example 3: %g %g %g %g", px[0], px[1], px[2],
        px[3]);

  float hot[5 * 4];
  memset(hot, 0x7f, sizeof hot); /* every value must be written */
  vg_imageset_fill_onehot(&s, 0, 5, 4, hot); /* labels 1, -1, 2, 2, 0 */
  const float want_hot[5 * 4] = {0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0};
  CHECK(memcmp(hot, want_hot, sizeof hot) == 0, "one-hot rows");
  float cls[5], mask[5];
  int32_t lab[5];
  vg_imageset_fill_class(&s, 0, 5, cls);
  vg_imageset_fill_has_label(&s, 0, 5, mask);
  vg_imageset_labels(&s, 0, 5, lab);
  const float want_cls[5] = {1, -1, 2, 2, 0}, want_mask[5] = {1, 0, 1, 1, 1};
  const int32_t want_lab[5] = {1, -1, 2, 2, 0};
  CHECK(memcmp(cls, want_cls, sizeof cls) == 0, "class ids %g %g %g %g %g", cls[0], cls[1], cls[2], cls[3], cls[4]);
  CHECK(memcmp(mask, want_mask, sizeof mask) == 0, "label mask");
  CHECK(memcmp(lab, want_lab, sizeof lab) == 0, "labels");
  vg_imageset_free(&s);

  s = small(2, NULL);
  memset(hot, 0x7f, sizeof hot);
  vg_imageset_fill_onehot(&s, 0, 2, 3, hot);
  vg_imageset_fill_class(&s, 0, 2, cls);
  vg_imageset_fill_has_label(&s, 0, 2, mask);
  vg_imageset_labels(&s, 0, 2, lab);
  for (int i = 0; i < 6; i++) CHECK(hot[i] == 0, "no labels: one-hot %d = %g", i, hot[i]);
  CHECK(cls[0] == -1 && cls[1] == -1 && mask[0] == 0 && mask[1] == 0 && lab[0] == -1 && lab[1] == -1,
        "no labels: class, mask, labels");
  vg_imageset_free(&s);
}

static void test_fingerprint(void) {
  vg_imageset s = small(8, (const int32_t[]){0, 1, 2, 1, 0, 2, 1, VG_NO_LABEL});
  char a[64], b[64];
  vg_imageset_fingerprint(&s, a, sizeof a);
  CHECK(strncmp(a, "8 images 1x2x2, 3 classes, fnv1a64 ", 35) == 0 && strlen(a) == 35 + 16, "%s", a);
  vg_imageset_order(&s, 1, 9, 9);
  CHECK(strcmp(vg_imageset_fingerprint(&s, b, sizeof b), a) == 0, "the order changed the fingerprint");
  s.x[13] ^= 1;
  CHECK(strcmp(vg_imageset_fingerprint(&s, b, sizeof b), a) != 0, "one pixel did not change %s", a);
  s.x[13] ^= 1;
  s.y[7] = 2;
  CHECK(strcmp(vg_imageset_fingerprint(&s, b, sizeof b), a) != 0, "one label did not change %s", a);
  s.y[7] = VG_NO_LABEL;
  CHECK(strcmp(vg_imageset_fingerprint(&s, b, sizeof b), a) == 0, "restored data, other fingerprint");
  vg_imageset_free(&s);
  s = small(8, NULL);
  vg_imageset_fingerprint(&s, b, sizeof b);
  CHECK(strncmp(b, "8 images 1x2x2, no labels, fnv1a64 ", 35) == 0, "%s", b);
  CHECK(strcmp(a + 27, b + 27) != 0, "labels did not change the hash");
  vg_imageset_free(&s);

  /* MNIST's size: printed, not checked, as sanitizer builds are slow. */
  const int64_t n = 60000, dim = 784;
  uint8_t *px = malloc((size_t)(n * dim));
  CHECK(px != NULL, "out of memory");
  if (!px) return;
  for (int64_t i = 0; i < n * dim; i++) px[i] = (uint8_t)(i * 2654435761u >> 24);
  CHECK(vg_imageset_from_bytes(n, 1, 28, 28, px, NULL, "mnist-sized", &s, err, sizeof err) == VG_OK, "%s", err);
  free(px);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  vg_imageset_fingerprint(&s, a, sizeof a);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("fingerprint of %s in %.1f ms\n", a, (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
  vg_imageset_free(&s);
}

/* ---- compressed sets ---- */

/* b holds what a holds, one compressed and the other not: the same
 * examples and labels, fingerprint, and pixels in a shuffled order, filled
 * in batches small and large (the fill decodes in parallel from 16). */
static void check_same(vg_imageset *a, vg_imageset *b, const char *what) {
  CHECK(a->n == b->n && a->dim == b->dim && a->classes == b->classes, "%s: %lld examples, %d classes against %lld, %d",
        what, (long long)a->n, a->classes, (long long)b->n, b->classes);
  if (a->n != b->n || a->dim != b->dim) return;
  const int64_t n = a->n, dim = a->dim;
  CHECK((a->y == NULL) == (b->y == NULL) && (!a->y || memcmp(a->y, b->y, (size_t)n * sizeof *a->y) == 0),
        "%s: labels", what);
  char fa[128], fb[128];
  CHECK(strcmp(vg_imageset_fingerprint(a, fa, sizeof fa), vg_imageset_fingerprint(b, fb, sizeof fb)) == 0,
        "%s: fingerprints\n  %s\n  %s", what, fa, fb);
  uint8_t *ea = malloc((size_t)dim), *eb = malloc((size_t)dim);
  int differ = 0;
  for (int64_t e = 0; e < n; e++) {
    vg_imageset_example(a, e, ea);
    vg_imageset_example(b, e, eb);
    differ += memcmp(ea, eb, (size_t)dim) != 0;
  }
  CHECK(differ == 0, "%s: %d examples differ", what, differ);
  vg_imageset_order(a, 1, 5, 2);
  vg_imageset_order(b, 1, 5, 2);
  float *pa = malloc((size_t)(n * dim) * sizeof *pa), *pb = malloc((size_t)(n * dim) * sizeof *pb);
  for (int64_t first = 0, count = 1; first < n; first += count, count = count * 3 + 1) {
    if (first + count > n) count = n - first;
    vg_imageset_fill_pixels(a, first, count, 1.0f / 255, 0, pa + first * dim);
    vg_imageset_fill_pixels(b, first, count, 1.0f / 255, 0, pb + first * dim);
  }
  CHECK(memcmp(pa, pb, (size_t)(n * dim) * sizeof *pa) == 0, "%s: filled pixels differ", what);
  free(ea), free(eb), free(pa), free(pb);
}

/* Two sets of the same n examples of c x h x w (objects on a black
 * background, some texture) with labels 0..3 and some without; the second
 * compressed. */
static void twin_sets(int64_t n, int c, int h, int w, vg_imageset *raw, vg_imageset *packed) {
  const int64_t dim = (int64_t)c * h * w;
  uint8_t *px = malloc((size_t)(n * dim));
  int32_t *y = malloc((size_t)n * sizeof *y);
  for (int64_t e = 0; e < n; e++) {
    y[e] = e % 7 == 6 ? VG_NO_LABEL : (int32_t)(e % 4);
    for (int64_t j = 0; j < dim; j++) {
      const int64_t i = j % (h * w), yy = i / w, xx = i % w;
      const int inside = yy > 0 && yy < h - 1 && (xx + e) % 5 != 0;
      px[e * dim + j] = inside ? (uint8_t)(100 + 20 * y[e] + (vg_rng_uniform(3, (uint64_t)e, 0, (uint64_t)j) < 0.3) * 9) : 0;
    }
  }
  CHECK(vg_imageset_from_bytes(n, c, h, w, px, y, "raw", raw, err, sizeof err) == VG_OK, "%s", err);
  CHECK(vg_imageset_from_bytes(n, c, h, w, px, y, "packed", packed, err, sizeof err) == VG_OK, "%s", err);
  CHECK(vg_imageset_compress(packed, "packed", err, sizeof err) == VG_OK, "compress: %s", err);
  free(px), free(y);
}

static void test_compressed(void) {
  static const int shapes[][3] = {{1, 7, 6}, {3, 5, 9}, {1, 9, 1}, {1, 1, 13}, {1, 1, 1}, {1, 28, 28}};
  char what[64];
  for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
    const int c = shapes[k][0], h = shapes[k][1], w = shapes[k][2];
    vg_imageset a, b;
    twin_sets(203, c, h, w, &a, &b);
    snprintf(what, sizeof what, "%dx%dx%d", c, h, w);
    CHECK(b.code != NULL && b.at != NULL && a.code == NULL && a.at == NULL, "%s: which is compressed", what);
    if (h > 2 && w > 2)
      CHECK(b.at[b.n] < a.n * a.dim * 3 / 4, "%s: %lld bytes compressed to %lld", what, (long long)(a.n * a.dim),
            (long long)b.at[b.n]);
    check_same(&a, &b, what);
    CHECK(vg_imageset_compress(&b, "packed", err, sizeof err) == VG_OK, "compressing twice");
    check_same(&a, &b, what);

    /* Every way of making a set from a set keeps the two alike. */
    vg_imageset ta, sa, tb, sb, la, lb;
    CHECK(vg_imageset_split_every(&a, 3, &ta, &sa, err, sizeof err) == VG_OK, "%s", err);
    CHECK(vg_imageset_split_every(&b, 3, &tb, &sb, err, sizeof err) == VG_OK, "%s", err);
    check_same(&ta, &tb, "split_every's training set");
    check_same(&sa, &sb, "split_every's test set");
    CHECK(vg_imageset_labelled(&a, &la, err, sizeof err) == VG_OK, "%s", err);
    CHECK(vg_imageset_labelled(&b, &lb, err, sizeof err) == VG_OK, "%s", err);
    check_same(&la, &lb, "labelled");
    const unsigned char keep[4] = {1, 0, 1, 1};
    CHECK(vg_imageset_keep_classes(&a, keep, 4, err, sizeof err) == VG_OK, "%s", err);
    CHECK(vg_imageset_keep_classes(&b, keep, 4, err, sizeof err) == VG_OK, "%s", err);
    check_same(&a, &b, "keep_classes");
    CHECK(vg_imageset_label_subset(&a, 5, 8, err, sizeof err) == VG_OK, "%s", err);
    CHECK(vg_imageset_label_subset(&b, 5, 8, err, sizeof err) == VG_OK, "%s", err);
    CHECK(vg_imageset_limit(&a, 50, err, sizeof err) == VG_OK, "%s", err);
    CHECK(vg_imageset_limit(&b, 50, err, sizeof err) == VG_OK, "%s", err);
    check_same(&a, &b, "label_subset and limit");
    vg_imageset_free(&ta), vg_imageset_free(&sa), vg_imageset_free(&tb), vg_imageset_free(&sb);
    vg_imageset_free(&la), vg_imageset_free(&lb), vg_imageset_free(&a), vg_imageset_free(&b);
  }
}

/* ---- folders ---- */

static void make_dir(const char *name) {
  char p[512];
  path_of(p, sizeof p, name);
  mkdir(p, 0777);
}

static void write_png(const char *name, int w, int h, int c, const uint8_t *px) {
  char p[512], e[512];
  path_of(p, sizeof p, name);
  CHECK(vg_png_write(p, w, h, c, px, e, sizeof e) == VG_OK, "%s", e);
}

static void write_text(const char *name, const char *text) {
  char p[512];
  path_of(p, sizeof p, name);
  FILE *f = fopen(p, "wb");
  fputs(text, f);
  fclose(f);
}

/* A 2x2 gray image of one value. */
static void write_flat(const char *name, uint8_t v) {
  const uint8_t px[4] = {v, v, v, v};
  write_png(name, 2, 2, 1, px);
}

static vg_status load(const char *name, int h, int w, int c, vg_imageset *s, char ***names) {
  char p[512];
  path_of(p, sizeof p, name);
  const vg_image_folder_options o = {h, w, c};
  return vg_image_folder_load(p, &o, s, names, err, sizeof err);
}

/* err must be "<dir>/<name>: <tail>". */
static void check_err_at(const char *name, const char *tail) {
  char want[2048];
  snprintf(want, sizeof want, "%s/%s: %s", dir, name, tail);
  CHECK_ERR(want);
}

static void test_classes(void) {
  make_dir("classes");
  make_dir("classes/zebra");
  make_dir("classes/apple");
  make_dir("classes/Mango");
  make_dir("classes/.cache");
  write_flat("classes/zebra/1.png", 40);
  write_flat("classes/apple/b.png", 30);
  write_flat("classes/apple/a.PNG", 20);
  write_flat("classes/apple/.hidden.png", 99);
  write_text("classes/apple/notes.txt", "not an image");
  write_flat("classes/Mango/x.png", 10);
  write_flat("classes/.cache/y.png", 99);
  vg_imageset s;
  char **names;
  CHECK(load("classes", 0, 0, 0, &s, &names) == VG_OK, "%s", err);
  CHECK(s.n == 4 && s.c == 1 && s.h == 2 && s.w == 2 && s.classes == 3, "n %lld c %d h %d w %d classes %d",
        (long long)s.n, s.c, s.h, s.w, s.classes);
  CHECK(names && strcmp(names[0], "Mango") == 0 && strcmp(names[1], "apple") == 0 && strcmp(names[2], "zebra") == 0 &&
            names[3] == NULL,
        "class names");
  const int32_t want_y[4] = {0, 1, 1, 2};
  const uint8_t want_v[4] = {10, 20, 30, 40};
  for (int i = 0; i < 4 && i < s.n; i++)
    CHECK(s.y[i] == want_y[i] && s.x[4 * i] == want_v[i] && s.x[4 * i + 3] == want_v[i], "example %d: label %d value %d",
          i, s.y[i], s.x[4 * i]);
  vg_image_folder_names_free(names);
  vg_imageset_free(&s);

  make_dir("flat");
  write_flat("flat/b.png", 2);
  write_flat("flat/a.png", 1);
  write_text("flat/readme", "skipped");
  CHECK(load("flat", 0, 0, 0, &s, &names) == VG_OK, "%s", err);
  CHECK(s.n == 2 && s.y == NULL && s.classes == 0 && names == NULL, "flat: n %lld classes %d", (long long)s.n,
        s.classes);
  CHECK(s.x[0] == 1 && s.x[4] == 2, "flat: files in name order");
  vg_imageset_free(&s);
  /* NULL options and no names wanted. */
  char p[512];
  path_of(p, sizeof p, "classes");
  CHECK(vg_image_folder_load(p, NULL, &s, NULL, err, sizeof err) == VG_OK && s.classes == 3, "%s", err);
  vg_imageset_free(&s);
}

static void test_channels(void) {
  make_dir("mixed");
  make_dir("mixed/c");
  const uint8_t gray[4] = {1, 2, 3, 4};
  const uint8_t rgb[12] = {255, 0, 0, 0, 255, 0, 0, 0, 250, 10, 20, 30};
  write_png("mixed/c/a.png", 2, 2, 1, gray);
  write_png("mixed/c/b.png", 2, 2, 3, rgb);
  write_png("mixed/c/c.png", 2, 2, 1, gray);
  vg_imageset s;
  char **names;
  CHECK(load("mixed", 0, 0, 0, &s, &names) == VG_OK, "%s", err);
  CHECK(s.n == 3 && s.c == 3 && s.dim == 12, "mixed: c %d", s.c);
  for (int i = 0; i < 3 && s.c == 3; i += 2)
    for (int c = 0; c < 3; c++) CHECK(memcmp(s.x + 12 * i + 4 * c, gray, 4) == 0, "gray example %d channel %d", i, c);
  for (int c = 0; c < 3 && s.c == 3; c++)
    for (int j = 0; j < 4; j++) CHECK(s.x[12 + 4 * c + j] == rgb[3 * j + c], "rgb planes: channel %d pixel %d", c, j);
  vg_image_folder_names_free(names);
  vg_imageset_free(&s);

  CHECK(load("mixed", 0, 0, 1, &s, NULL) == VG_OK, "%s", err);
  CHECK(s.c == 1 && s.dim == 4, "forced gray: c %d", s.c);
  /* 76.245, 149.685, 28.5 (a half: up), 18.15 */
  const uint8_t luma[4] = {76, 150, 29, 18};
  CHECK(memcmp(s.x + 4, luma, 4) == 0, "luma %d %d %d %d", s.x[4], s.x[5], s.x[6], s.x[7]);
  CHECK(memcmp(s.x, gray, 4) == 0, "gray kept");
  vg_imageset_free(&s);

  make_dir("allgray");
  write_png("allgray/a.png", 2, 2, 1, gray);
  CHECK(load("allgray", 0, 0, 3, &s, NULL) == VG_OK, "%s", err);
  CHECK(s.c == 3 && memcmp(s.x + 8, gray, 4) == 0, "forced RGB of gray");
  vg_imageset_free(&s);
  CHECK(load("allgray", 0, 0, 0, &s, NULL) == VG_OK && s.c == 1, "all gray: c %d", s.c);
  vg_imageset_free(&s);
}

static void test_resize(void) {
  make_dir("resize4");
  const uint8_t px4[16] = {0, 1, 1, 2,        /* blocks: {0,1,0,0} 0.25 -> 0, {1,2,3,4} 2.5 -> 3 */
                           0, 0, 3, 4,        /*         {10,20,30,40} 25, {255,255,255,254} 254.75 -> 255 */
                           10, 20, 255, 255, /* */
                           30, 40, 255, 254};
  write_png("resize4/a.png", 4, 4, 1, px4);
  vg_imageset s;
  CHECK(load("resize4", 2, 2, 0, &s, NULL) == VG_OK, "%s", err);
  const uint8_t want4[4] = {0, 3, 25, 255};
  CHECK(s.h == 2 && s.w == 2 && memcmp(s.x, want4, 4) == 0, "4x4 -> 2x2: %d %d %d %d", s.x[0], s.x[1], s.x[2], s.x[3]);
  vg_imageset_free(&s);

  /* 3x3 -> 2x2: output (0,0) covers 1.5 x 1.5 source pixels, weights 4 2 / 2 1
   * over 9: (4*10 + 2*20 + 2*40 + 50) / 9 = 23.3 and so on. */
  make_dir("resize3");
  const uint8_t px3[9] = {10, 20, 30, 40, 50, 60, 70, 80, 90};
  write_png("resize3/a.png", 3, 3, 1, px3);
  CHECK(load("resize3", 2, 2, 0, &s, NULL) == VG_OK, "%s", err);
  const uint8_t want3[4] = {23, 37, 63, 77}; /* 210/9, 330/9, 570/9, 690/9 */
  CHECK(memcmp(s.x, want3, 4) == 0, "3x3 -> 2x2: %d %d %d %d", s.x[0], s.x[1], s.x[2], s.x[3]);
  vg_imageset_free(&s);

  /* 2 -> 3 wide: the middle output pixel is half of each source pixel. */
  make_dir("widen");
  write_png("widen/a.png", 2, 1, 1, (const uint8_t[]){0, 91});
  CHECK(load("widen", 1, 3, 0, &s, NULL) == VG_OK, "%s", err);
  CHECK(s.x[0] == 0 && s.x[1] == 46 && s.x[2] == 91, "2 -> 3: %d %d %d", s.x[0], s.x[1], s.x[2]);
  vg_imageset_free(&s);

  /* Colour: each channel on its own. */
  make_dir("resize_rgb");
  const uint8_t rgb[12] = {0, 100, 200, 1, 101, 201, 2, 102, 202, 4, 104, 204};
  write_png("resize_rgb/a.png", 2, 2, 3, rgb);
  CHECK(load("resize_rgb", 1, 1, 0, &s, NULL) == VG_OK, "%s", err);
  CHECK(s.c == 3 && s.x[0] == 2 && s.x[1] == 102 && s.x[2] == 202, "rgb 2x2 -> 1x1: %d %d %d", s.x[0], s.x[1],
        s.x[2]); /* 7/4 = 1.75 */
  vg_imageset_free(&s);
}

static void test_folder_errors(void) {
  vg_imageset s;
  char **names = (char **)1;
  char tail[1024];

  make_dir("sizes");
  write_png("sizes/a.png", 4, 4, 1, (const uint8_t[16]){0});
  write_png("sizes/b.png", 3, 2, 1, (const uint8_t[6]){0});
  CHECK(load("sizes", 0, 0, 0, &s, &names) == VG_ERR_FORMAT, "two sizes accepted");
  snprintf(tail, sizeof tail,
           "3x2 pixels (width x height), but the first image, %s/sizes/a.png, is 4x4; set the size option (height "
           "and width) to resize every image to one size",
           dir);
  check_err_at("sizes/b.png", tail);
  CHECK(s.x == NULL && names == NULL, "a failed load left a set or names");
  CHECK(load("sizes", 2, 2, 0, &s, NULL) == VG_OK && s.n == 2, "%s", err);
  vg_imageset_free(&s);

  make_dir("corrupt");
  make_dir("corrupt/k");
  write_flat("corrupt/k/a.png", 1);
  write_text("corrupt/k/bad.png", "this is not a PNG file at all");
  CHECK(load("corrupt", 0, 0, 0, &s, NULL) == VG_ERR_FORMAT, "a corrupt PNG accepted");
  check_err_at("corrupt/k/bad.png", "not a PNG file (bad signature)");

  make_dir("empty");
  write_text("empty/.DS_Store", "");
  write_text("empty/list.txt", "");
  CHECK(load("empty", 0, 0, 0, &s, NULL) == VG_ERR_FORMAT, "an empty folder accepted");
  snprintf(tail, sizeof tail,
           "no .png images; expected one sub-folder per class (%s/empty/<class>/<name>.png) or, for unlabelled "
           "images, .png files directly in the folder",
           dir);
  check_err_at("empty", tail);

  CHECK(load("missing", 0, 0, 0, &s, NULL) == VG_ERR_IO, "a missing folder accepted");
  check_err_at("missing", "cannot open the folder: No such file or directory");

  make_dir("emptyclass");
  make_dir("emptyclass/a");
  make_dir("emptyclass/b");
  write_flat("emptyclass/a/1.png", 1);
  CHECK(load("emptyclass", 0, 0, 0, &s, NULL) == VG_ERR_FORMAT, "an empty class accepted");
  snprintf(tail, sizeof tail, "a class folder without .png images (each sub-folder of %s/emptyclass is a class)", dir);
  check_err_at("emptyclass/b", tail);

  make_dir("both");
  make_dir("both/a");
  write_flat("both/a/1.png", 1);
  write_flat("both/stray.png", 1);
  CHECK(load("both", 0, 0, 0, &s, NULL) == VG_ERR_FORMAT, "class folders beside images accepted");
  snprintf(tail, sizeof tail,
           "has both class folders (a, ...) and .png files directly in it (%s/both/stray.png, ...); put every image "
           "in its class's folder, or use a folder without sub-folders for unlabelled images",
           dir);
  check_err_at("both", tail);

  CHECK(load("flat", 2, 0, 0, &s, NULL) == VG_ERR_ARG, "height without width accepted");
  check_err_at("flat", "a size of height 2 and width 0: give both, positive, or neither");
  CHECK(load("flat", 0, 0, 2, &s, NULL) == VG_ERR_ARG, "2 channels accepted");
  check_err_at("flat", "2 channels: choose 1 (gray), 3 (RGB) or 0 (from the images)");
  CHECK(load("flat", 1 << 16, 1 << 16, 3, &s, NULL) == VG_ERR_ARG, "a 24 GiB set accepted");
  check_err_at("flat", "2 images of 3x65536x65536 (channels x height x width) are more than the 16 GiB a folder may "
                       "hold; choose a smaller size");
}

int main(int argc, char **argv) {
  if (argc < 3 || (strcmp(argv[1], "imageset") && strcmp(argv[1], "folder"))) {
    fprintf(stderr, "usage: %s imageset|folder DIR\n", argv[0]);
    return 2;
  }
  dir = argv[2];
  if (strcmp(argv[1], "imageset") == 0) {
    test_idx();
    test_bytes();
    test_keep_classes();
    test_limit();
    test_label_subset();
    test_split_every();
    test_order();
    test_fills();
    test_fingerprint();
    test_compressed();
  } else {
    test_classes();
    test_channels();
    test_resize();
    test_folder_errors();
  }
  CHECK_DONE();
}

/* In-memory image data sets (imageset.h). */
#include "imageset.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

/* The stream of label_subset's shuffles, apart from the epoch orders'. */
#define LABEL_SUBSET_STREAM 0x1ABE15u

static vg_status fail(char *err, size_t errlen, vg_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static vg_status fail(char *err, size_t errlen, vg_status st, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return st;
}

/* Sizes every constructor accepts: positive, and n*dim representable. */
static vg_status check_size(int64_t n, int c, int h, int w, const char *what, char *err, size_t errlen) {
  if (n < 1 || c < 1 || h < 1 || w < 1)
    return fail(err, errlen, VG_ERR_ARG, "%s: n, c, h and w must be positive (n %" PRId64 ", c %d, h %d, w %d)", what,
                n, c, h, w);
  /* c * h < 2^62 cannot overflow; each later product is tested first. */
  if ((int64_t)c * h > INT64_MAX / w || (int64_t)c * h * w > INT64_MAX / n)
    return fail(err, errlen, VG_ERR_ARG, "%s: %" PRId64 " examples of %dx%dx%d bytes overflow a 64-bit size", what, n,
                c, h, w);
  return VG_OK;
}

static int classes_of(const int32_t *y, int64_t n) {
  int32_t top = VG_NO_LABEL;
  if (y)
    for (int64_t i = 0; i < n; i++)
      if (y[i] > top) top = y[i];
  return (int)top + 1;
}

/* Fills *out around x and y, which it takes only on success. */
static vg_status make(int64_t n, int c, int h, int w, uint8_t *x, int32_t *y, const char *what, vg_imageset *out,
                      char *err, size_t errlen) {
  int64_t *order = malloc((size_t)n * sizeof *order);
  if (!order) return fail(err, errlen, VG_ERR_NOMEM, "%s: out of memory for the order of %" PRId64 " examples", what, n);
  *out = (vg_imageset){.n = n, .c = c, .h = h, .w = w, .dim = (int64_t)c * h * w, .x = x, .y = y,
                       .classes = classes_of(y, n), .order = order};
  vg_order(order, n, 0, 0, 0);
  return VG_OK;
}

vg_status vg_imageset_from_idx(vg_idx *images, const vg_idx *labels, const char *what, vg_imageset *out, char *err,
                               size_t errlen) {
  memset(out, 0, sizeof *out);
  if (images->ndim != 2 && images->ndim != 3)
    return fail(err, errlen, VG_ERR_FORMAT, "%s: images must have 2 dimensions ([n, d]) or 3 ([n, h, w]), the file has %d",
                what, images->ndim);
  const int64_t n = images->dims[0];
  if (n == 0) return fail(err, errlen, VG_ERR_FORMAT, "%s: no images (the file's first dimension is 0)", what);
  if (labels && (labels->ndim != 1 || labels->dims[0] != n))
    return fail(err, errlen, VG_ERR_FORMAT, "%s: %lld images but %lld labels", what, (long long)n,
                (long long)(labels->ndim ? labels->dims[0] : 0));
  const int64_t h = images->ndim == 3 ? images->dims[1] : 1, w = images->dims[images->ndim - 1];
  if (h > INT32_MAX || w > INT32_MAX)
    return fail(err, errlen, VG_ERR_FORMAT, "%s: images of %lldx%lld pixels are too large", what, (long long)h,
                (long long)w);
  vg_status st = check_size(n, 1, (int)h, (int)w, what, err, errlen);
  if (st) return st;
  int32_t *y = NULL;
  if (labels) {
    if (!(y = malloc((size_t)n * sizeof *y)))
      return fail(err, errlen, VG_ERR_NOMEM, "%s: out of memory for %" PRId64 " labels", what, n);
    for (int64_t i = 0; i < n; i++) y[i] = labels->data[i];
  }
  if ((st = make(n, 1, (int)h, (int)w, images->data, y, what, out, err, errlen))) {
    free(y);
    return st;
  }
  images->data = NULL;
  return VG_OK;
}

/* Labels must be class ids or VG_NO_LABEL, and classes (1 + the largest)
 * must fit an int. */
static vg_status check_labels(const int32_t *y, int64_t n, const char *what, char *err, size_t errlen) {
  for (int64_t i = 0; y && i < n; i++)
    if (y[i] < VG_NO_LABEL || y[i] == INT32_MAX)
      return fail(err, errlen, VG_ERR_ARG,
                  "%s: example %" PRId64 " has label %" PRId32
                  "; a label is a class id from 0 to 2147483646, or -1 for an example without one",
                  what, i, y[i]);
  return VG_OK;
}

vg_status vg_imageset_adopt(int64_t n, int c, int h, int w, uint8_t *pixels, int32_t *labels, const char *what,
                            vg_imageset *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  vg_status st = check_size(n, c, h, w, what, err, errlen);
  if (!st && !pixels) st = fail(err, errlen, VG_ERR_ARG, "%s: no pixels given", what);
  if (!st) st = check_labels(labels, n, what, err, errlen);
  if (!st) st = make(n, c, h, w, pixels, labels, what, out, err, errlen);
  return st;
}

vg_status vg_imageset_from_bytes(int64_t n, int c, int h, int w, const uint8_t *pixels, const int32_t *labels,
                                 const char *what, vg_imageset *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  vg_status st = check_size(n, c, h, w, what, err, errlen);
  if (!st && !pixels) st = fail(err, errlen, VG_ERR_ARG, "%s: no pixels given", what);
  if (st) return st;
  /* Copies first, then the checks of vg_imageset_adopt. */
  const int64_t bytes = n * c * h * w;
  uint8_t *x = malloc((size_t)bytes);
  int32_t *y = labels ? malloc((size_t)n * sizeof *y) : NULL;
  if (!x || (labels && !y)) {
    free(x), free(y);
    return fail(err, errlen, VG_ERR_NOMEM, "%s: out of memory for %" PRId64 " examples of %dx%dx%d bytes", what, n, c,
                h, w);
  }
  memcpy(x, pixels, (size_t)bytes);
  if (y) memcpy(y, labels, (size_t)n * sizeof *y);
  if ((st = vg_imageset_adopt(n, c, h, w, x, y, what, out, err, errlen))) free(x), free(y);
  return st;
}

void vg_imageset_free(vg_imageset *set) {
  free(set->x);
  free(set->at);
  vg_pixcode_free(set->code);
  free(set->y);
  free(set->order);
  memset(set, 0, sizeof *set);
}

/* Where example e's bytes or code start in x, and how long they are. */
static int64_t start_of(const vg_imageset *set, int64_t e) { return set->at ? set->at[e] : e * set->dim; }
static int64_t length_of(const vg_imageset *set, int64_t e) { return start_of(set, e + 1) - start_of(set, e); }

/* Shrinks the buffers to the first m examples and resets the order. A
 * failed shrink keeps the larger buffer, which is harmless. */
static void shrink(vg_imageset *set, int64_t m) {
  uint8_t *x = realloc(set->x, (size_t)start_of(set, m));
  if (x) set->x = x;
  if (set->at) {
    int64_t *at = realloc(set->at, (size_t)(m + 1) * sizeof *at);
    if (at) set->at = at;
  }
  if (set->y) {
    int32_t *y = realloc(set->y, (size_t)m * sizeof *y);
    if (y) set->y = y;
  }
  int64_t *order = realloc(set->order, (size_t)m * sizeof *order);
  if (order) set->order = order;
  set->n = m;
  vg_order(set->order, m, 0, 0, 0);
}

/* "after keeping classes 3, 7 (the labels are 0 to 9)": appended to err
 * up to its end. */
static void explain_empty(char *err, size_t errlen, const unsigned char *keep, int nkeep, int classes) {
  size_t used = strlen(err);
  int any = 0;
  for (int k = 0; k < nkeep && used + 1 < errlen; k++) {
    if (!keep[k]) continue;
    int wrote = snprintf(err + used, errlen - used, "%s%d", any ? ", " : " after keeping classes ", k);
    if (wrote < 0) return;
    used += (size_t)wrote;
    any = 1;
  }
  if (used + 1 >= errlen) return;
  if (!any) snprintf(err + used, errlen - used, ": no class was asked for");
  else if (classes > 0) snprintf(err + used, errlen - used, " (the labels are 0 to %d)", classes - 1);
  else snprintf(err + used, errlen - used, " (no example has a label)");
}

vg_status vg_imageset_keep_classes(vg_imageset *set, const unsigned char *keep, int nkeep, char *err, size_t errlen) {
  if (!set->y) return fail(err, errlen, VG_ERR_ARG, "cannot keep classes of a data set without labels");
  if (nkeep < 0 || (nkeep > 0 && !keep))
    return fail(err, errlen, VG_ERR_ARG, "keep_classes: a list of %d classes", nkeep);
  unsigned char *kept = malloc((size_t)set->n);
  if (!kept) return fail(err, errlen, VG_ERR_NOMEM, "out of memory keeping classes of %" PRId64 " examples", set->n);
  int64_t m = 0;
  for (int64_t i = 0; i < set->n; i++) {
    const int32_t l = set->y[i];
    kept[i] = l >= 0 && l < nkeep && keep[l];
    m += kept[i];
  }
  if (m == 0) {
    free(kept);
    if (err && errlen) {
      snprintf(err, errlen, "no examples left");
      explain_empty(err, errlen, keep, nkeep, set->classes);
    }
    return VG_ERR_ARG;
  }
  /* Kept examples move to the front, in storage order; a code's start
   * moves with it (at[j] is rewritten only after at[i >= j] was read). */
  int64_t j = 0, to = 0;
  for (int64_t i = 0; i < set->n; i++) {
    if (!kept[i]) continue;
    const int64_t from = start_of(set, i), len = length_of(set, i);
    if (to != from) memmove(set->x + to, set->x + from, (size_t)len);
    set->y[j] = set->y[i];
    if (set->at) set->at[j] = to;
    to += len;
    j++;
  }
  if (set->at) set->at[j] = to;
  free(kept);
  shrink(set, m);
  return VG_OK;
}

vg_status vg_imageset_limit(vg_imageset *set, int64_t n, char *err, size_t errlen) {
  if (n < 1) return fail(err, errlen, VG_ERR_ARG, "a limit of %" PRId64 " examples: it must be at least 1", n);
  if (n >= set->n) return VG_OK;
  shrink(set, n);
  return VG_OK;
}

/* Groups the examples by label: on return idx holds the example indices of
 * group 0 (VG_NO_LABEL), then of class 0, 1, ..., each in storage order,
 * and start[g] .. start[g + 1] is group g's range (groups = classes + 1). A
 * set without labels is all group 0. */
static vg_status group_by_label(const vg_imageset *set, int64_t **idx_out, int64_t **start_out) {
  const int groups = set->classes + 1;
  int64_t *start = calloc((size_t)groups + 1, sizeof *start);
  int64_t *idx = malloc((size_t)set->n * sizeof *idx);
  if (!start || !idx) {
    free(start), free(idx);
    return VG_ERR_NOMEM;
  }
  for (int64_t i = 0; i < set->n; i++) start[(set->y ? set->y[i] : VG_NO_LABEL) + 2]++;
  for (int g = 1; g <= groups; g++) start[g] += start[g - 1];
  /* start[g] is group g's cursor while placing, and ends as group g's end:
   * shifting by one brings back the starts. */
  for (int64_t i = 0; i < set->n; i++) idx[start[(set->y ? set->y[i] : VG_NO_LABEL) + 1]++] = i;
  for (int g = groups; g > 0; g--) start[g] = start[g - 1];
  start[0] = 0;
  *idx_out = idx;
  *start_out = start;
  return VG_OK;
}

vg_status vg_imageset_label_subset(vg_imageset *set, int per_class, uint64_t seed, char *err, size_t errlen) {
  if (!set->y) return fail(err, errlen, VG_ERR_ARG, "cannot keep %d labels per class of a data set without labels", per_class);
  if (per_class < 1) return fail(err, errlen, VG_ERR_ARG, "labels per class must be at least 1, got %d", per_class);
  int64_t *idx, *start;
  if (group_by_label(set, &idx, &start))
    return fail(err, errlen, VG_ERR_NOMEM, "out of memory choosing labels among %" PRId64 " examples", set->n);
  for (int k = 0; k < set->classes; k++) {
    int64_t *members = idx + start[k + 1];
    const int64_t count = start[k + 2] - start[k + 1];
    if (count <= per_class) continue;
    vg_shuffle(members, count, seed, (uint64_t)k, LABEL_SUBSET_STREAM);
    for (int64_t i = per_class; i < count; i++) set->y[members[i]] = VG_NO_LABEL;
  }
  free(idx), free(start);
  return VG_OK;
}

/* A set of the m examples with pick[i] == want, storage order kept. */
static vg_status gather(const vg_imageset *src, const unsigned char *pick, unsigned char want, int64_t m,
                        vg_imageset *out) {
  int64_t bytes = 0;
  for (int64_t i = 0; i < src->n; i++)
    if (pick[i] == want) bytes += length_of(src, i);
  uint8_t *x = malloc((size_t)(bytes ? bytes : 1));
  int32_t *y = src->y ? malloc((size_t)m * sizeof *y) : NULL;
  int64_t *order = malloc((size_t)m * sizeof *order);
  int64_t *at = src->at ? malloc((size_t)(m + 1) * sizeof *at) : NULL;
  vg_pixcode *code = src->code ? vg_pixcode_copy(src->code) : NULL;
  if (!x || (src->y && !y) || !order || (src->at && !at) || (src->code && !code)) {
    free(x), free(y), free(order), free(at), vg_pixcode_free(code);
    return VG_ERR_NOMEM;
  }
  int64_t j = 0, to = 0;
  for (int64_t i = 0; i < src->n; i++) {
    if (pick[i] != want) continue;
    const int64_t len = length_of(src, i);
    memcpy(x + to, src->x + start_of(src, i), (size_t)len);
    if (y) y[j] = src->y[i];
    if (at) at[j] = to;
    to += len;
    j++;
  }
  if (at) at[j] = to;
  *out = (vg_imageset){.n = m, .c = src->c, .h = src->h, .w = src->w, .dim = src->dim, .x = x, .at = at, .code = code,
                       .y = y, .classes = src->classes, .order = order};
  vg_order(order, m, 0, 0, 0);
  return VG_OK;
}

/* "nd" for 2, "th" for 12: messages say "every 2nd example". */
static const char *ordinal_suffix(int k) {
  if (k % 100 >= 11 && k % 100 <= 13) return "th";
  return k % 10 == 1 ? "st" : k % 10 == 2 ? "nd" : k % 10 == 3 ? "rd" : "th";
}

vg_status vg_imageset_split_every(const vg_imageset *src, int k, vg_imageset *train, vg_imageset *test, char *err,
                                  size_t errlen) {
  memset(train, 0, sizeof *train);
  memset(test, 0, sizeof *test);
  if (k < 2) return fail(err, errlen, VG_ERR_ARG, "a test set of every %d%s example: k must be at least 2", k,
                            ordinal_suffix(k));
  unsigned char *to_test = malloc((size_t)src->n);
  int64_t *idx = NULL, *start = NULL;
  if (!to_test || group_by_label(src, &idx, &start)) {
    free(to_test);
    return fail(err, errlen, VG_ERR_NOMEM, "out of memory splitting %" PRId64 " examples", src->n);
  }
  memset(to_test, 0, (size_t)src->n);
  int64_t ntest = 0, largest = 0;
  for (int g = 0; g <= src->classes; g++) {
    const int64_t count = start[g + 1] - start[g];
    if (count > largest) largest = count;
    for (int64_t i = k - 1; i < count; i += k) to_test[idx[start[g] + i]] = 1, ntest++;
  }
  free(idx), free(start);
  vg_status st = VG_OK;
  if (ntest == 0)
    st = fail(err, errlen, VG_ERR_ARG,
              "every %d%s example of each class gives no test examples: the largest class has %" PRId64, k,
              ordinal_suffix(k), largest);
  else if (gather(src, to_test, 0, src->n - ntest, train) || gather(src, to_test, 1, ntest, test)) {
    vg_imageset_free(train);
    st = fail(err, errlen, VG_ERR_NOMEM, "out of memory splitting %" PRId64 " examples", src->n);
  }
  free(to_test);
  return st;
}

vg_status vg_imageset_labelled(const vg_imageset *src, vg_imageset *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  int64_t m = 0;
  for (int64_t i = 0; src->y && i < src->n; i++) m += src->y[i] != VG_NO_LABEL;
  if (m == 0) return fail(err, errlen, VG_ERR_ARG, "the %" PRId64 " training examples carry no label", src->n);
  unsigned char *pick = malloc((size_t)src->n);
  if (!pick) return fail(err, errlen, VG_ERR_NOMEM, "out of memory taking the labelled examples");
  for (int64_t i = 0; i < src->n; i++) pick[i] = src->y[i] != VG_NO_LABEL;
  vg_status st = gather(src, pick, 1, m, out);
  free(pick);
  if (st) return fail(err, errlen, st, "out of memory taking the %" PRId64 " labelled examples", m);
  return VG_OK;
}

void vg_imageset_order(vg_imageset *set, int shuffle, uint64_t seed, uint64_t epoch) {
  vg_order(set->order, set->n, shuffle, seed, epoch);
}

vg_status vg_imageset_compress(vg_imageset *set, const char *what, char *err, size_t errlen) {
  if (set->code) return VG_OK;
  const int64_t n = set->n, dim = set->dim;
  const size_t bound = vg_pixcode_bound(set->c, set->h, set->w);
  vg_pixcode *code = NULL;
  /* The codes go one after another into a buffer that grows as they come,
   * from half the bytes (most pictures need less; noise needs more). */
  size_t cap = (size_t)(n * dim) / 2 + bound, used = 0;
  uint8_t *x = malloc(cap), *room = malloc(bound), *check = malloc((size_t)dim);
  int64_t *at = malloc((size_t)(n + 1) * sizeof *at);
  vg_status st = VG_OK;
  if (!x || !room || !check || !at || vg_pixcode_train(set->x, n, set->c, set->h, set->w, &code)) {
    st = fail(err, errlen, VG_ERR_NOMEM, "%s: out of memory compressing %" PRId64 " examples of %" PRId64 " bytes",
              what, n, dim);
    goto done;
  }
  at[0] = 0;
  for (int64_t e = 0; e < n && !st; e++) {
    const uint8_t *px = set->x + e * dim;
    const size_t len = vg_pixcode_encode(code, px, set->c, set->h, set->w, room);
    if (used + len > cap) {
      const size_t grown = cap + cap / 2 > used + len ? cap + cap / 2 : used + len;
      uint8_t *more = realloc(x, grown);
      if (!more) {
        st = fail(err, errlen, VG_ERR_NOMEM, "%s: out of memory compressing example %" PRId64, what, e);
        break;
      }
      x = more, cap = grown;
    }
    memcpy(x + used, room + bound - len, len);
    /* The model was trained on these very bytes, so neither can fail; the
     * check turns a bug here into an error rather than a run that trains
     * on other pixels than the data's. */
    if (!len || vg_pixcode_decode(code, x + used, len, set->c, set->h, set->w, check) ||
        memcmp(check, px, (size_t)dim))
      st = fail(err, errlen, VG_ERR_FORMAT, "%s: example %" PRId64 " does not survive compression (a bug in pixcode.c)",
                what, e);
    used += len;
    at[e + 1] = (int64_t)used;
  }
  if (!st) {
    uint8_t *fit = realloc(x, used ? used : 1);
    free(set->x);
    set->x = fit ? fit : x;
    set->at = at;
    set->code = code;
    x = NULL, at = NULL, code = NULL;
  }
done:
  free(x), free(room), free(check), free(at);
  vg_pixcode_free(code);
  return st;
}

int64_t vg_imageset_pixel_bytes(const vg_imageset *set) {
  if (!set->code) return set->n * set->dim;
  return set->at[set->n] + (set->n + 1) * (int64_t)sizeof *set->at + (int64_t)vg_pixcode_model_bytes();
}

void vg_imageset_example(const vg_imageset *set, int64_t e, uint8_t *dst) {
  const uint8_t *src = set->x + start_of(set, e);
  /* The codes were checked when made (vg_imageset_compress). */
  if (set->code) (void)vg_pixcode_decode(set->code, src, (size_t)length_of(set, e), set->c, set->h, set->w, dst);
  else memcpy(dst, src, (size_t)set->dim);
}

void vg_imageset_fill_pixels(const vg_imageset *set, int64_t first, int64_t count, float scale, float shift,
                             float *dst) {
  const int64_t dim = set->dim;
  const int coded = set->code != NULL;
#pragma omp parallel for schedule(static) if (count * dim >= 65536 || (coded && count >= 16))
  for (int64_t b = 0; b < count; b++) {
    const int64_t e = set->order[first + b];
    float *row = dst + b * dim;
    const uint8_t *src;
    if (coded) {
      /* Decoded into the last quarter of the row's own floats: writing
       * float j (bytes 4j..4j+3) then never reaches byte j+1 of the
       * example (at 3*dim + j + 1), so the row is converted in place. */
      uint8_t *bytes = (uint8_t *)row + 3 * dim;
      vg_imageset_example(set, e, bytes);
      src = bytes;
    } else {
      src = set->x + e * dim;
    }
    for (int64_t j = 0; j < dim; j++) row[j] = (float)src[j] * scale + shift;
  }
}

static int32_t label_at(const vg_imageset *set, int64_t pos) {
  return set->y ? set->y[set->order[pos]] : VG_NO_LABEL;
}

void vg_imageset_fill_onehot(const vg_imageset *set, int64_t first, int64_t count, int width, float *dst) {
  memset(dst, 0, (size_t)count * (size_t)width * sizeof *dst);
  for (int64_t b = 0; b < count; b++) {
    const int32_t l = label_at(set, first + b);
    if (l >= 0 && l < width) dst[b * width + l] = 1;
  }
}

void vg_imageset_fill_class(const vg_imageset *set, int64_t first, int64_t count, float *dst) {
  for (int64_t b = 0; b < count; b++) dst[b] = (float)label_at(set, first + b);
}

void vg_imageset_fill_has_label(const vg_imageset *set, int64_t first, int64_t count, float *dst) {
  for (int64_t b = 0; b < count; b++) dst[b] = label_at(set, first + b) != VG_NO_LABEL ? 1.0f : 0.0f;
}

void vg_imageset_labels(const vg_imageset *set, int64_t first, int64_t count, int32_t *dst) {
  for (int64_t b = 0; b < count; b++) dst[b] = label_at(set, first + b);
}

/* ---- fingerprint ---- */

#define FNV_OFFSET 14695981039346656037ull
#define FNV_PRIME 1099511628211ull

static uint64_t fnv_word(uint64_t h, uint64_t word) { return (h ^ word) * FNV_PRIME; }

/* Bytes as little-endian words, whatever the host's byte order; the last
 * partial word is zero-padded (the length is hashed beforehand). */
static uint64_t fnv_bytes(uint64_t h, const uint8_t *p, size_t len) {
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t word = 0;
    for (int k = 0; k < 8; k++) word |= (uint64_t)p[i + k] << (8 * k);
    h = fnv_word(h, word);
  }
  if (i < len) {
    uint64_t word = 0;
    for (int k = 0; i + (size_t)k < len; k++) word |= (uint64_t)p[i + k] << (8 * k);
    h = fnv_word(h, word);
  }
  return h;
}

/* The pixels of a compressed set, decoded one example at a time, hashed
 * as the bytes would be: words that straddle two examples are carried
 * over. */
static int fnv_decoded(const vg_imageset *set, uint64_t *h) {
  uint8_t *px = malloc((size_t)set->dim + 8);
  if (!px) return -1;
  size_t carry = 0; /* bytes of an unfinished word at px[0..carry) */
  for (int64_t e = 0; e < set->n; e++) {
    vg_imageset_example(set, e, px + carry);
    const size_t have = carry + (size_t)set->dim, whole = have / 8 * 8;
    *h = fnv_bytes(*h, px, whole);
    carry = have - whole;
    memmove(px, px + whole, carry);
  }
  if (carry) *h = fnv_bytes(*h, px, carry);
  free(px);
  return 0;
}

char *vg_imageset_fingerprint(const vg_imageset *set, char *buf, size_t len) {
  uint64_t h = FNV_OFFSET;
  h = fnv_word(h, (uint64_t)set->n);
  h = fnv_word(h, (uint64_t)set->c);
  h = fnv_word(h, (uint64_t)set->h);
  h = fnv_word(h, (uint64_t)set->w);
  if (!set->code) h = fnv_bytes(h, set->x, (size_t)(set->n * set->dim));
  else if (fnv_decoded(set, &h)) return NULL;
  /* Without labels and with every label VG_NO_LABEL are different data. */
  h = fnv_word(h, set->y != NULL);
  if (set->y)
    for (int64_t i = 0; i < set->n; i++) h = fnv_word(h, (uint64_t)(int64_t)set->y[i]);
  char classes[32];
  if (set->y) snprintf(classes, sizeof classes, "%d classes", set->classes);
  else snprintf(classes, sizeof classes, "no labels");
  snprintf(buf, len, "%" PRId64 " images %dx%dx%d, %s, fnv1a64 %016" PRIx64, set->n, set->c, set->h, set->w, classes,
           h);
  return buf;
}

/* An in-memory image data set: what every image source (IDX files, a folder
 * of PNGs, a format read in Lua) produces, and what the trainer reads
 * batches from. Examples are kept in the order the source gave them
 * ("storage order"); `order` is this epoch's visiting order over them.
 *
 * Functions that can fail return a vg_status and fill err (which may be
 * NULL) with a message: constructors start theirs with `what` (a file or
 * the caller's name for the data), the others describe the set. */
#ifndef VG_IMAGESET_H
#define VG_IMAGESET_H

#include <stddef.h>
#include <stdint.h>

#include "idx.h"
#include "order.h"
#include "pixcode.h"

/* The label of an example without one: cross_entropy's ignored class id. */
#define VG_NO_LABEL (-1)

typedef struct vg_imageset {
  int64_t n;      /* examples, at least 1 */
  int c, h, w;    /* each example is c*h*w bytes, CHW planar (a [C,H,W] tensor) */
  int64_t dim;    /* c*h*w */
  uint8_t *x;     /* the examples in storage order: n*dim bytes, or (at != NULL) their codes */
  int32_t *y;     /* n labels, VG_NO_LABEL for an example without one; NULL: no labels at all */
  int classes;    /* 1 + the largest label (0 without labels); kept when examples are dropped */
  int64_t *order; /* this epoch's order: a permutation of 0..n-1 */
  /* A compressed set (vg_imageset_compress): example e's code is
   * x[at[e] .. at[e+1]) (n+1 offsets), made with code. NULL, NULL: bytes. */
  int64_t *at;
  vg_pixcode *code;
} vg_imageset;

/* images: an IDX file of [n, h, w] (c = 1) or [n, d] (c = 1, h = 1, w = d)
 * bytes; labels (may be NULL): [n] bytes. On success the set takes the
 * images' buffer (images->data becomes NULL; the caller still frees both
 * with vg_idx_free) and copies the labels; the order is the identity.
 * VG_ERR_FORMAT for other shapes, no images or a label count that differs;
 * VG_ERR_NOMEM. On error *out is empty and images is untouched. */
vg_status vg_imageset_from_idx(vg_idx *images, const vg_idx *labels, const char *what, vg_imageset *out, char *err,
                               size_t errlen);

/* n examples of c*h*w bytes each (CHW planar, example after example) and
 * optional labels (NULL, or n class ids >= 0 or VG_NO_LABEL), both copied:
 * the constructor for a format read anywhere else (a Lua script). The order
 * is the identity. VG_ERR_ARG for a size that is not positive or overflows,
 * or a label below -1 (the message names the example); VG_ERR_NOMEM. */
vg_status vg_imageset_from_bytes(int64_t n, int c, int h, int w, const uint8_t *pixels, const int32_t *labels,
                                 const char *what, vg_imageset *out, char *err, size_t errlen);

/* As vg_imageset_from_bytes, but the set takes the malloc'd buffers
 * themselves instead of copies (on success only; on error they stay the
 * caller's): for a source that builds its examples in place. */
vg_status vg_imageset_adopt(int64_t n, int c, int h, int w, uint8_t *pixels, int32_t *labels, const char *what,
                            vg_imageset *out, char *err, size_t errlen);

/* Holds the examples compressed (pixcode.h) from now on: 48% of the bytes
 * for Fashion-MNIST, 23% for MNIST (plus a model of about 300 KB), for
 * about 3 microseconds of decoding per 28x28 example each time a fill reads
 * it; everything else reads the same values as before, the fingerprint
 * included. Each example is decoded once here and compared with its bytes.
 * A set already compressed is left alone. VG_ERR_NOMEM, or VG_ERR_FORMAT
 * should an example not come back (a bug); `what` names the set in the
 * message, and the set is unchanged on error. */
vg_status vg_imageset_compress(vg_imageset *set, const char *what, char *err, size_t errlen);

/* The bytes the examples' pixels take in memory: n*dim, or their codes,
 * offsets and model. */
int64_t vg_imageset_pixel_bytes(const vg_imageset *set);

/* The dim bytes of example e (in storage order) into dst. */
void vg_imageset_example(const vg_imageset *set, int64_t e, uint8_t *dst);

/* Frees the buffers and zeroes *set; a zeroed set may be freed again. */
void vg_imageset_free(vg_imageset *set);

/* Keeps the examples whose label l has 0 <= l < nkeep and keep[l] != 0, in
 * their storage order; examples without a label go. `classes` is unchanged,
 * so one-hot widths stay what they were; the order becomes the identity.
 * VG_ERR_ARG on a set without labels, or when nothing is left (the message
 * lists the classes asked for); the set is unchanged on error. */
vg_status vg_imageset_keep_classes(vg_imageset *set, const unsigned char *keep, int nkeep, char *err, size_t errlen);

/* Keeps the first n examples in storage order (all of them when there are
 * fewer); the order becomes the identity. VG_ERR_ARG for n < 1. */
vg_status vg_imageset_limit(vg_imageset *set, int64_t n, char *err, size_t errlen);

/* For semi-supervised training: keeps the labels of per_class examples of
 * each class and makes every other label VG_NO_LABEL; a class with fewer
 * examples keeps all its labels. The examples of class k, in storage order,
 * are shuffled by vg_shuffle keyed by (seed, k) and the first per_class keep
 * theirs: the same seed picks the same examples. Pixels, n, classes and the
 * order are unchanged. VG_ERR_ARG on a set without labels or per_class < 1. */
vg_status vg_imageset_label_subset(vg_imageset *set, int per_class, uint64_t seed, char *err, size_t errlen);

/* A test set out of a source that has none (a folder without train/test
 * sub-folders): within each class, in storage order (not this epoch's
 * order, so the split never depends on a shuffle), the k-th, 2k-th, ...
 * examples go to *test and the rest to *train, both in storage order with
 * src's classes; examples without a label form one more group; a set
 * without labels is one group. src is unchanged. VG_ERR_ARG for k < 2 or
 * when no group has k examples (the test set would be empty); VG_ERR_NOMEM.
 * On error *train and *test are empty. */
vg_status vg_imageset_split_every(const vg_imageset *src, int k, vg_imageset *train, vg_imageset *test, char *err,
                                  size_t errlen);

/* The examples that carry a label, copied into *out in storage order with
 * src's classes: the labelled stream of semi-supervised training, drawn
 * beside the whole set. VG_ERR_ARG when no example has a label;
 * VG_ERR_NOMEM. On error *out is empty. */
vg_status vg_imageset_labelled(const vg_imageset *src, vg_imageset *out, char *err, size_t errlen);

/* The identity order (evaluation), or the permutation vg_order gives for
 * (seed, epoch). */
void vg_imageset_order(vg_imageset *set, int shuffle, uint64_t seed, uint64_t epoch);

/* Fills read the `count` examples at positions first .. first+count-1 of
 * this epoch's order; the caller keeps that range inside 0..n (no
 * wrap-around). Example b of the batch is e = order[first + b]. */

/* dst[b, j] = x[e, j] * scale + shift, j < dim: dst is [count, dim]. */
void vg_imageset_fill_pixels(const vg_imageset *set, int64_t first, int64_t count, float scale, float shift,
                             float *dst);
/* dst[b, k] = (y[e] == k) for k < width: dst is [count, width]. A row is
 * all zeros for VG_NO_LABEL, a set without labels or a label >= width (the
 * caller makes width at least `classes`). */
void vg_imageset_fill_onehot(const vg_imageset *set, int64_t first, int64_t count, int width, float *dst);
/* dst[b] = y[e] as a float: -1 (VG_NO_LABEL, cross_entropy's ignored id)
 * for an example without a label or a set without labels. */
void vg_imageset_fill_class(const vg_imageset *set, int64_t first, int64_t count, float *dst);
/* dst[b] = 1 when example e has a label, else 0: a mask for losses that
 * only labelled examples feed. */
void vg_imageset_fill_has_label(const vg_imageset *set, int64_t first, int64_t count, float *dst);
/* dst[b] = y[e], VG_NO_LABEL without one. */
void vg_imageset_labels(const vg_imageset *set, int64_t first, int64_t count, int32_t *dst);

/* Writes "60000 images 1x28x28, 10 classes, fnv1a64 <16 hex digits>" (or
 * "..., no labels, ..." for a set without labels) into buf and returns buf:
 * a resumed run compares it with its checkpoint's to refuse other data.
 * The hash covers n, c, h, w, the pixels and the labels in storage order
 * (not the order, which changes every epoch). It is FNV-1a taken over 8-byte
 * little-endian words rather than single bytes, for eight times fewer
 * multiplications in its dependency chain (11 ms for MNIST's 47 MB where a
 * byte at a time takes 52; measured at -O3). 128 bytes of buf are always
 * enough. A compressed set hashes its decoded bytes (the same fingerprint)
 * through a buffer of dim bytes: NULL when that is out of memory. */
char *vg_imageset_fingerprint(const vg_imageset *set, char *buf, size_t len);

#endif

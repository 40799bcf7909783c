/* Ops along one axis of their input (softmax, logsumexp, max, argmax,
 * gumbel_softmax, kl_categorical): the axis attribute checked once in
 * infer, the shape without that axis, and the split of a shape around it.
 * Element (o, c, j), o before the axis, c along it, j after it, sits at
 * (o * len + c) * inner + j; one "row" of the axis is the len elements of
 * one (o, j), `inner` apart. The last axis has inner == 1: rows are
 * contiguous, the case kernels keep fast. */
#ifndef VG_AXIS_H
#define VG_AXIS_H

#include "kernel.h"

/* The longest axis whose places (argmax's output, what max saves) a float
 * holds exactly. */
#define VG_MAX_INDEX ((int64_t)1 << 24)

/* The op's axis attribute at `slot`, normalised into *axis; an error naming
 * the input and its shape when it is out of range. */
static inline vg_status vg_infer_axis(vg_graph *g, vg_node *n, int slot, int *axis) {
  const vg_shape *s = vg_in_shape(g, n, 0);
  *axis = vg_axis(n->attr.v[slot], s->nd);
  if (*axis >= 0) return VG_OK;
  char b[VG_SHAPE_STRLEN];
  return vg_op_fail(g, n, VG_ERR_ARG, "axis %g out of range for '%s' %s", n->attr.v[slot], vg_in_name(g, n, 0),
                    vg_shape_str(s, b, sizeof b));
}

/* s without dimension `axis`: [2, 5, 3] without 1 is [2, 3]. */
static inline vg_shape vg_shape_drop(const vg_shape *s, int axis) {
  vg_shape r = {s->nd - 1, {0}};
  for (int i = 0, j = 0; i < s->nd; i++)
    if (i != axis) r.d[j++] = s->d[i];
  return r;
}

/* outer x len x inner around `axis` of s. */
static inline void vg_axis_split(const vg_shape *s, int axis, int64_t *outer, int64_t *len, int64_t *inner) {
  *outer = *inner = 1;
  for (int i = 0; i < axis; i++) *outer *= s->d[i];
  for (int i = axis + 1; i < s->nd; i++) *inner *= s->d[i];
  *len = s->d[axis];
}

/* The same from a kernel's attribute (infer has checked it). */
static inline void vg_kernel_split(const vg_kernel *k, int slot, int64_t *outer, int64_t *len, int64_t *inner) {
  vg_axis_split(k->xs[0], vg_axis(k->a->v[slot], k->xs[0]->nd), outer, len, inner);
}

/* Row r of outer * inner rows starts at element row_start(r): (o, 0, j). */
static inline int64_t vg_row_start(int64_t r, int64_t len, int64_t inner) {
  return r / inner * len * inner + r % inner;
}

#endif

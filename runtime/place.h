/* Offsets in one arena for buffers that live over spans of a plan's steps. */
#ifndef VG_PLACE_H
#define VG_PLACE_H

#include <stddef.h>

typedef struct vg_span {
  size_t len;     /* in floats, already rounded to the arena's alignment */
  int start, end; /* first and last step it is alive at, inclusive */
  size_t off;     /* out: where it lies */
} vg_span;

/* Gives every span an offset such that two spans alive at a common step do
 * not overlap, and sets *total to the arena length they need. Steps run from
 * 0 to nsteps-1. Returns 0, -1 when out of memory, or -2 when a span does
 * not lie within them (nothing placed). */
int vg_place(vg_span *spans, int n, int nsteps, size_t *total);

/* The linear sweep alone, which vg_place always runs (spans in range). The
 * tests call it to check it where largest-first would win. */
int vg_place_sweep(vg_span *spans, int n, size_t *total);

/* The most the spans hold at any one step, which no placement goes below:
 * sets *bound, returns 0, -1 when out of memory, or -2 as vg_place. */
int vg_place_bound(const vg_span *spans, int n, int nsteps, size_t *bound);

#endif

/* Placing a plan's buffers in one arena, two ways.
 *
 * Largest first: each buffer takes the lowest offset that clears every
 * placed buffer alive at an overlapping step. It reaches the lower bound
 * (the most memory alive at any one step) on every model in graphs/, but
 * each buffer is checked against all placed ones: quadratic.
 *
 * A sweep over the steps: each buffer is allocated when it is born and freed
 * after its last step, as malloc would but ahead of time, best fit from
 * size-class bins with free neighbours merged; a buffer no hole fits goes on
 * top, growing a free block that ends the arena. About linear, but a large
 * buffer born late finds only holes too small for it (up to 29% above the
 * bound on graphs/: vae's and vq_vae's eval).
 *
 * So the sweep always runs, and largest-first too while it stays cheap (up
 * to GREEDY_MAX buffers: a few milliseconds); the smaller arena wins. */
#include "place.h"

#include <stdlib.h>
#include <string.h>

#define NBINS 64 /* by the highest set bit of a block's length */
#define NONE (-1)
#define GREEDY_MAX 4096

typedef struct block {
  size_t off, len;
  int prev, next;   /* neighbours in address order */
  int bprev, bnext; /* neighbours in its bin, while free */
  int free;
} block;

/* Blocks cover [0, top) without gaps, in address order from the first
 * record to `tail`; no two free blocks are neighbours. */
typedef struct placer {
  block *b;
  int nb;
  int tail; /* the block at the highest address */
  int bin[NBINS];
  size_t top;
} placer;

static int bin_of(size_t len) {
  int k = 0;
  while (len >>= 1) k++;
  return k;
}

static void bin_add(placer *p, int i) {
  block *x = &p->b[i];
  int k = bin_of(x->len);
  x->free = 1, x->bprev = NONE, x->bnext = p->bin[k];
  if (p->bin[k] != NONE) p->b[p->bin[k]].bprev = i;
  p->bin[k] = i;
}

/* Before its length changes: the bin is found from the length. */
static void bin_remove(placer *p, int i) {
  block *x = &p->b[i];
  if (x->bprev != NONE) p->b[x->bprev].bnext = x->bnext;
  else p->bin[bin_of(x->len)] = x->bnext;
  if (x->bnext != NONE) p->b[x->bnext].bprev = x->bprev;
  x->free = 0;
}

/* A new block after `after` in address order (NONE: the arena was empty). */
static int new_block(placer *p, int after, size_t off, size_t len) {
  int i = p->nb++;
  block *x = &p->b[i];
  x->off = off, x->len = len, x->free = 0, x->prev = after;
  x->next = after == NONE ? NONE : p->b[after].next;
  if (after != NONE) p->b[after].next = i;
  if (x->next != NONE) p->b[x->next].prev = i;
  else p->tail = i;
  return i;
}

/* A free block of at least len: the smallest in len's own size class
 * (lowest address among equals), else the first in the next class that has
 * any, where every block fits; so a search scans one bin at most. */
static int find_fit(const placer *p, size_t len) {
  const int k = bin_of(len);
  int best = NONE;
  for (int i = p->bin[k]; i != NONE; i = p->b[i].bnext) {
    const block *x = &p->b[i];
    if (x->len < len) continue;
    if (best == NONE || x->len < p->b[best].len || (x->len == p->b[best].len && x->off < p->b[best].off)) best = i;
    if (x->len == len) break;
  }
  for (int j = k + 1; best == NONE && j < NBINS; j++) best = p->bin[j];
  return best;
}

static int allocate(placer *p, size_t len) {
  int i = find_fit(p, len);
  if (i == NONE) {
    if (p->tail != NONE && p->b[p->tail].free) { /* grow the free block that ends the arena */
      i = p->tail;
      bin_remove(p, i);
      p->b[i].len = len;
    } else {
      i = new_block(p, p->tail, p->top, len);
    }
    p->top = p->b[i].off + len;
    return i;
  }
  bin_remove(p, i);
  if (p->b[i].len > len) {
    int rest = new_block(p, i, p->b[i].off + len, p->b[i].len - len);
    p->b[i].len = len;
    bin_add(p, rest);
  }
  return i;
}

/* Merges block j (the next one in address order) into block i; j's record
 * is not used again. */
static void merge_next(placer *p, int i, int j) {
  p->b[i].len += p->b[j].len;
  p->b[i].next = p->b[j].next;
  if (p->b[j].next != NONE) p->b[p->b[j].next].prev = i;
  else p->tail = i;
}

static void release(placer *p, int i) {
  int j = p->b[i].next;
  if (j != NONE && p->b[j].free) bin_remove(p, j), merge_next(p, i, j);
  j = p->b[i].prev;
  if (j != NONE && p->b[j].free) bin_remove(p, j), merge_next(p, j, i), i = j;
  bin_add(p, i);
}

/* Comparators over pointers into one array: ties go by position. */
static int by_birth(const void *a, const void *b) { /* within a step the largest first, so small ones fill holes */
  const vg_span *x = *(const vg_span *const *)a, *y = *(const vg_span *const *)b;
  if (x->start != y->start) return x->start < y->start ? -1 : 1;
  if (x->len != y->len) return x->len > y->len ? -1 : 1;
  return x < y ? -1 : x > y;
}

static int by_death(const void *a, const void *b) {
  const vg_span *x = *(const vg_span *const *)a, *y = *(const vg_span *const *)b;
  if (x->end != y->end) return x->end < y->end ? -1 : 1;
  return x < y ? -1 : x > y;
}

static int by_size(const void *a, const void *b) { /* largest first, ties by birth */
  const vg_span *x = *(const vg_span *const *)a, *y = *(const vg_span *const *)b;
  if (x->len != y->len) return x->len > y->len ? -1 : 1;
  if (x->start != y->start) return x->start < y->start ? -1 : 1;
  return x < y ? -1 : x > y;
}

static vg_span **sorted(vg_span *spans, int n, int (*cmp)(const void *, const void *)) {
  vg_span **s = malloc((size_t)n * sizeof *s);
  if (!s) return NULL;
  for (int i = 0; i < n; i++) s[i] = &spans[i];
  qsort(s, (size_t)n, sizeof *s, cmp);
  return s;
}

int vg_place_sweep(vg_span *spans, int n, size_t *total) {
  *total = 0;
  if (n <= 0) return 0;
  placer p = {.nb = 0, .tail = NONE, .top = 0};
  for (int k = 0; k < NBINS; k++) p.bin[k] = NONE;
  vg_span **births = sorted(spans, n, by_birth), **deaths = sorted(spans, n, by_death);
  int *where = malloc((size_t)n * sizeof *where);
  p.b = malloc((size_t)n * sizeof *p.b); /* each allocation adds one record at most */
  int rc = -1;
  if (!births || !deaths || !where || !p.b) goto done;
  /* Step by step: place what is born at a step, then free what dies there,
   * so a step's inputs and outputs never share memory. */
  for (int a = 0, d = 0; a < n || d < n;) {
    const int t = a < n ? births[a]->start : n;
    for (; a < n && births[a]->start == t; a++) where[births[a] - spans] = allocate(&p, births[a]->len);
    for (; d < n && (a == n || deaths[d]->end < births[a]->start); d++) release(&p, where[deaths[d] - spans]);
  }
  for (int i = 0; i < n; i++) spans[i].off = p.b[where[i]].off;
  *total = p.top;
  rc = 0;
done:
  free(births), free(deaths), free(where), free(p.b);
  return rc;
}

/* Placed buffers are kept in order of offset, so one pass over them finds
 * the lowest gap that fits. */
static int largest_first(vg_span *spans, int n, size_t *total) {
  vg_span **by = sorted(spans, n, by_size);
  vg_span **placed = malloc((size_t)n * sizeof *placed); /* by offset */
  if (!by || !placed) {
    free(by), free(placed);
    return -1;
  }
  size_t top = 0;
  for (int i = 0, nplaced = 0; i < n; i++) {
    vg_span *b = by[i];
    size_t off = 0;
    int at = 0; /* where b goes in `placed` */
    for (int j = 0; j < nplaced; j++) {
      const vg_span *q = placed[j];
      if (q->off >= off + b->len) break; /* b fits below q, and below every later one */
      if (q->off <= off) at = j + 1;
      if (q->end < b->start || b->end < q->start) continue;
      if (q->off + q->len > off) off = q->off + q->len, at = j + 1;
    }
    while (at < nplaced && placed[at]->off <= off) at++;
    memmove(placed + at + 1, placed + at, (size_t)(nplaced - at) * sizeof *placed);
    placed[at] = b;
    nplaced++;
    b->off = off;
    if (off + b->len > top) top = off + b->len;
  }
  free(by), free(placed);
  *total = top;
  return 0;
}

static int out_of_range(const vg_span *spans, int n, int nsteps) {
  if (n < 0) return 1;
  for (int i = 0; i < n; i++)
    if (spans[i].start < 0 || spans[i].end < spans[i].start || spans[i].end >= nsteps) return 1;
  return 0;
}

int vg_place(vg_span *spans, int n, int nsteps, size_t *total) {
  *total = 0;
  if (out_of_range(spans, n, nsteps)) return -2;
  if (n == 0) return 0;
  if (vg_place_sweep(spans, n, total)) return -1;
  if (n > GREEDY_MAX) return 0;
  /* Out of memory here still leaves the sweep's placement. */
  vg_span *alt = malloc((size_t)n * sizeof *alt);
  size_t alt_total;
  if (!alt) return 0;
  memcpy(alt, spans, (size_t)n * sizeof *alt);
  if (!largest_first(alt, n, &alt_total) && alt_total < *total) memcpy(spans, alt, (size_t)n * sizeof *alt), *total = alt_total;
  free(alt);
  return 0;
}

int vg_place_bound(const vg_span *spans, int n, int nsteps, size_t *bound) {
  *bound = 0;
  if (out_of_range(spans, n, nsteps)) return -2;
  size_t *born = calloc((size_t)nsteps + 1, sizeof *born), *died = calloc((size_t)nsteps + 1, sizeof *died);
  if (!born || !died) {
    free(born), free(died);
    return -1;
  }
  for (int i = 0; i < n; i++) born[spans[i].start] += spans[i].len, died[spans[i].end + 1] += spans[i].len;
  size_t live = 0;
  for (int t = 0; t < nsteps; t++) {
    live = live + born[t] - died[t];
    if (live > *bound) *bound = live;
  }
  free(born), free(died);
  return 0;
}

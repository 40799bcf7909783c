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
 * buffer born late finds only holes too small for it (up to 28% above the
 * bound on graphs/: vq_vae's eval).
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

/* The smallest free block of at least len (lowest address among equals). */
static int best_fit(const placer *p, size_t len) {
  for (int k = bin_of(len); k < NBINS; k++) {
    int best = NONE;
    for (int i = p->bin[k]; i != NONE; i = p->b[i].bnext) {
      const block *x = &p->b[i];
      if (x->len < len) continue;
      if (best == NONE || x->len < p->b[best].len || (x->len == p->b[best].len && x->off < p->b[best].off)) best = i;
      if (x->len == len) break;
    }
    if (best != NONE) return best;
  }
  return NONE;
}

static int allocate(placer *p, size_t len) {
  int i = best_fit(p, len);
  if (i == NONE) {
    if (p->tail != NONE && p->b[p->tail].free) { /* grow the free block that ends the arena */
      i = p->tail;
      bin_remove(p, i);
      p->b[i].len = len;
    } else {
      i = new_block(p, p->tail, p->tail == NONE ? 0 : p->b[p->tail].off + p->b[p->tail].len, len);
    }
    if (p->b[i].off + len > p->top) p->top = p->b[i].off + len;
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

/* Merges block j (the next one in address order) into block i. */
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

static const vg_span *sort_spans; /* qsort has no context argument */

/* Birth order; within a step the largest first, so small ones fill holes. */
static int by_birth(const void *a, const void *b) {
  const int i = *(const int *)a, j = *(const int *)b;
  const vg_span *x = &sort_spans[i], *y = &sort_spans[j];
  if (x->start != y->start) return x->start < y->start ? -1 : 1;
  if (x->len != y->len) return x->len > y->len ? -1 : 1;
  return i < j ? -1 : i > j;
}

static int sweep(vg_span *spans, int n, int nsteps, size_t *total) {
  placer p = {.nb = 0, .tail = NONE, .top = 0};
  for (int k = 0; k < NBINS; k++) p.bin[k] = NONE;
  int *born = malloc((size_t)(n ? n : 1) * sizeof *born);
  int *dying = malloc((size_t)(n ? n : 1) * sizeof *dying); /* by last step: a counting sort */
  int *first_dying = calloc((size_t)nsteps + 2, sizeof *first_dying);
  int *where = malloc((size_t)(n ? n : 1) * sizeof *where);
  p.b = malloc((size_t)(2 * n + 1) * sizeof *p.b);
  int rc = -1;
  if (!born || !dying || !first_dying || !where || !p.b) goto done;
  for (int i = 0; i < n; i++) born[i] = i, first_dying[spans[i].end + 1]++;
  for (int t = 0; t < nsteps; t++) first_dying[t + 1] += first_dying[t];
  for (int i = 0; i < n; i++) dying[first_dying[spans[i].end]++] = i;
  for (int t = nsteps; t > 0; t--) first_dying[t] = first_dying[t - 1];
  first_dying[0] = 0;
  sort_spans = spans;
  if (n) qsort(born, (size_t)n, sizeof *born, by_birth);
  /* At each step: place what is born there, then free what dies there, so
   * a step's inputs and outputs never share memory. */
  for (int t = 0, a = 0; t < nsteps; t++) {
    for (; a < n && spans[born[a]].start == t; a++) where[born[a]] = allocate(&p, spans[born[a]].len);
    for (int d = first_dying[t]; d < first_dying[t + 1]; d++) release(&p, where[dying[d]]);
  }
  for (int i = 0; i < n; i++) spans[i].off = p.b[where[i]].off;
  *total = p.top;
  rc = 0;
done:
  free(born), free(dying), free(first_dying), free(where), free(p.b);
  return rc;
}

/* Largest first, ties by birth. */
static int by_size(const void *a, const void *b) {
  const int i = *(const int *)a, j = *(const int *)b;
  const vg_span *x = &sort_spans[i], *y = &sort_spans[j];
  if (x->len != y->len) return x->len > y->len ? -1 : 1;
  if (x->start != y->start) return x->start < y->start ? -1 : 1;
  return i < j ? -1 : i > j;
}

/* Placed buffers are kept in order of offset, so one pass over them finds
 * the lowest gap that fits. */
static int largest_first(vg_span *spans, int n, size_t *total) {
  int *by = malloc((size_t)(n ? n : 1) * sizeof *by);
  int *placed = malloc((size_t)(n ? n : 1) * sizeof *placed); /* by offset */
  if (!by || !placed) {
    free(by), free(placed);
    return -1;
  }
  for (int i = 0; i < n; i++) by[i] = i;
  sort_spans = spans;
  if (n) qsort(by, (size_t)n, sizeof *by, by_size);
  size_t top = 0;
  for (int i = 0, nplaced = 0; i < n; i++) {
    vg_span *b = &spans[by[i]];
    size_t off = 0;
    int at = 0; /* where b goes in `placed` */
    for (int j = 0; j < nplaced; j++) {
      const vg_span *q = &spans[placed[j]];
      if (q->off >= off + b->len) break; /* b fits below q, and below every later one */
      if (q->off <= off) at = j + 1;
      if (q->end < b->start || b->end < q->start) continue;
      if (q->off + q->len > off) off = q->off + q->len, at = j + 1;
    }
    while (at < nplaced && spans[placed[at]].off <= off) at++;
    memmove(placed + at + 1, placed + at, (size_t)(nplaced - at) * sizeof *placed);
    placed[at] = by[i];
    nplaced++;
    b->off = off;
    if (off + b->len > top) top = off + b->len;
  }
  free(by), free(placed);
  *total = top;
  return 0;
}

int vg_place(vg_span *spans, int n, int nsteps, size_t *total) {
  *total = 0;
  for (int i = 0; i < n; i++)
    if (spans[i].start < 0 || spans[i].end < spans[i].start || spans[i].end >= nsteps) return -2;
  if (n == 0) return 0;
  if (sweep(spans, n, nsteps, total)) return -1;
  if (n > GREEDY_MAX) return 0;
  vg_span *alt = malloc((size_t)n * sizeof *alt);
  size_t alt_total;
  if (!alt) return -1;
  memcpy(alt, spans, (size_t)n * sizeof *alt);
  int rc = largest_first(alt, n, &alt_total);
  if (!rc && alt_total < *total) memcpy(spans, alt, (size_t)n * sizeof *alt), *total = alt_total;
  free(alt);
  return rc;
}

int vg_place_bound(const vg_span *spans, int n, int nsteps, size_t *bound) {
  size_t *born = calloc((size_t)nsteps + 1, sizeof *born), *died = calloc((size_t)nsteps + 1, sizeof *died);
  if (!born || !died) {
    free(born), free(died);
    return -1;
  }
  for (int i = 0; i < n; i++) born[spans[i].start] += spans[i].len, died[spans[i].end + 1] += spans[i].len;
  size_t live = 0, most = 0;
  for (int t = 0; t < nsteps; t++) {
    live = live + born[t] - died[t];
    if (live > most) most = live;
  }
  free(born), free(died);
  *bound = most;
  return 0;
}

/* Placing buffers in the arena (runtime/place.c): no two buffers alive at a
 * common step overlap, whichever heuristic places them; the arena is never
 * below the busiest step's total and reaches it on a training chain; the
 * smaller of the two placements wins. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "place.h"

static uint64_t rng = 88172645463325252u;
static unsigned next(unsigned n) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (unsigned)(rng % n);
}

/* Pairwise: spans alive at a common step share no float; the total covers
 * every span and is no more than the highest end. */
static void check_valid(const char *what, const vg_span *s, int n, size_t total) {
  size_t high = 0;
  int bad = 0;
  for (int i = 0; i < n; i++) {
    if (s[i].off + s[i].len > high) high = s[i].off + s[i].len;
    for (int j = i + 1; j < n && bad < 3; j++) {
      const int together = s[i].start <= s[j].end && s[j].start <= s[i].end;
      const int overlap = s[i].off < s[j].off + s[j].len && s[j].off < s[i].off + s[i].len;
      if (together && overlap && s[i].len && s[j].len) {
        bad++;
        CHECK(0, "%s: spans %d [%d,%d] at %zu+%zu and %d [%d,%d] at %zu+%zu overlap", what, i, s[i].start, s[i].end, s[i].off,
              s[i].len, j, s[j].start, s[j].end, s[j].off, s[j].len);
      }
    }
  }
  CHECK(total == high, "%s: total %zu, but the highest span ends at %zu", what, total, high);
}

static size_t brute_bound(const vg_span *s, int n, int nsteps) {
  size_t most = 0;
  for (int t = 0; t < nsteps; t++) {
    size_t live = 0;
    for (int i = 0; i < n; i++) live += s[i].start <= t && t <= s[i].end ? s[i].len : 0;
    if (live > most) most = live;
  }
  return most;
}

/* Random sizes and lifetimes, small (both heuristics run) and large (only
 * the sweep does); the sweep alone on the small ones too. */
static void random_spans(int n, int nsteps) {
  vg_span *s = malloc((size_t)n * sizeof *s);
  for (int i = 0; i < n; i++) {
    s[i].len = 16 * (1 + next(next(2) ? 4 : 64));
    s[i].start = (int)next((unsigned)nsteps);
    s[i].end = s[i].start + (int)next(next(4) ? 8 : (unsigned)nsteps);
    if (s[i].end >= nsteps) s[i].end = nsteps - 1;
  }
  size_t total = 0, bound = 0;
  CHECK(vg_place(s, n, nsteps, &total) == 0, "vg_place failed");
  CHECK(vg_place_bound(s, n, nsteps, &bound) == 0, "vg_place_bound failed");
  char what[64];
  snprintf(what, sizeof what, "random %d spans", n);
  check_valid(what, s, n, total);
  size_t brute = brute_bound(s, n, nsteps);
  CHECK(bound == brute, "%s: bound %zu, counted %zu", what, bound, brute);
  CHECK(total >= bound && total < 2 * bound, "%s: arena %zu against a bound of %zu", what, total, bound);
  printf("  %s over %d steps: arena %.3f of the bound\n", what, nsteps, (double)total / (double)bound);
  size_t swept = 0;
  CHECK(vg_place_sweep(s, n, &swept) == 0, "vg_place_sweep failed");
  snprintf(what, sizeof what, "random %d spans, swept", n);
  check_valid(what, s, n, swept);
  CHECK(swept >= total, "%s: the sweep alone (%zu) beat vg_place (%zu)", what, swept, total);
  free(s);
}

/* A training chain of `layers` layers: each value lives from its forward
 * step to its backward step, each gradient for one step. The busiest step
 * is the turn from forward to backward, and both heuristics reach it. */
static void training_chain(int layers) {
  const int nsteps = 2 * layers;
  vg_span *s = malloc((size_t)2 * layers * sizeof *s);
  int n = 0;
  for (int i = 0; i < layers; i++) {
    s[n++] = (vg_span){.len = 16 * (size_t)(1 + i % 3), .start = i, .end = nsteps - 1 - i};
    s[n++] = (vg_span){.len = 16 * (size_t)(1 + i % 3), .start = nsteps - 2 - i < i ? i : nsteps - 2 - i,
                       .end = nsteps - 1 - i};
  }
  size_t total = 0, bound = 0;
  CHECK(vg_place(s, n, nsteps, &total) == 0 && vg_place_bound(s, n, nsteps, &bound) == 0, "placing failed");
  char what[64];
  snprintf(what, sizeof what, "chain of %d layers", layers);
  check_valid(what, s, n, total);
  CHECK(total == bound, "%s: arena %zu, but %zu is alive at the busiest step", what, total, bound);
  free(s);
}

/* Two small buffers at step 0, one dying there, then a large one: the sweep
 * leaves a hole the large one does not fit (64 floats); largest first puts
 * it at the bottom (48, the bound). */
static void smaller_wins(void) {
  vg_span s[3] = {{.len = 16, .start = 0, .end = 0}, {.len = 16, .start = 0, .end = 3}, {.len = 32, .start = 1, .end = 3}};
  size_t total = 0;
  CHECK(vg_place(s, 3, 4, &total) == 0, "vg_place failed");
  check_valid("hole", s, 3, total);
  CHECK(total == 48, "arena %zu, want 48", total);
}

/* The sweep's own moves, each in a case where getting it wrong shows in the
 * total: a free block ending the arena grows in place (32, not 48); a freed
 * block merges with free neighbours on both sides, so a buffer three times
 * as large fits there (64, not 112); zero-length buffers take no room. */
static void sweep_moves(void) {
  size_t total = 0;
  vg_span grow[2] = {{.len = 16, .start = 0, .end = 0}, {.len = 32, .start = 1, .end = 1}};
  CHECK(vg_place_sweep(grow, 2, &total) == 0, "sweep failed");
  check_valid("grow", grow, 2, total);
  CHECK(total == 32, "growing the last block: arena %zu, want 32", total);
  vg_span merge[5] = {{.len = 16, .start = 0, .end = 1}, {.len = 16, .start = 0, .end = 2}, {.len = 16, .start = 0, .end = 1},
                      {.len = 16, .start = 0, .end = 3}, {.len = 48, .start = 3, .end = 3}};
  CHECK(vg_place_sweep(merge, 5, &total) == 0, "sweep failed");
  check_valid("merge", merge, 5, total);
  CHECK(total == 64 && merge[4].off == 0, "merging both sides: arena %zu with the last at %zu, want 64 and 0", total,
        merge[4].off);
  vg_span zero[3] = {{.len = 0, .start = 0, .end = 2}, {.len = 16, .start = 0, .end = 1}, {.len = 0, .start = 1, .end = 1}};
  CHECK(vg_place(zero, 3, 3, &total) == 0 && total == 16, "zero-length spans: arena %zu, want 16", total);
}

int main(void) {
  size_t total = 1, bound = 1;
  CHECK(vg_place(NULL, 0, 0, &total) == 0 && total == 0, "no spans: arena %zu", total);
  CHECK(vg_place_bound(NULL, 0, 0, &bound) == 0 && bound == 0, "no spans: bound %zu", bound);
  vg_span bad = {.len = 16, .start = 2, .end = 1};
  CHECK(vg_place(&bad, 1, 4, &total) == -2, "a span ending before it starts was placed");
  CHECK(vg_place_bound(&bad, 1, 4, &bound) == -2, "the bound of a span ending before it starts");
  bad.start = 0, bad.end = 4;
  CHECK(vg_place(&bad, 1, 4, &total) == -2, "a span past the last step was placed");
  CHECK(vg_place_bound(&bad, 1, 4, &bound) == -2, "the bound of a span past the last step");
  bad.start = -1, bad.end = 0;
  CHECK(vg_place(&bad, 1, 4, &total) == -2, "a span starting before step 0 was placed");
  bad.start = 0;
  CHECK(vg_place(&bad, 1, 0, &total) == -2, "a span placed in a plan of no steps");
  sweep_moves();
  smaller_wins();
  training_chain(40);
  training_chain(3000); /* 6,000 buffers: past the largest-first limit */
  random_spans(300, 100);
  random_spans(6000, 2000);
  CHECK_DONE();
}

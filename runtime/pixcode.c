/* Lossless per-example image coding (pixcode.h): each pixel's difference
 * from the one above it, coded by four interleaved rANS coders with 12-bit
 * frequencies, one table per context. */
#include "pixcode.h"

#include <stdlib.h>
#include <string.h>

enum {
  PROB_BITS = 12,
  PROB_SCALE = 1 << PROB_BITS,
  /* Contexts: 9 classes of activity in the rows above (0, 1, 2-3, 4-7,
   * ..., 128 and up: flat background codes its zeros in a fraction of a
   * bit) times whether the pixel above is 0 (an object's edge on a black
   * background). */
  ACTIVITY_CLASSES = 9,
  NCTX = 2 * ACTIVITY_CLASSES,
  /* Interleaved coders: pixel x of a row uses coder x % LANES, so that a
   * decoder has four independent chains to overlap. */
  LANES = 4, /* the decoder spells the four out */
};
/* A coder's state stays in [RANS_LOW, 2^32) between symbols and moves to
 * and from the code 16 bits at a time: a decoded symbol then needs at most
 * one refill, taken without a branch. */
#define RANS_LOW (1u << 16)

struct vg_pixcode {
  uint16_t freq[NCTX][256]; /* out of PROB_SCALE, at most PROB_SCALE - 1; 0: never seen */
  uint16_t cum[NCTX][256];  /* the frequencies of the symbols below */
  /* For each slot of each context, what decoding needs in one load: the
   * symbol whose interval holds the slot (bits 0-7), the slot's offset in
   * that interval (8-19) and the symbol's frequency (20-31). */
  uint32_t slot[NCTX][PROB_SCALE];
};

/* The context of a pixel whose pixel above is b, with b's left and right
 * neighbours c and d and the pixel above b, e: in bytes throughout, the
 * activity saturating at 255, so that a block of 16 is a few vector
 * instructions. */
static inline uint8_t context_of(uint8_t b, uint8_t c, uint8_t d, uint8_t e) {
  const uint8_t bc = (uint8_t)(b > c ? b - c : c - b), bd = (uint8_t)(b > d ? b - d : d - b),
                be = (uint8_t)(b > e ? b - e : e - b);
  uint8_t activity = (uint8_t)(bc + bd);
  activity = activity < bc ? 255 : activity;
  const uint8_t sum = (uint8_t)(activity + be);
  activity = sum < activity ? 255 : sum;
  /* The bit length of the activity: 0 for 0, ..., 8 for 128 and up. */
  const uint8_t cls = (uint8_t)((activity >= 1) + (activity >= 2) + (activity >= 4) + (activity >= 8) +
                                (activity >= 16) + (activity >= 32) + (activity >= 64) + (activity >= 128));
  return (uint8_t)(2 * cls + (b == 0));
}

enum { BLOCK = 16 };

/* Contexts x0 .. x0+BLOCK-1, all inside the row's middle (1 .. w-2). */
static inline void block_contexts(const uint8_t *up, const uint8_t *upup, int x0, uint8_t *ctx) {
  for (int j = 0; j < BLOCK; j++) {
    const int x = x0 + j;
    ctx[x] = context_of(up[x], up[x - 1], up[x + 1], upup[x]);
  }
}

/* The contexts of row y of a plane of width w, from the row above it (up;
 * NULL for the first row) and the one above that (upup; the second row
 * passes up again, so that e = b there): the activity is
 * |b - c| + |b - d| + |b - e| around the pixel above (b), with its left and
 * right neighbours (c, d; 0 outside the plane) and the pixel above it (e).
 * Reading only rows above keeps a row's decoding free of the row itself. */
static void row_contexts(const uint8_t *up, const uint8_t *upup, int w, uint8_t *ctx) {
  if (!up) {
    memset(ctx, 1, (size_t)w); /* activity 0, the pixel above 0 */
    return;
  }
  if (w == 1) {
    ctx[0] = context_of(up[0], 0, 0, upup[0]);
    return;
  }
  ctx[0] = context_of(up[0], 0, up[1], upup[0]);
  ctx[w - 1] = context_of(up[w - 1], up[w - 2], 0, upup[w - 1]);
  if (w - 2 < BLOCK) {
    for (int x = 1; x < w - 1; x++) ctx[x] = context_of(up[x], up[x - 1], up[x + 1], upup[x]);
    return;
  }
  /* Whole blocks, the last one overlapping its neighbour rather than
   * leaving a scalar tail (a row of 28 is 26 in the middle). */
  for (int x = 1;; x += BLOCK) {
    if (x > w - 1 - BLOCK) x = w - 1 - BLOCK;
    block_contexts(up, upup, x, ctx);
    if (x == w - 1 - BLOCK) break;
  }
}

/* What is coded for pixel x of a row: its difference from the pixel above
 * (mod 256; above the first row is 0). With these contexts it codes smaller
 * than JPEG-LS's median edge prediction from the left and above did in
 * this coder (48.4% of Fashion-MNIST's training bytes against 49.2%), and
 * the decoder gets a row's pixels back with one vector add. */
static inline uint8_t error_of(const uint8_t *row, const uint8_t *up, int x) {
  return (uint8_t)(row[x] - (up ? up[x] : 0));
}

static const uint8_t *row_above(const uint8_t *plane, int y, int w, int k) {
  return y >= k ? plane + (int64_t)(y - k) * w : NULL;
}

/* Scales one context's counts to frequencies summing to PROB_SCALE, every
 * symbol seen keeping at least 1 and none reaching PROB_SCALE (the decode
 * table holds a frequency in 12 bits); a context never seen gets all
 * symbols alike (it is never used). */
static void normalize(const uint64_t *count, uint16_t *freq) {
  uint64_t total = 0;
  for (int s = 0; s < 256; s++) total += count[s];
  int sum = 0;
  for (int s = 0; s < 256; s++) {
    int f = total ? (int)((count[s] * PROB_SCALE + total / 2) / total) : PROB_SCALE / 256;
    if (count[s] && f == 0) f = 1;
    freq[s] = (uint16_t)f;
    sum += f;
  }
  /* Rounding leaves sum within 256 of the scale: the largest frequencies
   * absorb the difference, one at a time, where it costs least. */
  while (sum != PROB_SCALE) {
    int top = 0;
    for (int s = 1; s < 256; s++)
      if (freq[s] > freq[top]) top = s;
    if (sum > PROB_SCALE) freq[top]--, sum--;
    else freq[top]++, sum++;
  }
  for (int s = 0; s < 256; s++)
    if (freq[s] == PROB_SCALE) freq[s]--, freq[(s + 1) & 255] = 1; /* one symbol only: lend a slot */
}

vg_status vg_pixcode_train(const uint8_t *x, int64_t n, int c, int h, int w, vg_pixcode **out) {
  *out = NULL;
  vg_pixcode *m = malloc(sizeof *m);
  uint64_t(*count)[256] = calloc(NCTX, sizeof *count);
  uint8_t *ctx = malloc((size_t)w);
  if (!m || !count || !ctx) {
    free(m), free(count), free(ctx);
    return VG_ERR_NOMEM;
  }
  const int64_t planes = n * c;
  for (int64_t p = 0; p < planes; p++) {
    const uint8_t *plane = x + p * h * w;
    for (int y = 0; y < h; y++) {
      const uint8_t *row = plane + (int64_t)y * w, *up = row_above(plane, y, w, 1);
      row_contexts(up, y >= 2 ? row_above(plane, y, w, 2) : up, w, ctx);
      for (int i = 0; i < w; i++) count[ctx[i]][error_of(row, up, i)]++;
    }
  }
  for (int k = 0; k < NCTX; k++) {
    normalize(count[k], m->freq[k]);
    int at = 0;
    for (int s = 0; s < 256; s++) {
      const int f = m->freq[k][s];
      m->cum[k][s] = (uint16_t)at;
      for (int j = 0; j < f; j++) m->slot[k][at + j] = (uint32_t)s | (uint32_t)j << 8 | (uint32_t)f << 20;
      at += f;
    }
  }
  free(count), free(ctx);
  *out = m;
  return VG_OK;
}

vg_pixcode *vg_pixcode_copy(const vg_pixcode *m) {
  vg_pixcode *copy = malloc(sizeof *copy);
  if (copy) memcpy(copy, m, sizeof *copy);
  return copy;
}

void vg_pixcode_free(vg_pixcode *m) { free(m); }

size_t vg_pixcode_model_bytes(void) { return sizeof(vg_pixcode); }

/* A coder's output over its N symbols is at most the sum of their costs,
 * each at most PROB_BITS bits (a frequency of 1) plus what the rounding of
 * the state adds: log2(1 + f/x) with x >= 16f after a refill, under 0.09
 * bits. So at most 12.09 N bits, in 16-bit words: 1.512 bytes a pixel,
 * below the 1.5 + 1/64 given here; then the four final states, and in front
 * the encoder's row of contexts. */
size_t vg_pixcode_bound(int c, int h, int w) {
  const size_t dim = (size_t)c * h * w;
  return dim + dim / 2 + dim / 64 + 4 * LANES + (size_t)w;
}

size_t vg_pixcode_encode(const vg_pixcode *m, const uint8_t *px, int c, int h, int w, uint8_t *buf) {
  uint8_t *const ctx = buf, *const start = buf + w, *const end = buf + vg_pixcode_bound(c, h, w);
  uint8_t *p = end;
  uint32_t state[LANES];
  for (int l = 0; l < LANES; l++) state[l] = RANS_LOW;
  /* rANS is last in, first out: the pixels are coded backwards so that
   * the decoder reads them forwards. */
  for (int ch = c - 1; ch >= 0; ch--) {
    const uint8_t *plane = px + (int64_t)ch * h * w;
    for (int y = h - 1; y >= 0; y--) {
      const uint8_t *row = plane + (int64_t)y * w, *up = row_above(plane, y, w, 1);
      row_contexts(up, y >= 2 ? row_above(plane, y, w, 2) : up, w, ctx);
      for (int i = w - 1; i >= 0; i--) {
        const int k = ctx[i];
        const uint8_t s = error_of(row, up, i);
        const uint32_t f = m->freq[k][s];
        if (!f) return 0;
        uint32_t *x = &state[i % LANES];
        if (*x >= ((uint64_t)(RANS_LOW >> PROB_BITS) << 16) * f) {
          if (p - start < 2) return 0; /* cannot happen within the bound; a wrong bound is a refusal, not an overrun */
          p -= 2;
          p[0] = (uint8_t)*x, p[1] = (uint8_t)(*x >> 8);
          *x >>= 16;
        }
        *x = ((*x / f) << PROB_BITS) + *x % f + m->cum[k][s];
      }
    }
  }
  if (p - start < 4 * LANES) return 0;
  p -= 4 * LANES;
  for (int l = 0; l < LANES; l++)
    for (int b = 0; b < 4; b++) p[4 * l + b] = (uint8_t)(state[l] >> (8 * b));
  return (size_t)(end - p);
}

static uint32_t load32(const uint8_t *b) {
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Little-endian, as the encoder writes it; one load on the usual hosts. */
static inline uint32_t load16(const uint8_t *b) { return (uint32_t)b[0] | (uint32_t)b[1] << 8; }

/* row[x] += up[x]: the pixels back from their differences. */
static void add_row(uint8_t *restrict row, const uint8_t *restrict up, int w) {
  for (int x = 0; x < w; x++) row[x] = (uint8_t)(row[x] + up[x]);
}

/* Decodes one symbol of context k with a coder's state, refilling it from
 * *p, where the caller makes sure two bytes are there to read. */
static inline uint8_t decode_one(const vg_pixcode *m, uint32_t *state, int k, const uint8_t **p) {
  const uint32_t e = m->slot[k][*state & (PROB_SCALE - 1)];
  const uint32_t x = (e >> 20) * (*state >> PROB_BITS) + (e >> 8 & (PROB_SCALE - 1));
  /* Arithmetic rather than a select: compilers turn the select into a
   * branch, which mispredicts about as often as not in textured areas. */
  const uint32_t refill = x < RANS_LOW, word = load16(*p);
  *state = x << (refill * 16) | (word & (0u - refill));
  *p += 2 * refill;
  return (uint8_t)e;
}

/* The same where fewer than two bytes may be left: a refill past the end
 * reads zeros and marks the code bad. */
static inline uint8_t decode_near_end(const vg_pixcode *m, uint32_t *state, int k, const uint8_t **p,
                                      const uint8_t *end, int *bad) {
  static const uint8_t zeros[2];
  const uint8_t *q = end - *p >= 2 ? *p : zeros, *before = q;
  const uint8_t s = decode_one(m, state, k, &q);
  if (q != before) {
    if (before == zeros) *bad = 1;
    else *p = q;
  }
  return s;
}

vg_status vg_pixcode_decode(const vg_pixcode *m, const uint8_t *code, size_t len, int c, int h, int w, uint8_t *out) {
  if (len < 4 * LANES) {
    memset(out, 0, (size_t)c * h * w);
    return VG_ERR_FORMAT;
  }
  const uint8_t *p = code + 4 * LANES, *const end = code + len;
  uint32_t s0 = load32(code), s1 = load32(code + 4), s2 = load32(code + 8), s3 = load32(code + 12);
  int bad = 0;
  for (int ch = 0; ch < c; ch++) {
    uint8_t *plane = out + (int64_t)ch * h * w;
    for (int y = 0; y < h; y++) {
      uint8_t *row = plane + (int64_t)y * w;
      const uint8_t *up = row_above(plane, y, w, 1);
      /* The row's contexts first, in the row itself; each is replaced by
       * its symbol, the four coders' chains overlapping; then the pixels,
       * each from the one above. */
      row_contexts(up, y >= 2 ? row_above(plane, y, w, 2) : up, w, row);
      int i = 0;
      for (; i + LANES <= w && end - p >= 2 * LANES; i += LANES) {
        row[i] = decode_one(m, &s0, row[i], &p);
        row[i + 1] = decode_one(m, &s1, row[i + 1], &p);
        row[i + 2] = decode_one(m, &s2, row[i + 2], &p);
        row[i + 3] = decode_one(m, &s3, row[i + 3], &p);
      }
      for (; i < w; i++) switch (i % LANES) {
          case 0: row[i] = decode_near_end(m, &s0, row[i], &p, end, &bad); break;
          case 1: row[i] = decode_near_end(m, &s1, row[i], &p, end, &bad); break;
          case 2: row[i] = decode_near_end(m, &s2, row[i], &p, end, &bad); break;
          default: row[i] = decode_near_end(m, &s3, row[i], &p, end, &bad); break;
        }
      if (up) add_row(row, up, w);
    }
  }
  const int exact = !bad && p == end && s0 == RANS_LOW && s1 == RANS_LOW && s2 == RANS_LOW && s3 == RANS_LOW;
  return exact ? VG_OK : VG_ERR_FORMAT;
}

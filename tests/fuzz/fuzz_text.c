/* The sentence reader: vg_vocab_build on the input, vg_text_load of the
 * input's second half against that vocabulary, then every batch padded and
 * filled, checking what text.h promises on the way.
 *
 * Byte 0 picks the options, the rest is the file:
 *   bit 0      lower-case
 *   bits 1-2   min_count 1..4
 *   bits 3-4   batch size 1, 3, 8, 32
 *   bits 5-7   max_len 2, 3, 5, 8, 16, 60, 1000, INT_MAX */
#include "fuzz_file.h"

#include <ctype.h>
#include <limits.h>

#include "text.h"

static void check_vocab(const vg_vocab *v, int lower, int64_t min_count) {
  static const char *const special[] = {"<pad>", "<sos>", "<eos>", "<unk>"};
  VG_FUZZ_CHECK(v->n >= VG_NSPECIAL, "%d words", v->n);
  for (int i = 0; i < v->n; i++) {
    const char *w = v->words[i];
    VG_FUZZ_CHECK(w && w[0], "word %d is empty", i);
    if (i < VG_NSPECIAL) VG_FUZZ_CHECK(strcmp(w, special[i]) == 0, "id %d is '%s'", i, w);
    VG_FUZZ_CHECK(vg_vocab_id(v, w) == i, "'%s' (id %d) looks up as %d", w, i, vg_vocab_id(v, w));
    if (i < VG_NSPECIAL) continue;
    VG_FUZZ_CHECK(v->counts[i] >= min_count, "'%s' kept with %lld < %lld", w, (long long)v->counts[i],
                  (long long)min_count);
    for (const char *c = w; *c; c++) {
      VG_FUZZ_CHECK(!isspace((unsigned char)*c), "'%s' holds white space", w);
      if (lower) VG_FUZZ_CHECK(!isupper((unsigned char)*c), "'%s' in a lower-cased vocabulary", w);
    }
    if (i > VG_NSPECIAL) {
      const int64_t a = v->counts[i - 1], b = v->counts[i];
      VG_FUZZ_CHECK(a > b || (a == b && strcmp(v->words[i - 1], w) < 0), "'%s' (%lld) before '%s' (%lld)",
                    v->words[i - 1], (long long)a, w, (long long)b);
    }
  }
}

static void check_text(const vg_text *t, const vg_vocab *v, int max_len) {
  VG_FUZZ_CHECK(t->n >= 1 && t->off[0] == 0, "%lld sentences", (long long)t->n);
  int64_t tokens = 0;
  char *seen = calloc((size_t)t->n, 1);
  VG_FUZZ_CHECK(seen != NULL, "out of memory");
  for (int64_t i = 0; i < t->n; i++) {
    VG_FUZZ_CHECK(t->off[i + 1] > t->off[i], "sentence %lld is empty", (long long)i);
    for (int64_t k = t->off[i]; k < t->off[i + 1]; k++)
      VG_FUZZ_CHECK(t->ids[k] >= VG_UNK && t->ids[k] < v->n, "id %d with %d words", t->ids[k], v->n);
    const int32_t *ids;
    const int64_t w = vg_text_words(t, i, &ids);
    VG_FUZZ_CHECK(w >= 1 && w <= max_len - 1, "sentence %lld has %lld words at max_len %d", (long long)i,
                  (long long)w, max_len);
    tokens += w + 1;
    const int64_t o = t->order[i];
    VG_FUZZ_CHECK(o >= 0 && o < t->n && !seen[o], "order[%lld] = %lld", (long long)i, (long long)o);
    seen[o] = 1;
  }
  free(seen);
  VG_FUZZ_CHECK(tokens == t->tokens, "%lld tokens counted, %lld said", (long long)tokens, (long long)t->tokens);
}

static void check_batches(const vg_text *t, int batch) {
  for (int64_t first = 0; first < t->n; first += batch) {
    const int count = t->n - first < batch ? (int)(t->n - first) : batch;
    const int T = vg_text_batch_len(t, first, count);
    VG_FUZZ_CHECK(T >= 2 && T <= t->max_len, "batch length %d at max_len %d", T, t->max_len);
    float *in = malloc((size_t)count * (size_t)T * sizeof *in), *tg = malloc((size_t)count * (size_t)T * sizeof *tg);
    float *len = malloc((size_t)count * sizeof *len);
    VG_FUZZ_CHECK(in && tg && len, "out of memory");
    vg_text_fill(t, first, count, T, in, tg, len);
    for (int b = 0; b < count; b++) {
      const int L = (int)len[b];
      VG_FUZZ_CHECK(L >= 2 && L <= T, "length %d of %d", L, T);
      VG_FUZZ_CHECK(in[(size_t)b * T] == VG_SOS && tg[(size_t)b * T + L - 1] == VG_EOS, "row %d", b);
      for (int j = L; j < T; j++) VG_FUZZ_CHECK(tg[(size_t)b * T + j] == VG_PAD, "row %d, step %d", b, j);
    }
    vg_text_fill(t, first, count, T, NULL, NULL, NULL);
    free(in), free(tg), free(len);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const int batches[] = {1, 3, 8, 32}, lens[] = {2, 3, 5, 8, 16, 60, 1000, INT_MAX};
  if (size < 1) return 0;
  const int lower = data[0] & 1, batch = batches[data[0] >> 3 & 3], max_len = lens[data[0] >> 5];
  const int64_t min_count = 1 + (data[0] >> 1 & 3);
  data++, size--;
  vg_fuzz_file_init(".txt");
  const char *vocab_path = vg_fuzz_write(0, data, size);
  const char *text_path = vg_fuzz_write(1, data + size / 2, size - size / 2);
  vg_vocab v;
  char err[512] = "";
  if (vg_vocab_build(vocab_path, lower, min_count, &v, err, sizeof err) != VG_OK) {
    vg_fuzz_note("vocabulary rejected", err);
    VG_FUZZ_CHECK(v.n == 0 && v.words == NULL, "an error (%s) left a vocabulary", err);
    return 0;
  }
  check_vocab(&v, lower, min_count);
  vg_text t;
  if (vg_text_load(text_path, &v, max_len, &t, err, sizeof err) == VG_OK) {
    check_text(&t, &v, max_len);
    check_batches(&t, batch);
    vg_text_free(&t);
    vg_fuzz_note("accepted", NULL);
  } else {
    vg_fuzz_note("corpus rejected", err);
    VG_FUZZ_CHECK(t.n == 0 && t.ids == NULL && t.off == NULL, "an error (%s) left a corpus", err);
  }
  vg_vocab_free(&v);
  return 0;
}

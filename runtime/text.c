/* Corpus files, vocabulary and padded batches (text.h). */
#define _POSIX_C_SOURCE 200809L
#include "text.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "order.h"

static const char *const SPECIAL[VG_NSPECIAL] = {"<pad>", "<sos>", "<eos>", "<unk>"};

static uint32_t hash(const char *s) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

/* The slot holding `word`, or the empty slot where it would go. */
static int *slot_of(const vg_vocab *v, const char *word) {
  uint32_t i = hash(word) & (uint32_t)(v->nslots - 1);
  while (v->slots[i] >= 0 && strcmp(v->words[v->slots[i]], word) != 0) i = (i + 1) & (uint32_t)(v->nslots - 1);
  return &v->slots[i];
}

static int rehash(vg_vocab *v, int nslots) {
  int *s = malloc((size_t)nslots * sizeof *s);
  if (!s) return -1;
  free(v->slots);
  v->slots = s, v->nslots = nslots;
  for (int i = 0; i < nslots; i++) s[i] = -1;
  for (int id = 0; id < v->n; id++) *slot_of(v, v->words[id]) = id;
  return 0;
}

/* Adds `word` (new) and returns its id, or -1 out of memory. */
static int vocab_add(vg_vocab *v, const char *word, int64_t count) {
  if (v->n == v->cap) {
    int cap = v->cap ? 2 * v->cap : 1024;
    char **w = realloc(v->words, (size_t)cap * sizeof *w);
    if (!w) return -1;
    v->words = w;
    int64_t *c = realloc(v->counts, (size_t)cap * sizeof *c);
    if (!c) return -1;
    v->counts = c, v->cap = cap;
  }
  if (2 * (v->n + 1) > v->nslots && rehash(v, v->nslots ? 2 * v->nslots : 4096)) return -1;
  char *copy = strdup(word);
  if (!copy) return -1;
  v->words[v->n] = copy, v->counts[v->n] = count;
  *slot_of(v, copy) = v->n;
  return v->n++;
}

int vg_vocab_id(const vg_vocab *v, const char *word) {
  const int id = *slot_of(v, word);
  return id >= 0 ? id : VG_UNK;
}

void vg_vocab_free(vg_vocab *v) {
  for (int i = 0; i < v->n; i++) free(v->words[i]);
  free(v->words), free(v->counts), free(v->slots);
  memset(v, 0, sizeof *v);
}

/* Calls fn(word, line number, arg) for each token of each line; a token is
 * a run of non-space bytes. A NUL byte means the file is not text. fn
 * returns nonzero to stop (out of memory). */
typedef int (*token_fn)(char *word, int64_t line, void *arg);

static vg_status each_token(const char *path, int lower, token_fn fn, void *arg, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) return vg_file_error(err, errlen, VG_ERR_IO, path, "cannot open: %s", strerror(errno));
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  int64_t lineno = 0, offset = 0;
  vg_status st = VG_OK;
  while (!st && (len = getline(&line, &cap, f)) >= 0) {
    lineno++;
    const char *nul = memchr(line, 0, (size_t)len);
    if (nul) {
      st = vg_file_error(err, errlen, VG_ERR_FORMAT, path, "line %lld, byte offset %lld: a NUL byte; not a text file",
                         (long long)lineno, (long long)(offset + (nul - line)));
      break;
    }
    offset += len;
    if (lower)
      for (ssize_t i = 0; i < len; i++) line[i] = (char)tolower((unsigned char)line[i]);
    char *save = NULL;
    int first = 1;
    for (char *w = strtok_r(line, " \t\r\n\v\f", &save); w; w = strtok_r(NULL, " \t\r\n\v\f", &save)) {
      if (fn(w, first ? lineno : 0, arg)) {
        st = vg_file_error(err, errlen, VG_ERR_NOMEM, path, "line %lld: out of memory", (long long)lineno);
        break;
      }
      first = 0;
    }
  }
  /* getline also stops short without ferror when a line does not fit in
   * memory: anything but the end of the file is an error. */
  if (!st && (ferror(f) || !feof(f)))
    st = vg_file_error(err, errlen, VG_ERR_IO, path, "line %lld, byte offset %lld: read error: %s", (long long)lineno + 1,
                       (long long)offset, strerror(errno));
  free(line);
  fclose(f);
  return st;
}

static int count_word(char *w, int64_t line, void *arg) {
  (void)line;
  vg_vocab *v = arg;
  int *slot = slot_of(v, w);
  if (*slot >= 0) return v->counts[*slot]++, 0;
  return vocab_add(v, w, 1) < 0;
}

/* A word to sort: most frequent first, ties in byte order. */
typedef struct counted {
  int64_t count;
  const char *word;
} counted;

static int by_count(const void *a, const void *b) {
  const counted *x = a, *y = b;
  if (x->count != y->count) return x->count > y->count ? -1 : 1;
  return strcmp(x->word, y->word);
}

vg_status vg_vocab_build(const char *path, int lower, int64_t min_count, vg_vocab *v, char *err, size_t errlen) {
  vg_vocab all = {0};
  memset(v, 0, sizeof *v);
  vg_status st = VG_OK;
  for (int i = 0; i < VG_NSPECIAL && !st; i++)
    if (vocab_add(&all, SPECIAL[i], 0) < 0) st = vg_file_error(err, errlen, VG_ERR_NOMEM, path, "out of memory");
  if (!st) st = each_token(path, lower, count_word, &all, err, errlen);
  counted *kept = NULL;
  if (!st && all.n == VG_NSPECIAL) st = vg_file_error(err, errlen, VG_ERR_FORMAT, path, "no words: an empty corpus");
  if (!st && !(kept = malloc((size_t)all.n * sizeof *kept))) st = vg_file_error(err, errlen, VG_ERR_NOMEM, path, "out of memory");
  if (!st) {
    int m = 0;
    for (int i = VG_NSPECIAL; i < all.n; i++)
      if (all.counts[i] >= min_count) kept[m++] = (counted){all.counts[i], all.words[i]};
    qsort(kept, (size_t)m, sizeof *kept, by_count);
    for (int i = 0; i < VG_NSPECIAL && !st; i++)
      if (vocab_add(v, SPECIAL[i], i == VG_UNK ? all.counts[VG_UNK] : 0) < 0) st = VG_ERR_NOMEM;
    for (int i = 0; i < m && !st; i++)
      if (vocab_add(v, kept[i].word, kept[i].count) < 0) st = VG_ERR_NOMEM;
    if (st) vg_file_error(err, errlen, st, path, "out of memory");
  }
  v->lower = lower;
  free(kept);
  vg_vocab_free(&all);
  if (st) vg_vocab_free(v);
  return st;
}

/* ---- corpora ---- */

typedef struct loader {
  const vg_vocab *v;
  vg_text *t;
  int64_t nids, capids, capoff, words; /* words: in the current sentence */
} loader;

static int end_sentence(loader *l) {
  vg_text *t = l->t;
  if (l->words == 0) return 0;
  if (t->n + 2 > l->capoff) {
    int64_t cap = l->capoff ? 2 * l->capoff : 4096;
    int64_t *o = realloc(t->off, (size_t)cap * sizeof *o);
    if (!o) return 1;
    t->off = o, l->capoff = cap;
  }
  t->n++;
  t->off[t->n] = l->nids;
  const int64_t kept = l->words < t->max_len - 1 ? l->words : t->max_len - 1;
  t->tokens += kept + 1;
  l->words = 0;
  return 0;
}

static int load_word(char *w, int64_t line, void *arg) {
  loader *l = arg;
  if (line && end_sentence(l)) return 1; /* a new line: the last one ends */
  if (l->nids == l->capids) {
    int64_t cap = l->capids ? 2 * l->capids : 65536;
    int32_t *p = realloc(l->t->ids, (size_t)cap * sizeof *p);
    if (!p) return 1;
    l->t->ids = p, l->capids = cap;
  }
  int id = vg_vocab_id(l->v, w);
  if (id < VG_UNK) id = VG_UNK; /* a literal <pad>, <sos> or <eos> is a word like any other unknown one */
  l->t->unknown += id == VG_UNK && strcmp(w, "<unk>") != 0;
  l->t->ids[l->nids++] = id;
  l->words++;
  return 0;
}

vg_status vg_text_load(const char *path, const vg_vocab *v, int max_len, vg_text *t, char *err, size_t errlen) {
  memset(t, 0, sizeof *t);
  if (max_len < 2) return vg_file_error(err, errlen, VG_ERR_ARG, path, "max_len must be at least 2, got %d", max_len);
  t->max_len = max_len;
  loader l = {.v = v, .t = t};
  t->off = malloc(4096 * sizeof *t->off);
  if (!t->off) return vg_file_error(err, errlen, VG_ERR_NOMEM, path, "out of memory");
  l.capoff = 4096;
  t->off[0] = 0;
  vg_status st = each_token(path, v->lower, load_word, &l, err, errlen);
  if (!st && end_sentence(&l)) st = vg_file_error(err, errlen, VG_ERR_NOMEM, path, "out of memory");
  if (!st && t->n == 0) st = vg_file_error(err, errlen, VG_ERR_FORMAT, path, "no sentences: an empty corpus");
  if (!st && !(t->order = malloc((size_t)t->n * sizeof *t->order)))
    st = vg_file_error(err, errlen, VG_ERR_NOMEM, path, "out of memory");
  if (st) {
    vg_text_free(t);
    return st;
  }
  vg_order(t->order, t->n, 0, 0, 0);
  return VG_OK;
}

void vg_text_free(vg_text *t) {
  free(t->off), free(t->ids), free(t->order);
  memset(t, 0, sizeof *t);
}

int64_t vg_text_words(const vg_text *t, int64_t i, const int32_t **ids) {
  const int64_t n = t->off[i + 1] - t->off[i];
  *ids = t->ids + t->off[i];
  return n < t->max_len - 1 ? n : t->max_len - 1;
}

int vg_text_batch_len(const vg_text *t, int64_t first, int count) {
  int64_t most = 0;
  for (int b = 0; b < count; b++) {
    const int32_t *ids;
    const int64_t n = vg_text_words(t, t->order[first + b], &ids);
    if (n > most) most = n;
  }
  return (int)most + 1;
}

void vg_text_fill(const vg_text *t, int64_t first, int count, int T, float *input, float *target, float *lengths) {
  for (int b = 0; b < count; b++) {
    const int32_t *ids;
    const int64_t n = vg_text_words(t, t->order[first + b], &ids);
    float *in = input ? input + (int64_t)b * T : NULL, *tg = target ? target + (int64_t)b * T : NULL;
    for (int64_t j = 0; j < T; j++) {
      if (in) in[j] = j == 0 ? VG_SOS : j <= n ? (float)ids[j - 1] : VG_PAD;
      if (tg) tg[j] = j < n ? (float)ids[j] : j == n ? VG_EOS : VG_PAD;
    }
    if (lengths) lengths[b] = (float)(n + 1);
  }
}

/* Sentences for language models: a vocabulary built from a training file,
 * and corpora read against it, batched into padded id matrices.
 *
 * A corpus file holds one sentence per line, tokens separated by white
 * space (Penn Treebank's files as they are). Ids 0..3 are the special
 * tokens <pad> <sos> <eos> <unk>; a literal "<unk>" in the text (PTB has
 * them) is id 3, and so is a literal <pad>, <sos> or <eos>: only the
 * batching puts those ids in. A sentence of n words (cut to max_len - 1)
 * becomes the input <sos> w1 .. wn and the target w1 .. wn <eos>, both
 * n + 1 long. */
#ifndef VG_TEXT_H
#define VG_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "shape.h"

enum { VG_PAD, VG_SOS, VG_EOS, VG_UNK, VG_NSPECIAL };

typedef struct vg_vocab {
  char **words;    /* by id */
  int64_t *counts; /* in the training file (0 for <pad> <sos> <eos>; <unk>'s
                      counts the literal "<unk>"s) */
  int n, cap;
  int *slots;      /* open-addressing hash of ids, -1 empty */
  int nslots;
  int lower;       /* the file was lower-cased: so are the others */
} vg_vocab;

typedef struct vg_text {
  int64_t n;       /* sentences */
  int64_t *off;    /* sentence i's word ids are ids[off[i] .. off[i+1]) */
  int32_t *ids;
  int64_t *order;  /* this epoch's order */
  int64_t tokens;  /* targets counted with <eos>: sum of (words + 1) */
  int64_t unknown; /* words not in the vocabulary */
  int max_len;
} vg_text;

/* Words of `path` with at least min_count occurrences, most frequent first
 * (ties in byte order). */
vg_status vg_vocab_build(const char *path, int lower, int64_t min_count, vg_vocab *v, char *err, size_t errlen);
void vg_vocab_free(vg_vocab *v);
int vg_vocab_id(const vg_vocab *v, const char *word); /* VG_UNK if absent */

/* Reads `path` against the vocabulary; empty lines are skipped. */
vg_status vg_text_load(const char *path, const vg_vocab *v, int max_len, vg_text *t, char *err, size_t errlen);
void vg_text_free(vg_text *t);
/* Words of sentence i (in file order), cut to max_len - 1. */
int64_t vg_text_words(const vg_text *t, int64_t i, const int32_t **ids);
/* The padded length of a batch: 1 + the most words among sentences
 * order[first .. first + count), first + count <= n. */
int vg_text_batch_len(const vg_text *t, int64_t first, int count);
/* input, target [count, T] and lengths [count] for that batch, T from
 * vg_text_batch_len (or more); any of them may be NULL. */
void vg_text_fill(const vg_text *t, int64_t first, int count, int T, float *input, float *target, float *lengths);

#endif

/* Lossless coding of 8-bit images, one example at a time, so that a data
 * set can stay compressed in memory and still be read in any order: a
 * shuffled batch decodes just its own examples.
 *
 * Each channel plane is coded as a picture: a pixel's difference from the
 * pixel above it is entropy-coded with rANS against the frequencies of one
 * of 18 contexts (how busy the rows above are around it, and whether the
 * pixel above is 0). The frequencies are counted once over the whole data
 * set (vg_pixcode_train) and shared by all its examples, so a 784-byte
 * example pays no table of its own: the Fashion-MNIST training images take
 * 48% of their bytes (zlib on each example alone: 57%). */
#ifndef VG_PIXCODE_H
#define VG_PIXCODE_H

#include <stddef.h>
#include <stdint.h>

#include "shape.h"

typedef struct vg_pixcode vg_pixcode;

/* The statistics of n examples of c planes of h x w bytes (x holds them
 * one after another): the examples later coded with the model must be among
 * these (a symbol a context never saw may have no code). VG_ERR_NOMEM. */
vg_status vg_pixcode_train(const uint8_t *x, int64_t n, int c, int h, int w, vg_pixcode **out);
/* A copy of m (NULL when out of memory), and freeing one (NULL is fine).
 * A model is about 300 KB (its decode table), so compressing pays from
 * about a megabyte of pixels. */
vg_pixcode *vg_pixcode_copy(const vg_pixcode *m);
void vg_pixcode_free(vg_pixcode *m);
/* The bytes a model takes. */
size_t vg_pixcode_model_bytes(void);

/* The room encoding one example of c x h x w bytes needs: the most its
 * code can take, and w bytes of the encoder's own. */
size_t vg_pixcode_bound(int c, int h, int w);

/* Codes one example px of c x h x w bytes into buf, which has
 * vg_pixcode_bound(c, h, w) bytes; the code is written at the end of buf:
 * returns its length, and it starts at buf + bound - length. 0 when px holds
 * a value the model was not trained on. */
size_t vg_pixcode_encode(const vg_pixcode *m, const uint8_t *px, int c, int h, int w, uint8_t *buf);

/* Decodes len bytes of code into the c x h x w bytes of out. VG_OK when
 * the code was read exactly to its end; VG_ERR_FORMAT otherwise (not a code
 * made by this model for this shape); out is written in either case and
 * nothing is read outside code[0..len). */
vg_status vg_pixcode_decode(const vg_pixcode *m, const uint8_t *code, size_t len, int c, int h, int w, uint8_t *out);

#endif

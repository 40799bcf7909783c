/* Binary cross-entropy.
 * bce: on probabilities p against targets t, as PyTorch computes it: each
 *   log clamped at -100 so p = 0 or 1 gives a finite loss, and the gradient
 *   (p - t) / max(p (1 - p), 1e-12) finite too.
 * bce_logits: on logits x, stable form max(x, 0) - x t + log(1 + exp(-|x|)).
 * The target is a second input or, with one input, the `target` attribute
 * (the adversarial loss's constant 1 or 0).
 *   p or x [...], t [...] -> [] or [...] */
#include "loss.h"
#include "vmath.h"

#define R(c) ((vg_real)(c))

static inline vg_real clamped_log(vg_real v) {
  vg_real l = vg_log(v);
  return l > R(-100) ? l : R(-100);
}

static inline vg_real bce_grad(vg_real p, vg_real t) {
  vg_real d = p * (R(1) - p);
  return (p - t) / (d > R(1e-12) ? d : R(1e-12));
}

#define BCE(a, b) (-((b) * clamped_log(a) + (R(1) - (b)) * clamped_log(R(1) - (a))))
VG_LOSS_ELEM(bce, BCE(a, b))
VG_LOSS(bce, bce_grad(a, b), clamped_log(R(1) - a) - clamped_log(a))

VG_OP_RECORD(bce) = {.name = "bce", .doc = "p, t → binary cross-entropy on probabilities (finite at 0 and 1); t may be the `target` number",
                     .nin_min = 1,
                     .nin_max = 2,
                     .flags = VG_OPF_BWD_NO_Y,
                     .attrs = {VG_LOSS_ATTRS(1)},
                     .infer = vg_loss_infer,
                     .forward = bce_forward,
                     .backward = bce_backward};

static inline vg_real sigmoid(vg_real x) { return x >= 0 ? R(1) / (R(1) + exp(-x)) : exp(x) / (R(1) + exp(x)); }

#define BCE_LOGITS(a, b) ((a > 0 ? a : R(0)) - (a) * (b) + log1p(exp(-fabs(a))))
VG_LOSS_ELEM(bce_logits, BCE_LOGITS(a, b))
VG_LOSS(bce_logits, sigmoid(a) - b, -a)

VG_OP_RECORD(bce_logits) = {.name = "bce_logits", .doc = "x, t → binary cross-entropy on logits; t may be the `target` number",
                            .nin_min = 1,
                            .nin_max = 2,
                            .flags = VG_OPF_BWD_NO_Y,
                            .attrs = {VG_LOSS_ATTRS(1)},
                            .infer = vg_loss_infer,
                            .forward = bce_logits_forward,
                            .backward = bce_logits_backward};

/* binary_accuracy: the fraction of logits x on their target's side of 0
 * (x > 0 for t > 0.5, else x <= 0), e.g. a discriminator's accuracy. A
 * metric: its derivative is 0 wherever it has one. */
#define BINARY_HIT(a, b) (((a) > 0) == ((b) > R(0.5)) ? R(1) : R(0))
VG_LOSS_ELEM(binary_accuracy, BINARY_HIT(a, b))
VG_LOSS(binary_accuracy, R(0), R(0))

VG_OP_RECORD(binary_accuracy) = {.name = "binary_accuracy", .doc = "logits x, t → the fraction of x > 0 where t > 0.5 and x ≤ 0 elsewhere (a metric; gradient 0)",
                                 .nin_min = 1,
                                 .nin_max = 2,
                                 .flags = VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y,
                                 .attrs = {VG_LOSS_ATTRS(1)},
                                 .infer = vg_loss_infer,
                                 .forward = binary_accuracy_forward,
                                 .backward = binary_accuracy_backward};

/* kl_normal: KL( N(mu, exp(logvar)) || N(0, I) ) elementwise,
 *   -0.5 * (1 + logvar - mu^2 - exp(logvar)), then reduced.
 *   mu [...], logvar [...] -> [] or [...] */
#include "loss.h"

#define R(c) ((vg_real)(c))
VG_LOSS_ELEM(kl_normal, R(-0.5) * (R(1) + b - a * a - exp(b)))
VG_LOSS(kl_normal, a, R(0.5) * (exp(b) - R(1)))

VG_OP_RECORD(kl_normal) = {.name = "kl_normal", .doc = "mu, logvar → KL(N(mu, exp logvar) ‖ N(0, I))",
                           .nin_min = 2,
                           .nin_max = 2,
                           .flags = VG_OPF_BWD_NO_Y,
                           .attrs = {VG_ATTR_REDUCTION(VG_LOSS_REDUCTION)},
                           .infer = vg_loss_infer,
                           .forward = kl_normal_forward,
                           .backward = kl_normal_backward};

/* mse: (a - b)^2 elementwise, then reduced; b a second input or the
 * `target` attribute.
 *   a [...], b [...] -> [] or [...] */
#include "loss.h"

#define R(c) ((vg_real)(c))
VG_LOSS_ELEM(mse, (a - b) * (a - b))
VG_LOSS(mse, R(2) * (a - b), R(-2) * (a - b))

VG_OP_RECORD(mse) = {.name = "mse", .doc = "a, b → (a - b)²; b may be the `target` number",
                     .nin_min = 1,
                     .nin_max = 2,
                     .flags = VG_OPF_BWD_NO_Y,
                     .attrs = {VG_LOSS_ATTRS(0)},
                     .infer = vg_loss_infer,
                     .forward = mse_forward,
                     .backward = mse_backward};

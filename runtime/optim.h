/* Optimizers with PyTorch's update rules. One optimizer serves one phase:
 * it owns state for each of that phase's parameter groups, and each group
 * has its own learning rate. Because a group's parameters, gradients and
 * state share one layout, a step is a flat loop over the group's range. */
#ifndef VG_OPTIM_H
#define VG_OPTIM_H

#include <stdint.h>

#include "graph.h"

typedef enum vg_optim_kind { VG_OPTIM_SGD, VG_OPTIM_ADAM, VG_OPTIM_ADAMW, VG_OPTIM_RMSPROP } vg_optim_kind;

typedef struct vg_optim_conf {
  vg_optim_kind kind;
  double lr;
  double momentum;      /* SGD, RMSprop */
  int nesterov;         /* SGD */
  double beta1, beta2;  /* Adam, AdamW */
  double alpha;         /* RMSprop smoothing */
  double eps;           /* Adam, AdamW, RMSprop */
  double weight_decay;  /* L2 added to the gradient; decoupled for AdamW */
} vg_optim_conf;

/* PyTorch's defaults for each kind (lr included: 1e-3, SGD 1e-2). */
vg_optim_conf vg_optim_defaults(vg_optim_kind kind);
const char *vg_optim_kind_name(vg_optim_kind kind);

typedef struct vg_optim vg_optim;

/* groups: the graph's group ids this optimizer updates; lr: one rate per
 * group, or NULL for conf->lr everywhere. The graph must be frozen. */
vg_status vg_optim_new(vg_graph *g, const vg_optim_conf *conf, const int *groups, const double *lr, int ngroups,
                       vg_optim **out);
void vg_optim_free(vg_optim *o);
/* One update of every group from the gradients in g->grads. */
void vg_optim_step(vg_optim *o);
/* The same step in pieces, as a plan applies it during its backward pass
 * (plan.h, vg_plan_spec.optim) so that no parameter's gradient outlives its
 * last writer: vg_optim_begin counts the step, then each stretch of a group
 * is updated once from its gradient. Every element's arithmetic is the
 * whole-group step's, so both ways give the same bits. */
void vg_optim_begin(vg_optim *o);
/* The optimizer's index for graph group `group`, or -1 if it has none. */
int vg_optim_entry(const vg_optim *o, int group);
/* Updates elements at .. at + n - 1 of the optimizer's i-th group. */
void vg_optim_update(vg_optim *o, int i, size_t at, size_t n, const float *grad);
void vg_optim_set_lr(vg_optim *o, int i, double lr);
double vg_optim_get_lr(const vg_optim *o, int i);

/* State, for checkpoints: per group up to two buffers of the group's length
 * ("m": momentum or first moment, "v": second moment), and the step count. */
int vg_optim_ngroups(const vg_optim *o);
vg_graph *vg_optim_graph(const vg_optim *o);
/* The name of the plan compiled to take this optimizer's steps (plan.h,
 * spec.optim), or NULL: a caller's own vg_optim_step would step it twice.
 * Compiling sets it; it stays after that plan is freed. */
void vg_optim_set_plan(vg_optim *o, const char *plan);
const char *vg_optim_plan(const vg_optim *o);
int vg_optim_group(const vg_optim *o, int i);
float *vg_optim_state(vg_optim *o, int i, int which, size_t *len); /* which 0 = m, 1 = v; NULL if unused */
int64_t vg_optim_steps(const vg_optim *o);
void vg_optim_set_steps(vg_optim *o, int64_t t);

#endif

/* The compiled plan, shared by the compiler (plan.c) and the executor
 * (exec.c). Nothing outside those two files looks inside. */
#ifndef VG_PLAN_INTERNAL_H
#define VG_PLAN_INTERNAL_H

#include "plan.h"

typedef struct vg_fill {
  float *p;
  int node;  /* a node's gradient: as long as its current shape; else -1 */
  size_t n;  /* with node -1 */
  float v; /* 0 for a gradient about to accumulate, 1 for d loss / d loss */
} vg_fill;

/* A parameter the plan's optimizer updates once its gradient is complete:
 * elements at .. at + n - 1 of the optimizer's group `entry`. */
typedef struct vg_update {
  int entry;
  size_t at, n;
  const float *grad;
} vg_update;

/* A step's stretch of a list bucketed by step (fills, updates). */
typedef struct vg_range {
  int first, n;
} vg_range;

typedef struct vg_step {
  int node;
  int backward;
  int reused; /* a forward step whose value the plan before may have computed (vg_memo) */
  vg_range fills;   /* buffers to fill before the kernel runs */
  vg_range updates; /* parameters to update after it (vg_plan_spec.optim) */
  vg_kernel_f32 k;
} vg_step;

/* Values two consecutive plans share (vg_plan_spec.after): the nodes, one
 * buffer outside the arena holding their values, and a stamp of what they
 * were computed from, so the second plan knows whether to recompute them. */
typedef struct vg_memo {
  int refs;
  float *data;
  size_t len;
  int *nodes, n;
  int *groups, ngroups;      /* parameter groups the values depend on */
  /* the stamp: valid once written, then the run that wrote it */
  int valid, isa, training;
  uint64_t step, writes, shape_gen;
  int64_t example0, examples;
  uint64_t *group_steps;     /* per groups[i] */
  uint64_t serial;           /* bumped at each write */
} vg_memo;

static inline int vg_memo_holds(const vg_memo *m, const float *x) {
  return m && x && x >= m->data && x < m->data + m->len;
}

struct vg_plan {
  vg_graph *g;
  char name[VG_NAME_MAX];
  int loss;
  vg_step *steps;
  int *fwd_nodes; /* the forward steps' nodes, in order */
  int nforward, nsteps;
  vg_fill *fills;
  int nfills;
  /* The updated groups' gradient ranges, and those of them zeroed before
   * the backward pass (all but the gradients their one writer sets). */
  vg_fill *param_grads, *param_zero;
  int nparam_grads, nparam_zero;
  float **val;     /* per node id: its value, NULL when not in the plan */
  float **grad;    /* per node id: its gradient when readable after a run */
  unsigned char *keep; /* per node id: value readable after a run */
  vg_arena *shared; /* the graph's plans' arena, which this plan's buffers lie in */
  struct vg_optim *optim; /* takes its step inside the backward pass, or NULL */
  vg_update *param_updates;
  float *scratch;  /* in the arena */
  int threads;     /* scratch is sized for this many */
  vg_plan_stats stats;
  uint64_t shape_gen; /* the graph's shape generation its nodes were inferred at */
  double *seconds; /* per step, when VAEGRAPH_PROFILE is set; else NULL */
  long runs;
  int inputs_fed; /* every input the plan reads was set once: no need to look again */
  int training;
  /* memo_in: values shared with the plan before (spec.after), which this
   * plan reuses; memo_out: values it writes for the plan after. *_seen: the
   * memo's serial at this plan's last run (its values are this plan's). */
  vg_memo *memo_in, *memo_out;
  uint64_t memo_in_seen, memo_out_seen;
  unsigned char *updates; /* per group: this plan's optimizer steps it */
};

#endif

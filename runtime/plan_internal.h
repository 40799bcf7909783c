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

typedef struct vg_step {
  int node;
  int backward;
  int fill_first, nfill; /* buffers to fill before the kernel runs */
  vg_kernel_f32 k;
} vg_step;

struct vg_plan {
  vg_graph *g;
  char name[VG_NAME_MAX];
  int loss;
  vg_step *steps;
  int *fwd_nodes; /* the forward steps' nodes, in order */
  int nforward, nsteps;
  vg_fill *fills;
  int nfills;
  /* Parameter-gradient ranges cleared before the backward pass. */
  vg_fill *param_clear;
  int nparam_clear;
  float **val;     /* per node id: its value, NULL when not in the plan */
  float **grad;    /* per node id: its gradient when readable after a run */
  unsigned char *keep; /* per node id: value readable after a run */
  vg_arena *shared; /* the graph's plans' arena, which this plan's buffers lie in */
  float *scratch;
  int threads;     /* scratch is sized for this many */
  vg_plan_stats stats;
  uint64_t shape_gen; /* the graph's shape generation its nodes were inferred at */
  double *seconds; /* per step, when VAEGRAPH_PROFILE is set; else NULL */
  long runs;
  int inputs_fed; /* every input the plan reads was set once: no need to look again */
};

#endif

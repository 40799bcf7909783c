/* Compile a graph into a frozen plan, then run it many times.
 *
 * Compiling prunes to the nodes the loss (and any fetched node) needs, orders
 * them, derives the backward pass toward the chosen parameter groups, and
 * places every activation, saved buffer and gradient in one arena by
 * liveness. Running a plan allocates nothing. */
#ifndef VG_PLAN_H
#define VG_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"

typedef struct vg_plan vg_plan;

typedef struct vg_plan_spec {
  const char *name;   /* for messages: the phase's name */
  int loss;           /* scalar node, or -1 for a forward-only plan */
  const int *update;  /* groups whose parameter gradients are computed */
  int nupdate;
  const int *fetch;   /* nodes whose values stay readable after a run */
  int nfetch;
  const int *wrt;     /* nodes whose gradients stay readable after a run */
  int nwrt;           /* (inputs, parameters of any group, op nodes) */
  /* Plans with a loss run in training mode, forward-only plans in
   * evaluation mode; eval = 1 forces evaluation mode with a loss too. */
  int eval;
  /* The plan that runs just before this one in each training step (the
   * previous phase), or NULL. Forward values both compute that depend on
   * no parameter `after` updates (the AAE's encoder, between its
   * discriminator and regularization phases) are then computed once: both
   * plans keep them in one buffer outside the arena, and this plan skips
   * their forward steps when `after` ran last at the same step and batch
   * with nothing written since but other groups' optimizer steps; else it
   * computes them itself. Either way the results are the same bits.
   * Compiling changes `after` (where it writes those values). */
  vg_plan *after;
  /* Zero every gradient before its first writer, even where that writer
   * could set it outright (op.h, VG_OPF_BWD_SETS): the reference the tests
   * compare against. */
  int zero_grads;
  /* The optimizer that steps exactly the `update` groups, or NULL. Given,
   * each run also takes that optimizer's step, inside the backward pass:
   * a parameter is updated as soon as its gradient is complete and nothing
   * later reads its value, so its gradient lives in the arena only that
   * long instead of the whole run (the AAE: 25 MB of gradients become a
   * few MB at a time). The results are the bits of a run followed by
   * vg_optim_step. The updated parameters' gradients are then not readable
   * after the run (unless listed in wrt); without an optimizer they stay in
   * g->grads for the caller to combine (over MPI ranks) and apply. The
   * optimizer must outlive the plan; the caller no longer steps it
   * (vg_optim_plan names the plan), and the plan refuses to run split over
   * processes (vg_plan_set_collective), whose gradients must be summed
   * before any step. */
  struct vg_optim *optim;
} vg_plan_spec;

vg_status vg_plan_compile(vg_graph *g, const vg_plan_spec *spec, vg_plan **out);
void vg_plan_free(vg_plan *p);

/* Forward, then (with a loss) backward: the update groups' gradients in
 * g->grads are overwritten with d loss / d param, or with spec.optim the
 * parameters take its step. `step` keys random ops. */
vg_status vg_plan_run(vg_plan *p, uint64_t step);
/* Where the next runs' batch starts in its data set (evaluation): random ops
 * then key their noise by example, so a test example's noise does not
 * depend on its batch (vg_noise_base). 0, the start, in training. */
void vg_plan_set_example(vg_plan *p, int64_t first);
/* How many examples the next runs' batch holds (0: as many as each random
 * op's output has rows), for ops whose rows are not examples (K rows per
 * example): their noise is keyed by example too. */
void vg_plan_set_examples(vg_plan *p, int64_t count);
/* The processes the next runs' batch is split over (op.h), or NULL: one
 * process holds the whole batch. The caller keeps *c alive meanwhile. */
void vg_plan_set_collective(vg_plan *p, const vg_collective *c);

/* After a run: a node's value if the plan kept it (the loss, fetched nodes,
 * inputs and parameters), else NULL. */
const float *vg_plan_value(const vg_plan *p, int node);
/* The plans of one graph share one activation arena (graph.h), so a plan's
 * values and gradients there last until another plan of the graph runs;
 * vg_plan_value and vg_plan_grad then give NULL, as before the plan's first
 * run. This says why into `why` and returns it (naming the plan that ran
 * since), or NULL when the value (grad = 0) or gradient (grad = 1) of node
 * is readable or not the plan's to give. Inputs, parameters and parameter
 * gradients live outside the arena and stay readable (unless the plan
 * takes its optimizer's step: then those kept by wrt lie in the arena). */
const char *vg_plan_unreadable(const vg_plan *p, int node, int grad, char *why, size_t n);
/* After a run with a loss: d loss / d node for a parameter of an updated
 * group (when the plan has no spec.optim) or a node in spec.wrt, else NULL. */
const float *vg_plan_grad(const vg_plan *p, int node);
const char *vg_plan_name(const vg_plan *p);
/* After a run that failed with VG_ERR_NUMERIC, or on demand: the first node
 * in execution order whose output or gradient holds a NaN or infinity. It
 * takes no optimizer step (spec.optim): the parameters stay as they were. */
vg_status vg_plan_check_finite(vg_plan *p, uint64_t step);

typedef struct vg_plan_stats {
  int nodes_forward, nodes_backward;
  int nodes_reused;     /* forward steps skipped when `after` ran just before */
  size_t arena_bytes;   /* planned: activations, saved buffers, gradients, scratch */
  size_t naive_bytes;   /* what one buffer each would take */
  size_t bound_bytes;   /* alive at the busiest step: no placement needs less */
  size_t shared_bytes;  /* the arena it lies in, shared with the graph's other plans */
  size_t scratch_bytes; /* of arena_bytes, the kernels' scratch, shared by all steps */
  double flops;         /* multiply-adds x2 of forward+backward (estimate), without reused steps */
  int grads_zeroed;     /* gradient buffers zeroed (the loss's seeded) before the step that first adds to them */
  int grads_set;        /* gradient buffers the first step writes outright (VG_OPF_BWD_SETS) */
  int param_grads_set;  /* parameters whose one writer sets their gradient outright */
  int params_applied;   /* parameters spec.optim updates during the backward pass */
} vg_plan_stats;
vg_plan_stats vg_plan_get_stats(const vg_plan *p);

/* Prints the plan: a line per node with its shape and buffer, then totals. */
void vg_plan_print(const vg_plan *p, void *file);
/* The plans (of one graph) as one Graphviz DOT digraph (file: a FILE *), a
 * cluster each: forward steps with their op, shape and memory slot (byte
 * offset in the activation arena), backward steps (dashed, red) with the
 * slot of the gradient they read and edges to the inputs they send
 * gradients to, and the inputs and parameters read, parameters clustered
 * and coloured by group. */
void vg_plans_dot(const vg_plan *const *plans, int n, void *file);

/* With VAEGRAPH_PROFILE set when the plan was compiled, every step is timed;
 * this prints the `top` steps by time per run. */
void vg_plan_print_profile(const vg_plan *p, void *file, int top);

#endif

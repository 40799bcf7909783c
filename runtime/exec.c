/* Running a compiled plan: only kernels, fills, the ops' checks of index
 * values and one finiteness check of the loss; no allocation. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>

#include "isa.h"
#include "optim.h"
#include "plan_internal.h"

/* Large gradients are zeroed by every thread, a contiguous stretch each: one
 * core alone does not reach the memory's bandwidth, and the other would wait
 * at the next fork. */
enum { FILL_PAR_MIN = 1 << 18, FILL_CHUNK = 1 << 14 };

static void fill(const vg_graph *g, const vg_fill *f) {
  const size_t n = f->node >= 0 ? (size_t)vg_shape_numel(&g->nodes[f->node].shape) : f->n;
  if (f->v == 0.0f) {
    if (n < FILL_PAR_MIN) {
      memset(f->p, 0, n * sizeof(float));
      return;
    }
    const int64_t chunks = (int64_t)((n + FILL_CHUNK - 1) / FILL_CHUNK);
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < chunks; c++) {
      const size_t lo = (size_t)c * FILL_CHUNK, len = n - lo < FILL_CHUNK ? n - lo : FILL_CHUNK;
      memset(f->p + lo, 0, len * sizeof(float));
    }
    return;
  }
  for (size_t i = 0; i < n; i++) f->p[i] = f->v;
}

/* Before a run: the thread count the scratch was sized for, node shapes
 * that follow the inputs' current ones, and the shared arena marked as this
 * plan's from now on. */
/* An input that nothing ever wrote holds zeros: a loss weight without a
 * schedule, a feed misspelt. Refuse to run on it instead. */
static vg_status check_inputs_fed(vg_plan *p) {
  const vg_graph *g = p->g;
  for (int i = 0; i < p->nforward; i++) {
    const vg_node *n = &g->nodes[p->fwd_nodes[i]];
    for (int k = 0; k < n->nin; k++) {
      const vg_node *in = &g->nodes[n->in[k]];
      if (in->op == VG_OP_INPUT && !in->fed)
        return vg_fail_at(p->g, VG_ERR_ARG, in->where,
                          "run '%s': input '%s' (read by '%s') was never set; give it a value before the run (a data "
                          "feed, or a schedule for a loss weight)",
                          p->name, in->name, n->name);
    }
  }
  p->inputs_fed = 1;
  return VG_OK;
}

static vg_status prepare(vg_plan *p) {
  if (!p->inputs_fed) {
    vg_status st = check_inputs_fed(p);
    if (st) return st;
  }
  if (p->shape_gen != p->g->shape_gen) {
    vg_status st = vg_graph_reinfer(p->g, p->fwd_nodes, p->nforward);
    if (st) return st;
    p->shape_gen = p->g->shape_gen;
  }
  int t = omp_get_max_threads();
  if (t > p->threads)
    return vg_graph_fail(p->g, VG_ERR_ARG, "run '%s': compiled for %d threads, now %d; compile after setting the thread count",
                         p->name, p->threads, t);
  p->shared->last = p;
  return VG_OK;
}

#ifdef VG_HAVE_ISA_OPS
extern const vg_op_f32 *const vg_ops_f32_avx2[VG_OP_COUNT];
extern const vg_op_f32 *const vg_ops_f32_avx512[VG_OP_COUNT];
#endif

const vg_op_f32 *const *vg_ops_f32_kernels(void) {
#ifdef VG_HAVE_ISA_OPS
  switch (vg_isa_current()) {
  case VG_ISA_AVX512: return vg_ops_f32_avx512;
  case VG_ISA_AVX2: return vg_ops_f32_avx2;
  default: break;
  }
#endif
  return vg_ops_f32;
}

/* apply: take the plan's optimizer step on the parameters whose gradients
 * this step completes (not when locating a NaN). */
static void run_step(vg_plan *p, vg_step *s, uint64_t step, int apply) {
  const vg_op_f32 *op = vg_ops_f32_kernels()[p->g->nodes[s->node].op];
  const double t0 = p->seconds ? omp_get_wtime() : 0;
  for (int i = 0; i < s->fills.n; i++) fill(p->g, &p->fills[s->fills.first + i]);
  s->k.step = step;
  if (s->backward) {
    if (op->backward) op->backward(&s->k);
  } else if (op->forward) {
    op->forward(&s->k);
  }
  for (int i = 0; apply && i < s->updates.n; i++) {
    const vg_update *u = &p->param_updates[s->updates.first + i];
    vg_optim_update(p->optim, u->entry, u->at, u->n, u->grad);
  }
  if (p->seconds) p->seconds[s - p->steps] += omp_get_wtime() - t0;
}

static int all_finite(const float *x, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i])) return 0;
  return 1;
}

static vg_status bad_node(vg_plan *p, const vg_step *s, uint64_t step, const char *what) {
  const vg_node *n = &p->g->nodes[s->node];
  return vg_fail_at(p->g, VG_ERR_NUMERIC, n->where, "run '%s', step %llu: %s of %s '%s' is not finite", p->name, (unsigned long long)step, what, vg_op_name(n->op), n->name);
}

/* An op's check refused an input value (an id outside the vocabulary). */
static vg_status bad_value(vg_plan *p, const vg_step *s, uint64_t step, const char *msg) {
  const vg_node *n = &p->g->nodes[s->node];
  return vg_fail_at(p->g, VG_ERR_VALUE, n->where, "%s '%s': run '%s', step %llu: %s",
                       vg_op_name(n->op), n->name, p->name, (unsigned long long)step, msg);
}

/* What a memo's values were computed from: the step and batch (random ops'
 * keys), the kernel path, every write to inputs and parameters, and the
 * optimizer steps on the groups they depend on. */
static void memo_stamp(const vg_plan *p, vg_memo *m, uint64_t step) {
  const vg_graph *g = p->g;
  m->valid = 1;
  m->step = step;
  m->example0 = p->nsteps ? p->steps[0].k.example0 : 0;
  m->examples = p->nsteps ? p->steps[0].k.examples : 0;
  m->isa = (int)vg_isa_current();
  m->writes = g->writes;
  m->shape_gen = g->shape_gen;
  for (int i = 0; i < m->ngroups; i++) m->group_steps[i] = g->groups[m->groups[i]].steps;
  m->serial++;
}

static int memo_fresh(const vg_plan *p, const vg_memo *m, uint64_t step) {
  const vg_graph *g = p->g;
  if (!m->valid || m->step != step || m->isa != (int)vg_isa_current() || m->writes != g->writes ||
      m->shape_gen != g->shape_gen || !p->nsteps || m->example0 != p->steps[0].k.example0 ||
      m->examples != p->steps[0].k.examples)
    return 0;
  for (int i = 0; i < m->ngroups; i++)
    if (m->group_steps[i] != g->groups[m->groups[i]].steps) return 0;
  return 1;
}

/* Once an op has set its output's size from the data, each node after it
 * is inferred again just before it runs, when all its inputs are final.
 * Other plans see a new shape generation. Steps whose values the plan
 * before computed from the same things are skipped (vg_plan_spec.after). */
static vg_status run_forward(vg_plan *p, uint64_t step, int check_finite) {
  int resized = 0;
  const int reuse = p->memo_in && memo_fresh(p, p->memo_in, step);
  /* Values about to be overwritten are nobody's until the run ends. */
  if (p->memo_in && !reuse) p->memo_in->valid = 0;
  if (p->memo_out) p->memo_out->valid = 0;
  for (int s = 0; s < p->nforward; s++) {
    vg_step *sp = &p->steps[s];
    if (reuse && sp->reused) continue;
    if (resized) {
      vg_status st = vg_graph_reinfer(p->g, &p->fwd_nodes[s], 1);
      if (st) return st;
    }
    const vg_op_f32 *op = vg_ops_f32[p->g->nodes[sp->node].op];
    char msg[256];
    if (op->check && op->check(&sp->k, msg, sizeof msg)) return bad_value(p, sp, step, msg);
    run_step(p, sp, step, 0);
    if (sp->k.shape) resized = 1;
    if (check_finite && !all_finite(sp->k.y, (size_t)vg_shape_numel(sp->k.ys))) return bad_node(p, sp, step, "output");
  }
  if (resized) p->shape_gen = ++p->g->shape_gen;
  if (p->memo_in) {
    if (!reuse) memo_stamp(p, p->memo_in, step);
    p->memo_in_seen = p->memo_in->serial;
  }
  if (p->memo_out) {
    memo_stamp(p, p->memo_out, step);
    p->memo_out_seen = p->memo_out->serial;
  }
  return VG_OK;
}

void vg_plan_set_example(vg_plan *p, int64_t first) {
  for (int s = 0; s < p->nsteps; s++) p->steps[s].k.example0 = first;
}

void vg_plan_set_examples(vg_plan *p, int64_t count) {
  for (int s = 0; s < p->nsteps; s++) p->steps[s].k.examples = count;
}

void vg_plan_set_collective(vg_plan *p, const vg_collective *c) {
  for (int s = 0; s < p->nsteps; s++) p->steps[s].k.coll = c;
}

vg_status vg_plan_run(vg_plan *p, uint64_t step) {
  vg_status st = prepare(p);
  if (st) return st;
  if (p->optim && p->nsteps && p->steps[0].k.coll)
    return vg_graph_fail(p->g, VG_ERR_ARG, "run '%s': its optimizer steps inside the backward pass, before the "
                         "processes could sum their gradients; compile it without optim to run it split over processes",
                         p->name);
  p->runs++;
  if ((st = run_forward(p, step, 0))) return st;
  if (p->loss < 0) return VG_OK;
  const float loss = p->val[p->loss][0];
  if (!isfinite(loss)) {
    const vg_node *n = &p->g->nodes[p->loss];
    return vg_fail_at(p->g, VG_ERR_NUMERIC, n->where, "run '%s', step %llu: loss '%s' is %g", p->name, (unsigned long long)step, n->name, (double)loss);
  }
  for (int i = 0; i < p->nparam_zero; i++) fill(p->g, &p->param_zero[i]);
  if (p->optim) vg_optim_begin(p->optim);
  for (int s = p->nforward; s < p->nsteps; s++) run_step(p, &p->steps[s], step, 1);
  return VG_OK;
}

/* Runs the plan again one step at a time and stops at the first node whose
 * output (forward) or input gradient (backward) holds a NaN or infinity. */
vg_status vg_plan_check_finite(vg_plan *p, uint64_t step) {
  vg_status st = prepare(p);
  if (st) return st;
  vg_graph *g = p->g;
  if ((st = run_forward(p, step, 1))) return st;
  if (p->loss < 0) return VG_OK;
  for (int i = 0; i < p->nparam_zero; i++) fill(p->g, &p->param_zero[i]);
  for (int s = p->nforward; s < p->nsteps; s++) {
    vg_step *sp = &p->steps[s];
    run_step(p, sp, step, 0);
    for (int k = 0; k < sp->k.nin; k++)
      if (sp->k.dx[k] && !all_finite(sp->k.dx[k], (size_t)vg_shape_numel(sp->k.xs[k])))
        return bad_node(p, sp, step, "input gradient");
  }
  for (int i = 0; i < p->nparam_grads; i++)
    if (!all_finite(p->param_grads[i].p, p->param_grads[i].n))
      return vg_graph_fail(g, VG_ERR_NUMERIC, "run '%s', step %llu: a parameter gradient is not finite", p->name,
                           (unsigned long long)step);
  return VG_OK;
}

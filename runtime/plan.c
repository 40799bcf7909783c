/* Compiling a plan: prune, order, derive the backward pass, plan memory. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optim.h"
#include "place.h"
#include "plan_internal.h"

#define ALIGN_FLOATS 16 /* 64-byte alignment for every buffer in the arena */
#define NEVER (-1)

/* A buffer in the arena: whose, and what; its size, lifetime and offset
 * are the vg_span of the same index (place.h). */
typedef struct buf {
  int node; /* -1 for the scratch */
  int kind; /* 0 value, 1 saved, 2 gradient, 3 scratch */
} buf;

typedef struct compiler {
  vg_graph *g;
  const vg_plan_spec *spec;
  vg_plan *p;
  int *order, norder;       /* forward order of non-source nodes and sources */
  unsigned char *need;      /* node is computed by this plan */
  unsigned char *grad;      /* node carries a gradient in the backward pass */
  unsigned char *bwd;       /* node runs a backward step */
  int *tf, *tb;             /* forward and backward step of each node */
  buf *bufs;
  vg_span *spans;           /* parallel to bufs */
  int nbufs;
  float **gradp;            /* gradient pointer per node */
  float **savedp;
  /* per node, from its consumers in this plan (NEVER: none): the last step
   * that reads its value, and the first and last backward steps that add to
   * its gradient */
  int *last_read, *grad_first, *grad_last;
  unsigned char *reused;    /* node's value is shared with spec->after (vg_memo) */
} compiler;

static size_t round_up(size_t n) { return (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS; }

static int is_source(const vg_node *n) { return (vg_ops_f32[n->op]->flags & VG_OPF_SOURCE) != 0; }

static const char *phase_name(const vg_plan_spec *s) { return s->name && *s->name ? s->name : "plan"; }

/* Depth-first from the roots through inputs; post-order is a topological
 * order. Iterative, since unrolled recurrent graphs can be deep. */
static vg_status order_nodes(compiler *c, const int *roots, int nroots) {
  vg_graph *g = c->g;
  unsigned char *color = calloc((size_t)g->n, 1); /* 0 new, 1 on the stack, 2 done */
  int *stack = malloc((size_t)g->n * sizeof *stack), *slot = malloc((size_t)g->n * sizeof *slot);
  vg_status st = VG_OK;
  if (!color || !stack || !slot) {
    st = vg_graph_fail(g, VG_ERR_NOMEM, "compile '%s': out of memory", phase_name(c->spec));
    goto done;
  }
  for (int r = 0; r < nroots && !st; r++) {
    if (color[roots[r]]) continue;
    int sp = 0;
    stack[sp] = roots[r], slot[sp] = 0, color[roots[r]] = 1;
    sp++;
    while (sp > 0 && !st) {
      int v = stack[sp - 1];
      const vg_node *n = &g->nodes[v];
      if (slot[sp - 1] < n->nin) {
        int u = n->in[slot[sp - 1]++];
        if (color[u] == 0) {
          color[u] = 1;
          stack[sp] = u, slot[sp] = 0;
          sp++;
        } else if (color[u] == 1) {
          /* The stack from u up to v is the cycle. */
          char path[600];
          size_t k = 0;
          int i = sp - 1;
          while (stack[i] != u) i--;
          for (; i < sp && k < sizeof path - 4; i++)
            k += (size_t)snprintf(path + k, sizeof path - k, "'%s' -> ", g->nodes[stack[i]].name);
          if (k < sizeof path) snprintf(path + k, sizeof path - k, "'%s'", g->nodes[u].name);
          st = vg_graph_fail(g, VG_ERR_GRAPH, "compile '%s': the graph has a cycle: %s (each node feeds the next)",
                             phase_name(c->spec), path);
        }
      } else {
        color[v] = 2;
        c->need[v] = 1;
        c->order[c->norder++] = v;
        sp--;
      }
    }
  }
done:
  free(color);
  free(stack);
  free(slot);
  return st;
}

static int in_update(const vg_plan_spec *s, int group) {
  for (int i = 0; i < s->nupdate; i++)
    if (s->update[i] == group) return 1;
  return 0;
}

static int in_wrt(const vg_plan_spec *s, int node) {
  for (int i = 0; i < s->nwrt; i++)
    if (s->wrt[i] == node) return 1;
  return 0;
}

static int updated_param(const vg_plan_spec *s, const vg_node *n) {
  return n->op == VG_OP_PARAM && in_update(s, n->group);
}

/* An updated parameter whose gradient goes to the graph's gradient arena,
 * for the caller's optimizer step; every other gradient (the parameters'
 * too when the plan takes the step itself) lives in the plan's arena. */
static int grad_in_params(const vg_plan_spec *s, const vg_node *n) { return updated_param(s, n) && !s->optim; }

/* The step after which the plan's optimizer updates parameter v: its
 * gradient is complete and no later step reads its value. */
static int update_step(const compiler *c, int v) {
  return c->last_read[v] > c->grad_last[v] ? c->last_read[v] : c->grad_last[v];
}

/* Which nodes carry gradients: those that depend on an updated parameter
 * (forward sweep) and through which the loss's gradient flows (backward
 * sweep). Every updated parameter must get one. */
static vg_status derive_backward(compiler *c) {
  vg_graph *g = c->g;
  const vg_plan_spec *s = c->spec;
  int n = g->n;
  unsigned char *dep = calloc((size_t)n, 1), *flow = calloc((size_t)n, 1), *anc = calloc((size_t)n, 1);
  vg_status st = VG_OK;
  if (!dep || !flow || !anc) {
    st = vg_graph_fail(g, VG_ERR_NOMEM, "compile '%s': out of memory", phase_name(s));
    goto done;
  }
  for (int i = 0; i < c->norder; i++) {
    int v = c->order[i];
    const vg_node *nd = &g->nodes[v];
    if (nd->op == VG_OP_PARAM) dep[v] = (unsigned char)in_update(s, nd->group);
    else if (!(vg_ops_f32[nd->op]->flags & VG_OPF_NO_GRAD))
      for (int k = 0; k < nd->nin; k++)
        if (!(vg_ops_f32[nd->op]->nograd >> k & 1)) dep[v] |= dep[nd->in[k]];
    dep[v] |= (unsigned char)in_wrt(s, v);
  }
  flow[s->loss] = anc[s->loss] = 1;
  for (int i = c->norder - 1; i >= 0; i--) {
    int v = c->order[i];
    const vg_node *nd = &g->nodes[v];
    const vg_op_f32 *op = vg_ops_f32[nd->op];
    for (int k = 0; k < nd->nin; k++) {
      anc[nd->in[k]] |= anc[v];
      if (!(op->flags & VG_OPF_NO_GRAD) && !(op->nograd >> k & 1)) flow[nd->in[k]] |= flow[v];
    }
  }
  for (int v = 0; v < n; v++) {
    const vg_node *nd = &g->nodes[v];
    const int param = updated_param(s, nd);
    if (!param && !in_wrt(s, v)) continue;
    char what[2 * VG_NAME_MAX + 32];
    if (param) snprintf(what, sizeof what, "parameter '%s' (group '%s')", nd->name, g->groups[nd->group].name);
    else snprintf(what, sizeof what, "%s '%s' (asked for in wrt)", vg_op_name(nd->op), nd->name);
    const char *loss = g->nodes[s->loss].name;
    if (!anc[v]) {
      st = vg_fail_at(g, VG_ERR_GRAPH, nd->where, "compile '%s': %s does not reach loss '%s'%s", phase_name(s), what, loss,
                      param ? "; did you mean to update another group, or forget to use the layer?" : "");
      goto done;
    }
    if (!flow[v]) {
      st = vg_fail_at(g, VG_ERR_GRAPH, nd->where, "compile '%s': %s reaches loss '%s' only through "
                      "stop_gradient or inputs that take no gradient, so it would get none", phase_name(s), what, loss);
      goto done;
    }
  }
  for (int v = 0; v < n; v++) c->grad[v] = dep[v] && flow[v] && c->need[v];
  /* A node runs a backward step when some input takes its gradient. */
  for (int v = 0; v < n; v++) {
    const vg_node *nd = &g->nodes[v];
    const vg_op_f32 *op = vg_ops_f32[nd->op];
    if (!c->grad[v] || is_source(nd) || (op->flags & VG_OPF_NO_GRAD)) continue;
    for (int k = 0; k < nd->nin && !c->bwd[v]; k++) c->bwd[v] = c->grad[nd->in[k]] && !(op->nograd >> k & 1);
  }
done:
  free(dep);
  free(flow);
  free(anc);
  return st;
}

static int add_buf(compiler *c, int node, int kind, size_t len, int start, int end) {
  c->bufs[c->nbufs] = (buf){.node = node, .kind = kind};
  c->spans[c->nbufs++] = (vg_span){.len = round_up(len), .start = start, .end = end};
  return c->nbufs - 1;
}

/* Offsets for the buffers (place.c), and the least any placement needs. */
static vg_status place_buffers(compiler *c, size_t *total, size_t *bound) {
  int rc = vg_place(c->spans, c->nbufs, c->p->nsteps, total);
  if (!rc) rc = vg_place_bound(c->spans, c->nbufs, c->p->nsteps, bound);
  if (rc == -2) return vg_graph_fail(c->g, VG_ERR_GRAPH, "compile '%s': a buffer's lifetime lies outside the plan's %d steps",
                                     phase_name(c->spec), c->p->nsteps);
  return rc ? vg_graph_fail(c->g, VG_ERR_NOMEM, "compile '%s': out of memory", phase_name(c->spec)) : VG_OK;
}

/* A gradient buffer is born at the first backward step that writes it (the
 * loss's own, or the earliest-run backward among its consumers) and lives
 * until its node's backward reads it, or the plan's optimizer has updated
 * its parameter, or to the end when it is kept. */
static void add_grad_buf(compiler *c, int v, int keep) {
  const vg_graph *g = c->g;
  int start = c->bwd[v] ? c->tb[v] : NEVER, end = start;
  if (c->grad_first[v] != NEVER) {
    if (start == NEVER || c->grad_first[v] < start) start = c->grad_first[v];
    if (c->grad_last[v] > end) end = c->grad_last[v];
  }
  if (start == NEVER) return; /* nothing writes it */
  if (updated_param(c->spec, &g->nodes[v])) end = update_step(c, v);
  add_buf(c, v, 2, (size_t)vg_shape_numel(&g->nodes[v].bound), start, keep ? c->p->nsteps - 1 : end);
}

/* Each node's readers, in one pass over the plan's nodes and their inputs:
 * consumers' forwards read its value, and so do consumers' backwards unless
 * they skip x; consumers' backwards add to its gradient. */
static void find_readers(compiler *c) {
  const vg_graph *g = c->g;
  for (int v = 0; v < g->n; v++) c->last_read[v] = c->grad_first[v] = c->grad_last[v] = NEVER;
  for (int j = 0; j < c->norder; j++) {
    const int u = c->order[j];
    const vg_node *un = &g->nodes[u];
    for (int k = 0; k < un->nin; k++) {
      const int v = un->in[k];
      if (c->tf[u] > c->last_read[v]) c->last_read[v] = c->tf[u];
      if (!c->bwd[u]) continue;
      if (!(un->flags & VG_OPF_BWD_NO_X) && c->tb[u] > c->last_read[v]) c->last_read[v] = c->tb[u];
      if (c->grad_first[v] == NEVER || c->tb[u] < c->grad_first[v]) c->grad_first[v] = c->tb[u];
      if (c->tb[u] > c->grad_last[v]) c->grad_last[v] = c->tb[u];
    }
  }
}

/* The scratch the hungriest kernel needs at the plan's thread count. */
static size_t scratch_len(const compiler *c) {
  const vg_plan *p = c->p;
  size_t len = 0;
  for (int s = 0; s < p->nsteps; s++) {
    const vg_node *nd = &c->g->nodes[p->steps[s].node];
    size_t need = nd->scratch_bound + nd->scratch_thread_bound * (size_t)p->threads;
    if (need > len) len = need;
  }
  return len;
}

static vg_status plan_memory(compiler *c) {
  vg_graph *g = c->g;
  vg_plan *p = c->p;
  int last = p->nsteps - 1;
  find_readers(c);
  /* One scratch region shared by all steps (they run one after another),
   * in the arena so that the graph's plans share it too. */
  p->stats.scratch_bytes = scratch_len(c) * sizeof(float);
  if (p->stats.scratch_bytes) add_buf(c, -1, 3, p->stats.scratch_bytes / sizeof(float), 0, last);
  for (int i = 0; i < c->norder; i++) {
    int v = c->order[i];
    const vg_node *nd = &g->nodes[v];
    const int keep_grad = in_wrt(c->spec, v);
    if (is_source(nd)) {
      /* Inputs, and parameters that no optimizer here reads, keep their
       * gradients in the plan's arena. */
      if (c->grad[v] && !grad_in_params(c->spec, nd)) add_grad_buf(c, v, keep_grad);
      continue;
    }
    /* A value lives until its last reader: consumers' forwards, its own
     * backward unless that skips y, consumers' backwards unless they skip x. */
    int end = c->tf[v];
    if (c->bwd[v] && !(nd->flags & VG_OPF_BWD_NO_Y)) end = c->tb[v];
    if (c->last_read[v] > end) end = c->last_read[v];
    if (p->keep[v]) end = last;
    if (!c->reused[v]) add_buf(c, v, 0, (size_t)vg_shape_numel(&nd->bound), c->tf[v], end);
    if (nd->saved_bound) add_buf(c, v, 1, nd->saved_bound, c->tf[v], c->bwd[v] ? c->tb[v] : c->tf[v]);
    if (c->grad[v]) add_grad_buf(c, v, keep_grad);
  }
  size_t total = 0, bound = 0;
  vg_status st = place_buffers(c, &total, &bound);
  if (st) return st;
  size_t naive = 0;
  for (int i = 0; i < c->nbufs; i++) naive += c->spans[i].len;
  if (!(p->shared = vg_arena_acquire(g, total)))
    return vg_graph_fail(g, VG_ERR_NOMEM, "compile '%s': cannot allocate %zu bytes of activations",
                         phase_name(c->spec), total * sizeof(float));
  p->stats.arena_bytes = total * sizeof(float);
  p->stats.naive_bytes = naive * sizeof(float);
  p->stats.bound_bytes = bound * sizeof(float);

  for (int i = 0; i < c->nbufs; i++) {
    const buf *b = &c->bufs[i];
    float *ptr = p->shared->data + c->spans[i].off;
    if (b->kind == 0) p->val[b->node] = ptr;
    else if (b->kind == 1) c->savedp[b->node] = ptr;
    else if (b->kind == 2) c->gradp[b->node] = ptr;
    else p->scratch = ptr;
  }
  for (int i = 0; i < c->spec->nwrt; i++) p->grad[c->spec->wrt[i]] = c->gradp[c->spec->wrt[i]];
  return VG_OK;
}

static void build_kernels(compiler *c) {
  vg_graph *g = c->g;
  vg_plan *p = c->p;
  for (int s = 0; s < p->nsteps; s++) {
    vg_step *st = &p->steps[s];
    int v = st->node;
    const vg_node *nd = &g->nodes[v];
    vg_kernel_f32 *k = &st->k;
    memset(k, 0, sizeof *k);
    k->node = nd;
    k->node_id = v;
    k->nin = nd->nin;
    k->a = &nd->attr;
    k->seed = g->seed;
    k->training = c->spec->loss >= 0 && !c->spec->eval;
    for (int i = 0; i < nd->nin; i++) {
      int u = nd->in[i];
      k->x[i] = p->val[u];
      k->xs[i] = &g->nodes[u].shape;
      if (st->backward && c->grad[u] && !(vg_ops_f32[nd->op]->flags & VG_OPF_NO_GRAD) && !(vg_ops_f32[nd->op]->nograd >> i & 1))
        k->dx[i] = grad_in_params(c->spec, &g->nodes[u]) ? g->grads + g->nodes[u].off : c->gradp[u];
    }
    k->y = p->val[v];
    k->ys = &nd->shape;
    if (nd->flags & VG_OPF_DATA_SHAPE) k->shape = &g->nodes[v].shape;
    k->saved = c->savedp[v];
    k->scratch = p->scratch;
    k->threads = p->threads;
    if (st->backward) k->dy = c->gradp[v];
  }
  c->p->stats.flops = 0;
  for (int s = 0; s < p->nsteps; s++) {
    const vg_node *nd = &g->nodes[p->steps[s].node];
    const vg_op_f32 *op = vg_ops_f32[nd->op];
    if (p->steps[s].reused) continue;
    const double f = op->flops ? op->flops(g, nd) : (double)vg_shape_numel(&nd->shape);
    p->stats.flops += !p->steps[s].backward ? f : op->bwd_flops ? op->bwd_flops(g, nd) : 2 * f;
  }
}

/* The input whose gradient buffer `grad` step st writes outright, or -1:
 * a backward of a VG_OPF_BWD_SETS op holding the buffer as one input's
 * gradient only (linear(a, a) adds to a's gradient twice). */
static int sets_gradient(const vg_graph *g, const vg_step *st, const float *grad) {
  if (!st->backward || !(vg_ops_f32[g->nodes[st->node].op]->flags & VG_OPF_BWD_SETS)) return -1;
  int which = -1;
  for (int i = 0; i < st->k.nin; i++)
    if (st->k.dx[i] == grad) {
      if (which >= 0) return -1;
      which = i;
    }
  return which;
}

/* A list bucketed by step (fills: 0, updates: 1), with each step's count in
 * its range's n: a counting sort, so entries keep their order within a
 * step. Each range now starts where the one before ended and n is 0 again,
 * for the pass that places the entries. Returns the list's length. */
static int start_ranges(vg_plan *p, int updates) {
  int at = 0;
  for (int s = 0; s < p->nsteps; s++) {
    vg_range *r = updates ? &p->steps[s].updates : &p->steps[s].fills;
    r->first = at;
    at += r->n;
    r->n = 0;
  }
  return at;
}

/* Each gradient is zeroed (the loss's seeded with 1) just before the step
 * that first writes it, unless that step writes it outright (dx_set). */
static vg_status plan_fills(compiler *c) {
  vg_plan *p = c->p;
  p->fills = calloc((size_t)(c->nbufs ? c->nbufs : 1), sizeof *p->fills);
  if (!p->fills) return vg_graph_fail(c->g, VG_ERR_NOMEM, "compile: out of memory");
  unsigned char *fill = calloc((size_t)(c->nbufs ? c->nbufs : 1), 1);
  if (!fill) return vg_graph_fail(c->g, VG_ERR_NOMEM, "compile: out of memory");
  for (int i = 0; i < c->nbufs; i++) {
    const buf *b = &c->bufs[i];
    if (b->kind != 2) continue;
    vg_step *st = &p->steps[c->spans[i].start];
    const int k = b->node == p->loss || c->spec->zero_grads ? -1 : sets_gradient(c->g, st, p->shared->data + c->spans[i].off);
    if (k >= 0) st->k.dx_set |= 1u << k, p->stats.grads_set++;
    else fill[i] = 1, p->stats.grads_zeroed++;
  }
  /* Bucketed by their first step. */
  for (int s = 0; s < p->nsteps; s++) p->steps[s].fills.n = 0;
  for (int i = 0; i < c->nbufs; i++)
    if (fill[i]) p->steps[c->spans[i].start].fills.n++;
  p->nfills = start_ranges(p, 0);
  for (int i = 0; i < c->nbufs; i++) {
    if (!fill[i]) continue;
    const buf *b = &c->bufs[i];
    vg_step *st = &p->steps[c->spans[i].start];
    vg_fill *f = &p->fills[st->fills.first + st->fills.n++];
    f->p = p->shared->data + c->spans[i].off;
    f->node = b->node;
    f->v = b->node == p->loss ? 1.0f : 0.0f;
  }
  free(fill);
  return VG_OK;
}

/* The updated groups' gradients are zeroed once per backward pass, except
 * those of parameters whose one writer sets them outright (VG_OPF_BWD_SETS;
 * in a linear layer, the weight's GEMM with beta 0): that skips a pass over the
 * weights' gradients and the GEMM's read of them, both the size of the
 * weights (the AAE's: 23 MB a step). Parameters of a group lie in node order
 * (vg_graph_freeze), so the others' gradients form few ranges. */
static vg_status plan_param_grads(compiler *c) {
  vg_graph *g = c->g;
  vg_plan *p = c->p;
  const vg_plan_spec *spec = c->spec;
  int *writers = calloc((size_t)g->n, sizeof *writers), *wstep = malloc((size_t)g->n * sizeof *wstep);
  unsigned char *set = calloc((size_t)g->n, 1);
  p->param_grads = calloc((size_t)(spec->nupdate ? spec->nupdate : 1), sizeof *p->param_grads);
  p->param_zero = calloc((size_t)g->n + 1, sizeof *p->param_zero);
  if (!writers || !wstep || !set || !p->param_grads || !p->param_zero) {
    free(writers), free(wstep), free(set);
    return vg_graph_fail(g, VG_ERR_NOMEM, "compile: out of memory");
  }
  for (int s = p->nforward; s < p->nsteps; s++) {
    const vg_step *st = &p->steps[s];
    const vg_node *nd = &g->nodes[st->node];
    for (int i = 0; i < st->k.nin; i++)
      if (st->k.dx[i] && grad_in_params(spec, &g->nodes[nd->in[i]])) writers[nd->in[i]]++, wstep[nd->in[i]] = s;
  }
  for (int v = 0; v < g->n && !spec->zero_grads; v++) {
    if (writers[v] != 1) continue;
    vg_step *st = &p->steps[wstep[v]];
    const int k = sets_gradient(g, st, g->grads + g->nodes[v].off);
    if (k >= 0) st->k.dx_set |= 1u << k, set[v] = 1, p->stats.param_grads_set++;
  }
  for (int i = 0; i < spec->nupdate; i++) {
    const int grp = spec->update[i];
    const vg_group *gr = &g->groups[grp];
    p->param_grads[p->nparam_grads++] = (vg_fill){g->grads + gr->off, -1, gr->len, 0.0f};
    vg_fill *open = NULL;
    for (int v = 0; v < g->n; v++) {
      const vg_node *nd = &g->nodes[v];
      if (nd->op != VG_OP_PARAM || nd->group != grp) continue;
      const size_t len = (size_t)vg_shape_numel(&nd->shape);
      if (set[v]) open = NULL;
      else if (open) open->n += len;
      else open = &p->param_zero[p->nparam_zero++], *open = (vg_fill){g->grads + nd->off, -1, len, 0.0f};
    }
  }
  free(writers), free(wstep), free(set);
  return VG_OK;
}

/* With spec.optim: each updated parameter's update, after the step that
 * update_step names (bucketed by step, as the fills are). */
static vg_status plan_updates(compiler *c) {
  vg_graph *g = c->g;
  vg_plan *p = c->p;
  vg_optim *o = c->spec->optim;
  p->optim = o;
  int count = 0;
  for (int v = 0; v < g->n; v++) count += updated_param(c->spec, &g->nodes[v]);
  if (!(p->param_updates = calloc((size_t)(count ? count : 1), sizeof *p->param_updates)))
    return vg_graph_fail(g, VG_ERR_NOMEM, "compile: out of memory");
  for (int s = 0; s < p->nsteps; s++) p->steps[s].updates.n = 0;
  for (int v = 0; v < g->n; v++)
    if (updated_param(c->spec, &g->nodes[v])) p->steps[update_step(c, v)].updates.n++;
  p->stats.params_applied = start_ranges(p, 1);
  for (int v = 0; v < g->n; v++) {
    const vg_node *nd = &g->nodes[v];
    if (!updated_param(c->spec, nd)) continue;
    vg_step *st = &p->steps[update_step(c, v)];
    p->param_updates[st->updates.first + st->updates.n++] =
        (vg_update){.entry = vg_optim_entry(o, nd->group), .at = nd->off - g->groups[nd->group].off,
                    .n = (size_t)vg_shape_numel(&nd->shape), .grad = c->gradp[v]};
  }
  return VG_OK;
}

static vg_status check_spec(vg_graph *g, const vg_plan_spec *s) {
  const char *name = phase_name(s);
  if (s->loss < -1 || s->loss >= g->n) return vg_graph_fail(g, VG_ERR_ARG, "compile '%s': no loss node %d", name, s->loss);
  if (s->loss < 0 && s->nfetch == 0)
    return vg_graph_fail(g, VG_ERR_ARG, "compile '%s': nothing to compute (no loss and no fetched node)", name);
  for (int i = 0; i < s->nfetch; i++)
    if (s->fetch[i] < 0 || s->fetch[i] >= g->n)
      return vg_graph_fail(g, VG_ERR_ARG, "compile '%s': no node %d to fetch", name, s->fetch[i]);
  for (int i = 0; i < s->nwrt; i++)
    if (s->wrt[i] < 0 || s->wrt[i] >= g->n) return vg_graph_fail(g, VG_ERR_ARG, "compile '%s': no node %d for wrt", name, s->wrt[i]);
  if (s->nwrt && s->loss < 0) return vg_graph_fail(g, VG_ERR_ARG, "compile '%s': gradients wrt nodes but no loss", name);
  for (int i = 0; i < s->nupdate; i++)
    if (s->update[i] < 0 || s->update[i] >= g->ngroups)
      return vg_graph_fail(g, VG_ERR_ARG, "compile '%s': no parameter group %d", name, s->update[i]);
  if (s->nupdate && s->loss < 0)
    return vg_graph_fail(g, VG_ERR_ARG, "compile '%s': parameter groups to update but no loss", name);
  if (s->optim) {
    const vg_optim *o = s->optim;
    if (vg_optim_graph(o) != g) return vg_graph_fail(g, VG_ERR_ARG, "compile '%s': its optimizer belongs to another graph", name);
    if (s->loss < 0 || s->eval)
      return vg_graph_fail(g, VG_ERR_ARG, "compile '%s': an optimizer to step but no training loss", name);
    for (int i = 0; i < s->nupdate; i++)
      if (vg_optim_entry(o, s->update[i]) < 0)
        return vg_graph_fail(g, VG_ERR_ARG, "compile '%s': group '%s' is updated but its optimizer does not step it", name,
                             g->groups[s->update[i]].name);
    for (int i = 0; i < vg_optim_ngroups(o); i++)
      if (!in_update(s, vg_optim_group(o, i)))
        return vg_graph_fail(g, VG_ERR_ARG, "compile '%s': its optimizer steps group '%s', which the plan does not update", name,
                             g->groups[vg_optim_group(o, i)].name);
  }
  if (s->loss >= 0) {
    const vg_node *l = &g->nodes[s->loss];
    if (is_source(l))
      return vg_fail_at(g, VG_ERR_GRAPH, l->where, "compile '%s': %s '%s' cannot be a loss; a loss is computed by an op", name, vg_op_name(l->op), l->name);
    if (vg_shape_numel(&l->shape) != 1) {
      char b[VG_SHAPE_STRLEN];
      return vg_fail_at(g, VG_ERR_GRAPH, l->where, "compile '%s': loss '%s' must be a scalar, but its shape is %s; "
                           "reduce it with sum or mean, or give the loss op reduction=sum", name, l->name, vg_shape_str(&l->shape, b, sizeof b));
    }
  }
  return VG_OK;
}

static void memo_release(vg_memo *m) {
  if (!m || --m->refs > 0) return;
  free(m->data);
  free(m->nodes);
  free(m->groups);
  free(m->group_steps);
  free(m);
}

/* Whether `after` computes node v in its forward pass from nothing it
 * updates, as this plan would: same mode, no saved buffer (this plan's
 * backward would need one `after` may not have filled), no data-dependent
 * shape, and not a value `after` itself takes from the plan before it. */
static int shareable(const compiler *c, const vg_plan *after, const unsigned char *moved, int v) {
  const vg_node *nd = &c->g->nodes[v];
  return c->need[v] && !is_source(nd) && !moved[v] && after->val[v] && !vg_memo_holds(after->memo_in, after->val[v]) &&
         !nd->saved_bound && !(nd->flags & VG_OPF_DATA_SHAPE);
}

/* The values this plan shares with spec->after (vg_plan_spec.after): they
 * move to one buffer outside the arena that both plans read and write
 * (after's steps are re-pointed), and this plan's steps computing them are
 * marked `reused`. */
static vg_status share_with_after(compiler *c) {
  vg_graph *g = c->g;
  vg_plan *p = c->p, *after = c->spec->after;
  const int n = g->n;
  if (!after || after->g != g || after->memo_out || after->training != p->training) return VG_OK;
  /* moved[v]: v depends on a parameter `after` updates (forward sweep in
   * this plan's topological order). */
  unsigned char *moved = calloc((size_t)n, 1), *up = calloc((size_t)n, 1);
  vg_memo *m = calloc(1, sizeof *m);
  vg_status st = VG_OK;
  if (!moved || !up || !m) goto nomem;
  int count = 0;
  for (int i = 0; i < c->norder; i++) {
    const int v = c->order[i];
    const vg_node *nd = &g->nodes[v];
    if (nd->op == VG_OP_PARAM) moved[v] = after->updates[nd->group];
    for (int k = 0; k < nd->nin && !moved[v]; k++) moved[v] = moved[nd->in[k]];
    if (shareable(c, after, moved, v)) c->reused[v] = 1, count++;
  }
  if (!count) goto done;
  /* The parameter groups the shared values depend on (sweeping back). */
  for (int v = 0; v < n; v++) up[v] = c->reused[v];
  for (int i = c->norder - 1; i >= 0; i--) {
    const vg_node *nd = &g->nodes[c->order[i]];
    if (up[c->order[i]])
      for (int k = 0; k < nd->nin; k++) up[nd->in[k]] = 1;
  }
  size_t len = 0;
  for (int v = 0; v < n; v++) len += c->reused[v] ? round_up((size_t)vg_shape_numel(&g->nodes[v].bound)) : 0;
  m->nodes = malloc((size_t)count * sizeof *m->nodes);
  m->groups = malloc((size_t)(g->ngroups ? g->ngroups : 1) * sizeof *m->groups);
  m->group_steps = calloc((size_t)(g->ngroups ? g->ngroups : 1), sizeof *m->group_steps);
  m->data = aligned_alloc(64, len * sizeof(float));
  if (!m->nodes || !m->groups || !m->group_steps || !m->data) goto nomem;
  m->len = len;
  for (int grp = 0; grp < g->ngroups; grp++) {
    int uses = 0;
    for (int v = 0; v < n && !uses; v++) uses = up[v] && g->nodes[v].op == VG_OP_PARAM && g->nodes[v].group == grp;
    if (uses) m->groups[m->ngroups++] = grp;
  }
  size_t off = 0;
  for (int v = 0; v < n; v++) {
    if (!c->reused[v]) continue;
    float *x = m->data + off;
    off += round_up((size_t)vg_shape_numel(&g->nodes[v].bound));
    m->nodes[m->n++] = v;
    p->val[v] = x;
    /* `after` now writes v there, and its steps read it there. */
    after->val[v] = x;
    for (int s = 0; s < after->nsteps; s++) {
      vg_kernel_f32 *k = &after->steps[s].k;
      if (after->steps[s].node == v) k->y = x;
      for (int i = 0; i < k->nin; i++)
        if (after->g->nodes[after->steps[s].node].in[i] == v) k->x[i] = x;
    }
  }
  m->refs = 2;
  after->memo_out = m, p->memo_in = m;
  m = NULL;
  p->stats.nodes_reused = count;
  goto done;
nomem:
  st = vg_graph_fail(g, VG_ERR_NOMEM, "compile '%s': out of memory", phase_name(c->spec));
done:
  if (m) {
    m->refs = 1;
    memo_release(m);
  }
  free(moved), free(up);
  return st;
}

vg_status vg_plan_compile(vg_graph *g, const vg_plan_spec *spec, vg_plan **out) {
  *out = NULL;
  vg_status st = check_spec(g, spec);
  if (st) return st;
  if ((st = vg_graph_freeze(g))) return st;
  int n = g->n;
  compiler c;
  memset(&c, 0, sizeof c);
  c.g = g, c.spec = spec;
  vg_plan *p = calloc(1, sizeof *p);
  c.p = p;
  c.order = malloc((size_t)n * sizeof *c.order);
  c.need = calloc((size_t)n, 1);
  c.grad = calloc((size_t)n, 1);
  c.bwd = calloc((size_t)n, 1);
  c.tf = malloc((size_t)n * sizeof *c.tf);
  c.tb = malloc((size_t)n * sizeof *c.tb);
  c.bufs = malloc((size_t)3 * n * sizeof *c.bufs);
  c.spans = malloc((size_t)3 * n * sizeof *c.spans);
  c.gradp = calloc((size_t)n, sizeof *c.gradp);
  c.savedp = calloc((size_t)n, sizeof *c.savedp);
  c.last_read = malloc((size_t)n * sizeof *c.last_read);
  c.grad_first = malloc((size_t)n * sizeof *c.grad_first);
  c.grad_last = malloc((size_t)n * sizeof *c.grad_last);
  c.reused = calloc((size_t)n, 1);
  int *roots = malloc((size_t)(spec->nfetch + 1) * sizeof *roots);
  if (p) {
    p->val = calloc((size_t)n, sizeof *p->val);
    p->keep = calloc((size_t)n, 1);
    p->grad = calloc((size_t)n, sizeof *p->grad);
    p->steps = malloc((size_t)2 * n * sizeof *p->steps);
    p->fwd_nodes = malloc((size_t)n * sizeof *p->fwd_nodes);
    p->updates = calloc((size_t)(g->ngroups ? g->ngroups : 1), 1);
  }
  if (!p || !c.order || !c.need || !c.grad || !c.bwd || !c.tf || !c.tb || !c.bufs || !c.spans || !c.gradp || !c.savedp || !roots ||
      !c.last_read || !c.grad_first || !c.grad_last || !c.reused ||
      !p->val || !p->keep || !p->grad || !p->steps || !p->fwd_nodes || !p->updates) {
    st = vg_graph_fail(g, VG_ERR_NOMEM, "compile '%s': out of memory", phase_name(spec));
    goto done;
  }
  p->g = g;
  p->loss = spec->loss;
  p->threads = omp_get_max_threads();
  p->training = spec->loss >= 0 && !spec->eval;
  for (int i = 0; i < spec->nupdate; i++) p->updates[spec->update[i]] = 1;
  p->shape_gen = g->shape_gen - 1; /* the first run infers shapes afresh */
  snprintf(p->name, sizeof p->name, "%s", phase_name(spec));

  int nroots = 0;
  if (spec->loss >= 0) roots[nroots++] = spec->loss;
  for (int i = 0; i < spec->nfetch; i++) roots[nroots++] = spec->fetch[i];
  if ((st = order_nodes(&c, roots, nroots))) goto done;
  for (int i = 0; i < nroots; i++) p->keep[roots[i]] = 1;
  if (spec->loss >= 0 && (st = derive_backward(&c))) goto done;
  if ((st = share_with_after(&c))) goto done;

  for (int v = 0; v < n; v++) c.tf[v] = c.tb[v] = NEVER;
  for (int i = 0; i < c.norder; i++) {
    int v = c.order[i];
    const vg_node *nd = &g->nodes[v];
    if (nd->op == VG_OP_INPUT) p->val[v] = nd->data, p->keep[v] = 1;
    else if (nd->op == VG_OP_PARAM) p->val[v] = g->params + nd->off, p->keep[v] = 1;
    if (is_source(nd)) continue;
    c.tf[v] = p->nsteps;
    p->fwd_nodes[p->nsteps] = v;
    p->steps[p->nsteps++] = (vg_step){.node = v, .backward = 0, .reused = c.reused[v]};
  }
  p->nforward = p->nsteps;
  for (int i = c.norder - 1; i >= 0; i--) {
    int v = c.order[i];
    if (!c.bwd[v]) continue;
    c.tb[v] = p->nsteps;
    p->steps[p->nsteps++] = (vg_step){.node = v, .backward = 1};
  }
  p->stats.nodes_forward = p->nforward;
  p->stats.nodes_backward = p->nsteps - p->nforward;

  if ((st = plan_memory(&c))) goto done;
  build_kernels(&c);
  if ((st = plan_fills(&c))) goto done;

  {
    const char *prof = getenv("VAEGRAPH_PROFILE");
    if (prof && *prof && strcmp(prof, "0") != 0 && !(p->seconds = calloc((size_t)p->nsteps + 1, sizeof *p->seconds))) {
      st = vg_graph_fail(g, VG_ERR_NOMEM, "compile: out of memory");
      goto done;
    }
  }
  if ((st = spec->optim ? plan_updates(&c) : plan_param_grads(&c))) goto done;

done:
  free(c.order);
  free(c.need);
  free(c.grad);
  free(c.bwd);
  free(c.tf);
  free(c.tb);
  free(c.bufs);
  free(c.spans);
  free(c.gradp);
  free(c.savedp);
  free(c.last_read), free(c.grad_first), free(c.grad_last);
  free(c.reused);
  free(roots);
  if (st) {
    vg_plan_free(p);
    return st;
  }
  if (p->optim) vg_optim_set_plan(p->optim, p->name);
  *out = p;
  return VG_OK;
}

void vg_plan_free(vg_plan *p) {
  if (!p) return;
  free(p->steps);
  free(p->fwd_nodes);
  free(p->fills);
  free(p->param_grads);
  free(p->param_zero);
  free(p->param_updates);
  free(p->val);
  free(p->grad);
  free(p->keep);
  free(p->updates);
  memo_release(p->memo_in);
  memo_release(p->memo_out);
  if (p->shared && p->shared->last == p) p->shared->last = NULL;
  vg_arena_release(p->shared);
  free(p->seconds);
  free(p);
}

vg_plan_stats vg_plan_get_stats(const vg_plan *p) {
  vg_plan_stats s = p->stats;
  s.shared_bytes = p->shared->len * sizeof(float);
  return s;
}

/* Whether v lies in the arena but holds no value of this plan's: it has
 * not run, or another plan ran in the arena since. Outside the arena
 * (inputs, parameters, their gradients) values stay readable. */
static int stale(const vg_plan *p, const float *v) {
  if (vg_memo_holds(p->memo_in, v)) return !p->runs || p->memo_in_seen != p->memo_in->serial;
  if (vg_memo_holds(p->memo_out, v)) return !p->runs || p->memo_out_seen != p->memo_out->serial;
  if (!v || v < p->shared->data || v >= p->shared->data + p->shared->len) return 0;
  return !p->runs || p->shared->last != p;
}

static const float *raw_value(const vg_plan *p, int node) {
  if (node < 0 || node >= p->g->n || !p->keep[node]) return NULL;
  return p->val[node];
}

static const float *raw_grad(const vg_plan *p, int node) {
  if (node < 0 || node >= p->g->n || p->loss < 0) return NULL;
  const vg_node *n = &p->g->nodes[node];
  if (n->op == VG_OP_PARAM)
    for (int k = 0; k < p->nparam_grads; k++) {
      const vg_fill *f = &p->param_grads[k];
      if (f->p <= p->g->grads + n->off && p->g->grads + n->off < f->p + f->n) return p->g->grads + n->off;
    }
  return p->grad[node];
}

const char *vg_plan_unreadable(const vg_plan *p, int node, int grad, char *why, size_t n) {
  if (!stale(p, grad ? raw_grad(p, node) : raw_value(p, node))) return NULL;
  const vg_plan *last = p->shared->last;
  if (!p->runs) snprintf(why, n, "plan '%s' has not run yet", p->name);
  else snprintf(why, n, "plan '%s' ran after plan '%s' in the memory a graph's plans share",
                last ? last->name : "(since freed)", p->name);
  return why;
}

const float *vg_plan_value(const vg_plan *p, int node) {
  const float *v = raw_value(p, node);
  return stale(p, v) ? NULL : v;
}

const float *vg_plan_grad(const vg_plan *p, int node) {
  const float *d = raw_grad(p, node);
  return stale(p, d) ? NULL : d;
}

const char *vg_plan_name(const vg_plan *p) { return p->name; }

static const vg_plan *sort_plan; /* qsort has no context argument */
static int by_time(const void *a, const void *b) {
  double x = sort_plan->seconds[*(const int *)a], y = sort_plan->seconds[*(const int *)b];
  return x < y ? 1 : x > y ? -1 : 0;
}

void vg_plan_print_profile(const vg_plan *p, void *file, int top) {
  FILE *f = file;
  if (!p->seconds || !p->runs) return;
  int *idx = malloc((size_t)p->nsteps * sizeof *idx);
  if (!idx) return;
  double total = 0;
  for (int s = 0; s < p->nsteps; s++) idx[s] = s, total += p->seconds[s];
  sort_plan = p;
  qsort(idx, (size_t)p->nsteps, sizeof *idx, by_time);
  fprintf(f, "profile of plan '%s': %.3f ms per run over %ld runs\n", p->name, 1e3 * total / (double)p->runs, p->runs);
  for (int i = 0; i < p->nsteps && i < top; i++) {
    const vg_step *s = &p->steps[idx[i]];
    const vg_node *nd = &p->g->nodes[s->node];
    fprintf(f, "  %6.3f ms %5.1f%%  %-8s %-18s %-24s %s\n", 1e3 * p->seconds[idx[i]] / (double)p->runs,
            100 * p->seconds[idx[i]] / total, s->backward ? "backward" : "forward", vg_op_name(nd->op), nd->name,
            nd->where);
  }
  free(idx);
}

void vg_plan_print(const vg_plan *p, void *file) {
  FILE *f = file;
  const vg_graph *g = p->g;
  fprintf(f, "plan '%s': %d forward, %d backward steps\n", p->name, p->stats.nodes_forward, p->stats.nodes_backward);
  if (p->memo_in)
    fprintf(f, "  %d forward steps (marked =) reuse the values of the plan before, when it ran just before at the "
               "same step and batch\n", p->stats.nodes_reused);
  fprintf(f, "  %-4s %-28s %-20s %-20s %s\n", "step", "node", "op", "shape", "created at");
  for (int s = 0; s < p->nforward; s++) {
    const vg_node *nd = &g->nodes[p->steps[s].node];
    char b[VG_SHAPE_STRLEN];
    fprintf(f, "  %-3d%c %-28s %-20s %-20s %s\n", s, p->steps[s].reused ? '=' : ' ', nd->name, vg_op_name(nd->op),
            vg_shape_str(&nd->shape, b, sizeof b), nd->where);
  }
  /* The parameters this plan reads, and which of them it updates. */
  size_t total = 0, trained = 0;
  int header = 0;
  for (int i = 0; i < g->n; i++) {
    const vg_node *nd = &g->nodes[i];
    if (nd->op != VG_OP_PARAM || !p->val[i]) continue;
    if (!header++) fprintf(f, "  %-34s %-14s %-12s %s\n", "parameter", "shape", "group", "values");
    char b[VG_SHAPE_STRLEN];
    size_t n = (size_t)vg_shape_numel(&nd->shape);
    const int upd = p->updates[nd->group];
    fprintf(f, "  %-34s %-14s %-12s %zu%s\n", nd->name, vg_shape_str(&nd->shape, b, sizeof b), g->groups[nd->group].name, n,
            upd ? "" : " (not updated here)");
    total += n;
    trained += upd ? n : 0;
  }
  if (header) fprintf(f, "  %zu parameter values, %zu updated by this plan\n", total, trained);
  fprintf(f, "  activations+gradients: %.2f MiB planned with scratch %.2f MiB (%.2f MiB without reuse, %.2f MiB "
          "alive at the busiest step)\n", p->stats.arena_bytes / 1048576.0, p->stats.scratch_bytes / 1048576.0,
          p->stats.naive_bytes / 1048576.0, p->stats.bound_bytes / 1048576.0);
  fprintf(f, "  gradients: %d zeroed before their first writer, %d written outright by it; %d parameters' written "
             "outright by their one writer\n", p->stats.grads_zeroed, p->stats.grads_set, p->stats.param_grads_set);
  if (p->optim)
    fprintf(f, "  optimizer: steps each of the %d updated parameters as soon as its gradient is complete (the "
               "gradients live in the arena meanwhile)\n", p->stats.params_applied);
  fprintf(f, "  %.3f GFLOP per step\n", p->stats.flops * 1e-9);
}

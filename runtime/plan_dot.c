/* Compiled plans as a Graphviz DOT graph (plan.h, vg_plans_dot): what a
 * reader of --plan's table would rather see as a picture. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_internal.h"

/* Twelve fills from ColorBrewer's Set3, one per parameter group in turn. */
static const char *const group_fill[] = {"#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462",
                                         "#b3de69", "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f"};

/* Names come from scripts: quotes and backslashes escaped for DOT. */
static void put_escaped(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fputc('\\', f);
    fputc(*s, f);
  }
}

/* Where a buffer lies: its byte offset in the graph's activation arena (the
 * memory plan's slot), the parameter or gradient arena, the buffer two
 * consecutive phases share (vg_plan_spec.after), or a buffer of its own
 * (inputs). */
static void put_slot(FILE *f, const vg_plan *p, const float *x) {
  const vg_graph *g = p->g;
  if (!x) fputs("no buffer", f);
  else if (p->shared && x >= p->shared->data && x < p->shared->data + p->shared->len)
    fprintf(f, "slot @%.1f KiB", (double)(x - p->shared->data) * sizeof(float) / 1024.0);
  else if (g->params && x >= g->params && x < g->params + g->nparams)
    fprintf(f, "params @%.1f KiB", (double)(x - g->params) * sizeof(float) / 1024.0);
  else if (g->grads && x >= g->grads && x < g->grads + g->nparams)
    fprintf(f, "grads @%.1f KiB", (double)(x - g->grads) * sizeof(float) / 1024.0);
  else if (vg_memo_holds(p->memo_in, x) || vg_memo_holds(p->memo_out, x)) {
    const vg_memo *m = vg_memo_holds(p->memo_in, x) ? p->memo_in : p->memo_out;
    fprintf(f, "phases' shared @%.1f KiB", (double)(x - m->data) * sizeof(float) / 1024.0);
  }
  else
    fputs("own buffer", f);
}

static int is_source(const vg_node *n) { return n->op == VG_OP_INPUT || n->op == VG_OP_PARAM; }

/* Inputs and parameters the plan reads, once each, parameters in a cluster
 * per group. */
static void put_sources(FILE *f, const vg_plan *p, int pi) {
  const vg_graph *g = p->g;
  for (int grp = -1; grp < g->ngroups; grp++) {
    int opened = 0;
    for (int v = 0; v < g->n; v++) {
      const vg_node *n = &g->nodes[v];
      if (!is_source(n) || !p->val[v] || (n->op == VG_OP_PARAM ? n->group : -1) != grp) continue;
      if (grp >= 0 && !opened++) {
        fprintf(f, "    subgraph cluster_p%d_g%d {\n      label=\"group '", pi, grp);
        put_escaped(f, g->groups[grp].name);
        fprintf(f, "'\"; style=rounded; color=\"#888888\";\n");
      }
      char b[VG_SHAPE_STRLEN];
      fprintf(f, "      p%d_n%d [shape=%s, style=filled, fillcolor=\"%s\", label=\"", pi, v,
              n->op == VG_OP_PARAM ? "box" : "ellipse", n->op == VG_OP_PARAM ? group_fill[grp % 12] : "#ffffff");
      put_escaped(f, n->name);
      fprintf(f, "\\n%s %s\\n", n->op == VG_OP_PARAM ? "param" : "input", vg_shape_str(&n->shape, b, sizeof b));
      put_slot(f, p, p->val[v]);
      fputs("\"];\n", f);
    }
    if (opened) fputs("    }\n", f);
  }
}

static void put_plan(FILE *f, const vg_plan *p, int pi) {
  const vg_graph *g = p->g;
  fprintf(f, "  subgraph cluster_p%d {\n    label=\"plan '", pi);
  put_escaped(f, p->name);
  fprintf(f, "': %d forward, %d backward steps; activations+gradients %.2f MiB planned (%.2f without reuse)\";\n",
          p->stats.nodes_forward, p->stats.nodes_backward, p->stats.arena_bytes / 1048576.0,
          p->stats.naive_bytes / 1048576.0);
  put_sources(f, p, pi);
  unsigned char *has_bwd = calloc((size_t)g->n, 1);
  for (int s = 0; has_bwd && s < p->nsteps; s++)
    if (p->steps[s].backward) has_bwd[p->steps[s].node] = 1;
  for (int s = 0; s < p->nsteps; s++) {
    const vg_step *st = &p->steps[s];
    const vg_node *n = &g->nodes[st->node];
    char b[VG_SHAPE_STRLEN];
    if (!st->backward) {
      fprintf(f, "    p%d_f%d [shape=box, style=rounded, label=\"", pi, st->node);
      put_escaped(f, n->name);
      fprintf(f, "\\n%s %s\\n", vg_op_name(n->op), vg_shape_str(&n->shape, b, sizeof b));
      put_slot(f, p, st->k.y);
      fputs("\"];\n", f);
      for (int k = 0; k < n->nin; k++) {
        const int u = n->in[k];
        fprintf(f, "    p%d_%c%d -> p%d_f%d;\n", pi, is_source(&g->nodes[u]) ? 'n' : 'f', u, pi, st->node);
      }
      continue;
    }
    /* A backward step reads d loss / d output and writes its inputs'. */
    fprintf(f, "    p%d_b%d [shape=box, style=\"rounded,dashed\", color=\"#c0392b\", label=\"d ", pi, st->node);
    put_escaped(f, n->name);
    fprintf(f, "\\n%s backward\\ndy ", vg_op_name(n->op));
    put_slot(f, p, st->k.dy);
    fputs("\"];\n", f);
    if (st->node == p->loss) fprintf(f, "    p%d_f%d -> p%d_b%d [style=dashed, color=\"#c0392b\"];\n", pi, st->node, pi, st->node);
    for (int k = 0; k < n->nin; k++) {
      const int u = n->in[k];
      if (!st->k.dx[k]) continue;
      if (is_source(&g->nodes[u]))
        fprintf(f, "    p%d_b%d -> p%d_n%d [style=dashed, color=\"#c0392b\", label=\"grad\"];\n", pi, st->node, pi, u);
      else if (has_bwd && has_bwd[u])
        fprintf(f, "    p%d_b%d -> p%d_b%d [style=dashed, color=\"#c0392b\"];\n", pi, st->node, pi, u);
    }
  }
  free(has_bwd);
  fputs("  }\n", f);
}

void vg_plans_dot(const vg_plan *const *plans, int n, void *file) {
  FILE *f = file;
  fputs("digraph vaegraph {\n  rankdir=TB;\n  compound=true;\n  node [fontname=\"Helvetica\", fontsize=10];\n"
        "  edge [arrowsize=0.6];\n",
        f);
  for (int i = 0; i < n; i++) put_plan(f, plans[i], i);
  fputs("}\n", f);
}

/* The graph builder: inputs, named parameters in groups, op nodes. Shapes are
 * inferred as each node is added, so a mistake is reported where it is made. */
#ifndef VG_GRAPH_H
#define VG_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "op.h"
#include "shape.h"

typedef enum vg_init_kind {
  VG_INIT_ZEROS,
  VG_INIT_CONST,           /* a */
  VG_INIT_UNIFORM,         /* U(a, b) */
  VG_INIT_NORMAL,          /* N(a, b^2) */
  VG_INIT_KAIMING_UNIFORM, /* PyTorch kaiming_uniform_(a = a), fan_in */
  VG_INIT_KAIMING_NORMAL,  /* PyTorch kaiming_normal_(a = a), fan_in */
  VG_INIT_XAVIER_UNIFORM,  /* gain a */
  VG_INIT_XAVIER_NORMAL,   /* gain a */
  VG_INIT_EYE              /* 1 on the diagonal of [n, m], else 0: constants */
                           /* such as every class's one-hot row */
} vg_init_kind;

typedef struct vg_init {
  vg_init_kind kind;
  double a, b;
} vg_init;

typedef struct vg_node {
  vg_op_id op;
  int nin;
  int in[VG_MAX_IN];
  vg_shape shape;
  vg_attrs attr;
  char name[VG_NAME_MAX];
  char where[VG_WHERE_MAX]; /* script position that created it, "vae.lua:12" */
  unsigned flags;           /* the op's VG_OPF_ flags; infer may clear a */
                            /* BWD_NO_ claim that its attributes void */
  size_t saved_len;         /* reals the forward keeps for the backward */
  size_t scratch_len;       /* reals of scratch the kernel's threads share (im2col) */
  size_t scratch_thread_len; /* and reals for each thread on its own, after them */
  /* What memory plans reserve: the shape and lengths above as the node was
   * built. Inputs may shrink before a run (vg_input_set_shape, a batch of
   * shorter sentences); every node is then inferred again and must fit. */
  vg_shape bound;
  size_t saved_bound, scratch_bound, scratch_thread_bound;
  /* parameters */
  int group;
  vg_init init;
  size_t off; /* into the parameter arena, once the graph is frozen */
  /* inputs */
  float *data;
  unsigned char fed; /* written through vg_input_fill since it was made */
} vg_node;

typedef struct vg_group {
  char name[VG_NAME_MAX];
  size_t off, len; /* range in the parameter arena, once frozen */
  uint64_t steps;  /* optimizer steps taken on it (other writes: vg_graph.writes) */
} vg_group;

/* The memory for activations and their gradients that a graph's plans
 * share: plans run one at a time, so one arena as large as the largest
 * plan's serves them all. Each plan holds a reference; `last` is the plan
 * that ran in it most recently, whose values alone are still there. A plan
 * compiled before a larger one keeps the smaller arena it got, so compile
 * the largest first (the trainer compiles the training phases first). */
typedef struct vg_arena {
  float *data;
  size_t len; /* floats */
  int refs;
  const void *last;
} vg_arena;

typedef struct vg_graph {
  vg_node *nodes;
  int n, cap;
  vg_group *groups;
  int ngroups, gcap;
  /* One arena for all parameters, ordered by group, and one of the same
   * layout for their gradients: an optimizer step is a flat loop. */
  float *params, *grads;
  size_t nparams;
  int frozen;
  uint64_t seed;
  uint64_t shape_gen; /* bumped when an input's run-time shape changes */
  /* Bumped whenever inputs or parameters may be written other than by an
   * optimizer step (vg_input_fill, vg_param_data, a checkpoint loaded): a
   * plan reusing another's values (plan.h, `after`) looks at it. */
  uint64_t writes;
  /* node ids by name: open addressing, index_cap a power of two at least
   * twice n, -1 for empty (NULL when it could not be allocated: lookups
   * then scan the nodes) */
  int *index, index_cap;
  vg_arena *arena; /* the plans' shared arena: the largest so far (NULL before the first plan) */
  char where[VG_WHERE_MAX];
  char err[1024];
} vg_graph;

vg_graph *vg_graph_new(uint64_t seed);
void vg_graph_free(vg_graph *g);

/* A reference to an arena of at least len floats: the graph's, or when that
 * is smaller a new one, zeroed, that becomes the graph's (plans holding the
 * old one keep it). NULL when out of memory. */
vg_arena *vg_arena_acquire(vg_graph *g, size_t len);
void vg_arena_release(vg_arena *a);
const char *vg_graph_error(const vg_graph *g);
/* Script position recorded in nodes created from now on (NULL clears it). */
void vg_graph_set_where(vg_graph *g, const char *where);

/* Each returns the new node's id, or -1 with the graph's error set. */
int vg_input(vg_graph *g, const char *name, vg_shape shape);
int vg_group_new(vg_graph *g, const char *name); /* returns a group id */
int vg_param(vg_graph *g, int group, const char *name, vg_shape shape, vg_init init);
/* An op node. attrs is "key=value key=value", values numbers, enum choices or
 * comma-separated dimensions; NULL or "" takes the defaults. */
int vg_node_add(vg_graph *g, vg_op_id op, const char *name, int nin, const int *in, const char *attrs);
/* The same with attributes already parsed (the Lua module sets them by key). */
int vg_node_add_attrs(vg_graph *g, vg_op_id op, const char *name, int nin, const int *in, const vg_attrs *a);

/* Attribute handling by key, for front ends. */
vg_attrs vg_attrs_default(vg_op_id op);
vg_status vg_attrs_set_num(vg_graph *g, vg_op_id op, vg_attrs *a, const char *key, double v);
vg_status vg_attrs_set_str(vg_graph *g, vg_op_id op, vg_attrs *a, const char *key, const char *v);
vg_status vg_attrs_parse(vg_graph *g, vg_op_id op, vg_attrs *a, const char *text);
int vg_op_find(const char *name); /* op id by name, -1 if none */
const char *vg_op_name(vg_op_id op);

/* Replaces input `slot` of `node` by `src` and infers its shape again. It can
 * make a cycle, which compiling then reports. */
vg_status vg_node_connect(vg_graph *g, int node, int slot, int src);

/* Lays out and initialises all parameters from the graph's seed; later
 * vg_param calls fail. Compiling freezes the graph if needed. */
vg_status vg_graph_freeze(vg_graph *g);

/* The shape an input has from now on: as many dimensions as declared, each
 * at most the declared size (a partial batch, sentences shorter than the
 * longest allowed). Node shapes follow at the next run. */
vg_status vg_input_set_shape(vg_graph *g, int node, vg_shape shape);
/* Spreads an input's current rows over `rows` rows, each `times` times:
 * row r becomes old row (offset + r) / times - offset / times, so row r
 * stands for sample (offset + r) % times of example (offset + r) / times
 * (the rows of an importance-sampled estimate, many samples per example).
 * Rows past the input's current rows, or past its batch, are an error. */
vg_status vg_input_repeat_rows(vg_graph *g, int node, int64_t rows, int64_t times, int64_t offset);
/* Infers the shapes of `nodes` (in order, inputs before consumers) again
 * from the inputs' current shapes; fails if one outgrows its bound. */
vg_status vg_graph_reinfer(vg_graph *g, const int *nodes, int n);

int vg_node_find(const vg_graph *g, const char *name);
int vg_group_find(const vg_graph *g, const char *name);
float *vg_param_data(vg_graph *g, int node);
/* An input's values: vg_input_data to read them, vg_input_fill to write
 * them (which marks the input fed: a plan refuses to run on an input that
 * nothing ever set, rather than read zeros). NULL if node is not an input. */
float *vg_input_data(vg_graph *g, int node);
float *vg_input_fill(vg_graph *g, int node);

/* Internal: set the graph's error message and return st. */
vg_status vg_graph_fail(vg_graph *g, vg_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* The same, prefixed "<where>: " when `where` (a script position such as
 * "vae.lua:12", a node's or the graph's current one) is not empty. */
vg_status vg_fail_at(vg_graph *g, vg_status st, const char *where, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

#endif

/* The op record: everything the runtime knows about an op lives in one
 * struct defined in the op's own file under ops/.
 *
 * Op files are compiled twice: with float (the runtime) and with double (the
 * gradient checks). `vg_real` and VG_SFX() select the build; shape inference
 * and attributes do not depend on it. */
#ifndef VG_OP_H
#define VG_OP_H

#include <stddef.h>
#include <stdint.h>

#include "shape.h"

#define VG_MAX_IN 16
#define VG_MAX_ATTR 8
#define VG_NAME_MAX 96
#define VG_WHERE_MAX 128

typedef enum vg_op_id {
#define VG_OP(name, ID) VG_OP_##ID,
#include "../ops/ops.def"
#undef VG_OP
  VG_OP_COUNT
} vg_op_id;

/* Attributes: each op lists its keys, so a caller's unknown key is an error
 * that can name the valid ones. Values are doubles; an ENUM stores the index
 * of its choice; DIMS (at most one per op) is stored in vg_attrs.dims. */
typedef enum vg_attr_kind { VG_ATTR_NUM, VG_ATTR_INT, VG_ATTR_ENUM, VG_ATTR_DIMS } vg_attr_kind;

typedef struct vg_attr_spec {
  const char *name;
  vg_attr_kind kind;
  double def;
  const char *choices; /* ENUM: "none|sum|mean|batchmean" */
  const char *shown;   /* the default as the guide shows it, when the value */
                       /* stands for something else ("all" axes); or NULL */
} vg_attr_spec;

typedef struct vg_attrs {
  double v[VG_MAX_ATTR];
  vg_shape dims;
} vg_attrs;

struct vg_graph;
struct vg_node;

/* The processes of a data-parallel run (mpirun), for the ops whose training
 * statistics span the whole batch rather than one process's share of it
 * (batch norm). A kernel sees NULL in a single process. */
typedef struct vg_collective {
  /* v[0 .. n) summed elementwise over the processes, in place, added in
   * process order so every process gets the same bits. It does not fail:
   * a broken transport ends the run (MPI aborts). Every process must call
   * it at the same point of the same plan. */
  void (*sum)(const struct vg_collective *c, double *v, size_t n);
  /* This process's fraction of the batch's examples: its loss is the mean
   * over its share, so its dy is the whole batch's dy / share. */
  double share;
} vg_collective;

/* Flags on an op record. */
enum {
  VG_OPF_SOURCE = 1,     /* input or parameter: no forward work */
  VG_OPF_RANDOM = 2,     /* draws from the counter RNG (seed, step, node) */
  VG_OPF_NO_GRAD = 4,    /* passes no gradient to its inputs (stop_gradient) */
  VG_OPF_VARIADIC = 8,   /* takes nin_min..VG_MAX_IN inputs */
  /* What the backward does not read, so the memory plan can free it once
   * the forward consumers are done (PyTorch's saved tensors, by flag). */
  VG_OPF_BWD_NO_Y = 16,  /* its own output */
  VG_OPF_BWD_NO_X = 32,  /* its inputs' values (shapes are still there) */
  /* Its output's first dimension depends on input values (pack: the
   * positions inside sentences). infer gives the largest; the forward sets
   * the size through kernel.shape, and the nodes after it are inferred
   * again before they run. */
  VG_OPF_DATA_SHAPE = 64,
  /* Its backward also writes dx[k] outright when bit k of kernel.dx_set
   * says so: every element, whatever it held. The plan then skips the
   * serial zeroing of a gradient this step is the first to write (in a
   * convolutional autoencoder, a pass over tens of MB a step), and the op
   * zeroes or writes it in its own loop (parallel where the op's work is),
   * while it is in cache. */
  VG_OPF_BWD_SETS = 128
};

/* What a kernel sees. Backward *adds* into dx[k] (or, for VG_OPF_BWD_SETS
 * ops, sets it when bit k of dx_set is on); dx[k] is NULL when input k
 * needs no gradient. seed/step/node key the RNG so that random ops give the
 * same numbers at any thread count and can recompute them in the backward. */
#define VG_DECLARE_OP_TYPES(T, S)                                           \
  typedef struct vg_kernel##S {                                             \
    const struct vg_node *node;                                             \
    int node_id, nin;                                                       \
    const T *x[VG_MAX_IN];                                                  \
    const vg_shape *xs[VG_MAX_IN];                                          \
    T *y;                                                                   \
    const vg_shape *ys;                                                     \
    vg_shape *shape; /* = ys, writable, for VG_OPF_DATA_SHAPE ops */        \
    const T *dy;                                                            \
    T *dx[VG_MAX_IN];                                                       \
    T *saved;   /* node->saved_len reals, written by forward */             \
    T *scratch; /* scratch_len shared reals, then scratch_thread_len for */ \
                /* each of `threads` threads: thread t's at              */ \
                /* scratch + scratch_len + t * scratch_thread_len; its   */ \
                /* contents are undefined on entry (every step and the   */ \
                /* graph's other plans share it)                         */ \
    int threads;                                                            \
    const vg_attrs *a;                                                      \
    uint64_t seed, step;                                                    \
    int training; /* 0 in evaluation plans: dropout off, batch norm uses */ \
                  /* its running statistics */                              \
    int64_t example0; /* the batch's first example's place in its data    */ \
                      /* set, in evaluation: random ops key their noise   */ \
                      /* by example (vg_noise_base); 0 in training        */ \
                      /* (one rank's first row under mpirun)              */ \
    int64_t examples; /* the examples the batch holds; 0: as many as the  */ \
                      /* output has rows                                  */ \
    const vg_collective *coll; /* under mpirun in training, else NULL */    \
    unsigned dx_set; /* bit k: dx[k] holds garbage, write all of it      */ \
                     /* (only for VG_OPF_BWD_SETS ops)                   */ \
  } vg_kernel##S;                                                           \
  typedef struct vg_op##S {                                                 \
    const char *name;                                                       \
    const char *doc; /* "inputs → output", the guide's op table's line */  \
    int nin_min, nin_max;                                                   \
    unsigned flags;                                                         \
    unsigned nograd; /* bit k: input k never takes a gradient (batch   */  \
                     /* norm's running statistics)                      */  \
    vg_attr_spec attrs[VG_MAX_ATTR + 1];                                    \
    /* Validates inputs and attributes, sets node->shape, saved_len and    \
     * scratch lengths; on error fills the message via vg_op_fail. */      \
    vg_status (*infer)(struct vg_graph *g, struct vg_node *n);              \
    /* Checks the input values the forward takes as indices (token ids,   \
     * sentence lengths), serially before it runs in every plan: 0, or     \
     * nonzero with what is wrong in msg. NULL: nothing to check. */       \
    int (*check)(const vg_kernel##S *k, char *msg, size_t len);            \
    void (*forward)(const vg_kernel##S *k);                                 \
    void (*backward)(const vg_kernel##S *k);                                \
    /* Forward floating-point operations; NULL counts one per output. */   \
    double (*flops)(const struct vg_graph *g, const struct vg_node *n);     \
    /* The backward's; NULL counts twice the forward's (the two products  \
     * of a GEMM), right for every op that does not recompute. */          \
    double (*bwd_flops)(const struct vg_graph *g, const struct vg_node *n); \
  } vg_op##S;

VG_DECLARE_OP_TYPES(float, _f32)
VG_DECLARE_OP_TYPES(double, _f64)

extern const vg_op_f32 *const vg_ops_f32[VG_OP_COUNT];
extern const vg_op_f64 *const vg_ops_f64[VG_OP_COUNT];

/* The float op files are compiled three times on x86-64: portable
 * (vg_ops_f32), and with AVX2+FMA and AVX-512 enabled for the whole file
 * (VG_OPS_AVX2, VG_OPS_AVX512), so that every elementwise, loss and
 * epilogue loop vectorises at the width isa.h chose without each op
 * writing intrinsics. vg_ops_f32 stays the one for names, attributes and
 * shape inference; the executor takes forward and backward from this. */
const vg_op_f32 *const *vg_ops_f32_kernels(void);

#ifdef VG_REAL_DOUBLE
typedef double vg_real;
typedef vg_kernel_f64 vg_kernel;
typedef vg_op_f64 vg_op;
#define VG_SFX(x) x##_f64
#define vg_gemm_real vg_dgemm
#else
typedef float vg_real;
typedef vg_kernel_f32 vg_kernel;
typedef vg_op_f32 vg_op;
#if defined(VG_OPS_AVX512)
#define VG_SFX(x) x##_f32_avx512
#elif defined(VG_OPS_AVX2)
#define VG_SFX(x) x##_f32_avx2
#else
#define VG_SFX(x) x##_f32
#endif
#define vg_gemm_real vg_sgemm
#endif

/* Defines the op record `vg_op_<name>_f32` / `_f64` for the current build. */
#define VG_OP_RECORD(name) const vg_op VG_SFX(vg_op_##name)

/* Helpers for infer functions (runtime/graph.c). */
const vg_shape *vg_in_shape(const struct vg_graph *g, const struct vg_node *n, int k);
const char *vg_in_name(const struct vg_graph *g, const struct vg_node *n, int k);
/* Formats "<where>: <op> '<name>': <message>" into the graph's error and
 * returns `st`. */
vg_status vg_op_fail(struct vg_graph *g, const struct vg_node *n, vg_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* Shape check shared by many ops: input k has exactly the shape of input 0. */
vg_status vg_infer_same_shape(struct vg_graph *g, struct vg_node *n, int k);

/* Work size above which kernels fork OpenMP threads. */
#define VG_PAR_MIN 16384

#endif

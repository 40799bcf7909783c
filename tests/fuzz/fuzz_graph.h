/* fuzz_graph's program format, shared with fuzz_seeds.c, which writes
 * sensible graphs in it (fuzz_graph.c says what each byte means). */
#ifndef VG_FUZZ_GRAPH_H
#define VG_FUZZ_GRAPH_H

enum {
  FG_THREADS2 = 1,  /* two threads instead of one */
  FG_ADAM = 2,      /* the training plan takes an Adam step */
  FG_PARTIAL = 4,   /* every input's first dimension halved before the runs */
  FG_EVAL = 8,      /* an evaluation plan beside the training one */
  FG_MEAN = 16,     /* a non-scalar loss is averaged, not summed */
  FG_WRT = 32,      /* the training plan keeps the inputs' gradients */
  FG_AFTER = 64,    /* without FG_ADAM: a plan compiled `after` another */
                    /* (vg_plan_spec.after) must give the training plan's bits */
  FG_BEFORE_UPDATES = 128, /* that other plan computes the parameters' gradients too */
  FG_INPUTS = 4,    /* inputs: 1 + b % FG_INPUTS */
  FG_PARAMS = 6,    /* parameters: b % FG_PARAMS */
  FG_DIM = 33,      /* a dimension: (b % FG_DIM + 1) % FG_DIM, 0 to 32 */
  FG_INITS = 9,     /* init kind: b % FG_INITS (vg_init_kind) */
  FG_OPS = 24,      /* ops: b % FG_OPS */
  FG_ATTRS = 5,     /* attributes of an op: b % FG_ATTRS */
  FG_CHOICES = 8,   /* an enum's value: choice b % FG_CHOICES, "zzz" past the last */
  FG_REWIRES = 3,   /* inputs rewired after the ops: b % FG_REWIRES */
  FG_KINDS = 5,     /* an input's values: kind b % FG_KINDS (fuzz_graph.c, value_of) */
};

/* Attribute values: numbers and the spellings a user gets wrong. */
static const char *const FG_VALUES[] = {"0",  "1", "2",     "3",  "4",  "-1", "0.5",  "5", "8", "1e9", "-3",
                                        "nan", "inf", "2.5", "x", "", "1e300", "16", "-0", "0x10", "7"};
/* Dimension lists, for DIMS attributes (reshape, permute, tile, ...). */
static const char *const FG_DIMS[] = {"1",     "-1",    "0",  "2,3", "1,0", "0,1",   "-1,2", "3,-1", "2,2,2",
                                      "1,2,0", "1,1,1,1,1,1,1,1,1", "0,2,1", "4", "", "a,b", "2,,3"};
enum {
  FG_NVALUES = sizeof FG_VALUES / sizeof FG_VALUES[0],
  FG_NDIMS = sizeof FG_DIMS / sizeof FG_DIMS[0],
};

#endif
